// mcoad's configuration file: YAML, checked completely at start. Every problem is reported
// at once with file:line:column and key path; unknown keys are errors, so a typo never
// silently leaves a default in place. After this module's own checks, the protocol core's
// compileHomeAgentConfig runs too, and its complaint is placed on the key it is about.
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { LineCounter, parseDocument, type Node } from 'yaml';
import type { Ip6 } from '../inet/ip6.js';
import { compileHomeAgentConfig, type HomeAgentConfig } from '../proto/common/core-config.js';
import type { WireProfile } from '../wire/profile.js';
import { ConfigFileError } from './problems.js';
import { ConfigReader, type Field } from './reader.js';
import { readHomeAgent, type SharedSettings } from './home-agent-section.js';
import { MN_IPSEC_OFF_WARNING, readMobileNode, type MobileNodeDaemonConfig } from './mobile-node-section.js';
import { readCorrespondent, type CorrespondentDaemonConfig } from './correspondent-section.js';
import { absolutePath, readControl, readKernel, readProfile } from './daemon-sections.js';
import { readCorrespondentLimits, readLimits, readMetrics } from './metrics-limits-sections.js';
import { readCluster } from './cluster-section.js';
import {
  DEFAULT_HOME_AGENT_DATAPLANE,
  DEFAULT_LOG_LEVEL,
  DEFAULT_MARKS,
  DEFAULT_RESYNC_INTERVAL_SECONDS,
  DEFAULT_STATE_DIRECTORY,
  IPSEC_OFF_WARNING,
  LOG_LEVELS,
  ROLES,
  type DaemonConfig,
  type HoaIpsecSas,
  type IkeSignalling,
} from './daemon-config.js';

const TOP_KEYS = ['role', 'home_agent', 'mobile_node', 'correspondent', 'ipsec', 'wire_profile', 'kernel', 'state_directory', 'control', 'log_level', 'netns', 'metrics', 'limits', 'cluster'] as const;

/** The file's text; a file that cannot be read is one problem at 1:1. */
async function readConfigText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigFileError([{ file: path, line: 1, col: 1, path: '', message: `cannot read: ${err.code ?? err.message}` }]);
  }
}

export async function loadConfigFile(path: string): Promise<DaemonConfig> {
  const text = await readConfigText(path);
  return { ...parseConfig(text, basename(path)), path: resolve(path) };
}

/** A configuration of any role mcoad runs (the home agent's reload keeps to parseConfig). */
export type AnyDaemonConfig = DaemonConfig | MobileNodeDaemonConfig | CorrespondentDaemonConfig;

/** loadConfigFile for any role mcoad runs. */
export async function loadAnyConfigFile(path: string): Promise<AnyDaemonConfig> {
  const text = await readConfigText(path);
  return { ...parseAnyConfig(text, basename(path)), path: resolve(path) };
}

/** Parses and checks a home agent configuration; throws ConfigFileError listing every problem. */
export function parseConfig(text: string, fileName: string): DaemonConfig {
  return parseRoles(text, fileName, ['home-agent']) as DaemonConfig;
}

/** parseConfig for any role mcoad runs (home-agent, mobile-node, correspondent). */
export function parseAnyConfig(text: string, fileName: string): AnyDaemonConfig {
  return parseRoles(text, fileName, ['home-agent', 'mobile-node', 'correspondent']);
}

/**
 * The keys of every section `text` reaches, by key path (ConfigReader.schema): what the
 * readers accept, for tests that must cover every key. Problems in the text are ignored.
 */
export function configSchema(text: string): Map<string, readonly string[]> {
  const schema = new Map<string, readonly string[]>();
  try {
    parseRoles(text, 'schema.yaml', ROLES, schema);
  } catch (e) {
    if (!(e instanceof ConfigFileError)) throw e;
  }
  return schema;
}

