// mcoad's configuration file loader.
export * from './daemon-config.js';
export { ConfigFileError, formatProblem, type ConfigProblem } from './problems.js';
export { coreErrorKey, loadConfigFile, parseConfig } from './parse.js';
