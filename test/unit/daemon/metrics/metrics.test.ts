// The metrics catalog and its exposition: every metric the code touches is declared (and
// every declared one is touched), names follow the Prometheus conventions, the exposition
// parses back to the catalog's names, types and help, zeros are there from the start, and
// GET /metrics serves it on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { COLLECTED_SPECS, COUNTER_SPECS, HISTOGRAM_SPECS } from '../../../../lib/daemon/metrics/catalog.js';
import { Metrics } from '../../../../lib/daemon/metrics/metrics.js';
import { serveMetrics } from '../../../../lib/daemon/metrics/http.js';
import { ROLES } from '../../../../lib/config/daemon-config.js';

const LIB = join(process.cwd(), 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}

test('catalog completeness: every id the code increments, observes or reads is declared, and every declared one is used', () => {
  const text = sources(LIB).join('\n');
  const used = new Set<string>();
  for (const m of text.matchAll(/\.(?:inc|observe|source)\('([a-z_]+)'/g)) used.add(m[1]!);
  // The kernel observer increments through variables; its ids are literal too.
  const declared = new Set([...Object.keys(COUNTER_SPECS), ...Object.keys(HISTOGRAM_SPECS), ...Object.keys(COLLECTED_SPECS)]);
  assert.deepEqual([...used].filter((u) => !declared.has(u)), [], 'used but not declared');
  assert.deepEqual([...declared].filter((d) => !used.has(d)), [], 'declared but never used');
});

test('names: mcoa_ prefix, _total on counters, _seconds on histograms, unique, help text, no per-node labels', () => {
  const all = [...Object.values(COUNTER_SPECS), ...Object.values(HISTOGRAM_SPECS), ...Object.values(COLLECTED_SPECS)];
  const names = all.map((s) => s.name);
  assert.equal(new Set(names).size, names.length, 'unique names');
  for (const s of all) {
    assert.match(s.name, /^mcoa_[a-z0-9_]+$/, s.name);
    if (s.type === 'counter') assert.match(s.name, /_total$/, s.name);
    if (s.type === 'histogram') assert.match(s.name, /_seconds$/, s.name);
    if (s.type === 'gauge') assert.doesNotMatch(s.name, /_total$/, s.name);
    assert.ok(s.help.length > 10, `${s.name} has help text`);
    for (const l of s.labels) assert.doesNotMatch(l, /hoa|home_address|coa|address|bid|spi/, `${s.name}{${l}}: no per-node label`);
  }
});

/** `# HELP name text`, `# TYPE name type` and samples, as a scraper reads them. */
function parseExposition(text: string): { help: Map<string, string>; type: Map<string, string>; samples: Map<string, number> } {
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# HELP (\S+) (.*)$/.exec(line);
    if (m) help.set(m[1]!, m[2]!.replace(/\\\\/g, '\\'));
    else if ((m = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line))) type.set(m[1]!, m[2]!);
    else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line))) samples.set(m[1]!, Number(m[2]));
    else assert.fail(`not exposition format: ${line}`);
  }
  return { help, type, samples };
}

for (const role of ROLES) {
  test(`exposition (${role}): the catalog's metrics for the role with their type and help; zeros from the start`, async () => {
    const m = new Metrics(role);
    const e = parseExposition(await m.exposition());
    for (const s of [...Object.values(COUNTER_SPECS), ...Object.values(HISTOGRAM_SPECS), ...Object.values(COLLECTED_SPECS)]) {
      if (!s.roles.includes(role)) {
        assert.equal(e.type.get(s.name), undefined, `${s.name} is not a ${role} metric`);
        continue;
      }
      assert.equal(e.type.get(s.name), s.type, s.name);
      assert.equal(e.help.get(s.name), s.help, s.name);
    }
    for (const s of Object.values(COUNTER_SPECS).filter((x) => x.roles.includes(role))) {
      if (s.labels.length === 0) assert.equal(e.samples.get(s.name), 0, `${s.name} is 0, not missing`);
      for (const v of s.values ?? []) assert.equal(e.samples.get(`${s.name}{${s.labels[0]}="${v}"}`), 0, `${s.name} ${v}`);
    }
    assert.equal(e.samples.get(`mcoa_info{version="0.1.0",role="${role}"}`), 1);
    assert.ok([...e.type.keys()].some((n) => n.startsWith('process_')), 'the process metrics as well');
  });
}

