#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect duckdb --materialize` at scale (bench/run.sh, issue 13).

usage: sql_duckdb.py SCRIPT.sql LINES.parquet [CHECK_JSON]

Loads the lines `nrr lines` wrote (Parquet) into table `lines`, runs the script (every view a
table, computed once) and prints the row count of every table it made (JSON on stdout) and
each statement's time (stderr). The database is in memory, or in the file NRR_DUCKDB_FILE
(created afresh; DuckDB can then evict table data to disk, for sizes beyond the memory). With CHECK_JSON (the
`nrr report --format json` of the same data and window), also requires the monthly bridge and
every period's NRR and GRR to equal nrr's: closing MRR to the cent (the tables hold exact
counts of 1/720720), ratios exactly as shown (6 places). Exit 1 on a difference.
"""
import json
import os
import sys
import time

import duckdb

from sql_check import BRIDGE, RETENTION, check


def main() -> None:
    script, lines = sys.argv[1], sys.argv[2]
    path = os.environ.get("NRR_DUCKDB_FILE")
    if path:
        for p in [path, path + ".wal"]:
            if os.path.exists(p):
                os.remove(p)
    con = duckdb.connect(path or ":memory:")
    con.execute("CREATE TABLE lines AS SELECT * FROM read_parquet(?)", [lines])
    with open(script) as f:
        text = f.read()
    for stmt in text.split(";\n"):
        if not [l for l in stmt.splitlines() if l.strip() and not l.strip().startswith("--")]:
            continue
        t = time.time()
        con.execute(stmt)
        name = next((w for w in stmt.split() if w.startswith("nrr_")), stmt.split()[0])
        print(f"{time.time() - t:7.2f} s  {name}", file=sys.stderr, flush=True)
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'nrr_%' ORDER BY table_name").fetchall()]
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    print(json.dumps(counts))
    if len(sys.argv) < 4:
        return
    check(sys.argv[3], con.execute(BRIDGE).fetchall(), con.execute(RETENTION).fetchall())

if __name__ == "__main__":
    main()
