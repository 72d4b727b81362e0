/**
 * Corrections for testing many features in one check, applied to their p-values.
 *
 * - `none`: each feature at level α (the per-feature false-alarm rate is α; with F independent
 *   stable features the check raises a false alarm in 1 − (1 − α)^F of windows).
 * - `bonferroni`: each feature at α/F; the family-wise error rate (the check's false-alarm rate
 *   per window) is at most α under any dependence.
 * - `bh`: Benjamini–Hochberg step-up: sort p ascending, reject the R smallest where R is the
 *   largest r with p_(r) ≤ α·r/F. Controls the false discovery rate at α for independent or
 *   positively dependent tests; when no feature drifted (the stationary case) the FDR is the
 *   family-wise rate, so the check's false-alarm rate per window is also at most α.
 *   Reference: Benjamini & Hochberg (1995), JRSS B 57(1).
 */
export const CORRECTIONS = ['none', 'bonferroni', 'bh'] as const;
export type Correction = (typeof CORRECTIONS)[number];

/**
 * The per-feature level each p-value is compared with (p ≤ level rejects): the same for every
 * feature. Null p-values (no decision) take no part and do not count in F.
 */
export function correctedLevel(pValues: readonly (number | null)[], alpha: number, correction: Correction): number {
  const ps = pValues.filter((p): p is number => p !== null && !Number.isNaN(p));
  const f = ps.length;
  if (correction === 'none' || f === 0) return alpha;
  if (correction === 'bonferroni') return alpha / f;
  ps.sort((a, b) => a - b);
  let rejected = 0;
  for (let r = 1; r <= f; r++) if (ps[r - 1] <= (alpha * r) / f) rejected = r;
  // With no rejection, the first step's level α/F: every p is above it.
  return (alpha * Math.max(rejected, 1)) / f;
}
