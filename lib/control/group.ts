// Group name -> gid for the control socket: getent first (it asks NSS, so LDAP or
// systemd-userdb groups work), /etc/group when getent is not installed.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export class GroupLookupError extends Error {
  override name = 'GroupLookupError';
}

export async function resolveGroup(group: string | number): Promise<number> {
  if (typeof group === 'number') return group;
  if (/^\d+$/.test(group)) return Number(group);
  const line = await getent(group);
  const fromFile = line === undefined ? await etcGroupLine(group) : line;
  const gid = fromFile?.split(':')[2];
  if (fromFile === null || gid === undefined || !/^\d+$/.test(gid)) throw new GroupLookupError(`no such group: ${group}`);
  return Number(gid);
}

/** getent's line for the group; null when it has none; undefined when getent is missing. */
function getent(group: string): Promise<string | null | undefined> {
  return new Promise((resolve, reject) => {
    execFile('getent', ['group', group], { timeout: 5000 }, (err, stdout) => {
      if (!err) return resolve(stdout.split('\n')[0] ?? null);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve(undefined);
      // getent(1): exit status 2 means the key was not found.
      if ((err as { code?: unknown }).code === 2) return resolve(null);
      reject(new GroupLookupError(`getent group ${group}: ${err.message}`));
    });
  });
}

async function etcGroupLine(group: string): Promise<string | null> {
  const text = await readFile('/etc/group', 'utf8');
  return text.split('\n').find((l) => l.split(':')[0] === group) ?? null;
}
