#!/usr/bin/env python3
"""Golden values for driftwatch's statistics core, computed with numpy and scipy.

Run from the repository root (versions pinned in test/golden/requirements.txt):

    pip install -r test/golden/requirements.txt
    python test/golden/generate.py

It writes test/golden/fixtures/*.json, which the unit tests under test/unit/ read. Everything
is seeded (numpy.random.default_rng with fixed seeds), so a rerun with the pinned versions
rewrites byte-identical files on the same machine; on another CPU a computed
float may differ in its last bits, so CI compares with test/golden/compare.py (1e-12 relative). The oracles follow docs/statistics.md:

- PSI edges: numpy.quantile(ref, k/10), k = 1..9 (default method "linear"), deduplicated
  with numpy.unique. Bins are right-closed: bin = numpy.searchsorted(edges, x, side="left").
- PSI: proportions of non-missing values, floored at 1e-4, not renormalised;
  PSI = sum((c - r) * ln(c / r)). Categorical: one bin per category in the union.
- KS: scipy.stats.ks_2samp(ref, cur).statistic (exact D); the p-value oracle of driftwatch's
  formula is scipy.special.kolmogorov(sqrt(n*m/(n+m)) * D); ks_2samp(method="asymp").pvalue
  is stored as well, to measure how far the two asymptotic p-values are apart.
- JS: scipy.spatial.distance.jensenshannon(p, q, base=2) on the unfloored PSI-bin proportions.
- Hellinger: numpy.linalg.norm(sqrt(p) - sqrt(q)) / sqrt(2) on the unfloored PSI-bin (or
  category) proportions, NannyML's definition.
- L-infinity: scipy.spatial.distance.chebyshev(p, q) = max |p - q| on the same proportions.
- Wasserstein: scipy.stats.wasserstein_distance(ref, cur) / max(numpy.std(ref), 0.001).
- chi2 (categorical): scipy.stats.chi2_contingency([reference counts, current counts] over the
  union categories, correction=False): the two-sample test of homogeneity, no 1e-4 floor.
- PSI and JS p-values: scipy.stats.chi2.sf(n_eff * PSI, k - 1) and
  scipy.stats.chi2.sf(8 ln2 n_eff JS^2, k - 1), n_eff = n m / (n + m), k = bins with any count;
  critical values at alpha = 0.01: chi2.isf(0.01, k - 1) / n_eff (PSI),
  sqrt(chi2.isf(0.01, k - 1) / (8 ln2 n_eff)) (JS), scipy.special.kolmogi(0.01) / sqrt(n_eff) (KS).
- Missing rate: missing rows / rows.
- Calibrated null (calibration.json): an independent numpy Monte Carlo of the null driftwatch's
  reference build draws (docs/statistics.md, "Calibrated p-values"): shares from
  Generator.dirichlet(reference counts), a window from Generator.multinomial(n, shares),
  T = n_eff PSI and 8 ln2 n_eff JS^2 against the reference counts, 1,000,000 plain draws. It
  stores numpy's upper-tail quantiles on a grid of 161 levels from 0.2 to 2e-5; the test reads
  numpy's tail share at each quantile driftwatch stores (levels 0.1 to 1e-4) and requires it
  within four standard errors of the level (driftwatch's importance-sampling error, estimated
  from its own weighted draws, and numpy's together). The scaled chi-square fit through the
  quantiles at two levels a > b: nu solves chi2.isf(b, nu) / chi2.isf(a, nu) = lower / upper
  (brentq in log nu), scale = lower / chi2.isf(b, nu); p-values chi2.sf(T / scale, nu) and
  critical values scale * chi2.isf(alpha, nu).

Missing values are written to JSON as null.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial.distance import chebyshev, jensenshannon

# GOLDEN_OUT redirects the output (CI regenerates into a temp dir and compares with compare.py).
import os
FIXTURES = Path(os.environ["GOLDEN_OUT"]) if os.environ.get("GOLDEN_OUT") else Path(__file__).resolve().parent / "fixtures"
PSI_FLOOR = 1e-4
WASSERSTEIN_STD_FLOOR = 0.001
PSI_QUANTILES = np.arange(1, 10) / 10  # k/10 exactly as k / 10 in float64, k = 1..9


def provenance() -> dict:
    return {
        "generator": "test/golden/generate.py",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def to_json_values(values) -> list:
    """Floats as shortest round-trip reprs, integers as ints, NaN/None as null."""
    out = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, str):
            out.append(v)
        elif isinstance(v, (int, np.integer)):
            out.append(int(v))
        else:
            f = float(v)
            if math.isnan(f):
                out.append(None)
            elif f.is_integer() and abs(f) < 2**53:
                out.append(int(f))
            else:
                out.append(f)
    return out


def with_missing(rng: np.random.Generator, x: np.ndarray, rate: float) -> np.ndarray:
    """A float copy of x with a `rate` share of its entries set to NaN (positions seeded)."""
    y = x.astype(float).copy()
    k = int(round(rate * len(y)))
    y[rng.choice(len(y), size=k, replace=False)] = np.nan
    return y


def floored(p: np.ndarray) -> np.ndarray:
    return np.maximum(p, PSI_FLOOR)


def psi_of(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    r = floored(ref_counts / ref_counts.sum())
    c = floored(cur_counts / cur_counts.sum())
    return float(np.sum((c - r) * np.log(c / r)))


def hellinger_of(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.linalg.norm(np.sqrt(p) - np.sqrt(q)) / np.sqrt(2))


def asymptotic_pvalues(ref_counts: np.ndarray, cur_counts: np.ndarray, psi: float, js: float) -> dict:
    n, m = float(ref_counts.sum()), float(cur_counts.sum())
    n_eff = n * m / (n + m)
    k = int(np.count_nonzero(ref_counts + cur_counts))
    return {
        "n_eff": n_eff,
        "occupied_bins": k,
        "psi_pvalue": float(stats.chi2.sf(n_eff * psi, k - 1)),
        "js_pvalue": float(stats.chi2.sf(8 * math.log(2) * n_eff * js * js, k - 1)),
        "psi_critical_001": float(stats.chi2.isf(0.01, k - 1) / n_eff),
        "js_critical_001": float(math.sqrt(stats.chi2.isf(0.01, k - 1) / (8 * math.log(2) * n_eff))),
        "ks_critical_001": float(special.kolmogi(0.01) / math.sqrt(n_eff)),
    }


def numeric_case(name: str, description: str, ref: np.ndarray, cur: np.ndarray) -> dict:
    ref_ok = ref[~np.isnan(ref)]
    cur_ok = cur[~np.isnan(cur)]
    n, m = len(ref_ok), len(cur_ok)

    edges = np.unique(np.quantile(ref_ok, PSI_QUANTILES))
    ref_counts = np.bincount(np.searchsorted(edges, ref_ok, side="left"), minlength=len(edges) + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur_ok, side="left"), minlength=len(edges) + 1)

    ks_exact = stats.ks_2samp(ref_ok, cur_ok)
    ks_asymp = stats.ks_2samp(ref_ok, cur_ok, method="asymp")
    d = float(ks_exact.statistic)
    n_eff = n * m / (n + m)

    ref_std = float(np.std(ref_ok))
    return {
        "name": name,
        "description": description,
        "type": "numeric",
        "reference": to_json_values(ref),
        "current": to_json_values(cur),
        "expected": {
            "reference_count": n,
            "current_count": m,
            "reference_missing_rate": float(np.isnan(ref).mean()),
            "missing_rate": float(np.isnan(cur).mean()),
            "psi_edges": [float(e) for e in edges],
            "psi_reference_counts": [int(c) for c in ref_counts],
            "psi_current_counts": [int(c) for c in cur_counts],
            "psi": psi_of(ref_counts, cur_counts),
            "ks": d,
            "ks_pvalue_kolmogorov": float(special.kolmogorov(math.sqrt(n_eff) * d)),
            "ks_pvalue_asymp": float(ks_asymp.pvalue),
            "js": float(jensenshannon(ref_counts / n, cur_counts / m, base=2)),
            "hellinger": hellinger_of(ref_counts / n, cur_counts / m),
            "linf": float(chebyshev(ref_counts / n, cur_counts / m)),
            "wasserstein_raw": float(stats.wasserstein_distance(ref_ok, cur_ok)),
            "reference_std": ref_std,
            "wasserstein": float(stats.wasserstein_distance(ref_ok, cur_ok) / max(ref_std, WASSERSTEIN_STD_FLOOR)),
            "distinct_reference_values": int(len(np.unique(ref_ok))),
            **asymptotic_pvalues(ref_counts, cur_counts, psi_of(ref_counts, cur_counts), float(jensenshannon(ref_counts / n, cur_counts / m, base=2))),
        },
    }


def categorical_case(name: str, description: str, ref: list, cur: list) -> dict:
    ref_ok = [v for v in ref if v is not None]
    cur_ok = [v for v in cur if v is not None]
    ref_seen = sorted(set(ref_ok))
    unseen = sorted(set(cur_ok) - set(ref_ok))
    categories = ref_seen + unseen
    ref_counts = np.array([ref_ok.count(c) for c in categories], dtype=float)
    cur_counts = np.array([cur_ok.count(c) for c in categories], dtype=float)
    n = cur_counts.sum()

    chi = stats.chi2_contingency(np.vstack([ref_counts, cur_counts]), correction=False)
    return {
        "name": name,
        "description": description,
        "type": "categorical",
        "reference": to_json_values(ref),
        "current": to_json_values(cur),
        "expected": {
            "reference_count": len(ref_ok),
            "current_count": len(cur_ok),
            "reference_missing_rate": (len(ref) - len(ref_ok)) / len(ref),
            "missing_rate": (len(cur) - len(cur_ok)) / len(cur),
            "categories": categories,
            "unseen_categories": unseen,
            "reference_counts": [int(c) for c in ref_counts],
            "current_counts": [int(c) for c in cur_counts],
            "psi": psi_of(ref_counts, cur_counts),
            "js": float(jensenshannon(ref_counts / ref_counts.sum(), cur_counts / n, base=2)),
            "hellinger": hellinger_of(ref_counts / ref_counts.sum(), cur_counts / n),
            "linf": float(chebyshev(ref_counts / ref_counts.sum(), cur_counts / n)),
            "chi2_statistic": float(chi.statistic),
            "chi2_pvalue": float(chi.pvalue),
            "chi2_dof": int(chi.dof),
            **asymptotic_pvalues(ref_counts, cur_counts, psi_of(ref_counts, cur_counts), float(jensenshannon(ref_counts / ref_counts.sum(), cur_counts / n, base=2))),
        },
    }


def distribution_cases() -> list[dict]:
    cases = []

    rng = np.random.default_rng(1001)
    ref = rng.normal(0.0, 1.0, 4000)
    cases.append(numeric_case("normal_unshifted", "N(0,1) vs a fresh N(0,1) sample", ref, rng.normal(0.0, 1.0, 1500)))

    rng = np.random.default_rng(1002)
    ref = rng.normal(50.0, 10.0, 4000)
    cases.append(numeric_case("normal_shifted", "N(50,10) vs N(55,10): a half-sd shift", ref, rng.normal(55.0, 10.0, 1500)))

    rng = np.random.default_rng(1003)
    ref = rng.normal(0.0, 1.0, 4000)
    cases.append(numeric_case("normal_scaled_small_current", "N(0,1) vs N(0.1,1.3) with only 300 current values", ref, rng.normal(0.1, 1.3, 300)))

    rng = np.random.default_rng(1004)
    ref = rng.poisson(3.0, 4000).astype(float)
    cases.append(numeric_case("poisson_ties", "Poisson(3) vs Poisson(3.6): small integer support, many ties", ref, rng.poisson(3.6, 1500).astype(float)))

    rng = np.random.default_rng(1005)
    ref = np.clip(np.round(rng.normal(600.0, 120.0, 5000)), 300, 850)
    cur = np.clip(np.round(rng.normal(585.0, 125.0, 1500)), 300, 850)
    cases.append(numeric_case(
        "integer_wide_support",
        "rounded N(600,120) scores clipped to 300..850: integer ties, more distinct values than fine bins", ref, cur))

    rng = np.random.default_rng(1006)
    ref = rng.standard_t(2, 4000)
    cases.append(numeric_case("student_t2", "Student t (df=2) vs t(df=2)+0.3: heavy tails", ref, rng.standard_t(2, 1500) + 0.3))

    rng = np.random.default_rng(1007)
    ref = rng.lognormal(10.8, 0.8, 4000)
    cases.append(numeric_case("lognormal", "lognormal(10.8,0.8) vs lognormal(10.9,0.9): skewed, heavy right tail", ref, rng.lognormal(10.9, 0.9, 1500)))

    rng = np.random.default_rng(1008)
    ref = np.where(rng.random(4000) < 0.3, 0.0, rng.gamma(2.0, 50.0, 4000))
    cur = np.where(rng.random(1500) < 0.45, 0.0, rng.gamma(2.0, 55.0, 1500))
    cases.append(numeric_case("point_mass_zero", "30% zeros + gamma(2,50) vs 45% zeros + gamma(2,55)", ref, cur))

    # Reference atoms with current values just below them (off the reference support): the
    # saved reference observes F only at its fine edges, F(atom) but not F(atom−), so these are
    # the cases that test the design's |D − D_exact| ≤ 0.005 promise hardest.
    rng = np.random.default_rng(1013)
    ref = np.where(rng.random(4000) < 0.3, 0.0, rng.gamma(2.0, 50.0, 4000))
    cur = np.where(rng.random(1500) < 0.3, -1.0, rng.gamma(2.0, 50.0, 1500))
    cases.append(numeric_case(
        "point_mass_sentinel_moved", "30% zeros + gamma(2,50) vs 30% of -1 (a new sentinel) + gamma(2,50)", ref, cur))

    rng = np.random.default_rng(1014)
    ref = rng.poisson(3.0, 4000).astype(float)
    cases.append(numeric_case(
        "poisson_half_step_down", "Poisson(3) vs Poisson(3) - 0.5: every current value half a step below a reference atom",
        ref, rng.poisson(3.0, 1500) - 0.5))

    rng = np.random.default_rng(1009)
    ref = with_missing(rng, rng.normal(100.0, 15.0, 4000), 0.05)
    cur = with_missing(rng, rng.normal(103.0, 15.0, 1500), 0.2)
    cases.append(numeric_case("missing_values", "N(100,15) with 5% NaN vs N(103,15) with 20% NaN", ref, cur))

    rng = np.random.default_rng(1010)
    names = np.array(["salaried", "self_employed", "contractor", "retired", "student", "unemployed"])
    ref_idx = rng.choice(6, 4000, p=[0.55, 0.2, 0.1, 0.08, 0.05, 0.02])
    ref = [str(names[i]) for i in ref_idx]
    cur_names = np.array(["salaried", "self_employed", "contractor", "retired", "gig_worker", "intern"])
    cur_idx = rng.choice(6, 1500, p=[0.45, 0.22, 0.12, 0.06, 0.1, 0.05])
    cur = [str(cur_names[i]) for i in cur_idx]
    for i in rng.choice(4000, 80, replace=False):
        ref[i] = None
    for i in rng.choice(1500, 90, replace=False):
        cur[i] = None
    cases.append(categorical_case(
        "categorical_unseen",
        "employment type: 'student' and 'unemployed' vanish, 'gig_worker' and 'intern' are unseen; 2%/6% missing",
        ref, cur))

    rng = np.random.default_rng(1011)
    ref_idx = rng.choice(4, 3000, p=[0.4, 0.3, 0.2, 0.1])
    cur_idx = rng.choice(4, 800, p=[0.4, 0.3, 0.2, 0.1])
    grades = ["A", "B", "C", "D"]
    cases.append(categorical_case(
        "categorical_stable", "grade A-D, same proportions in both samples",
        [grades[i] for i in ref_idx], [grades[i] for i in cur_idx]))

    rng = np.random.default_rng(1012)
    ref_idx = rng.choice(4, 3000, p=[0.4, 0.3, 0.2, 0.1])
    cur_idx = rng.choice(4, 800, p=[0.37, 0.3, 0.22, 0.11])
    cur = [grades[i] for i in cur_idx]
    cur[17] = "E"  # one unseen category, seen once: expected count n * 1e-4 / (1 + 1e-4)
    cases.append(categorical_case(
        "categorical_rare_unseen", "grade A-D, a mild shift and one value of an unseen grade E",
        [grades[i] for i in ref_idx], cur))
    return cases


def integration_case() -> dict:
    """Training data for the integration guide's own test (age, income, credit_score, loan_amount).

    The test shifts a copy of it by drift_factor 0.5 itself (each feature + 0.5 * its std), and
    compares a fresh sample drawn from the same distributions, which must not drift.
    """
    def draw(rng: np.random.Generator, n: int) -> dict:
        return {
            "age": np.clip(np.round(rng.normal(41.0, 12.0, n)), 18, 90),
            "income": np.round(rng.lognormal(10.8, 0.55, n), 2),
            "credit_score": np.clip(np.round(rng.normal(660.0, 75.0, n)), 300, 850),
            "loan_amount": np.round(rng.gamma(2.0, 7500.0, n), 2),
        }

    train = draw(np.random.default_rng(2001), 5000)
    fresh = draw(np.random.default_rng(2002), 2000)
    names = ["age", "income", "credit_score", "loan_amount"]
    return {
        "feature_names": names,
        "train": [to_json_values(row) for row in np.column_stack([train[k] for k in names])],
        "fresh": [to_json_values(row) for row in np.column_stack([fresh[k] for k in names])],
    }


def special_functions() -> dict:
    lambdas = sorted(set(np.round(np.linspace(0.05, 3.0, 60), 10).tolist() + [0.2, 0.5, 0.9999, 1.0, 1.0001, 1.36, 1.63, 3.5, 4.0, 5.0]))
    kolmogorov = [{"lambda": float(x), "q": float(special.kolmogorov(x))} for x in lambdas]

    chi2 = []
    for k in [1, 2, 3, 4, 5, 9, 10, 29, 30, 99, 100, 199, 200]:
        points = set()
        for p in [0.999, 0.9, 0.5, 0.1, 0.01, 1e-4, 1e-8, 1e-15, 1e-30, 1e-60, 1e-100, 1e-200]:
            points.add(float(stats.chi2.isf(p, k)))
        for x in [0.01, 0.5, k / 2, k - 0.5, float(k), k + 0.5, k + 1.0, 2.0 * k, 1000.0]:
            points.add(float(x))
        for x in sorted(points):
            if x > 0:
                chi2.append({"x": x, "k": k, "sf": float(stats.chi2.sf(x, k))})
    return {"kolmogorov": kolmogorov, "chi2_sf": chi2}


CALIBRATION_LEVELS = [0.1, 0.05, 0.01, 1e-3, 1e-4]
CALIBRATION_REPLICATES_TS = 4000
CALIBRATION_REPLICATES_NP = 1_000_000
# numpy's upper-tail quantiles are stored on this grid of levels; the test reads numpy's tail
# share at driftwatch's quantile from it (log-linear in the level between grid points).
CALIBRATION_TAIL_GRID = np.geomspace(0.2, 2e-5, 161)


def calibration_null(counts: np.ndarray, n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    m = float(counts.sum())
    n_eff = n * m / (n + m)
    occupied = counts > 0
    r = floored(counts / m)
    p = counts / m
    psi_parts, js_parts = [], []
    # In chunks of 100,000 draws (the same stream as one call per chunk, so the result is fixed by the seed).
    for _ in range(CALIBRATION_REPLICATES_NP // 100_000):
        shares = rng.dirichlet(counts[occupied], size=100_000)
        drawn = rng.multinomial(n, shares)
        window = np.zeros((100_000, counts.size))
        window[:, occupied] = drawn
        c = floored(window / n)
        psi_parts.append(n_eff * np.sum((c - r) * np.log(c / r), axis=1))
        q = window / n
        mid = (p + q) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(p > 0, p * np.log2(p / mid), 0.0) + np.where(q > 0, q * np.log2(q / mid), 0.0)
        js = np.sqrt(np.maximum(0.0, kl.sum(axis=1) / 2))
        js_parts.append(8 * math.log(2) * n_eff * js * js)
    out = {"n": n, "n_eff": n_eff, "seed": seed}
    for name, parts in (("psi", psi_parts), ("js", js_parts)):
        t = np.concatenate(parts)
        out[name] = [{"level": float(g), "t": float(np.quantile(t, 1 - g))} for g in CALIBRATION_TAIL_GRID]
    return out


def scaled_chi2_fit(upper: float, lower: float, level_upper: float = 0.1, level_lower: float = 0.01) -> dict:
    from scipy.optimize import brentq

    ratio = lower / upper
    log_nu = brentq(lambda x: stats.chi2.isf(level_lower, math.exp(x)) / stats.chi2.isf(level_upper, math.exp(x)) - ratio, math.log(0.1), math.log(1000), xtol=1e-14, rtol=1e-15)
    nu = math.exp(log_nu)
    scale = lower / stats.chi2.isf(level_lower, nu)
    ts = [0.5 * upper, upper, lower, 1.5 * lower, 3 * lower]
    alphas = [0.2, 0.05, 1e-3, 1e-5]
    return {
        "upper": upper,
        "lower": lower,
        "level_upper": level_upper,
        "level_lower": level_lower,
        "dof": nu,
        "scale": scale,
        "pvalues": [{"t": t, "p": float(stats.chi2.sf(t / scale, nu))} for t in ts],
        "critical": [{"alpha": a, "t": float(scale * stats.chi2.isf(a, nu))} for a in alphas],
    }


def calibration_cases() -> dict:
    references = [
        ("deciles", "numeric: 10 PSI bins of a 20,000-value reference", np.full(10, 2000.0)),
        ("uneven", "numeric with ties: unequal PSI bins (a point mass merges deciles)", np.array([6000.0, 2000, 2000, 2000, 2000, 2000, 2000, 2000])),
        ("rare", "categorical with rare categories", np.array([1500.0, 900, 400, 150, 40, 10])),
    ]
    cases = []
    for i, (name, description, counts) in enumerate(references):
        cases.append({"name": name, "description": description, "counts": counts.tolist(), "nulls": [calibration_null(counts, n, 1000 + 10 * i + j) for j, n in enumerate([100, 1000])]})
    fits = [scaled_chi2_fit(u, l) for u, l in [(14.68, 21.67), (15.8, 25.2), (2.7, 6.6), (3.1, 11.5), (40.0, 52.0)]]
    # The pieces between deeper stored levels (0.01 to 1e-3, 1e-3 to 1e-4).
    fits += [scaled_chi2_fit(u, l, a, b) for u, l, a, b in [(24.1, 33.0, 0.01, 1e-3), (23.2, 30.8, 0.01, 1e-3), (30.8, 39.0, 1e-3, 1e-4), (33.0, 41.0, 1e-3, 1e-4)]]
    return {"replicates_ts": CALIBRATION_REPLICATES_TS, "replicates_np": CALIBRATION_REPLICATES_NP, "cases": cases, "fits": fits}


def write(name: str, payload: dict) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    path = FIXTURES / name
    path.write_text(json.dumps({"provenance": provenance(), **payload}, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path} ({path.stat().st_size:,} bytes)")


def main() -> int:
    write("distributions.json", {"cases": distribution_cases()})
    write("integration.json", integration_case())
    write("special.json", special_functions())
    write("calibration.json", calibration_cases())
    return 0


if __name__ == "__main__":
    sys.exit(main())
