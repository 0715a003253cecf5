// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function, for the
// benchmarks that ask where a start-up's time goes. Pure apart from the file read.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
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
}

/** Functions by self time, most first (samples weighted by the mean interval). */
export function selfTimes(profile: CpuProfile, root: string): SelfTime[] {
  const hits = profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = hits === 0 ? 0 : totalMs / hits;
  const by = new Map<string, number>();
  for (const n of profile.nodes) {
    if (!n.hitCount) continue;
    const file = n.callFrame.url.replace(/^file:\/\//, '').replace(root, '');
    const where = `${n.callFrame.functionName || '(anonymous)'} ${file || '(native)'}:${n.callFrame.lineNumber + 1}`;
    by.set(where, (by.get(where) ?? 0) + n.hitCount);
  }
  return [...by].map(([where, h]) => ({ where, ms: h * msPerHit, share: hits === 0 ? 0 : h / hits })).sort((a, b) => b.ms - a.ms);
}

/** The top `n` as table lines, after the profile's wall time. */
export function profileSummary(path: string, root: string, n = 15): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const total = (profile.endTime - profile.startTime) / 1000;
  return [`profile ${path}: ${(total / 1000).toFixed(1)} s sampled`,
    ...selfTimes(profile, root).slice(0, n).map((s) => `  ${(s.ms / 1000).toFixed(2).padStart(7)} s ${(100 * s.share).toFixed(1).padStart(5)}%  ${s.where}`)];
}
