#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect duckdb --materialize` at scale (bench/run.sh, issue 13).

usage: sql_duckdb.py SCRIPT.sql LINES.parquet [CHECK_JSON]

Loads the lines `nrr lines` wrote (Parquet) into table `lines`, runs the script (every view a
table, computed once) and prints the row counts of the main tables. With CHECK_JSON (the
`nrr report --format json` of the same data and window), also requires the monthly bridge and
every period's NRR and GRR to equal nrr's: closing MRR to the cent (the tables hold exact
counts of 1/720720), ratios exactly as shown (6 places). Exit 1 on a difference.
"""
import json
import sys

import duckdb

from sql_check import BRIDGE, RETENTION, check


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
    check(sys.argv[3], con.execute(BRIDGE).fetchall(), con.execute(RETENTION).fetchall())

if __name__ == "__main__":
    main()
