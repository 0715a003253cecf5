// Kernel support, probed once at start: each probe creates and deletes one scratch object
// of a kind the role will need, in the daemon's namespace, with a name, id or addresses
// nothing else uses (fd00:6d63:6f61::/48, "mcoa" in hex). A kernel without the feature
// refuses the create with a permanent errno (kernel-errors.ts); the problem then names the
// module or the kernel option. A probe object left by a crash is found by the next probe
// (EEXIST on create counts as supported) and deleted.
import { mustIp6 } from '../../inet/ip6.js';
import type { AnyDaemonConfig } from '../../config/index.js';
import type { XfrmAead } from '../../platform/xfrm/state.js';
import { isPermanent, KernelError } from '../../platform/kernel-errors.js';
import { NETLINK_ROUTE, NETLINK_XFRM } from '../../platform/netlink/netlink-constants.js';
import type { NetlinkSocket } from '../../platform/netlink/socket.js';
import { ip6tnlCreate } from '../../platform/rtnl/ip6tnl.js';
import { linkDelete } from '../../platform/rtnl/link.js';
import { nexthopDelete, nexthopReplace } from '../../platform/rtnl/nexthop.js';
import { Errno, SyscallError } from '../../platform/sys/errno.js';
import { stateAdd, stateDelete, type XfrmState } from '../../platform/xfrm/state.js';
import { IPPROTO_DSTOPTS, IPPROTO_ESP, IPPROTO_ROUTING, XFRM_MODE_ROUTEOPTIMIZATION, XFRM_MODE_TRANSPORT } from '../../platform/xfrm/xfrm-constants.js';
import { CAP_NET_ADMIN, capBit, ok, problem, type CheckResult, type PreflightCheck, type PreflightContext } from './preflight.js';

export const PROBE_TUNNEL_NAME = 'mcoa-probe';
const PROBE_LOCAL = mustIp6('fd00:6d63:6f61::1');
const PROBE_REMOTE = mustIp6('fd00:6d63:6f61::2');
const PROBE_COA = mustIp6('fd00:6d63:6f61::3');
/** An SPI no configuration uses for the scratch ESP state (the top of the range). */
const PROBE_SPI = 0xfffffff0;

interface KernelProbe {
  readonly name: string;
  readonly protocol: number;
  applies(cfg: AnyDaemonConfig): boolean;
  /** Creates and deletes the scratch object(s). */
  probe(sock: NetlinkSocket, cfg: AnyDaemonConfig): Promise<void>;
  /** The problem for a permanent errno: what is missing and how to get it. */
  missing(code: string, err: KernelError | SyscallError): string;
}

/** Creates, then deletes (also after a create that found a leftover probe). */
async function createDelete(create: () => Promise<void>, remove: () => Promise<void>): Promise<void> {
  try {
    await create();
  } catch (err) {
    if (!(err instanceof KernelError && err.errno === Errno.EEXIST)) throw err;
  }
  await remove();
}

const ip6tnl: KernelProbe = {
  name: 'ip6tnl tunnels',
  protocol: NETLINK_ROUTE,
  applies: (cfg) => cfg.role === 'home-agent' || cfg.role === 'mobile-node',
  // ip -6 tunnel add mcoa-probe mode ip6ip6 local L remote R; ip link del mcoa-probe
  probe: (sock) =>
    createDelete(
      () => ip6tnlCreate(sock, { name: PROBE_TUNNEL_NAME, local: PROBE_LOCAL, remote: PROBE_REMOTE }),
      () => linkDelete(sock, { name: PROBE_TUNNEL_NAME }),
    ),
  missing: () => 'the kernel has no ip6ip6 tunnels (link kind ip6tnl): modprobe ip6_tunnel, or build it with CONFIG_IPV6_TUNNEL',
};

/** The route optimisation header the role's states carry: the home agent's hao, route2 for the others. */
function roState(cfg: AnyDaemonConfig): XfrmState {
  const proto = cfg.role === 'home-agent' ? IPPROTO_DSTOPTS : IPPROTO_ROUTING;
  return { src: PROBE_LOCAL, dst: PROBE_REMOTE, proto, spi: 0, mode: XFRM_MODE_ROUTEOPTIMIZATION, reqid: 0, coaddr: PROBE_COA };
}

const mip6: KernelProbe = {
  name: 'Mobile IPv6 XFRM states',
  protocol: NETLINK_XFRM,
  applies: () => true,
  // ip xfrm state add src L dst R proto route2|hao spi 0 mode ro coa C; ip xfrm state del ...
  probe(sock, cfg) {
    const s = roState(cfg);
    return createDelete(
      () => stateAdd(sock, s),
      () => stateDelete(sock, { src: s.src, dst: s.dst, spi: s.spi, proto: s.proto }),
    );
  },
  missing: () => 'the kernel has no Mobile IPv6 XFRM types (proto route2/hao, mode ro): modprobe mip6, or build it with CONFIG_IPV6_MIP6',
};

