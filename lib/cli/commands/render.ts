// How mcoactl shows the daemon's results to people.
import { parseIp6 } from '../../inet/ip6.js';
import type { BindingView, MonitorEvent, StatsView } from '../../control/protocol.js';
import { duration, table } from './format.js';

function flagText(b: BindingView): string {
  const letters = b.flags.join('') || '-';
  return b.homeBinding ? `${letters} home` : letters;
}

function compareAddresses(a: string, b: string): number {
  const x = parseIp6(a);
  const y = parseIp6(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** One row per binding, by home address then BID; a PREFIXES column when any has some. */
export function bindingsTable(bindings: readonly BindingView[]): string[] {
  if (bindings.length === 0) return ['no bindings'];
  const sorted = [...bindings].sort((a, b) => compareAddresses(a.hoa, b.hoa) || a.bid - b.bid);
  const withPrefixes = sorted.some((b) => b.mobileNetworkPrefixes.length > 0);
  const headers = ['HOME ADDRESS', 'BID', 'CARE-OF ADDRESS', 'FLAGS', 'LIFETIME', 'SEQ'];
  if (withPrefixes) headers.push('PREFIXES');
  const rows = sorted.map((b) => {
    const row = [b.hoa, String(b.bid), b.coa, flagText(b), duration(b.lifetimeLeftSeconds), String(b.sequence)];
    if (withPrefixes) row.push(b.mobileNetworkPrefixes.join(',') || '-');
    return row;
  });
  return table(headers, rows, new Set([1, 4, 5]));
}

/** `2001:db8::2 (discovered by DHAAD: 2001:db8::2 2001:db8::3)`, or what discovery is doing. */
function homeAgentText(h: NonNullable<StatsView['homeAgent']>): string {
  const switched = h.switchedBy ? ` (Home Agent Switch from ${h.switchedBy})` : '';
  if (!h.discovered) return (h.address ?? '-') + switched;
  const list = h.candidates.length > 0 ? `: ${h.candidates.join(' ')}` : '';
  return h.address === null ? `discovering (DHAAD${list})${switched}` : `${h.address} (discovered by DHAAD${list})${switched}`;
}

export function statsLines(s: StatsView): string[] {
  const entries: [string, string][] = [
    ['version', s.version],
    ['uptime', duration(s.uptimeSeconds)],
    ['bindings', String(s.bindings)],
    ['home addresses', String(s.homeAddresses)],
  ];
  if (s.homeAgent) entries.push(['home agent', homeAgentText(s.homeAgent)]);
  for (const [group, counters] of Object.entries(s.counters)) {
    entries.push([`${group}:`, '']);
    for (const [name, v] of Object.entries(counters)) entries.push([`  ${name}`, String(v)]);
  }
  const width = Math.max(...entries.filter(([, v]) => v !== '').map(([k]) => k.length));
  return entries.map(([k, v]) => (v === '' ? k : `${k.padEnd(width)}  ${v}`));
}

export function eventLine(e: MonitorEvent): string {
  const b = e.binding;
  const life = e.type === 'removed' ? '' : ` lifetime ${duration(b.lifetimeLeftSeconds)}`;
  return `${e.time} ${e.type.padEnd(7)} ${b.hoa} bid ${b.bid} coa ${b.coa} flags ${flagText(b)}${life} seq ${b.sequence} (${e.reason})`;
}
