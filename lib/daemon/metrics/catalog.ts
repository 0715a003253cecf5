// Every metric mcoad keeps, declared once: Prometheus name, type, help text, label names,
// which roles have it, and where `mcoactl show stats` shows it. The code increments a
// metric by its catalog id, so an undeclared name is a type error, and every declared
// counter is shown (as 0) from the start: a missing counter and a zero never look alike.
// Names follow the Prometheus conventions: mcoa_ prefix, base units (seconds), _total for
// counters; no label carries a home address or any other per-node value (cardinality).
import type { Role } from '../../config/daemon-config.js';

const ALL: readonly Role[] = ['home-agent', 'mobile-node', 'correspondent'];
const HA: readonly Role[] = ['home-agent'];
const MN: readonly Role[] = ['mobile-node'];
const CN: readonly Role[] = ['correspondent'];
const HA_CN: readonly Role[] = ['home-agent', 'correspondent'];
const HA_MN: readonly Role[] = ['home-agent', 'mobile-node'];

/** Where `show stats` puts a counter: a group, and a key in it ({label} is the label's value). */
export interface ShowAt {
  readonly group: string;
  readonly key: string;
}

export interface CounterSpec {
  readonly type: 'counter';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** Values of the first label known in advance: shown (and exported) as 0 from the start. */
  readonly values?: readonly string[];
  readonly roles: readonly Role[];
  readonly show: ShowAt;
}

export interface HistogramSpec {
  readonly type: 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly [];
  /** Upper bounds, seconds. */
  readonly buckets: readonly number[];
  readonly roles: readonly Role[];
  /** `show stats` shows the observation count and sum under this group and key. */
  readonly show: ShowAt;
}

/** Read when scraped (the binding cache's size, the kernel's XFRM error counters). */
export interface CollectedSpec {
  readonly type: 'gauge' | 'counter';
  readonly collected: true;
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  readonly roles: readonly Role[];
}

const counter = <const L extends readonly string[]>(name: string, help: string, roles: readonly Role[], show: ShowAt, labels: L, values?: readonly string[]) =>
  ({ type: 'counter', name, help, labels, roles, show, ...(values ? { values } : {}) }) as const;

