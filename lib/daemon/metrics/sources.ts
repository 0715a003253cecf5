// Scrape-time readings the roles register (Metrics.source): the binding cache by state,
// and the kernel's XFRM error counters.
import type { BindingCache } from '../../proto/common/cache.js';
import { readXfrmStat } from '../xfrm-stat.js';
import type { Reading } from './metrics.js';

/**
 * A binding cache's bindings by state: `dad-pending` (its home address awaits DAD, the BA
 * is held), `home` (draft-04 §5.5 home binding) and `active`. Every state is present, 0 or not.
 */
export function bindingStates(cache: BindingCache): Reading<'bindings'> {
  let pending = 0;
  let home = 0;
  let active = 0;
  for (const hoa of cache.homeAddresses()) {
    const dad = cache.isDadPending(hoa);
    for (const b of cache.bindingsOf(hoa)) {
      if (dad) pending++;
      else if (b.homeBinding) home++;
      else active++;
    }
  }
  return [[{ state: 'active' }, active], [{ state: 'home' }, home], [{ state: 'dad-pending' }, pending]];
}

/** /proc/net/xfrm_stat of this process's namespace as `counter` labels; empty when the kernel has none. */
export async function xfrmErrors(path?: string): Promise<Reading<'xfrm_errors'>> {
  const stat = await readXfrmStat(path);
  return Object.entries(stat ?? {}).map(([counter, v]) => [{ counter }, v] as const);
}
