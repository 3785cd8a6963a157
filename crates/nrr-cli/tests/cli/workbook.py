#!/usr/bin/env python3
"""Reads .xlsx files for the workbook tests (crates/nrr-cli/tests/cli/workbook.rs), with the
standard library only.

  workbook.py dump FILE.xlsx
      prints JSON: {"sheets": [{"name": ..., "cells": {"A1": {"t": ..., "v": ..., "f": ...}}}]}
      t is the cell type ("n" number, "s" string, "str" formula string, "b", "e"), v its value
      (a float for numbers, the text for strings, null when none), f its formula or null.
  workbook.py tamper IN.xlsx OUT.xlsx SHEET CELL VALUE
      writes IN with the stored value of cell CELL of sheet SHEET replaced by VALUE (to prove a
      recalculation replaces stored values).
"""
import json
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


def text_of(node):
    """The text of a <si> or <is>: its <t>, or the <t> of each rich-text run."""
    return "".join(t.text or "" for t in node.iter("{%s}t" % NS["m"]))


def sheet_paths(z):
    """(name, path in the zip) of each sheet, in workbook order."""
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    out = []
    for s in wb.find("m:sheets", NS).findall("m:sheet", NS):
        t = target[s.get("{%s}id" % NS["r"])]
        t = t.lstrip("/")
        out.append((s.get("name"), t if t.startswith("xl/") else "xl/" + t))
    return out


def dump(path):
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            sst = ET.fromstring(z.read("xl/sharedStrings.xml"))
            shared = [text_of(si) for si in sst.findall("m:si", NS)]
        sheets = []
        for name, p in sheet_paths(z):
            cells = {}
            root = ET.fromstring(z.read(p))
            for c in root.iter("{%s}c" % NS["m"]):
                t = c.get("t", "n")
                f = c.find("m:f", NS)
                v = c.find("m:v", NS)
                value = None
                if t == "s" and v is not None:
                    value = shared[int(v.text)]
                elif t == "inlineStr":
                    t, value = "s", text_of(c.find("m:is", NS))
                elif t == "n" and v is not None and v.text is not None:
                    value = float(v.text)
                elif v is not None:
                    value = v.text or ""
                if f is None and value is None:
                    continue
                cells[c.get("r")] = {"t": t, "v": value,
                                     "f": None if f is None else (f.text or "")}
            sheets.append({"name": name, "cells": cells})
    json.dump({"sheets": sheets}, sys.stdout)


def tamper(src, dst, sheet, cell, value):
    with zipfile.ZipFile(src) as z:
        path = dict(sheet_paths(z))[sheet]
        entries = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename == path:
                text = data.decode("utf-8")
                pattern = r'(<c r="%s"[^>]*>.*?<v>)[^<]*(</v>)' % re.escape(cell)
                text, n = re.subn(pattern, r"\g<1>%s\g<2>" % value, text, count=1)
                if n != 1:
                    sys.exit("no stored value in %s!%s" % (sheet, cell))
                data = text.encode("utf-8")
            out.writestr(info, data)


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif sys.argv[1] == "tamper":
        tamper(*sys.argv[2:7])
    else:
        sys.exit(__doc__)
