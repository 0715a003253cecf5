import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reconciler, type ObjectDriver } from '../../../lib/reconcile/engine.js';

/** An in-memory kernel double: objects per kind, an owner mark, a log, and fault injection. */
class FakeKernel {
  objects = new Map<string, Map<string, { value: string; owner: 'us' | 'admin' }>>();
  log: string[] = [];
  failNext = new Map<string, Error>(); // `${op} ${kind} ${key}` -> error to throw once
  failList = 0;

  table(kind: string) {
    let t = this.objects.get(kind);
    if (!t) this.objects.set(kind, (t = new Map()));
    return t;
  }
  maybeFail(what: string): void {
    const e = this.failNext.get(what);
    if (e) {
      this.failNext.delete(what);
      throw e;
    }
  }
  driver(kind: string): ObjectDriver<string, string> {
    return {
      kind,
      list: async () => {
        if (this.failList > 0) {
          this.failList--;
          throw errnoError('EINTR', 4);
        }
        const out = new Map<string, string>();
        for (const [k, v] of this.table(kind)) if (v.owner === 'us') out.set(k, v.value);
        return out;
      },
      same: (d, o) => d === o,
      create: async (key, d) => {
        this.maybeFail(`create ${kind} ${key}`);
        this.log.push(`create ${kind} ${key}`);
        this.table(kind).set(key, { value: d, owner: 'us' });
        return d;
      },
      update: async (key, d) => {
        this.maybeFail(`update ${kind} ${key}`);
        this.log.push(`update ${kind} ${key}`);
        this.table(kind).set(key, { value: d, owner: 'us' });
        return d;
      },
      remove: async (key) => {
        this.maybeFail(`delete ${kind} ${key}`);
        this.log.push(`delete ${kind} ${key}`);
        this.table(kind).delete(key);
      },
    };
  }
}

function errnoError(code: string, errno: number): Error {
  return Object.assign(new Error(code), { code, errno });
}

function setup(k = new FakeKernel()) {
  const r = new Reconciler([k.driver('tunnel'), k.driver('route')]);
  return { k, r };
}

test('creates in kind order from empty, deletes in reverse order', async () => {
  const { k, r } = setup();
  r.setDesired('route', new Map([['hoa1', 'via t1']]));
  r.setDesired('tunnel', new Map([['t1', 'coa1']]));
  const rep = await r.pass();
  assert.deepEqual(k.log, ['create tunnel t1', 'create route hoa1']);
  assert.equal(rep.created, 2);
  k.log = [];
  r.setDesired('route', new Map());
  r.setDesired('tunnel', new Map());
  await r.pass();
  assert.deepEqual(k.log, ['delete route hoa1', 'delete tunnel t1']);
});

test('a second pass with nothing changed writes nothing (idempotent)', async () => {
  const { k, r } = setup();
  r.setDesired('tunnel', new Map([['t1', 'coa1'], ['t2', 'coa2']]));
  await r.pass();
  k.log = [];
  r.setDesired('tunnel', new Map([['t1', 'coa1'], ['t2', 'coa2']]));
  r.requestResync();
  const rep = await r.pass();
  assert.deepEqual(k.log, []);
  assert.deepEqual([rep.created, rep.updated, rep.removed], [0, 0, 0]);
});

test('a changed desired object is updated, not re-created', async () => {
  const { k, r } = setup();
  r.put('tunnel', 't1', 'coa1');
  await r.pass();
  k.log = [];
  r.put('tunnel', 't1', 'coa9');
  await r.pass();
  assert.deepEqual(k.log, ['update tunnel t1']);
  assert.equal(k.table('tunnel').get('t1')?.value, 'coa9');
});

test('repair: an object deleted or changed behind our back comes back on resync', async () => {
  const { k, r } = setup();
  r.setDesired('tunnel', new Map([['t1', 'coa1'], ['t2', 'coa2']]));
  await r.pass();
  k.table('tunnel').delete('t1');
  k.table('tunnel').set('t2', { value: 'tampered', owner: 'us' });
  k.log = [];
  await r.pass(); // incremental: believes the kernel is right
  assert.deepEqual(k.log, []);
  r.requestResync();
  await r.pass();
  assert.deepEqual(k.log.sort(), ['create tunnel t1', 'update tunnel t2']);
});

test('objects we do not own are never touched', async () => {
  const { k, r } = setup();
  k.table('tunnel').set('admin0', { value: 'x', owner: 'admin' });
  r.setDesired('tunnel', new Map([['t1', 'coa1']]));
  await r.pass();
  r.setDesired('tunnel', new Map());
  r.requestResync();
  await r.pass();
  assert.equal(k.table('tunnel').get('admin0')?.value, 'x');
  assert.equal(k.table('tunnel').has('t1'), false);
});

test('an owned object nobody wants any more is removed at resync (stale state after restart)', async () => {
  const k = new FakeKernel();
  k.table('tunnel').set('stale', { value: 'old', owner: 'us' });
  const { r } = setup(k);
  await r.pass();
  assert.equal(k.table('tunnel').has('stale'), false);
});

