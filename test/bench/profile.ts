/**
 * Top frames by self time of a V8 CPU profile (`node --cpu-prof`), as the runner prints them
 * with `--profile`. Under tsx the line numbers are those of the transformed code, so frames are
 * named by function and file only; inlined callees count towards their caller.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export function topFrames(path: string, count = 15): { frame: string; ms: number; share: number }[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url } = nodes.get(id)!.callFrame;
    const file = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url;
    const frame = `${functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
    const us = profile.timeDeltas[i] ?? 0;
    self.set(frame, (self.get(frame) ?? 0) + us);
    total += us;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([frame, us]) => ({ frame, ms: us / 1000, share: us / total }));
}

/** Milliseconds of samples spent outside "(idle)": picks the busy thread among a run's profiles. */
export function busyMs(path: string): number {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let us = 0;
  profile.samples.forEach((id, i) => {
    if (!idle.has(id)) us += profile.timeDeltas[i] ?? 0;
  });
  return us / 1000;
}

export function printTopFrames(path: string, count = 15): void {
  console.log(`   top ${count} frames by self time (${path}):`);
  for (const { frame, ms, share } of topFrames(path, count)) {
    console.log(`   ${(100 * share).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(7)} ms  ${frame}`);
  }
}
