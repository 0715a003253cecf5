// XFRM_MSG_REPORT from the XFRMNLGRP_REPORT group: a home agent with a wildcard
// home-address-option state and no inbound policy receives an ICMPv6 echo request
// carrying a Home Address option; the kernel refuses it (XfrmInNoPols) and reports
// the home address and the care-of address. ICMPv6 because its policy check comes
// before checksum verification (the sender's checksum covers the care-of address,
// the receiver's, after the option swap, the home address; UDP drops it as corrupt).
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NETLINK_XFRM } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import { encodeCmsgs, MsgIo } from '../../lib/platform/sys/msghdr.js';
import { AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_DSTOPTS, SOCK_RAW, closeFd, encodeSockaddrIn6, openSocket } from '../../lib/platform/sys/socket.js';
import { parseIp6 } from '../../lib/inet/ip6.js';
import { IPPROTO_DSTOPTS, XFRMNLGRP_REPORT, XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MSG_REPORT, XFRM_STATE_WILDRECV } from '../../lib/platform/xfrm/xfrm-constants.js';
import { decodeReport, type XfrmReport } from '../../lib/platform/xfrm/report.js';
import { stateAdd } from '../../lib/platform/xfrm/state.js';
import { addVethPair, withNetnsGroup } from './netns.js';
import { KERNEL_TEST_TIMEOUT_MS, bounded } from './fixtures/index.js';

const HA = '2001:db8:a::1';
const COA = '2001:db8:c::1';
const HOA = '2001:db8:1::99';

/** Destination options header with PadN then a Home Address option at 8n+6 (RFC 6275 6.3). */
function haoDstopts(hoa: Uint8Array): Uint8Array {
  const b = new Uint8Array(24);
  b[1] = 2; // Hdr Ext Len: (24 / 8) - 1
  b[2] = 1; // PadN
  b[3] = 2;
  b[6] = 201; // Home Address option
  b[7] = 16;
  b.set(hoa, 8);
  return b;
}

test('report: an ICMPv6 packet with a Home Address option and no policy is reported with the care-of address', { timeout: KERNEL_TEST_TIMEOUT_MS }, async () => {
  await withNetnsGroup(2, async ([ha, mn]) => {
    await addVethPair(ha!, 'ha0', mn!, 'mn0');
    await ha!.ip('addr', 'add', `${HA}/64`, 'dev', 'ha0', 'nodad');
    await mn!.ip('addr', 'add', `${COA}/64`, 'dev', 'mn0', 'nodad');
    await ha!.ip('link', 'set', 'ha0', 'up');
    await mn!.ip('link', 'set', 'mn0', 'up');
    await ha!.ip('-6', 'route', 'add', '2001:db8:c::/64', 'dev', 'ha0');
    await mn!.ip('-6', 'route', 'add', '2001:db8:a::/64', 'dev', 'mn0');

    const xfrm = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ha!.name });
    const mon = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ha!.name, groups: [XFRMNLGRP_REPORT] });
    const fd = openSocket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, { netns: mn!.name });
    try {
      await stateAdd(xfrm, { src: ip6('::'), dst: ip6('::'), proto: IPPROTO_DSTOPTS, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: 0, flags: XFRM_STATE_WILDRECV, coaddr: ip6('::') });
      const report = new Promise<XfrmReport>((resolve) => {
        mon.on('notification', (m) => {
          if (m.type === XFRM_MSG_REPORT) resolve(decodeReport(m));
        });
      });
      const io = new MsgIo({ bufferSize: 64 });
      const echoRequest = Uint8Array.of(128, 0, 0, 0, 0, 1, 0, 1); // the kernel fills the checksum
      const sent = io.sendmsg(fd, [echoRequest], {
        name: encodeSockaddrIn6({ address: parseIp6(HA)!, port: 0 }),
        control: encodeCmsgs([{ level: IPPROTO_IPV6, type: IPV6_DSTOPTS, data: haoDstopts(parseIp6(HOA)!) }]),
      });
      assert.ok(sent > 0, `sendmsg: ${sent}`);
      const r = await bounded('the XFRM report', report);
      assert.equal(r.proto, IPPROTO_DSTOPTS);
      // After the option swap the packet's source is the home address; the option held the care-of address.
      assert.equal(r.selector.src, HOA);
      assert.equal(r.selector.dst, HA);
      assert.equal(r.selector.proto, IPPROTO_ICMPV6);
      assert.match(await ha!.exec('cat', '/proc/net/xfrm_stat'), /XfrmInNoPols\s+[1-9]/);
      assert.equal(r.coaddr, COA);
    } finally {
      closeFd(fd);
      mon.close();
      xfrm.close();
    }
  });
});
