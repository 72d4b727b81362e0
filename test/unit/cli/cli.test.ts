// The CLI as a user runs it: a child process per command, asserting stdout, stderr and the
// exit code (0 ran, 2 bad usage or input, 3 drift with --fail-on-drift, 1 bad configuration).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examples = join(root, 'config/examples');
let dir: string;
let referencePath: string;

function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', ...args], { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-cli-'));
  referencePath = join(dir, 'v1.2.0', 'reference_distribution.json');
});

describe('driftwatch reference build and check', () => {
  it('--help lists the commands', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    for (const command of ['reference', 'check', 'run', 'replay', 'alerts']) expect(stdout).toContain(command);
  });

  it('builds a reference from a CSV with a header, inferring types', async () => {
    const { code, stdout } = await cli(['reference', 'build', '--input', join(examples, 'training.csv'), '--out', referencePath, '--model-version', 'v1.2.0']);
    expect(code).toBe(0);
    expect(stdout).toContain('5000 rows, 5 features');
    expect(stdout).toContain('employment_type (categorical)');
    const saved = JSON.parse(await readFile(referencePath, 'utf8'));
    expect(saved).toMatchObject({ schema_version: 1, model_version: 'v1.2.0', row_count: 5000, feature_names: ['age', 'income', 'credit_score', 'loan_amount', 'employment_type'] });
  });

  it('checks a drifted file: table, verdict, exit 0; exit 3 with --fail-on-drift', async () => {
    const table = await cli(['check', '--reference', referencePath, '--input', join(examples, 'current.csv')]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/feature\s+type\s+score \(psi\)\s+psi\s+ks\s+missing\s+drifted\s+reasons/);
    expect(table.stdout).toMatch(/income\s+numeric\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.000\s+YES\s+score/);
    expect(table.stdout).toContain('DRIFT DETECTED');
    const failing = await cli(['check', '--reference', referencePath, '--input', join(examples, 'current.csv'), '--fail-on-drift']);
    expect(failing.code).toBe(3);
  });

  it('--json prints one object with the documented fields', async () => {
    const { code, stdout } = await cli(['check', '--reference', referencePath, '--input', join(examples, 'current.csv'), '--json', '--metric', 'ks', '--threshold', '0.1']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result).sort()).toEqual(['drift_detected', 'drifted_features', 'features', 'max_drift_score', 'metric', 'model_version', 'sample_count', 'severity', 'status', 'threshold', 'timestamp'].sort());
    expect(result).toMatchObject({ status: 'ok', metric: 'ks', threshold: 0.1, model_version: 'v1.2.0', sample_count: 1000 });
    expect(result.features.employment_type).toMatchObject({ type: 'categorical', ks: null, metric: 'psi' });
    for (const key of ['type', 'score', 'drifted', 'reasons', 'psi', 'ks', 'ks_pvalue', 'js', 'wasserstein', 'chi2_pvalue', 'missing_rate', 'reference_missing_rate', 'invalid_values', 'sample_count']) {
      expect(result.features.income).toHaveProperty(key);
    }
  });

  it('reads JSON Lines of prediction events from standard input', async () => {
    const events = (await readFile(join(examples, 'events.jsonl'), 'utf8')).split('\n').filter((l) => l.startsWith('{') && l.includes('"features":{')).slice(0, 300);
    const { code, stdout } = await cli(['check', '--reference', referencePath, '--input', '-', '--json'], {}, events.join('\n'));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sample_count: 300, drift_detected: false });
  });

  it('too few rows: status insufficient_samples, no drift decision', async () => {
    const csv = (await readFile(join(examples, 'current.csv'), 'utf8')).split('\n').slice(0, 51).join('\n');
    const path = join(dir, 'small.csv');
    await writeFile(path, csv);
    const { code, stdout } = await cli(['check', '--reference', referencePath, '--input', path, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'insufficient_samples', drift_detected: false, drifted_features: {}, sample_count: 50 });
  });
});

