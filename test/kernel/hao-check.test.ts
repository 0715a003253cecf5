// MCoA §6.5 / RFC 6275 §9.3.1 with mcoad: a packet with a Home Address option from a
// care-of address that is not registered for that home address gets a Binding Error,
// status 1, sent to that care-of address. ICMPv6 echo requests carry the option here:
// the kernel drops them (the wildcard hao state and no policy for ICMPv6) and reports
// them on XFRMNLGRP_REPORT; the daemon turns the report into the Binding Error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MhReceived } from '../../lib/net/mh-socket.js';
import { decodeMessage } from '../../lib/wire/mh.js';
import { formatIp6 } from '../../lib/inet/ip6.js';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import type { BindingError } from '../../lib/wire/types.js';
import {
  COA, HA, HOA, KERNEL_TEST_TIMEOUT_MS, bu, coaBid, counter, procCounter, sendEchoRequest, stats, until, untilLogged, withK, withPairHomeAgent, type MobileNodeSide,
  type Pair,
} from './fixtures/index.js';

const UNREGISTERED_COA = '2001:db8:1::20';

/** An ICMPv6 echo request from `from` to the home agent with a Home Address option for `hoa`. */
const echoWithHao = (p: Pair, from: string, hoa: string, id: number): void => sendEchoRequest(p.mn, { to: HA, from, homeAddressOption: hoa, id });

/** Binding Errors reaching the mobile node's MH socket from now on. */
function collectBindingErrors(mn: MobileNodeSide): { list: { be: BindingError; received: MhReceived }[]; stop(): void } {
  const list: { be: BindingError; received: MhReceived }[] = [];
  const on = (m: MhReceived): void => {
    const r = decodeMessage(m.data, DRAFT04_PROFILE);
    if (r.ok && r.value.kind === 'be') list.push({ be: r.value, received: m });
  };
  mn.sock.on('message', on);
  return { list, stop: () => mn.sock.off('message', on) };
}

test('§6.5: a Home Address option from an unregistered care-of address gets a Binding Error status 1; from the registered one nothing', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent({ ipsecRequired: false }, async (p) => {
    const { ha, mn, mnSide, d } = p;
    await mn.ip('addr', 'add', `${UNREGISTERED_COA}/64`, 'dev', 'mn0', 'nodad');
    mnSide.sendBu(bu(1, 400, [coaBid(1, COA)]));
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    const bes = collectBindingErrors(mnSide);
    try {
      echoWithHao(p, UNREGISTERED_COA, HOA, 1);
      await until('a Binding Error', () => bes.list.length > 0);
      const { be, received } = bes.list[0]!;
      assert.equal(be.status, 1);
      assert.equal(formatIp6(be.homeAddress), HOA);
      assert.equal(received.dst, UNREGISTERED_COA);
      assert.equal(received.src, HA);
      assert.equal(received.routingHeader, undefined);
      const c = (await stats(d)).counters;
      assert.equal(c['be']?.['hao-unregistered'], 1, JSON.stringify(c));
      assert.equal(c['sent']?.['be'], 1, JSON.stringify(c));

      // The registered care-of address: reported and judged, but no Binding Error. Once the
      // daemon has counted its judgement, a Binding Error would have been counted as sent.
      echoWithHao(p, COA, HOA, 2);
      await until('the report of the registered care-of address', async () => (await counter(d, 'xfrm-report', 'hao-registered')) >= 1);
      assert.equal(await counter(d, 'sent', 'be'), 1);
      assert.equal(await counter(d, 'be', 'hao-unregistered'), 1);
      assert.equal(bes.list.length, 1);
      assert.ok((await procCounter(ha, 'xfrm_stat', 'XfrmInNoPols')) >= 2, 'both echoes dropped by the kernel');
    } finally {
      bes.stop();
    }
  });
});

test('§8.1: a BU with the K bit that moves a care-of address is logged once: nothing to migrate for transport-mode SAs', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withPairHomeAgent({ ipsecRequired: false }, async ({ mnSide, d }) => {
    mnSide.sendBu(withK(bu(1, 400, [coaBid(1, COA)])));
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    mnSide.sendBu(withK(bu(2, 400, [coaBid(1, COA)]))); // a refresh: same care-of address
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    mnSide.sendBu(bu(3, 400, [coaBid(1, UNREGISTERED_COA)])); // moved, but no K bit
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    mnSide.sendBu(withK(bu(4, 400, [coaBid(1, COA)]))); // moved back with the K bit
    assert.equal((await mnSide.nextBa()).ba.status, 0);
    assert.equal(await counter(d, 'bu', 'k-bit-coa-change'), 1);
    await untilLogged(d, 'nothing to migrate', (l) => l.includes('nothing to migrate'));
    const lines = d.output.filter((l) => l.includes('nothing to migrate'));
    assert.equal(lines.length, 1, d.output.join('\n'));
    assert.ok(lines[0]!.includes(UNREGISTERED_COA) && lines[0]!.includes(COA), lines[0]);
  });
});
