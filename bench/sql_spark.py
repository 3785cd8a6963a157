#!/usr/bin/env python3
"""The bench's run of `nrr sql --dialect spark --materialize` on Spark in local mode (issue 13).

usage: sql_spark.py SCRIPT.sql LINES.parquet [CHECK_JSON]

One `local[2]` session (driver memory NRR_SPARK_MEMORY, default 12g; ANSI on; shuffle partitions
NRR_SPARK_PARTITIONS, default 8; input split size NRR_SPARK_SPLIT, default Spark's 128m), the
lines as table `lines` from the Parquet `nrr lines` wrote, then each statement of the script in
order (every view a table). Prints each statement's time, shuffle bytes (read and written by the
stages of its jobs, from the Spark UI's REST API) and spill (bytes of sort and aggregation
memory spilled, and what that wrote to disk) on stderr, and every table's row count, the
shuffle and the spill totals as JSON on stdout; with CHECK_JSON
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
    """(stage id and attempt, shuffle bytes read, shuffle bytes written, memory bytes spilled,
    disk bytes spilled) of every completed stage."""
    if not ui:
        return []
    with urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/stages?status=complete") as r:
        return [((s["stageId"], s["attemptId"]), s.get("shuffleReadBytes", 0), s.get("shuffleWriteBytes", 0),
                 s.get("memoryBytesSpilled", 0), s.get("diskBytesSpilled", 0))
                for s in json.load(r)]


def main() -> None:
    script, lines = sys.argv[1], sys.argv[2]
    warehouse = tempfile.mkdtemp(prefix="nrr-spark-")
    spark = (SparkSession.builder.master("local[2]")
             .config("spark.driver.memory", os.environ.get("NRR_SPARK_MEMORY", "12g"))
             .config("spark.sql.ansi.enabled", "true")
             .config("spark.sql.shuffle.partitions", os.environ.get("NRR_SPARK_PARTITIONS", "8"))
             .config("spark.sql.files.maxPartitionBytes", os.environ.get("NRR_SPARK_SPLIT", "128m"))
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
    seen = set(s[0] for s in stages(ui, app))
    shuffle = {}
    spill = {}
    for stmt in statements(open(script).read()):
        t = time.time()
        spark.sql(stmt)
        elapsed = time.time() - t
        name = next((w for w in stmt.split() if w.startswith("nrr_")), stmt.split()[0])
        time.sleep(0.3)  # the listener bus posts the last stages a moment later
        now = stages(ui, app)
        new = [s[1:] for s in now if s[0] not in seen]
        seen.update(s[0] for s in now)
        read, written = sum(n[0] for n in new), sum(n[1] for n in new)
        memory, disk = sum(n[2] for n in new), sum(n[3] for n in new)
        if stmt.lstrip().upper().startswith("CREATE"):
            shuffle[name] = {"read": read, "written": written}
            spill[name] = {"memory": memory, "disk": disk}
        print(f"{elapsed:7.2f} s  {name}  shuffle read {read / 1e6:.1f} MB, written {written / 1e6:.1f} MB, "
              f"spilled {memory / 1e6:.1f} MB ({disk / 1e6:.1f} MB to disk)",
              file=sys.stderr, flush=True)
    tables = [r[1] for r in spark.sql("SHOW TABLES").collect() if r[1].startswith("nrr_")]
    counts = {t: spark.sql(f"SELECT count(*) FROM {t}").collect()[0][0] for t in sorted(tables)}
    print(json.dumps({"rows": counts, "shuffle_bytes": shuffle, "spill_bytes": spill}))
    if len(sys.argv) < 4:
        return
    check(sys.argv[3], [tuple(r) for r in spark.sql(BRIDGE).collect()],
          [tuple(r) for r in spark.sql(RETENTION).collect()])

if __name__ == "__main__":
    main()
