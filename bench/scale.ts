// bench:scale — issue 13's carrier-scale figures, inside user-mode Linux (npm run bench:scale):
//   install [N,...]  N bindings on the shared data plane through the reconciler vs ip/tc -batch
//   storm [M]        first registrations of M home addresses through the real socket vs the echo server
//   adopt [N]        restart to READY=1 with N bindings in the journal and the kernel
// With no phase, all three with their defaults. Every phase prints RESULT keys.
import { install } from './scale-install.js';

const phase = process.argv[2] ?? 'all';
const arg = process.argv[3];
const results: string[] = [];
const note = (k: string, v: string | number): void => {
  results.push(`${k}=${v}`);
  console.log(`${k}=${v}`);
};
const s = (ms: number): string => (ms / 1000).toFixed(2);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

async function installPhase(sizes: number[]): Promise<void> {
  console.log('| N | ip/tc -batch s | mcoad s | ratio | growth (last tenth / first) | batch growth | flush s | kernel B/binding | heap B/binding |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of sizes) {
    const r = await install(n);
    const m = sum(r.mcoaSteps);
    const b = sum(r.batchSteps);
    const growth = r.mcoaSteps[r.mcoaSteps.length - 1]! / r.mcoaSteps[0]!;
    const batchGrowth = r.batchSteps[r.batchSteps.length - 1]! / r.batchSteps[0]!;
    console.log(`| ${n} | ${s(b)} | ${s(m)} | ${(m / b).toFixed(2)} | ${growth.toFixed(2)} | ${batchGrowth.toFixed(2)} | ${s(r.flushMs)} | ${r.kernelBytesPerBinding} | ${r.heapBytesPerBinding} |`);
    note(`install_s_${n}`, s(m));
    note(`batch_s_${n}`, s(b));
    note(`ratio_${n}`, (m / b).toFixed(3));
    note(`growth_${n}`, growth.toFixed(2));
    note(`batch_growth_${n}`, batchGrowth.toFixed(2));
    note(`flush_s_${n}`, s(r.flushMs));
    note(`kernel_bytes_per_binding_${n}`, r.kernelBytesPerBinding);
    note(`heap_bytes_per_binding_${n}`, r.heapBytesPerBinding);
  }
}

const list = (x: string | undefined, d: number[]): number[] => (x === undefined ? d : x.split(',').map(Number));
if (phase === 'install' || phase === 'all') await installPhase(list(arg, [1_000, 10_000, 100_000]));
console.log(`RESULT ${results.join(' ')}`);
