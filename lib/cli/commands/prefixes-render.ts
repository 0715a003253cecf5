// `mcoactl show prefixes` on a mobile node: what Mobile Prefix Discovery learned, as an
// aligned table under a header line.
import type { PrefixesView } from '../../control/protocol.js';

const lifetime = (left: number | null, total: number): string => (left === null ? 'infinite' : `${left}s/${total}s`);

export function prefixesLines(v: PrefixesView | null): string[] {
  if (v === null) return ['no mobile prefix discovery (not a mobile node)'];
  const ago = v.lastAdvertisementSecondsAgo === null ? 'none yet' : `${v.lastAdvertisementSecondsAgo}s ago`;
  const next = v.outstandingIdentifier !== null ? `waiting for an answer to identifier ${v.outstandingIdentifier}` : v.nextSolicitInSeconds === null ? 'none planned' : `in ${v.nextSolicitInSeconds}s`;
  const head = `home address ${v.homeAddress}  home agent ${v.homeAgent}  last advertisement ${ago}  next solicitation ${next}`;
  if (v.prefixes.length === 0) return [head, 'no prefixes learned'];
  const rows = [
    ['PREFIX', 'HOME', 'VALID', 'PREFERRED', 'ROUTER'],
    ...v.prefixes.map((p) => [p.prefix, p.home ? 'yes' : 'no', lifetime(p.validLeftSeconds, p.validLifetime), lifetime(p.preferredLeftSeconds, p.preferredLifetime), p.routerAddress ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [head, ...rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())];
}
