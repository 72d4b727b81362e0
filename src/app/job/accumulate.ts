import { FeatureSetAccumulator } from '../../core/stats/index.js';
import type { ReferenceDistribution } from '../../core/reference/index.js';
import { modelVersionKey } from '../../core/keys.js';
import type { StoreRow } from '../../adapters/stores/source.js';

/** Why a stored row could not be scored. Values inside a usable row that are not numbers are not rejections: they count as the feature's `invalid_values`, as in `check`. */
export type RejectReason = 'null_vector' | 'not_a_vector' | 'wrong_length' | 'no_model_version' | 'unknown_version' | 'undecodable';

export interface WindowGroup {
  model: string;
  modelVersion: string;
  reference: ReferenceDistribution;
  accumulator: FeatureSetAccumulator;
  /** Rows of this (model, version) that were rejected, by reason. */
  rejected: Partial<Record<RejectReason, number>>;
}

export interface AccumulationOptions {
  /** The reference of a (model, version), or undefined when there is none. */
  referenceFor(model: string, modelVersion: string): ReferenceDistribution | undefined;
  /** MODEL_NAME / MODEL_VERSION for rows without them. */
  defaults: { model?: string; modelVersion?: string };
}

const DEFAULT_MODEL = 'default';

/**
 * The rows of one window, accumulated per (model, version) on its reference's bins as they
 * arrive. Rows are recorded one at a time through the same accumulator calls as `check`, so
 * a window's scores equal `check` on the same rows exactly.
 */
export class WindowAccumulation {
  readonly groups = new Map<string, WindowGroup>();
  /** Rejected rows that belong to no scored (model, version), by reason and `model/version`. */
  readonly unassigned: { reason: RejectReason; model: string; modelVersion: string | null; count: number }[] = [];
  rows = 0;

  constructor(private readonly options: AccumulationOptions) {}

  add(row: StoreRow): void {
    this.rows++;
    const model = row.model ?? this.options.defaults.model ?? DEFAULT_MODEL;
    const version = row.modelVersion ?? this.options.defaults.modelVersion;
    if (version === undefined) return this.reject('no_model_version', model, null);
    const group = this.group(model, version);
    if (!group) return this.reject('unknown_version', model, version);
    const { features } = row;
    if (features === null || features === undefined) return count(group, 'null_vector');
    if (Array.isArray(features)) {
      if (features.length !== group.reference.features.length) return count(group, 'wrong_length');
      group.accumulator.recordArray(features);
    } else if (typeof features === 'object') {
      group.accumulator.recordObject(features as Record<string, unknown>);
    } else {
      count(group, 'not_a_vector');
    }
  }

  /** Counts a row rejected before its model was known (undecodable text, say). */
  reject(reason: RejectReason, model: string, modelVersion: string | null): void {
    const hit = this.unassigned.find((u) => u.reason === reason && u.model === model && u.modelVersion === modelVersion);
    if (hit) hit.count++;
    else this.unassigned.push({ reason, model, modelVersion, count: 1 });
  }

  private group(model: string, modelVersion: string): WindowGroup | undefined {
    const key = modelVersionKey(model, modelVersion);
    let group = this.groups.get(key);
    if (group) return group;
    const reference = this.options.referenceFor(model, modelVersion);
    if (!reference) return undefined;
    group = { model, modelVersion, reference, accumulator: new FeatureSetAccumulator(reference.features), rejected: {} };
    this.groups.set(key, group);
    return group;
  }
}

function count(group: WindowGroup, reason: RejectReason): void {
  group.rejected[reason] = (group.rejected[reason] ?? 0) + 1;
}
