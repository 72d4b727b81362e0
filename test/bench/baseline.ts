/**
 * The straightforward way of scoring drift, written from scratch as the benchmarks' baseline:
 * keep the raw values, sort both samples, take PSI on the reference deciles and the exact
 * two-sample KS statistic by merging the sorted samples. No histograms, nothing reused from
 * src/core/stats, so it doubles as an independent check of driftwatch's figures.
 */

/** numpy.quantile(sorted, p) with the default "linear" method. */
export function linearQuantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Deciles of the reference, duplicates removed: the PSI bin edges. */
export function decileEdges(refSorted: Float64Array, bins = 10): number[] {
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = linearQuantile(refSorted, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return edges;
}

/** Counts per right-closed bin (−∞, e0], (e0, e1], …, (e_last, +∞) of a sorted sample. */
function binCounts(sorted: Float64Array, edges: readonly number[]): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  let bin = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (bin < edges.length && sorted[i] > edges[bin]) bin++;
    counts[bin]++;
  }
  return counts;
}

/** PSI = Σ (c − r)·ln(c / r) over proportions floored at 1e-4 (docs/statistics.md). */
export function psiSorted(refSorted: Float64Array, curSorted: Float64Array, edges = decileEdges(refSorted)): number {
  const r = binCounts(refSorted, edges);
  const c = binCounts(curSorted, edges);
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    const rp = Math.max(r[i] / refSorted.length, 1e-4);
    const cp = Math.max(c[i] / curSorted.length, 1e-4);
    psi += (cp - rp) * Math.log(cp / rp);
  }
  return psi;
}

/** Exact two-sample KS statistic D of two sorted samples (scipy.stats.ks_2samp). */
export function ksSorted(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const m = y.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = x[i] < y[j] ? x[i] : y[j];
    while (i < n && x[i] <= v) i++;
    while (j < m && y[j] <= v) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/** One column of array rows as a Float64Array (non-finite values dropped, as missing). */
export function column(rows: readonly (readonly number[])[], j: number): Float64Array {
  const out = new Float64Array(rows.length);
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i][j];
    if (Number.isFinite(v)) out[k++] = v;
  }
  return k === rows.length ? out : out.slice(0, k);
}

export interface NaiveScores {
  psi: Float64Array;
  ks: Float64Array;
}

/** The whole straightforward check: per feature, extract, sort both samples, PSI and exact KS. */
export function naiveCheck(reference: readonly (readonly number[])[], current: readonly (readonly number[])[], features: number): NaiveScores {
  const psi = new Float64Array(features);
  const ks = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    const ref = column(reference, j).sort();
    const cur = column(current, j).sort();
    psi[j] = psiSorted(ref, cur);
    ks[j] = ksSorted(ref, cur);
  }
  return { psi, ks };
}
