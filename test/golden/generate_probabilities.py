#!/usr/bin/env python3
"""Golden values for per-class probabilities as model outputs (docs/references-and-check.md,
"Per-class probabilities"), computed with numpy and scipy.

Run from the repository root with the pinned numpy/scipy (test/golden/requirements.txt):

    .venv/bin/python test/golden/generate_probabilities.py

It writes test/golden/fixtures/probabilities.json (or into $GOLDEN_OUT). Seeded, so a rerun
rewrites the same file. A three-class softmax model: logits = x W + noise for two inputs x; the
reference is its training-time probabilities, the current sample the probabilities after the
model's temperature rose (1 -> 1.6, flatter probabilities) with the inputs' distribution unchanged
(the inputs themselves are not stored: the test gives every row the same fixed input cycle).
Each class's probability is scored like a numeric feature, with the oracles of
test/golden/generate.py (numeric_case: PSI on numpy.quantile edges, ks_2samp, jensenshannon,
wasserstein_distance), and a few values are missing (NaN) in both samples. The confidence is the
largest probability of each row (what driftwatch stands in for an event without confidence).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import numeric_case, provenance, write  # noqa: E402

CLASSES = ["approve", "deny", "review"]
W = np.array([[1.2, -0.8, 0.1], [-0.5, 0.9, 0.3]])


def probabilities(rng: np.random.Generator, n: int, temperature: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.normal(size=(n, 2))
    logits = (x @ W + rng.normal(scale=0.5, size=(n, 3))) / temperature
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return x, e / e.sum(axis=1, keepdims=True)


def main() -> int:
    rng = np.random.default_rng(1212)
    _, ref_p = probabilities(rng, 2000, 1.0)
    _, cur_p = probabilities(rng, 800, 1.6)
    # A few class probabilities missing in each sample (a missing class counts as missing).
    ref_p[rng.random(ref_p.shape) < 0.01] = np.nan
    cur_p[rng.random(cur_p.shape) < 0.02] = np.nan
    cases = [
        numeric_case(f"probability_{c}", f"probability of class {c}: temperature 1 -> 1.6", ref_p[:, j], cur_p[:, j])
        for j, c in enumerate(CLASSES)
    ]
    confidence = [numeric_case("confidence", "largest probability of each row", np.nanmax(ref_p, axis=1), np.nanmax(cur_p, axis=1))]
    write(
        "probabilities.json",
        {
            "provenance": {**provenance(), "generator": "test/golden/generate_probabilities.py"},
            "classes": CLASSES,
            "cases": cases,
            "confidence": confidence[0],
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
