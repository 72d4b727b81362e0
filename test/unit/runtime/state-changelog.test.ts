// The state changelog (issue 16, item 3; docs/windows-and-delivery.md, "Durable state"): what
// StateChangelog writes to its store, and what it reads back, against an in-memory compacted log.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StateChangelog, type ChangelogStore } from '../../../src/runtime/delivery/changelog.js';
import { parseMetadata, encodeMetadataV2 } from '../../../src/runtime/delivery/commit-metadata.js';

const logger = pino({ level: 'silent' });

/** A compacted log in memory: every write appended, readAll the latest value per key. */
function memoryLog() {
  const log: { key: string; value: string | null }[] = [];
  let failing = false;
  const store: ChangelogStore = {
    async readAll() {
      const state = new Map<string, string>();
      for (const r of log) {
        if (r.value === null) state.delete(r.key);
        else state.set(r.key, r.value);
      }
      return state;
    },
    async write(records) {
      if (failing) throw new Error('broker down');
      log.push(...records);
    },
  };
  return { store, log, fail: (on: boolean) => (failing = on) };
}

describe('StateChangelog', () => {
  it('keeps any number of models (no 4,000-byte limit) and reads them back after a restart', async () => {
    const { store } = memoryLog();
    const state = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`model-${i}\u0000v1`, [1, 3, 0] as [0 | 1, number, number]]));
    expect(await new StateChangelog(store, logger).save(state)).toBe(1000);
    expect(await new StateChangelog(store, logger).load()).toEqual(state);
  });

  it('writes only what changed since the last save or load', async () => {
    const { store, log } = memoryLog();
    const a = new StateChangelog(store, logger);
    await a.save({ 'm\u0000v1': [1, 1, 0], 'n\u0000v1': [0, 0, 2] });
    expect(await a.save({ 'm\u0000v1': [1, 1, 0], 'n\u0000v1': [0, 0, 3] })).toBe(1);
    expect(log.at(-1)).toEqual({ key: 'n\u0000v1', value: JSON.stringify({ v: 1, s: [0, 0, 3] }) });
    const b = new StateChangelog(store, logger);
    await b.load();
    expect(await b.save({ 'm\u0000v1': [1, 1, 0], 'n\u0000v1': [0, 0, 3] })).toBe(0);
  });

  it("tombstones a model it wrote and forgot, never another instance's", async () => {
    const { store, log } = memoryLog();
    await new StateChangelog(store, logger).save({ 'other\u0000v1': [1, 2, 0] }); // another instance's model
    const mine = new StateChangelog(store, logger);
    await mine.load();
    await mine.save({ 'other\u0000v1': [1, 2, 0], 'm\u0000v1': [0, 0, 1] });
    await mine.save({}); // both left this instance's state
    expect(log.at(-1)).toEqual({ key: 'm\u0000v1', value: null });
    expect(await new StateChangelog(store, logger).load()).toEqual({ 'other\u0000v1': [1, 2, 0] });
  });

  it('a failed write rejects (the caller then commits no offsets) and is written again next time', async () => {
    const { store, fail } = memoryLog();
    const c = new StateChangelog(store, logger);
    fail(true);
    await expect(c.save({ 'm\u0000v1': [1, 1, 0] })).rejects.toThrow('broker down');
    fail(false);
    expect(await c.save({ 'm\u0000v1': [1, 1, 0] })).toBe(1);
  });

  it('ignores records that do not decode (that model starts ok)', async () => {
    const { store, log } = memoryLog();
    log.push(
      { key: 'a\u0000v1', value: '{not json' },
      { key: 'b\u0000v1', value: JSON.stringify({ v: 9, s: [1, 1, 1] }) },
      { key: 'c\u0000v1', value: JSON.stringify({ v: 1, s: [2, 1, 1] }) },
    );
    log.push({ key: 'd\u0000v1', value: JSON.stringify({ v: 1, s: [1, 4, 0] }) });
    expect(await new StateChangelog(store, logger).load()).toEqual({ 'd\u0000v1': [1, 4, 0] });
  });
});

describe('commit metadata versions', () => {
  it('version 2 keeps the positions only and says the state is in the changelog', () => {
    const text = encodeMetadataV2({ lastEndMs: 1_800_000, hysteresis: { 'm\u0000v1': [1, 1, 0] } }, 42);
    expect(JSON.parse(text)).toEqual({ v: 2, e: 1_800_000, r: 42, c: 1 });
    expect(parseMetadata(text)).toEqual({ v: 2, e: 1_800_000, r: 42, c: 1 });
  });

  it('version 1, written before the changelog, is still read with its state', () => {
    expect(parseMetadata(JSON.stringify({ v: 1, e: 5, r: 7, s: { 'm\u0000v1': [1, 1, 0] } }))).toEqual({ v: 1, e: 5, r: 7, s: { 'm\u0000v1': [1, 1, 0] } });
    expect(parseMetadata(JSON.stringify({ v: 3, e: 5, r: 7 }))).toBeNull();
  });
});
