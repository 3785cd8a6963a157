#!/usr/bin/env python3
"""Check that the DuckDB peer and `nrr report --format json` agree: every money figure to 0.01,
every count exactly, every ratio to 1e-6. Exits 1 and lists the differences otherwise.

nrr's shown money is footed (docs/metrics.md, "Shown figures foot"): a period's bridge is the
sum of its shown months, so it can stand a few cents from the period's exact sum; the exact
value is then in the object's `exact` map, and that is what the peer's exact SQL is held to.

usage: compare.py NRR_JSON PEER_JSON
"""
import json
import sys

MONEY_MONTH = ["opening_mrr", "new", "reactivation", "expansion", "contraction", "churn", "closing_mrr"]
MONEY_PERIOD = ["starting_mrr", "expansion", "contraction", "churn", "ending_cohort_mrr"]
BRIDGE = ["opening", "new", "reactivation", "expansion", "contraction", "churn", "closing"]


def main() -> int:
    nrr = json.load(open(sys.argv[1]))
    peer = json.load(open(sys.argv[2]))
    errors, checked = [], 0

    def money(where, a, b):
        nonlocal checked
        checked += 1
        if abs(float(a) - float(b or 0)) > 0.01:
            errors.append(f"{where}: nrr {a} vs peer {b}")

    def exact(where, a, b):
        nonlocal checked
        checked += 1
        if int(a) != int(b or 0):
            errors.append(f"{where}: nrr {a} vs peer {b}")

    def ratio(where, a, b):
        nonlocal checked
        checked += 1
        if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-6):
            errors.append(f"{where}: nrr {a} vs peer {b}")

    def value(obj, key):
        """The exact value where the shown one was footed away from it."""
        return obj.get("exact", {}).get(key, obj[key])

    peer_months = {m["month"]: m for m in peer["months"]}
    for m in nrr["months"]:
        p = peer_months.get(m["month"], {})
        for k in MONEY_MONTH:
            money(f"months[{m['month']}].{k}", value(m, k), p.get(k))
        exact(f"months[{m['month']}].customers", m["customers"], p.get("customers"))
        if float(m["fx"]) != 0:
            errors.append(f"months[{m['month']}].fx is {m['fx']}: the peer is single-currency")

    def periods(nrr_rows, peer_rows, key):
        peer_by = {(r["period"] if key == "period" else r["end_month"]): r for r in peer_rows}
        if len(peer_by) != len(nrr_rows):
            errors.append(f"{key}: nrr has {len(nrr_rows)} periods, peer {len(peer_by)}")
        for r in nrr_rows:
            name = r[key]
            p = peer_by.get(name)
            if p is None:
                errors.append(f"period {name}: missing in peer")
                continue
            for k in MONEY_PERIOD:
                money(f"{name}.{k}", value(r, k), p[k])
            for k in ["cohort_customers", "churned_customers"]:
                exact(f"{name}.{k}", r[k], p[k])
            for k in ["nrr", "grr"]:
                ratio(f"{name}.{k}", r[k], p[k])
            for k in BRIDGE:
                money(f"{name}.bridge.{k}", value(r["bridge"], k), p["b_" + k])

    periods(nrr["periods"], peer["periods"], "period")
    periods(nrr["ttm"], peer["ttm"], "month")
    if errors:
        print(f"MISMATCH: {len(errors)} of {checked} figures differ", file=sys.stderr)
        for e in errors[:30]:
            print("  " + e, file=sys.stderr)
        return 1
    print(f"agree: {checked} figures (money to 0.01, counts exactly, ratios to 1e-6)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
