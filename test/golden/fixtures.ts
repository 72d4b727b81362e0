/**
 * Typed access to the golden fixtures written by test/golden/generate.py (numpy + scipy).
 * Regenerate them with that script; never edit the JSON by hand.
 */
import { readFileSync } from 'node:fs';

export interface Provenance {
  generator: string;
  python: string;
  numpy: string;
  scipy: string;
}

interface CaseBase {
  name: string;
  description: string;
  /** Raw samples; null is a missing value (NaN or None in the generator). */
  reference: (number | string | null)[];
  current: (number | string | null)[];
}

export interface NumericCase extends CaseBase {
  type: 'numeric';
  reference: (number | null)[];
  current: (number | null)[];
  expected: {
    reference_count: number;
    current_count: number;
    reference_missing_rate: number;
    missing_rate: number;
    psi_edges: number[];
    psi_reference_counts: number[];
    psi_current_counts: number[];
    psi: number;
    ks: number;
    ks_pvalue_kolmogorov: number;
    ks_pvalue_asymp: number;
    js: number;
    /** numpy norm(√p − √q)/√2 and scipy chebyshev(p, q) on the PSI-bin proportions. */
    hellinger: number;
    linf: number;
    wasserstein_raw: number;
    reference_std: number;
    wasserstein: number;
    distinct_reference_values: number;
  } & AsymptoticPValues;
}

export interface CategoricalCase extends CaseBase {
  type: 'categorical';
  reference: (string | null)[];
  current: (string | null)[];
  expected: {
    reference_count: number;
    current_count: number;
    reference_missing_rate: number;
    missing_rate: number;
    categories: string[];
    unseen_categories: string[];
    reference_counts: number[];
    current_counts: number[];
    psi: number;
    js: number;
    /** numpy norm(√p − √q)/√2 and scipy chebyshev(p, q) on the category proportions. */
    hellinger: number;
    linf: number;
    /** scipy.stats.chi2_contingency([reference, current], correction=False). */
    chi2_statistic: number;
    chi2_pvalue: number;
    chi2_dof: number;
  } & AsymptoticPValues;
}

/** PSI, JS and KS p-values and critical values at α = 0.01 (scipy.stats.chi2, scipy.special.kolmogi). */
export interface AsymptoticPValues {
  n_eff: number;
  occupied_bins: number;
  psi_pvalue: number;
  js_pvalue: number;
  psi_critical_001: number;
  js_critical_001: number;
  ks_critical_001: number;
}

export type GoldenCase = NumericCase | CategoricalCase;

export interface Distributions {
  provenance: Provenance;
  cases: GoldenCase[];
}

export interface Integration {
  provenance: Provenance;
  feature_names: string[];
  train: number[][];
  fresh: number[][];
}

export interface SpecialFunctions {
  provenance: Provenance;
  kolmogorov: { lambda: number; q: number }[];
  chi2_sf: { x: number; k: number; sf: number }[];
}

/** calibration.json: numpy's Monte Carlo of the calibrated null, and scipy's scaled χ² fits. */
export interface CalibrationFixtures {
  provenance: Provenance;
  replicates_ts: number;
  replicates_np: number;
  cases: {
    name: string;
    description: string;
    counts: number[];
    /** Per window size and metric: numpy's upper-tail quantiles t of T on a grid of levels (descending). */
    nulls: ({ n: number; n_eff: number; seed: number } & Record<'psi' | 'js', { level: number; t: number }[]>)[];
  }[];
  fits: {
    upper: number;
    lower: number;
    level_upper: number;
    level_lower: number;
    dof: number;
    scale: number;
    pvalues: { t: number; p: number }[];
    critical: { alpha: number; t: number }[];
  }[];
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export const distributions = (): Distributions => load<Distributions>('distributions.json');
export const integration = (): Integration => load<Integration>('integration.json');
export const specialFunctions = (): SpecialFunctions => load<SpecialFunctions>('special.json');
export const calibrationFixtures = (): CalibrationFixtures => load<CalibrationFixtures>('calibration.json');

export const numericCases = (): NumericCase[] => distributions().cases.filter((c): c is NumericCase => c.type === 'numeric');
export const categoricalCases = (): CategoricalCase[] => distributions().cases.filter((c): c is CategoricalCase => c.type === 'categorical');

/** Non-missing values of a numeric sample. */
export const present = (values: (number | null)[]): number[] => values.filter((v): v is number => v !== null);

/** |a − b| / |b|, or |a − b| when b is 0. */
export function relativeError(actual: number, expected: number): number {
  const diff = Math.abs(actual - expected);
  return expected === 0 ? diff : diff / Math.abs(expected);
}
