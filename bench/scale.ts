// bench:scale — issue 13's carrier-scale figures, inside user-mode Linux (npm run bench:scale):
//   install [N,...]  N bindings on the shared data plane through the reconciler vs ip/tc -batch
//   storm [M] ...    first registrations of M home addresses through the real socket vs the echo server
//   adopt [N]        restart to READY=1 with N bindings in the journal and the kernel
//   fwd [N]          packets/s forwarded to one home address with N bindings vs 10
// With no phase, all four with their defaults. Every phase prints RESULT keys.
import { install } from './scale-install.js';
import { stormPhase } from './scale-storm.js';
import { adoptPhase } from './scale-adopt.js';
import { fwdPhase } from './scale-fwd.js';

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

/**
 * `storm [M] [WINDOW] [MAX_PENDING_DAD|-] [profile] [vs=BIN] [rounds=R]`: M home addresses,
 * WINDOW BUs outstanding; the cap given is written to limits:. With vs=BIN (another build's
 * bin/mcoad), R rounds (default 2) alternate that build and this one in the same boot.
 */
async function storm(m: number, window: number, maxPendingDad: number | undefined, words: string[]): Promise<void> {
  const limits = maxPendingDad === undefined ? '' : `limits:\n  max_pending_dad: ${maxPendingDad}\n  max_held_acknowledgements: ${maxPendingDad}\n`;
  const profile = words.includes('profile');
  const word = (k: string): string | undefined => words.find((w) => w.startsWith(`${k}=`))?.slice(k.length + 1);
  const vs = word('vs');
  const rounds = Number(word('rounds') ?? (vs === undefined ? 1 : 2));
  const runs: { name: string; r: Awaited<ReturnType<typeof stormPhase>> }[] = [];
  for (let i = 0; i < rounds; i++) {
    if (vs !== undefined) runs.push({ name: `vs ${i + 1}`, r: await stormPhase(m, window, limits, profile, vs) });
    runs.push({ name: `this ${i + 1}`, r: await stormPhase(m, window, limits, profile) });
  }
  console.log(`| run (${m} first registrations, ${window} outstanding) | server | BAs/s | refused | BUs sent | s | ratio |`);
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const { name, r } of runs) {
    for (const [server, x] of [['echo', r.echo], ['mcoad', r.mcoad]] as const) {
      console.log(`| ${name} | ${server} | ${x.perS.toFixed(0)} | ${x.refused} | ${x.sent} | ${s(x.ms)} | ${server === 'mcoad' ? (x.perS / r.echo.perS).toFixed(3) : ''} |`);
    }
  }
  const mine = runs.filter((x) => x.name.startsWith('this'));
  const total = (xs: typeof runs, k: 'echo' | 'mcoad'): number => sum(xs.map((x) => x.r[k].perS)) / xs.length;
  const r = mine[mine.length - 1]!.r;
  note('storm_bu_per_s', total(mine, 'mcoad').toFixed(0));
  note('storm_echo_per_s', total(mine, 'echo').toFixed(0));
  note('storm_ratio', (sum(mine.map((x) => x.r.mcoad.perS / x.r.echo.perS)) / mine.length).toFixed(3));
  note('storm_refused', r.mcoad.refused);
  note('storm_bus_sent', r.mcoad.sent);
  note('storm_routes', r.routes);
  if (vs !== undefined) {
    const theirs = runs.filter((x) => x.name.startsWith('vs'));
    note('storm_vs_bu_per_s', total(theirs, 'mcoad').toFixed(0));
    note('storm_vs_ratio', (sum(theirs.map((x) => x.r.mcoad.perS / x.r.echo.perS)) / theirs.length).toFixed(3));
  }
}

const list = (x: string | undefined, d: number[]): number[] => (x === undefined ? d : x.split(',').map(Number));
if (phase === 'install' || phase === 'all') await installPhase(list(arg, [1_000, 10_000, 100_000]));
if (phase === 'storm' || phase === 'all') {
  const opt = (i: number): number | undefined => (process.argv[i] === undefined || process.argv[i] === '-' ? undefined : Number(process.argv[i]));
  await storm(opt(3) ?? 4000, opt(4) ?? 2048, opt(5), process.argv.slice(6));
}
if (phase === 'adopt' || phase === 'all') {
  const n = Number(arg ?? 100_000);
  const r = await adoptPhase(n);
  console.log(`| ${n} bindings | spawn -> READY=1 s | kernel creates |`);
  console.log('|---|---:|---:|');
  console.log(`| cold start (kernel empty) | ${s(r.coldMs)} | ${r.coldCreates} |`);
  console.log(`| restart (adopting) | ${s(r.adoptMs)} | ${r.adoptCreates} |`);
  note(`adopt_s_${n}`, s(r.adoptMs));
  note(`adopt_creates_${n}`, r.adoptCreates);
  note(`cold_s_${n}`, s(r.coldMs));
  note(`cold_creates_${n}`, r.coldCreates);
}
if (phase === 'fwd' || phase === 'all') {
  const r = await fwdPhase(Number(arg ?? 100_000));
  console.log(`| bindings | packets/s received at the care-of link | sent by the correspondent |`);
  console.log('|---:|---:|---:|');
  console.log(`| 10 | ${r.small.rx.toFixed(0)} | ${r.small.sent.toFixed(0)} |`);
  console.log(`| ${r.n} | ${r.big.rx.toFixed(0)} | ${r.big.sent.toFixed(0)} |`);
  note('fwd_pps_10', r.small.rx.toFixed(0));
  note(`fwd_pps_${r.n}`, r.big.rx.toFixed(0));
  note('fwd_ratio', (r.big.rx / r.small.rx).toFixed(3));
  note('fwd_reverse_pps_10', r.reverseSmall.rx.toFixed(0));
  note(`fwd_reverse_pps_${r.n}`, r.reverseBig.rx.toFixed(0));
  note('fwd_reverse_ratio', (r.reverseBig.rx / r.reverseSmall.rx).toFixed(3));
  note('fwd_ratio_paired', r.pairedRatio.toFixed(3));
  note('fwd_reverse_ratio_paired', r.reversePairedRatio.toFixed(3));
  note('fwd_ratio_best', r.bestRatio.toFixed(3));
  note('fwd_reverse_ratio_best', r.reverseBestRatio.toFixed(3));
}
console.log(`RESULT ${results.join(' ')}`);