/** Kernel operations take milliseconds in UML and microseconds on a router: 100 µs .. 10 s. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const COUNTERS = {
  received: counter('mcoa_mh_received_total', 'Mobility Header messages received and decoded, by message type', ALL, { group: 'received', key: '{type}' }, ['type']),
  sent: counter('mcoa_mh_sent_total', 'Mobility Header messages sent, by message type (ba: Binding Acknowledgements)', ALL, { group: 'sent', key: '{type}' }, ['type']),
  mh_malformed: counter('mcoa_mh_malformed_total', 'Mobility Header messages that failed to decode', ALL, { group: 'mh', key: 'malformed' }, []),
  mh_send_errors: counter('mcoa_mh_send_errors_total', 'Mobility Header messages the socket refused to send', ALL, { group: 'mh', key: 'send-error' }, []),
  mh_receive_errors: counter('mcoa_mh_receive_errors_total', 'Failed receives on the Mobility Header socket, by reason', ALL, { group: 'mh', key: 'receive-error-{reason}' }, ['reason']),
  mh_unknown_type: counter('mcoa_mh_unknown_type_total', 'Mobility Header messages of a type this node does not know (answered with a Binding Error, status 2)', HA_CN, { group: 'mh', key: 'unknown-type-{mh_type}' }, ['mh_type']),
  mh_hao_unregistered: counter('mcoa_mh_hao_unregistered_coa_total', 'Mobility Header messages with a Home Address option from an unregistered care-of address (draft-04 §6.5, RFC 6275 §9.3.1)', HA_CN, { group: 'mh', key: 'hao-unregistered-coa' }, []),
  mh_test_init_with_hao: counter('mcoa_mh_test_init_with_hao_total', 'HoTI or CoTI carrying a Home Address option, dropped (RFC 6275 §9.4)', CN, { group: 'mh', key: 'test-init-with-hao' }, []),
  home_agent_switch: counter('mcoa_home_agent_switch_total', 'Home Agent Switch messages (RFC 5142) acted on or refused', MN, { group: 'mh', key: 'home-agent-switch-{outcome}' }, ['outcome'], ['accepted', 'refused']),
  mh_ignored: counter('mcoa_mh_ignored_total', 'Mobility Header messages this role does not handle, by message type', CN, { group: 'mh', key: 'ignored-{type}' }, ['type']),
  mh_reverse_tunnel_unavailable: counter('mcoa_mh_reverse_tunnel_unavailable_total', 'Messages that needed the reverse tunnel to the home agent while it was down', MN, { group: 'mh', key: 'reverse-tunnel-unavailable' }, []),
  bu_dropped: counter('mcoa_binding_updates_dropped_total', 'Binding Updates dropped without an acknowledgement, by reason', HA_CN, { group: 'refused', key: '{reason}' }, ['reason']),
  bu_status: counter('mcoa_binding_update_statuses_total', 'Binding Update results per binding (BID), by result and Binding Acknowledgement status', HA_CN, { group: 'status', key: '{status}' }, ['status', 'result']),
  binding_changes: counter('mcoa_binding_changes_total', 'Binding cache changes: added, moved (new care-of address), refreshed, removed', HA_CN, { group: 'bindings', key: '{change}' }, ['change'], ['added', 'moved', 'refreshed', 'removed']),
  bindings_expired: counter('mcoa_bindings_expired_total', 'Bindings removed because their lifetime ran out', HA_CN, { group: 'bindings', key: 'expired' }, []),
  limit_refusals: counter('mcoa_limit_refusals_total', 'Binding Updates refused with status 130 (insufficient resources) because a configured limit was reached, by limit', HA_CN, { group: 'limits', key: '{limit}' }, ['limit'], ['bindings', 'bindings-per-home-address', 'pending-dad', 'held-acks']),
  dhaad: counter('mcoa_dhaad_total', 'Dynamic Home Agent Address Discovery (RFC 6275 §10.5, §11.4.1): RAs from home agents by outcome, Requests and Replies, messages dropped', HA_MN, { group: 'dhaad', key: '{event}' }, ['event'], ['ra-added', 'ra-updated', 'ra-removed', 'ra-ignored', 'expired', 'request', 'reply', 'dropped']),
  dad_started: counter('mcoa_dad_started_total', 'Duplicate address detections started for a new home address (RFC 6275 §10.3.1)', HA, { group: 'dad', key: 'started' }, []),
  dad_results: counter('mcoa_dad_results_total', 'Duplicate address detection outcomes: unique, duplicate (BA status 134), failed (could not run; refused as 134)', HA, { group: 'dad', key: '{outcome}' }, ['outcome'], ['unique', 'duplicate', 'failed']),
  cluster: counter('mcoa_cluster_events_total', 'Cluster mode (etcd): service address taken, dropped or failed to change; a service address an earlier run left on the home link removed at start; records of other nodes applied; BUs decided again after a lost compare-and-swap; writes to etcd that failed', HA, { group: 'cluster', key: '{event}' }, ['event'], ['address-taken', 'address-dropped', 'address-failed', 'leftover-removed', 'records-applied', 'redecided', 'write-failed']),
  nd_unsolicited_na: counter('mcoa_nd_unsolicited_na_total', 'Unsolicited Neighbour Advertisements sent for a newly proxied home address', HA, { group: 'nd', key: 'unsolicited-na' }, []),
  nd_na_errors: counter('mcoa_nd_na_errors_total', 'Unsolicited Neighbour Advertisements that failed to send', HA, { group: 'nd', key: 'na-error' }, []),
  nd_proxy: counter('mcoa_nd_proxy_total', 'Proxy Neighbour Discovery by the daemon (home_agent.proxy_nd: daemon): solicitations answered, DAD probes defended, new addresses announced; solicitations ignored (hop-limit, destination, dad-with-source-link-layer, rate-limited, malformed); send errors', HA, { group: 'nd', key: 'proxy-{outcome}' }, ['outcome'], ['answered', 'defended', 'announced', 'rate-limited', 'send-error']),
  mpd_messages: counter('mcoa_mobile_prefix_messages_total', 'Mobile Prefix Discovery (RFC 6275 §6.7/§6.8): solicitations and advertisements by outcome (sent, received, ignored, malformed, send-error)', HA_MN, { group: 'mpd', key: '{message}-{outcome}' }, ['message', 'outcome']),
  bu_k_bit_coa_change: counter('mcoa_binding_updates_k_bit_coa_change_total', 'Binding Updates with K moving a care-of address whose SAs are not the daemon\'s to move', HA, { group: 'bu', key: 'k-bit-coa-change' }, []),
  ipsec_payload: counter('mcoa_ipsec_payload_sa_changes_total', 'Payload ESP SAs after a care-of address change: migrated (XFRM_MSG_MIGRATE), reinstalled, or migrate-failed', HA_MN, { group: 'ipsec', key: 'payload-{outcome}' }, ['outcome'], ['migrated', 'reinstalled', 'migrate-failed']),
  xfrm_reports: counter('mcoa_xfrm_reports_total', 'XFRM reports of packets with a Home Address option: received, malformed, from a registered care-of address, lost (ENOBUFS)', HA_CN, { group: 'xfrm-report', key: '{outcome}' }, ['outcome'], ['received', 'malformed', 'hao-registered', 'lost']),
  be_hao_unregistered: counter('mcoa_binding_errors_hao_total', 'Binding Errors (status 1) sent for a Home Address option from an unregistered care-of address', HA_CN, { group: 'be', key: 'hao-unregistered' }, []),
  be_rate_limited: counter('mcoa_binding_errors_rate_limited_total', 'Binding Errors not sent because of the RFC 6275 §9.3.1 rate limit', HA_CN, { group: 'be', key: 'rate-limited' }, []),
  home_link_steps: counter('mcoa_home_link_steps_total', 'Mobile node home link steps done (address, routes), by step', MN, { group: 'home-link', key: '{step}' }, ['step']),
  home_link_failures: counter('mcoa_home_link_step_failures_total', 'Mobile node home link steps that failed, by step', MN, { group: 'home-link', key: '{step}-failed' }, ['step']),
  interface_actions: counter('mcoa_interface_actions_total', 'Interface actions the mobile node core asked for, by operation', MN, { group: 'interface-action', key: '{op}' }, ['op']),
  kernel_operations: counter('mcoa_kernel_operations_total', 'Kernel object writes by the reconciler, by object kind and operation (create, update, delete)', ALL, { group: 'kernel-ops', key: '{kind}-{op}' }, ['kind', 'op']),
  kernel_failures: counter('mcoa_kernel_operation_failures_total', 'Failed kernel operations by object kind, operation and errno name', ALL, { group: 'kernel-failures', key: '{kind}-{op}-{errno}' }, ['kind', 'op', 'errno']),
  kernel_resyncs: counter('mcoa_kernel_resyncs_total', 'Full kernel resyncs (dump and compare) by cause: timer, monitor (lost notifications), repair (an owned object deleted), request', ALL, { group: 'resyncs', key: '{cause}' }, ['cause'], ['timer', 'monitor', 'repair', 'request']),
} as const;

export const HISTOGRAMS = {
  reconcile_pass: { type: 'histogram', name: 'mcoa_reconcile_pass_duration_seconds', help: 'Duration of reconciler passes (compare, then kernel writes)', labels: [], buckets: LATENCY_BUCKETS, roles: ALL, show: { group: 'timing', key: 'reconcile-pass' } },
  journal_commit: { type: 'histogram', name: 'mcoa_journal_commit_duration_seconds', help: 'Binding journal commits: one write and fdatasync for a group of records', labels: [], buckets: LATENCY_BUCKETS, roles: HA_CN, show: { group: 'timing', key: 'journal-commit' } },
} as const satisfies Record<string, HistogramSpec>;

export const COLLECTED = {
  bindings: { type: 'gauge', collected: true, name: 'mcoa_bindings', help: 'Bindings in the binding cache (mobile node: Binding Update List entries) by state', labels: ['state'], roles: ALL },
  home_addresses: { type: 'gauge', collected: true, name: 'mcoa_home_addresses', help: 'Home addresses with at least one binding', labels: [], roles: HA_CN },
  journal_backlog: { type: 'gauge', collected: true, name: 'mcoa_journal_backlog', help: 'Binding Updates whose journal commit has not resolved (their BAs wait for it); at limits.max_journal_backlog new ones are dropped', labels: [], roles: HA_CN },
  kernel_pending: { type: 'gauge', collected: true, name: 'mcoa_kernel_pending_objects', help: 'Kernel objects that differ from the desired state and wait for a reconciler pass', labels: [], roles: ALL },
  cluster_active: { type: 'gauge', collected: true, name: 'mcoa_cluster_active_service_addresses', help: 'Cluster mode: service addresses this node is active for (0: standby)', labels: [], roles: HA },
  cluster_lease: { type: 'gauge', collected: true, name: 'mcoa_cluster_lease_remaining_seconds', help: 'Cluster mode: how long this node may still act on its etcd lease (0: none; it does not serve)', labels: [], roles: HA },
  cluster_revision: { type: 'gauge', collected: true, name: 'mcoa_cluster_applied_revision', help: 'Cluster mode: the etcd revision whose changes this node has applied', labels: [], roles: HA },
  xfrm_errors: { type: 'counter', collected: true, name: 'mcoa_xfrm_errors_total', help: 'The kernel\'s XFRM error counters (/proc/net/xfrm_stat) of the daemon\'s namespace, by counter: packets IPsec dropped', labels: ['counter'], roles: HA },
  info: { type: 'gauge', collected: true, name: 'mcoa_info', help: 'Always 1: the daemon\'s version and role', labels: ['version', 'role'], roles: ALL },
} as const satisfies Record<string, CollectedSpec>;

/**
 * Cluster mode only (issue 15): registered by lib/daemon/ha/cluster-metrics.ts when the
 * configuration has a `cluster:` section, absent otherwise. `address` is a configured service
 * address (a handful per cluster, never a home address).
 */
