// The payload objects per home address (lib/plan/ha/payload-index.ts), merged into the
// desired XFRM set as each home address's tunnels change: only changed keys are written, a
// care-of address shared by two home addresses stays with its first owner, and the K-bit
// migration step (MCoA §8.1) exists only where payload SAs do.
import type { Ip6 } from '../../../../lib/inet/ip6.js';
import { ip6 } from '../../../ip6.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HoaIpsecSas } from '../../../../lib/config/daemon-config.js';
import { PayloadIpsecIndex } from '../../../../lib/plan/ha/payload-index.js';
import { DEFAULT_XFRM_BANDS as BANDS, policyKey, stateKey } from '../../../../lib/plan/common/xfrm-objects.js';
import { RecordingSink } from '../recording-sink.js';

const HA = ip6('2001:db8:aa::1');
const A = ip6('2001:db8:1::10');
const B = ip6('2001:db8:1::11');
const aead = { name: 'rfc4106(gcm(aes))', key: new Uint8Array(20).fill(7), icvBits: 128 };
const withPayload = (spiIn: number, reqid: number): HoaIpsecSas => ({ spiIn, spiOut: spiIn + 1, reqid, aead, payload: { spiIn: spiIn + 0x1000, spiOut: spiIn + 0x1001, aead } });
const R1 = BANDS.reqidBase + 1;
const R2 = BANDS.reqidBase + 2;
const outPolicy = (coa: Ip6): string => policyKey({ selector: { src: HA, srcLen: 128, dst: coa, dstLen: 128, proto: 41 }, dir: 'out' });
const inPolicy = (coa: Ip6): string => policyKey({ selector: { src: coa, srcLen: 128, dst: HA, dstLen: 128, proto: 41 }, dir: 'in' });
const outState = (coa: Ip6, spi: number): string => stateKey({ proto: 50, src: HA, dst: coa, spi });
const inState = (spi: number): string => stateKey({ proto: 50, src: ip6('::'), dst: HA, spi });

function setup(sas: Record<string, HoaIpsecSas>) {
  const sink = new RecordingSink();
  const index = new PayloadIpsecIndex(sink);
  index.configure({ sas, ha: HA, bands: BANDS });
  return { sink, index };
}

test('MCoA §8.3.2: a home address with payload SAs gets one inbound SA and, per tunnel, an outbound SA and two policies', () => {
  const { sink, index } = setup({ [ip6('2001:db8:aa::1')]: withPayload(0x100, R1) });
  assert.equal(index.protects(ip6(ip6('2001:db8:aa::1'))), true);
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  assert.deepEqual(sink.take().sort(), [
    `set xfrm-policy ${inPolicy(A)}`, `set xfrm-policy ${outPolicy(A)}`, `set xfrm-state ${inState(0x1100)}`, `set xfrm-state ${outState(A, 0x1101)}`,
  ].sort());
  assert.deepEqual([...index.coas(ip6(ip6('2001:db8:aa::1')))], [A]);
});

test('unchanged: the same tunnels, or the same file again, write nothing and keep each object', () => {
  const { sink, index } = setup({ [ip6('2001:db8:aa::1')]: withPayload(0x100, R1) });
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  sink.take();
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  index.configure({ sas: { [ip6('2001:db8:aa::1')]: withPayload(0x100, R1) }, ha: HA, bands: BANDS });
  assert.deepEqual(sink.take(), []);
  // all() hands out the very objects written, so a full XFRM set built from it is clean in the reconciler.
  const all = index.all();
  for (const s of all.states) assert.equal(sink.get('xfrm-state', stateKey(s)), s);
  for (const p of all.policies) assert.equal(sink.get('xfrm-policy', policyKey(p)), p);
});

test('a moved tunnel: the new address\'s objects written, the old ones cleared, the inbound SA untouched', () => {
  const { sink, index } = setup({ [ip6('2001:db8:aa::1')]: withPayload(0x100, R1) });
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  sink.take();
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: B }]);
  assert.deepEqual(sink.take().sort(), [
    `clear xfrm-policy ${inPolicy(A)}`, `clear xfrm-policy ${outPolicy(A)}`, `clear xfrm-state ${outState(A, 0x1101)}`,
    `set xfrm-policy ${inPolicy(B)}`, `set xfrm-policy ${outPolicy(B)}`, `set xfrm-state ${outState(B, 0x1101)}`,
  ].sort());
  index.update(ip6(ip6('2001:db8:aa::1')), []);
  assert.deepEqual(sink.keys('xfrm-state'), [], 'no tunnel left: no inbound SA either');
});

