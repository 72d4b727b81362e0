import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../../src/adapters/console/progress.js';
import { main } from '../../../../src/app/cli.js';

describe('progress line', () => {
  it('draws rows read, rate and elapsed on a terminal, after the delay, and ends the line', () => {
    let t = 0;
    const out: string[] = [];
    const p = progressLine({ label: 'reading x.csv', write: (s) => out.push(s), isTTY: true, now: () => t, delayMs: 500, intervalMs: 200 });
    p.rows(1024);
    expect(out).toEqual([]);
    t = 1000;
    p.rows(2048);
    expect(out).toEqual(['\r\x1b[Kreading x.csv: 2,048 rows read, 2,048 rows/s, 1.0 s']);
    t = 1100;
    p.rows(3072);
    expect(out).toHaveLength(1);
    t = 2000;
    p.done(4000);
    expect(out[1]).toBe('\r\x1b[Kreading x.csv: 4,000 rows read, 2,000 rows/s, 2.0 s\n');
  });

  it('prints nothing when standard error is not a terminal', () => {
    const out: string[] = [];
    const p = progressLine({ label: 'x', write: (s) => out.push(s), isTTY: false, now: () => 10_000, delayMs: 0, intervalMs: 0 });
    p.rows(1024);
    p.done(1024);
    expect(out).toEqual([]);
  });

  it('check on a terminal that finishes at once prints no progress; injected isTTY false prints none either', async () => {
    for (const stderrIsTTY of [true, false]) {
      let err = '';
      const code = await main(
        ['node', 'driftwatch', 'check', '--reference', 'config/examples/model_artifacts/v1.2.0/reference_distribution.json', '--input', 'config/examples/current.csv'],
        { stdout: () => undefined, stderr: (s) => (err += s), stderrIsTTY, env: {}, stdin: (async function* () {})() },
      );
      expect(code).toBe(0);
      expect(err).not.toContain('rows read');
    }
  });
});
