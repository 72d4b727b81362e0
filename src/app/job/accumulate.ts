import { FeatureSetAccumulator } from '../../core/stats/index.js';
import type { ReferenceDistribution } from '../../core/reference/index.js';
import { modelVersionKey } from '../../core/keys.js';
import type { DeadLetterEntry, StoreRow } from '../../adapters/stores/source.js';
import { PROBABILITIES, resolveOutputs } from '../../core/event/probabilities.js';
import { parseVectorText } from '../../adapters/stores/source.js';
import { Reservoir } from './reservoir.js';

/** Why a stored row could not be scored. Values inside a usable row that are not numbers are not rejections: they count as the feature's `invalid_values`, as in `check`. */
export type RejectReason = 'null_vector' | 'not_a_vector' | 'wrong_length' | 'no_model_version' | 'unknown_version' | 'undecodable';

export interface WindowGroup {
  model: string;
  modelVersion: string;
  reference: ReferenceDistribution;
  accumulator: FeatureSetAccumulator;
  /** Rows of this (model, version) that were rejected, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
  /**
   * Scored rows whose class probabilities could not be compared with the reference's: a class
   * it does not know, or `probabilities` that is no object class → probability. Their
   * `probability_<class>` values count as invalid (the outputs' `invalid_values`), as for a
   * prediction event; here the rows are counted, with the classes named.
   */
  invalidProbabilities?: { rows: number; unknownClasses: string[]; notAnObject: number };
}

export interface AccumulationOptions {
  /** The reference of a (model, version), or undefined when there is none. */
  referenceFor(model: string, modelVersion: string): ReferenceDistribution | undefined;
  /** MODEL_NAME / MODEL_VERSION for rows without them. */
  defaults: { model?: string; modelVersion?: string };
  /**
   * FEATURE_STORE_MAX_ROWS: at most this many scorable rows are scored, a uniform sample of
   * the window's (reservoir sampling, seeded with `sampleSeed`). Undefined: every row.
   */
  maxRows?: number;
  sampleSeed?: number;
  /** Keep each rejected row for the dead-letter table or key (FEATURE_STORE_DEAD_LETTER). */
  keepRejected?: boolean;
}

const DEFAULT_MODEL = 'default';

/**
 * The rows of one window, accumulated per (model, version) on its reference's bins as they
 * arrive. Rows are recorded one at a time through the same accumulator calls as `check`, so
 * a window's scores equal `check` on the same rows exactly. With a row cap the scorable rows
 * pass through a reservoir first and are recorded, in their order of arrival, by `finish()`;
 * rejected rows are counted (and kept for the dead letter) whether or not a cap is set.
 */
export class WindowAccumulation {
  readonly groups = new Map<string, WindowGroup>();
  /** Rejected rows that belong to no scored (model, version), by reason and `model/version`. */
  readonly unassigned: { reason: RejectReason; model: string; modelVersion: string | null; count: number }[] = [];
  /** Rejected rows themselves, when `keepRejected` (window bounds filled in by the caller). */
  readonly deadLetters: Omit<DeadLetterEntry, 'window'>[] = [];
  rows = 0;
  private readonly reservoir: Reservoir<{ group: WindowGroup; features: unknown[] | Record<string, unknown> }> | null;

  constructor(private readonly options: AccumulationOptions) {
    this.reservoir = options.maxRows === undefined ? null : new Reservoir(options.maxRows, options.sampleSeed ?? 0);
  }

  add(row: StoreRow): void {
    this.rows++;
    const model = row.model ?? this.options.defaults.model ?? DEFAULT_MODEL;
    const version = row.modelVersion ?? this.options.defaults.modelVersion;
    if (version === undefined) return this.reject('no_model_version', model, null, row.features);
    const group = this.group(model, version);
    if (!group) return this.reject('unknown_version', model, version, row.features);
    const { features } = row;
    let usable: unknown[] | Record<string, unknown>;
    if (features === null || features === undefined) return this.count(group, 'null_vector', features);
    if (Array.isArray(features)) {
      if (features.length !== group.reference.features.length) return this.count(group, 'wrong_length', features);
      usable = features;
    } else if (typeof features === 'object') {
      usable = features as Record<string, unknown>;
    } else {
      return this.count(group, 'not_a_vector', features);
    }
    if (group.reference.outputs.length > 0) usable = withOutputs(group, usable, row.outputs);
    if (this.reservoir) this.reservoir.offer({ group, features: usable });
    else record(group, usable);
  }