/** Every AEAD the configuration uses for ESP, by name (key length and ICV as configured; the key is zeros). */
function aeads(cfg: AnyDaemonConfig): XfrmAead[] {
  const all: XfrmAead[] = [];
  if (cfg.role === 'home-agent') {
    for (const sas of Object.values(cfg.ipsecSas)) all.push(sas.aead, ...(sas.payload ? [sas.payload.aead] : []));
  } else if (cfg.role === 'mobile-node' && cfg.mobileNode.ipsec) {
    const sas = cfg.mobileNode.ipsec;
    all.push(sas.aead, ...(sas.payload ? [sas.payload.aead] : []));
  }
  const byName = new Map<string, XfrmAead>();
  for (const a of all) byName.set(`${a.name}/${a.key.length}/${a.icvBits}`, { name: a.name, key: new Uint8Array(a.key.length), icvBits: a.icvBits });
  return [...byName.values()];
}

const esp: KernelProbe = {
  name: 'ESP with the configured AEAD',
  protocol: NETLINK_XFRM,
  applies: (cfg) => aeads(cfg).length > 0,
  // ip xfrm state add src L dst R proto esp spi S mode transport aead NAME 0x00.. ICV; ip xfrm state del ...
  async probe(sock, cfg) {
    for (const aead of aeads(cfg)) {
      const s: XfrmState = { src: PROBE_LOCAL, dst: PROBE_REMOTE, proto: IPPROTO_ESP, spi: PROBE_SPI, mode: XFRM_MODE_TRANSPORT, reqid: 0, aead };
      try {
        await createDelete(
          () => stateAdd(sock, s),
          () => stateDelete(sock, { src: s.src, dst: s.dst, spi: s.spi, proto: s.proto }),
        );
      } catch (err) {
        // ENOSYS: the crypto API has no such algorithm; name it.
        if (err instanceof KernelError && err.errno === Errno.ENOSYS) throw new AeadMissing(aead.name, err);
        throw err;
      }
    }
  },
  missing(code, err) {
    if (err instanceof AeadMissing) {
      return `the kernel crypto API has no ${err.aead} (ipsec aead): load its modules (modprobe gcm; modprobe aes), or build with CONFIG_CRYPTO_GCM / CONFIG_CRYPTO_CHACHA20POLY1305`;
    }
    return `the kernel has no ESP for IPv6 (${code}): modprobe esp6, or build it with CONFIG_INET6_ESP (and CONFIG_XFRM_USER)`;
  },
};

class AeadMissing extends KernelError {
  constructor(
    readonly aead: string,
    cause: KernelError,
  ) {
    super(cause.errno, cause.op, cause.extack, cause.extackOffset);
  }
}

const nexthop: KernelProbe = {
  name: 'nexthop objects',
  protocol: NETLINK_ROUTE,
  applies: (cfg) => cfg.role === 'home-agent' || cfg.role === 'mobile-node',
  // ip nexthop replace id N blackhole proto P; ip nexthop del id N (the last id of mcoad's band)
  probe(sock, cfg) {
    const id = cfg.marks.nexthopIdBase + cfg.marks.nexthopIdCount - 1;
    return createDelete(
      () => nexthopReplace(sock, { id, protocol: cfg.marks.protocol, blackhole: true }),
      () => nexthopDelete(sock, id),
    );
  },
  missing: () => 'the kernel has no nexthop objects (RTM_NEWNEXTHOP): mcoad needs Linux 5.3 or later',
};

const PROBES: readonly KernelProbe[] = [ip6tnl, mip6, esp, nexthop];

/** A socket the kernel would not open says which netlink family is missing. */
function socketMissing(protocol: number, err: SyscallError): string {
  return protocol === NETLINK_XFRM
    ? `the kernel has no XFRM netlink (socket: ${err.code}): modprobe xfrm_user, or build it with CONFIG_XFRM_USER`
    : `cannot open a netlink socket (${err.code})`;
}

async function runProbe(p: KernelProbe, ctx: PreflightContext): Promise<CheckResult> {
  const { cfg, host } = ctx;
  let sock: NetlinkSocket;
  try {
    sock = host.netlink({ protocol: p.protocol, ...(cfg.netns === null ? {} : { netns: cfg.netns }) });
  } catch (err) {
    if (err instanceof SyscallError && isPermanent(err)) return problem(socketMissing(p.protocol, err));
    throw err;
  }
  try {
    await p.probe(sock, cfg);
    return ok();
  } catch (err) {
    if ((err instanceof KernelError || err instanceof SyscallError) && isPermanent(err)) return problem(p.missing(err.code, err));
    const text = err instanceof Error ? err.message : String(err);
    return problem(`probing kernel support for ${p.name} failed: ${text}`);
  } finally {
    sock.close();
  }
}

/** One preflight check per probe; they need CAP_NET_ADMIN and change the kernel, so --check-config skips them. */
export const KERNEL_CHECKS: readonly PreflightCheck[] = PROBES.map((p) => ({
  name: `kernel support: ${p.name}`,
  offline: 'skip',
  needs: capBit(CAP_NET_ADMIN),
  applies: (cfg) => p.applies(cfg),
  run: (ctx) => runProbe(p, ctx),
}));
