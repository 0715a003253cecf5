// Signalling sockets: the Mobility Header raw socket and the Neighbor Discovery socket.
export { MhSocket, type MhChecksumMode, type MhReceived, type MhReceiveError, type MhSendRequest, type MhSocketOptions, type MhSocketStats } from './mh-socket.js';
export { NdSocket, type DadResult, type NdObserved, type NdReceiveError, type NdSocketOptions, type NdSocketStats } from './nd-socket.js';
export * from './ancillary.js';
export * from './nd-codec.js';
