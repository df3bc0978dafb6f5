// The MCP gateway's added latency per tools/call, side by side: the same
// SDK client calls the same server (tool `add`) directly and through the
// gateway, against a fresh daemon on the baseline pack. Calls alternate
// between the two connections so that machine noise hits both alike; the
// figure is the difference of medians.
//
//   node bench/mcp_latency.mjs --tollgate BUILD/src/cli/tollgate [--calls 2000]
//        [--durability disk|process] [--transport stdio|relay|http|https]
//
// stdio (the default): tests/e2e/mcp_test_server.mjs over stdio, through
// `tollgate mcp`. relay: the same server behind `cat | server | cat`
// instead of the gateway — what two plain pipe hops cost on this machine,
// the floor under any gateway in its own process. http, https:
// bench/mcp_http_upstream.mjs over Streamable HTTP (https with a
// certificate made for the run), through `tollgate serve --http` at
// /mcp/calc.
//
// Needs the e2e packages (./dev deps). Prints one JSON line and a summary.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const E2E = path.join(ROOT, 'tests/e2e');
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.tollgate) {
  console.error('usage: node bench/mcp_latency.mjs --tollgate PATH [--calls N] [--durability disk|process] ' +
    '[--transport stdio|relay|http|https]');
  process.exit(2);
}
const tollgate = path.resolve(args.tollgate);
const calls = Number(args.calls || 2000);
const transport = args.transport || 'stdio';
if (!['stdio', 'relay', 'http', 'https'].includes(transport)) {
  console.error(`unknown --transport ${transport}`);
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-mcp-bench-'));
const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
if (transport === 'https' && !process.env.TOLLGATE_BENCH_CA) {
  // A certificate for localhost, trusted by the direct client (Node reads
  // NODE_EXTRA_CA_CERTS at start: the script runs again with it) and by
  // the gateway (the upstream's ca_file).
  const key = path.join(dir, 'key.pem'), cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
  { stdio: 'ignore' });
  const child = spawn(process.execPath, process.argv.slice(1),
    { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, TOLLGATE_BENCH_CA: dir } });
  const code = await new Promise((r) => child.on('exit', r));
  cleanup();
  process.exit(code ?? 1);
}
const certDir = process.env.TOLLGATE_BENCH_CA;
const sdk = (p) => import(path.join(E2E, 'node_modules/@modelcontextprotocol/sdk/dist/esm', p));
const { Client } = await sdk('client/index.js');
const { StdioClientTransport } = await sdk('client/stdio.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const server = path.join(E2E, 'mcp_test_server.mjs');

const env = { ...process.env, TOLLGATE_SOCKET: path.join(dir, 'tollgate.sock'), HOME: dir };
const durability = args.durability || 'disk';  // the flag is passed only when given (older builds lack it)
const children = [];
let upstreamUrl;
if (transport === 'http' || transport === 'https') {
  const tlsArgs = certDir ? ['--tls', path.join(certDir, 'key.pem'), path.join(certDir, 'cert.pem')] : [];
  const up = spawn('node', [path.join(HERE, 'mcp_http_upstream.mjs'), ...tlsArgs], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(up);
  const port = await new Promise((resolve, reject) => {
    let out = '';
    up.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    up.on('exit', () => reject(new Error('the upstream exited')));
  });
  upstreamUrl = `${certDir ? 'https' : 'http'}://localhost:${port}/mcp`;
  fs.writeFileSync(path.join(dir, 'mcp.json'), JSON.stringify({
    upstreams: [{ name: 'calc', url: upstreamUrl, ...(certDir ? { ca_file: path.join(certDir, 'cert.pem') } : {}) }],
  }));
}
const serveArgs = ['serve', '--data', dir, ...(args.durability ? ['--durability', args.durability] : [])];
if (upstreamUrl) serveArgs.push('--http', '127.0.0.1:0');
const daemon = spawn(tollgate, serveArgs, { env, stdio: ['ignore', 'ignore', 'pipe'] });
let daemonLog = '';
daemon.stderr.on('data', (d) => { daemonLog += d; });
for (let i = 0; i < 400 && !fs.existsSync(env.TOLLGATE_SOCKET); i++) await new Promise((r) => setTimeout(r, 25));

async function connect(t) {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(t);
  await client.listTools();
  return client;
}
const stdio = (command, cmdArgs) => new StdioClientTransport({ command, args: cmdArgs, env, cwd: dir });
let direct, gated;
if (upstreamUrl) {
  let api;
  for (let i = 0; i < 400 && !api; i++) {
    api = /API on (127\.0\.0\.1:\d+)/.exec(daemonLog)?.[1];
    if (!api) await new Promise((r) => setTimeout(r, 25));
  }
  if (!api) throw new Error(`the daemon did not say where its API is:\n${daemonLog}`);
  const token = fs.readFileSync(path.join(dir, 'http.token'), 'utf8').trim();
  direct = await connect(new StreamableHTTPClientTransport(new URL(upstreamUrl)));
  gated = await connect(new StreamableHTTPClientTransport(new URL(`http://${api}/mcp/calc`),
    { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
} else {
  direct = await connect(stdio('node', [server]));
  gated = await connect(transport === 'relay'
    ? stdio('sh', ['-c', `cat | node '${server}' | cat`])
    : stdio(tollgate, ['mcp', '--name', 'calc', '--', 'node', server]));
}

const times = { direct: [], gated: [] };
const one = async (client, key) => {
  const t0 = process.hrtime.bigint();
  const r = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  times[key].push(Number(process.hrtime.bigint() - t0) / 1000);
  if (r.isError) throw new Error(`${key}: ${JSON.stringify(r)}`);
};
for (let i = 0; i < 100; i++) { await one(direct, 'direct'); await one(gated, 'gated'); }  // warm-up
times.direct = []; times.gated = [];
for (let i = 0; i < calls; i++) { await one(direct, 'direct'); await one(gated, 'gated'); }
await direct.close();
await gated.close();
daemon.kill('SIGTERM');
await new Promise((r) => daemon.on('exit', r));
for (const c of children) c.kill('SIGTERM');
if (!certDir) cleanup();

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const out = {
  calls, durability, transport,
  direct_p50_us: pct(times.direct, 0.5), gated_p50_us: pct(times.gated, 0.5),
  direct_p90_us: pct(times.direct, 0.9), gated_p90_us: pct(times.gated, 0.9),
};
out.added_p50_us = out.gated_p50_us - out.direct_p50_us;
console.log(JSON.stringify(out));
console.log(`${transport}: added per tools/call: median ${out.added_p50_us.toFixed(0)} µs ` +
  `(direct ${out.direct_p50_us.toFixed(0)} µs, through the gateway ${out.gated_p50_us.toFixed(0)} µs; p90 ` +
  `${out.direct_p90_us.toFixed(0)} / ${out.gated_p90_us.toFixed(0)} µs) over ${calls} calls`);
