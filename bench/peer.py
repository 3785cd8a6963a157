#!/usr/bin/env python3
"""Run the DuckDB peer (peer.sql) and print its figures as JSON shaped like `nrr report`.

usage: peer.py ITEMS_CSV FROM_MONTH TO_MONTH   (months as YYYY-MM)
"""
import decimal
import json
import pathlib
import sys

import duckdb


def main() -> None:
    items, from_m, to_m = sys.argv[1], sys.argv[2], sys.argv[3]
    sql = (pathlib.Path(__file__).parent / "peer.sql").read_text()
    for key, value in {"{items}": items, "{from_month}": from_m + "-01", "{to_month}": to_m + "-01"}.items():
        sql = sql.replace(key, value)
    con = duckdb.connect()
    con.execute(sql)
    bad = con.execute("SELECT count(*) FROM items WHERE 720720 % coalesce(interval_months, 1) <> 0").fetchone()[0]
    if bad:
        sys.exit(f"peer: {bad} rows have an interval_months that does not divide 720720")

    def rows(query):
        cur = con.execute(query)
        cols = [d[0] for d in cur.description]
        # Money comes back as DECIMAL counts of 1/720720; ratios and counts as they are.
        unit = decimal.Decimal(720720)
        return [{c: (v / unit if isinstance(v, decimal.Decimal) else v) for c, v in zip(cols, r)}
                for r in cur.fetchall()]

    months = rows("SELECT strftime(month, '%Y-%m') AS month, * EXCLUDE (month) FROM months ORDER BY month")
    ret = rows("SELECT * FROM retention ORDER BY granularity, period")
    out = {"months": months, "periods": [r for r in ret if r["granularity"] != "ttm"],
           "ttm": [r for r in ret if r["granularity"] == "ttm"]}
    json.dump(out, sys.stdout, default=str)


if __name__ == "__main__":
    main()
