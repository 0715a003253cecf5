// Problems found in a configuration file, each with the file, line, column and key path,
// so an operator can go straight to the line: `mcoad.yaml:12:5: served_prefixes[1]: ...`.

export interface ConfigProblem {
  /** File name as given to the loader (what the operator typed). */
  file: string;
  /** 1-based line and column of the offending key or value. */
  line: number;
  col: number;
  /** Key path, e.g. `home_agent.served_prefixes[1]`; empty for the document itself. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** Every problem of a configuration file, reported at once (one per line in `message`). */
export class ConfigFileError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const sorted = [...problems].sort((a, b) => a.line - b.line || a.col - b.col);
    super(sorted.map(formatProblem).join('\n'));
    this.problems = sorted;
    this.name = 'ConfigFileError';
  }
}
