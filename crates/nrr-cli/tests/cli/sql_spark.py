#!/usr/bin/env python3
"""Runs `nrr sql --dialect spark` on Spark in local mode for the differential test (tests/cli/sql.rs).

usage: sql_spark.py CASES.json

CASES.json is a list of cases, all run in one SparkSession (one JVM start): {"script":
SCRIPT.sql, "lines": LINES.csv, "fx": FX.csv or null, "customers": CUSTOMERS.csv or null,
"views": [VIEW, ...], "out": OUT.json}. Each case gets a database of its own holding the tables
`lines` (typed as `nrr lines` writes them), `fx` (one row per currency and date: the last of
the file wins, as nrr reads it) and `customers` (text); the script's statements run one by one
(split at `;` ending a line, as `spark-sql -f` does) and every view named is written to OUT.json
as {view: [row, ...]}, each value as text (DECIMAL exactly as Spark holds it), NULL as null.
Each case prints its time to stderr; with NRR_SPARK_TIMES=1 each statement's too. A case with
"errors": true is a script expected to stop: OUT.json is then {"script": null or the error the
first failing statement stopped with (the rest are not run), "views": {view: null when it was
read, or the error reading it stopped with}}.

The session is `local[2]` with ANSI mode on (a DECIMAL overflow is an error, not a NULL).
"""
import csv
import decimal
import json
import os
import shutil
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.sql.types import (DateType, DecimalType, IntegerType, LongType, StringType, StructField,
                               StructType)

LINES = StructType([
    StructField("customer_id", StringType()), StructField("subscription_id", StringType()),
    StructField("product", StringType()), StructField("plan", StringType()),
    StructField("quantity", LongType()), StructField("amount", DecimalType(18, 6)),
    StructField("currency", StringType()), StructField("interval_months", IntegerType()),
    StructField("start_date", DateType()), StructField("end_date", DateType()),
    StructField("kind", StringType()),
])
FX = StructType([
    StructField("date", StringType()), StructField("currency", StringType()),
    StructField("rate", StringType()),
])


def statements(script: str):
    """The statements of `script`: split at `;` ending a line, comment-only parts dropped."""
    for part in script.split(";\n"):
        code = [l for l in part.splitlines() if l.strip() and not l.strip().startswith("--")]
        if code:
            yield part


def text(x):
    if x is None:
        return None
    if isinstance(x, decimal.Decimal):
        return format(x, "f")
    return str(x)


def run(spark, n: int, case: dict) -> None:
    started = time.time()
    db = f"nrr_case_{n}"
    spark.sql(f"DROP DATABASE IF EXISTS {db} CASCADE")
    spark.sql(f"CREATE DATABASE {db}")
    spark.sql(f"USE {db}")
    spark.read.csv(case["lines"], header=True, schema=LINES).write.saveAsTable("lines")
    if case.get("fx"):
        last = {}
        with open(case["fx"], newline="") as f:
            for row in csv.DictReader(f):
                last[(row["currency"].strip(), row["date"].strip())] = row["rate"].strip()
        rows = [(d, c, r) for (c, d), r in last.items()]
        spark.createDataFrame(rows, FX).createOrReplaceTempView("fx_text")
        spark.sql("CREATE TABLE fx AS SELECT CAST(date AS DATE) AS date, currency, "
                  "CAST(rate AS DECIMAL(20, 10)) AS rate FROM fx_text")
    if case.get("customers"):
        spark.read.csv(case["customers"], header=True).write.saveAsTable("customers")
    with open(case["script"]) as f:
        stmts = list(statements(f.read()))
    if case.get("errors"):
        report = {"script": None, "views": {}}
        try:
            for stmt in stmts:
                spark.sql(stmt)
        except Exception as e:  # pyspark's errors have no common base besides Exception
            report["script"] = str(e)
        for v in case["views"]:
            try:
                spark.table(v).collect()
                report["views"][v] = None
            except Exception as e:
                report["views"][v] = str(e)
        with open(case["out"], "w") as f:
            json.dump(report, f)
        print(f"spark: {case['script']}: {time.time() - started:.1f} s", file=sys.stderr)
        return
    for stmt in stmts:
        t = time.time()
        spark.sql(stmt)
        if os.environ.get("NRR_SPARK_TIMES"):
            print(f"  {time.time() - t:5.2f} s {[l for l in stmt.splitlines() if l and not l.startswith('--')][0][:60]}", file=sys.stderr)
    out = {}
    for v in case["views"]:
        df = spark.table(v)
        out[v] = [{c: text(x) for c, x in zip(df.columns, r)} for r in df.collect()]
    with open(case["out"], "w") as f:
        json.dump(out, f)
    print(f"spark: {case['script']}: {time.time() - started:.1f} s", file=sys.stderr)


def main() -> None:
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    warehouse = tempfile.mkdtemp(prefix="nrr-spark-warehouse-")
    spark = (SparkSession.builder.master("local[2]").appName("nrr-sql-test")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "4")
             .config("spark.sql.ansi.enabled", "true")
             .config("spark.sql.warehouse.dir", warehouse)
             .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for n, case in enumerate(cases):
            run(spark, n, case)
    finally:
        spark.stop()
        shutil.rmtree(warehouse, ignore_errors=True)


if __name__ == "__main__":
    main()
