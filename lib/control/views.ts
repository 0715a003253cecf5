// The core's bindings and cache events as the control protocol shows them.
import type { Binding } from '../proto/common/binding.js';
import type { CacheEvent } from '../proto/common/outcome.js';
import type { BindingView, MonitorEvent } from './protocol.js';

/** `nowMs` on the core's clock (the one its expiresAtMs is on). */
export function bindingView(b: Binding, nowMs: number): BindingView {
  const flags: string[] = [];
  if (b.flags.homeRegistration) flags.push('H');
  if (b.flags.r) flags.push('R');
  if (b.flags.l) flags.push('L');
  if (b.flags.k) flags.push('K');
  return {
    hoa: b.hoa,
    bid: b.bid,
    coa: b.coa,
    flags,
    lifetimeLeftSeconds: Math.max(0, Math.floor((b.expiresAtMs - nowMs) / 1000)),
    lifetimeSeconds: b.lifetimeSeconds,
    sequence: b.lastSequence,
    homeBinding: b.homeBinding,
    mobileNetworkPrefixes: [...b.mobileNetworkPrefixes],
  };
}

/** A cache event for monitor clients; `wallTime` stamps it, `nowMs` is the core's clock. */
export function monitorEvent(e: CacheEvent, nowMs: number, wallTime: Date): MonitorEvent {
  return { time: wallTime.toISOString(), type: e.type, reason: e.reason, binding: bindingView(e.binding, nowMs) };
}
