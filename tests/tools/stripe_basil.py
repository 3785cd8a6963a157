#!/usr/bin/env python3
"""Rewrites a Stripe export from the classic object shapes into those of API version
2025-03-31 ("basil") and later, as Stripe's changelog describes them:

- invoice: `subscription` -> `parent: {type: subscription_details, subscription_details:
  {subscription}}`;
- invoice line: `type`, `proration`, `subscription`, `subscription_item` ->
  `parent: {type: subscription_item_details | invoice_item_details, <that>: {proration,
  subscription, subscription_item, invoice_item}}`; `price` -> `pricing: {type: price_details,
  price_details: {price, product}, unit_amount_decimal}` (the price by id, not expanded);
  `tax_amounts[] {amount, inclusive}` -> `taxes[] {amount, tax_behavior, ...}`; each
  `discount_amounts[]` entry listed again in `pretax_credit_amounts[]` (type `discount`);
- subscription: `current_period_start`/`_end` move onto every item; the legacy `discount`
  joins `discounts[]`.

Used to make the `*_basil` twins of the classic Stripe fixtures (tests/fixtures/NOTES.md):
the same export in the current shape must give the same report.

    python3 tests/tools/stripe_basil.py SRC_DIR DST_DIR [--mix]

`--mix` rewrites only every other invoice (the 2nd, 4th, ...), and gives the first line of the
first rewritten invoice both shapes at once, so one file holds both.
"""
import json
import os
import sys


def load(path):
    text = open(path).read()
    if path.endswith(".jsonl"):
        return "jsonl", [json.loads(l) for l in text.splitlines() if l.strip()]
    v = json.loads(text)
    if isinstance(v, dict):
        return "list", v["data"]
    return "array", v


def save(path, shape, objs):
    with open(path, "w") as f:
        if shape == "jsonl":
            for o in objs:
                f.write(json.dumps(o) + "\n")
        elif shape == "list":
            json.dump({"object": "list", "data": objs, "has_more": False}, f, indent=2)
            f.write("\n")
        else:
            json.dump(objs, f, indent=2)
            f.write("\n")


def sub_items(subs):
    """(subscription id, price id) -> subscription item id."""
    out = {}
    for s in subs:
        items = s.get("items") or {}
        for it in items.get("data", items) if isinstance(items, dict) else items:
            price = it.get("price") or {}
            if it.get("id") and price.get("id"):
                out[(s["id"], price["id"])] = it["id"]
    return out


def convert_line(l, items, keep_classic=False):
    sub = l.get("subscription")
    price = l.get("price") or {}
    is_sub = l.get("type") == "subscription"
    kind = "subscription_item_details" if is_sub else "invoice_item_details"
    details = {
        "invoice_item": None if is_sub else "ii_" + l["id"][3:],
        "proration": bool(l.get("proration")),
        "proration_details": {"credited_items": None},
        "subscription": sub,
    }
    if is_sub:
        details["subscription_item"] = items.get((sub, price.get("id")))
    parent = {"type": kind, kind: details}
    other = "invoice_item_details" if is_sub else "subscription_item_details"
    parent[other] = None
    pricing = {
        "type": "price_details",
        "price_details": {"price": price.get("id"), "product": price.get("product")},
        "unit_amount_decimal": (
            str(price["unit_amount"]) if price.get("unit_amount") is not None else None
        ),
    }
    taxes = [
        {
            "amount": t["amount"],
            "tax_behavior": "inclusive" if t.get("inclusive") else "exclusive",
            "taxability_reason": "standard_rated",
            "taxable_amount": None,
            "type": "tax_rate_details",
            "tax_rate_details": {"tax_rate": t.get("tax_rate")},
        }
        for t in l.get("tax_amounts") or []
    ]
    pretax = [
        {
            "amount": d["amount"],
            "credit_balance_transaction": None,
            "discount": d.get("discount"),
            "type": "discount",
        }
        for d in l.get("discount_amounts") or []
    ]
    out = dict(l)
    if not keep_classic:
        for k in ("type", "proration", "subscription", "subscription_item", "price",
                  "tax_amounts", "plan", "proration_details", "invoice_item"):
            out.pop(k, None)
    out["parent"] = parent
    out["pricing"] = pricing
    out["taxes"] = taxes
    out["pretax_credit_amounts"] = pretax
    return out


def convert_invoice(inv, items, keep_first=False):
    out = dict(inv)
    sub = out.pop("subscription", None)
    out["parent"] = (
        {"type": "subscription_details", "quote_details": None,
         "subscription_details": {"subscription": sub, "metadata": {}}}
        if sub else None
    )
    if keep_first and sub:
        out["subscription"] = sub
    lines = inv["lines"]
    data = lines["data"] if isinstance(lines, dict) else lines
    new = [convert_line(l, items, keep_classic=keep_first and i == 0) for i, l in enumerate(data)]
    out["lines"] = dict(lines, data=new) if isinstance(lines, dict) else new
    return out


def convert_subscription(s):
    out = dict(s)
    cps = out.pop("current_period_start", None)
    cpe = out.pop("current_period_end", None)
    items = out["items"]
    data = items["data"] if isinstance(items, dict) else items
    new = []
    for it in data:
        it = dict(it)
        it["current_period_start"] = cps
        it["current_period_end"] = cpe
        new.append(it)
    out["items"] = dict(items, data=new) if isinstance(items, dict) else new
    legacy = out.pop("discount", None)
    if legacy:
        ds = list(out.get("discounts") or [])
        if not any(isinstance(d, dict) and d.get("id") == legacy.get("id") for d in ds):
            ds.append(legacy)
        out["discounts"] = ds
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    mix = "--mix" in sys.argv[3:]
    os.makedirs(dst, exist_ok=True)
    names = os.listdir(src)
    sub_name = next(n for n in names if n.startswith("subscriptions.json"))
    shape, subs = load(os.path.join(src, sub_name))
    items = sub_items(subs)
    if not mix:
        subs = [convert_subscription(s) for s in subs]
    save(os.path.join(dst, sub_name), shape, subs)
    for name in names:
        if name.startswith("invoices.json"):
            shape, invs = load(os.path.join(src, name))
            if mix:
                invs = [
                    convert_invoice(v, items, keep_first=(i == 1)) if i % 2 == 1 else v
                    for i, v in enumerate(invs)
                ]
            else:
                invs = [convert_invoice(v, items) for v in invs]
            save(os.path.join(dst, name), shape, invs)


if __name__ == "__main__":
    main()
