// Decoded Mobility Header messages as plain JSON-ready objects (addresses in RFC 5952 text,
// octet strings in hex) and as aligned text for people. The JSON field names follow the
// decoded types in lib/wire/types.ts, plus `mhType`, `name` and `statusName`.
import type { WireProfile } from '../../wire/profile.js';
import { BaStatus, BindingErrorStatus, type MobilityMessage, type MobilityOption, type WireError } from '../../wire/types.js';
import { mcoaStatusName } from '../../wire/profiles.js';
import { mhTypeOf } from '../../wire/mh.js';
import { formatIp6 } from '../../inet/ip6.js';
import { toHex } from './hex.js';
import { describeFlowOption, renderFlowOption } from './describe-flow.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const MESSAGE_NAMES: Record<MobilityMessage['kind'], string> = {
  brr: 'Binding Refresh Request',
  hoti: 'Home Test Init',
  coti: 'Care-of Test Init',
  hot: 'Home Test',
  cot: 'Care-of Test',
  bu: 'Binding Update',
  ba: 'Binding Acknowledgement',
  be: 'Binding Error',
  has: 'Home Agent Switch',
  unknown: 'Unknown MH type',
};

const BA_STATUS_NAMES = new Map<number, string>(Object.entries(BaStatus).map(([k, v]) => [v, k.replace(/_/g, ' ')]));
const BE_STATUS_NAMES = new Map<number, string>(Object.entries(BindingErrorStatus).map(([k, v]) => [v, k.replace(/_/g, ' ')]));

export function baStatusName(profile: WireProfile, status: number): string {
  const known = BA_STATUS_NAMES.get(status) ?? mcoaStatusName(profile, status);
  return known ?? (status < 128 ? 'ACCEPTED (unknown)' : 'REJECTED (unknown)');
}

function flagObject(flags: object): JsonObject {
  return { ...(flags as Record<string, boolean>) };
}

/** The message's own fields (not its options) as JSON; works on a WireError's `partial` too. */
export function describeFixed(msg: Omit<MobilityMessage, 'options'>, profile: WireProfile): JsonObject {
  const m = msg as MobilityMessage;
  const out: JsonObject = { kind: m.kind, mhType: mhTypeOf(m), name: MESSAGE_NAMES[m.kind], checksum: m.checksum };
  switch (m.kind) {
    case 'bu':
      return { ...out, sequence: m.sequence, flags: flagObject(m.flags), lifetimeSeconds: m.lifetimeSeconds };
    case 'ba':
      return {
        ...out,
        status: m.status,
        statusName: baStatusName(profile, m.status),
        flags: flagObject(m.flags),
        sequence: m.sequence,
        lifetimeSeconds: m.lifetimeSeconds,
      };
    case 'be':
      return {
        ...out,
        status: m.status,
        statusName: BE_STATUS_NAMES.get(m.status) ?? 'UNKNOWN',
        homeAddress: formatIp6(m.homeAddress),
      };
    case 'hoti':
    case 'coti':
      return { ...out, cookie: toHex(m.cookie) };
    case 'hot':
    case 'cot':
      return { ...out, nonceIndex: m.nonceIndex, cookie: toHex(m.cookie), keygenToken: toHex(m.keygenToken) };
    case 'has':
      return { ...out, homeAgents: m.homeAgents.map((a) => formatIp6(a)) };
    case 'unknown':
      return { ...out, body: toHex(m.body) };
    case 'brr':
      return out;
  }
}

export function describeOption(opt: MobilityOption, profile: WireProfile): JsonObject {
  switch (opt.kind) {
    case 'bindingRefreshAdvice':
      return { kind: opt.kind, intervalSeconds: opt.intervalSeconds };
    case 'alternateCoa':
      return { kind: opt.kind, address: formatIp6(opt.address) };
    case 'nonceIndices':
      return { kind: opt.kind, homeNonceIndex: opt.homeNonceIndex, careOfNonceIndex: opt.careOfNonceIndex };
    case 'bindingAuthData':
      return { kind: opt.kind, authenticator: toHex(opt.authenticator) };
    case 'mobileNetworkPrefix':
      return { kind: opt.kind, prefix: `${formatIp6(opt.prefix)}/${opt.prefixLength}`, prefixLength: opt.prefixLength };
    case 'bid': {
      const out: JsonObject = { kind: 'bid', bid: opt.bid, status: opt.status, c: opt.c, o: opt.o, h: opt.h };
      if (opt.status !== 0) out.statusName = baStatusName(profile, opt.status);
      if (opt.coa) out.coa = formatIp6(opt.coa);
      // RFC 5648's IPv4 care-of address (DSMIPv6) and RFC 6089's BID-PRI.
      if (opt.coa4) out.coa4 = [...opt.coa4].join('.');
      if (opt.pri) out.pri = opt.pri;
      return out;
    }
    case 'flowSummary':
    case 'flowIdentification':
      return describeFlowOption(opt);
    case 'unknown':
      return { kind: 'unknown', optionType: opt.optionType, data: toHex(opt.data) };
  }
}

