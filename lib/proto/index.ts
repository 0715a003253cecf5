// The protocol core's public surface (home agent and correspondent node roles).
export * from '../inet/prefix.js';
export * from './common/binding.js';
export * from './common/cache.js';
export * from './common/core-config.js';
export * from './cn/correspondent.js';
export * from './ha/home-agent.js';
export * from './cn/nonce.js';
export * from './common/outcome.js';
export * from './ha/refresh.js';
export * from './common/rr-crypto.js';
export { answerCoti, answerHoti, type ReceivedTestInit } from './cn/rr-exchange.js';
export { sequenceNewer } from './common/sequence.js';
export { grantLifetime } from './ha/register.js';
export { checkBidSubOptions, incompliantBu } from './common/mcoa-checks.js';
