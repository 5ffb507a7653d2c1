#!/usr/bin/env python3
"""Lines per function in Rust sources (rustfmt layout: a function ends at the first line that
is its opening line's indentation followed by `}`). Prints the longest first.

Usage: scripts/fn-sizes.py [--over N] [--top N] DIR...
"""
import argparse
import os
import re

FN = re.compile(r'^(\s*)(pub(\([a-z:]+\))? )?(const )?(unsafe )?(extern "C" )?fn (\w+)')


def functions(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FN.match(lines[i])
        if m and not lines[i].rstrip().endswith(";"):
            indent = m.group(1)
            end = i
            while end < len(lines) and lines[end] != indent + "}":
                if end > i and lines[end].rstrip().endswith("}") and lines[i].rstrip().endswith("}"):
                    break
                end += 1
            yield m.group(7), i + 1, end - i + 1
        i += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--over", type=int, default=0)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    found = []
    for d in a.dirs:
        for root, _, files in os.walk(d):
            for f in files:
                if f.endswith(".rs"):
                    p = os.path.join(root, f)
                    found += [(n, p, line, name) for name, line, n in functions(p)]
    found.sort(reverse=True)
    over = [x for x in found if x[0] > a.over] if a.over else found[: a.top]
    for n, p, line, name in over:
        print(f"{n:5} {p}:{line} {name}")
    if a.over:
        print(f"{len(over)} functions over {a.over} lines")


if __name__ == "__main__":
    main()