function parseRoles(text: string, fileName: string, roles: readonly string[], schema: Map<string, readonly string[]> | null = null): AnyDaemonConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new ConfigReader(fileName, lines, doc);
  r.schema = schema;
  for (const e of doc.errors) r.report(e.pos[0], '', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  if (doc.errors.length) throw new ConfigFileError(r.problems);
  const root = doc.contents as Node | null;
  if (!root) {
    r.report(0, '', 'the file is empty; it needs at least role and home_agent');
    throw new ConfigFileError(r.problems);
  }
  const s = r.section({ node: root, path: '' }, TOP_KEYS, ['role']);
  if (!s) throw new ConfigFileError(r.problems);
  const raw: unknown = doc.toJS();

  const roleField = s.get('role');
  const role = roleField && r.oneOf(roleField, ROLES);
  if (roleField && role !== undefined && !roles.includes(role)) {
    r.report(roleField.node, roleField.path, `mcoad runs only the ${roles.join(' and ')} role${roles.length > 1 ? 's' : ''} here, not ${role}`);
  }
  const ipsec = s.get('ipsec');
  const ipsecSection = ipsec && r.section(ipsec, ['required']);
  const requiredField = ipsecSection?.get('required');
  const ipsecRequired = (requiredField && r.boolean(requiredField)) ?? true;
  const profileField = s.get('wire_profile');
  const profile: WireProfile | undefined = profileField && readProfile(r, profileField);
  const kernelField = s.get('kernel');
  const kernel = kernelField && readKernel(r, kernelField);
  const stateField = s.get('state_directory');
  const stateDirectory = (stateField && absolutePath(r, stateField)) ?? DEFAULT_STATE_DIRECTORY;
  const control = readControl(r, s.get('control'));
  const levelField = s.get('log_level');
  const logLevel = (levelField && r.oneOf(levelField, LOG_LEVELS)) ?? DEFAULT_LOG_LEVEL;
  const netnsField = s.get('netns');
  const netns = (netnsField && netnsName(r, netnsField)) ?? null;
  const metrics = readMetrics(r, s.get('metrics'));
  const limitsField = s.get('limits');
  if (limitsField && role === 'mobile-node') r.report(limitsField.node, limitsField.path, 'only for roles home-agent and correspondent');
  const clusterField = s.get('cluster');
  if (clusterField && role !== 'home-agent') r.report(clusterField.node, clusterField.path, 'only for role home-agent');

  if (role === 'mobile-node' && roles.includes(role)) {
    const mnField = s.get('mobile_node');
    if (!mnField) r.report(root, '', 'missing required key mobile_node (role is mobile-node)');
    const haKey = s.get('home_agent');
    if (haKey) r.report(haKey.node, haKey.path, 'only for role home-agent');
    const cnOnly = s.get('correspondent');
    if (cnOnly) r.report(cnOnly.node, cnOnly.path, 'only for role correspondent');
    const mobileNode = mnField && readMobileNode(r, mnField, { ipsecRequired, ipsecField: requiredField, profile });
    if (r.problems.length > 0 || !mobileNode || !control || !metrics) throw new ConfigFileError(r.problems);
    const marks = kernel?.marks ?? { ...DEFAULT_MARKS };
    const resyncIntervalSeconds = kernel?.resyncIntervalSeconds ?? DEFAULT_RESYNC_INTERVAL_SECONDS;
    return { role: 'mobile-node', file: fileName, raw, mobileNode, stateDirectory, control, logLevel, netns, metrics, marks, resyncIntervalSeconds, warnings: mobileNode.ipsecRequired ? [] : [MN_IPSEC_OFF_WARNING] };
  }
  if (role === 'correspondent' && roles.includes(role)) {
    const cnField = s.get('correspondent');
    if (!cnField) r.report(root, '', 'missing required key correspondent (role is correspondent)');
    for (const k of ['home_agent', 'mobile_node'] as const) {
      const other = s.get(k);
      if (other) r.report(other.node, other.path, `only for role ${k.replace('_', '-')}`);
    }
    const read = cnField && readCorrespondent(r, cnField, profile);
    const limits = readCorrespondentLimits(r, limitsField);
    const correspondent = read && limits ? { ...read, core: { ...read.core, limits } } : undefined;
    if (r.problems.length > 0 || !correspondent || !control || !metrics) throw new ConfigFileError(r.problems);
    const marks = kernel?.marks ?? { ...DEFAULT_MARKS };
    const resyncIntervalSeconds = kernel?.resyncIntervalSeconds ?? DEFAULT_RESYNC_INTERVAL_SECONDS;
    return { role: 'correspondent', file: fileName, raw, correspondent, stateDirectory, control, logLevel, netns, metrics, marks, resyncIntervalSeconds, warnings: [] };
  }
  const cnKey = s.get('correspondent');
  if (cnKey) r.report(cnKey.node, cnKey.path, 'only for role correspondent');
  const mnKey = s.get('mobile_node');
  if (mnKey) r.report(mnKey.node, mnKey.path, 'only for role mobile-node');
  const haField = s.get('home_agent');
  if (!haField && role === 'home-agent') r.report(root, '', 'missing required key home_agent (role is home-agent)');
  const ipsecSas = new Map<Ip6, HoaIpsecSas>();
  const ikeSignalling = new Map<Ip6, IkeSignalling>();
  const settings: SharedSettings = { ipsecRequired, profile, ipsecSas, ikeSignalling };
  const readHa = haField && readHomeAgent(r, haField, settings);
  const limits = readLimits(r, limitsField);
  const homeAgent = readHa && limits ? { ...readHa, limits } : undefined;
  const cluster = readCluster(r, clusterField);
  // Shares (docs/cluster.md): several service addresses, each its own election; the home agent
  // address is one of them (records written before shares, DHAAD, prefix advertisements, static SAs).
  if (cluster && homeAgent && clusterField && !cluster.serviceAddresses.some((s) => s.address === homeAgent.homeAgentAddress)) {
    const listed = cluster.serviceAddresses.map((s) => s.address).join(', ');
    r.report(
      clusterField.node,
      `${clusterField.path}.service_addresses`,
      `must include the home agent address ${homeAgent.homeAgentAddress} (home_agent.address: the address of records written without one, of DHAAD replies and prefix advertisements); listed: ${listed}`,
    );
  }
  if (homeAgent && haField && r.problems.length === 0) coreCheck(r, homeAgent, haField);
  if (r.problems.length > 0 || !homeAgent || !control || !metrics || cluster === undefined) throw new ConfigFileError(r.problems);

  return {
    role: 'home-agent',
    file: fileName,
    raw,
    homeAgent,
    ipsecSas: Object.fromEntries(ipsecSas),
    ikeSignalling: Object.fromEntries(ikeSignalling),
    dataplane: settings.dataplane ?? DEFAULT_HOME_AGENT_DATAPLANE,
    ...(settings.proxyNd ? { proxyNd: settings.proxyNd } : {}),
    dhaad: settings.dhaad ?? null,
    ...(settings.prefixDiscovery ? { prefixDiscovery: settings.prefixDiscovery } : {}),
    ...(cluster ? { cluster } : {}),
    stateDirectory,
    control,
    logLevel,
    netns,
    metrics,
    marks: kernel?.marks ?? { ...DEFAULT_MARKS },
    resyncIntervalSeconds: kernel?.resyncIntervalSeconds ?? DEFAULT_RESYNC_INTERVAL_SECONDS,
    warnings: ipsecRequired ? [] : [IPSEC_OFF_WARNING],
  };
}

