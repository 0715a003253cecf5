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

/** Time spent in each function and what it called (each sample counted once per function), most first; only functions whose file matches `only`. */
export function inclusiveTimes(profile: CpuProfile, root: string, only: RegExp): { where: string; ms: number; share: number }[] {
  const hits = profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const msPerHit = hits === 0 ? 0 : (profile.endTime - profile.startTime) / 1000 / hits;
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const by = new Map<string, number>();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const seen = new Set<string>();
    for (let p: ProfileNode | undefined = n; p; p = parent.get(p.id)) {
      if (!only.test(p.callFrame.url)) continue;
      const where = whereOf(p, root);
      if (seen.has(where)) continue;
      seen.add(where);
      by.set(where, (by.get(where) ?? 0) + n.hitCount);
    }
  }
  return [...by].map(([where, h]) => ({ where, ms: h * msPerHit, share: hits === 0 ? 0 : h / hits })).sort((a, b) => b.ms - a.ms);
}

/** Self time summed by source file ("(native)" for V8 and libuv entries), most first. */
export function fileTimes(times: readonly SelfTime[]): { file: string; ms: number; share: number }[] {
  const by = new Map<string, { ms: number; share: number }>();
  for (const t of times) {
    const file = t.where.slice(t.where.indexOf(' ') + 1).replace(/:\d+$/, '');
    const e = by.get(file) ?? { ms: 0, share: 0 };
    e.ms += t.ms;
    e.share += t.share;
    by.set(file, e);
  }
  return [...by].map(([file, e]) => ({ file, ...e })).sort((a, b) => b.ms - a.ms);
}

/** The top `n` as table lines, after the profile's wall time; the first `withCallers` also name their main callers. */
export function profileSummary(path: string, root: string, n = 15, withCallers = 0): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const total = (profile.endTime - profile.startTime) / 1000;
  const lines = [`profile ${path}: ${(total / 1000).toFixed(1)} s sampled`];
  const times = selfTimes(profile, root);
  times
    .slice(0, n)
    .forEach((s, i) => {
      lines.push(`  ${(s.ms / 1000).toFixed(2).padStart(7)} s ${(100 * s.share).toFixed(1).padStart(5)}%  ${s.where}`);
      if (i < withCallers) for (const c of s.callers.slice(0, 4)) lines.push(`            ${(c.ms / 1000).toFixed(2).padStart(7)} s  from ${c.where}`);
    });
  if (withCallers > 0) {
    lines.push('  by file:');
    for (const f of fileTimes(times).slice(0, n)) lines.push(`  ${(f.ms / 1000).toFixed(2).padStart(7)} s ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.file}`);
    lines.push('  inclusive (dist/lib functions and what they called):');
    for (const f of inclusiveTimes(profile, root, /\/dist\/lib\//).slice(0, 2 * n)) lines.push(`  ${(f.ms / 1000).toFixed(2).padStart(7)} s ${(100 * f.share).toFixed(1).padStart(5)}%  ${f.where}`);
  }
  return lines;
}
