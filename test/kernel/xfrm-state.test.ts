// XFRM states: Mobile IPv6 route-optimisation states and ESP, read back with `ip xfrm state`.
import { ip6 } from '../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelError, settle } from '../../lib/platform/kernel-errors.js';
import { NETLINK_XFRM } from '../../lib/platform/netlink/netlink-constants.js';
import { NetlinkSocket } from '../../lib/platform/netlink/socket.js';
import {
  IPPROTO_DSTOPTS,
  IPPROTO_ESP,
  IPPROTO_ROUTING,
  XFRM_MODE_ROUTEOPTIMIZATION,
  XFRM_MODE_TRANSPORT,
  XFRM_MODE_TUNNEL,
  XFRM_STATE_WILDRECV,
} from '../../lib/platform/xfrm/xfrm-constants.js';
import { stateAdd, stateDelete, stateDump, stateUpdate, type XfrmState } from '../../lib/platform/xfrm/state.js';
import { withNetns } from './netns.js';

const wildHao: XfrmState = { src: ip6('::'), dst: ip6('::'), proto: IPPROTO_DSTOPTS, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: 0, flags: XFRM_STATE_WILDRECV, coaddr: ip6('::') };
const rh2: XfrmState = {
  src: ip6('2001:db8::a'),
  dst: ip6('2001:db8:1::1'),
  proto: IPPROTO_ROUTING,
  spi: 0,
  mode: XFRM_MODE_ROUTEOPTIMIZATION,
  reqid: 0,
  coaddr: ip6('2001:db8:c::1'),
  selector: { src: ip6('2001:db8::a'), srcLen: 128, dst: ip6('2001:db8:1::1'), dstLen: 128, proto: 0 },
};

test('RO states: wildcard hao with wildrecv and a per-node route2 state; update moves the care-of address', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ns.name });
    try {
      await stateAdd(sock, wildHao);
      await stateAdd(sock, rh2);
      assert.equal((await settle(stateAdd(sock, rh2), 'create')).outcome, 'exists');
      const shown = await ns.ip('xfrm', 'state', 'list');
      assert.match(shown, /^src :: dst ::\n\s+proto hao reqid 0 mode ro\n\s+replay-window 0 flag wildrecv\n\s+coa ::\n/m);
      assert.match(shown, /^src 2001:db8::a dst 2001:db8:1::1\n\s+proto route2 reqid 0 mode ro\n.*\n\s+coa 2001:db8:c::1\n/m);

      await stateUpdate(sock, { ...rh2, coaddr: ip6('2001:db8:d::1') });
      const states = await stateDump(sock);
      assert.equal(states.length, 2);
      const r = states.find((s) => s.proto === IPPROTO_ROUTING)!;
      assert.equal(r.coaddr, '2001:db8:d::1');
      assert.equal(r.mode, XFRM_MODE_ROUTEOPTIMIZATION);
      assert.deepEqual(r.selector, rh2.selector);
      const h = states.find((s) => s.proto === IPPROTO_DSTOPTS)!;
      assert.equal(h.flags, XFRM_STATE_WILDRECV);

      // RO states have no SPI: delete finds them by address, with XFRMA_SRCADDR.
      await stateDelete(sock, rh2);
      await stateDelete(sock, wildHao);
      const gone = await settle(stateDelete(sock, rh2), 'delete');
      assert.equal(gone.outcome, 'gone');
      assert.equal((gone.error as KernelError).code, 'ESRCH');
      assert.equal((await ns.ip('xfrm', 'state', 'list')).trim(), '');
    } finally {
      sock.close();
    }
  });
});

test('ESP states: transport with AEAD, tunnel with cipher and truncated auth', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ns.name });
    try {
      const transport: XfrmState = {
        src: ip6('2001:db8:1::1'),
        dst: ip6('2001:db8::a'),
        proto: IPPROTO_ESP,
        spi: 0x1001,
        mode: XFRM_MODE_TRANSPORT,
        reqid: 1,
        replayWindow: 32,
        selector: { src: ip6('2001:db8:1::1'), srcLen: 128, dst: ip6('2001:db8::a'), dstLen: 128, proto: 135 },
        aead: { name: 'rfc4106(gcm(aes))', key: Buffer.from('00112233445566778899aabbccddeeff01020304', 'hex'), icvBits: 128 },
      };
      const tunnel: XfrmState = {
        src: ip6('2001:db8:c::1'),
        dst: ip6('2001:db8::a'),
        proto: IPPROTO_ESP,
        spi: 0xc0000002,
        mode: XFRM_MODE_TUNNEL,
        reqid: 2,
        crypt: { name: 'cbc(aes)', key: Buffer.alloc(16, 1) },
        auth: { name: 'hmac(sha256)', key: Buffer.alloc(32, 2), truncBits: 128 },
      };
      await stateAdd(sock, transport);
      await stateAdd(sock, tunnel);
      const shown = await ns.ip('xfrm', 'state', 'list');
      assert.match(shown, /proto esp spi 0x00001001 reqid 1 mode transport\n\s+replay-window 32 \n\s+aead rfc4106\(gcm\(aes\)\) 0x00112233445566778899aabbccddeeff01020304 128/);
      assert.match(shown, /proto esp spi 0xc0000002 reqid 2 mode tunnel/);
      assert.match(shown, /auth-trunc hmac\(sha256\) 0x(02){32} 128\n\s+enc cbc\(aes\) 0x(01){16}/);
      const dumped = await stateDump(sock);
      const t = dumped.find((s) => s.spi === 0x1001)!;
      assert.equal(t.aead?.name, 'rfc4106(gcm(aes))');
      assert.deepEqual(Buffer.from(t.aead!.key), transport.aead!.key);
      assert.equal(t.selector?.proto, 135);
      const u = dumped.find((s) => s.spi === 0xc0000002)!;
      assert.equal(u.auth?.truncBits, 128);
      assert.equal(u.crypt?.name, 'cbc(aes)');
      await stateDelete(sock, transport);
      await stateDelete(sock, tunnel);
      assert.deepEqual(await stateDump(sock), []);
    } finally {
      sock.close();
    }
  });
});

test('an unknown algorithm is refused with extended-ack text', async () => {
  await withNetns(async (ns) => {
    const sock = NetlinkSocket.open({ protocol: NETLINK_XFRM, netns: ns.name });
    try {
      await assert.rejects(
        stateAdd(sock, { src: ip6('2001:db8::1'), dst: ip6('2001:db8::2'), proto: IPPROTO_ESP, spi: 5, mode: 0, reqid: 0, aead: { name: 'no-such-aead', key: new Uint8Array(20), icvBits: 128 } }),
        (e: unknown) => e instanceof KernelError && typeof e.extack === 'string' && e.extack.length > 0,
      );
    } finally {
      sock.close();
    }
  });
});