/** `ip netns` names are file names under /run/netns. */
function netnsName(r: ConfigReader, f: Field): string | undefined {
  const v = r.string(f);
  if (v === undefined) return undefined;
  if (v.includes('/') || v === '.' || v === '..' || Buffer.byteLength(v) > 255) {
    r.report(f.node, f.path, `not a network namespace name: ${JSON.stringify(v)}`);
    return undefined;
  }
  return v;
}

/** The core's field names in its ConfigError messages, and the YAML key each comes from. */
const CORE_FIELDS: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [/^homeAgentAddress\b/, () => 'address'],
  [/^servedPrefixes\b/, () => 'served_prefixes'],
  [/^maxLifetimeSeconds\b/, () => 'max_lifetime'],
  [/^homeBindingLifetimeSeconds\b/, () => 'home_binding_lifetime'],
  [/^brrPolicy\b/, () => 'binding_refresh_request'],
  [/^homeLinkInterface\b/, () => 'interface'],
  [/^authorisation default\b/, () => 'authorisation.default'],
  [/^authorisation (\S+?):? /, (m) => `authorisation.home_addresses[${m[1]}]`],
  [/^authorisation\b/, () => 'authorisation'],
];

/** Home agent key path (below home_agent) that a core ConfigError message is about. */
export function coreErrorKey(message: string): string | undefined {
  const text = message.replace(/^config: /, '');
  for (const [re, key] of CORE_FIELDS) {
    const m = re.exec(text);
    if (m) return key(m);
  }
  return undefined;
}

function coreCheck(r: ConfigReader, c: HomeAgentConfig, section: Field): void {
  try {
    compileHomeAgentConfig(c);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const key = coreErrorKey(message);
    const at = (key && r.visited.get(`${section.path}.${key}`)) || section;
    r.report(at.node, at.path, message.replace(/^config: /, ''));
  }
}
