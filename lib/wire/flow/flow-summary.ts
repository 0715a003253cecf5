// Flow Summary mobility option (RFC 6089 §4.1), type 44, alignment 2n: the FIDs of flow
// bindings the mobile node refreshes without restating them.
//
//                                   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//                                   |  Option Type  | Option Len    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |              FID              |              FID  ...         |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
import { checkUint, readU16, writeU16 } from '../fields.js';
import { optionError, type OptionResult } from '../options/option-result.js';
import type { OptionLayout } from '../options/option-layout.js';
import { FLOW_SUMMARY_OPTION_TYPE, type FlowSummaryOption } from './flow-types.js';

export function flowSummaryLayout(opt: FlowSummaryOption): OptionLayout {
  const length = opt.fids.length * 2;
  if (opt.fids.length === 0) throw new RangeError('Flow Summary option: at least one FID');
  if (length > 254) throw new RangeError(`Flow Summary option: ${opt.fids.length} FIDs, at most 127 fit`);
  return { type: FLOW_SUMMARY_OPTION_TYPE, length, x: 2, y: 0 };
}

export function encodeFlowSummary(opt: FlowSummaryOption, buf: Uint8Array, body: number): void {
  opt.fids.forEach((fid, i) => writeU16(buf, body + 2 * i, checkUint(fid, 0xffff, 'Flow Summary FID')));
}

export function decodeFlowSummary(buf: Uint8Array, body: number, length: number, optionOffset: number): OptionResult {
  if (length === 0 || length % 2 !== 0) {
    return optionError('BAD_OPTION_LENGTH', optionOffset + 1, `Flow Summary option length ${length}, expected a positive even number`);
  }
  const fids: number[] = [];
  for (let i = 0; i < length; i += 2) fids.push(readU16(buf, body + i));
  return { ok: true, value: { kind: 'flowSummary', fids } };
}
