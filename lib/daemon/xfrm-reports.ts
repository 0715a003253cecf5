// RFC 6275 §9.3.1 / MCoA §6.5: a packet with a Home Address option from a care-of address
// not registered for that home address is dropped and answered with a Binding Error
// (status 1), at the home agent and at the correspondent. Mobility Header packets reach
// the MH socket and are checked there (each role's daemon.ts); every other packet with the
// option is dropped by the kernel's policy check (home agent: the wildcard `hao` state and
// no inbound policy, XfrmInNoPols; correspondent: no template for that care-of address,
// plan/common/ro-xfrm.ts), which sends XFRM_MSG_REPORT to XFRMNLGRP_REPORT with the home
// address as selector source and the care-of address in XFRMA_COADDR
// (mip6_destopt_reject; at most one report per source, destination and interface per
// second). UMIP answered these the same way.
//   equivalent: ip -6 xfrm monitor report
import type { Logger } from 'pino';
import type { Outgoing } from '../proto/common/outcome.js';
import type { HomeAddressCheck } from '../proto/common/hao-check.js';
import type { NlMsg } from '../platform/netlink/parse.js';
import type { NetlinkSocket } from '../platform/netlink/socket.js';
import { IPPROTO_DSTOPTS, XFRM_MSG_REPORT } from '../platform/xfrm/xfrm-constants.js';
import { decodeReport, type XfrmReport } from '../platform/xfrm/report.js';
import type { Ip6 } from '../inet/ip6.js';
import type { BindingError } from '../wire/types.js';
import { RateLimit } from './counters.js';
import type { Metrics } from './metrics/metrics.js';

/** What a report handler needs from the daemon. */
export interface HaoReportContext {
  check(hoa: Ip6, coa: Ip6): HomeAddressCheck;
  send(out: Outgoing<BindingError>): void;
  counters: Metrics;
  log: Logger;
  /** For log lines about bad input. */
  logLimit: RateLimit;
  /** For Binding Errors sent (RFC 6275 §9.3.1: rate-limited). */
  sendLimit: RateLimit;
  now(): number;
}

/** What one report led to, for counters and tests. */
export type HaoReportResult = 'not-hao' | 'malformed' | 'registered' | 'binding-error' | 'rate-limited';

/** Handles one XFRM_MSG_REPORT: a Binding Error, status 1, when the care-of address is not bound. */
export function handleHaoReport(report: XfrmReport, ctx: HaoReportContext): HaoReportResult {
  // Reports also come from the type 2 routing header state (IPPROTO_ROUTING); not ours.
  if (report.proto !== IPPROTO_DSTOPTS) return 'not-hao';
  const hoa = report.selector.src;
  const coa = report.coaddr;
  if (coa === undefined) {
    ctx.counters.inc('xfrm_reports', { outcome: 'malformed' });
    return 'malformed';
  }
  const check = ctx.check(hoa, coa);
  if (check.accept) {
    // A registered care-of address: no error is due. (The home agent still drops the
    // packet: it accepts no route-optimised traffic, the mobile node tunnels it, §8.3.)
    ctx.counters.inc('xfrm_reports', { outcome: 'hao-registered' });
    return 'registered';
  }
  ctx.counters.inc('be_hao_unregistered');
  const now = ctx.now();
  if (ctx.logLimit.allow(now)) {
    ctx.log.info({ hoa: report.selector.src, coa: report.coaddr, dst: report.selector.dst, proto: report.selector.proto }, 'home address option from an unregistered care-of address: binding error');
  }
  if (!ctx.sendLimit.allow(now)) {
    ctx.counters.inc('be_rate_limited');
    return 'rate-limited';
  }
  ctx.send(check.bindingError);
  return 'binding-error';
}

/** Feeds every XFRM_MSG_REPORT arriving on `sock` (joined to XFRMNLGRP_REPORT) to handleHaoReport. */
export function watchHaoReports(sock: NetlinkSocket, ctx: HaoReportContext): void {
  sock.on('notification', (m: NlMsg) => {
    if (m.type !== XFRM_MSG_REPORT) return;
    let report: XfrmReport;
    try {
      report = decodeReport(m);
    } catch (err) {
      ctx.counters.inc('xfrm_reports', { outcome: 'malformed' });
      if (ctx.logLimit.allow(ctx.now())) ctx.log.debug({ err: String(err) }, 'malformed XFRM report');
      return;
    }
    ctx.counters.inc('xfrm_reports', { outcome: 'received' });
    handleHaoReport(report, ctx);
  });
  // Lost reports cannot be asked for again; the sender's next packet is reported anew.
  sock.on('resync', (reason: string) => {
    ctx.counters.inc('xfrm_reports', { outcome: 'lost' });
    if (ctx.logLimit.allow(ctx.now())) ctx.log.debug({ reason }, 'XFRM reports lost');
  });
}

/** What a daemon hands watchHaoDrops: its check and send, counters, log and clock. */
export interface HaoReportDaemon {
  check(hoa: Ip6, coa: Ip6): HomeAddressCheck;
  send(out: Outgoing<BindingError>): void;
  counters: Metrics;
  log: Logger;
  /** The daemon's limit for log lines about bad input. */
  logLimit: RateLimit;
  clock: { now(): number };
}

/** watchHaoReports for a daemon, with the RFC 6275 §9.3.3 rate limit for its Binding Errors (10/s). */
export function watchHaoDrops(sock: NetlinkSocket, d: HaoReportDaemon): void {
  const { clock, ...rest } = d;
  watchHaoReports(sock, { ...rest, sendLimit: new RateLimit(10), now: () => clock.now() });
}
