// What mcoad reads from its configuration file, after validation: the protocol core's own
// configuration plus the daemon's surroundings (kernel marks, state directory, control
// socket, logging, network namespace).
import type { HomeAgentDhaadConfig } from './dhaad-section.js';
import type { Ip6 } from '../inet/ip6.js';
import type { HomeAgentConfig } from '../proto/common/core-config.js';
import type { PrefixDiscoveryConfig } from '../proto/ha/prefix-advert.js';
import { DEFAULT_MARKS, type OwnershipMarks } from '../reconcile/marks.js';
import type { MetricsConfig } from './metrics-limits-sections.js';
import type { ClusterConfig } from './cluster-section.js';

export const ROLES = ['home-agent', 'mobile-node', 'correspondent'] as const;
export type Role = (typeof ROLES)[number];

/** pino's level names. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ControlSocketConfig {
  path: string;
  /** Group that may use the socket: a name (looked up at start) or a numeric gid. */
  group: string | number | null;
  /** Permission bits of the socket file. */
  mode: number;
}

/** Settings every role shares. */
export interface DaemonCommon {
  /** The file's name, for messages. */
  file: string;
  /** Its absolute path, set by the file loaders: a reload reads it again from there, whatever the working directory. */
  path?: string;
  /** The file as plain data, for reload's key-by-key comparison (it holds keys: never log it). */
  raw?: unknown;
  stateDirectory: string;
  control: ControlSocketConfig;
  logLevel: LogLevel;
  /** Named network namespace (/run/netns/NAME) the daemon's sockets live in; null: its own. */
  netns: string | null;
  /** The Prometheus endpoint, off unless configured. */
  metrics: MetricsConfig;
  /** How the kernel objects the daemon owns are marked. */
  marks: OwnershipMarks;
  /** Full kernel resync period, seconds. */
  resyncIntervalSeconds: number;
  /** Settings the daemon must log at start (insecure lab settings and the like). */
  warnings: string[];
}

/**
 * Static ESP security associations of one home address (RFC 3776 §4): the mobile node's
 * Binding Updates arrive on `spiIn`, the home agent's Acknowledgements leave on `spiOut`.
 */
/** `ipsec: { sas: ike, reqid: R }`: the policies reference R; the IKE daemon installs SAs with R. */
export interface IkeSignalling {
  reqid: number;
}

export interface HoaIpsecSas {
  spiIn: number;
  spiOut: number;
  /** XFRM reqid linking policies and SAs; chosen by the daemon when not given. */
  reqid?: number;
  /** Kernel crypto name; `key` is cipher key + salt (a secret: never logged). */
  aead: { name: string; key: Uint8Array; icvBits: number };
  /** Optional ESP protection of the payload tunnelled to and from the node's care-of addresses. */
  payload?: PayloadIpsecSas;
  /**
   * `replay_window`: anti-replay window (packets, 1..32) of this end's inbound SAs; absent,
   * none. Only safe where the peer's output sequence numbers never restart (cluster mode's
   * high-water marks, docs/cluster.md), since manually keyed SAs restart them with either end.
   */
  replayWindow?: number;
}

/**
 * Static ESP SAs protecting one home address's tunnelled payload (MCoA §8.3.2, RFC 4877
 * §4.2): tunnelled packets from any of its care-of addresses arrive on `spiIn`; each
 * binding's care-of address gets its own outbound SA with `spiOut`. Same reqid as the
 * signalling SAs of the home address.
 */
export interface PayloadIpsecSas {
  spiIn: number;
  spiOut: number;
  aead: HoaIpsecSas['aead'];
  /** The `ipsec.replay_window` of the home address, for the inbound payload SA(s). */
  replayWindow?: number;
}

export interface HomeAgentDaemonConfig extends DaemonCommon {
  role: 'home-agent';
  homeAgent: HomeAgentConfig;
  /** Per home address: the SAs protecting its signalling, when configured. */
  ipsecSas: Readonly<Record<Ip6, HoaIpsecSas>>;
  /** Per home address whose signalling SAs an IKE daemon installs: mcoad installs only the policies. */
  ikeSignalling: Readonly<Record<Ip6, IkeSignalling>>;
  /** `home_agent.dataplane`: one shared external device with encap nexthops and pair
      filters (the default, issue 13), or an ip6tnl device per care-of address. */
  dataplane: 'per-binding' | 'shared';
  /** `home_agent.proxy_nd`: who answers Neighbour Solicitations for home addresses on the
      home link: kernel proxy entries, the daemon (daemon/ha/proxy-nd.ts), or none (virtual home link). */
  proxyNd?: 'kernel' | 'daemon' | 'none';
  /** `home_agent.dhaad`: answer DHAAD Requests (RFC 6275 §10.5); null: not configured. */
  dhaad: HomeAgentDhaadConfig | null;
  /** `home_agent.prefix_discovery`: advertised prefix lifetimes; absent, RFC 4861's defaults. */
  prefixDiscovery?: PrefixDiscoveryConfig;
  /** `cluster:`: share the binding cache through etcd (issue 15); absent, the home agent runs alone. */
  cluster?: ClusterConfig;
}

/** One variant per role mcoad runs; mobile-node and correspondent join when it runs them. */
export type DaemonConfig = HomeAgentDaemonConfig;

export const DEFAULT_STATE_DIRECTORY = '/var/lib/mcoad';
export const DEFAULT_CONTROL_SOCKET = '/run/mcoad/mcoad.sock';
export const DEFAULT_CONTROL_MODE = 0o660;
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_RESYNC_INTERVAL_SECONDS = 300;
/** The home agent's data plane when `home_agent.dataplane` is absent: one shared device scales flat (issue 13). */
export const DEFAULT_HOME_AGENT_DATAPLANE: HomeAgentDaemonConfig['dataplane'] = 'shared';
export { DEFAULT_MARKS };
export { DEFAULT_XFRM_BANDS } from '../reconcile/drivers/xfrm.js';

export const IPSEC_OFF_WARNING =
  'IPsec protection of Binding Updates is OFF (ipsec.required: false): anyone who can send a packet ' +
  'to the home agent can register any authorised home address; use this in a lab only';
