/** Number and time formatting shared by the report's tables and charts. */

const compact = new Intl.NumberFormat('en', { maximumSignificantDigits: 3, notation: 'compact' });
const grouped = new Intl.NumberFormat('en');

/** A statistic: fixed decimals, `—` when it does not apply; tiny p-values in exponent form. */
export function stat(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(1);
  return x.toFixed(digits);
}

/** A value on an axis or a bin edge: three significant digits, compact (12.3k). */
export function value(x: number): string {
  if (x === Number.NEGATIVE_INFINITY) return '−∞';
  if (x === Number.POSITIVE_INFINITY) return '+∞';
  return compact.format(x);
}

/** A count with thousands separators. */
export function count(n: number): string {
  return grouped.format(n);
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** An instant as `2026-12-02 10:05:00Z`. */
export function instant(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** A sort key for a `data-v` attribute: numbers as they are, missing ones last (ascending). */
export function sortKey(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '' : String(x);
}
