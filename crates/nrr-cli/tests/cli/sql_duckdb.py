#!/usr/bin/env python3
"""Runs `nrr sql --dialect duckdb` on DuckDB for the differential test (tests/cli/sql.rs).

usage: sql_duckdb.py [--errors] SCRIPT.sql LINES.csv FX.csv|- CUSTOMERS.csv|- VIEW...

Loads the lines (typed as `nrr lines` writes them), fx.csv (one row per currency and date:
the last of the file wins, as nrr reads it) and customers.csv (text) into tables `lines`,
`fx` and `customers`, runs the script, and prints every view named as JSON: {view: [row,
...]}, each value as text (DECIMAL exactly as DuckDB prints it), NULL as null. With --errors
(a script expected to stop): {"script": null or the error the script stopped with, "views":
{view: null when it was read, or the error reading it stopped with}}.
"""
import csv
import decimal
import json
import sys

import duckdb

LINES = {
    "customer_id": "VARCHAR", "subscription_id": "VARCHAR", "product": "VARCHAR",
    "plan": "VARCHAR", "quantity": "BIGINT", "amount": "DECIMAL(18,6)", "currency": "VARCHAR",
    "interval_months": "INTEGER", "start_date": "DATE", "end_date": "DATE", "kind": "VARCHAR",
}


def main() -> None:
    args = sys.argv[1:]
    errors = args[0] == "--errors"
    if errors:
        args = args[1:]
    script, lines, fx, customers, views = args[0], args[1], args[2], args[3], args[4:]
    con = duckdb.connect()
    con.execute(f"CREATE TABLE lines AS SELECT * FROM read_csv(?, header = true, columns = {LINES!r})", [lines])
    if fx != "-":
        last = {}
        with open(fx, newline="") as f:
            for row in csv.DictReader(f):
                last[(row["currency"].strip(), row["date"].strip())] = row["rate"].strip()
        con.execute("CREATE TABLE fx (date DATE, currency VARCHAR, rate DECIMAL(20,10))")
        con.executemany("INSERT INTO fx VALUES (?, ?, ?)", [[d, c, r] for (c, d), r in last.items()])
    if customers != "-":
        con.execute("CREATE TABLE customers AS SELECT * FROM read_csv(?, header = true, all_varchar = true)", [customers])
    with open(script) as f:
        text = f.read()
    if errors:
        report = {"script": None, "views": {}}
        try:
            con.execute(text)
        except duckdb.Error as e:
            report["script"] = str(e)
        for v in views:
            try:
                con.execute(f"SELECT * FROM {v}").fetchall()
                report["views"][v] = None
            except duckdb.Error as e:
                report["views"][v] = str(e)
        json.dump(report, sys.stdout)
        return
    con.execute(text)
    out = {}
    for v in views:
        cur = con.execute(f"SELECT * FROM {v}")
        cols = [d[0] for d in cur.description]
        out[v] = [{c: (None if x is None else format(x, 'f') if isinstance(x, decimal.Decimal) else str(x)) for c, x in zip(cols, r)} for r in cur.fetchall()]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