describe('bad input: a clear message and exit 2', () => {
  it('a reference feature missing from the input is named', async () => {
    const path = join(dir, 'no-income.csv');
    await writeFile(path, 'age,credit_score,loan_amount,employment_type\n40,700,10000,salaried\n');
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: reference feature "income" absent from the input`);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('non-numeric values in a numeric column count as missing and invalid, with a note', async () => {
    const lines = (await readFile(join(examples, 'current.csv'), 'utf8')).trim().split('\n');
    lines[1] = lines[1].replace(/^\d+/, 'forty');
    const path = join(dir, 'invalid.csv');
    await writeFile(path, lines.join('\n') + '\n');
    const { code, stdout, stderr } = await cli(['check', '--reference', referencePath, '--input', path, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).features.age).toMatchObject({ invalid_values: 1, missing_rate: 0.001 });
    expect(stderr).toContain('feature "age": 1 value(s) could not be read as numbers');
  });

  it('extra columns are ignored with a note', async () => {
    const lines = (await readFile(join(examples, 'current.csv'), 'utf8')).trim().split('\n').map((l, i) => `${l},${i === 0 ? 'region' : 'north'}`);
    const path = join(dir, 'extra.csv');
    await writeFile(path, lines.join('\n') + '\n');
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', path]);
    expect(code).toBe(0);
    expect(stderr).toContain('ignoring 1 input column(s) not in the reference: region');
  });

  it('an empty input is an error', async () => {
    const path = join(dir, 'empty.csv');
    await writeFile(path, 'age,income\n');
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: the input holds no rows`);
  });

  it('a CSV row with the wrong number of columns names its line', async () => {
    const path = join(dir, 'ragged.csv');
    await writeFile(path, 'age,income,credit_score,loan_amount,employment_type\n40,1,2,3,salaried\n41,2,3\n');
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', path]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 3: `));
  });

  it('a bad JSON line names its line', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, '{"age": 1}\n{"age": \n');
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', path]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: line 2: not valid JSON`);
  });

  it('a corrupt reference names the file and the field', async () => {
    const saved = JSON.parse(await readFile(referencePath, 'utf8'));
    saved.features.income.psi_edges[2] = saved.features.income.psi_edges[1];
    const path = join(dir, 'corrupt.json');
    await writeFile(path, JSON.stringify(saved));
    const { code, stderr } = await cli(['check', '--reference', path, '--input', join(examples, 'current.csv')]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${path}: invalid reference distribution at features.income.psi_edges.2: edges must be strictly increasing`);
  });

  it('bad usage: unknown metric and a missing option', async () => {
    const metric = await cli(['check', '--reference', referencePath, '--input', 'x.csv', '--metric', 'psy']);
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain("argument 'psy' is invalid. Allowed choices are psi, ks, js, wasserstein");
    const missing = await cli(['check', '--input', 'x.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--reference <file>' not specified");
  });

  it('bad configuration lists every problem and exits 1', async () => {
    const { code, stderr } = await cli(['run'], { KAFKA_BROKERS: '127.0.0.1:1', DRIFT_THRESHOLD: 'high', DRIFT_METRIC: 'psy', ALLOWED_LATENESS: 'soon' });
    expect(code).toBe(1);
    expect(stderr).toContain('invalid configuration:');
    expect(stderr).toContain('✖ drift.threshold (DRIFT_THRESHOLD)');
    expect(stderr).toContain('✖ drift.metric (DRIFT_METRIC): Unknown metric "psy". Available: psi, ks, js, wasserstein');
    expect(stderr).toContain('✖ window.allowedLatenessMs (ALLOWED_LATENESS): "soon" is not a duration');
  });
});

describe('the embedded default', () => {
  it('`driftwatch run` with nothing configured replays the bundled example and shows where drift begins', async () => {
    const { code, stdout, stderr } = await cli(['run'], { LOG_LEVEL: 'warn' });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('no KAFKA_BROKERS configured, so running the bundled example');
    const lines = stdout.split('\n').filter((l) => l.includes('credit-risk v1.2.0'));
    expect(lines.length).toBeGreaterThan(20);
    const first = lines.findIndex((l) => l.includes('DRIFT DETECTED'));
    // The example's drift starts at 03:00; the first window holding enough shifted events ends at 03:30.
    expect(lines[first]).toMatch(/→ 03:30 .*drifted: income/);
    expect(lines.slice(0, first).every((l) => !l.includes('drifted:'))).toBe(true);
    expect(lines.filter((l) => l.includes('DRIFT DETECTED'))).toHaveLength(1);
    // The three malformed lines of the recording are reported, not dropped.
    expect(stderr.match(/dead letter/g)).toHaveLength(3);
  });

  it('`driftwatch replay` runs any recorded stream and writes every check as JSON Lines', async () => {
    const out = join(dir, 'checks.jsonl');
    const { code, stdout } = await cli(['replay', '--input', join(examples, 'events.jsonl'), '--reference-dir', join(examples, 'model_artifacts'), '--out', out], { LOG_LEVEL: 'silent', DRIFT_WINDOW: '1h', DRIFT_CHECK_INTERVAL: '30m' });
    expect(code).toBe(0);
    const checks = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(checks.length).toBe(stdout.split('\n').filter((l) => l.includes('credit-risk')).length);
    expect(checks.every((c) => c.type === 'drift_check' && c.model === 'credit-risk')).toBe(true);
    expect(checks.some((c) => c.change === 'drift_detected')).toBe(true);
  });
});
