/**
 * Issue 10, "done when": `check`, `replay`, `run`, `job` and the library accept `auto`
 * thresholds, the `auto` metric and corrections, with the calibrated p-values of the bundled
 * reference, and the streaming hysteresis still works on top of `auto` verdicts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/app/cli.js';
import { driftCheckJob } from '../../../src/index.js';
import { readRows } from '../../../src/adapters/files/rows.js';
import { memoryIo } from './io.js';

const examples = fileURLToPath(new URL('../../../config/examples/', import.meta.url));
const reference = join(examples, 'model_artifacts/v1.2.0/reference_distribution.json');

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo({ env: { LOG_LEVEL: 'silent', ...env } });
  const code = await main(['node', 'driftwatch', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** The CLI as a child process: `job` prints to the process's own standard output. */
function spawnCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/app/cli.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('auto thresholds, auto metric and corrections on every entry point', () => {
  it('check --threshold auto --metric auto --correction bh: js for the categorical feature (calibrated p), ks for numeric ones (asymptotic)', async () => {
    const { code, stdout, stderr } = await cli([
      'check',
      '--reference',
      reference,
      '--input',
      join(examples, 'current.csv'),
      '--threshold',
      'auto',
      '--metric',
      'auto',
      '--correction',
      'bh',
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ metric: 'auto', threshold: 'auto', alpha: 0.01, correction: 'bh', drift_detected: true });
    expect(result.features.employment_type).toMatchObject({ metric: 'js', p_value_method: 'calibrated' });
    expect(result.features.income).toMatchObject({ metric: 'ks', p_value_method: 'asymptotic', drifted: true });
    // BH's level: α·R/F with R the rejections among F = 5 tested features.
    const rejected = Object.values(result.features as Record<string, { drifted: boolean }>).filter((f) => f.drifted).length;
    expect(result.feature_alpha).toBeCloseTo((0.01 * rejected) / 5, 15);
  });

  it('check --threshold auto with psi: every feature of the bundled reference is judged by its calibrated null (1,000 rows, inside the grid)', async () => {
    const { stdout } = await cli(['check', '--reference', reference, '--input', join(examples, 'current.csv'), '--threshold', 'auto', '--correction', 'none', '--json']);
    const result = JSON.parse(stdout);
    for (const f of Object.values(result.features as Record<string, { p_value_method: string }>)) expect(f.p_value_method).toBe('calibrated');
    expect(result.feature_alpha).toBe(0.01);
  });

  it('replay with DRIFT_THRESHOLD=auto and DRIFT_RAISE_AFTER=2: hysteresis raises drift on the second drifted window, not the first', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'driftwatch-auto-'));
    const out = join(dir, 'checks.jsonl');
    const { code, stderr } = await cli(['replay', '--input', join(examples, 'events.jsonl'), '--reference-dir', join(examples, 'model_artifacts'), '--out', out], {
      DRIFT_WINDOW: '1h',
      DRIFT_CHECK_INTERVAL: '30m',
      DRIFT_THRESHOLD: 'auto',
      DRIFT_CORRECTION: 'bh',
      DRIFT_RAISE_AFTER: '2',
    });
    expect(code, stderr).toBe(0);
    const checks = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(checks.every((c) => c.threshold === 'auto')).toBe(true);
    const firstDrifted = checks.findIndex((c) => c.drift_detected);
    const raised = checks.findIndex((c) => c.change === 'drift_detected');
    expect(firstDrifted).toBeGreaterThan(0);
    expect(checks[firstDrifted + 1].drift_detected).toBe(true);
    expect(raised).toBe(firstDrifted + 1);
    expect(checks.filter((c) => c.change === 'drift_detected')).toHaveLength(1);
  });

  it('run (the bundled example) with DRIFT_THRESHOLD=auto and DRIFT_METRIC=auto reports the drift once', async () => {
    const { code, stdout, stderr } = await cli(['run'], { LOG_LEVEL: 'warn', DRIFT_THRESHOLD: 'auto', DRIFT_METRIC: 'auto', DRIFT_CORRECTION: 'bonferroni' });
    expect(code, stderr).toBe(0);
    const lines = stdout.split('\n').filter((l) => l.includes('credit-risk v1.2.0'));
    const first = lines.findIndex((l) => l.includes('DRIFT DETECTED'));
    expect(first).toBeGreaterThan(0);
    expect(lines.slice(0, first).every((l) => !l.includes('drifted:'))).toBe(true);
    expect(lines.filter((l) => l.includes('DRIFT DETECTED'))).toHaveLength(1);
  });

  it('job --once reads DRIFT_ALPHA, DRIFT_CORRECTION and DRIFT_MIN_EFFECT (regression: the job ignored them; spawned)', { timeout: 60_000 }, async () => {
    const env = {
      FEATURE_STORE_PATHS: join(examples, 'current.csv'),
      REFERENCE_DIR: join(examples, 'model_artifacts'),
      MODEL_NAME: 'credit-risk',
      MODEL_VERSION: 'v1.2.0',
      DRIFT_THRESHOLD: 'auto',
    };
    const bh = JSON.parse((await spawnCli(['job', '--once', '--store', 'file', '--json'], { ...env, DRIFT_CORRECTION: 'bh', DRIFT_ALPHA: '0.05' })).stdout);
    expect(bh).toMatchObject({ threshold: 'auto', alpha: 0.05, correction: 'bh', drift_detected: true });
    expect(bh.features.income.p_value_method).toBe('calibrated');
    const floor = JSON.parse((await spawnCli(['job', '--once', '--store', 'file', '--json'], { ...env, DRIFT_MIN_EFFECT: '5' })).stdout);
    expect(floor.correction).toBe('bonferroni');
    // PSI never reaches 5 here: the effect floor stops every score verdict.
    expect(floor.features.income.threshold).toBe(5);
    expect(floor.features.income.reasons).toEqual([]);
  });

  it('the library: driftCheckJob with auto thresholds, auto metric and a correction', async () => {
    const rows = (await readRows(join(examples, 'current.csv'))).rows as Record<string, unknown>[];
    const result = await driftCheckJob(() => rows, reference, { metric: 'auto', threshold: 'auto', correction: 'bonferroni', alpha: 0.01 });
    expect(result).toMatchObject({ metric: 'auto', threshold: 'auto', correction: 'bonferroni', feature_alpha: 0.01 / 5, drift_detected: true });
    expect(result.features.employment_type.p_value_method).toBe('calibrated');
  });
});
