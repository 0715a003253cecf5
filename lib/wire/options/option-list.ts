// The option area of a Mobility Header message (RFC 6275 §6.2): a sequence of TLV options
// from the end of the message's fixed part to the end of the message. Pad1/PadN are
// consumed; every other option is decoded by its own module, the BID sub-option by the wire
// profile, and unknown types are kept raw and skipped by their length. Nothing is read
// before the octets holding it are known to lie inside the message.
import type { WireProfile } from '../profile.js';
import { OptType, type MobilityOption, type WireError } from '../types.js';
import { optionError, type OptionResult } from './option-result.js';
import { paddingFor, writePadding } from './padding.js';
import type { OptionLayout } from './option-layout.js';
import * as refresh from './refresh-advice.js';
import * as acoa from './alternate-coa.js';
import * as nonce from './nonce-indices.js';
import * as auth from './auth-data.js';
import * as mnp from './network-prefix.js';
import * as flowId from '../flow/flow-identification.js';
import * as flowSummary from '../flow/flow-summary.js';
import { checkUnknownOption, decodeUnknownOption, encodeUnknownOption } from './unknown-option.js';

export type OptionsResult = { ok: true; value: MobilityOption[] } | { ok: false; error: WireError };

/** Decodes options in buf[start..end); offsets in errors are relative to buf (the MH). */
export function decodeOptions(buf: Uint8Array, start: number, end: number, profile: WireProfile): OptionsResult {
  const options: MobilityOption[] = [];
  const bidType = profile.bidOptionType;
  let sawAuthData = false;
  let p = start;
  while (p < end) {
    const type = buf[p]!;
    if (type === OptType.Pad1) {
      p += 1;
      continue;
    }
    if (p + 2 > end) return optionError('OPTION_OVERRUN', p, `option type ${type} has no length octet`);
    const length = buf[p + 1]!;
    const body = p + 2;
    if (body + length > end) {
      return optionError('OPTION_OVERRUN', p, `option type ${type} of length ${length} runs past the end of the message`);
    }
    if (type !== OptType.PadN) {
      // Padding after Binding Authorization Data carries nothing and is tolerated.
      if (sawAuthData) return optionError('BAD_NOT_LAST', p, 'an option follows Binding Authorization Data');
      const r = decodeOne(buf, type, body, length, p, bidType, profile);
      if (!r.ok) return r;
      if (type === OptType.BindingAuthData) sawAuthData = true;
      options.push(r.value);
    }
    p = body + length;
  }
  return { ok: true, value: options };
}

function decodeOne(
  buf: Uint8Array,
  type: number,
  body: number,
  length: number,
  optionOffset: number,
  bidType: number,
  profile: WireProfile,
): OptionResult {
  if (type === bidType) return profile.bid.decodeBody(buf, body, length, optionOffset);
  if (type === profile.flowOptionTypes.identification) return flowId.decodeFlowIdentification(buf, body, length, optionOffset);
  if (type === profile.flowOptionTypes.summary) return flowSummary.decodeFlowSummary(buf, body, length, optionOffset);
  switch (type) {
    case OptType.BindingRefreshAdvice:
      return refresh.decodeRefreshAdvice(buf, body, length, optionOffset);
    case OptType.AlternateCoa:
      return acoa.decodeAlternateCoa(buf, body, length, optionOffset);
    case OptType.NonceIndices:
      return nonce.decodeNonceIndices(buf, body, length, optionOffset);
    case OptType.BindingAuthData:
      return auth.decodeAuthData(buf, body, length, optionOffset);
    case OptType.MobileNetworkPrefix:
      return mnp.decodeNetworkPrefix(buf, body, length, optionOffset);
    default:
      return decodeUnknownOption(buf, type, body, length);
  }
}

/**
 * Lays out `options` from MH position `start` (relative to the MH's first octet), inserting
 * Pad1/PadN so each option meets its alignment rule, and returns the position after the
 * last option. With `buf` it also writes them at buf[base + position]; without, it only
 * measures. Invalid values throw TypeError/RangeError (a programmer error, not wire input).
 */
