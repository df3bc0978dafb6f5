#!/usr/bin/env node
// The reference side of bench/run.sh: times @cedar-policy/cedar-wasm (the
// version pinned by tools/difftest/package.json) on the same inputs Tollgate
// is timed on, compares decisions, and prints the side-by-side table.
//
//   node bench/ref_bench.mjs agent  --dir WORKLOAD_DIR [--out ANSWERS.jsonl]
//                                   [--entities slice|full] [--limit N]
//   node --harmony-json-parse-with-source bench/ref_bench.mjs corpus --dir CORPUS_ROOT
//                                                        (CORPUS_ROOT holds corpus-tests/)
//   node bench/ref_bench.mjs compare TOLLGATE.jsonl ANSWERS.jsonl
//   node bench/ref_bench.mjs report RESULTS_DIR
//
// `agent` and `corpus` print one JSON object: {requests, seconds, rps, …}.
//
// How the reference is driven: its fastest per-request entry point,
// statefulIsAuthorized. The policy set (and, for the corpus, the schema) is
// pre-parsed once into the module's cache; then each request is one call.
// The call also carries the entities — that API has no way to pre-load them,
// so the reference parses the entities it is given on every call. By default
// (--entities slice) each request gets only the entities it can reach (see
// slicer below), the fair way to use that API; --entities full passes the
// whole store, as a caller that does not slice would. To keep JavaScript
// out of the measurement as far as possible, each call's argument is
// pre-rendered JSON text handed straight to the module (the glue would
// otherwise JSON.stringify a JS object, ~1,100 entities, per call): this is
// the most favourable way to call the reference. Only the calls are timed.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIFFTEST = path.join(HERE, '..', 'tools', 'difftest');

function loadCedar() {
  const require = createRequire(path.join(DIFFTEST, 'package.json'));
  let entry;
  try {
    entry = require.resolve('@cedar-policy/cedar-wasm/nodejs');
  } catch {
    console.error(`ref_bench: @cedar-policy/cedar-wasm is not installed; run \`npm ci\` in ${DIFFTEST}`);
    process.exit(2);
  }
  return require(entry);
}

// The wasm glue serializes its argument with JSON.stringify; an object tagged
// RAW is replaced by its pre-rendered text.
const RAW = Symbol('ref_bench.rawJson');
const origStringify = JSON.stringify;
JSON.stringify = function stringify(value, ...rest) {
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, RAW)) return value[RAW];
  return origStringify.call(JSON, value, ...rest);
};
const raw = (text) => ({ [RAW]: text });

const now = () => process.hrtime.bigint();
const secs = (ns) => Number(ns) / 1e9;

function messages(ans) {
  return (ans.errors || []).map((e) => e.message).join('; ');
}

// {decision, reason: [ids sorted], errors: [ids sorted]} or {error}.
function normalizeReference(ans) {
  if (ans.type !== 'success') return { error: messages(ans) };
  const d = ans.response.diagnostics;
  return {
    decision: ans.response.decision,
    reason: [...d.reason].sort(),
    errors: d.errors.map((e) => e.policyId).sort(),
  };
}

function normalizeTollgate(ans) {
  if (ans.error !== undefined) return { error: ans.error };
  return { decision: ans.decision, reason: [...ans.reason].sort(), errors: ans.errors.map((e) => e.policy).sort() };
}

function arg(argv, name) {
  const i = argv.indexOf(name);
  if (i < 0 || i + 1 >= argv.length) {
    console.error(`ref_bench: ${name} is required`);
    process.exit(2);
  }
  return argv[i + 1];
}

// ---------------------------------------------------------------------------

