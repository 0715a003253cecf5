// The mobile node's configuration with every default filled in and every limit applied.
import type { Ip6Bytes } from '../../wire/types.js';
import type { McoaStatusNumbers } from '../../wire/profile.js';
import { MAX_LIFETIME_S, MAX_RR_BINDING_LIFETIME_S } from './timing.js';
import type { HomeLinkPolicy, MnConfig, MobileRouterConfig } from './types.js';
import type { MnFlow } from './flows.js';

export interface ResolvedConfig {
  homeAddress: Ip6Bytes;
  homeAgent: Ip6Bytes;
  status: McoaStatusNumbers;
  multipleCoa: boolean;
  bidForSingleCoa: boolean;
  bulk: boolean;
  maxBulkBindings: number;
  esp: boolean;
  bootstrapOverwrite: boolean;
  correspondentFlush: boolean;
  bidConflict: 'overwrite' | 'stop-bids';
  homeLinkPolicy: HomeLinkPolicy;
  homeLifetimeS: number;
  correspondentLifetimeS: number;
  refreshFraction: number;
  coalesceMs: number;
  preferredInterfaces: string[];
  keyManagement: boolean;
  mobileRouter: MobileRouterConfig | null;
  flows: MnFlow[];
}

export function resolveConfig(c: MnConfig): ResolvedConfig {
  const fraction = c.refreshFraction ?? 0.85;
  if (!(fraction > 0 && fraction < 1)) throw new RangeError('refreshFraction must be in (0, 1)');
  const maxBulk = c.maxBulkBindings ?? 16;
  if (!Number.isInteger(maxBulk) || maxBulk < 1) throw new RangeError('maxBulkBindings must be >= 1');
  return {
    homeAddress: c.homeAddress,
    homeAgent: c.homeAgent,
    status: c.status,
    multipleCoa: c.multipleCoa ?? true,
    bidForSingleCoa: c.bidForSingleCoa ?? true,
    bulk: c.bulk ?? true,
    maxBulkBindings: maxBulk,
    esp: c.esp ?? true,
    bootstrapOverwrite: c.bootstrapOverwrite ?? true,
    correspondentFlush: c.correspondentFlush ?? true,
    bidConflict: c.bidConflict ?? 'overwrite',
    homeLinkPolicy: c.homeLinkPolicy ?? 'return-home',
    homeLifetimeS: clampLifetime(c.homeLifetimeSeconds ?? 3600, MAX_LIFETIME_S),
    correspondentLifetimeS: clampLifetime(
      c.correspondentLifetimeSeconds ?? MAX_RR_BINDING_LIFETIME_S,
      MAX_RR_BINDING_LIFETIME_S,
    ),
    refreshFraction: fraction,
    coalesceMs: c.coalesceMs ?? 0,
    preferredInterfaces: c.preferredInterfaces ?? [],
    keyManagement: c.keyManagement ?? false,
    mobileRouter: c.mobileRouter ?? null,
    flows: c.flows ?? [],
  };
}

function clampLifetime(s: number, max: number): number {
  if (!Number.isFinite(s) || s < 4) throw new RangeError(`lifetime ${s} s is below 4 s`);
  return Math.min(Math.floor(s / 4) * 4, max);
}