export const CLUSTER_METRICS = {
  elections_won: { type: 'counter', name: 'mcoa_cluster_elections_won_total', help: 'Cluster mode: elections this node won, by service address', labels: ['address'] },
  failovers: { type: 'counter', name: 'mcoa_cluster_failovers_total', help: 'Cluster mode: service addresses this node became active for after another node held them (its lease expired, or it stepped down or resigned)', labels: ['address'] },
  step_downs: {
    type: 'counter', name: 'mcoa_cluster_step_downs_total', labels: ['address', 'reason'], values: ['lease-lost', 'resigned', 'drain', 'stopped'],
    help: 'Cluster mode: times this node stopped serving a service address, by reason: lease-lost (etcd silent for the lease TTL minus the margin, or the lease gone), resigned (preempted by a more preferred member), drain, stopped',
  },
  role: { type: 'gauge', name: 'mcoa_cluster_role', help: 'Cluster mode: 1 while this node is active for the service address, 0 while standby', labels: ['address'] },
  watch_lag: { type: 'gauge', name: 'mcoa_cluster_watch_lag_records', help: 'Cluster mode: binding records changed in etcd after the revision this node has applied (deletions not counted), read at the scrape; NaN while etcd does not answer within a second', labels: [] },
  etcd_reachable: { type: 'gauge', name: 'mcoa_cluster_etcd_reachable', help: 'Cluster mode: 1 when etcd answered this node\'s last round trip (lease keep-alive, write, read), 0 when not', labels: [] },
  store_write: {
    type: 'histogram', name: 'mcoa_cluster_store_write_duration_seconds', labels: ['outcome'], buckets: LATENCY_BUCKETS,
    help: 'Cluster mode: round trip of the compare-and-swap transaction writing a binding record, by outcome: written, conflict (another node wrote first), fenced (no longer the owner), failed (no answer)',
  },
  lease_keepalive: { type: 'histogram', name: 'mcoa_cluster_lease_keepalive_duration_seconds', help: 'Cluster mode: round trip of the lease keep-alives etcd answered', labels: [], buckets: LATENCY_BUCKETS },
} as const;

export type CounterId = keyof typeof COUNTERS;
export type HistogramId = keyof typeof HISTOGRAMS;
export type CollectedId = keyof typeof COLLECTED;

type LabelNames<L> = L extends readonly (infer N extends string)[] ? N : never;
/** The labels a counter takes: none for an unlabelled one, all of them otherwise. */
export type CounterLabels<K extends CounterId> = (typeof COUNTERS)[K]['labels'] extends readonly [] ? undefined : Record<LabelNames<(typeof COUNTERS)[K]['labels']>, string | number>;
export type CollectedLabels<K extends CollectedId> = Record<LabelNames<(typeof COLLECTED)[K]['labels']>, string>;

/** The catalog's counters, typed loosely for the code that walks all of them. */
export const COUNTER_SPECS: Readonly<Record<CounterId, CounterSpec>> = COUNTERS;
export const HISTOGRAM_SPECS: Readonly<Record<HistogramId, HistogramSpec>> = HISTOGRAMS;
export const COLLECTED_SPECS: Readonly<Record<CollectedId, CollectedSpec>> = COLLECTED;