test('a re-keyed file: nothing is put; the full set from all() carries the new objects (the caller installs it whole)', () => {
  const { sink, index } = setup({ [ip6('2001:db8:aa::1')]: withPayload(0x100, R1) });
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  sink.take();
  const rekeyed = withPayload(0x100, R1);
  rekeyed.payload = { ...rekeyed.payload!, aead: { ...aead, key: new Uint8Array(20).fill(8) } };
  index.configure({ sas: { [ip6('2001:db8:aa::1')]: rekeyed }, ha: HA, bands: BANDS });
  assert.deepEqual(sink.take(), []);
  const states = index.all().states;
  assert.deepEqual(states.map(stateKey).sort(), [inState(0x1100), outState(A, 0x1101)].sort());
  for (const s of states) {
    assert.equal(s.aead?.key[0], 8);
    assert.notEqual(sink.get('xfrm-state', stateKey(s)), s);
  }
});

test('no payload section, or a clashing spi_in: no payload objects and no migration', () => {
  const plain: HoaIpsecSas = { spiIn: 0x100, spiOut: 0x101, aead };
  const clash = { ...withPayload(0x300, BANDS.reqidBase + 3), payload: { spiIn: 0x100, spiOut: 0x999, aead } };
  const { sink, index } = setup({ [ip6('2001:db8:aa::1')]: plain, [ip6('2001:db8:aa::2')]: clash });
  assert.equal(index.protects(ip6(ip6('2001:db8:aa::1'))), false);
  assert.equal(index.protects(ip6(ip6('2001:db8:aa::2'))), false);
  assert.deepEqual([...index.clashes], [[ip6('2001:db8:aa::2'), ip6('2001:db8:aa::1')]]);
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  index.update(ip6(ip6('2001:db8:aa::2')), [{ local: HA, remote: B }]);
  assert.deepEqual(sink.take(), []);
  assert.equal(index.migration(ip6(ip6('2001:db8:aa::1')), A, B, 1), undefined);
  assert.equal(index.migration(ip6(ip6('2001:db8:aa::2')), B, A, 1), undefined);
});

test('MCoA §8.1: the migration step of a protected home address moves its outbound SA from the old care-of address', () => {
  const { index } = setup({ [ip6('2001:db8:aa::1')]: withPayload(0x100, R1) });
  const m = index.migration(ip6(ip6('2001:db8:aa::1')), A, B, 7);
  assert.deepEqual(m?.policy, { selector: { src: HA, srcLen: 128, dst: A, dstLen: 128, proto: 41 }, dir: 'out' });
  assert.deepEqual(m?.entry, { oldSrc: HA, oldDst: A, newSrc: HA, newDst: B, proto: 50, mode: 0, reqid: R1 });
});

test('a care-of address shared by two home addresses: the first owner keeps the policy until it leaves', () => {
  const { sink, index } = setup({ [ip6('2001:db8:aa::1')]: withPayload(0x100, R1), [ip6('2001:db8:aa::2')]: withPayload(0x200, R2) });
  index.update(ip6(ip6('2001:db8:aa::1')), [{ local: HA, remote: A }]);
  index.update(ip6(ip6('2001:db8:aa::2')), [{ local: HA, remote: A }]);
  const reqidOf = (): number | undefined => index.all().policies.find((p) => policyKey(p) === outPolicy(A))?.templates[0]?.reqid;
  assert.equal(reqidOf(), R1);
  index.update(ip6(ip6('2001:db8:aa::1')), []);
  assert.equal(reqidOf(), R2);
  assert.equal((sink.get('xfrm-policy', outPolicy(A)) as { templates: { reqid: number }[] }).templates[0]!.reqid, R2);
  index.update(ip6(ip6('2001:db8:aa::2')), []);
  assert.equal(sink.get('xfrm-policy', outPolicy(A)), undefined);
});
