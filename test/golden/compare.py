#!/usr/bin/env python3
"""Compare regenerated golden fixtures with the committed ones.

Usage: python test/golden/compare.py COMMITTED_DIR REGENERATED_DIR

Inputs (the seeded samples) must be identical. Computed floats may differ in the last bits
between machines: scipy's and numpy's summation order depends on the CPU's vector units (seen:
scipy.stats.wasserstein_distance differing by one ulp). A computed number passes when it is
within 1e-12 relative (or 1e-300 absolute) of the committed one; anything else fails and is
named with its JSON path.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

REL = 1e-12
ABS = 1e-300


def walk(a, b, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: present on one side only")
            else:
                walk(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
            return
        for i, (x, y) in enumerate(zip(a, b)):
            walk(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) and isinstance(b, float):
        if not (a == b or math.isclose(a, b, rel_tol=REL, abs_tol=ABS)):
            out.append(f"{path}: {a!r} != {b!r}")
    elif a != b or type(a) is not type(b):
        out.append(f"{path}: {a!r} != {b!r}")


def main() -> int:
    committed, regenerated = Path(sys.argv[1]), Path(sys.argv[2])
    names = sorted({p.name for p in committed.glob("*.json")} | {p.name for p in regenerated.glob("*.json")})
    problems: list[str] = []
    for name in names:
        a, b = committed / name, regenerated / name
        if not a.exists() or not b.exists():
            problems.append(f"{name}: missing on one side")
            continue
        walk(json.loads(a.read_text()), json.loads(b.read_text()), name, problems)
    for p in problems[:50]:
        print(p, file=sys.stderr)
    if problems:
        print(f"{len(problems)} difference(s) beyond {REL} relative", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
