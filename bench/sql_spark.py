#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect spark --materialize` on Spark in local mode (issue 13).

usage: sql_spark.py SCRIPT.sql LINES.parquet [CHECK_JSON]

One `local[2]` session (driver memory NRR_SPARK_MEMORY, default 12g; ANSI on), the lines as table
`lines` from the Parquet `nrr lines` wrote, then each statement of the script in order (every
view a table). Prints each statement's time and shuffle bytes (read and written by the stages
of its jobs, from the Spark UI's REST API) on stderr, and every table's row count and the
shuffle totals as JSON on stdout; with CHECK_JSON
(`nrr report --format json` of the same data and window) requires the monthly closing MRR to the
cent and every period's NRR and GRR to equal nrr's, as bench/sql_duckdb.py does.
"""
import json
import os
import sys
import tempfile
import time
import urllib.request

from pyspark.sql import SparkSession

from sql_check import BRIDGE, RETENTION, check


def statements(script):
    for part in script.split(";\n"):
        if [l for l in part.splitlines() if l.strip() and not l.strip().startswith("--")]:
            yield part


def stages(ui, app):
    """(stage id and attempt, shuffle bytes read, shuffle bytes written) of every completed stage."""
    if not ui:
        return []
    with urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/stages?status=complete") as r:
        return [((s["stageId"], s["attemptId"]), s.get("shuffleReadBytes", 0), s.get("shuffleWriteBytes", 0))
                for s in json.load(r)]


def main() -> None:
    script, lines = sys.argv[1], sys.argv[2]
    warehouse = tempfile.mkdtemp(prefix="nrr-spark-")
    spark = (SparkSession.builder.master("local[2]")
             .config("spark.driver.memory", os.environ.get("NRR_SPARK_MEMORY", "12g"))
             .config("spark.sql.ansi.enabled", "true")
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.ui.enabled", "true")
             .config("spark.ui.port", os.environ.get("NRR_SPARK_UI_PORT", "4040"))
             .config("spark.ui.retainedStages", "100000")
             .config("spark.ui.retainedJobs", "100000")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.local.dir", warehouse)
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.time()
    spark.read.parquet(lines).write.saveAsTable("lines")
    print(f"{time.time() - started:7.2f} s  lines", file=sys.stderr, flush=True)
    ui = spark.sparkContext.uiWebUrl
    app = spark.sparkContext.applicationId
    seen = set(s for s, _, _ in stages(ui, app))
    shuffle = {}
    for stmt in statements(open(script).read()):
        t = time.time()
        spark.sql(stmt)
        elapsed = time.time() - t
        name = next((w for w in stmt.split() if w.startswith("nrr_")), stmt.split()[0])
        time.sleep(0.3)  # the listener bus posts the last stages a moment later
        new = [(r, w) for s, r, w in stages(ui, app) if s not in seen]
        seen.update(s for s, _, _ in stages(ui, app))
        read, written = sum(r for r, _ in new), sum(w for _, w in new)
        if stmt.lstrip().upper().startswith("CREATE"):
            shuffle[name] = {"read": read, "written": written}
        print(f"{elapsed:7.2f} s  {name}  shuffle read {read / 1e6:.1f} MB, written {written / 1e6:.1f} MB",
              file=sys.stderr, flush=True)
    tables = [r[1] for r in spark.sql("SHOW TABLES").collect() if r[1].startswith("nrr_")]
    counts = {t: spark.sql(f"SELECT count(*) FROM {t}").collect()[0][0] for t in sorted(tables)}
    print(json.dumps({"rows": counts, "shuffle_bytes": shuffle}))
    if len(sys.argv) < 4:
        return
    check(sys.argv[3], [tuple(r) for r in spark.sql(BRIDGE).collect()],
          [tuple(r) for r in spark.sql(RETENTION).collect()])

if __name__ == "__main__":
    main()
