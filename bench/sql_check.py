"""The check bench/sql_duckdb.py and bench/sql_spark.py share: the generated SQL's figures
against `nrr report --format json` of the same data and window."""
import decimal
import json
import sys

# The tables hold money as exact counts of 1/720720 of the currency (docs/scale-out.md).
UNITS = decimal.Decimal(720720)

BRIDGE = "SELECT month, closing_mrr FROM nrr_bridge"
RETENTION = "SELECT period, nrr, grr FROM nrr_retention WHERE granularity <> 'ttm'"


def check(report_json: str, bridge, retention) -> None:
    """`bridge`: (month, closing_mrr) rows of BRIDGE; `retention`: (period, nrr, grr) rows of
    RETENTION. Requires each month's closing MRR to the cent and every period's NRR and GRR
    exactly as nrr shows them; prints the first differences and exits 1 if any."""
    report = json.load(open(report_json))
    closing = dict(bridge)
    ratios = {p: (n, g) for p, n, g in retention}
    bad = []
    for row in report["months"]:
        got = (decimal.Decimal(closing[row["month"]]) / UNITS).quantize(
            decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_EVEN)
        if got != decimal.Decimal(row["closing_mrr"]):
            bad.append(f"{row['month']} closing_mrr: sql {got}, nrr {row['closing_mrr']}")
    for row in report["periods"]:
        for name, got in zip(["nrr", "grr"], ratios[row["period"]]):
            want = row[name]
            if (got is None) != (want is None) or (
                    want is not None and decimal.Decimal(str(got)) != decimal.Decimal(str(want))):
                bad.append(f"{row['period']} {name}: sql {got}, nrr {want}")
    if bad:
        print("\n".join(bad[:20]), file=sys.stderr)
        sys.exit(1)
    print(f"equal: {len(report['months'])} months, {len(report['periods'])} periods", file=sys.stderr)