// The entities one request can reach: principal, action, resource and the
// entities named in its context, closed under parents and under entity
// references in attributes and tags. A policy can only read an entity it
// reaches that way (an entity literal in a policy is only ever compared or
// used as the right side of `in`, which needs the left side's ancestors,
// which are in the slice), so deciding on the slice gives the same answer as
// deciding on the whole set — bench/run.sh checks that against Tollgate.
function slicer(entities) {
  const key = (u) => `${u.type}\u0000${u.id}`;
  const byKey = new Map(entities.map((e) => [key(e.uid), e]));
  const refs = (v, out) => {
    if (Array.isArray(v)) {
      for (const x of v) refs(x, out);
    } else if (v !== null && typeof v === 'object') {
      if (v.__entity) out.push(v.__entity);
      else if (!v.__extn) for (const x of Object.values(v)) refs(x, out);
    }
  };
  return (req) => {
    const todo = [req.principal, req.action, req.resource];
    refs(req.context, todo);
    const seen = new Set();
    const out = [];
    while (todo.length) {
      const u = todo.pop();
      const k = key(u);
      if (seen.has(k)) continue;
      seen.add(k);
      const e = byKey.get(k);
      if (!e) continue;
      out.push(e);
      todo.push(...e.parents);
      refs(e.attrs, todo);
      if (e.tags) refs(e.tags, todo);
    }
    return out;
  };
}

function agent(argv) {
  const cedar = loadCedar();
  const dir = arg(argv, '--dir');
  const out = argv.includes('--out') ? arg(argv, '--out') : null;
  const mode = argv.includes('--entities') ? arg(argv, '--entities') : 'slice';
  const limit = argv.includes('--limit') ? Number(arg(argv, '--limit')) : Infinity;
  const policyText = fs.readFileSync(path.join(dir, 'policies.cedar'), 'utf8');
  const entitiesText = fs.readFileSync(path.join(dir, 'entities.json'), 'utf8').trim();
  const lines = fs.readFileSync(path.join(dir, 'requests.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).slice(0, limit);

  let t = now();
  const pre = cedar.preparsePolicySet('agent', { staticPolicies: policyText });
  const preparseSeconds = secs(now() - t);
  if (pre.type !== 'success') {
    console.error(`ref_bench: the reference rejects ${dir}/policies.cedar: ${messages(pre)}`);
    process.exit(1);
  }
  const slice = mode === 'slice' ? slicer(JSON.parse(entitiesText)) : null;
  let sliceEntities = 0;
  const calls = lines.map((l) => {
    const body = l.trim();
    let ents = entitiesText;
    if (slice) {
      const s = slice(JSON.parse(body));
      sliceEntities += s.length;
      ents = origStringify(s);
    }
    return raw(`${body.slice(0, -1)},"preparsedPolicySetId":"agent","entities":${ents}}`);
  });
  // Warm-up (JIT, wasm tiering, the module's caches), not timed.
  const warm = Math.min(calls.length, slice ? 100 : 5);
  for (let i = 0; i < warm; i++) cedar.statefulIsAuthorized(calls[i]);

  const answers = new Array(calls.length);
  let total = 0n;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < calls.length; i++) {
    const t0 = now();
    const ans = cedar.statefulIsAuthorized(calls[i]);
    total += now() - t0;
    answers[i] = ans;
  }
  const cpu = process.cpuUsage(cpu0);
  if (out) fs.writeFileSync(out, answers.map((a) => JSON.stringify(normalizeReference(a))).join('\n') + '\n');
  const seconds = secs(total);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const allows = answers.filter((a) => a.type === 'success' && a.response.decision === 'allow').length;
  console.log(JSON.stringify({
    entities: mode, requests: calls.length, seconds, cpuSeconds, rps: calls.length / seconds,
    usPerRequest: (seconds * 1e6) / calls.length, sliceEntitiesAvg: slice ? sliceEntities / calls.length : undefined,
    preparseSeconds, allowPct: (100 * allows) / calls.length, version: cedar.getCedarVersion(),
  }));
}

// Some corpus requests hold 64-bit integers a JS number cannot represent.
// With `node --harmony-json-parse-with-source` (bench/run.sh passes it) they
// are kept as their source text and reach the reference unchanged.
function exactIntegers(key, value, context) {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && typeof JSON.rawJSON === 'function' &&
      context && /^-?[0-9]+$/.test(context.source)) {
    return JSON.rawJSON(context.source);
  }
  return value;
}

