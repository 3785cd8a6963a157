#!/usr/bin/env python3
"""Byte-identical outputs before and after a change (issue 10).

Runs two `nrr` binaries over the same cases and compares exit code, stdout and stderr byte for
byte. The cases:

- every folder of tests/fixtures (with its args.txt; the policy twins are folders of their own),
  through every command: report, movements, cohorts (revenue and logos, by month and quarter),
  explain (the first three customers), compare (two preset pairs) and check; report and
  cohorts in each of table, json and csv, check, explain and compare in table and json; report again under each of the six
  presets and under a set of policy flags;
- generated data at 5,000 customers, with and without --currencies, each with and without
  --segment (report, cohorts, check, movements, explain, compare);
- `nrr generate` itself: the files both binaries write are compared byte for byte.

The CLI transcripts of rejections and the hostile catalogue are pinned by the insta snapshots
of `cargo test` (crates/nrr-cli/tests/cli/snapshots); error wordings changed on purpose show there.

Usage:
    bench/identical.py --before OLD_NRR --after NEW_NRR
    bench/identical.py --base-ref e998392          # builds that commit's nrr (debug) first,
                                                   # and this tree's nrr
Exit code 0 when every case is identical, 1 otherwise (the differing cases are listed).
"""

import argparse
import concurrent.futures as cf
import csv
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PRESETS = ["chartmogul", "profitwell", "baremetrics", "stripe", "maxio", "dbt"]
# Policy flags run over every fixture (items and mrr sources ignore the invoice policies, and
# say so or refuse: either way both binaries must agree).
POLICY_FLAGS = [
    ["--reactivation", "as-expansion"],
    ["--reactivation", "window:2"],
    ["--churn-recognition", "at-cancellation"],
    ["--discounts", "none"],
    ["--past-due", "churn"],
    ["--pauses", "zero"],
    ["--full-refunds", "end-service"],
    ["--snapshot-date", "open"],
]
FORMATS = ["table", "json", "csv"]
ENV = dict(os.environ, NO_COLOR="1", COLUMNS="120", TZ="UTC")


def fixture_args(folder):
    p = folder / "args.txt"
    return p.read_text().split() if p.exists() else []


def window_only(args):
    """The window and data flags of args.txt that every command takes."""
    out, it = [], iter(args)
    for a in it:
        if a in ("--segment", "--gross-margin", "--concentration", "--top", "--sections"):
            next(it, None)
        elif a == "--usage":
            continue
        else:
            out.append(a)
    return out


def without(args, *flags):
    """args without the given flags (each with its value)."""
    out, it = [], iter(args)
    for a in it:
        if a in flags:
            next(it, None)
        else:
            out.append(a)
    return out


def customers_of(data_dir, nrr=None, args=()):
    """Up to three customer ids: the first of `nrr movements` when it runs, else read from
    whatever revenue file the folder holds."""
    ids = []
    if nrr:
        r = subprocess.run([nrr, "movements", str(data_dir), *args], capture_output=True, env=ENV)
        if r.returncode == 0:
            for row in csv.DictReader(r.stdout.decode().splitlines()):
                if row["customer_id"] not in ids:
                    ids.append(row["customer_id"])
                if len(ids) >= 3:
                    return ids
    for name in ("items.csv", "mrr.csv", "invoices.csv", "subscription_snapshots.csv"):
        p = data_dir / name
        if p.exists():
            with p.open(newline="") as f:
                for row in csv.DictReader(f):
                    cid = row.get("customer_id")
                    if cid and cid not in ids:
                        ids.append(cid)
                    if len(ids) >= 3:
                        return ids
    if not ids:
        ids = ["cus_A"]
    return ids


