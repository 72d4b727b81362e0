// The CLI as a user runs it, asserting stdout, stderr and the exit code (0 ran, 2 bad usage or
// input, 3 drift with --fail-on-drift, 1 bad configuration). The commands run in process through
// main(argv, io) with their own environment; a few smoke tests spawn the real program.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/app/cli.js';
import { memoryIo } from './io.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const examples = join(root, 'config/examples');
let dir: string;
let referencePath: string;

type Run = { code: number; stdout: string; stderr: string };

/** The CLI in process, with only PATH, HOME and `env` in its environment. */
async function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  const io = memoryIo({ env, stdin: input });
  const code = await main(['node', 'driftwatch', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** The CLI as a child process (tsx), for what only a real process shows: exit, streams, hangs. */
function spawnCli(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'src/app/cli.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, maxBuffer: 16 * 1024 * 1024, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-cli-'));
  referencePath = join(dir, 'v1.2.0', 'reference_distribution.json');
});

describe('driftwatch reference build and check', () => {
  it('--help lists the commands (spawned)', async () => {
    const { code, stdout } = await spawnCli(['--help']);
    expect(code).toBe(0);
    for (const command of ['reference', 'check', 'run', 'replay', 'alerts']) expect(stdout).toContain(command);
  });

  it('builds a reference from a CSV with a header, inferring types', async () => {
    const { code, stdout } = await cli(['reference', 'build', '--input', join(examples, 'training.csv'), '--out', referencePath, '--model-version', 'v1.2.0']);
    expect(code).toBe(0);
    expect(stdout).toContain('5000 rows, 5 features');
    expect(stdout).toContain('employment_type (categorical)');
    const saved = JSON.parse(await readFile(referencePath, 'utf8'));
    expect(saved).toMatchObject({
      schema_version: 2,
      model_version: 'v1.2.0',
      row_count: 5000,
      feature_names: ['age', 'income', 'credit_score', 'loan_amount', 'employment_type'],
    });
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
    expect(Object.keys(result).sort()).toEqual(
      ['drift_detected', 'drifted_features', 'features', 'max_drift_score', 'metric', 'model_version', 'sample_count', 'severity', 'status', 'threshold', 'timestamp'].sort(),
    );
    expect(result).toMatchObject({ status: 'ok', metric: 'ks', threshold: 0.1, model_version: 'v1.2.0', sample_count: 1000 });
    expect(result.features.employment_type).toMatchObject({ type: 'categorical', ks: null, metric: 'psi' });
    for (const key of [
      'type',
      'score',
      'drifted',
      'reasons',
      'psi',
      'ks',
      'ks_pvalue',
      'js',
      'wasserstein',
      'chi2_pvalue',
      'missing_rate',
      'reference_missing_rate',
      'invalid_values',
      'sample_count',
    ]) {
      expect(result.features.income).toHaveProperty(key);
    }
  });

  it('reads JSON Lines of prediction events from standard input (spawned)', async () => {
    const events = (await readFile(join(examples, 'events.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes('"features":{'))
      .slice(0, 300);
    const { code, stdout } = await spawnCli(['check', '--reference', referencePath, '--input', '-', '--json'], {}, events.join('\n'));
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
    const lines = (await readFile(join(examples, 'current.csv'), 'utf8'))
      .trim()
      .split('\n')
      .map((l, i) => `${l},${i === 0 ? 'region' : 'north'}`);
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
    const { code, stdout } = await cli(['replay', '--input', join(examples, 'events.jsonl'), '--reference-dir', join(examples, 'model_artifacts'), '--out', out], {
      LOG_LEVEL: 'silent',
      DRIFT_WINDOW: '1h',
      DRIFT_CHECK_INTERVAL: '30m',
    });
    expect(code).toBe(0);
    const checks = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(checks.length).toBe(stdout.split('\n').filter((l) => l.includes('credit-risk')).length);
    expect(checks.every((c) => c.type === 'drift_check' && c.model === 'credit-risk')).toBe(true);
    expect(checks.some((c) => c.change === 'drift_detected')).toBe(true);
  });
});

describe('reference inspect', () => {
  it('--help advertises `reference inspect`, and it exists', async () => {
    const help = await cli(['reference', '--help']);
    expect(help.stdout).toContain('inspect');
    const { code, stderr } = await cli(['reference', 'inspect', '--help']);
    expect(code, stderr).toBe(0);
  });

  it('prints a readable summary: features, types, counts, bins, quantiles, missing rates', async () => {
    const { code, stdout, stderr } = await cli(['reference', 'inspect', join(examples, 'model_artifacts/v1.2.0/reference_distribution.json')]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('model_version v1.2.0, created 2026-11-25T12:00:00.000Z, 5000 rows, 5 features (4 numeric, 1 categorical), 10 PSI bins');
    expect(stdout).toMatch(/feature\s+count\s+missing\s+bins psi\/fine\s+mean\s+std\s+min\s+p5\s+p25\s+p50\s+p75\s+p95\s+max/);
    expect(stdout).toMatch(/^age\s+5000\s+0 \(0\.0%\)\s+10\/\d+ discrete\s+41\.29\s+11\.61\s+18\s+22\s+33\s+41\s+49\s+61\s+85$/m);
    expect(stdout).toContain('employment_type: 5000 values, missing 0 (0.0%), 4 categories: salaried 3131 (62.6%), self-employed 1070 (21.4%)');
  });

  it('--json prints the summary as one object', async () => {
    const { code, stdout } = await cli(['reference', 'inspect', join(examples, 'model_artifacts/v1.2.0/reference_distribution.json'), '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ model_version: 'v1.2.0', row_count: 5000, psi_bins: 10, feature_names: ['age', 'income', 'credit_score', 'loan_amount', 'employment_type'] });
    expect(summary.features.income).toMatchObject({ type: 'numeric', count: 5000, missing_count: 0, missing_rate: 0, psi_bins: 10, discrete: false });
    expect(summary.features.income.psi_edges).toHaveLength(9);
    expect(Object.keys(summary.features.income.quantiles)).toEqual(['p1', 'p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95', 'p99']);
    expect(summary.features.employment_type).toEqual({
      type: 'categorical',
      count: 5000,
      missing_count: 0,
      invalid_count: 0,
      missing_rate: 0,
      categories: { salaried: 3131, 'self-employed': 1070, retired: 565, unemployed: 234 },
    });
  });

  it('a missing reference is bad input: one line, exit 2', async () => {
    const { code, stderr } = await cli(['reference', 'inspect', join(dir, 'nowhere.json')]);
    expect(code).toBe(2);
    expect(stderr).toBe(`driftwatch: ${join(dir, 'nowhere.json')}: cannot read the reference distribution (ENOENT)\n`);
  });
});

describe('replay: bad input as for check (exit 2, one line)', () => {
  // Regression: a missing input exited 1 and an empty one 0, after JSON logs, suggesting REFERENCE_DIR.
  const referenceDir = join(examples, 'model_artifacts');

  it('a missing input', async () => {
    const path = join(dir, 'missing.jsonl');
    const { code, stdout, stderr } = await cli(['replay', '--input', path, '--reference-dir', referenceDir]);
    expect(code).toBe(2);
    expect(stderr).toBe(`driftwatch: ${path}: cannot read the recorded stream (ENOENT)\n`);
    expect(stdout).toBe('');
  });

  it('an empty input (blank lines only)', async () => {
    const path = join(dir, 'empty.jsonl');
    await writeFile(path, '\n  \n');
    const { code, stderr } = await cli(['replay', '--input', path, '--reference-dir', referenceDir]);
    expect(code).toBe(2);
    expect(stderr).toBe(`driftwatch: ${path}: the recorded stream holds no events\n`);
  });

  it('a reference directory that does not exist suggests --reference-dir', async () => {
    const { code, stderr } = await cli(['replay', '--input', join(examples, 'events.jsonl'), '--reference-dir', join(dir, 'no-refs')]);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`reference directory ${join(dir, 'no-refs')}: cannot list it (ENOENT); pass --reference-dir <dir>`);
    expect(stderr).not.toContain('REFERENCE_DIR');
  });
});

describe('run', () => {
  it('--help points to the configuration table', async () => {
    const { code, stdout } = await cli(['run', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('the "Configuration" table of README.md');
  });

  // Regression: with its HTTP port taken, `run` printed a stack trace and hung until SIGTERM.
  async function takenPort(): Promise<{ port: number; close(): Promise<void> }> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  /** A broker that serves the start-up admin calls and a producer, recording the calls; no consumer may start. */
  function fakeKafka(calls: string[], ensureTopics: () => Promise<void> = async () => undefined) {
    return {
      admin: async () => ({
        ensureTopics,
        listTopics: async () => ['predictions'],
        topicOffsets: async () => [],
        disconnect: async () => void calls.push('admin.disconnect'),
      }),
      producer: () => ({ connect: async () => void calls.push('producer.connect'), send: async () => undefined, disconnect: async () => void calls.push('producer.disconnect') }),
      consumer: () => {
        throw new Error('the consumer must not be started');
      },
    };
  }

  /** `run`'s input and output with Kafka configured and HTTP_PORT set to `port`. */
  function runOnTakenPort(port: number, kafka: ReturnType<typeof fakeKafka>) {
    return memoryIo({
      env: { KAFKA_BROKERS: '127.0.0.1:9092', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), LOG_LEVEL: 'silent', REFERENCE_DIR: join(examples, 'model_artifacts') },
      kafka,
    });
  }

  it('with its HTTP port taken exits 1 with one line naming HTTP_PORT, and disconnects from Kafka', async () => {
    const taken = await takenPort();
    const calls: string[] = [];
    try {
      const io = runOnTakenPort(taken.port, fakeKafka(calls));
      const code = await main(['node', 'driftwatch', 'run'], io);
      expect(code).toBe(1);
      expect(io.stderrText()).toBe(
        `driftwatch: HTTP_PORT ${taken.port} is already in use (EADDRINUSE) on 127.0.0.1: set HTTP_PORT to a free port (0 picks one), or HTTP_ENABLED=false\n`,
      );
      expect(calls).toEqual(['admin.disconnect', 'producer.connect', 'producer.disconnect']);
    } finally {
      await taken.close();
    }
  });

  it('at start asks the admin calls again while the broker answers "not the leader" (instances started together), then goes on', async () => {
    const taken = await takenPort();
    const calls: string[] = [];
    const notLeader = Object.assign(new Error('This server is not the leader for that topic-partition'), { retriable: true });
    let failures = 1;
    const ensureTopics = async () => {
      calls.push('admin.ensureTopics');
      if (failures-- > 0) throw notLeader;
    };
    try {
      const io = runOnTakenPort(taken.port, fakeKafka(calls, ensureTopics));
      // Past the admin calls: the start stops only at the HTTP port taken on purpose.
      expect(await main(['node', 'driftwatch', 'run'], io)).toBe(1);
      expect(io.stderrText()).toContain(`HTTP_PORT ${taken.port} is already in use`);
      expect(calls).toEqual(['admin.ensureTopics', 'admin.ensureTopics', 'admin.disconnect', 'producer.connect', 'producer.disconnect']);
    } finally {
      await taken.close();
    }
  });

  it('with its HTTP port taken, the process ends (spawned)', async () => {
    const taken = await takenPort();
    try {
      const { code, stderr } = await spawnCli(['run'], { HTTP_ENABLED: 'true', HTTP_HOST: '127.0.0.1', HTTP_PORT: String(taken.port), LOG_LEVEL: 'silent' });
      expect(code).toBe(1);
      expect(stderr).toBe(`driftwatch: HTTP_PORT ${taken.port} is already in use (EADDRINUSE) on 127.0.0.1: set HTTP_PORT to a free port (0 picks one), or HTTP_ENABLED=false\n`);
    } finally {
      await taken.close();
    }
  });
});
