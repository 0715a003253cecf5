// Flow Identification mobility option (RFC 6089 §4.2), type 45, alignment 2n.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |  Option Type  | Option Len    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |             FID               |            FID-PRI            |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |   Reserved    |    Status     |  Sub-options (optional)       |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Sub-options (§4.2.1) are TLVs like mobility options: Pad (type 0, one octet), PadN (1),
// Binding Reference (2, §4.2.1.1: BIDs of 16 bits each), Traffic Selector (3, §4.2.1.2: TS
// Format, Reserved, then the RFC 6088 selector). Unknown sub-options are kept raw. The
// encoder writes no padding between sub-options (none has an alignment rule).
//
//   Binding Reference:                 Traffic Selector:
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Type = 2      | Sub-opt Len   |  | Type = 3      | Sub-opt Len   | TS Format     | Rsvd  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |  BID  ...                     |  |  Traffic Selector ...
import { checkBytes, checkUint, copyBytes, readU16, writeU16 } from '../fields.js';
import { optionError, type OptionResult } from '../options/option-result.js';
import type { OptionLayout } from '../options/option-layout.js';
import { FLOW_IDENTIFICATION_OPTION_TYPE, FlowSubOptionType, TsFormat, type FlowIdentificationOption, type FlowSubOption } from './flow-types.js';
import { decodeSelector, encodeSelector, selectorLength } from './traffic-selector.js';

/** FID, FID-PRI, Reserved and Status: the fixed part of the option body. */
export const FLOW_ID_FIXED_LENGTH = 6;
const ALIGN = { x: 2, y: 0 };

function subOptionBodyLength(s: FlowSubOption): number {
  switch (s.kind) {
    case 'bindingReference':
      return s.bids.length * 2;
    case 'trafficSelector':
      return 2 + (s.selector.format === 'unknown' ? s.selector.data.length : selectorLength(s.selector));
    case 'unknownSubOption':
      return s.data.length;
  }
}

/** The option body length (the Option Len octet); throws when it does not fit in one octet. */
export function flowIdentificationLength(opt: FlowIdentificationOption): number {
  let n = FLOW_ID_FIXED_LENGTH;
  for (const s of opt.subOptions) {
    const body = subOptionBodyLength(s);
    if (body > 255) throw new RangeError(`Flow Identification sub-option ${s.kind}: ${body} octets, at most 255 fit`);
    n += 2 + body;
  }
  if (n > 255) throw new RangeError(`Flow Identification option: ${n} octets, at most 255 fit`);
  return n;
}

export function flowIdentificationLayout(opt: FlowIdentificationOption): OptionLayout {
  return { type: FLOW_IDENTIFICATION_OPTION_TYPE, length: flowIdentificationLength(opt), ...ALIGN };
}

export function encodeFlowIdentification(opt: FlowIdentificationOption, buf: Uint8Array, body: number): void {
  writeU16(buf, body, checkUint(opt.fid, 0xffff, 'FID'));
  writeU16(buf, body + 2, checkUint(opt.fidPri, 0xffff, 'FID-PRI'));
  buf[body + 4] = 0; // Reserved
  buf[body + 5] = checkUint(opt.status, 0xff, 'flow status');
  let p = body + FLOW_ID_FIXED_LENGTH;
  for (const s of opt.subOptions) {
    const len = subOptionBodyLength(s);
    buf[p + 1] = len;
    const at = p + 2;
    switch (s.kind) {
      case 'bindingReference':
        buf[p] = FlowSubOptionType.BindingReference;
        s.bids.forEach((bid, i) => {
          if (checkUint(bid, 0xffff, 'Binding Reference BID') === 0) throw new RangeError('Binding Reference: BID 0 is reserved');
          writeU16(buf, at + 2 * i, bid);
        });
        break;
      case 'trafficSelector': {
        buf[p] = FlowSubOptionType.TrafficSelector;
        const sel = s.selector;
        buf[at + 1] = 0; // Reserved
        if (sel.format === 'unknown') {
          const f = checkUint(sel.tsFormat, 0xff, 'TS Format');
          if (f === TsFormat.IPv4Binary || f === TsFormat.IPv6Binary) throw new RangeError(`TS Format ${f} is known; use its own format`);
          buf[at] = f;
          buf.set(checkBytes(sel.data, sel.data.length, 'traffic selector data'), at + 2);
        } else {
          buf[at] = sel.format === 'ipv6' ? TsFormat.IPv6Binary : TsFormat.IPv4Binary;
          encodeSelector(sel, buf, at + 2);
        }
        break;
      }
      case 'unknownSubOption': {
        const t = checkUint(s.subType, 0xff, 'sub-option type');
        if (t <= FlowSubOptionType.TrafficSelector) throw new RangeError(`sub-option type ${t} is known; use its own kind`);
        buf[p] = t;
        buf.set(s.data, at);
        break;
      }
    }
    p = at + len;
  }
}

export function decodeFlowIdentification(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length < FLOW_ID_FIXED_LENGTH) {
    return optionError('BAD_OPTION_LENGTH', optionOffset + 1, `Flow Identification option length ${length}, at least ${FLOW_ID_FIXED_LENGTH}`);
  }
  const fid = readU16(buf, body);
  const fidPri = readU16(buf, body + 2);
  const status = buf[body + 5]!;
  const subOptions: FlowSubOption[] = [];
  const end = body + length;
  let p = body + FLOW_ID_FIXED_LENGTH;
  while (p < end) {
    const type = buf[p]!;
    if (type === FlowSubOptionType.Pad) {
      p += 1;
      continue;
    }
    if (p + 2 > end) return optionError('OPTION_OVERRUN', p, `flow sub-option type ${type} has no length octet`);
    const len = buf[p + 1]!;
    const at = p + 2;
    if (at + len > end) return optionError('OPTION_OVERRUN', p, `flow sub-option type ${type} of length ${len} runs past its option`);
    if (type === FlowSubOptionType.BindingReference) {
      if (len % 2 !== 0) return optionError('BAD_OPTION_LENGTH', p + 1, `Binding Reference length ${len} is not a whole number of BIDs`);
      const bids: number[] = [];
      for (let i = 0; i < len; i += 2) {
        const bid = readU16(buf, at + i);
        if (bid === 0) return optionError('BID_ZERO', at + i, 'Binding Reference: BID 0 is reserved');
        bids.push(bid);
      }
      subOptions.push({ kind: 'bindingReference', bids });
    } else if (type === FlowSubOptionType.TrafficSelector) {
      if (len < 2) return optionError('BAD_OPTION_LENGTH', p + 1, `Traffic Selector length ${len}, at least 2`);
      const r = decodeSelector(buf, at + 2, len - 2, buf[at]!, p);
      if (!r.ok) return r;
      subOptions.push({ kind: 'trafficSelector', selector: r.value });
    } else if (type !== FlowSubOptionType.PadN) {
      subOptions.push({ kind: 'unknownSubOption', subType: type, data: copyBytes(buf, at, len) });
    }
    p = at + len;
  }
  return { ok: true, value: { kind: 'flowIdentification', fid, fidPri, status, subOptions } };
}
