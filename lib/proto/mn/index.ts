// Mobile node side of MCoA: the pure protocol core and its helpers.
export { MobileNodeCore, type PeerView } from './mobile-node.js';
export { BidAllocator, MIN_BID, MAX_BID } from './bids.js';
export { sealBindingUpdate, verifyBindingAck } from './auth.js';
export * from './timing.js';
export type * from './types.js';
export { flowOptions, type MnFlow, type MnFlowTarget } from './flows.js';
