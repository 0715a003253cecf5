// A TCP relay on loopback in front of etcd for one client, that a test can cut: from then on
// it passes no byte either way and answers no new connection (a black hole, as a partition
// looks to the client: no reset, only silence); heal() drops the silent connections and
// relays again.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  private cut = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static start(targetPort: number): Promise<CutProxy> {
    const proxy: { p?: CutProxy } = {};
    const server = createServer((client) => proxy.p!.relay(client, targetPort));
    return new Promise((resolve) => {
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        proxy.p = new CutProxy(server, typeof a === 'object' && a ? a.port : 0);
        resolve(proxy.p);
      });
    });
  }

  private relay(client: Socket, targetPort: number): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => {});
    if (this.cut) return;
    const upstream = connect(targetPort, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.on('close', () => {
      this.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => {});
    client.on('close', () => upstream.destroy());
    client.on('data', (b) => {
      if (!this.cut) upstream.write(b);
    });
    upstream.on('data', (b) => {
      if (!this.cut) client.write(b);
    });
  }

  partition(): void {
    this.cut = true;
  }

  heal(): void {
    this.cut = false;
    for (const s of this.sockets) s.destroy();
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
