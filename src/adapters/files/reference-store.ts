import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type ReferenceDistribution } from '../../core/reference/index.js';
import { ReferenceFileError } from '../../core/errors.js';
import { loadReference } from './reference-file.js';
import { modelVersionKey as key, parseModelVersionKey } from '../../core/keys.js';

const FILE = 'reference_distribution.json';
const MAX_REMEMBERED_MISSES = 10_000;

/**
 * References by model version, from the integration guide's layout
 * `{dir}/{model_version}/reference_distribution.json` (any model), or per model,
 * `{dir}/{model}/{model_version}/reference_distribution.json`, which wins when both exist (two
 * models on one topic that both ship a "v1.2.0").
 *
 * Every reference present is loaded at start; one seen in events but not loaded is looked for
 * again (at most once per `retryMs`), so a new model version needs no restart. A corrupt file
 * is logged with its path and field and treated as absent.
 */
export class ReferenceStore {
  private readonly byVersion = new Map<string, ReferenceDistribution>();
  private readonly byModel = new Map<string, ReferenceDistribution>();
  private readonly lastMiss = new Map<string, number>();
  readonly errors = new Map<string, string>();

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly fallbackVersion?: string,
    private readonly retryMs = 30_000,
  ) {}

  async loadAll(): Promise<number> {
    let entries: string[];
    try {
      entries = (await readdir(this.dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch (cause) {
      throw new ReferenceFileError(`reference directory ${this.dir}: cannot list it (${(cause as NodeJS.ErrnoException).code ?? cause}); set REFERENCE_DIR`, {
        cause,
        context: { path: this.dir },
      });
    }
    await Promise.all(
      entries.map(async (name) => {
        if (await exists(join(this.dir, name, FILE))) return this.tryLoad(null, name);
        // Not a version directory: a model directory holding versions.
        const versions = (await readdir(join(this.dir, name), { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory());
        await Promise.all(versions.map((v) => this.tryLoad(name, v.name)));
      }),
    );
    if (this.fallbackVersion && !this.byVersion.has(this.fallbackVersion)) {
      throw new ReferenceFileError(`fallback reference version "${this.fallbackVersion}" has no usable ${this.pathOf(null, this.fallbackVersion)}`, {
        context: { path: this.pathOf(null, this.fallbackVersion) },
      });
    }
    return this.size;
  }

  pathOf(model: string | null, version: string): string {
    return model === null ? join(this.dir, version, FILE) : join(this.dir, model, version, FILE);
  }

  private async tryLoad(model: string | null, version: string): Promise<boolean> {
    const path = this.pathOf(model, version);
    try {
      const reference = await loadReference(path);
      if (model === null) this.byVersion.set(version, reference);
      else this.byModel.set(key(model, version), reference);
      this.errors.delete(path);
      this.logger.info({ model: model ?? '*', version, features: reference.featureNames.length, path }, 'reference loaded');
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if (!/ENOENT/.test(message)) {
        this.errors.set(path, message);
        this.logger.error({ model: model ?? '*', version, err: message }, 'reference not usable');
      }
      return false;
    }
  }

  /** Looks again for references of (model, version) pairs seen in events but not loaded (rate-limited). */
  async ensure(pairs: Iterable<readonly [string, string]>, nowMs = Date.now()): Promise<void> {
    const wanted = new Map<string, readonly [string, string]>();
    for (const pair of pairs) {
      const k = key(...pair);
      if (this.has(...pair) || wanted.has(k) || !isSafeName(pair[0]) || !isSafeName(pair[1])) continue;
      if (nowMs - (this.lastMiss.get(k) ?? Number.NEGATIVE_INFINITY) < this.retryMs) continue;
      wanted.set(k, pair);
    }
    await Promise.all(
      [...wanted].map(async ([k, [model, version]]) => {
        const found = (await this.tryLoad(model, version)) || (await this.tryLoad(null, version));
        if (found) return;
        if (this.lastMiss.size >= MAX_REMEMBERED_MISSES) this.lastMiss.clear();
        this.lastMiss.set(k, nowMs);
      }),
    );
  }

  get(model: string, version: string): ReferenceDistribution | undefined {
    return this.byModel.get(key(model, version)) ?? this.byVersion.get(version) ?? (this.fallbackVersion ? this.byVersion.get(this.fallbackVersion) : undefined);
  }

  /** True when (model, version) has a reference of its own (not through the fallback). */
  has(model: string, version: string): boolean {
    return this.byModel.has(key(model, version)) || this.byVersion.has(version);
  }

  get size(): number {
    return this.byVersion.size + this.byModel.size;
  }

  /** The loaded references with their file paths. */
  entries(): [string, ReferenceDistribution][] {
    return [
      ...[...this.byVersion].map(([version, reference]) => [this.pathOf(null, version), reference] as [string, ReferenceDistribution]),
      ...[...this.byModel].map(([k, reference]) => [this.pathOf(...parseModelVersionKey(k)), reference] as [string, ReferenceDistribution]),
    ];
  }

  versions(): string[] {
    return [...this.byVersion.keys(), ...[...this.byModel.keys()].map((k) => parseModelVersionKey(k).join('/'))];
  }
}

/** A model or version names a directory: no separators, not "." or "..". */
function isSafeName(name: string): boolean {
  return /^[\w.+-]+$/.test(name) && name !== '.' && name !== '..';
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
