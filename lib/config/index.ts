// mcoad's configuration file loader.
export * from './daemon-config.js';
export { ConfigFileError, formatProblem, type ConfigProblem } from './problems.js';
export { configSchema, coreErrorKey, loadAnyConfigFile, loadConfigFile, parseAnyConfig, parseConfig, type AnyDaemonConfig } from './parse.js';
export { MN_IPSEC_OFF_WARNING, type MobileNodeDaemonConfig, type MobileNodeSettings } from './mobile-node-section.js';
export { readCorrespondent, type CorrespondentDaemonConfig, type CorrespondentSettings } from './correspondent-section.js';
