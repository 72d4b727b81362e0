import { DriftDetector, type DetectorOptions } from '../../core/detect/detector.js';
import type { CheckResult } from '../../core/detect/result.js';
import type { Evaluation, ModelCheck } from '../../core/detect/evaluation.js';
import { Hysteresis, type HysteresisOptions } from '../../core/detect/hysteresis.js';
import { modelVersionKey } from '../../core/keys.js';
import type { DeadLetterEntry, FeatureSource, TimeWindow } from '../../adapters/stores/source.js';
import { WindowAccumulation, type AccumulationOptions, type RejectReason, type WindowGroup } from './accumulate.js';
import { formatCheck } from '../commands/check.js';
import { seedOfWindowEnd } from './reservoir.js';

export interface JobCheck {
  model: string;
  modelVersion: string;
  check: CheckResult;
  /** Rows of this (model, version) that could not be scored, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /** Scored rows whose class probabilities count as invalid, and why (accumulate.ts). */
  invalidProbabilities?: WindowGroup['invalidProbabilities'];
}

export interface JobRunResult {
  window: { start: Date; end: Date };
  /** Rows the store returned for the window. */
  rows: number;
  checks: JobCheck[];
  /** Rejected rows of no scored (model, version): unknown versions, rows without a version. */
  unassigned: WindowAccumulation['unassigned'];
  /**
   * Set when FEATURE_STORE_MAX_ROWS is: the cap, the scorable rows seen in the window and those
   * kept (a uniform sample when seen > cap; every one otherwise).
   */
  sample?: { cap: number; seen: number; kept: number };
  /** The rejected rows themselves, when a dead letter is configured. */
  deadLetters: DeadLetterEntry[];
  durationMs: number;
}

export interface CheckWindowOptions extends AccumulationOptions {
  source: FeatureSource;
  window: TimeWindow;
  detector: Omit<DetectorOptions, 'now'>;
  /** Wall clock, for the duration only. */
  nowMs?: () => number;
}

/**
 * One run of the scheduled job: read the window from the store, accumulate each (model,
 * version) on its reference, score it. The result's `timestamp` is the window end, so a rerun
 * of the same window gives the same result, byte for byte.
 */
export async function checkWindow(options: CheckWindowOptions): Promise<JobRunResult> {
  const nowMs = options.nowMs ?? Date.now;
  const started = nowMs();
  // The sample's seed is the window end: a rerun over the same rows keeps the same ones.
  const accumulation = new WindowAccumulation({ ...options, sampleSeed: options.sampleSeed ?? seedOfWindowEnd(options.window.endMs) });
  const summary = await options.source.read(
    options.window,
    (row) => accumulation.add(row),
    (raw) => accumulation.keepUndecodable(raw),
  );
  for (const [reason, n] of Object.entries(summary.undecodable ?? {})) for (let i = 0; i < n; i++) accumulation.reject(reason as RejectReason, '*', null);
  const sample = accumulation.finish();
  const end = new Date(options.window.endMs);
  const detector = new DriftDetector({ ...options.detector, now: () => end });
  const checks = [...accumulation.groups.values()]
    .sort((a, b) => (a.model === b.model ? a.modelVersion.localeCompare(b.modelVersion) : a.model.localeCompare(b.model)))
    .map((g) => ({
      model: g.model,
      modelVersion: g.modelVersion,
      check: detector.evaluate(g.accumulator, g.reference),
      rejected: g.rejected,
      ...(g.invalidProbabilities ? { invalidProbabilities: g.invalidProbabilities } : {}),
    }));
  return {
    window: { start: new Date(options.window.startMs), end },
    rows: accumulation.rows,
    checks,
    unassigned: accumulation.unassigned,
    sample,
    deadLetters: accumulation.deadLetters.map((d) => ({ ...d, window: options.window })),
    durationMs: nowMs() - started,
  };
}

/**
 * The run as an `Evaluation` for the exporters of `driftwatch run` (InfluxDB, drift events,
 * alerts, console, JSON Lines), with each (model, version)'s drift state carried across runs.
 */
