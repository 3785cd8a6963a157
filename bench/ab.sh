#!/usr/bin/env bash
# bench/ab.sh BEFORE_NRR AFTER_NRR [N_CUSTOMERS] — is a change slower? Times `nrr report` of two
# release binaries on the same generated data (N customers x 36 months, default 1,000,000; the
# data of bench/run.sh, cached in bench/data), alternating before/after RUNS times (default 5)
# on CSV and on Parquet, and prints each run, the medians and after/before. Both reports must
# be byte-identical (checked once).
#
# Example (issue 10's restructure against the commit before it):
#   git worktree add /tmp/base e998392 && (cd /tmp/base && cargo build --release -p nrr-cli)
#   cargo build --release -p nrr-cli
#   bench/ab.sh /tmp/base/target/release/nrr target/release/nrr
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=$1
AFTER=$2
N=${3:-1000000}
RUNS=${RUNS:-5}
MONTHS=36
SEED=1
DATA=bench/data/${N}-m${MONTHS}-s${SEED}
export NO_COLOR=1
if [ ! -f "$DATA/items.parquet" ]; then
  echo "== generate $N customers x $MONTHS months (seed $SEED) into $DATA" >&2
  rm -rf "$DATA"
  "$AFTER" generate --customers "$N" --months "$MONTHS" --seed "$SEED" --out "$DATA" --parquet >&2
fi
FROM=2023-01
TO=$(python3 -c "m=2023*12+$MONTHS-1; print(f'{m//12:04d}-{m%12+1:02d}')")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for input in items.csv items.parquet; do
  "$BEFORE" report "$DATA/$input" --from "$FROM" --to "$TO" --format json > "$TMP/before.json"
  "$AFTER" report "$DATA/$input" --from "$FROM" --to "$TO" --format json > "$TMP/after.json"
  if ! cmp -s "$TMP/before.json" "$TMP/after.json"; then
    echo "the two reports of $input differ" >&2
    exit 1
  fi
done
echo "reports identical (CSV and Parquet)"

printf "%-14s %-7s %4s %9s %10s\n" input binary run seconds peak_KB
for input in items.csv items.parquet; do
  for run in $(seq 1 "$RUNS"); do
    for which in before after; do
      bin=$BEFORE
      [ "$which" = after ] && bin=$AFTER
      /usr/bin/time -f "%e %M" -o "$TMP/t" "$bin" report "$DATA/$input" --from "$FROM" --to "$TO" \
        --format json > /dev/null
      read -r secs kb < "$TMP/t"
      printf "%-14s %-7s %4s %9s %10s\n" "$input" "$which" "$run" "$secs" "$kb"
      echo "$input $which $secs" >> "$TMP/all"
    done
  done
done
python3 - "$TMP/all" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for inp in ("items.csv", "items.parquet"):
    med = {w: statistics.median(float(s) for i, ww, s in rows if i == inp and ww == w)
           for w in ("before", "after")}
    print(f"{inp}: median before {med['before']:.2f} s, after {med['after']:.2f} s, "
          f"after/before {med['after'] / med['before']:.3f}")
EOF
