#!/usr/bin/env python3
"""Opens an `nrr report --format html` page in a real headless Chromium (Debian's chromium,
driven by Playwright from PyPI) and checks it against the JSON report of the same data.

Run by the CLI tests (crates/nrr-cli/tests/cli/browser.rs); .ci/run installs chromium and
playwright. Exit code 0 when every check passes; otherwise each failed check is printed and the
exit code is 1 (2 when the browser cannot be started at all).

    check_html.py --html report.html --json report.json --movements movements.csv \
        --shots DIR [--hostile]

Checks:
- no console error or page error, no network request (every request is recorded; only the
  page's own file:// URL is allowed), no dialog (alert/confirm/prompt) ever opens;
- every view is present: headline tiles, movements (months and quarters), waterfall, NRR/GRR
  trend, cohorts, segments (when the JSON has cuts), reasons, periods, definitions;
- the figures shown equal the JSON report's: the tiles, every bar's data-v and tooltip in the
  monthly and quarterly movement charts, the bridge tables, the trend tables, the period
  table, the segment table, the row ledger;
- a click on a bar lists the customers behind it, largest first, as the movement rows say
  (the expected list is computed here from `nrr movements`' CSV); a click on a listed
  customer shows its months;
- with --hostile: no element, attribute or script came from the data (only the page's two
  scripts exist, no <img>, no element with an on* attribute, window.__pwned unset), and the
  hostile strings are on the page as text.
Screenshots of each view are written to --shots.
"""

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

failures = []
checked = [0]


def check(ok, what):
    checked[0] += 1
    if not ok:
        failures.append(what)
    return ok


def money(v):
    return Decimal(str(v))


def ratio_equal(shown, expected):
    if expected is None:
        return shown in ("", None)
    return shown not in ("", None) and abs(float(shown) - float(expected)) <= 1e-9


