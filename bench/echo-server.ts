// The baseline for bench:daemon: the same Mobility Header socket, answering every BU with a
// fixed BA (same sequence) over a type 2 routing header, with no protocol work at all.
import { MhSocket } from '../lib/net/mh-socket.js';
import { encodeMessage } from '../lib/wire/mh.js';
import { DRAFT04_PROFILE } from '../lib/wire/profiles.js';

const sock = MhSocket.open({});
const buf = new Uint8Array(256);
sock.on('message', (m) => {
  if (m.data.length < 8 || m.data[2] !== 5) return;
  const sequence = (m.data[6]! << 8) | m.data[7]!;
  const data = encodeMessage({ kind: 'ba', payloadProto: 59, checksum: 0, options: [], status: 0, flags: { k: false, r: false, p: false }, sequence, lifetimeSeconds: 400 }, DRAFT04_PROFILE, buf, 0);
  try {
    if (m.homeAddressOption) sock.send({ data, src: m.dst, dst: m.src, routingHeader: m.homeAddressOption });
    else sock.send({ data, src: m.dst, dst: m.src });
  } catch {
    // a full send buffer loses the answer, as it would for the daemon
  }
});
process.stdout.write('echo ready\n');
process.on('SIGTERM', () => process.exit(0));
