// `mcoactl decode`: shows Mobility Header messages given as hex or found in a capture file
// (classic pcap or pcapng, told apart by their first four octets).
//
//   mcoactl decode [--json] [--profile draft-04|rfc5648] [--profile-bid-type N] HEX...     one message ("-" reads stdin)
//   mcoactl decode [--json] [--profile draft-04|rfc5648] [--profile-bid-type N] --pcap FILE
//
// Exit status: 0 decoded (for --pcap: the file was read, whatever its packets held);
// 1 the hex message is malformed, or bad hex / unreadable file / not a pcap; 2 usage.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { WireProfile } from '../../wire/profile.js';
import { DRAFT04_PROFILE, makeProfile, NAMED_PROFILES } from '../../wire/profiles.js';
import { decodeMessage } from '../../wire/mh.js';
import { verifyMhChecksum } from '../../wire/checksum.js';
import { walkIp6, type Ip6Walk } from '../../wire/ip6-packet.js';
import { formatIp6 } from '../../inet/ip6.js';
import { IPPROTO_MH } from '../../wire/types.js';
import { CliError, EXIT_FAILURE, EXIT_OK, UsageError, type CliIo, type Command } from '../command.js';
import { parseHex } from './hex.js';
import { readPcap, type PcapRecord } from './pcap.js';
import { isPcapng, readPcapng } from './pcapng.js';
import { ip6Payload, SUPPORTED_LINK_TYPES } from './link-layer.js';
import { describeError, describeMessage, renderError, renderMessage, type JsonObject } from './describe.js';

export const decodeCommand: Command = {
  summary: 'decode Mobility Header messages from hex or a pcap/pcapng file',
  usage: [
    'mcoactl decode [--json] [--profile draft-04|rfc5648] [--profile-bid-type N] HEX...   (HEX "-" reads standard input)',
    'mcoactl decode [--json] [--profile draft-04|rfc5648] [--profile-bid-type N] --pcap FILE',
  ],
  run: runDecode,
};

async function runDecode(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      pcap: { type: 'string' },
      'profile-bid-type': { type: 'string' },
      profile: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const profile = profileFrom(values.profile, values['profile-bid-type']);
  if (values.pcap !== undefined) {
    if (positionals.length) throw new UsageError('give either HEX or --pcap FILE, not both');
    return decodePcap(values.pcap, profile, values.json, io);
  }
  if (!positionals.length) throw new UsageError('nothing to decode: give HEX or --pcap FILE');
  const text = positionals.length === 1 && positionals[0] === '-' ? await readStdin() : positionals.join(' ');
  const hex = parseHex(text);
  if (!hex.ok) throw new CliError(`bad hex: ${hex.error}`);
  return decodeHexMessage(hex.value, profile, values.json, io);
}

function profileFrom(name: string | undefined, bidType: string | undefined): WireProfile {
  const base = name === undefined ? DRAFT04_PROFILE : NAMED_PROFILES.get(name);
  if (!base) throw new UsageError(`--profile: ${JSON.stringify(name)} is not ${[...NAMED_PROFILES.keys()].join(' or ')}`);
  if (bidType === undefined) return base;
  if (!/^\d+$/.test(bidType)) throw new UsageError(`--profile-bid-type: not a number: ${JSON.stringify(bidType)}`);
  const r = makeProfile({ bidOptionType: Number(bidType) }, base);
  if (!r.ok) throw new UsageError(`--profile-bid-type: ${r.error}`);
  return r.value;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decodeHexMessage(mh: Uint8Array, profile: WireProfile, json: boolean, io: CliIo): number {
  const r = decodeMessage(mh, profile);
  const d = r.ok ? describeMessage(r.value, mh, profile) : { error: describeError(r.error, mh, profile) };
  if (json) io.out(JSON.stringify(d));
  else (r.ok ? renderMessage(d) : renderError(d.error as JsonObject)).forEach((l) => io.out(l));
  return r.ok ? EXIT_OK : EXIT_FAILURE;
}

function decodePcap(path: string, profile: WireProfile, json: boolean, io: CliIo): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(`cannot read ${path}: ${code}`);
  }
  const capture = readCapture(path, bytes, io);
  const { records, trailingGarbage } = capture;
  let shown = 0;
  for (const rec of records) {
    const pkt = ip6Payload(rec.linkType, rec.data);
    const walk = pkt && walkIp6(pkt);
    if (!walk) continue;
    const d = describePacket(rec, walk, profile);
    if (!d) continue;
    shown++;
    if (json) io.out(JSON.stringify(d));
    else renderPacket(d).forEach((l) => io.out(l));
  }
  if (!json) io.out(`${records.length} frame${records.length === 1 ? '' : 's'}, ${shown} shown`);
  if (trailingGarbage) io.err(`mcoactl: warning: ${path}: ${trailingGarbage}`);
  return EXIT_OK;
}

