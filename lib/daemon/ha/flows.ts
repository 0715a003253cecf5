// The home agent daemon's side of RFC 6089 flow bindings: journal records for the home
// addresses whose flow list changed, restoring them with the bindings at start, and
// `show flows`. The rules are the core's (proto/ha/flow-bindings.ts).
import type { ControlServer } from '../../control/server.js';
import { flowView, type FlowView } from '../../control/flow-view.js';
import type { HomeAgent } from '../../proto/ha/home-agent.js';
import { bindingFromStored, type LoadedState, type StoreRecord } from '../../store/index.js';
import { flowFromStored, flowsRecord } from '../../store/flow-records.js';
import { hoaArg } from '../service/control-commands.js';

/** One `flows` record per home address whose list changed since the last call. */
export function flowRecords(ha: HomeAgent): StoreRecord[] {
  return ha.flows.takeChanged().map((hoa) => flowsRecord(hoa, ha.flows.list(hoa)));
}

/** The journal's bindings, then its flows (their activity from the bindings kept); returns the bindings kept. */
export function restoreWithFlows(ha: HomeAgent, loaded: LoadedState, nowMs: number, wallOffsetMs: number): number {
  const n = ha.restore(loaded.bindings.map((s) => bindingFromStored(s, wallOffsetMs)), loaded.sequences, nowMs);
  const flows = [...loaded.flows].filter(([hoa]) => ha.cache.record(hoa)).flatMap(([hoa, list]) => list.map((s) => flowFromStored(hoa, s)));
  ha.flows.restore(flows, (hoa) => ha.registeredBids(hoa));
  // Restored as journalled: nothing to write back.
  ha.flows.takeChanged();
  return n;
}

export function registerFlowCommands(server: ControlServer, core: () => HomeAgent): void {
  server.register('show-flows', (args): FlowView[] => {
    const only = args['hoa'] === undefined ? undefined : hoaArg(args['hoa']);
    return core().flows.list(only).map(flowView);
  });
}