def fixture_cases(folder, nrr=None):
    name = folder.name
    args = fixture_args(folder)
    base = window_only(args)
    d = str(folder)
    cases = []
    for fmt in FORMATS:
        cases.append((f"{name}/report/{fmt}", ["report", d, *args, "--format", fmt]))
        if fmt != "csv":
            cases.append((f"{name}/check/{fmt}", ["check", d, *check_args(base), "--format", fmt]))
        for metric in ("revenue", "logos"):
            for by in ("month", "quarter"):
                cases.append(
                    (
                        f"{name}/cohorts/{metric}/{by}/{fmt}",
                        ["cohorts", d, *base, "--metric", metric, "--by", by, "--format", fmt],
                    )
                )
        for cid in customers_of(folder, nrr, base) if fmt != "csv" else []:
            cases.append(
                (
                    f"{name}/explain/{cid}/{fmt}",
                    ["explain", d, *check_args(base), "--customer", cid, "--format", fmt],
                )
            )
        for a, b in (("chartmogul", "stripe"), ("baremetrics", "dbt")) if fmt != "csv" else ():
            cases.append(
                (
                    f"{name}/compare/{a}-{b}/{fmt}",
                    ["compare", d, *without(base, "--as-of", "--preset"), "--preset", a, "--preset", b]
                    + ["--format", fmt],
                )
            )
    cases.append((f"{name}/movements", ["movements", d, *base]))
    for p in PRESETS:
        pargs = without(args, "--preset")
        cases.append((f"{name}/report/preset-{p}", ["report", d, *pargs, "--preset", p, "--format", "json"]))
    for flags in POLICY_FLAGS:
        if flags[0] in args:
            continue
        tag = "".join(flags).replace("--", "-")
        cases.append((f"{name}/report/{tag}", ["report", d, *args, *flags, "--format", "json"]))
        cases.append((f"{name}/report/{tag}/table", ["report", d, *args, *flags]))
    return cases


def check_args(base):
    """check and explain take no window: drop --from, --to and --fiscal-year-start."""
    out, it = [], iter(base)
    for a in it:
        if a in ("--from", "--to", "--fiscal-year-start"):
            next(it, None)
        else:
            out.append(a)
    return out


def generated_cases(nrr, work):
    cases = []
    for currencies in (False, True):
        tag = "gen5k" + ("-fx" if currencies else "")
        out = work / tag
        cmd = [nrr, "generate", "--customers", "5000", "--months", "24", "--seed", "7", "--out", str(out)]
        if currencies:
            cmd.append("--currencies")
        subprocess.run(cmd, check=True, capture_output=True, env=ENV)
        d = str(out)
        cur = ["--currency", "USD"] if currencies else []
        if currencies:
            # Without --currency: the several-currencies error.
            cases.append((f"{tag}/report/no-currency", ["report", d]))
        for seg in ([], ["--segment", "segment"], ["--segment", "plan_tier"]):
            stag = "-".join(seg[1:]) or "all"
            for fmt in FORMATS:
                cases.append((f"{tag}/report/{stag}/{fmt}", ["report", d, *cur, *seg, "--format", fmt]))
            cases.append((f"{tag}/movements/{stag}", ["movements", d, *cur, *seg]))
        for fmt in FORMATS:
            cases.append((f"{tag}/cohorts/{fmt}", ["cohorts", d, *cur, "--format", fmt]))
        for fmt in ("table", "json"):
            cases.append((f"{tag}/check/{fmt}", ["check", d, *cur, "--format", fmt]))
            for cid in customers_of(out, nrr, cur):
                cases.append((f"{tag}/explain/{cid}/{fmt}", ["explain", d, *cur, "--customer", cid, "--format", fmt]))
            cases.append(
                (f"{tag}/compare/{fmt}", ["compare", d, *cur, "--preset", "chartmogul", "--preset", "dbt", "--format", fmt])
            )
        for p in PRESETS:
            cases.append((f"{tag}/report/preset-{p}", ["report", d, *cur, "--preset", p, "--format", "json"]))
    return cases


