// sd_notify through the service shell: a datagram socket standing in for $NOTIFY_SOCKET
// receives READY=1 once the home agent serves, RELOADING=1 and READY=1 around a reload
// (the status then counts the binding registered meanwhile, and the last error), STOPPING=1.
import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOME_AGENT_ROLE } from '../../../../lib/daemon/ha/daemon.js';
import { notifyListeners, SdNotifier } from '../../../../lib/daemon/service/sd-notify.js';
import { mustParseIp6 } from '../../../../lib/inet/ip6.js';
import { encodeMessage } from '../../../../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../../../../lib/wire/profiles.js';
import { COA, HA_ADDRESS, HOA, homeAgentYaml, serveRole, stopAll, until, type Running } from '../fake-host.js';
import { receiver } from './notify-receiver.js';

afterEach(stopAll);

test('READY=1 when serving, RELOADING=1 then READY=1 around a reload, STOPPING=1, with STATUS= lines', async () => {
  const base = mkdtempSync(join(tmpdir(), 'mcoa-notify-shell-'));
  const sock = receiver(join(base, 'notify'));
  const got: string[] = [];
  const take = (): number => (got.push(...sock.take()), got.length);
  let r: Running | undefined;
  let lastError: string | undefined;
  try {
    const listeners = notifyListeners(new SdNotifier(join(base, 'notify')), {
      // serveRole hands the shell over only once it serves: wait for it (main.ts has it from the start).
      status: async () => (await until('the shell', () => r !== undefined), r!.shell.statusLine()),
      lastError: () => lastError,
    });
    r = await serveRole(HOME_AGENT_ROLE, homeAgentYaml(), { listeners });
    assert.equal(r.exit, undefined, r.messages().join('\n'));
    await until('READY=1', () => take() >= 1);
    assert.deepEqual(got, ['READY=1\nSTATUS=serving 0 bindings of 0 home addresses']);

    // A binding, then a reload: the READY=1 after it reports both.
    const mh = r.host.mh[0]!;
    const bu = encodeMessage(
      {
        kind: 'bu',
        payloadProto: 59,
        checksum: 0,
        sequence: 7,
        flags: { a: true, h: true, l: false, k: false, m: false, r: false, p: false },
        lifetimeSeconds: 400,
        options: [{ kind: 'bid', status: 0, bid: 1, c: true, o: false, h: false, coa: mustParseIp6(COA) }],
      },
      DRAFT04_PROFILE,
    );
    mh.receive({ data: bu, src: HOA, dst: HA_ADDRESS, ifindex: 2, homeAddressOption: COA });
    await until('the BA', () => mh.sent.length > 0);
    lastError = 'kernel operation failed';
    r.signals.hup();
    await until('RELOADING=1 and READY=1', () => take() >= 3);
    assert.match(got[1]!, /^RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*\nSTATUS=reloading the configuration$/);
    assert.equal(got[2], 'READY=1\nSTATUS=serving 1 binding of 1 home address; last error: kernel operation failed');

    r.signals.term();
    assert.equal(await r.run, 0);
    await until('STOPPING=1', () => take() >= 4);
    assert.deepEqual(got.slice(3), ['STOPPING=1\nSTATUS=stopping']);
    r.dir.remove();
  } finally {
    sock.close();
    rmSync(base, { recursive: true, force: true });
  }
});
