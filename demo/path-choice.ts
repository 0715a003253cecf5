// Where `npm run demo` runs: in network namespaces on this machine's kernel when it has
// what the demo needs (probed in a scratch namespace, kernel-probe.ts), otherwise in
// user-mode Linux, whose kernel has it all. Pure: the launcher (launch.ts) gathers the
// inputs and carries out the choice.

/** What probing this kernel found; `ran: false` when it could not probe at all. */
export type ProbeOutcome =
  | { readonly ran: false; readonly why: string }
  /** `tried`: what was probed, by name; `missing`: each piece the kernel refused, with the fix. */
  | { readonly ran: true; readonly tried: readonly string[]; readonly missing: readonly string[] };

export type ForcedPath = 'uml' | 'direct';

export interface PathInputs {
  readonly uid: number;
  /** MCOA_IN_UML=1: this process runs inside the harness's user-mode Linux. */
  readonly inUml: boolean;
  /** --uml or --direct. */
  readonly forced?: ForcedPath;
  /** Undefined when not probed (see wantsProbe). */
  readonly probe?: ProbeOutcome;
}

export type PathChoice =
  | { readonly path: 'direct' | 'uml'; readonly why: string }
  /** Neither path can run; `why` says what to do. */
  | { readonly path: 'refuse'; readonly why: string };

/** Probing creates a namespace, so it needs root; with --uml it would change nothing. */
export function wantsProbe(uid: number, forced: ForcedPath | undefined): boolean {
  return uid === 0 && forced !== 'uml';
}

/** What the direct path found lacking, as one clause. */
function lacking(probe: ProbeOutcome | undefined): string | undefined {
  if (probe === undefined) return 'the kernel was not probed';
  if (!probe.ran) return `the kernel could not be probed (${probe.why})`;
  return probe.missing.length > 0 ? `this kernel lacks what the demo needs: ${probe.missing.join('; ')}` : undefined;
}

export function choosePath(i: PathInputs): PathChoice {
  if (i.forced === 'uml') {
    return i.inUml
      ? { path: 'refuse', why: '--uml inside user-mode Linux: the harness cannot boot user-mode Linux within itself' }
      : { path: 'uml', why: 'forced with --uml' };
  }
  // Inside UML there is no other kernel to fall back to: the direct path or nothing.
  const mustBeDirect = i.forced === 'direct' || i.inUml;
  const how = i.forced === 'direct' ? '--direct' : 'inside user-mode Linux the demo runs only directly, which';
  if (i.uid !== 0) {
    return mustBeDirect
      ? { path: 'refuse', why: `${how} needs root (it creates network namespaces and starts mcoad in them)` }
      : { path: 'uml', why: 'not root, so this kernel cannot be probed in a scratch namespace; user-mode Linux has everything the demo needs' };
  }
  const lack = lacking(i.probe);
  if (lack !== undefined) {
    return mustBeDirect
      ? { path: 'refuse', why: `${i.forced === 'direct' ? '--direct' : 'inside user-mode Linux'}, but ${lack}` }
      : { path: 'uml', why: `${lack}; user-mode Linux has it` };
  }
  const tried = i.probe?.ran ? i.probe.tried : [];
  const found = `this kernel has ${tried.join(', ')} (probed in a scratch namespace)`;
  if (i.forced === 'direct') return { path: 'direct', why: `forced with --direct; ${found}` };
  return { path: 'direct', why: i.inUml ? `inside user-mode Linux; ${found}` : found };
}

/** The launcher's one line about the path it took. */
export function choiceLine(c: PathChoice): string {
  const where = { direct: 'running directly in network namespaces on this kernel', uml: 'running in user-mode Linux', refuse: 'cannot run' }[c.path];
  return `demo: ${where}: ${c.why}`;
}
