// MCoA §6.5 / RFC 6275 §9.3.1 with mcoad: a packet with a Home Address option from a
// care-of address that is not registered for that home address gets a Binding Error,
// status 1, sent to that care-of address. ICMPv6 echo requests carry the option here:
// the kernel drops them (the wildcard hao state and no policy for ICMPv6) and reports
// them on XFRMNLGRP_REPORT; the daemon turns the report into the Binding Error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeHomeAddressDstopts, encodePktinfo } from '../../lib/net/ancillary.js';
import type { MhReceived } from '../../lib/net/mh-socket.js';
import { encodeCmsgs, MsgIo } from '../../lib/platform/sys/msghdr.js';
import { AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_DSTOPTS, IPV6_PKTINFO, SOCK_RAW, closeFd, encodeSockaddrIn6, openSocket } from '../../lib/platform/sys/socket.js';
import { decodeMessage } from '../../lib/wire/mh.js';
import { formatIp6, mustParseIp6 } from '../../lib/inet/ip6.js';
import { DRAFT04_PROFILE } from '../../lib/wire/profiles.js';
import type { BindingError } from '../../lib/wire/types.js';
import {
  COA, HA, HOA, MobileNodeSide, bu, coaBid, labConfig, mcoactl, removeDir, startDaemon, stopDaemon, tempDir, topology, writeConfig, type Daemon,
} from './ha-fixture.js';
import { withNetnsGroup, type Netns } from './netns.js';

const UNREGISTERED_COA = '2001:db8:1::20';

/** An ICMPv6 echo request from `from` to the home agent with a Home Address option for `hoa`. */
function echoWithHao(mn: Netns, from: string, hoa: string, id: number): void {
  const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, { netns: mn.name });
  try {
    const io = new MsgIo({ bufferSize: 64 });
    const echoRequest = Uint8Array.of(128, 0, 0, 0, 0, id, 0, 1); // the kernel fills the checksum
    const sent = io.sendmsg(fd, [echoRequest], {
      name: encodeSockaddrIn6({ address: mustParseIp6(HA), port: 0 }),
      control: encodeCmsgs([
        { level: IPPROTO_IPV6, type: IPV6_PKTINFO, data: encodePktinfo(mustParseIp6(from)) },
        { level: IPPROTO_IPV6, type: IPV6_DSTOPTS, data: encodeHomeAddressDstopts(mustParseIp6(hoa)) },
      ]),
    });
    assert.ok(sent > 0, `sendmsg: ${sent}`);
  } finally {
    closeFd(fd);
  }
}

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

async function counters(d: Daemon): Promise<Record<string, Record<string, number>>> {
  return (JSON.parse(await mcoactl(d, 'show', 'stats', '--json')) as { counters: Record<string, Record<string, number>> }).counters;
}

async function until(what: string, ms: number, ok: () => Promise<boolean> | boolean): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await ok()) return;
  assert.fail(`timed out waiting for ${what}`);
}

test('§6.5: a Home Address option from an unregistered care-of address gets a Binding Error status 1; from the registered one nothing', { timeout: 90_000 }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await topology(ha!, mn!);
    await mn!.ip('addr', 'add', `${UNREGISTERED_COA}/64`, 'dev', 'mn0', 'nodad');
    const dir = tempDir();
    const mnSide = new MobileNodeSide(mn!);
    let d: Daemon | undefined;
    try {
      d = await startDaemon(ha!, dir, writeConfig(dir, labConfig()));
      mnSide.sendBu(bu(1, 400, [coaBid(1, COA)]));
      assert.equal((await mnSide.nextBa()).ba.status, 0);
      const bes = collectBindingErrors(mnSide);
      try {
        echoWithHao(mn!, UNREGISTERED_COA, HOA, 1);
        await until('a Binding Error', 5000, () => bes.list.length > 0);
        const { be, received } = bes.list[0]!;
        assert.equal(be.status, 1);
        assert.equal(formatIp6(be.homeAddress), HOA);
        assert.equal(received.dst, UNREGISTERED_COA);
        assert.equal(received.src, HA);
        assert.equal(received.routingHeader, undefined);
        const c = await counters(d);
        assert.equal(c['be']?.['hao-unregistered'], 1, JSON.stringify(c));
        assert.equal(c['sent']?.['be'], 1, JSON.stringify(c));

        // The registered care-of address: reported and judged, but no Binding Error.
        echoWithHao(mn!, COA, HOA, 2);
        await until('the report of the registered care-of address', 5000, async () => ((await counters(d!))['xfrm-report']?.['hao-registered'] ?? 0) >= 1);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(bes.list.length, 1);
        assert.equal((await counters(d))['be']?.['hao-unregistered'], 1);
        const noPols = /XfrmInNoPols\s+(\d+)/.exec(await ha!.exec('cat', '/proc/net/xfrm_stat'));
        assert.ok(Number(noPols?.[1]) >= 2, `both echoes dropped by the kernel: ${noPols?.[0]}`);
      } finally {
        bes.stop();
      }
    } catch (err) {
      if (d) (err as Error).message += `\n--- mcoad output ---\n${d.output.slice(-40).join('\n')}`;
      throw err;
    } finally {
      mnSide.close();
      if (d) await stopDaemon(d, 'SIGKILL');
      removeDir(dir);
    }
  });
});

test('§8.1: a BU with the K bit that moves a care-of address is logged once: nothing to migrate for transport-mode SAs', { timeout: 90_000 }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await topology(ha!, mn!);
    const dir = tempDir();
    const mnSide = new MobileNodeSide(mn!);
    let d: Daemon | undefined;
    try {
      d = await startDaemon(ha!, dir, writeConfig(dir, labConfig()));
      const withK = (m: ReturnType<typeof bu>): ReturnType<typeof bu> => ({ ...m, flags: { ...m.flags, k: true } });
      mnSide.sendBu(withK(bu(1, 400, [coaBid(1, COA)])));
      assert.equal((await mnSide.nextBa()).ba.status, 0);
      mnSide.sendBu(withK(bu(2, 400, [coaBid(1, COA)]))); // a refresh: same care-of address
      assert.equal((await mnSide.nextBa()).ba.status, 0);
      mnSide.sendBu(bu(3, 400, [coaBid(1, UNREGISTERED_COA)])); // moved, but no K bit
      assert.equal((await mnSide.nextBa()).ba.status, 0);
      mnSide.sendBu(withK(bu(4, 400, [coaBid(1, COA)]))); // moved back with the K bit
      assert.equal((await mnSide.nextBa()).ba.status, 0);
      assert.equal((await counters(d))['bu']?.['k-bit-coa-change'], 1);
      const lines = d.output.filter((l) => l.includes('nothing to migrate'));
      assert.equal(lines.length, 1, d.output.join('\n'));
      assert.ok(lines[0]!.includes(UNREGISTERED_COA) && lines[0]!.includes(COA), lines[0]);
    } catch (err) {
      if (d) (err as Error).message += `\n--- mcoad output ---\n${d.output.slice(-40).join('\n')}`;
      throw err;
    } finally {
      mnSide.close();
      if (d) await stopDaemon(d, 'SIGKILL');
      removeDir(dir);
    }
  });
});
