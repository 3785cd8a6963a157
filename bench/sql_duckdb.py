#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect duckdb --materialize` at scale (bench/run.sh, issue 13).

usage: sql_duckdb.py SCRIPT.sql LINES.parquet [CHECK_JSON]

Loads the lines `nrr lines` wrote (Parquet) into table `lines`, runs the script (every view a
table, computed once) and prints the row counts of the main tables. With CHECK_JSON (the
`nrr report --format json` of the same data and window), also requires the monthly bridge and
every period's NRR and GRR to equal nrr's: closing MRR to the cent (the tables hold exact
counts of 1/720720), ratios exactly as shown (6 places). Exit 1 on a difference.
"""
import decimal
import json
import sys

import duckdb

UNITS = decimal.Decimal(720720)


def cents(units) -> decimal.Decimal:
    return (decimal.Decimal(units) / UNITS).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN)


def main() -> None:
    script, lines = sys.argv[1], sys.argv[2]
    con = duckdb.connect()
    con.execute("CREATE TABLE lines AS SELECT * FROM read_parquet(?)", [lines])
    with open(script) as f:
        con.execute(f.read())
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ["nrr_customer_month", "nrr_movements", "nrr_bridge", "nrr_retention"]}
    print(json.dumps(counts))
    if len(sys.argv) < 4:
        return
    report = json.load(open(sys.argv[3]))
    bad = []
    bridge = {m: c for m, c in con.execute("SELECT month, closing_mrr FROM nrr_bridge").fetchall()}
    for row in report["months"]:
        got = cents(bridge[row["month"]])
        if got != decimal.Decimal(row["closing_mrr"]):
            bad.append(f"{row['month']} closing_mrr: sql {got}, nrr {row['closing_mrr']}")
    retention = {p: (n, g) for p, n, g in con.execute(
        "SELECT period, nrr, grr FROM nrr_retention WHERE granularity <> 'ttm'").fetchall()}
    for row in report["periods"]:
        n, g = retention[row["period"]]
        for name, got in [("nrr", n), ("grr", g)]:
            want = row[name]
            if (got is None) != (want is None) or (want is not None and decimal.Decimal(str(got)) != decimal.Decimal(str(want))):
                bad.append(f"{row['period']} {name}: sql {got}, nrr {want}")
    if bad:
        print("\n".join(bad[:20]), file=sys.stderr)
        sys.exit(1)
    print(f"equal: {len(report['months'])} months, {len(report['periods'])} periods", file=sys.stderr)


if __name__ == "__main__":
    main()
