/**
 * A progress line on standard error for long file reads (`reference build`, `check`): rows read,
 * rate and elapsed time, redrawn in place at most every `intervalMs` once `delayMs` has passed,
 * and only when the stream is a terminal; nothing at all otherwise (pipes, CI logs).
 */
export interface ProgressOptions {
  /** What is being read, e.g. the input path. */
  label: string;
  write(text: string): void;
  isTTY: boolean;
  now?: () => number;
  /** Nothing is drawn for reads shorter than this (default 500 ms). */
  delayMs?: number;
  intervalMs?: number;
}

export interface Progress {
  /** `rows` read so far; cheap enough to call per row. */
  rows(rows: number): void;
  /** Ends the line (with the final figures) if one was drawn. */
  done(rows: number): void;
}

const NONE: Progress = { rows: () => undefined, done: () => undefined };

export function progressLine(options: ProgressOptions): Progress {
  if (!options.isTTY) return NONE;
  const now = options.now ?? Date.now;
  const start = now();
  const delayMs = options.delayMs ?? 500;
  const intervalMs = options.intervalMs ?? 200;
  let drawnAt = Number.NEGATIVE_INFINITY;
  const line = (rows: number, t: number) => {
    const seconds = Math.max((t - start) / 1000, 1e-9);
    return `${options.label}: ${rows.toLocaleString('en')} rows read, ${Math.round(rows / seconds).toLocaleString('en')} rows/s, ${seconds.toFixed(1)} s`;
  };
  return {
    rows(rows) {
      // The clock is read every 1024 rows only.
      if ((rows & 1023) !== 0) return;
      const t = now();
      if (t - start < delayMs || t - drawnAt < intervalMs) return;
      drawnAt = t;
      options.write(`\r\x1b[K${line(rows, t)}`);
    },
    done(rows) {
      if (drawnAt === Number.NEGATIVE_INFINITY) return;
      options.write(`\r\x1b[K${line(rows, now())}\n`);
    },
  };
}