function corpus(argv) {
  const cedar = loadCedar();
  const root = arg(argv, '--dir');
  const dir = path.join(root, 'corpus-tests');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.entities.json')).sort();
  let total = 0n;
  let requests = 0;
  let mismatches = 0;
  let skipped = 0;
  let cpuMicros = 0;
  const t = now();
  for (const f of files) {
    const test = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'), exactIntegers);
    if (!test.requests) continue;
    const read = (p) => fs.readFileSync(path.join(root, p), 'utf8');
    let schemaName;
    if (test.schema) {
      schemaName = 'corpus';
      const s = cedar.preparseSchema(schemaName, read(test.schema));
      if (s.type !== 'success') schemaName = undefined;
    }
    const pre = cedar.preparsePolicySet('corpus', { staticPolicies: read(test.policies) });
    if (pre.type !== 'success') {
      skipped += test.requests.length;
      continue;
    }
    const entitiesText = read(test.entities).trim();
    for (const rq of test.requests) {
      const call = {
        principal: rq.principal, action: rq.action, resource: rq.resource, context: rq.context ?? {},
        preparsedPolicySetId: 'corpus',
      };
      if (schemaName) {
        call.preparsedSchemaName = schemaName;
        call.validateRequest = rq.validateRequest ?? true;
      }
      const text = `${origStringify(call).slice(0, -1)},"entities":${entitiesText}}`;
      const arg = raw(text);
      const c0 = process.cpuUsage();
      const t0 = now();
      const ans = cedar.statefulIsAuthorized(arg);
      total += now() - t0;
      const c = process.cpuUsage(c0);
      cpuMicros += c.user + c.system;
      requests++;
      const got = normalizeReference(ans);
      const want = {
        decision: String(rq.decision).toLowerCase(),
        reason: [...(rq.reason || [])].sort(),
        errors: (rq.errors || []).map((e) => (typeof e === 'string' ? e : e.policyId)).sort(),
      };
      if (origStringify(got) !== origStringify(want) && mismatches++ < 5) {
        console.error(`${f}: ${rq.description ?? ''}: reference ${origStringify(got).slice(0, 300)}, expected ${origStringify(want)}`);
      }
    }
  }
  const seconds = secs(total);
  console.log(JSON.stringify({
    tests: files.length, requests, seconds, cpuSeconds: cpuMicros / 1e6, rps: requests / seconds,
    usPerRequest: (seconds * 1e6) / requests,
    wallSeconds: secs(now() - t), mismatches, skipped, version: cedar.getCedarVersion(),
  }));
}