export function layoutOptions(
  options: readonly MobilityOption[],
  profile: WireProfile,
  start: number,
  buf: Uint8Array | null,
  base: number,
): number {
  let p = start;
  const last = options.length - 1;
  for (let i = 0; i <= last; i++) {
    const opt = options[i]!;
    const layout = layoutOf(opt, profile, i === last);
    const pad = paddingFor(p, layout.x, layout.y);
    if (buf) {
      writePadding(buf, base + p, pad);
      const at = base + p + pad;
      buf[at] = layout.type;
      buf[at + 1] = layout.length;
      writeBody(opt, profile, buf, at + 2, layout.length);
    }
    p += pad + 2 + layout.length;
  }
  return p;
}

// Filled in place for options whose layout depends on their value (the codec is
// synchronous and the result is used before the next call), so laying out allocates nothing.
const variable: OptionLayout = { type: 0, length: 0, x: 1, y: 0 };

function layoutOf(opt: MobilityOption, profile: WireProfile, isLast: boolean): OptionLayout {
  switch (opt.kind) {
    case 'bindingRefreshAdvice':
      return refresh.REFRESH_ADVICE;
    case 'alternateCoa':
      return acoa.ALTERNATE_COA;
    case 'nonceIndices':
      return nonce.NONCE_INDICES;
    case 'bindingAuthData':
      if (!isLast) throw new RangeError('Binding Authorization Data must be the last option');
      return auth.AUTH_DATA;
    case 'mobileNetworkPrefix':
      return mnp.NETWORK_PREFIX;
    case 'bid': {
      const align = profile.bid.align(opt);
      variable.type = profile.bidOptionType;
      variable.length = profile.bid.bodyLength(opt);
      variable.x = align.x;
      variable.y = align.y;
      return variable;
    }
    case 'flowIdentification':
      return withType(flowId.flowIdentificationLayout(opt), profile.flowOptionTypes.identification);
    case 'flowSummary':
      return withType(flowSummary.flowSummaryLayout(opt), profile.flowOptionTypes.summary);
    case 'unknown':
      checkUnknownOption(opt.optionType, opt.data);
      if (isKnownOptionType(opt.optionType, profile)) {
        throw new RangeError(`unknown option: type ${opt.optionType} is a known option type; use its own kind`);
      }
      variable.type = opt.optionType;
      variable.length = opt.data.length;
      variable.x = 1; // no known alignment
      variable.y = 0;
      return variable;
    default:
      throw new TypeError(`unknown mobility option kind ${JSON.stringify((opt as { kind: unknown }).kind)}`);
  }
}

function withType(layout: OptionLayout, type: number): OptionLayout {
  layout.type = type;
  return layout;
}

function writeBody(opt: MobilityOption, profile: WireProfile, buf: Uint8Array, body: number, length: number): void {
  switch (opt.kind) {
    case 'bindingRefreshAdvice':
      return refresh.encodeRefreshAdvice(opt.intervalSeconds, buf, body);
    case 'alternateCoa':
      return acoa.encodeAlternateCoa(opt.address, buf, body);
    case 'nonceIndices':
      return nonce.encodeNonceIndices(opt.homeNonceIndex, opt.careOfNonceIndex, buf, body);
    case 'bindingAuthData':
      return auth.encodeAuthData(opt.authenticator, buf, body);
    case 'mobileNetworkPrefix':
      return mnp.encodeNetworkPrefix(opt.prefixLength, opt.prefix, buf, body);
    case 'bid':
      if (profile.bid.encodeBody(opt, buf, body) !== length) {
        throw new RangeError(`profile ${profile.name}: BID body length disagrees with bodyLength()`);
      }
      return;
    case 'flowIdentification':
      return flowId.encodeFlowIdentification(opt, buf, body);
    case 'flowSummary':
      return flowSummary.encodeFlowSummary(opt, buf, body);
    case 'unknown':
      return encodeUnknownOption(opt.data, buf, body);
  }
}

/** Option types this codec decodes itself (padding, base options, the profile's BID). */
export function isKnownOptionType(type: number, profile: WireProfile): boolean {
  return (
    type <= OptType.MobileNetworkPrefix ||
    type === profile.bidOptionType ||
    type === profile.flowOptionTypes.summary ||
    type === profile.flowOptionTypes.identification
  );
}
