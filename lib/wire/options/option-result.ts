// Result type shared by the mobility option decoders.
import type { MobilityOption, WireError, WireErrorCode } from '../types.js';

export type Failure = { ok: false; error: WireError };
export type OptionResult = { ok: true; value: MobilityOption } | Failure;

export function optionError(code: WireErrorCode, offset: number, message: string): Failure {
  return { ok: false, error: { code, offset, message } };
}

/** The error for a known option whose Length octet is not the one its definition fixes. */
export function badLength(name: string, length: number, expected: number, optionOffset: number): OptionResult {
  return optionError(
    'BAD_OPTION_LENGTH',
    optionOffset + 1,
    `${name} option length ${length}, expected ${expected}`,
  );
}