function compare(argv) {
  const [a, b] = argv;
  const read = (f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const tg = read(a).map(normalizeTollgate);
  const ref = read(b);
  let diffs = 0;
  const n = Math.max(tg.length, ref.length);
  for (let i = 0; i < n; i++) {
    const x = origStringify(tg[i]);
    const y = origStringify(ref[i]);
    // Both rejected the request: the messages need not agree.
    if (x === y || (tg[i]?.error !== undefined && ref[i]?.error !== undefined)) continue;
    if (diffs++ < 5) console.error(`request ${i + 1}: tollgate ${x} reference ${y}`);
  }
  console.log(JSON.stringify({ requests: n, disagreements: diffs }));
  process.exit(diffs === 0 ? 0 : 1);
}

// ---------------------------------------------------------------------------
// The table. RESULTS_DIR holds what run.sh collected:
//   agent-N.tollgate.json {requests, runs:[seconds…], loadRuns:[seconds…]}
//   agent-N.reference.json, agent-N.compare.json, corpus.tollgate.json,
//   corpus.reference.json, bench.json (Google Benchmark, --benchmark_out).

function median(xs) {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function report(argv) {
  const dir = argv[0];
  // Google Benchmark writes NaN and inf (e.g. the spread of a constant counter), which JSON lacks.
  const j = (f) => (fs.existsSync(path.join(dir, f))
    ? JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8').replace(/(?<=[:\[,]\s*)-?(?:NaN|nan|inf|Infinity)\b/g, 'null'))
    : null);
  const bench = j('bench.json');
  const medianOf = (name) => {
    // The median aggregate (--benchmark_repetitions > 1), else the single run.
    const b = bench?.benchmarks.find((x) => x.run_name === name && x.aggregate_name === 'median') ??
      bench?.benchmarks.find((x) => x.run_name === name && x.run_type === 'iteration');
    if (!b) return null;
    const scale = { ns: 1e-3, us: 1, ms: 1e3 }[b.time_unit];
    return { us: b.real_time * scale, cpuUs: b.cpu_time * scale, counters: b };
  };
  const fmt = (x, d = 0) => (x == null ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  const sizes = fs.readdirSync(dir).map((f) => /^agent-(\d+)\.tollgate\.json$/.exec(f)).filter(Boolean)
    .map((m) => Number(m[1])).sort((p, q) => p - q);
  const col = (x, w, d = 0) => fmt(x, d).padStart(w);
  const ratio = (x, w) => `${fmt(x, 0)}×`.padStart(w);
  console.log(`
Requests per second. tollgate: \`tollgate cedar authorize --requests\` (e2e: the whole run; net: minus the
same run without requests, i.e. start-up and loading). reference: cedar-wasm statefulIsAuthorized per
request (slice: each request's entity slice; full: the whole entity set, as that API requires unless the
caller slices). ratio = tollgate net / reference slice (the conservative figure).`);
  console.log('workload     | requests | tollgate e2e | tollgate net | ref slice | ref full | ratio | ratio e2e | ratio vs full | same answers');
  console.log('-------------|----------|--------------|--------------|-----------|----------|-------|-----------|---------------|-------------');
  for (const size of sizes) {
    const tg = j(`agent-${size}.tollgate.json`);
    const ref = j(`agent-${size}.reference.json`);
    const full = j(`agent-${size}.reference-full.json`);
    const cmp = j(`agent-${size}.compare.json`);
    const wall = median(tg.runs);
    const load = median(tg.loadRuns);
    const e2e = tg.requests / wall;
    const net = tg.requests / Math.max(wall - load, 1e-9);
    console.log(`${`agent-${size}`.padEnd(12)} | ${col(tg.distinct ?? tg.requests, 8)} | ${col(e2e, 12)} | ${col(net, 12)} | ` +
      `${col(ref?.rps, 9)} | ${col(full?.rps, 8, 1)} | ${ratio(ref ? net / ref.rps : null, 5)} | ${ratio(ref ? e2e / ref.rps : null, 9)} | ` +
      `${ratio(full ? net / full.rps : null, 13)} | ${cmp ? (cmp.disagreements === 0 ? 'yes' : `NO (${cmp.disagreements})`) : '-'}`);
  }
  const ctg = j('corpus.tollgate.json');
  const cref = j('corpus.reference.json');
  const corpusBench = medianOf('BM_Corpus');
  const corpusLine = medianOf('BM_CorpusRequestLine');
  if (ctg && cref) {
    const lineRps = corpusLine ? 1e6 / corpusLine.us : null;
    const e2e = cref.requests / median(ctg.runs);  // decisions made (the runner's tally also counts per-file checks)
    const refE2e = cref.requests / cref.wallSeconds;
    console.log(`${'corpus'.padEnd(12)} | ${col(cref.requests, 8)} | ${col(e2e, 12)} | ${col(lineRps, 12)} | ` +
      `${col(cref.rps, 9)} | ${'-'.padStart(8)} | ${ratio(lineRps ? lineRps / cref.rps : null, 5)} | ${ratio(e2e / refE2e, 9)} | ` +
      `${'-'.padStart(13)} | tollgate ${ctg.failed} failed, reference ${cref.mismatches} off the expected answers`);
    console.log(`corpus: tollgate e2e = \`tollgate cedar test\` over all ${fmt(cref.tests)} tests (reads and parses every file,
  decides, checks); tollgate net = 1 / BM_CorpusRequestLine median (parse the request against the test's
  schema, decide, render); reference = its per-request calls; ratio e2e = tollgate e2e / the reference's
  whole loop (${fmt(refE2e)} requests/s, reading and pre-parsing every test included).`);
  }

  console.log('\nThe same by CPU time (user + system) instead of elapsed time: steadier on a busy machine.');
  console.log('workload     | tollgate net r/s (CPU) | ref slice r/s (CPU) | ratio (CPU)');
  console.log('-------------|------------------------|---------------------|------------');
  for (const size of sizes) {
    const tg = j(`agent-${size}.tollgate.json`);
    const ref = j(`agent-${size}.reference.json`);
    const net = tg.requests / Math.max(median(tg.cpu) - median(tg.loadCpu), 1e-9);
    const refRps = ref ? ref.requests / ref.cpuSeconds : null;
    console.log(`${`agent-${size}`.padEnd(12)} | ${col(net, 22)} | ${col(refRps, 19)} | ${ratio(refRps ? net / refRps : null, 10)}`);
  }
  {
    const cref = j('corpus.reference.json');
    const line = medianOf('BM_CorpusRequestLine');
    if (cref?.cpuSeconds && line) {
      const net = 1e6 / line.cpuUs;
      const refRps = cref.requests / cref.cpuSeconds;
      console.log(`${'corpus'.padEnd(12)} | ${col(net, 22)} | ${col(refRps, 19)} | ${ratio(net / refRps, 10)}`);
    }
  }
  console.log('');

  if (bench) {
    console.log('\nGoogle Benchmark medians (tollgate_cedar_bench), µs per decision: elapsed (CPU)');
    console.log('policies | warm authorize | CLI line (parse + authorize + render) | candidates | in scope | allow %');
    console.log('---------|----------------|---------------------------------------|------------|----------|--------');
    const base = medianOf('BM_AuthorizeWarm/10');
    for (const size of [10, 100, 1000, 10000]) {
      const w = medianOf(`BM_AuthorizeWarm/${size}`);
      const l = medianOf(`BM_RequestLine/${size}`);
      if (!w) continue;
      const both = (m) => (m ? `${fmt(m.us, 2)} (${fmt(m.cpuUs, 2)})` : '-');
      console.log(`${String(size).padStart(8)} | ${both(w).padStart(14)} | ${both(l).padStart(37)} | ` +
        `${fmt(w.counters.candidates, 1).padStart(10)} | ${fmt(w.counters.in_scope, 1).padStart(8)} | ${fmt(w.counters.allow_pct, 1).padStart(6)}`);
    }
    const top = medianOf('BM_AuthorizeWarm/10000');
    if (base && top) {
      console.log(`growth 10 → 10,000 policies: ${fmt(top.us / base.us, 1)}× elapsed, ${fmt(top.cpuUs / base.cpuUs, 1)}× CPU`);
    }
    const ideal = [10, 100, 1000, 10000].map((size) => medianOf(`BM_IdealIndex/${size}`));
    if (ideal.every(Boolean)) {
      console.log(`with a perfect scope index (BM_IdealIndex, diagnostic): ${ideal.map((m) => `${fmt(m.us, 2)} (${fmt(m.cpuUs, 2)})`).join(', ')} µs; ` +
        `growth ${fmt(ideal[3].us / ideal[0].us, 1)}× elapsed, ${fmt(ideal[3].cpuUs / ideal[0].cpuUs, 1)}× CPU`);
    }
    const ms = (m) => `${fmt(m.us / 1000, 2)} ms (${fmt(m.cpuUs / 1000, 2)} CPU)`;
    const pr = medianOf('BM_ParseRequest');
    const le = medianOf('BM_LoadEntities');
    if (pr) console.log(`parse one request: ${fmt(pr.us, 2)} µs (${fmt(pr.cpuUs, 2)} CPU)`);
    if (le) console.log(`load ${fmt(le.counters.entities)} entities: ${ms(le)}`);
    for (const size of [10, 100, 1000, 10000]) {
      const p = medianOf(`BM_ParsePolicies/${size}`);
      if (p) console.log(`parse ${fmt(size)} policies: ${ms(p)}, ${fmt(p.counters.items_per_second)} policies per CPU second`);
    }
    if (corpusBench) {
      console.log(`corpus: ${fmt(corpusBench.us, 2)} (${fmt(corpusBench.cpuUs, 2)} CPU) µs per warm decision, ` +
        `${fmt(corpusLine?.us, 2)} (${fmt(corpusLine?.cpuUs, 2)} CPU) µs per request line, over ` +
        `${fmt(corpusBench.counters.requests)} requests (${fmt(corpusBench.counters.mismatches)} disagreements with the expected answers)`);
    }
  }
}

const [mode, ...rest] = process.argv.slice(2);
switch (mode) {
  case 'agent': agent(rest); break;
  case 'corpus': corpus(rest); break;
  case 'compare': compare(rest); break;
  case 'report': report(rest); break;
  default:
    console.error('usage: node bench/ref_bench.mjs agent|corpus|compare|report …');
    process.exit(2);
}