export function describeMessage(msg: MobilityMessage, raw: Uint8Array, profile: WireProfile): JsonObject {
  return {
    ...describeFixed(msg, profile),
    length: raw.length,
    options: msg.options.map((o) => describeOption(o, profile)),
    raw: toHex(raw),
  };
}

export function describeError(error: WireError, raw: Uint8Array, profile: WireProfile): JsonObject {
  const out: JsonObject = { code: error.code, offset: error.offset, message: error.message };
  if (error.partial) out.partial = describeFixed(error.partial, profile);
  out.raw = toHex(raw);
  return out;
}

// ---- text for people -------------------------------------------------------------------

const KEY_WIDTH = 18;

function line(indent: string, key: string, value: string): string {
  return `${indent}${key.padEnd(KEY_WIDTH)}${value}`;
}

function flagLetters(flags: Json | undefined): string {
  if (!flags || typeof flags !== 'object' || Array.isArray(flags)) return '-';
  const set = Object.entries(flags).filter(([, v]) => v === true).map(([k]) => k.toUpperCase());
  return set.length ? set.join(' ') : '-';
}

function hex16(n: Json | undefined): string {
  return `0x${Number(n).toString(16).padStart(4, '0')}`;
}

/** Aligned lines for a description made by describeFixed/describeMessage. */
export function renderFixed(d: JsonObject, indent = ''): string[] {
  const size = d.length !== undefined ? `, ${String(d.length)} octets` : '';
  const lines = [`${indent}${String(d.name)} (MH type ${String(d.mhType)})${size}, checksum ${hex16(d.checksum)}`];
  const i = indent + '  ';
  if (d.sequence !== undefined) lines.push(line(i, 'sequence', String(d.sequence)));
  if (d.status !== undefined) lines.push(line(i, 'status', `${String(d.status)} (${String(d.statusName)})`));
  if (d.flags !== undefined) lines.push(line(i, 'flags', flagLetters(d.flags)));
  if (d.lifetimeSeconds !== undefined) lines.push(line(i, 'lifetime', `${String(d.lifetimeSeconds)} s`));
  if (d.homeAddress !== undefined) lines.push(line(i, 'home address', String(d.homeAddress)));
  if (d.nonceIndex !== undefined) lines.push(line(i, 'nonce index', String(d.nonceIndex)));
  if (d.cookie !== undefined) lines.push(line(i, 'init cookie', String(d.cookie)));
  if (d.keygenToken !== undefined) lines.push(line(i, 'keygen token', String(d.keygenToken)));
  if (Array.isArray(d.homeAgents)) {
    lines.push(line(i, 'home agents', d.homeAgents.length ? d.homeAgents.map(String).join(', ') : '(none: run DHAAD)'));
  }
  if (d.body !== undefined) lines.push(line(i, 'body', String(d.body) || '(empty)'));
  return lines;
}

export function renderOption(o: JsonObject, indent: string): string {
  switch (o.kind) {
    case 'flowSummary':
    case 'flowIdentification':
      return renderFlowOption(o, indent, line).join('\n');
    case 'bid': {
      const flags = (['c', 'o', 'h'] as const).filter((f) => o[f] === true).map((f) => f.toUpperCase()).join('') || '-';
      const status = `status ${String(o.status)}` + (o.statusName ? ` (${String(o.statusName)})` : '');
      const coa = o.coa ? `  care-of ${String(o.coa)}` : o.coa4 ? `  care-of ${String(o.coa4)} (IPv4)` : '';
      const pri = o.pri ? `  BID-PRI ${String(o.pri)}` : '';
      return line(indent, 'BID', `${String(o.bid).padEnd(6)}${status}  flags ${flags}${pri}${coa}`);
    }
    case 'bindingRefreshAdvice':
      return line(indent, 'refresh advice', `${String(o.intervalSeconds)} s`);
    case 'alternateCoa':
      return line(indent, 'alternate CoA', String(o.address));
    case 'nonceIndices':
      return line(indent, 'nonce indices', `home ${String(o.homeNonceIndex)}  care-of ${String(o.careOfNonceIndex)}`);
    case 'bindingAuthData':
      return line(indent, 'authorization', String(o.authenticator));
    case 'mobileNetworkPrefix':
      return line(indent, 'network prefix', String(o.prefix));
    default:
      return line(indent, `option ${String(o.optionType)}`, `(unknown) ${String(o.data) || '(empty)'}`);
  }
}

export function renderMessage(d: JsonObject, indent = ''): string[] {
  const lines = renderFixed(d, indent);
  const options = Array.isArray(d.options) ? d.options : [];
  for (const o of options) lines.push(renderOption(o as JsonObject, indent + '  '));
  return lines;
}

export function renderError(d: JsonObject, indent = ''): string[] {
  const lines = [`${indent}malformed: ${String(d.code)} at offset ${String(d.offset)}: ${String(d.message)}`];
  if (d.partial && typeof d.partial === 'object' && !Array.isArray(d.partial)) {
    lines.push(`${indent}  fixed part decoded before the error:`);
    lines.push(...renderFixed(d.partial, indent + '    '));
  }
  lines.push(line(indent + '  ', 'raw', String(d.raw)));
  return lines;
}
