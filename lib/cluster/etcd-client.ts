// The etcd client of cluster mode, built from the `cluster:` section: endpoints, TLS files,
// and a short, bounded retry delay for watch streams (etcd3's default backs off up to 30 s;
// a standby must catch up within a second or so of etcd coming back).
import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import type { ClusterConfig } from '../config/cluster-section.js';

/** Watch stream reconnect delay: doubling from 100 ms, at most 1 s. */
class BoundedBackoff {
  constructor(readonly duration = 100) {}

  next(): BoundedBackoff {
    return new BoundedBackoff(Math.min(1000, this.duration * 2));
  }
}

export function etcdOptions(c: Pick<ClusterConfig, 'endpoints' | 'tls'>): IOptions {
  const options: IOptions = {
    hosts: c.endpoints,
    dialTimeout: 5000,
    faultHandling: { watchBackoff: new BoundedBackoff() },
  };
  if (c.tls) {
    // grpc wants a root certificate with a client certificate; no ca_file means the system's.
    const read = (f: string | null): Buffer | undefined => (f ? readFileSync(f) : undefined);
    const rootCertificate = read(c.tls.caFile);
    const privateKey = read(c.tls.keyFile);
    const certChain = read(c.tls.certFile);
    options.credentials = { rootCertificate: rootCertificate ?? Buffer.alloc(0), ...(privateKey ? { privateKey } : {}), ...(certChain ? { certChain } : {}) };
  }
  return options;
}

export function etcdClient(c: Pick<ClusterConfig, 'endpoints' | 'tls'>): Etcd3 {
  return new Etcd3(etcdOptions(c));
}
