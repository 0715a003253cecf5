// RFC 6275 §9.3.1 at a correspondent running mcoad: a packet with a Home Address option
// gets in only from the care-of address bound to that home address that the correspondent
// sends to (its lowest BID's, plan/cn/hao-inbound.ts); any other is dropped by the kernel
// and reported on XFRMNLGRP_REPORT; one not bound at all is answered with a Binding Error,
// status 1, sent to the packet's source (rate-limited, §9.3.3). The mobile node registers its three
// care-of addresses with the correspondent by return routability (as in e2e-ro.test.ts);
// the test then sends ICMPv6 echo requests with the option from the mobile node's namespace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CN, FAILURE_LINE, HOA, MN_IFACES, SCENARIO_TIMEOUT_MS, bindings, counter, linesMatching, procCounter, sendEchoRequest, until, withRoutedWorld, writeCorrespondentConfig,
  writeHomeAgentConfig, writeMobileNodeConfig,
} from './fixtures/index.js';

/** On the first care-of address's link, never registered (the mobile node keeps the care-of address it has). */
const UNBOUND_COA = '2001:db8:f1::99';
/** A home address with no binding at the correspondent. */
const OTHER_HOA = '2001:db8:aa::200';

test('§9.3.1 correspondent: a Home Address option from the bound care-of address gets in; from an unbound one, a Binding Error status 1', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  await withRoutedWorld({}, async ({ ns, scope }) => {
    const haD = await scope.startDaemon(ns.ha, 'home agent', (dir) => writeHomeAgentConfig(dir, { ipsecRequired: false }));
    const cnD = await scope.startDaemon(ns.cn, 'correspondent', (dir) => writeCorrespondentConfig(dir));
    const mnD = await scope.startDaemon(ns.mn, 'mobile node', (dir) => writeMobileNodeConfig(dir, { routes: ['2001:db8:dd::/64'], correspondents: [CN] }));
    const bound = await until('three bindings at the correspondent', async () => {
      const l = (await bindings(cnD)).filter((b) => b.hoa === HOA);
      return l.length === 3 ? l : undefined;
    });
    const [lowest, other] = [...bound].sort((a, b) => a.bid - b.bid).map((b) => b.coa);
    await ns.mn.ip('addr', 'add', `${UNBOUND_COA}/64`, 'dev', MN_IFACES[0], 'nodad');

    // The lowest BID's care-of address, which route optimisation uses both ways: the kernel
    // lets the echo past its policy check, nothing is reported. The raw socket's kernel sums
    // the ICMPv6 checksum over the care-of address it sends from, the correspondent over the
    // home address (RFC 6275 §6.3): so a request that got past the policy check, and only
    // such a one, is counted as a checksum error (icmpv6_rcv checks the policy first).
    const echos = (): Promise<number> => procCounter(ns.cn, 'snmp6', 'Icmp6InCsumErrors');
    const first = await echos();
    sendEchoRequest(ns.mn, { to: CN, from: lowest!, homeAddressOption: HOA, id: 10 });
    await until(`the echo from ${lowest} past the correspondent's policy check`, async () => (await echos()) > first);

    // Another bound care-of address: the kernel holds one per home address, so it drops and
    // reports the packet; the daemon finds the address bound and sends no Binding Error.
    sendEchoRequest(ns.mn, { to: CN, from: other!, homeAddressOption: HOA, id: 11 });
    await until('the report of a bound care-of address', async () => (await counter(cnD, 'xfrm-report', 'hao-registered')) >= 1);
    assert.equal(await counter(cnD, 'be', 'hao-unregistered'), 0);
    assert.equal(await counter(cnD, 'sent', 'be'), 0);

    // An address the mobile node holds but never registered: dropped, reported, answered.
    const delivered = await echos();
    const noPolicyBefore = await procCounter(ns.cn, 'xfrm_stat', 'XfrmInNoPols');
    sendEchoRequest(ns.mn, { to: CN, from: UNBOUND_COA, homeAddressOption: HOA, id: 1 });
    await until('a Binding Error for the unbound care-of address', async () => (await counter(cnD, 'sent', 'be')) >= 1);
    assert.equal(await counter(cnD, 'be', 'hao-unregistered'), 1);
    assert.ok((await procCounter(ns.cn, 'xfrm_stat', 'XfrmInTmplMismatch')) >= 2, 'both dropped by the template check');
    // It reaches the mobile node (sent to the unbound address, which the mobile node holds).
    await until('the Binding Error at the mobile node', async () => (await counter(mnD, 'received', 'be')) >= 1);

    // A home address the correspondent holds no binding for, from a bound care-of address: no policy at all.
    sendEchoRequest(ns.mn, { to: CN, from: lowest!, homeAddressOption: OTHER_HOA, id: 2 });
    await until('a Binding Error for the unknown home address', async () => (await counter(cnD, 'sent', 'be')) >= 2);
    assert.equal(await counter(cnD, 'be', 'hao-unregistered'), 2);
    assert.ok((await procCounter(ns.cn, 'xfrm_stat', 'XfrmInNoPols')) > noPolicyBefore, 'dropped for want of a policy');
    await until('the second Binding Error at the mobile node', async () => (await counter(mnD, 'received', 'be')) >= 2);
    assert.equal(await echos(), delivered, 'neither echo was delivered');

    // The bindings themselves are untouched: the lowest BID's care-of address still gets in.
    const before = await echos();
    sendEchoRequest(ns.mn, { to: CN, from: lowest!, homeAddressOption: HOA, id: 3 });
    await until('an echo from the bound care-of address past the policy check again', async () => (await echos()) > before);
    assert.deepEqual([haD, cnD, mnD].flatMap((d) => linesMatching(d, FAILURE_LINE)), []);
  });
});
