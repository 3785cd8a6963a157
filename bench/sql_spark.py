#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect spark --materialize` on Spark in local mode (issue 13).

usage: sql_spark.py SCRIPT.sql LINES.parquet [CHECK_JSON]

One `local[2]` session (driver memory NRR_SPARK_MEMORY, default 12g; ANSI on), the lines as table
`lines` from the Parquet `nrr lines` wrote, then each statement of the script in order (every
view a table). Prints each statement's time and the main tables' row counts; with CHECK_JSON
(`nrr report --format json` of the same data and window) requires the monthly closing MRR to the
cent and every period's NRR and GRR to equal nrr's, as bench/sql_duckdb.py does.
"""
import decimal
import json
import os
import sys
import tempfile
import time

from pyspark.sql import SparkSession

UNITS = decimal.Decimal(720720)


def statements(script):
    for part in script.split(";\n"):
        if [l for l in part.splitlines() if l.strip() and not l.strip().startswith("--")]:
            yield part


def main() -> None:
    script, lines = sys.argv[1], sys.argv[2]
    warehouse = tempfile.mkdtemp(prefix="nrr-spark-")
    spark = (SparkSession.builder.master("local[2]")
             .config("spark.driver.memory", os.environ.get("NRR_SPARK_MEMORY", "12g"))
             .config("spark.sql.ansi.enabled", "true")
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.local.dir", warehouse)
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.time()
    spark.read.parquet(lines).write.saveAsTable("lines")
    print(f"{time.time() - started:7.2f} s  lines", file=sys.stderr, flush=True)
    for stmt in statements(open(script).read()):
        t = time.time()
        spark.sql(stmt)
        name = next((w for w in stmt.split() if w.startswith("nrr_")), stmt.split()[0])
        print(f"{time.time() - t:7.2f} s  {name}", file=sys.stderr, flush=True)
    counts = {t: spark.sql(f"SELECT count(*) FROM {t}").collect()[0][0]
              for t in ["nrr_customer_month", "nrr_movements", "nrr_bridge", "nrr_retention"]}
    print(json.dumps(counts))
    if len(sys.argv) < 4:
        return
    report = json.load(open(sys.argv[3]))
    bad = []
    bridge = {r["month"]: r["closing_mrr"] for r in spark.sql("SELECT month, closing_mrr FROM nrr_bridge").collect()}
    for row in report["months"]:
        got = (decimal.Decimal(bridge[row["month"]]) / UNITS).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN)
        if got != decimal.Decimal(row["closing_mrr"]):
            bad.append(f"{row['month']} closing_mrr: sql {got}, nrr {row['closing_mrr']}")
    retention = {r["period"]: (r["nrr"], r["grr"]) for r in spark.sql(
        "SELECT period, nrr, grr FROM nrr_retention WHERE granularity <> 'ttm'").collect()}
    for row in report["periods"]:
        for name, got in zip(["nrr", "grr"], retention[row["period"]]):
            want = row[name]
            if (got is None) != (want is None) or (want is not None and decimal.Decimal(str(got)) != decimal.Decimal(str(want))):
                bad.append(f"{row['period']} {name}: sql {got}, nrr {want}")
    if bad:
        print("\n".join(bad[:20]), file=sys.stderr)
        sys.exit(1)
    print(f"equal: {len(report['months'])} months, {len(report['periods'])} periods", file=sys.stderr)


if __name__ == "__main__":
    main()
