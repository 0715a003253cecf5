// rtnetlink encoders and decoders: each NEW message decodes back to what was
// encoded (the kernel answers dumps in the same layout), and malformed ones fail typed.
import { ip6 } from '../../ip6.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from '../../../lib/platform/netlink/netlink-constants.js';
import { NetlinkParseError, parseMessages, type NlMsg } from '../../../lib/platform/netlink/parse.js';
import { decodeAddr, encodeAddrNew } from '../../../lib/platform/rtnl/addr.js';
import { IFA_F_HOMEADDRESS, IFA_F_NODAD, IP6_TNL_F_IGN_ENCAP_LIMIT, IP6_TNL_F_MIP6_DEV } from '../../../lib/platform/rtnl/rtnl-constants.js';
import { encodeIp6TnlCreate } from '../../../lib/platform/rtnl/ip6tnl.js';
import { decodeLink, encodeLinkSetUp } from '../../../lib/platform/rtnl/link.js';
import { decodeProxy, encodeProxyNew } from '../../../lib/platform/rtnl/neigh.js';
import { decodeNexthop, encodeNexthopNew } from '../../../lib/platform/rtnl/nexthop.js';
import { decodeRoute, encodeRouteDel, encodeRouteNew, type Route6 } from '../../../lib/platform/rtnl/route.js';

const one = (b: Uint8Array): NlMsg => {
  const ms = parseMessages(b);
  assert.equal(ms.length, 1);
  return ms[0]!;
};
const truncated = (m: NlMsg, n: number): NlMsg => ({ ...m, payload: m.payload.subarray(0, n) });
const isParseError = (code: string) => (e: unknown): boolean => e instanceof NetlinkParseError && e.code === code;

test('route: replace message round-trips, flags and table above 255 via RTA_TABLE', () => {
  const r: Route6 = { dst: ip6('2001:db8:5::'), dstLen: 64, table: 1000, protocol: 16, metric: 1024, type: 1, oif: 7, gateway: ip6('fe80::1') };
  const m = one(encodeRouteNew(r, NLM_F_CREATE | NLM_F_REPLACE));
  assert.equal(m.type, 24);
  assert.equal(m.flags & (NLM_F_CREATE | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_REPLACE);
  assert.equal(m.payload[4], 0, 'rtm_table is RT_TABLE_UNSPEC for tables above 255');
  assert.deepEqual(decodeRoute(m), r);
  const nh: Route6 = { dst: ip6('2001:db8::1'), dstLen: 128, table: 254, protocol: 16, metric: 0, type: 1, nhid: 10 };
  assert.deepEqual(decodeRoute(one(encodeRouteNew(nh, NLM_F_CREATE))), nh);
});

test('route: delete names owner and metric; short rtmsg and other families', () => {
  const m = one(encodeRouteDel({ dst: ip6('2001:db8::1'), dstLen: 128, table: 100, protocol: 16, metric: 5 }));
  assert.equal(m.type, 25);
  assert.equal(decodeRoute(m)!.protocol, 16);
  assert.equal(decodeRoute(m)!.metric, 5);
  assert.throws(() => decodeRoute(truncated(m, 8)), isParseError('STRUCT_TRUNCATED'));
  const v4 = { ...m, payload: Uint8Array.from(m.payload) };
  v4.payload[0] = 2;
  assert.equal(decodeRoute(v4), undefined);
});

test('ip6tnl: create carries kind and IFLA_IPTUN_* and decodes back', () => {
  const m = one(
    encodeIp6TnlCreate({ name: 'mip6-1', local: ip6('2001:db8::1'), remote: ip6('2001:db8:1::2'), link: 3, hopLimit: 64, encapLimit: 0, flags: IP6_TNL_F_MIP6_DEV | IP6_TNL_F_IGN_ENCAP_LIMIT, up: true }),
  );
  assert.equal(m.type, 16);
  assert.equal(m.flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
  const l = decodeLink(m);
  assert.equal(l.name, 'mip6-1');
  assert.equal(l.kind, 'ip6tnl');
  assert.equal(l.up, true);
  assert.deepEqual(l.ip6tnl, { local: ip6('2001:db8::1'), remote: ip6('2001:db8:1::2'), link: 3, hopLimit: 64, encapLimit: 0, flags: 9, proto: 41, flowinfo: 0 });
});

test('link: set up/down changes only IFF_UP; truncated ifinfomsg fails typed', () => {
  const down = one(encodeLinkSetUp({ ifindex: 4 }, false));
  const l = decodeLink(down);
  assert.equal(l.ifindex, 4);
  assert.equal(l.up, false);
  assert.equal(new DataView(down.payload.buffer, down.payload.byteOffset).getUint32(12, true), 1, 'ifi_change = IFF_UP');
  assert.throws(() => decodeLink(truncated(down, 10)), isParseError('STRUCT_TRUNCATED'));
});

test('address: home address flag survives in IFA_FLAGS and ifa_flags', () => {
  const a = { ifindex: 1, address: ip6('2001:db8::77'), prefixLen: 128, flags: IFA_F_HOMEADDRESS | IFA_F_NODAD, scope: 0 };
  const m = one(encodeAddrNew(a, false));
  assert.equal(m.payload[2], IFA_F_HOMEADDRESS | IFA_F_NODAD);
  assert.deepEqual(decodeAddr(m), a);
});

test('proxy neighbour: NTF_PROXY entry decodes; a plain neighbour is not a proxy', () => {
  const p = { dst: ip6('2001:db8::5'), ifindex: 2, protocol: 16 };
  const m = one(encodeProxyNew(p));
  assert.deepEqual(decodeProxy(m), p);
  const plain = { ...m, payload: Uint8Array.from(m.payload) };
  plain.payload[10] = 0;
  assert.equal(decodeProxy(plain), undefined);
});

test('nexthop: device nexthop and weighted group round-trip; bad group size fails typed', () => {
  const dev = { id: 1, protocol: 16, oif: 5, gateway: ip6('fe80::2'), family: 10 };
  assert.deepEqual(decodeNexthop(one(encodeNexthopNew(dev))), dev);
  const grp = { id: 10, protocol: 16, group: [{ id: 1, weight: 1 }, { id: 2, weight: 256 }], family: 0 };
  const gm = one(encodeNexthopNew(grp));
  assert.deepEqual(decodeNexthop(gm), grp);
  assert.throws(() => encodeNexthopNew({ id: 3, protocol: 0, group: [{ id: 1, weight: 0 }] }), RangeError);
  assert.throws(() => encodeNexthopNew({ id: 3, protocol: 0 }), TypeError);
  // nhmsg and NHA_ID, then an NHA_GROUP of 12 octets: not a whole number of entries.
  const bad = new Uint8Array(16 + 16);
  bad.set(gm.payload.subarray(0, 16));
  new DataView(bad.buffer).setUint16(16, 4 + 12, true);
  new DataView(bad.buffer).setUint16(18, 2, true);
  assert.throws(() => decodeNexthop({ ...gm, payload: bad }), isParseError('ATTR_BAD_SIZE'));
});