def visible(s):
    """Control characters as the page shows them (`\\u{1b}`), as escape.rs does."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", lambda m: "\\u{%x}" % ord(m.group()), s)


def expected_drill(movements_csv, period_months, category):
    """Customers of a movement in some months, summed per customer, largest first."""
    sums = defaultdict(Decimal)
    with open(movements_csv, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["month"] in period_months and row["category"] == category:
                cid = row["customer_id"]
                # The CSV quotes an id that a spreadsheet would read as a formula.
                if cid.startswith("'") and cid[1:2] in ("=", "+", "-", "@", "\t", "\r"):
                    cid = cid[1:]
                sums[visible(cid)] += Decimal(row["amount"])
    return sorted(sums.items(), key=lambda kv: (-abs(kv[1]), kv[0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--movements", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--hostile", action="store_true")
    a = ap.parse_args()
    report = json.loads(Path(a.json).read_text(encoding="utf-8"))
    shots = Path(a.shots)
    shots.mkdir(parents=True, exist_ok=True)
    url = Path(a.html).resolve().as_uri()

    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        except Exception as e:  # noqa: BLE001 - any failure to start is reported as such
            print(f"cannot start chromium: {e}", file=sys.stderr)
            return 2
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        requests, console, dialogs = [], [], []

        def route(r):
            requests.append(r.request.url)
            if r.request.url == url:
                r.continue_()
            else:
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("pageerror", str(e))))

        def on_dialog(d):
            dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url)
        page.wait_for_load_state("load")

        check_views(page, report)
        check_figures(page, report)
        check_drill(page, report, a.movements, shots)
        if a.hostile:
            check_inert(page)
        screenshots(page, shots)

        page.wait_for_timeout(200)
        errors = [c for c in console if c[0] in ("error", "pageerror")]
        check(not errors, f"console errors: {errors}")
        check(requests == [url], f"network requests besides the page: {[r for r in requests if r != url]}")
        check(not dialogs, f"dialogs opened: {dialogs}")
        browser.close()

    for f in failures:
        print("FAIL:", f)
    print(f"{checked[0]} checks, {len(failures)} failed")
    return 1 if failures else 0


def check_views(page, report):
    ids = ["headline", "movements", "movements-month", "movements-quarter", "waterfall",
           "trend", "cohorts", "reasons", "periods", "definitions", "drill"]
    if report.get("segment_cuts"):
        ids.append("segments")
    for i in ids:
        check(page.locator(f"#{i}").count() == 1, f"view #{i} is missing")
    csp = page.locator("meta[http-equiv='Content-Security-Policy']").get_attribute("content")
    check(csp is not None and "default-src 'none'" in csp, f"strict CSP missing: {csp}")


def data_v(page, selector):
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('data-v'))")


def check_figures(page, report):
    months = report["months"]
    if months:
        last = months[-1]
        check(page.get_attribute("#tile-mrr .tile-value", "data-v") == last["closing_mrr"],
              "MRR tile differs from JSON closing_mrr")
    if report["ttm"]:
        t = report["ttm"][-1]
        for tile, key in (("nrr", "nrr"), ("grr", "grr"), ("logo-churn", "logo_churn_rate")):
            check(ratio_equal(page.get_attribute(f"#tile-{tile} .tile-value", "data-v"), t[key]),
                  f"{tile} tile differs from JSON ttm")
    # Every bar of the monthly chart: its figure and its tooltip.
    bars = page.eval_on_selector_all(
        "#movements-month rect.bar",
        "els => els.map(e => [e.dataset.period, e.dataset.category, e.dataset.v, e.querySelector('title').textContent])")
    by_month = {m["month"]: m for m in months}
    check(len(bars) > 0 or not months, "the monthly chart has no bars")
    for period, category, v, title in bars:
        m = by_month.get(period)
        if not check(m is not None, f"bar of unknown month {period}"):
            continue
        want = money(m[category])
        check(money(v) == abs(want), f"bar {period} {category}: {v} != JSON {want}")
        check(title.endswith(f"{abs(want):,.2f}"), f"tooltip {title!r} does not show {want}")
    # Quarter bars against the quarters' bridges.
    quarters = {p["period"]: p["bridge"] for p in report["periods"] if p["granularity"] == "quarter"}
    for period, category, v, _ in page.eval_on_selector_all(
            "#movements-quarter rect.bar",
            "els => els.map(e => [e.dataset.period, e.dataset.category, e.dataset.v, ''])"):
        check(money(v) == abs(money(quarters[period][category])),
              f"quarter bar {period} {category}: {v} != JSON")
    # The monthly bridge table: every cell.
    rows = page.eval_on_selector_all(
        "#bridge-month tbody tr",
        "trs => trs.map(tr => [...tr.children].map(td => td.getAttribute('data-v')))")
    check(len(rows) == len(months), "bridge table rows != months")
    for row, m in zip(rows, months):
        for i, key in ((1, "opening_mrr"), (2, "new"), (3, "reactivation"), (4, "expansion"),
                       (5, "contraction"), (6, "churn")):
            check(row[i] == m[key], f"bridge table {m['month']} {key}: {row[i]} != {m[key]}")
        check(row[-2] == m["closing_mrr"], f"bridge table {m['month']} closing")
        check(row[-3] == m["fx"], f"bridge table {m['month']} fx")
    # The period table and the trend tables.
    rows = page.eval_on_selector_all(
        "#periods-table tbody tr",
        "trs => trs.map(tr => [...tr.children].map(td => td.getAttribute('data-v') ?? td.textContent))")
    expected = [(p["period"], p) for p in report["periods"]] + [(f"TTM {t['month']}", t) for t in report["ttm"]]
    check(len(rows) == len(expected), "period table rows != periods + ttm")
    for row, (label, p) in zip(rows, expected):
        check(row[0] == label, f"period table label {row[0]} != {label}")
        for i, key in ((1, "starting_mrr"), (2, "expansion"), (3, "contraction"), (4, "churn"),
                       (5, "ending_cohort_mrr")):
            check(row[i] == p[key], f"period table {label} {key}: {row[i]} != {p[key]}")
        for i, key in ((6, "nrr"), (7, "grr"), (8, "logo_churn_rate")):
            check(ratio_equal(row[i], p[key]), f"period table {label} {key}: {row[i]} != {p[key]}")
    ttm_rows = page.eval_on_selector_all(
        "#trend-table-ttm tbody tr",
        "trs => trs.map(tr => [...tr.children].map(td => td.getAttribute('data-v') ?? td.textContent))")
    for row, t in zip(ttm_rows, report["ttm"]):
        check(ratio_equal(row[1], t["nrr"]) and ratio_equal(row[2], t["grr"]),
              f"trend TTM {t['month']} differs")
    check(len(ttm_rows) == len(report["ttm"]), "trend TTM rows != JSON ttm")
    # Segments: TTM NRR per value.
    for cut in report.get("segment_cuts", []):
        rows = page.eval_on_selector_all(
            f"table[id='segment-{cut['column']}'] tbody tr",
            "trs => trs.map(tr => [...tr.children].map(td => td.getAttribute('data-v') ?? td.textContent))")
        values = cut["values"]
        check(len(rows) == len(values) + 1, f"segment {cut['column']}: rows != values + total")
        for row, (value, f) in zip(rows, sorted(values.items())):
            ttm = f["ttm"][-1] if f["ttm"] else None
            want = ttm["nrr"] if ttm else None
            check(ratio_equal(row[2], want), f"segment {cut['column']}={value!r} NRR {row[2]} != {want}")
    # Every waterfall's table against its period's bridge (signed as the steps float).
    steps = {"Opening": ("opening", 1), "New": ("new", 1), "Reactiv.": ("reactivation", 1),
             "Expansion": ("expansion", 1), "Contract.": ("contraction", -1), "Churn": ("churn", -1),
             "Paused": ("paused", -1), "Resumed": ("resumed", 1), "Moved in": ("moved_in", 1),
             "Moved out": ("moved_out", -1), "FX": ("fx", 1), "Closing": ("closing", 1)}
    bridges = {p["period"]: p["bridge"] for p in report["periods"]}
    bridges.update({f"TTM to {t['month']}": t["bridge"] for t in report["ttm"][-1:]})
    views = page.eval_on_selector_all(
        "figure[data-group='waterfall']",
        "fs => fs.map(f => [f.dataset.view, [...f.querySelectorAll('tbody tr')].map(tr => [tr.children[0].textContent, tr.children[1].getAttribute('data-v')])])")
    check(len(views) == len(bridges), f"{len(views)} waterfalls for {len(bridges)} periods")
    for label, rows in views:
        b = bridges.get(label)
        if not check(b is not None, f"waterfall of unknown period {label}"):
            continue
        for step, v in rows:
            key, sign = steps[step]
            check(money(v) == sign * money(b[key]), f"waterfall {label} {step}: {v} != JSON {b[key]}")
    # The row ledger.
    ledger = dict(page.eval_on_selector_all(
        "#ledger tr", "trs => trs.map(tr => [tr.children[0].textContent, tr.children[1].getAttribute('data-v')])"))
    check(ledger.get("read") == str(report["rows"]["read"]), "ledger read differs")
    check(ledger.get("used") == str(report["rows"]["used"]), "ledger used differs")


def check_drill(page, report, movements_csv, shots):
    """Click the largest expansion (else new) bar of the months; compare its list."""
    months = report["months"]
    for category in ("expansion", "new", "churn"):
        candidates = [m for m in months if money(m[category]) > 0]
        if candidates:
            break
    else:
        check(False, "no month has a movement to drill into")
        return
    m = max(candidates, key=lambda m: money(m[category]))
    period = m["month"]
    page.locator(f"#movements-month rect.bar[data-period='{period}'][data-category='{category}']").first.click()
    page.wait_for_selector("#drill:not([hidden])")
    listed = page.eval_on_selector_all(
        "#drill-table tbody tr",
        "trs => trs.map(tr => [tr.children[0].textContent, tr.children[1].getAttribute('data-v')])")
    want = expected_drill(movements_csv, {period}, category)
    check(len(listed) == min(50, len(want)), f"drill {period} {category}: {len(listed)} listed, want {min(50, len(want))}")
    for (cid, amount), (wid, wamount) in zip(listed, want):
        check(cid == wid, f"drill {period} {category}: {cid!r} listed where {wid!r} expected")
        check(money(amount) == wamount.quantize(Decimal("0.01")), f"drill {cid!r}: {amount} != {wamount}")
    total = sum((w[1] for w in want), Decimal(0))
    check(abs(total - money(m[category])) < Decimal("0.01"), f"movement rows of {period} {category} sum to {total}, JSON {m[category]}")
    page.screenshot(path=str(shots / "drill.png"))
    # A customer's months.
    page.locator("#drill-table button.customer-link").first.click()
    page.wait_for_selector("#customer:not([hidden])")
    rows = page.locator("#customer-table tbody tr").count()
    check(rows == len(months), f"customer view shows {rows} months, want {len(months)}")
    page.screenshot(path=str(shots / "customer.png"))
    page.click("#drill-close")
    # A cohort leads to its customers: as many as the cohort's size.
    cohorts = page.eval_on_selector_all(
        "#cohorts-revenue-month tbody tr",
        "trs => trs.filter(tr => tr.children[0].classList.contains('drillable')).map(tr => [tr.children[0].textContent, tr.children[1].getAttribute('data-v')])")
    sized = [c for c in cohorts if c[1] not in ("0", None)]
    if check(bool(sized), "no cohort with customers to drill into"):
        label, size = sized[len(sized) // 2]
        page.locator(f"#cohorts-revenue-month td.drillable:text-is('{label}')").click()
        page.wait_for_selector("#drill:not([hidden])")
        summary = page.inner_text("#drill-summary")
        found = re.search(r"from (\d+) customer", summary)
        check(found is not None and found.group(1) == size,
              f"cohort {label}: drill says {summary!r}, the cohort has {size} customers")
        page.click("#drill-close")


def check_inert(page):
    scripts = page.locator("script").count()
    check(scripts == 2, f"{scripts} script elements (the page has 2)")
    check(page.locator("img").count() == 0, "an <img> element exists")
    on_attrs = page.evaluate(
        "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))")
    check(not on_attrs, f"event-handler attributes exist: {on_attrs}")
    check(page.evaluate("() => window.__pwned === undefined"), "window.__pwned was set")
    body = page.inner_text("body")
    # Segment values, plan names and notes of tests/browser/hostile, shown as text.
    for s in ("<script>alert(4)</script>", "\"><img src=x onerror=alert(5)>",
              "</svg><script>alert(6)</script>", "<script>alert(7)</script> price rise",
              "<b>Pro</b>", "\"><svg onload=alert(3)>"):
        check(s in body, f"hostile text {s!r} is not on the page as text")
    check("\x1b" not in body, "a raw ESC character reached the page text")
    # Drill into every bar: the hostile ids are listed as text, no dialog opens.
    bars = page.locator("#movements-month rect.bar")
    seen = ""
    for i in range(bars.count()):
        if page.locator("#drill:not([hidden])").count():
            page.click("#drill-close")  # the panel floats over the chart's right side
        bars.nth(i).click()
        seen += page.inner_text("#drill")
        links = page.locator("#drill-table button.customer-link")
        for j in range(links.count()):
            links.nth(j).click()
            seen += page.inner_text("#customer")
    check(page.locator("img").count() == 0, "an <img> element appeared after drilling")
    check(page.locator("script").count() == 2, "a script element appeared after drilling")
    check("\x1b" not in seen, "a raw ESC character reached the drill-down")
    check("\\u{1b}" in seen, "the ANSI id is not shown as escaped text in the drill-down")
    check("<script>alert(1)</script>" in seen, "the hostile id is not listed as text")


def screenshots(page, shots):
    page.click("#drill-close") if page.locator("#drill:not([hidden])").count() else None
    for view in ("headline", "movements", "waterfall", "trend", "cohorts", "segments", "reasons",
                 "periods", "definitions"):
        loc = page.locator(f"#{view}")
        if loc.count():
            loc.screenshot(path=str(shots / f"{view}.png"))
    page.locator("[data-switch='movements'] button[data-view='quarter']").click()
    page.locator("#movements").screenshot(path=str(shots / "movements-quarter.png"))
    # It prints: a PDF of the whole page.
    pdf = shots / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    check(pdf.stat().st_size > 10_000, "printing to PDF gave an empty file")


if __name__ == "__main__":
    sys.exit(main())
