// A bound AF_UNIX datagram socket standing in for systemd's notification socket ($NOTIFY_SOCKET).
import { check, sys } from '../../../../lib/platform/sys/libc.js';
import { AF_UNIX, encodeSockaddrUn } from '../../../../lib/platform/sys/sockaddr-un.js';
import { closeFd, openSocket, SOCK_DGRAM } from '../../../../lib/platform/sys/socket.js';

export function receiver(name: string): { fd: number; take(): string[]; close(): void } {
  const fd = openSocket(AF_UNIX, SOCK_DGRAM, 0);
  check(sys.bind(fd, encodeSockaddrUn(name)), 'bind', name);
  const buf = new Uint8Array(4096);
  return {
    fd,
    take() {
      const got: string[] = [];
      for (;;) {
        const n = sys.recv(fd, buf, buf.length, 0);
        if (n < 0) return got; // EAGAIN: drained
        got.push(new TextDecoder().decode(buf.subarray(0, n)));
      }
    },
    close: () => closeFd(fd),
  };
}

