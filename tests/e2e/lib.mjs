// Shared helpers of the end-to-end tests: an isolated sandbox per test (its
// own HOME, workspace, daemon data directory and policy pack), a fresh
// `tollgate serve` that is always stopped at exit, child processes with
// deadlines, queries of the daemon's SQLite store, and checks that are all
// reported before the test fails.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(E2E_DIR, '../..');
export const SKIP = 77;  // SKIP_RETURN_CODE in tests/CMakeLists.txt

const children = new Set();
function killAll() {
  for (const c of children) {
    try { process.kill(-c.pid, 'SIGKILL'); } catch { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { killAll(); process.exit(128 + os.constants.signals[sig]); });
}

export function log(...args) { process.stdout.write(args.join(' ') + '\n'); }

export function parseArgs(argv = process.argv.slice(2)) {
  const opt = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) opt[argv[i].slice(2)] = argv[i + 1], i++;
  }
  if (!opt.tollgate) {
    process.stderr.write('usage: node <test>.mjs --tollgate PATH/TO/tollgate\n');
    process.exit(2);
  }
  opt.tollgate = path.resolve(opt.tollgate);
  return opt;
}

// The CLI's binary inside tests/e2e/node_modules, or a clean skip (exit 77)
// when `./dev deps` has not installed it. In CI a missing CLI is a failure.
export function requireCli(pkg, rel) {
  const bin = path.join(E2E_DIR, 'node_modules', rel);
  if (fs.existsSync(bin)) return bin;
  const msg = `${pkg} is not installed (${bin} is missing); run \`./dev deps\` (npm ci in tests/e2e)`;
  if (process.env.CI) {
    process.stderr.write(`FAIL: ${msg}\n`);
    process.exit(1);
  }
  log(`SKIP: ${msg}`);
  process.exit(SKIP);
}

// ---- checks -------------------------------------------------------------

