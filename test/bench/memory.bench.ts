/**
 * Issue 4, 8 (third bullet) — resident size after 1 M and after 5 M events through the engine
 * (in-process, 20 numeric features, `Engine.ingest` + `evaluateDue`), event times 10 ms apart
 * so that a 1 h window sliding by 5 min slides ~30 times by 1 M events and ~160 times by 5 M.
 * Target: the two resident sizes within 10 % of each other.
 *
 * Baseline in the same run: a naive window holding the raw values of its events
 * (test/bench/naive-window.ts, scoring off: only its state is measured).
 *
 * Each variant runs in a child process of its own (same node flags), so neither inherits the
 * other's heap; RSS is read after a full GC.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, progress, report } from './harness.js';
import { NaiveWindow } from './naive-window.js';
import { benchEngine, SLIDE_MS, WINDOW_MS } from './events.js';

const FEATURES = 20;
const CHECKPOINTS = [1_000_000, 5_000_000];
const STEP_MS = 10;
const POOL = 10_000;
const START_MS = Date.UTC(2026, 0, 1);

interface Sample {
  events: number;
  rssBytes: number;
  heapBytes: number;
  stateBytes: number;
}

function sample(events: number, stateBytes: number): Sample {
  collectGarbage();
  const m = process.memoryUsage();
  return { events, rssBytes: m.rss, heapBytes: m.heapUsed + m.arrayBuffers, stateBytes };
}

function runVariant(variant: 'engine' | 'naive'): Sample[] {
  const names = featureNames(FEATURES);
  const reference = ReferenceDistribution.fromRows(numericRows(20_000, FEATURES, 1), { featureNames: names, modelVersion: 'v1' });
  // Events cycle through a pool of rows; the engine keeps none of them, the naive window copies values.
  const pool = numericRows(POOL, FEATURES, 5);
  const engine = benchEngine({
    referenceFor: () => reference,
  });
  const naive = new NaiveWindow(FEATURES, WINDOW_MS / SLIDE_MS, SLIDE_MS, null);
  const samples: Sample[] = [sample(0, 0)];
  let evaluations = 0;
  for (let i = 0, next = 0; i < CHECKPOINTS[CHECKPOINTS.length - 1];) {
    const eventTimeMs = START_MS + i * STEP_MS;
    const values = pool[i % POOL];
    if (variant === 'engine') {
      engine.ingest({ model: 'bench-model', modelVersion: 'v1', eventTimeMs, values, partition: 0, offset: i }, eventTimeMs);
      if (i % 1000 === 0) while (engine.evaluateDue(eventTimeMs)) evaluations++;
    } else naive.record(eventTimeMs, values);
    i++;
    if (i === CHECKPOINTS[next]) {
      samples.push(sample(i, variant === 'engine' ? engine.stateSize().bytes : 0));
      next++;
    }
  }
  process.stderr.write(`   … ${variant}: ${evaluations} evaluations, ${variant === 'engine' ? engine.stateSize().panes : naive.paneCount} panes held\n`);
  return samples;
}

const variant = process.argv[2];
if (variant === 'engine' || variant === 'naive') {
  console.log(JSON.stringify(runVariant(variant)));
} else {
  const self = fileURLToPath(import.meta.url);
  const run = (v: string): Sample[] => {
    progress(`${v}: ${CHECKPOINTS.map((c) => c / 1e6 + ' M').join(', ')} events in a child process`);
    const out = execFileSync(process.execPath, [...process.execArgv, self, v], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
    return JSON.parse(out.trim().split('\n').pop()!) as Sample[];
  };
  const engine = run('engine');
  const naive = run('naive');
  const mb = (b: number) => b / 1_048_576;
  const [base, at1, at5] = engine;
  const growth = (at5.rssBytes - at1.rssBytes) / at1.rssBytes;
  report('memory (issue 4, engine state)', [
    { name: 'RSS after 1 M events', value: mb(at1.rssBytes), unit: 'MiB', baseline: { name: 'naive raw-value window', value: mb(naive[1].rssBytes) } },
    { name: 'RSS after 5 M events', value: mb(at5.rssBytes), unit: 'MiB', baseline: { name: 'naive raw-value window', value: mb(naive[2].rssBytes) } },
    {
      name: 'RSS |change| 1 M → 5 M',
      value: 100 * Math.abs(growth),
      unit: '%',
      baseline: { name: 'naive raw-value window', value: (100 * Math.abs(naive[2].rssBytes - naive[1].rssBytes)) / naive[1].rssBytes },
      target: { kind: 'max', value: 10 },
      note:
        `signed change ${(100 * growth).toFixed(1)} %; RSS before any event ${mb(base.rssBytes).toFixed(1)} MiB (naive ${mb(naive[0].rssBytes).toFixed(1)}); ` +
        `heap ${mb(at1.heapBytes).toFixed(1)} → ${mb(at5.heapBytes).toFixed(1)} MiB (naive ${mb(naive[1].heapBytes).toFixed(1)} → ${mb(naive[2].heapBytes).toFixed(1)}); ` +
        `engine stateSize ${(at1.stateBytes / 1024).toFixed(0)} → ${(at5.stateBytes / 1024).toFixed(0)} KiB; a 1 h window holds ${(WINDOW_MS / STEP_MS).toLocaleString()} events`,
    },
  ]);
}
