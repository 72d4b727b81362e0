import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { curveLinear, curveStepAfter, line } from 'd3-shape';
import { percent, stat, value } from './format.js';

/**
 * The geometry of the report's charts, computed on the server with d3's scales and path
 * generators; the templates turn it into SVG elements (docs/reports.md, "Charts"). Every
 * coordinate is rounded to 0.1 px so that 200 features stay a light page.
 */

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Tick {
  at: number;
  text: string;
}

export interface Frame {
  width: number;
  height: number;
  margin: Margin;
  /** Plot area: x from left to right, y from top to bottom. */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  xTicks: Tick[];
  yTicks: Tick[];
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  series: 'reference' | 'current';
  unseen: boolean;
  title: string;
}

export interface BarChart extends Frame {
  bars: Bar[];
  /** One label under each group of bars (bin or category). */
  labels: (Tick & { unseen: boolean; full: string })[];
}

export interface CdfChart extends Frame {
  lines: { series: 'reference' | 'current'; d: string }[];
  /** The KS gap: where the two CDFs are furthest apart. */
  gap: { x: number; y1: number; y2: number; title: string } | null;
}

export interface TimelineChart extends Frame {
  /** Score line (feature timelines) or nothing (the sample-count chart). */
  lines: { series: 'score' | 'threshold'; d: string }[];
  bars: { x: number; y: number; width: number; height: number; title: string }[];
  episodes: { x: number; width: number; title: string }[];
  dots: { cx: number; cy: number; title: string }[];
}

const r1 = (x: number) => Math.round(x * 10) / 10;

function frame(width: number, height: number, margin: Margin): Omit<Frame, 'xTicks' | 'yTicks'> {
  return { width, height, margin, x0: margin.left, x1: width - margin.right, y0: margin.top, y1: height - margin.bottom };
}

/** Side-by-side bars of reference and current proportions per group (PSI bin or category). */
export function barChart(groups: readonly { label: string; full: string; reference: number; current: number; unseen: boolean }[], width = 380, height = 190): BarChart {
  const f = frame(width, height, { top: 10, right: 8, bottom: 38, left: 40 });
  const x = scaleBand<number>()
    .domain(groups.map((_, i) => i))
    .range([f.x0, f.x1])
    .paddingInner(0.2)
    .paddingOuter(0.1);
  const max = Math.max(0.01, ...groups.flatMap((g) => [g.reference, g.current]));
  const y = scaleLinear().domain([0, max]).nice(4).range([f.y1, f.y0]);
  const half = x.bandwidth() / 2;
  const bars: Bar[] = [];
  groups.forEach((g, i) => {
    const left = x(i) ?? 0;
    for (const series of ['reference', 'current'] as const) {
      const share = g[series];
      const top = y(share);
      bars.push({
        x: r1(series === 'reference' ? left : left + half),
        y: r1(top),
        width: r1(Math.max(half - 0.5, 0.5)),
        height: r1(Math.max(f.y1 - top, 0)),
        series,
        unseen: g.unseen && series === 'current',
        title: `${g.full}: ${series} ${percent(share)}${g.unseen ? ' (unseen in the reference)' : ''}`,
      });
    }
  });
  // Labels thin out when the groups are too narrow for their text.
  const every = Math.max(1, Math.ceil(groups.length / Math.max(1, Math.floor((f.x1 - f.x0) / 34))));
  return {
    ...f,
    bars,
    labels: groups.map((g, i) => ({ at: r1((x(i) ?? 0) + half), text: i % every === 0 ? g.label : '', unseen: g.unseen, full: g.full })),
    xTicks: [],
    yTicks: y.ticks(4).map((t) => ({ at: r1(y(t)), text: percent(t).replace('.0 ', ' ') })),
  };
}

/**
 * The two empirical CDFs at the reference's fine edges (exact there: bins are right-closed),
 * with a vertical segment where they are furthest apart — the KS statistic D on the fine bins.
 */
export function cdfChart(
  edges: ArrayLike<number>,
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  options: { discrete: boolean; maxPoints?: number; width?: number; height?: number },
): CdfChart {
  const f = frame(options.width ?? 380, options.height ?? 190, { top: 10, right: 10, bottom: 26, left: 40 });
  const n = edges.length;
  const cum = (counts: ArrayLike<number>) => {
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i];
    const out = new Float64Array(n);
    let run = 0;
    for (let i = 0; i < n; i++) {
      run += counts[i];
      out[i] = total > 0 ? run / total : 0;
    }
    return out;
  };
  const refCdf = cum(reference);
  const curCdf = cum(current);
  let at = -1;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const gap = Math.abs(refCdf[i] - curCdf[i]);
    if (gap > d) {
      d = gap;
      at = i;
    }
  }
  // At most maxPoints edges, always including the first, the last and the KS edge: the CDFs are
  // exact at every edge kept.
  const maxPoints = options.maxPoints ?? 160;
  const step = Math.max(1, Math.ceil(n / maxPoints));
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (i % step === 0 || i === n - 1 || i === at) keep.push(i);
  const lo = n > 0 ? edges[0] : 0;
  const hi = n > 0 ? edges[n - 1] : 1;
  const x = scaleLinear()
    .domain(lo === hi ? [lo - 1, hi + 1] : [lo, hi])
    .range([f.x0, f.x1]);
  const y = scaleLinear().domain([0, 1]).range([f.y1, f.y0]);
  const path = line<number>()
    .x((i) => x(edges[i]))
    .curve(options.discrete ? curveStepAfter : curveLinear)
    .digits(1);
  const lines = (['reference', 'current'] as const).map((series) => {
    const cdf = series === 'reference' ? refCdf : curCdf;
    return { series, d: path.y((i) => y(cdf[i]))(keep) ?? '' };
  });
  return {
    ...f,
    lines,
    gap:
      at < 0
        ? null
        : {
            x: r1(x(edges[at])),
            y1: r1(y(refCdf[at])),
            y2: r1(y(curCdf[at])),
            title: `KS gap D = ${stat(d)} at ${value(edges[at])}: reference ${percent(refCdf[at])}, current ${percent(curCdf[at])}`,
          },
    xTicks: x.ticks(5).map((t) => ({ at: r1(x(t)), text: value(t) })),
    yTicks: [0, 0.5, 1].map((t) => ({ at: r1(y(t)), text: t.toFixed(1) })),
  };
}

