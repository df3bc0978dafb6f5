#!/usr/bin/env node
// Differential tester: Tollgate's Cedar authorizer vs the reference cedar-wasm.
//
//   node tools/difftest/run.mjs --tollgate build/src/cli/tollgate [--cases N] [--seed S] [--out DIR]
//
// See README.md for every option and the reproduction workflow.

import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const SMOKE_CASES = 300;
const SMOKE_SEED = 20240601;
const MAX_FAIL_LINES = 200;
const REDUCE_PER_CLASS = 2; // per worker

// ---------------------------------------------------------------------------
// Options.

function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error(`usage: node tools/difftest/run.mjs --tollgate PATH [options]
  --tollgate PATH     the tollgate binary (required unless --reference-only)
  --cases N           number of cases (default 1000; --smoke: ${SMOKE_CASES})
  --seed S            run seed, a non-negative integer (default: random; --smoke: ${SMOKE_SEED})
  --out DIR           where disagreeing cases are written (default: difftest-out)
  --smoke             the CI configuration: ${SMOKE_CASES} cases, seed ${SMOKE_SEED}, --reduce 5
  --only I[,J…]       run only these case indices of the run seed
  --case-seed X       run the single case with this case seed (decimal or 0x…)
  --jobs N            worker threads (default 2)
  --reduce N          shrink at most N failing cases, at most 2 per kind of disagreement
                      and worker, 20 s each (default 25; 0 disables)
  --timeout MS        per-invocation timeout of tollgate (default 30000)
  --reference-only    do not run tollgate; print statistics about the generated cases
  --dump DIR          also write every case (passing or not) under DIR`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { cases: 1000, seed: null, out: 'difftest-out', jobs: 2, reduce: 25, timeout: 30000, only: null, caseSeed: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const num = (s) => {
      const n = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : Number(s);
      if (!Number.isSafeInteger(n) || n < 0) usage(`bad number for ${a}: ${s}`);
      return n;
    };
    switch (a) {
      case '--tollgate': o.tollgate = val(); break;
      case '--cases': o.cases = num(val()); break;
      case '--seed': o.seed = num(val()); break;
      case '--out': o.out = val(); break;
      case '--smoke': o.smoke = true; break;
      case '--only': o.only = val().split(',').map(num); break;
      case '--case-seed': o.caseSeed = num(val()); break;
      case '--jobs': o.jobs = Math.max(1, num(val())); break;
      case '--reduce': o.reduce = num(val()); break;
      case '--timeout': o.timeout = num(val()); break;
      case '--reference-only': o.referenceOnly = true; break;
      case '--dump': o.dump = val(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (o.smoke) {
    if (!argv.includes('--cases')) o.cases = SMOKE_CASES;
    if (o.seed === null) o.seed = SMOKE_SEED;
    if (!argv.includes('--reduce')) o.reduce = 5;
  }
  if (o.seed === null) o.seed = Math.floor(Math.random() * 2 ** 31);
  if (!o.referenceOnly) {
    if (!o.tollgate) usage('--tollgate is required');
    o.tollgate = path.resolve(o.tollgate);
    if (!fs.existsSync(o.tollgate)) usage(`no tollgate binary at ${o.tollgate}`);
  }
  o.out = path.resolve(o.out);
  if (o.dump) o.dump = path.resolve(o.dump);
  return o;
}

// ---------------------------------------------------------------------------
// Main thread: hand out cases, collect results, report.

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let tasks; // [{ index, caseSeed }]
  const { caseSeedOf } = await import('./gen.mjs');
  if (o.caseSeed !== null) tasks = [{ index: null, caseSeed: o.caseSeed >>> 0 }];
  else if (o.only) tasks = o.only.map((index) => ({ index, caseSeed: caseSeedOf(o.seed, index) }));
  else tasks = Array.from({ length: o.cases }, (_, index) => ({ index, caseSeed: caseSeedOf(o.seed, index) }));

  const { referenceVersion } = await import('./reference.mjs');
  console.log(`difftest: ${tasks.length} cases, seed ${o.seed}, reference cedar-wasm ${referenceVersion}, ` +
    `${o.referenceOnly ? 'reference only' : `tollgate ${o.tollgate}`}, ${o.jobs} jobs`);

  const jobs = Math.min(o.jobs, tasks.length) || 1;
  let next = 0;
  let done = 0;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let reducesLeft = o.reduce;
  const classes = new Map();
  const signatures = new Map(); // normalized first problem -> { n, dir }
  const stats = {};
  const t0 = Date.now();
  let lastProgress = t0;

  const progress = (force) => {
    const now = Date.now();
    if (!force && now - lastProgress < 10000) return;
    lastProgress = now;
    const rate = done / Math.max(1e-3, (now - t0) / 1000);
    const eta = rate > 0 ? Math.round((tasks.length - done) / rate) : 0;
    console.log(`progress: ${done}/${tasks.length} cases, ${failed} failed, ${skipped} skipped, ${rate.toFixed(1)} cases/s, eta ${eta}s`);
  };

  await new Promise((resolve, reject) => {
    let live = 0;
    let restarts = 0;
    const retry = [];
    const start = () => {
      const worker = new Worker(SELF, { workerData: { options: o, seed: o.seed } });
      live++;
      let trapped = false;
      let current = null;
      const feed = () => {
        if (retry.length || next < tasks.length) {
          const t = retry.length ? retry.pop() : tasks[next++];
          current = t;
          const reduce = reducesLeft > 0;
          worker.postMessage({ ...t, reduce });
        } else {
          worker.postMessage(null);
        }
      };
      worker.on('message', (m) => {
        if (m.trapped) {
          trapped = true;
          // The reference's memory may have been spoiled by earlier cases
          // (it grows over a long run): the case gets one more try on a new
          // instance before it counts as skipped.
          if (!current.retried) {
            retry.push({ ...current, retried: true });
            return;
          }
        }
        done++;
        if (m.status === 'pass') passed++;
        else if (m.status === 'skip') {
          skipped++;
          console.log(`skipped case ${m.label}: ${m.summary}`);
        } else {
          failed++;
          if (m.reduced) reducesLeft--;
          if (failed <= MAX_FAIL_LINES) console.log(`FAIL ${m.summary}\n     -> ${m.dir}`);
          else if (failed === MAX_FAIL_LINES + 1) console.log(`(further failures are not listed; see ${o.out})`);
          for (const c of m.classes) classes.set(c, (classes.get(c) || 0) + 1);
          const g = signatures.get(m.signature) || { n: 0, dir: m.dir };
          g.n++;
          if (m.reduced && !g.reduced) Object.assign(g, { dir: m.dir, reduced: true });
          signatures.set(m.signature, g);
        }
        if (m.stats) for (const [k, v] of Object.entries(m.stats)) stats[k] = (stats[k] || 0) + v;
        progress(false);
        if (!trapped) feed();
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        live--;
        if (code !== 0) return reject(new Error(`worker exited with ${code}`));
        if (trapped && (retry.length || next < tasks.length)) {
          restarts++;
          console.log(`the reference trapped; worker ${restarts > 1 ? `restarted ${restarts} times` : 'restarted'}`);
          return start();
        }
        if (live === 0) resolve();
      });
      feed();
    };
    for (let w = 0; w < jobs; w++) start();
  });

  progress(true);
  if (o.referenceOnly) printStats(stats);
  if (classes.size) {
    console.log('disagreements by class:');
    for (const [c, n] of [...classes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${c}`);
    console.log('distinct disagreements (first problem of each case, normalized), with an example:');
    const sigs = [...signatures].sort((a, b) => b[1].n - a[1].n);
    for (const [sig, g] of sigs.slice(0, 40)) console.log(`  ${String(g.n).padStart(6)}  ${sig}\n          e.g. ${g.dir}`);
    if (sigs.length > 40) console.log(`  … and ${sigs.length - 40} more`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`elapsed ${secs}s; seed ${o.seed}${failed ? `; failing cases in ${o.out}` : ''}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

function printStats(s) {
  const pct = (a, b) => (b ? ((100 * a) / b).toFixed(1) + '%' : '-');
  console.log(`cases: ${s.cases || 0}; by outcome:`);
  for (const k of Object.keys(s).filter((k) => k.startsWith('case:')).sort()) console.log(`  ${k.slice(5).padEnd(28)} ${s[k]}`);
  console.log(`requests: ${s.requests || 0}; allow ${pct(s.allow, s.requests)}, with policy errors ${pct(s.withErrors, s.requests)}, ` +
    `rejected requests ${pct(s.requestErrors, s.requests)}, non-empty reason ${pct(s.withReason, s.requests)}`);
}

// ---------------------------------------------------------------------------
// Worker: generate, evaluate with the reference, run tollgate, compare.

async function worker() {
  const { options: o } = workerData;
  const gen = await import('./gen.mjs');
  const ref = await import('./reference.mjs');
  const tmp = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'difftest-'));
  const files = {
    policies: path.join(tmp, 'policies.cedar'),
    entities: path.join(tmp, 'entities.json'),
    links: path.join(tmp, 'links.json'),
    requests: path.join(tmp, 'requests.jsonl'),
    stdout: path.join(tmp, 'stdout'),
    stderr: path.join(tmp, 'stderr'),
  };

  const writeInputs = (dir, c) => {
    fs.writeFileSync(path.join(dir, 'policies.cedar'), c.policyText);
    fs.writeFileSync(path.join(dir, 'entities.json'), c.entitiesText);
    fs.writeFileSync(path.join(dir, 'links.json'), gen.toJson(c.links) + '\n');
    fs.writeFileSync(path.join(dir, 'requests.jsonl'), c.requests.map((r) => gen.requestLine(r) + '\n').join(''));
  };

  const shell = new Shell();
  const reducedPerClass = new Map();
  const runTollgate = async (c) => {
    writeInputs(tmp, c);
    const args = ['cedar', 'authorize', '--policies', files.policies, '--entities', files.entities];
    if (c.links.length || c.kind === 'badLinks') args.push('--links', files.links);
    args.push('--requests', files.requests);
    let r = await shell.run(o.tollgate, args, files.stdout, files.stderr, o.timeout);
    // A binary that cannot be started at all (e.g. being relinked by a
    // concurrent build) is retried for a few seconds before counting.
    for (let tries = 0; tries < 10 && r.error && r.error.startsWith('cannot run'); tries++) {
      await new Promise((res) => setTimeout(res, 1000));
      r = await shell.run(o.tollgate, args, files.stdout, files.stderr, o.timeout);
    }
    const read = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };
    return { ...r, stdout: read(files.stdout), stderr: read(files.stderr), args };
  };

  // Compare; returns a list of problems { cls, msg, request? }.
  const compare = (c, exp, act) => {
    const probs = [];
    const stderr1 = (act.stderr.split('\n').find((l) => l.trim()) || '').split(tmp + path.sep).join('');
    if (act.error || act.signal || (act.status !== 0 && act.status !== 2)) {
      const how = act.error ? act.error : act.signal ? `signal ${act.signal}` : `exit ${act.status}`;
      probs.push({ cls: 'crash', msg: `tollgate crashed (${how}) ${stderr1}`.trim() });
      return probs;
    }
    if (exp.status === 'parseError') {
      if (act.status !== 2) probs.push({ cls: `accepts-invalid-${exp.what}`, msg: `reference rejects the ${exp.what} (${exp.message}) but tollgate exited 0` });
      else if (!act.stderr.trim()) probs.push({ cls: 'no-diagnostics', msg: 'exit 2 with nothing on stderr' });
      return probs;
    }
    if (act.status === 2) {
      probs.push({ cls: 'rejects-valid-input', msg: `tollgate exited 2 but the reference accepts the input: ${stderr1}` });
      return probs;
    }
    const lines = act.stdout.split('\n').filter((l) => l.trim() !== '');
    if (lines.length !== exp.results.length) {
      probs.push({ cls: 'output-lines', msg: `${lines.length} output lines for ${exp.results.length} requests` });
    }
    exp.results.forEach((e, k) => {
      if (k >= lines.length) return;
      let a;
      try {
        a = JSON.parse(lines[k]);
      } catch {
        probs.push({ cls: 'output-json', msg: `request ${k}: output is not JSON: ${lines[k].slice(0, 120)}`, request: k });
        return;
      }
      if (e.error !== undefined || a.error !== undefined) {
        if (e.error !== undefined && a.error === undefined) probs.push({ cls: 'accepts-invalid-request', msg: `request ${k}: reference rejects the request (${e.error}) but tollgate answered ${a.decision}`, request: k });
        if (e.error === undefined && a.error !== undefined) probs.push({ cls: 'rejects-valid-request', msg: `request ${k}: tollgate rejects the request (${a.error}); reference: ${e.decision}`, request: k });
        return;
      }
      if (!a || (a.decision !== 'allow' && a.decision !== 'deny') || !Array.isArray(a.reason) || !Array.isArray(a.errors)) {
        probs.push({ cls: 'output-shape', msg: `request ${k}: malformed answer ${lines[k].slice(0, 120)}`, request: k });
        return;
      }
      const aReason = [...new Set(a.reason)].sort();
      const aErrors = [...new Set(a.errors.map((x) => (x && typeof x === 'object' ? x.policy : x)))].sort();
      const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
      if (e.decision !== a.decision) probs.push({ cls: 'decision', msg: `request ${k}: decision ${a.decision}, reference ${e.decision}`, request: k });
      if (!same(e.reason, aReason)) probs.push({ cls: 'reason', msg: `request ${k}: reason [${aReason}], reference [${e.reason}]`, request: k });
      if (!same(e.errors, aErrors)) {
        const extra = aErrors.filter((x) => !e.errors.includes(x));
        const missing = e.errors.filter((x) => !aErrors.includes(x));
        const detail = [
          ...extra.map((id) => `${id} errs only in tollgate (${(a.errors.find((x) => x.policy === id) || {}).message})`),
          ...missing.map((id) => `${id} errs only in reference (${e.messages[id]})`),
        ].join('; ');
        probs.push({ cls: 'errors', msg: `request ${k}: ${detail}`, request: k });
      }
    });
    return probs;
  };

  const expectationOf = (c) => {
    const r = ref.evaluate(c);
    if (r.status === 'parseError') r.what = r.message.split(':')[0]; // policies | links | entities
    return r;
  };

  const expectedLines = (exp) => {
    if (exp.status === 'parseError') return `${JSON.stringify({ exit: 2, reference: exp.message })}\n`;
    return exp.results.map((e) => JSON.stringify(e.error !== undefined ? { error: e.error } : {
      decision: e.decision,
      reason: e.reason,
      errors: e.errors.map((id) => ({ policy: id, message: e.messages[id] })),
    }) + '\n').join('');
  };

  const check = async (c) => {
    const exp = expectationOf(c);
    if (exp.status === 'inconclusive') return { exp, act: null, probs: null };
    const act = await runTollgate(c);
    return { exp, act, probs: compare(c, exp, act) };
  };

  // ---- reducer: shrink a failing case while it keeps failing the same way.
  const reduce = async (c, probs) => {
    const want = probs.map((p) => p.cls).sort()[0];
    let budget = 400; // candidate runs
    const deadline = Date.now() + 20000;
    let cur = c;
    const tryCand = async (cand) => {
      if (budget <= 0 || Date.now() > deadline) return false;
      budget--;
      cand = gen.renderCase(cand);
      const r = await check(cand);
      if (r.probs && r.probs.some((p) => p.cls === want)) {
        cur = cand;
        return true;
      }
      return false;
    };
    // Requests: keep the first failing one (or the first one if the failure is case-wide).
    const req = probs.find((p) => p.cls === want && p.request !== undefined);
    if (cur.requests.length > 1) await tryCand({ ...cur, requests: [cur.requests[req ? req.request : 0]] });

    // Policies, renumbered after each removal; links follow their templates.
    const without = (cc, i) => {
      const ids = new Map();
      const policies = [];
      cc.policies.forEach((p, j) => {
        if (j === i) return;
        const id = `policy${policies.length}`;
        ids.set(p.id, id);
        policies.push({ ...p, id });
      });
      const links = cc.links.filter((l) => ids.has(l.templateId) || !/^policy\d+$/.test(l.templateId))
        .map((l) => (ids.has(l.templateId) ? { ...l, templateId: ids.get(l.templateId) } : l));
      return { ...cc, policies, joiners: null, links };
    };
    const setPolicyText = (i, text) => ({ ...cur, policies: cur.policies.map((p, j) => (j === i ? { ...p, text } : p)) });

    // JSON values (entities, contexts) are shrunk structurally: drop array
    // elements and object members, outermost first.
    const jsonOf = (v) => { try { return gen.parseJson(gen.toJson(v)); } catch { return null; } };
    const kids = (v) => (Array.isArray(v) ? v.map((_, i) => i) : v instanceof gen.JObj ? v.entries.map((_, i) => i) : []);
    const child = (v, k) => (Array.isArray(v) ? v[k] : v.entries[k][1]);
    const pathsAt = (v, depth, prefix = [], out = []) => {
      if (depth === 0) { for (const k of kids(v)) out.push([...prefix, k]); return out; }
      for (const k of kids(v)) pathsAt(child(v, k), depth - 1, [...prefix, k], out);
      return out;
    };
    const removeAt = (v, path) => {
      const [k, ...rest] = path;
      if (Array.isArray(v)) return rest.length ? v.map((x, i) => (i === k ? removeAt(x, rest) : x)) : v.filter((_, i) => i !== k);
      return new gen.JObj(rest.length ? v.entries.map(([n, x], i) => [n, i === k ? removeAt(x, rest) : x]) : v.entries.filter((_, i) => i !== k));
    };
    const shrinkJson = async (root, rebuild) => {
      let v = root;
      for (let depth = 0; depth < 8 && budget > 0 && Date.now() < deadline; depth++) {
        const paths = pathsAt(v, depth);
        if (!paths.length) break;
        for (const p of paths.reverse()) {
          const cand = removeAt(v, p);
          if (await tryCand(rebuild(cand))) v = cand;
        }
      }
      return v;
    };

    for (let pass = 0; pass < 2 && budget > 0 && Date.now() < deadline; pass++) {
      for (let i = cur.policies.length - 1; i >= 0; i--) if (cur.policies.length > 1) await tryCand(without(cur, i));
      const trivial = 'permit(principal, action, resource);';
      if (cur.policies.length === 1 && cur.policies[0].text !== trivial) {
        await tryCand({ ...cur, policies: [{ id: 'policy0', text: trivial, template: false }], joiners: null, links: [] });
      }
      // Request entities: plain ones instead of whatever was generated.
      for (let i = 0; i < cur.requests.length; i++) {
        for (const [k, v] of [['principal', '{"type":"User","id":"u"}'], ['action', '{"type":"Action","id":"a"}'], ['resource', '{"type":"Doc","id":"d"}']]) {
          if (cur.requests[i][k] !== v) await tryCand({ ...cur, requests: cur.requests.map((x, j) => (j === i ? { ...x, [k]: v } : x)) });
        }
      }
      for (let i = cur.links.length - 1; i >= 0; i--) await tryCand({ ...cur, links: cur.links.filter((_, j) => j !== i) });
      // Policy text: drop annotations and comments, open up static scopes, drop clauses.
      for (let i = 0; i < cur.policies.length; i++) {
        const t = cur.policies[i].text;
        const bare = t.replace(/^(\s*(\/\/[^\n]*\n|@\w+(\("(?:[^"\\]|\\.)*"\))?\s*))+/, '');
        if (bare !== t) await tryCand(setPolicyText(i, bare));
        const parts = splitClauses(cur.policies[i].text);
        const m = /^(\s*)(permit|forbid)\s*\(/.exec(cur.policies[i].text);
        if (!cur.policies[i].template && m) {
          const rest = parts ? parts.clauses.join('') : '';
          const open = `${m[2]}(principal, action, resource)${rest};`;
          if (open !== cur.policies[i].text) await tryCand(setPolicyText(i, open));
        }
        const now = splitClauses(cur.policies[i].text);
        if (!now) continue;
        for (let k = now.clauses.length - 1; k >= 0; k--) {
          const q = splitClauses(cur.policies[i].text);
          if (!q || k >= q.clauses.length) continue;
          await tryCand(setPolicyText(i, q.head + q.clauses.filter((_, j) => j !== k).join('') + ';'));
        }
      }
      const ents = jsonOf(cur.entities);
      if (ents && Array.isArray(ents)) await shrinkJson(ents, (e) => ({ ...cur, entities: e, prettyEntities: true }));
      for (let i = 0; i < cur.requests.length; i++) {
        let ctx;
        try { ctx = gen.parseJson(cur.requests[i].context); } catch { continue; }
        const withCtx = (v) => ({ ...cur, requests: cur.requests.map((x, j) => (j === i ? { ...x, context: gen.toJson(v) } : x)) });
        await shrinkJson(ctx, withCtx);
      }
    }
    return gen.renderCase(cur);
  };

  const writeCase = (dir, c, exp, act, summary) => {
    fs.mkdirSync(dir, { recursive: true });
    writeInputs(dir, c);
    fs.writeFileSync(path.join(dir, 'expected.jsonl'), expectedLines(exp));
    if (act) {
      fs.writeFileSync(path.join(dir, 'actual.jsonl'), act.stdout);
      fs.writeFileSync(path.join(dir, 'stderr.txt'), `exit ${act.signal || act.status}\n${act.stderr}`);
    }
    fs.writeFileSync(path.join(dir, 'summary.txt'), summary + '\n');
  };

  const stats = (c, exp) => {
    const s = { cases: 1, [`case:${c.kind}:${exp.status}`]: 1 };
    if (exp.status === 'ok') {
      for (const r of exp.results) {
        s.requests = (s.requests || 0) + 1;
        if (r.error !== undefined) { s.requestErrors = (s.requestErrors || 0) + 1; continue; }
        if (r.decision === 'allow') s.allow = (s.allow || 0) + 1;
        if (r.errors.length) s.withErrors = (s.withErrors || 0) + 1;
        if (r.reason.length) s.withReason = (s.withReason || 0) + 1;
      }
    }
    return s;
  };

  const finish = () => {
    shell.close();
    fs.rmSync(tmp, { recursive: true, force: true });
    parentPort.close();
  };
  parentPort.on('message', async (task) => {
    if (task === null) return finish();
    const { index, caseSeed } = task;
    const label = index === null ? `seed 0x${caseSeed.toString(16)}` : `${workerData.seed}/${index}`;
    const name = index === null ? `case-0x${caseSeed.toString(16)}` : `case-${workerData.seed}-${index}`;
    const c = gen.generateCase(caseSeed);
    const ident = `case ${label} (case seed 0x${caseSeed.toString(16).padStart(8, '0')}, ${c.kind})`;
    if (o.referenceOnly) {
      const exp = expectationOf(c);
      if (o.dump) writeCase(path.join(o.dump, name), c, exp, null, ident);
      parentPort.postMessage({ status: exp.status === 'inconclusive' ? 'skip' : 'pass', label, summary: exp.message, stats: stats(c, exp) });
      return;
    }
    const { exp, act, probs } = await check(c);
    if (!probs) {
      parentPort.postMessage({ status: 'skip', label, summary: exp.message, trapped: !!exp.trapped });
      // A trap corrupts the reference's wasm instance: every later call
      // would trap too. This worker ends; the main thread starts a new one.
      if (exp.trapped) finish();
      return;
    }
    if (o.dump) writeCase(path.join(o.dump, name), c, exp, act, `${ident}: ${probs.length ? probs[0].msg : 'pass'}`);
    if (!probs.length) {
      parentPort.postMessage({ status: 'pass' });
      return;
    }
    const summary = `${ident}: ${probs[0].msg}${probs.length > 1 ? ` (+${probs.length - 1} more)` : ''}`;
    const dir = path.join(o.out, name);
    let reduced = false;
    const sig = signature(probs);
    if (task.reduce && (reducedPerClass.get(sig) || 0) < REDUCE_PER_CLASS) {
      reducedPerClass.set(sig, (reducedPerClass.get(sig) || 0) + 1);
      const small = await reduce(c, probs);
      const r = await check(small);
      if (r.probs && r.probs.length) {
        const s = `${ident}, reduced: ${r.probs[0].msg}${r.probs.length > 1 ? ` (+${r.probs.length - 1} more)` : ''}`;
        writeCase(dir, small, r.exp, r.act, s);
        writeCase(path.join(dir, 'original'), c, exp, act, summary);
        reduced = true;
      }
    }
    if (!reduced) writeCase(dir, c, exp, act, summary);
    parentPort.postMessage({ status: 'fail', label, summary, dir, reduced, signature: sig, classes: [...new Set(probs.map((p) => p.cls))] });
  });
}

/**
 * Runs commands through one long-lived /bin/sh. Forking the (large,
 * multi-threaded) Node process for every invocation costs more kernel time
 * than Tollgate itself needs; the shell is small and forks cheaply.
 */
class Shell {
  constructor() {
    this.proc = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc.stdout.setEncoding('utf8');
    this.buf = '';
    this.pending = null;
    this.proc.stdout.on('data', (d) => {
      this.buf += d;
      const m = /__difftest_rc=(\d+)\n/.exec(this.buf);
      if (m && this.pending) {
        this.buf = this.buf.slice(m.index + m[0].length);
        const p = this.pending;
        this.pending = null;
        p(Number(m[1]));
      }
    });
    this.proc.on('exit', (code) => {
      if (this.pending) throw new Error(`helper shell exited (${code})`);
    });
  }

  /** Run cmd with args, stdout/stderr to files; resolves to { status, signal, error }. */
  run(cmd, args, outFile, errFile, timeoutMs) {
    const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
    const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
    const line = `timeout -k 2 ${secs} ${[cmd, ...args].map(q).join(' ')} </dev/null >${q(outFile)} 2>${q(errFile)}; echo "__difftest_rc=$?"\n`;
    return new Promise((resolve) => {
      this.pending = (rc) => {
        if (rc === 124 || rc === 137) resolve({ status: null, signal: null, error: `timed out after ${secs}s` });
        else if (rc === 126 || rc === 127) resolve({ status: null, signal: null, error: `cannot run ${cmd} (exit ${rc})` });
        else if (rc > 128) resolve({ status: null, signal: `signal ${rc - 128}`, error: null });
        else resolve({ status: rc, signal: null, error: null });
      };
      this.proc.stdin.write(line);
    });
  }

  close() {
    this.proc.stdin.end();
  }
}

/** A failure's first problem with names, numbers and positions blanked out. */
function signature(probs) {
  const p = probs[0];
  const msg = p.msg
    .replace(/^request \d+: /, '')
    .replace(/`[^`]*`/g, '_')
    .replace(/"(?:[^"\\]|\\.)*"/g, '_')
    .replace(/\d+/g, 'N')
    .slice(0, 160);
  return `${p.cls}: ${msg}`;
}

/** Split "HEAD\nwhen { … }\nunless { … };" into head and clause strings, or null. */
function splitClauses(text) {
  const m = /^([\s\S]*?\))(\s*(?:when|unless)\s*\{[\s\S]*)?;\s*$/.exec(text);
  if (!m || !m[2]) return null;
  // The generator puts each clause on its own line ("\nwhen { … }"); the
  // boundary "}\nwhen {" / "}\nunless {" never occurs inside an expression.
  const clauses = m[2].split(/(?<=\})(?=\n(?:when|unless) \{)/);
  return { head: m[1], clauses };
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(3);
  });
} else {
  worker();
}
