#!/usr/bin/env bash
# bench/run.sh [N_CUSTOMERS] — nrr against the DuckDB peer, the floor, CSV vs Parquet, nrr sql on DuckDB, and the
# HTML page and the workbook beside the JSON report.
#
# Generates N customers x 36 months with `nrr generate` (cached in bench/data by size and
# seed), builds nrr in release mode, installs duckdb from PyPI into bench/.venv, checks that
# the peer and nrr agree on every figure (money to 0.01), then times each contender RUNS
# times (default 3), alternating, and records medians and peak RSS in BENCHMARKS.md.
#
# Environment: RUNS (default 3), MONTHS (36), SEED (1), SKIP_PEER=1 to time nrr only (for sizes
# the peer cannot finish), TIMEOUT seconds per run (default 3600).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-3}
MONTHS=${MONTHS:-36}
SEED=${SEED:-1}
TIMEOUT=${TIMEOUT:-3600}
DATA=bench/data/${N}-m${MONTHS}-s${SEED}
OUT=bench/results
mkdir -p "$OUT"
export NO_COLOR=1

echo "== build (release)" >&2
cargo build --release -q -p nrr-cli -p nrr-floor
NRR=target/release/nrr
FLOOR=target/release/nrr-floor

if [ ! -f "$DATA/items.parquet" ]; then
  echo "== generate $N customers x $MONTHS months (seed $SEED) into $DATA" >&2
  rm -rf "$DATA"
  /usr/bin/time -f "%e s, %M KB" "$NRR" generate --customers "$N" --months "$MONTHS" --seed "$SEED" --out "$DATA" --parquet
fi
FROM=2023-01
TO=$(python3 -c "m=2023*12+$MONTHS-1; print(f'{m//12:04d}-{m%12+1:02d}')")
ls -l "$DATA" >&2

if [ "${SKIP_PEER:-0}" != 1 ]; then
  if [ ! -x bench/.venv/bin/python ] || ! bench/.venv/bin/python -c 'import duckdb' 2>/dev/null; then
    echo "== install duckdb into bench/.venv" >&2
    python3 -m venv bench/.venv
    bench/.venv/bin/pip install -q duckdb
  fi
  echo "== correctness: nrr vs peer" >&2
  "$NRR" report "$DATA/items.csv" --from "$FROM" --to "$TO" --format json > "$OUT/nrr-$N.json"
  bench/.venv/bin/python bench/peer.py "$DATA/items.csv" "$FROM" "$TO" > "$OUT/peer-$N.json"
  bench/.venv/bin/python bench/compare.py "$OUT/nrr-$N.json" "$OUT/peer-$N.json"
fi

declare -A CMD
CMD[nrr_csv]="$NRR report $DATA/items.csv --from $FROM --to $TO --format json"
CMD[nrr_parquet]="$NRR report $DATA/items.parquet --from $FROM --to $TO --format json"
CMD[floor]="$FLOOR $DATA/items.csv"
# The documents people look at (issue 11): the same report as one HTML page and as a workbook.
CMD[nrr_html]="$NRR report $DATA/items.csv --from $FROM --to $TO --format html -o $OUT/report-$N.html"
CMD[nrr_xlsx]="$NRR report $DATA/items.csv --from $FROM --to $TO --format xlsx -o $OUT/report-$N.xlsx"
ORDER=(nrr_csv nrr_parquet nrr_html nrr_xlsx floor)
if [ "${SKIP_PEER:-0}" != 1 ]; then
  CMD[peer]="bench/.venv/bin/python bench/peer.py $DATA/items.csv $FROM $TO"
  ORDER+=(peer)
fi
# The warehouse route (issue 13): `nrr lines` once, then the generated SQL (every view a table)
# on DuckDB, checked against nrr's figures once and timed in the first run only (SQL_RUNS, default
# 1: at 1M it takes minutes). SKIP_SQL=1 leaves it out.
ONCE=()
if [ "${SKIP_SQL:-0}" != 1 ] && [ "${SKIP_PEER:-0}" != 1 ]; then
  [ -f "$DATA/lines.parquet" ] || "$NRR" lines "$DATA/items.csv" -o "$DATA/lines.parquet" 2> /dev/null
  "$NRR" sql --dialect duckdb --materialize --from "$FROM" --to "$TO" > "$OUT/nrr-duckdb.sql"
  echo "== correctness: generated SQL on DuckDB vs nrr" >&2
  bench/.venv/bin/python bench/sql_duckdb.py "$OUT/nrr-duckdb.sql" "$DATA/lines.parquet" "$OUT/nrr-$N.json" > /dev/null
  CMD[sql_duckdb]="bench/.venv/bin/python bench/sql_duckdb.py $OUT/nrr-duckdb.sql $DATA/lines.parquet"
  ONCE+=(sql_duckdb)
  # SQL_SPARK=1: the Spark script too, on Spark in local mode (pyspark from PyPI, checked first).
  if [ "${SQL_SPARK:-0}" = 1 ]; then
    "$NRR" sql --dialect spark --materialize --from "$FROM" --to "$TO" > "$OUT/nrr-spark.sql"
    echo "== correctness: generated SQL on Spark (local) vs nrr" >&2
    python3 bench/sql_spark.py "$OUT/nrr-spark.sql" "$DATA/lines.parquet" "$OUT/nrr-$N.json" > /dev/null
    CMD[sql_spark]="python3 bench/sql_spark.py $OUT/nrr-spark.sql $DATA/lines.parquet"
    ONCE+=(sql_spark)
  fi
fi

TIMES="$OUT/times-$N.tsv"
: > "$TIMES"
for run in $(seq 1 "$RUNS"); do
  names=("${ORDER[@]}")
  if [ "$run" -le "${SQL_RUNS:-1}" ]; then names+=("${ONCE[@]}"); fi
  for name in "${names[@]}"; do
    # shellcheck disable=SC2086
    if /usr/bin/time -f "%e %M" -o "$OUT/.time" timeout "$TIMEOUT" ${CMD[$name]} > /dev/null 2> "$OUT/.err"; then
      read -r secs kb < "$OUT/.time"
      printf '%s\t%s\t%s\t%s\n' "$name" "$run" "$secs" "$kb" >> "$TIMES"
      echo "run $run $name: ${secs}s ${kb}KB" >&2
    else
      echo "run $run $name: FAILED (see $OUT/.err)" >&2
      tail -5 "$OUT/.err" >&2
      printf '%s\t%s\tfailed\t0\n' "$name" "$run" >> "$TIMES"
    fi
  done
done

python3 bench/record.py "$N" "$MONTHS" "$TIMES" "$DATA" BENCHMARKS.md
