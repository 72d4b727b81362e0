import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ReferenceDistribution } from '../reference/index.js';
import { ReferenceFileError } from '../errors.js';

/**
 * References by model version from `{dir}/{version}/reference_distribution.json` (the guide's
 * model versioning). All versions present are loaded at start; a version seen in an event and
 * not loaded is looked for again (at most once per `retryMs`), so deploying a new model version
 * with its reference needs no restart. A corrupt file is logged with its path and field and
 * its version treated as absent.
 */
export class ReferenceStore {
  private readonly references = new Map<string, ReferenceDistribution>();
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
      throw new ReferenceFileError(`reference directory ${this.dir}: cannot list it (${(cause as NodeJS.ErrnoException).code ?? cause}); set REFERENCE_DIR`, { cause, context: { path: this.dir } });
    }
    await Promise.all(entries.map((version) => this.tryLoad(version)));
    if (this.fallbackVersion && !this.references.has(this.fallbackVersion)) {
      throw new ReferenceFileError(`fallback reference version "${this.fallbackVersion}" has no usable ${this.pathOf(this.fallbackVersion)}`, { context: { path: this.pathOf(this.fallbackVersion) } });
    }
    return this.references.size;
  }

  pathOf(version: string): string {
    return join(this.dir, version, 'reference_distribution.json');
  }

  private async tryLoad(version: string): Promise<boolean> {
    try {
      const reference = await ReferenceDistribution.load(this.pathOf(version));
      this.references.set(version, reference);
      this.errors.delete(version);
      this.logger.info({ version, features: reference.featureNames.length, path: this.pathOf(version) }, 'reference loaded');
      return true;
    } catch (error) {
      const message = (error as Error).message;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !/ENOENT/.test(message)) {
        this.errors.set(version, message);
        this.logger.error({ version, err: message }, 'reference not usable');
      }
      return false;
    }
  }

  /** Loads versions seen in events but not yet known (rate-limited per version). */
  async ensure(versions: Iterable<string>, nowMs = Date.now()): Promise<void> {
    const wanted = [...new Set(versions)].filter((v) => !this.references.has(v) && nowMs - (this.lastMiss.get(v) ?? -Infinity) >= this.retryMs && isSafeVersion(v));
    await Promise.all(
      wanted.map(async (v) => {
        if (!(await this.tryLoad(v))) this.lastMiss.set(v, nowMs);
      }),
    );
  }

  get(version: string): ReferenceDistribution | undefined {
    return this.references.get(version) ?? (this.fallbackVersion ? this.references.get(this.fallbackVersion) : undefined);
  }

  has(version: string): boolean {
    return this.references.has(version);
  }

  get size(): number {
    return this.references.size;
  }

  versions(): string[] {
    return [...this.references.keys()];
  }
}

/** A version names a directory: no separators, not "." or "..". */
function isSafeVersion(version: string): boolean {
  return /^[\w.+-]+$/.test(version) && version !== '.' && version !== '..';
}
