// mcoad's control socket: protocol types, server, client.
export * from './protocol.js';
export { ControlServer, ControlError, type Handler, type ListenOptions, type ControlServerOptions } from './server.js';
export { ConnectionLostError, ControlClient, ControlRequestError, DaemonUnreachableError } from './client.js';
export { SocketInUseError } from './socket-file.js';
export { GroupLookupError, resolveGroup } from './group.js';
export { bindingView, monitorEvent } from './views.js';
