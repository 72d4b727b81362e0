// SCALE_MODE=partitioned carries the multivariate state in its partial panes (wire format
// version 2, docs/multivariate.md, "Scale-out"): a reference built with --multivariate is no
// longer refused at start (it was while the partial panes could not carry its state).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { startService } from '../../../src/app/service.js';
import { saveReference } from '../../../src/adapters/files/reference-file.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function referenceDir(multivariate: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-mv-'));
  dirs.push(dir);
  const rows = Array.from({ length: 300 }, (_, i) => ({ a: Math.sin(i), b: Math.cos(i * 1.7) }));
  const reference = ReferenceDistribution.fromRows(rows, multivariate ? { multivariate: { replicates: 100, sizes: [100] } } : {});
  await saveReference(reference, join(dir, 'v1', 'reference_distribution.json'));
  return dir;
}

// An address nothing listens on: the refusal comes before the brokers are reached.
const env = (dir: string) => ({ KAFKA_BROKERS: '127.0.0.1:1', REFERENCE_DIR: dir, SCALE_MODE: 'partitioned', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' });

describe('SCALE_MODE=partitioned with a multivariate reference', () => {
  for (const multivariate of [true, false]) {
    it(`goes on to the broker ${multivariate ? 'with' : 'without'} the block`, async () => {
      const dir = await referenceDir(multivariate);
      const { config } = resolveConfig({}, env(dir));
      // A client whose admin fails at once: the start got past the references to the brokers.
      const kafka = { admin: () => Promise.reject(new Error('no broker here')) } as unknown as NonNullable<Parameters<typeof startService>[1]>['kafka'];
      await expect(startService(config, { logger: pino({ level: 'silent' }), kafka })).rejects.toThrow(
        /cannot reach the Kafka brokers 127\.0\.0\.1:1 \(KAFKA_BROKERS\): no broker here/,
      );
    });
  }
});
