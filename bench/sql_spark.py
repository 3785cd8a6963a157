#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect spark --materialize` on Spark in local mode (issue 13).

usage: sql_spark.py SCRIPT.sql LINES.parquet [CHECK_JSON]

One `local[2]` session (driver memory NRR_SPARK_MEMORY, default 12g; ANSI on), the lines as table
`lines` from the Parquet `nrr lines` wrote, then each statement of the script in order (every
view a table). Prints each statement's time and the main tables' row counts; with CHECK_JSON
(`nrr report --format json` of the same data and window) requires the monthly closing MRR to the
cent and every period's NRR and GRR to equal nrr's, as bench/sql_duckdb.py does.
"""
import json
import os
import sys
import tempfile
import time

from pyspark.sql import SparkSession

from sql_check import BRIDGE, RETENTION, check


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
    check(sys.argv[3], [tuple(r) for r in spark.sql(BRIDGE).collect()],
          [tuple(r) for r in spark.sql(RETENTION).collect()])

if __name__ == "__main__":
    main()
