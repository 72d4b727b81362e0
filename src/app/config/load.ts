import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type z } from 'zod';
import { hoursToMs } from '../../core/coerce.js';
import { ConfigError } from '../../core/errors.js';
import { configSchema, DEFAULTS, ENV_VARS, type ParsedConfig } from './schema.js';

export interface Config extends Omit<ParsedConfig, 'window'> {
  window: { sizeMs: number; slideMs: number; allowedLatenessMs: number; idleTimeoutMs: number; maxClockSkewMs: number; maxEventAgeMs?: number };
}

export interface LoadedConfig {
  config: Config;
  /** Adjustments made to defaults (logged at start). */
  notes: string[];
}

/** Reads the configuration file (YAML or JSON), if any. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${path}: cannot read the configuration file (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  }
  try {
    const ext = extname(path).toLowerCase();
    return ext === '.json' ? JSON.parse(text) : (parseYaml(text) ?? {});
  } catch (cause) {
    throw new ConfigError(`${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(cause as Error).message}`, { cause, context: { path } });
  }
}

/**
 * How the window and the check interval must relate. `panes` (`run`, the streaming service):
 * the window is a whole number of slides, each a pane kept per (model, version). `job` (the
 * scheduled `driftwatch job`): each run reads the last window from the store, there are no
 * panes, so any positive pair is meaningful (docs/feature-stores.md, "Window and interval").
 */
export type WindowRule = 'panes' | 'job';

/**
 * Merges the environment over the file and validates the whole. Every problem is reported at
 * once, each with the environment variable that sets it.
 */
export function resolveConfig(file: unknown, env: Record<string, string | undefined>, options: { windowRule?: WindowRule } = {}): LoadedConfig {
  const input = structuredClone((file ?? {}) as Record<string, unknown>);
  if (typeof input !== 'object' || Array.isArray(input)) throw new ConfigError('the configuration file must hold an object (a YAML mapping)');
  // Specific names win over the guide's *_HOURS aliases: apply aliases first.
  const ordered = [...ENV_VARS].sort((a, b) => Number(Boolean(b.hours)) - Number(Boolean(a.hours)));
  for (const v of ordered) {
    const raw = env[v.name];
    if (raw === undefined || raw.trim() === '') continue;
    setPath(input, v.path, v.hours ? hoursToMs(raw) : raw);
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  return options.windowRule === 'job' ? finishJobWindow(parsed.data) : finishWindow(parsed.data);
}

export async function loadConfig(options: { file?: string; env?: Record<string, string | undefined>; windowRule?: WindowRule }): Promise<LoadedConfig> {
  const file = options.file ? await readConfigFile(options.file) : {};
  return resolveConfig(file, options.env ?? process.env, { windowRule: options.windowRule });
}

/**
 * The job's rule: the schema already holds both durations positive and bounded; the window is
 * used as given (a default is not rounded to the interval), and the pairs that are legal but
 * easy to get wrong are noted: a window shorter than the interval leaves rows between windows
 * unchecked (the guide's own code reads 1 hour every 2 hours), and an interval set beside a
 * cron expression is not used.
 */
function finishJobWindow(config: ParsedConfig): LoadedConfig {
  const notes: string[] = [];
  const w = config.window;
  const slideMs = w.slideMs ?? DEFAULTS.slideMs;
  const sizeMs = w.sizeMs ?? DEFAULTS.windowMs;
  if (config.job.cron) {
    if (w.slideMs !== undefined) notes.push(`DRIFT_CHECK_CRON sets the schedule: the check interval (DRIFT_CHECK_INTERVAL, ${slideMs} ms) is not used`);
  } else if (sizeMs < slideMs) {
    notes.push(`each run reads the last ${sizeMs} ms (DRIFT_WINDOW) every ${slideMs} ms (DRIFT_CHECK_INTERVAL): rows between two windows are not checked`);
  }
  return { config: { ...config, window: { ...w, sizeMs, slideMs } }, notes };
}

/** Upper bound on window / slide (a week of 1-minute slides). */
export const MAX_PANES_PER_WINDOW = 10_080;

/**
 * The window must be a multiple of the slide. Set explicitly, a bad pair is rejected; reached
 * through a default, the window is rounded up to the next multiple and the change noted.
 */
function finishWindow(config: ParsedConfig): LoadedConfig {
  const notes: string[] = [];
  const w = config.window;
  const slideMs = w.slideMs ?? DEFAULTS.slideMs;
  let sizeMs = w.sizeMs ?? DEFAULTS.windowMs;
  if (slideMs <= 0) throw new ConfigError(`window.slideMs (DRIFT_CHECK_INTERVAL) must be positive, got ${slideMs} ms`);
  if (sizeMs < slideMs || sizeMs % slideMs !== 0) {
    if (w.sizeMs !== undefined) {
      throw new ConfigError(`window.sizeMs (DRIFT_WINDOW, ${sizeMs} ms) must be a positive multiple of window.slideMs (DRIFT_CHECK_INTERVAL, ${slideMs} ms)`);
    }
    const adjusted = Math.max(1, Math.ceil(sizeMs / slideMs)) * slideMs;
    notes.push(`default window of ${sizeMs} ms is not a multiple of the slide (${slideMs} ms): using ${adjusted} ms`);
    sizeMs = adjusted;
  }
  // Panes are kept per (model, version): a window of more panes than this costs memory without use.
  if (sizeMs / slideMs > MAX_PANES_PER_WINDOW) {
    throw new ConfigError(
      `window.sizeMs (DRIFT_WINDOW, ${sizeMs} ms) is ${sizeMs / slideMs} slides of window.slideMs (DRIFT_CHECK_INTERVAL, ${slideMs} ms): at most ${MAX_PANES_PER_WINDOW} are allowed; use a longer check interval`,
    );
  }
  return { config: { ...config, window: { ...w, sizeMs, slideMs } }, notes };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

const envByPath = new Map(ENV_VARS.filter((v) => !v.hours).map((v) => [v.path.join('.'), v.name]));

/** Every issue, one line each: `✖ drift.threshold (DRIFT_THRESHOLD): expected number, received NaN`. */
export function formatIssues(error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const env = envByPath.get(path);
    return `✖ ${path || '(root)'}${env ? ` (${env})` : ''}: ${issue.message}`;
  });
  return `invalid configuration:\n${lines.join('\n')}`;
}
