#!/usr/bin/env python3
"""Golden values for driftwatch's multivariate drift score (src/core/multivariate/rff-mmd.ts).

Run from the repository root with the pinned numpy/scipy (test/golden/requirements.txt):

    .venv/bin/python test/golden/generate_multivariate.py

It writes test/golden/fixtures/multivariate.json (or into $GOLDEN_OUT). Seeded, so a rerun
rewrites the same file; CI compares it with test/golden/compare.py like the others. The oracle:

- standardisation: numpy mean and population std (ddof=0) per column of the reference;
- bandwidth sigma: numpy.median of scipy.spatial.distance.pdist of the first 200 standardised
  reference rows (the median heuristic);
- exact squared MMD: the biased V-statistic with the Gaussian kernel exp(-|x-y|^2 / (2 sigma^2)),
  mean K_xx + mean K_yy - 2 mean K_xy over every pair (scipy cdist);
- the random Fourier features: omega ~ N(0, I) / sigma, b ~ U[0, 2 pi) drawn here, so that the
  TypeScript side maps the same features; MMD^2_rff = |mean phi(X) - mean phi(Y)|^2 with
  phi_i(x) = sqrt(2/D) cos(omega_i . x + b_i), computed here too.

- the approximation error over the draw of the features: |MMD^2_rff - MMD^2| for 200 further
  independent draws of (omega, b) at the same D, its 99th percentile stored per case (the
  empirical bound docs/multivariate.md states next to the Bernstein bound).

- end to end through a saved reference (test/unit/core/multivariate/end-to-end.test.ts): a
  reference built from the same 400 rows draws its own features from its saved seed, and with
  at most 500 rows its median heuristic reads every row, so here `bandwidth_all_rows` is
  numpy.median of pdist of all of them; per case `exact_mmd2_all_rows` is the exact MMD^2 at
  that bandwidth and `error_q99_all_rows` the 99th percentile of the RFF error over 200 draws.

Cases: a correlation that flips sign with the marginals unchanged, and a current sample from
the reference distribution itself (no drift).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy.spatial.distance import cdist, pdist

FIXTURES = Path(os.environ["GOLDEN_OUT"]) if os.environ.get("GOLDEN_OUT") else Path(__file__).resolve().parent / "fixtures"
FEATURES = 1024
DIMS = 5
N_REF, N_CUR = 400, 300
MEDIAN_ROWS = 200
ERROR_DRAWS = 200


def correlated(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    cov = np.eye(DIMS)
    cov[0, 1] = cov[1, 0] = rho
    cov[2, 3] = cov[3, 2] = -rho / 2
    x = rng.multivariate_normal(np.zeros(DIMS), cov, size=n)
    return x * np.array([1.0, 3.0, 0.5, 10.0, 2.0]) + np.array([0.0, 50.0, -1.0, 1000.0, 7.0])


def exact_mmd2(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    g = 1.0 / (2.0 * sigma * sigma)
    kxx = np.exp(-g * cdist(x, x, "sqeuclidean")).mean()
    kyy = np.exp(-g * cdist(y, y, "sqeuclidean")).mean()
    kxy = np.exp(-g * cdist(x, y, "sqeuclidean")).mean()
    return float(kxx + kyy - 2.0 * kxy)


def rff_mmd2(x: np.ndarray, y: np.ndarray, omega: np.ndarray, phase: np.ndarray) -> float:
    scale = np.sqrt(2.0 / omega.shape[0])
    mx = (scale * np.cos(x @ omega.T + phase)).mean(axis=0)
    my = (scale * np.cos(y @ omega.T + phase)).mean(axis=0)
    return float(np.sum((mx - my) ** 2))


def main() -> None:
    rng = np.random.default_rng(20261202)
    reference = correlated(rng, N_REF, 0.8)
    mean = reference.mean(axis=0)
    std = reference.std(axis=0)
    z_ref = (reference - mean) / std
    sigma = float(np.median(pdist(z_ref[:MEDIAN_ROWS])))
    sigma_all = float(np.median(pdist(z_ref)))
    omega = rng.standard_normal((FEATURES, DIMS)) / sigma
    phase = rng.uniform(0.0, 2.0 * np.pi, FEATURES)
    cases = []
    for name, rho in (("correlation_flip", -0.8), ("no_drift", 0.8)):
        current = correlated(rng, N_CUR, rho)
        z_cur = (current - mean) / std
        exact = exact_mmd2(z_ref, z_cur, sigma)
        draws = np.random.default_rng(7 + len(cases))
        errors = [
            abs(rff_mmd2(z_ref, z_cur, draws.standard_normal((FEATURES, DIMS)) / sigma, draws.uniform(0.0, 2.0 * np.pi, FEATURES)) - exact)
            for _ in range(ERROR_DRAWS)
        ]
        exact_all = exact_mmd2(z_ref, z_cur, sigma_all)
        draws_all = np.random.default_rng(70 + len(cases))
        errors_all = [
            abs(rff_mmd2(z_ref, z_cur, draws_all.standard_normal((FEATURES, DIMS)) / sigma_all, draws_all.uniform(0.0, 2.0 * np.pi, FEATURES)) - exact_all)
            for _ in range(ERROR_DRAWS)
        ]
        cases.append(
            {
                "name": name,
                "exact_mmd2_all_rows": exact_all,
                "error_q99_all_rows": float(np.quantile(errors_all, 0.99)),
                "current": current.tolist(),
                "exact_mmd2": exact,
                "error_q99": float(np.quantile(errors, 0.99)),
                "rff_mmd2": rff_mmd2(z_ref, z_cur, omega, phase),
                "marginal_means_delta": np.abs(current.mean(axis=0) - mean).tolist(),
            }
        )
    out = {
        "provenance": {
            "generator": "test/golden/generate_multivariate.py",
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "dims": DIMS,
        "features": FEATURES,
        "median_rows": MEDIAN_ROWS,
        "reference": reference.tolist(),
        "mean": mean.tolist(),
        "scale": std.tolist(),
        "bandwidth": sigma,
        "bandwidth_all_rows": sigma_all,
        "omega": omega.ravel().tolist(),
        "phase": phase.tolist(),
        "cases": cases,
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    (FIXTURES / "multivariate.json").write_text(json.dumps(out, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {FIXTURES / 'multivariate.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