export function toEvaluation(result: JobRunResult, states: Map<string, Hysteresis>, hysteresis: HysteresisOptions, closedAtWallMs: number): Evaluation {
  const checks: ModelCheck[] = result.checks.map((c) => {
    const key = modelVersionKey(c.model, c.modelVersion);
    let state = states.get(key);
    if (!state) states.set(key, (state = new Hysteresis(hysteresis)));
    const change = state.update(c.check.status === 'ok' ? c.check.drift_detected : null);
    const invalid = Object.values(c.rejected).reduce((a, b) => a + (b ?? 0), 0);
    return { model: c.model, modelVersion: c.modelVersion, check: c.check, change, state: state.state, lateEvents: 0, invalidEvents: invalid, durationMs: result.durationMs };
  });
  return { windowStart: result.window.start, windowEnd: result.window.end, checks, closedAtWallMs };
}

/** `check --json`'s object per (model, version), on one line, with the model, the window and the rejected rows. */
export function jobJsonLines(result: JobRunResult): string {
  const window = { start: result.window.start.toISOString(), end: result.window.end.toISOString() };
  const sample = result.sample
    ? { sampled: result.sample.seen > result.sample.kept, rows_seen: result.sample.seen, rows_kept: result.sample.kept, max_rows: result.sample.cap }
    : {};
  const lines = result.checks.map((c) => {
    const p = c.invalidProbabilities;
    const probabilities = p ? { invalid_probabilities: { rows: p.rows, unknown_classes: p.unknownClasses, not_an_object: p.notAnObject } } : {};
    return JSON.stringify({ model: c.model, ...c.check, window, rejected_rows: c.rejected, ...probabilities, ...sample });
  });
  for (const u of result.unassigned) lines.push(JSON.stringify({ model: u.model, model_version: u.modelVersion, status: 'rejected', reason: u.reason, rows: u.count, window }));
  return lines.map((l) => l + '\n').join('');
}

/** `check`'s table per (model, version), under a heading naming it and the window. */
export function jobTable(result: JobRunResult): string {
  const span = `${result.window.start.toISOString()} → ${result.window.end.toISOString()}`;
  const parts = result.checks.map((c) => {
    const rejected = Object.entries(c.rejected);
    let note = rejected.length > 0 ? `rejected rows: ${rejected.map(([r, n]) => `${n} ${r}`).join(', ')}\n` : '';
    if (c.invalidProbabilities) note += `note: ${invalidProbabilitiesNote(c.invalidProbabilities)}\n`;
    return `== ${c.model} ${c.modelVersion}  window ${span}\n${formatCheck(c.check)}${note}`;
  });
  for (const u of result.unassigned) parts.push(`rejected: ${u.count} row(s) of ${u.model}${u.modelVersion ? ` ${u.modelVersion}` : ''}: ${u.reason}\n`);
  if (result.sample && result.sample.seen > result.sample.kept) {
    parts.push(`note: FEATURE_STORE_MAX_ROWS=${result.sample.cap}: scored a uniform sample of ${result.sample.kept} of the window's ${result.sample.seen} scorable rows\n`);
  }
  if (parts.length === 0) parts.push(`no rows in window ${span} (${result.rows} read)\n`);
  return parts.join('\n');
}

/** What the rows with invalid class probabilities were, in the words `check` uses. */
export function invalidProbabilitiesNote(p: NonNullable<WindowGroup['invalidProbabilities']>): string {
  const parts: string[] = [];
  const unknown = p.rows - p.notAnObject;
  if (unknown > 0) parts.push(`${unknown} row(s) give the probability of a class the reference does not know (${p.unknownClasses.map((c) => JSON.stringify(c)).join(', ')})`);
  if (p.notAnObject > 0) parts.push(`${p.notAnObject} row(s) have "probabilities" that is no object of class → probability`);
  return `${parts.join('; ')}: their class probabilities count as invalid`;
}
