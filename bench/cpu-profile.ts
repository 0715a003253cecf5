// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function, for the
// benchmarks that ask where a start-up's time goes. Pure apart from the file read.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface SelfTime {
  /** "name file:line", file relative to the repository when under it. */
  where: string;
  ms: number;
  share: number;
  /** Self time of this function by its call chain (caller < its caller < ...), most first. */
  callers: { where: string; ms: number }[];
}

/** Frames named per caller: the direct caller and the ones above it. */
const CALLER_DEPTH = 3;

function whereOf(n: ProfileNode, root: string): string {
  const file = n.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
  return `${n.callFrame.functionName || '(anonymous)'} ${file || '(native)'}:${n.callFrame.lineNumber + 1}`;
}

/** Functions by self time, most first (samples weighted by the mean interval). */
export function selfTimes(profile: CpuProfile, root: string): SelfTime[] {
  const hits = profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = hits === 0 ? 0 : totalMs / hits;
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const by = new Map<string, { hits: number; callers: Map<string, number> }>();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const where = whereOf(n, root);
    const e = by.get(where) ?? { hits: 0, callers: new Map<string, number>() };
    e.hits += n.hitCount;
    const chain: string[] = [];
    for (let p = parent.get(n.id); p && chain.length < CALLER_DEPTH; p = parent.get(p.id)) chain.push(whereOf(p, root));
    const caller = chain.length ? chain.join(' < ') : '(root)';
    e.callers.set(caller, (e.callers.get(caller) ?? 0) + n.hitCount);
    by.set(where, e);
  }
  return [...by]
    .map(([where, e]) => ({
      where,
      ms: e.hits * msPerHit,
      share: hits === 0 ? 0 : e.hits / hits,
      callers: [...e.callers].map(([w, h]) => ({ where: w, ms: h * msPerHit })).sort((a, b) => b.ms - a.ms),
    }))
    .sort((a, b) => b.ms - a.ms);
}

/** The top `n` as table lines, after the profile's wall time; the first `withCallers` also name their main callers. */
export function profileSummary(path: string, root: string, n = 15, withCallers = 0): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const total = (profile.endTime - profile.startTime) / 1000;
  const lines = [`profile ${path}: ${(total / 1000).toFixed(1)} s sampled`];
  selfTimes(profile, root)
    .slice(0, n)
    .forEach((s, i) => {
      lines.push(`  ${(s.ms / 1000).toFixed(2).padStart(7)} s ${(100 * s.share).toFixed(1).padStart(5)}%  ${s.where}`);
      if (i < withCallers) for (const c of s.callers.slice(0, 4)) lines.push(`            ${(c.ms / 1000).toFixed(2).padStart(7)} s  from ${c.where}`);
    });
  return lines;
}