export interface TimelinePoint {
  endMs: number;
  drifting: boolean;
}

/** Contiguous runs of drifting windows, each window taken as the slide that ends at its end. */
function episodes(points: readonly TimelinePoint[], x: (ms: number) => number, slideMs: number): TimelineChart['episodes'] {
  const out: TimelineChart['episodes'] = [];
  let start = -1;
  points.forEach((p, i) => {
    if (p.drifting && start < 0) start = i;
    const closes = start >= 0 && (!p.drifting || i === points.length - 1);
    if (closes) {
      const last = p.drifting ? i : i - 1;
      const x0 = x(points[start].endMs - slideMs);
      const x1 = x(points[last].endMs);
      out.push({ x: r1(x0), width: r1(Math.max(x1 - x0, 1)), title: `drift episode: ${last - start + 1} window(s)` });
      start = -1;
    }
  });
  return out;
}

function timeAxis(points: readonly TimelinePoint[], f: Omit<Frame, 'xTicks' | 'yTicks'>) {
  const ends = points.map((p) => p.endMs);
  let slideMs = Number.POSITIVE_INFINITY;
  for (let i = 1; i < ends.length; i++) if (ends[i] - ends[i - 1] > 0) slideMs = Math.min(slideMs, ends[i] - ends[i - 1]);
  if (!Number.isFinite(slideMs)) slideMs = 60_000;
  const first = ends.length > 0 ? ends[0] - slideMs : 0;
  const last = ends.length > 0 ? ends[ends.length - 1] : slideMs;
  const x = scaleUtc().domain([first, last]).range([f.x0, f.x1]);
  // UTC on a 24-hour clock (d3's default is local-looking 12-hour text without AM/PM): the
  // date at midnight, the time of day otherwise.
  const format = (t: Date) => (t.getTime() % 86_400_000 === 0 ? t.toISOString().slice(0, 10) : t.toISOString().slice(11, t.getUTCSeconds() === 0 ? 16 : 19));
  return { x: (ms: number) => x(ms), slideMs, xTicks: x.ticks(4).map((t) => ({ at: r1(x(t)), text: format(t) })) };
}

/** One feature's score per window, its threshold (a step line: auto thresholds move), drifted windows as dots, episodes shaded. */
export function scoreTimeline(points: readonly (TimelinePoint & { score: number; threshold: number; drifted: boolean })[], width = 770, height = 130): TimelineChart {
  const f = frame(width, height, { top: 8, right: 10, bottom: 22, left: 40 });
  const { x, slideMs, xTicks } = timeAxis(points, f);
  const finite = points.flatMap((p) => [p.score, p.threshold]).filter((v) => Number.isFinite(v));
  const y = scaleLinear()
    .domain([0, Math.max(0.01, ...finite)])
    .nice(4)
    .range([f.y1, f.y0]);
  const score = line<(typeof points)[number]>()
    .defined((p) => Number.isFinite(p.score))
    .x((p) => x(p.endMs))
    .y((p) => y(p.score))
    .digits(1);
  const threshold = line<(typeof points)[number]>()
    .defined((p) => Number.isFinite(p.threshold))
    .x((p) => x(p.endMs))
    .y((p) => y(p.threshold))
    .curve(curveStepAfter)
    .digits(1);
  return {
    ...f,
    lines: [
      { series: 'threshold', d: threshold(points) ?? '' },
      { series: 'score', d: score(points) ?? '' },
    ],
    bars: [],
    episodes: episodes(points, x, slideMs),
    dots: points
      .filter((p) => p.drifted && Number.isFinite(p.score))
      .map((p) => ({ cx: r1(x(p.endMs)), cy: r1(y(p.score)), title: `${new Date(p.endMs).toISOString()}: drifted, score ${stat(p.score)}` })),
    xTicks,
    yTicks: y.ticks(4).map((t) => ({ at: r1(y(t)), text: String(t) })),
  };
}

/** Rows per window as bars, drift episodes shaded. */
export function sampleTimeline(points: readonly (TimelinePoint & { samples: number })[], width = 770, height = 130): TimelineChart {
  const f = frame(width, height, { top: 8, right: 10, bottom: 22, left: 48 });
  const { x, slideMs, xTicks } = timeAxis(points, f);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...points.map((p) => p.samples))])
    .nice(4)
    .range([f.y1, f.y0]);
  const barWidth = Math.max(0.5, x(slideMs) - x(0) - 1);
  return {
    ...f,
    lines: [],
    bars: points.map((p) => ({
      x: r1(x(p.endMs) - barWidth),
      y: r1(y(p.samples)),
      width: r1(barWidth),
      height: r1(f.y1 - y(p.samples)),
      title: `window ending ${new Date(p.endMs).toISOString()}: ${p.samples} rows`,
    })),
    episodes: episodes(points, x, slideMs),
    dots: [],
    xTicks,
    yTicks: y.ticks(4).map((t) => ({ at: r1(y(t)), text: value(t) })),
  };
}
