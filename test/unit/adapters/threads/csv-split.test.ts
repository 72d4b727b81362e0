// The CSV reader on two threads (src/adapters/threads/csv-split.ts) against one scanner over
// the whole file (scanCsv): the same rows, or the same fallback, on files built so that the cut
// (the first LF after the middle) falls on what could break it: a quoted line break across it,
// a record delimiter that changes after it, a text field or a bad record after it, a BOM.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvFallback, scanCsv, TextColumn } from '../../../../src/adapters/files/csv.js';
import { idleCore, readCsvSplit } from '../../../../src/adapters/threads/csv-split.js';
import { rng, type Rng } from '../../../fixtures/random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-csv-split-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Outcome = { rows: unknown[][]; header: string[] } | { error: string };

const outcomeOf = (error: unknown): Outcome => {
  if (error instanceof TextColumn) return { error: `TextColumn ${error.column}` };
  if (error instanceof CsvFallback) return { error: 'CsvFallback' };
  throw error;
};

/** A numeric CSV whose second half may hold a hazard near its middle (the cut). */
function generate(r: Rng, n: number): { text: string; hazard: string } {
  const width = 1 + Math.floor(r.uniform() * 4);
  const eol = r.uniform() < 0.3 ? '\r\n' : '\n';
  const rows = 20 + Math.floor(r.uniform() * 200);
  const hazards = ['none', 'quoted line break', 'other delimiter', 'text', 'bad record', 'blank lines', 'empty fields'];
  const hazard = hazards[n % hazards.length];
  const at = Math.floor(rows / 2) + Math.floor(r.uniform() * 5) - 2;
  const lines = [Array.from({ length: width }, (_, j) => `c${j}`).join(',')];
  for (let i = 0; i < rows; i++) {
    const values = Array.from({ length: width }, () => String(r.normal(0, 100)));
    if (i >= at && i < at + 3) {
      if (hazard === 'quoted line break') values[0] = `"${values[0]}\n${values[0]}"`;
      if (hazard === 'text' && i === at) values[width - 1] = 'forty';
      if (hazard === 'bad record' && i === at) values.push('1');
      if (hazard === 'blank lines') lines.push('');
      if (hazard === 'empty fields') values[0] = '';
    }
    lines.push(values.join(','));
  }
  let text: string;
  if (hazard === 'other delimiter') {
    const half = Math.floor(lines.length / 2) + Math.floor(r.uniform() * 5) - 2;
    text = lines.slice(0, half).join(eol) + eol + lines.slice(half).join(eol === '\n' ? '\r\n' : '\n');
  } else text = lines.join(eol);
  if (r.uniform() < 0.8) text += eol;
  if (r.uniform() < 0.1) text = '\uFEFF' + text;
  return { text, hazard };
}

describe('CSV on two threads', () => {
  it('gives the rows, or the fallback, of one pass over the file', async () => {
    const r = rng(2024);
    const seen = new Set<string>();
    for (let n = 0; n < 21; n++) {
      const { text, hazard } = generate(r, n);
      const path = join(dir, `split-${n}.csv`);
      await writeFile(path, text);
      const order = n % 3 === 1 ? ['c0'] : undefined;
      const whole: Outcome = await scanCsv([Buffer.from(text)] as unknown as AsyncIterable<Uint8Array>, { order }).catch(outcomeOf);
      const split = await readCsvSplit(path, (await stat(path)).size, { order }, { minBytes: 0, always: true }).catch(outcomeOf);
      expect(split, `case ${n} (${hazard})`).not.toBeNull();
      expect(split, `case ${n} (${hazard}): ${JSON.stringify(text)}`).toEqual(whole);
      seen.add(hazard + ('error' in whole ? ' error' : ''));
    }
    // The hazards must each have been met (and some of them must have ended in a fallback).
    expect(seen.size).toBeGreaterThanOrEqual(6);
  }, 180_000);

  it('stays in one pass below its size, with text columns, or without an idle core', async () => {
    const path = join(dir, 'small.csv');
    await writeFile(path, 'a,b\n1,2\n3,4\n');
    expect(await readCsvSplit(path, 12, {})).toBeNull();
    expect(await readCsvSplit(path, 12, { text: ['a'] }, { minBytes: 0, always: true })).toBeNull();
    expect(await readCsvSplit(path, 12, {}, { minBytes: 0, always: true })).toEqual({
      header: ['a', 'b'],
      rows: [
        [1, 2],
        [3, 4],
      ],
    });
  });
});

describe('idleCore (whether the second thread would get a core of its own)', () => {
  /** A machine whose runnable-thread count reads `counts` in turn (then the last one again). */
  function machine(cores: number, counts: (number | null)[], loadAverage = 0) {
    let read = 0;
    const sleeps: number[] = [];
    const probe = {
      runnable: () => counts[Math.min(read++, counts.length - 1)],
      loadAverage: () => loadAverage,
      cores: () => cores,
      sleep: async (ms: number) => void sleeps.push(ms),
    };
    return { probe, reads: () => read, sleeps };
  }

  it('counts the threads runnable now (this one included) and takes the least of a few reads 2 ms apart', async () => {
    // Two cores: free when nothing but this thread runs; a thread that just woke up is not a busy core.
    expect(await idleCore(machine(2, [1]).probe)).toBe(true);
    const woke = machine(2, [2, 3, 1]);
    expect(await idleCore(woke.probe)).toBe(true);
    expect(woke.reads()).toBe(3);
    expect(woke.sleeps).toEqual([2, 2]);
    const busy = machine(2, [2, 2, 3, 2, 2, 1]);
    expect(await idleCore(busy.probe)).toBe(false);
    expect(busy.reads()).toBe(5);
    // Four cores: two others running still leave two.
    expect(await idleCore(machine(4, [3]).probe)).toBe(true);
    expect(await idleCore(machine(4, [4]).probe)).toBe(false);
    // The load average does not count where the instant count is known: a finished build's load of 1.
    expect(await idleCore(machine(2, [1], 1.4).probe)).toBe(true);
  });

  it('falls back to the 1-minute load average where the count is unknown, and never splits on one core', async () => {
    expect(await idleCore(machine(2, [null], 0.6).probe)).toBe(true);
    expect(await idleCore(machine(2, [null], 1.2).probe)).toBe(false);
    expect(await idleCore(machine(1, [1], 0).probe)).toBe(false);
  });

  it('reads this machine without throwing', async () => {
    expect(typeof (await idleCore())).toBe('boolean');
  });
});