def same_generate(before, after, work):
    """`nrr generate` writes the same bytes with both binaries (5,000 customers, with and
    without --currencies, with Parquet): the names of the files that differ."""
    differ = []
    for extra in ([], ["--currencies", "--parquet"]):
        outs = []
        for tag, nrr in (("before", before), ("after", after)):
            out = work / f"generate-{tag}{''.join(extra)}"
            cmd = [nrr, "generate", "--customers", "5000", "--months", "24", "--seed", "11"]
            subprocess.run([*cmd, "--out", str(out), *extra], check=True, capture_output=True, env=ENV)
            outs.append(out)
        for f in sorted(p.name for p in outs[0].iterdir()):
            if (outs[0] / f).read_bytes() != (outs[1] / f).read_bytes():
                differ.append(f"{f} ({' '.join(extra) or 'plain'})")
    return differ


def run(nrr, argv):
    r = subprocess.run([nrr, *argv], capture_output=True, env=ENV, timeout=600)
    return r.returncode, r.stdout, r.stderr


def compare_case(before, after, case):
    name, argv = case
    a = run(before, argv)
    b = run(after, argv)
    return name, argv, a, b


def show_diff(label, x, y):
    xs = x.decode("utf-8", "replace").splitlines()
    ys = y.decode("utf-8", "replace").splitlines()
    lines = list(difflib.unified_diff(xs, ys, f"before {label}", f"after {label}", lineterm="", n=1))
    return "\n".join(lines[:40])


def build_base(ref, work):
    tree = work / "base-tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True)
    try:
        target = Path(os.environ.get("NRR_BASE_TARGET", work / "base-target"))
        subprocess.run(
            ["cargo", "build", "-q", "-p", "nrr-cli", "--bin", "nrr", "--target-dir", str(target)],
            cwd=tree,
            check=True,
        )
        # Named `nrr` like the other: clap prints the binary's name in usage errors.
        (work / "base-bin").mkdir(exist_ok=True)
        out = work / "base-bin" / "nrr"
        shutil.copy(target / "debug" / "nrr", out)
        return str(out)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", help="the nrr binary before the change")
    ap.add_argument("--after", help="the nrr binary after it (default: this tree's, built in debug)")
    ap.add_argument("--base-ref", help="build the `before` binary from this git ref")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--only", help="run only cases whose name contains this text")
    ap.add_argument("--skip-generated", action="store_true", help="fixtures only")
    opts = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="nrr-identical-"))
    try:
        before = opts.before or (opts.base_ref and build_base(opts.base_ref, work))
        if not before:
            ap.error("give --before or --base-ref")
        after = opts.after
        if not after:
            subprocess.run(["cargo", "build", "-q", "-p", "nrr-cli", "--bin", "nrr"], cwd=ROOT, check=True)
            after = str(ROOT / "target" / "debug" / "nrr")

        cases = []
        for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
            cases.extend(fixture_cases(folder, before))
        generate_differs = []
        if not opts.skip_generated:
            cases.extend(generated_cases(after, work))
            generate_differs = same_generate(before, after, work)
        if opts.only:
            cases = [c for c in cases if opts.only in c[0]]

        differ = []
        exits = {}
        with cf.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
            for name, argv, a, b in pool.map(lambda c: compare_case(before, after, c), cases):
                exits[a[0]] = exits.get(a[0], 0) + 1
                if a != b:
                    differ.append((name, argv, a, b))

        for name, argv, a, b in differ:
            print(f"DIFFERS {name}: nrr {' '.join(argv)}")
            if a[0] != b[0]:
                print(f"  exit {a[0]} -> {b[0]}")
            if a[1] != b[1]:
                print(show_diff("stdout", a[1], b[1]))
            if a[2] != b[2]:
                print(show_diff("stderr", a[2], b[2]))
        for name in generate_differs:
            print(f"DIFFERS nrr generate: {name}")
            differ.append(name)
        by_exit = ", ".join(f"exit {k}: {v}" for k, v in sorted(exits.items()))
        print(f"{len(cases)} cases ({by_exit}); {len(cases) - len(differ)} identical, {len(differ)} differ")
        return 1 if differ else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