  /** Records the sampled rows (with a cap); returns what the sample was. */
  finish(): { cap: number; seen: number; kept: number } | undefined {
    if (!this.reservoir) return undefined;
    for (const { group, features } of this.reservoir.inOrder()) record(group, features);
    return { cap: this.reservoir.capacity, seen: this.reservoir.seen, kept: this.reservoir.kept.length };
  }

  /** Counts a row rejected before its model was known (undecodable text, say). */
  reject(reason: RejectReason, model: string, modelVersion: string | null, row?: unknown): void {
    const hit = this.unassigned.find((u) => u.reason === reason && u.model === model && u.modelVersion === modelVersion);
    if (hit) hit.count++;
    else this.unassigned.push({ reason, model, modelVersion, count: 1 });
    if (this.options.keepRejected && row !== undefined) this.deadLetters.push({ reason, model, modelVersion, row });
  }

  /** Keeps an undecodable row's raw text for the dead letter (its count comes from the source's summary). */
  keepUndecodable(raw: string): void {
    if (this.options.keepRejected) this.deadLetters.push({ reason: 'undecodable', model: null, modelVersion: null, row: raw });
  }

  private count(group: WindowGroup, reason: RejectReason, row: unknown): void {
    group.rejected[reason] = (group.rejected[reason] ?? 0) + 1;
    if (this.options.keepRejected) this.deadLetters.push({ reason, model: group.model, modelVersion: group.modelVersion, row: row ?? null });
  }

  private group(model: string, modelVersion: string): WindowGroup | undefined {
    const key = modelVersionKey(model, modelVersion);
    let group = this.groups.get(key);
    if (group) return group;
    const reference = this.options.referenceFor(model, modelVersion);
    if (!reference) return undefined;
    group = { model, modelVersion, reference, accumulator: new FeatureSetAccumulator(reference.signals), rejected: {} };
    this.groups.set(key, group);
    return group;
  }
}

/**
 * A row's values with the model's outputs after the features (the accumulator's signal order),
 * under the prediction events' rules (core/event/probabilities.ts): from the row's `outputs`,
 * else (object rows) from keys of the same name; missing otherwise. Per-class probabilities come
 * as a `probabilities` object (JSON text of one is parsed) or as `probability_<class>` entries;
 * an unknown class or a value that is no object makes the row's class probabilities invalid
 * (counted in the group), a number outside [0, 1] is invalid, a row without `confidence` takes
 * its largest probability.
 */
function withOutputs(group: WindowGroup, features: unknown[] | Record<string, unknown>, outputs: Record<string, unknown> | undefined): unknown[] | Record<string, unknown> {
  const { reference } = group;
  const names = reference.outputNames;
  let given: Record<string, unknown> = Array.isArray(features) ? (outputs ?? {}) : outputs ? { ...features, ...outputs } : features;
  const carried = given[PROBABILITIES];
  if (typeof carried === 'string') {
    const parsed = parseVectorText(carried);
    if (parsed.ok) given = { ...given, [PROBABILITIES]: parsed.value };
  }
  const resolved = Object.hasOwn(given, PROBABILITIES) ? resolveOutputs(given, names) : resolveOutputs(given, names, { isFeature: (key) => reference.feature(key) !== undefined });
  if (resolved.unknownClasses.length > 0 || isNotAnObject(given[PROBABILITIES])) {
    const issue = (group.invalidProbabilities ??= { rows: 0, unknownClasses: [], notAnObject: 0 });
    issue.rows++;
    if (resolved.unknownClasses.length === 0) issue.notAnObject++;
    for (const c of resolved.unknownClasses) if (!issue.unknownClasses.includes(c)) issue.unknownClasses.push(c);
    issue.unknownClasses.sort();
  }
  if (Array.isArray(features)) return [...features, ...names.map((name) => resolved.outputs[name])];
  const merged: Record<string, unknown> = { ...features };
  for (const name of names) merged[name] = resolved.outputs[name];
  return merged;
}

/** A `probabilities` value that is given but is no object class → probability (null and absent are missing). */
const isNotAnObject = (v: unknown): boolean => v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v));

function record(group: WindowGroup, features: unknown[] | Record<string, unknown>): void {
  if (Array.isArray(features)) group.accumulator.recordArray(features);
  else group.accumulator.recordObject(features);
}
