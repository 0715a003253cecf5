// Crash-safe binding store: fsync'd journal with group commit, and snapshots.
export { BindingStore, type StoreOptions, type StoreStats } from './binding-store.js';
export { StoreError } from './line-format.js';
export type { LoadedState } from './live-state.js';
export * from './records.js';
export { recordsForEvents, restoreInto } from './core-bridge.js';