test('restart: a second reconciler over the same kernel state makes zero changes', async () => {
  const { k, r } = setup();
  const tunnels = new Map(Array.from({ length: 50 }, (_, i) => [`t${i}`, `coa${i}`] as [string, string]));
  const routes = new Map(Array.from({ length: 50 }, (_, i) => [`h${i}`, `via t${i}`] as [string, string]));
  r.setDesired('tunnel', tunnels);
  r.setDesired('route', routes);
  await r.pass();
  k.log = [];
  const second = setup(k).r;
  second.setDesired('tunnel', new Map(tunnels));
  second.setDesired('route', new Map(routes));
  const rep = await second.pass();
  assert.deepEqual(k.log, []);
  assert.equal(rep.failed, 0);
});

test('one failing object does not stop the pass; it is retried after a forced resync', async () => {
  const { k, r } = setup();
  k.failNext.set('create tunnel t2', errnoError('EBUSY', 16));
  r.setDesired('tunnel', new Map([['t1', 'a'], ['t2', 'b'], ['t3', 'c']]));
  const rep = await r.pass();
  assert.equal(rep.created, 2);
  assert.equal(rep.failed, 1);
  assert.equal(rep.errors[0]?.key, 't2');
  assert.equal(r.needsResync, true);
  assert.equal(r.pendingCount(), 1);
  const rep2 = await r.pass();
  assert.equal(rep2.failed, 0);
  assert.equal(k.table('tunnel').get('t2')?.value, 'b');
  assert.equal(r.pendingCount(), 0);
});

test('a failing dump (interrupted) keeps resync requested and loses nothing', async () => {
  const { k, r } = setup();
  r.setDesired('tunnel', new Map([['t1', 'a']]));
  k.failList = 1;
  const rep = await r.pass();
  assert.equal(rep.errors[0]?.op, 'list');
  assert.equal(r.needsResync, true);
  await r.pass();
  assert.equal(k.table('tunnel').get('t1')?.value, 'a');
});

test('ENOBUFS-style state loss: requestResync then pass converges', async () => {
  const { k, r } = setup();
  r.setDesired('tunnel', new Map([['t1', 'a']]));
  await r.pass();
  k.table('tunnel').set('t1', { value: 'lost', owner: 'us' });
  r.requestResync();
  await r.pass();
  assert.equal(k.table('tunnel').get('t1')?.value, 'a');
});

test('a change made while a pass runs waits for the next pass and is not lost', async () => {
  const k = new FakeKernel();
  const base = k.driver('tunnel');
  let r!: Reconciler;
  let injected = false;
  const slow: ObjectDriver<string, string> = {
    ...base,
    create: async (key, d) => {
      // While t1 is being written, the desired state of t1 changes and t2 appears.
      if (!injected) {
        injected = true;
        r.put('tunnel', 't1', 'coa1-new');
        r.put('tunnel', 't2', 'coa2');
      }
      return base.create(key, d);
    },
  };
  r = new Reconciler([slow]);
  r.put('tunnel', 't1', 'coa1');
  const first = await r.pass();
  assert.equal(first.created, 1);
  assert.equal(r.pendingCount(), 2);
  await r.pass();
  assert.equal(k.table('tunnel').get('t1')?.value, 'coa1-new');
  assert.equal(k.table('tunnel').get('t2')?.value, 'coa2');
  assert.equal(r.pendingCount(), 0);
});

test('a pass uses the desired state as it was when it began (no route to a group made meanwhile)', async () => {
  const k = new FakeKernel();
  const t = k.driver('tunnel');
  let r!: Reconciler;
  let injected = false;
  const tunnel: ObjectDriver<string, string> = {
    ...t,
    create: async (key, d) => {
      if (!injected) {
        injected = true;
        // While tunnels are written, the route changes to need a tunnel that is not written yet.
        r.put('tunnel', 't9', 'coa9');
        r.put('route', 'hoa1', 'via t9');
      }
      return t.create(key, d);
    },
  };
  r = new Reconciler([tunnel, k.driver('route')]);
  r.put('tunnel', 't1', 'coa1');
  r.put('route', 'hoa1', 'via t1');
  await r.pass();
  // The route was not written with a value that referred to the unwritten t9.
  assert.deepEqual(k.log, ['create tunnel t1']);
  await r.pass();
  assert.deepEqual(k.log, ['create tunnel t1', 'create tunnel t9', 'create route hoa1']);
  assert.equal(k.table('route').get('hoa1')?.value, 'via t9');
});

test('a held kind is read but not changed until released (a restarted node adopts its tunnels)', async () => {
  const { k, r } = setup();
  k.table('tunnel').set('t-old', { value: 'coa-old', owner: 'us' });
  k.table('tunnel').set('t-keep', { value: 'coa-keep', owner: 'us' });
  r.hold('tunnel');
  r.setDesired('route', new Map([['hoa1', 'via t-keep']]));
  await r.pass();
  assert.deepEqual(k.log, ['create route hoa1']);
  assert.equal(r.observed('tunnel', 't-old'), 'coa-old');
  k.log = [];
  r.setDesired('tunnel', new Map([['t-keep', 'coa-keep']]));
  await r.pass();
  assert.deepEqual(k.log, []);
  r.release('tunnel');
  await r.pass();
  assert.deepEqual(k.log, ['delete tunnel t-old']);
  assert.equal(k.table('tunnel').get('t-keep')?.value, 'coa-keep');
});
