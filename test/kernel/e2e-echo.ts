// A UDP echo pair for the end-to-end tests, run inside a namespace with
// `ip netns exec NS node dist/test/kernel/e2e-echo.js ...`. Next to ping, it numbers its
// datagrams (which ones were lost during a change) and can open many flows (source ports).
//   server ADDR PORT                       echo every datagram back from ADDR
//   client ADDR PORT COUNT INTERVAL_MS     send COUNT numbered datagrams, print JSON
//                                          { sent, received, missing: [seq...] }, after a line
//                                          'started' when the first reply arrives
//   flows ADDR PORT FLOWS                  FLOWS sockets (source ports), 3 datagrams each,
//                                          print JSON { flows, answered } (flows with a reply)
import { createSocket } from 'node:dgram';

const [mode, addr, portText, countText, intervalText] = process.argv.slice(2);
const port = Number(portText);

if (mode === 'server' && addr) {
  const s = createSocket({ type: 'udp6', ipv6Only: true });
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.bind(port, addr, () => process.stdout.write('listening\n'));
} else if (mode === 'client' && addr) {
  const count = Number(countText);
  const interval = Number(intervalText);
  const got = new Set<number>();
  const s = createSocket({ type: 'udp6', ipv6Only: true });
  s.on('message', (msg) => {
    if (msg.length !== 4) return;
    if (got.size === 0) process.stdout.write('started\n');
    got.add(msg.readUInt32BE(0));
  });
  s.bind(0, () => {
    let seq = 0;
    const timer = setInterval(() => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(seq++);
      s.send(b, port, addr);
      if (seq < count) return;
      clearInterval(timer);
      // Late replies still count: wait a second for the last ones.
      setTimeout(() => {
        const missing: number[] = [];
        for (let i = 0; i < count; i++) if (!got.has(i)) missing.push(i);
        process.stdout.write(`${JSON.stringify({ sent: count, received: count - missing.length, missing })}\n`);
        s.close();
      }, 1000);
    }, interval);
  });
} else if (mode === 'flows' && addr) {
  const flows = Number(countText);
  let answered = 0;
  const sockets = Array.from({ length: flows }, () => createSocket({ type: 'udp6', ipv6Only: true }));
  sockets.forEach((s) => {
    let seen = false;
    s.on('message', () => {
      if (!seen) answered++;
      seen = true;
    });
    s.bind(0, () => {
      for (let i = 0; i < 3; i++) setTimeout(() => s.send(Buffer.alloc(4), port, addr), i * 100);
    });
  });
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ flows, answered })}\n`);
    for (const s of sockets) s.close();
  }, 1500);
} else {
  process.stderr.write('usage: e2e-echo server ADDR PORT | client ADDR PORT COUNT INTERVAL_MS | flows ADDR PORT FLOWS\n');
  process.exit(2);
}
