// The protocol core's public surface (home agent and correspondent node roles).
export * from './addr.js';
export * from './binding.js';
export * from './cache.js';
export * from './config.js';
export * from './correspondent.js';
export * from './desired.js';
export * from './home-agent.js';
export * from './nonce.js';
export * from './outcome.js';
export * from './refresh.js';
export * from './rr.js';
export { answerCoti, answerHoti, type ReceivedTestInit } from './rr-exchange.js';
export { sequenceNewer } from './sequence.js';
export { grantLifetime } from './ha-register.js';
export { checkBidSubOptions, incompliantBu } from './mcoa-checks.js';