/** Records of a pcap or pcapng file, each with its link type; refuses files with no supported link type. */
function readCapture(path: string, bytes: Uint8Array, io: CliIo): { records: (PcapRecord & { linkType: number })[]; trailingGarbage?: string } {
  const known = () => [...SUPPORTED_LINK_TYPES].map(([n, name]) => `${n} ${name}`).join(', ');
  if (isPcapng(bytes)) {
    const ng = readPcapng(bytes);
    if (!ng.ok) throw new CliError(`${path}: ${ng.error.message} (offset ${ng.error.offset})`);
    const { interfaces, records, skipped, stopped } = ng.value;
    const unsupported = [...new Set(interfaces.map((i) => i.linkType).filter((t) => !SUPPORTED_LINK_TYPES.has(t)))];
    if (interfaces.length > 0 && unsupported.length === interfaces.length) {
      throw new CliError(`${path}: link type ${unsupported.join(', ')} is not supported (supported: ${known()})`);
    }
    if (unsupported.length) io.err(`mcoactl: warning: ${path}: packets on interfaces of link type ${unsupported.join(', ')} skipped (supported: ${known()})`);
    for (const e of skipped) io.err(`mcoactl: warning: ${path}: block at offset ${e.offset} skipped: ${e.message}`);
    return stopped ? { records, trailingGarbage: `${stopped.message} (offset ${stopped.offset})` } : { records };
  }
  const pcap = readPcap(bytes);
  if (!pcap.ok) throw new CliError(`${path}: ${pcap.error}`);
  const { linkType, records, trailingGarbage } = pcap.value;
  if (!SUPPORTED_LINK_TYPES.has(linkType)) throw new CliError(`${path}: link type ${linkType} is not supported (supported: ${known()})`);
  const withType = records.map((r) => ({ ...r, linkType }));
  return trailingGarbage ? { records: withType, trailingGarbage } : { records: withType };
}

/** The packet as JSON, or null when it is nothing this command shows. */
function describePacket(rec: PcapRecord, walk: Ip6Walk, profile: WireProfile): JsonObject | null {
  const up = walk.upper;
  const isMhFragment = up.kind === 'fragment' && up.first && up.nextHeader === IPPROTO_MH;
  if (up.kind !== 'mh' && up.kind !== 'encrypted' && !isMhFragment) return null;
  const d: JsonObject = {
    frame: rec.frame,
    time: `${rec.seconds}.${String(rec.nanoseconds).padStart(9, '0')}`,
    src: formatIp6(walk.src),
    dst: formatIp6(walk.dst),
  };
  if (walk.tunnels.length) d.tunnels = walk.tunnels.map((t) => ({ src: formatIp6(t.src), dst: formatIp6(t.dst) }));
  if (walk.homeAddress) d.homeAddress = formatIp6(walk.homeAddress);
  if (walk.routingAddress) d.routingAddress = formatIp6(walk.routingAddress);
  if (walk.truncated) d.truncated = true;
  if (up.kind === 'encrypted') return { ...d, encrypted: true };
  if (up.kind !== 'mh') return { ...d, fragment: true };
  if (!walk.truncated) {
    // The checksum covers the home address (HAO) and the final destination (type 2 RH).
    const src = walk.homeAddress ?? walk.src;
    const dst = walk.routingAddress && walk.routingSegmentsLeft ? walk.routingAddress : walk.dst;
    d.checksumOk = verifyMhChecksum(src, dst, up.mh);
  }
  const r = decodeMessage(up.mh, profile);
  if (r.ok) d.message = describeMessage(r.value, up.mh, profile);
  else d.error = describeError(r.error, up.mh, profile);
  return d;
}

function renderPacket(d: JsonObject): string[] {
  let head = `frame ${String(d.frame)}  ${String(d.src)} -> ${String(d.dst)}`;
  const tunnels = (d.tunnels ?? []) as JsonObject[];
  for (const t of tunnels) head += `  in tunnel ${String(t.src)} -> ${String(t.dst)}`;
  if (d.homeAddress) head += `  hao ${String(d.homeAddress)}`;
  if (d.routingAddress) head += `  rh2 ${String(d.routingAddress)}`;
  if (d.truncated) head += '  (capture truncated)';
  if (d.checksumOk !== undefined) head += d.checksumOk ? '  checksum ok' : '  checksum BAD';
  if (d.encrypted) return [`${head}  encrypted (ESP)`];
  if (d.fragment) return [`${head}  Mobility Header fragment (not reassembled)`];
  if (d.message) return [head, ...renderMessage(d.message as JsonObject, '  ')];
  return [head, ...renderError(d.error as JsonObject, '  ')];
}
