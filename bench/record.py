#!/usr/bin/env python3
"""Summarise a bench/run.sh timing file (medians, peak RSS, ratios) into BENCHMARKS.md.

usage: record.py N MONTHS TIMES_TSV DATA_DIR BENCHMARKS_MD
The section for N customers is replaced between its markers; other sections are kept.
"""
import datetime
import os
import statistics
import subprocess
import sys

n, months, times, data, md = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
runs = {}
for line in open(times):
    name, _, secs, kb = line.rstrip("\n").split("\t")
    runs.setdefault(name, []).append(None if secs == "failed" else (float(secs), int(kb)))

LABEL = {
    "nrr_csv": "nrr report (items.csv)",
    "nrr_parquet": "nrr report (items.parquet)",
    "peer": "DuckDB peer (SQL on items.csv)",
    "floor": "floor: parse items.csv into typed columns",
    "nrr_html": "nrr report --format html (items.csv)",
    "nrr_xlsx": "nrr report --format xlsx (items.csv)",
    "sql_duckdb": "`nrr sql --dialect duckdb --materialize` on DuckDB (lines.parquet)",
    "sql_spark": "`nrr sql --dialect spark --materialize` on Spark local[2] (lines.parquet)",
}
med = {}
rows = []
for name in ["nrr_csv", "nrr_parquet", "nrr_html", "nrr_xlsx", "peer", "sql_duckdb", "sql_spark", "floor"]:
    if name not in runs:
        continue
    ok = [r for r in runs[name] if r]
    if not ok:
        rows.append(f"| {LABEL[name]} | failed | | |")
        continue
    t = statistics.median(r[0] for r in ok)
    rss = max(r[1] for r in ok) / 1024
    med[name] = t
    # /usr/bin/time sees the Python driver of Spark, not its JVM.
    rss_text = "JVM not measured" if name == "sql_spark" else f"{rss:,.0f} MB"
    rows.append(f"| {LABEL[name]} | {t:.2f} s | {rss_text} | {len(ok)} |")

lines_in = sum(1 for _ in open(os.path.join(data, "items.csv"))) - 1
size = os.path.getsize(os.path.join(data, "items.csv")) / 1e6
ratios = []
if "peer" in med and "nrr_csv" in med:
    ratios.append(f"peer / nrr (CSV): **{med['peer'] / med['nrr_csv']:.1f}x**")
if "nrr_csv" in med and "floor" in med:
    ratios.append(f"nrr / floor: **{med['nrr_csv'] / med['floor']:.2f}x**")
if "nrr_csv" in med and "nrr_parquet" in med:
    ratios.append(f"Parquet / CSV time: {med['nrr_parquet'] / med['nrr_csv']:.2f}x")
for doc in ("html", "xlsx"):
    if "nrr_csv" in med and f"nrr_{doc}" in med:
        ratios.append(f"{doc.upper()} / JSON time: {med[f'nrr_{doc}'] / med['nrr_csv']:.2f}x")
if "sql_duckdb" in med and "nrr_parquet" in med:
    ratios.append(f"generated SQL on DuckDB / nrr (Parquet): {med['sql_duckdb'] / med['nrr_parquet']:.0f}x")
try:
    duck = subprocess.run(["bench/.venv/bin/python", "-c", "import duckdb; print(duckdb.__version__)"],
                          capture_output=True, text=True).stdout.strip()
except OSError:
    duck = ""
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
section = "\n".join([
    f"<!-- bench:{n} start -->",
    f"### {int(n):,} customers x {months} months ({lines_in:,} lines, items.csv {size:,.0f} MB)",
    "",
    f"Measured {datetime.date.today()} on {os.cpu_count()} cores, commit {commit}"
    + (f", DuckDB {duck}" if duck else "") + f"; median of {max(len(v) for v in runs.values())} alternating runs.",
    "",
    "| contender | median wall time | peak RSS | runs |",
    "|---|---|---|---|",
    *rows,
    "",
    "; ".join(ratios) + ("." if ratios else ""),
    f"<!-- bench:{n} end -->",
])
text = open(md).read() if os.path.exists(md) else "# Benchmarks\n\n<!-- results -->\n"
start, end = f"<!-- bench:{n} start -->", f"<!-- bench:{n} end -->"
if start in text:
    text = text[:text.index(start)] + section + text[text.index(end) + len(end):]
else:
    text = text.replace("<!-- results -->", section + "\n\n<!-- results -->")

# The scaling table: every size measured so far (from bench/results/times-*.tsv).
results_dir = os.path.dirname(times)
scale_rows = []
for fname in sorted(os.listdir(results_dir)):
    if not (fname.startswith("times-") and fname.endswith(".tsv")):
        continue
    size = int(fname[len("times-"):-len(".tsv")])
    med_n = {}
    for line in open(os.path.join(results_dir, fname)):
        name, _, secs, kb = line.rstrip("\n").split("\t")
        if secs != "failed":
            med_n.setdefault(name, []).append((float(secs), int(kb)))
    def cell(name):
        if name not in med_n:
            return "not run"
        t = statistics.median(v[0] for v in med_n[name])
        rss = max(v[1] for v in med_n[name]) / 1024
        return f"{t:.2f} s / {rss:,.0f} MB"
    per_m = ""
    if "nrr_csv" in med_n:
        per_m = f"{statistics.median(v[0] for v in med_n['nrr_csv']) / size * 1e6:.2f} s"
    scale_rows.append(f"| {size:,} | {cell('nrr_csv')} | {cell('nrr_parquet')} | {cell('peer')} | {cell('floor')} | {per_m} |")
scaling = "\n".join([
    "<!-- scaling start -->",
    "| customers | nrr (CSV) | nrr (Parquet) | DuckDB peer | floor | nrr per million customers |",
    "|---|---|---|---|---|---|",
    *sorted(scale_rows, key=lambda r: int(r.split("|")[1].replace(",", ""))),
    "<!-- scaling end -->",
])
if "<!-- scaling start -->" in text:
    text = text[:text.index("<!-- scaling start -->")] + scaling + text[text.index("<!-- scaling end -->") + len("<!-- scaling end -->"):]
elif "<!-- scaling -->" in text:
    text = text.replace("<!-- scaling -->", scaling)
open(md, "w").write(text)
print(section)
