/**
 * What every benchmark scenario shares: timing with warm-up and a median, the machine's load,
 * and one way of printing figures. A scenario prints its own table, then one machine-readable
 * line (`@@bench {...}`) that test/bench/run.ts collects into the summary.
 *
 * These are benchmarks, not timed tests: nothing here fails a build. A figure below its target
 * prints MISS; the process still exits 0.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

export interface Target {
  /** `max`: the figure must be at most `value`; `min`: at least. */
  kind: 'max' | 'min';
  value: number;
}

export interface Figure {
  /** What was measured, e.g. "driftwatch detect (median of 5)". */
  name: string;
  value: number;
  unit: string;
  /** The same quantity for the baseline of the same run. */
  baseline?: { name: string; value: number };
  target?: Target;
  /** Extra context printed beside the figure (counts, checks). */
  note?: string;
}

export interface ScenarioReport {
  scenario: string;
  load: string;
  figures: Figure[];
}

export const RESULT_PREFIX = '@@bench ';

/** `uptime`'s load averages (1, 5, 15 min) on this machine, as printed beside every figure. */
export function machineLoad(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' })
      .trim()
      .replace(/^.*load average:\s*/, 'load ');
  } catch {
    return `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`;
  }
}

/** Full collection when node runs with --expose-gc (the runner passes it); a no-op otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/**
 * Runs `fn` `warmup` times unmeasured, then `runs` times, each after a full GC; returns every
 * measured duration in milliseconds (their median is the figure).
 */
export async function timeRuns(fn: () => unknown, runs: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function passes(value: number, target: Target): boolean {
  return target.kind === 'max' ? value <= target.value : value >= target.value;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toPrecision(3);
}

export function targetText(target: Target | undefined, unit: string): string {
  if (!target) return '—';
  return `${target.kind === 'max' ? '≤' : '≥'} ${formatNumber(target.value)} ${unit}`;
}

export function verdict(figure: Figure): string {
  if (!figure.target) return '';
  return passes(figure.value, figure.target) ? 'PASS' : 'MISS';
}

/** Prints the scenario's figures as a table, then the line the runner collects. */
export function report(scenario: string, figures: Figure[], load = machineLoad()): void {
  const rows = figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    f.baseline ? `${formatNumber(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '—',
    targetText(f.target, f.unit),
    verdict(f),
  ]);
  const header = ['figure', 'value', 'baseline, same run', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  console.log(`\n== ${scenario} (${load})`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  for (const f of figures) if (f.note) console.log(`   ${f.name}: ${f.note}`);
  const result: ScenarioReport = { scenario, load, figures };
  console.log(RESULT_PREFIX + JSON.stringify(result));
}

/** Prints a progress line on stderr (kept out of the figures). */
export function progress(message: string): void {
  process.stderr.write(`   … ${message}\n`);
}