export class Checks {
  constructor(name) { this.name = name; this.failures = []; this.passed = 0; this.todos = []; this.fixed = []; }
  ok(cond, what, detail) {
    if (cond) {
      this.passed++;
      log(`  ok   ${what}`);
    } else {
      this.failures.push(what);
      log(`  FAIL ${what}`);
      if (detail !== undefined) log(`       ${typeof detail === 'string' ? detail : JSON.stringify(detail, null, 2).replace(/\n/g, '\n       ')}`);
    }
    return !!cond;
  }
  includes(text, needle, what) {
    return this.ok(typeof text === 'string' && text.includes(needle), what, `expected to contain ${JSON.stringify(needle)}; got ${JSON.stringify(text)}`);
  }
  // A known gap in Tollgate (reported, not yet fixed): printed, not failed,
  // unless TOLLGATE_E2E_STRICT is set. When it starts to pass, the output
  // says so: make it an ok() check.
  todo(cond, what, detail) {
    if (cond) {
      this.fixed.push(what);
      log(`  FIXED? ${what} — this known gap now passes; make it a check`);
      return true;
    }
    if (process.env.TOLLGATE_E2E_STRICT) return this.ok(false, `(known gap) ${what}`, detail);
    this.todos.push(what);
    log(`  todo ${what}`);
    if (detail !== undefined) log(`       ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
    return false;
  }
  get failed() { return this.failures.length > 0; }
}

// ---- sandbox ------------------------------------------------------------

export function makeSandbox(name) {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `tollgate-e2e-${name}-`)));
  const sb = {
    root,
    home: path.join(root, 'home'),
    ws: path.join(root, 'ws'),
    data: path.join(root, 'data'),
    pack: path.join(root, 'pack'),
    logs: path.join(root, 'logs'),
  };
  for (const d of [sb.home, sb.ws, sb.data, sb.pack, sb.logs]) fs.mkdirSync(d, { recursive: true });
  // The tests' own pack against the daemon's current schema.
  fs.copyFileSync(path.join(ROOT, 'policies/baseline/schema.cedarschema'), path.join(sb.pack, 'schema.cedarschema'));
  fs.copyFileSync(path.join(E2E_DIR, 'policy/policies.cedar'), path.join(sb.pack, 'policies.cedar'));
  sb.socket = path.join(sb.data, 'tollgate.sock');
  sb.db = path.join(sb.data, 'tollgate.db');
  return sb;
}

// Replaces the sandbox's e2e pack with the baseline pack, as a user runs it
// (plus `extra` files: name → Cedar text).
export function useBaselinePack(sb, extra = {}) {
  fs.rmSync(path.join(sb.pack, 'policies.cedar'), { force: true });
  const baseline = path.join(ROOT, 'policies/baseline');
  for (const f of fs.readdirSync(baseline)) {
    if (f.endsWith('.cedar')) fs.copyFileSync(path.join(baseline, f), path.join(sb.pack, f));
  }
  for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(sb.pack, name), text);
}

// Removes the sandbox unless the test failed or TOLLGATE_E2E_KEEP is set.
export function finish(checks, sb) {
  killAll();
  if (checks.failed || process.env.TOLLGATE_E2E_KEEP) {
    log(`\nsandbox kept for inspection: ${sb.root}`);
  } else {
    fs.rmSync(sb.root, { recursive: true, force: true });
  }
  if (checks.todos.length) {
    log(`\n${checks.name}: ${checks.todos.length} known gap(s) in Tollgate, not failing the test (TOLLGATE_E2E_STRICT=1 makes them fail):`);
    for (const f of checks.todos) log(`  - ${f}`);
  }
  if (checks.failed) {
    log(`\n${checks.name}: ${checks.failures.length} check(s) failed, ${checks.passed} passed:`);
    for (const f of checks.failures) log(`  - ${f}`);
    process.exit(1);
  }
  log(`\n${checks.name}: all ${checks.passed} checks passed`);
  process.exit(0);
}

// A minimal environment: nothing of the developer's (API keys, config dirs)
// leaks into the agent, and its HOME is the sandbox's.
export function baseEnv(sb, extra = {}) {
  const env = {
    PATH: process.env.PATH,
    HOME: sb.home,
    USER: process.env.USER || 'root',
    LANG: 'C.UTF-8',
    TMPDIR: process.env.TMPDIR || '/tmp',
    TOLLGATE_SOCKET: sb.socket,
    NO_COLOR: '1',
    CI: '1',
  };
  for (const k of ['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']) if (process.env[k]) env[k] = process.env[k];
  return { ...env, ...extra };
}

// A copy of the tollgate binary inside the sandbox, for the hooks to run:
// a test can take it away (an upgrade or uninstall while an agent runs)
// and put it back. {path, remove(), restore()}
export function tollgateCopy(tollgate, sb) {
  const dir = path.join(sb.root, 'bin');
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, 'tollgate');
  fs.copyFileSync(tollgate, p);
  fs.chmodSync(p, 0o755);
  return {
    path: p,
    remove() { fs.renameSync(p, `${p}.away`); },
    restore() { if (fs.existsSync(`${p}.away`)) fs.renameSync(`${p}.away`, p); },
  };
}

// ---- processes ----------------------------------------------------------

// Runs a command to completion with a deadline; never blocks the event loop
// (the model server lives in this process).
export function run(cmd, args, { env, cwd, timeoutMs = 120000, input = null, name } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env, cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('error', (e) => { stderr += String(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      const ms = Date.now() - started;
      if (name) log(`  ran  ${name}: exit ${code}${signal ? ` (${signal})` : ''} in ${(ms / 1000).toFixed(1)}s${timedOut ? ' — TIMED OUT' : ''}`);
      resolve({ code, signal, stdout, stderr, timedOut, ms });
    });
    if (input !== null) child.stdin.end(input); else child.stdin.end();
  });
}

export async function waitFor(what, fn, deadlineMs = 30000, everyMs = 25) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// `tollgate serve` on the sandbox's data directory with the e2e pack; ready
// when `tollgate status` answers through the socket.
export async function startDaemon(tollgate, sb, extraArgs = []) {
  const out = fs.openSync(path.join(sb.logs, 'daemon.log'), 'a');
  const child = spawn(tollgate, ['serve', '--data', sb.data, '--policies', sb.pack, ...extraArgs],
    { env: baseEnv(sb), detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  children.add(child);
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; children.delete(child); });
  await waitFor('the daemon to answer on its socket', async () => {
    if (exited) throw new Error(`tollgate serve exited (${JSON.stringify(exited)}):\n${fs.readFileSync(path.join(sb.logs, 'daemon.log'), 'utf8')}`);
    if (!fs.existsSync(sb.socket)) return false;
    const r = await run(tollgate, ['status', '--socket', sb.socket], { env: baseEnv(sb), timeoutMs: 5000 });
    return r.code === 0;
  });
  return {
    child,
    async stop() {
      if (exited) return exited;
      try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ }
      try {
        await waitFor('the daemon to exit', () => exited, 15000);
      } catch {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
        await waitFor('the daemon to die', () => exited, 5000);
      }
      return exited;
    },
  };
}

export async function status(tollgate, sb) {
  const r = await run(tollgate, ['status', '--socket', sb.socket], { env: baseEnv(sb), timeoutMs: 5000 });
  if (r.code !== 0) return null;
  try { return JSON.parse(r.stdout); } catch { return null; }
}

// Rows of the daemon's event store, record parsed.
export function events(sb) {
  const r = spawnSync('sqlite3', ['-json', '-readonly', sb.db,
    'SELECT seq, ts_ms, session, kind, tool_use_id, effect, pack, record FROM events ORDER BY seq'], { encoding: 'utf8' });
  if (r.error) throw new Error(`sqlite3: ${r.error.message} (install the sqlite3 package: ./dev deps)`);
  if (r.status !== 0) throw new Error(`sqlite3 failed: ${r.stderr}`);
  const rows = r.stdout.trim() ? JSON.parse(r.stdout) : [];
  for (const row of rows) {
    try { row.record = JSON.parse(row.record); } catch { /* keep text */ }
  }
  return rows;
}

export function readJson(file) { return JSON.parse(fs.readFileSync(file, 'utf8')); }

export function summary(rows) {
  return rows.map((e) => `${e.seq} ${e.kind} ${e.tool_use_id || '-'} ${e.effect || '-'} ${e.record?.tool || ''} ${e.record?.event || ''}`).join('\n');
}

// ---- payload capture (for fixtures) ---------------------------------------

// With TOLLGATE_E2E_CAPTURE=DIR, every hook command in the harness's config
// is wrapped by capture_hook.mjs, which saves each event's JSON under
// DIR/<harness>/ before handing it to Tollgate unchanged.
export function maybeCapture(configFile, harness) {
  const dir = process.env.TOLLGATE_E2E_CAPTURE;
  if (!dir) return;
  const out = path.resolve(dir, harness);
  fs.mkdirSync(out, { recursive: true });
  const cfg = readJson(configFile);
  const wrap = (cmd) => `${process.execPath} ${path.join(E2E_DIR, 'capture_hook.mjs')} ${out} -- ${cmd}`;
  for (const groups of Object.values(cfg.hooks || {})) {
    for (const g of groups) for (const h of g.hooks || []) if (/ hook /.test(h.command)) h.command = wrap(h.command);
  }
  fs.writeFileSync(configFile, JSON.stringify(cfg, null, 2) + '\n');
  log(`  note capturing hook payloads into ${out}`);
}
