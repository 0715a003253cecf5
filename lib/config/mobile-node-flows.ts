// `mobile_node.flows`: the RFC 6089 flow bindings a mobile node asks its home agent for, in
// readable form, turned into RFC 6088 IPv6 selectors. Addresses and ports are as seen on
// packets to the home address (source = the correspondent). For example:
//
//   flows:
//     - id: 1                      # FID, 1..65535, unique
//       priority: 10               # FID-PRI, lower first (default: the id), unique
//       protocol: udp              # udp, tcp, icmpv6, sctp or a number 0..255
//       destination_port: 5004     # a port or "first-last"
//       source: 2001:db8:c::/48    # the correspondent's prefix (an address is a /128)
//       dscp: 46                   # 0..63, any ECN bits
//       interface: wlan0           # or bid: 2, or discard: true
import { parsePrefix, type Prefix } from '../inet/prefix.js';
import type { MnFlow, MnFlowTarget } from '../proto/mn/flows.js';
import type { Ip6TrafficSelector } from '../wire/flow/flow-types.js';
import type { ConfigReader, Field } from './reader.js';

const FLOW_KEYS = ['id', 'priority', 'protocol', 'source', 'destination', 'source_port', 'destination_port', 'dscp', 'interface', 'bid', 'discard'] as const;
/** IANA protocol numbers of the names `protocol` accepts. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };

export function readMobileNodeFlows(r: ConfigReader, f: Field, interfaces: readonly string[] | undefined): MnFlow[] | undefined {
  const items = r.list(f);
  if (!items) return undefined;
  const before = r.problems.length;
  const out: MnFlow[] = [];
  for (const item of items) {
    const flow = readFlow(r, item, interfaces);
    if (!flow) continue;
    if (out.some((o) => o.fid === flow.fid)) r.report(item.node, `${item.path}.id`, `flow id ${flow.fid} is used twice`);
    else if (out.some((o) => o.priority === flow.priority)) r.report(item.node, `${item.path}.priority`, `priority ${flow.priority} is used twice (RFC 6089: FID-PRI is unique)`);
    else out.push(flow);
  }
  return r.problems.length > before ? undefined : out;
}

function readFlow(r: ConfigReader, item: Field, interfaces: readonly string[] | undefined): MnFlow | undefined {
  const s = r.section(item, FLOW_KEYS, ['id']);
  if (!s) return undefined;
  const before = r.problems.length;
  const get = (k: (typeof FLOW_KEYS)[number]) => s.get(k);
  const idF = get('id');
  const fid = idF && r.integer(idF, 1, 0xffff);
  const priF = get('priority');
  const priority = priF ? r.integer(priF, 0, 0xffff) : fid;
  const sel: Ip6TrafficSelector = { format: 'ipv6' };
  const protoF = get('protocol');
  if (protoF) {
    const v = protocol(r, protoF);
    if (v !== undefined) sel.nextHeaderStart = v;
  }
  const addr = (k: 'source' | 'destination') => {
    const field = get(k);
    const p = field && prefixOrAddress(r, field);
    if (!p) return;
    sel[`${k}AddressStart`] = p.bytes;
    sel[`${k}AddressEnd`] = lastOf(p);
  };
  addr('source');
  addr('destination');
  const ports = (k: 'source_port' | 'destination_port', stem: 'sourcePort' | 'destinationPort') => {
    const field = get(k);
    const range = field && portRange(r, field);
    if (!range) return;
    if (sel.nextHeaderStart !== undefined && sel.nextHeaderStart !== 6 && sel.nextHeaderStart !== 17 && sel.nextHeaderStart !== 132) {
      r.report(field.node, field.path, 'ports need protocol tcp, udp or sctp');
      return;
    }
    sel[`${stem}Start`] = range[0];
    if (range[1] !== range[0]) sel[`${stem}End`] = range[1];
  };
  ports('source_port', 'sourcePort');
  ports('destination_port', 'destinationPort');
  const dscpF = get('dscp');
  const dscp = dscpF && r.integer(dscpF, 0, 63);
  if (dscp !== undefined) {
    // Traffic Class = DSCP (6 bits) then ECN (2 bits): any ECN value matches.
    sel.trafficClassStart = dscp << 2;
    sel.trafficClassEnd = (dscp << 2) | 3;
  }
  const target = readTarget(r, item, s, interfaces);
  if (r.problems.length > before || fid === undefined || priority === undefined || !target) return undefined;
  return { fid, priority, selector: sel, target };
}

function readTarget(r: ConfigReader, item: Field, s: Map<string, Field>, interfaces: readonly string[] | undefined): MnFlowTarget | undefined {
  const given = (['interface', 'bid', 'discard'] as const).filter((k) => s.has(k));
  if (given.length !== 1) {
    r.report(item.node, item.path, `needs exactly one of interface, bid or discard${given.length ? `; got ${given.join(', ')}` : ''}`);
    return undefined;
  }
  const f = s.get(given[0]!)!;
  switch (given[0]) {
    case 'interface': {
      const name = r.string(f);
      if (name === undefined) return undefined;
      if (interfaces && !interfaces.includes(name)) {
        r.report(f.node, f.path, `${name} is not in mobile_node.interfaces`);
        return undefined;
      }
      return { kind: 'interface', name };
    }
    case 'bid': {
      const bid = r.integer(f, 1, 0xffff);
      return bid === undefined ? undefined : { kind: 'bid', bid };
    }
    default: {
      const on = r.boolean(f);
      if (on === false) r.report(f.node, f.path, 'discard: false means nothing; name an interface or a bid instead');
      return on ? { kind: 'discard' } : undefined;
    }
  }
}

function protocol(r: ConfigReader, f: Field): number | undefined {
  const v = (f.node as { value?: unknown }).value;
  if (typeof v === 'number') return r.integer(f, 0, 255);
  const name = r.string(f);
  if (name === undefined) return undefined;
  const n = PROTOCOL_NUMBERS[name.toLowerCase()];
  if (n === undefined) r.report(f.node, f.path, `unknown protocol ${JSON.stringify(name)}: ${Object.keys(PROTOCOL_NUMBERS).join(', ')} or a number 0..255`);
  return n;
}

function portRange(r: ConfigReader, f: Field): [number, number] | undefined {
  const v = (f.node as { value?: unknown }).value;
  if (typeof v === 'number') {
    const p = r.integer(f, 0, 0xffff);
    return p === undefined ? undefined : [p, p];
  }
  const text = r.string(f);
  const m = text === undefined ? null : /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2]) : NaN;
  if (!m || a > 0xffff || b > 0xffff || a > b) {
    if (text !== undefined) r.report(f.node, f.path, `not a port or a range "first-last" (first <= last <= 65535): ${JSON.stringify(text)}`);
    return undefined;
  }
  return [a, b];
}

function prefixOrAddress(r: ConfigReader, f: Field): Prefix | undefined {
  const text = r.string(f);
  if (text === undefined) return undefined;
  const p = parsePrefix(text.includes('/') ? text : `${text}/128`);
  if (!p) r.report(f.node, f.path, `not an IPv6 address or prefix: ${JSON.stringify(text)}`);
  return p ?? undefined;
}

/** The prefix's last address: its host bits set. */
function lastOf(p: Prefix): Uint8Array {
  const out = p.bytes.slice();
  for (let bit = p.length; bit < 128; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return out;
}
