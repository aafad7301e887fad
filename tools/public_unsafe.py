#!/usr/bin/env python3
"""Lists the public declarations of the Elman module that mention an unsafe pointer type, from the symbol graph
that `swift package dump-symbol-graph --minimum-access-level public` writes. Exit status 1 if there are any.

    swift package dump-symbol-graph --minimum-access-level public
    python3 tools/public_unsafe.py .build/*/symbolgraph
"""
import glob
import json
import sys

found, total = [], 0
for path in glob.glob(f"{sys.argv[1]}/Elman*.symbols.json"):
    for symbol in json.load(open(path))["symbols"]:
        if symbol.get("accessLevel") != "public":
            continue
        total += 1
        text = "".join(f["spelling"] for f in symbol.get("declarationFragments", []))
        if "Unsafe" in text:
            found.append(f"{'.'.join(symbol['pathComponents'])}: {text}")
for line in sorted(found):
    print(line)
print(f"{total} public symbols, {len(found)} mention an unsafe pointer")
sys.exit(1 if found else 0)