test('show stats and the exposition count the same; labelled keys as show stats has always named them', async () => {
  const m = new Metrics('home-agent');
  m.inc('sent', { type: 'ba' });
  m.inc('sent', { type: 'ba' });
  m.inc('bu_status', { status: 130, result: 'refused' });
  m.inc('mh_unknown_type', { mh_type: 77 });
  m.inc('bindings_expired', 3);
  m.observe('reconcile_pass', 0.002);
  const snap = m.snapshot();
  assert.equal(snap['sent']?.['ba'], 2);
  assert.equal(snap['status']?.['130'], 1);
  assert.equal(snap['mh']?.['unknown-type-77'], 1);
  assert.equal(snap['mh']?.['malformed'], 0, 'declared: 0, not missing');
  assert.equal(snap['bindings']?.['expired'], 3);
  assert.equal(snap['dad']?.['failed'], 0);
  assert.equal(snap['timing']?.['reconcile-pass-count'], 1);
  assert.equal(snap['refused'], undefined, 'an open label set appears with its first value');
  const e = parseExposition(await m.exposition());
  assert.equal(e.samples.get('mcoa_mh_sent_total{type="ba"}'), 2);
  assert.equal(e.samples.get('mcoa_binding_update_statuses_total{status="130",result="refused"}'), 1);
  assert.equal(e.samples.get('mcoa_bindings_expired_total'), 3);
  assert.equal(e.samples.get('mcoa_reconcile_pass_duration_seconds_count'), 1);
  assert.equal(e.samples.get('mcoa_reconcile_pass_duration_seconds_bucket{le="0.0025"}'), 1);
});

test('scrape-time sources: gauges and kernel-kept counters are read at each scrape', async () => {
  const m = new Metrics('home-agent');
  let n = 5;
  m.source('bindings', () => [[{ state: 'active' }, n], [{ state: 'dad-pending' }, 1]]);
  m.source('xfrm_errors', async () => [[{ counter: 'XfrmInTmplMismatch' }, n * 2]]);
  let e = parseExposition(await m.exposition());
  assert.equal(e.samples.get('mcoa_bindings{state="active"}'), 5);
  assert.equal(e.samples.get('mcoa_xfrm_errors_total{counter="XfrmInTmplMismatch"}'), 10);
  n = 7;
  e = parseExposition(await m.exposition());
  assert.equal(e.samples.get('mcoa_bindings{state="active"}'), 7);
  assert.equal(e.samples.get('mcoa_xfrm_errors_total{counter="XfrmInTmplMismatch"}'), 14);
});

test('two daemons in one process keep separate registries', async () => {
  const a = new Metrics('home-agent');
  const b = new Metrics('home-agent');
  a.inc('mh_malformed');
  assert.equal(parseExposition(await a.exposition()).samples.get('mcoa_mh_malformed_total'), 1);
  assert.equal(parseExposition(await b.exposition()).samples.get('mcoa_mh_malformed_total'), 0);
});

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /metrics on 127.0.0.1 port 0: the exposition with its content type; 404 elsewhere, 405 for POST', async () => {
  const m = new Metrics('home-agent');
  m.inc('sent', { type: 'ba' });
  const errors: unknown[] = [];
  const ep = await serveMetrics(m, '127.0.0.1', 0, (e) => errors.push(e));
  try {
    assert.ok(ep.address.port > 0);
    const r = await get(ep.address.port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(parseExposition(r.body).samples.get('mcoa_mh_sent_total{type="ba"}'), 1);
    assert.equal((await get(ep.address.port, '/')).status, 404);
    assert.equal((await get(ep.address.port, '/metrics', 'POST')).status, 405);
  } finally {
    await ep.close();
  }
  assert.deepEqual(errors, []);
});

test('a taken port fails the endpoint with EADDRINUSE', async () => {
  const m = new Metrics('home-agent');
  const ep = await serveMetrics(m, '127.0.0.1', 0, () => undefined);
  try {
    await assert.rejects(serveMetrics(m, '127.0.0.1', ep.address.port, () => undefined), /EADDRINUSE/);
  } finally {
    await ep.close();
  }
});
