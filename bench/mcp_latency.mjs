// The MCP gateway's added latency per tools/call, side by side: the same
// SDK client calls the same server (tests/e2e/mcp_test_server.mjs, tool
// `add`) directly and through `tollgate mcp`, against a fresh daemon on the
// baseline pack. Calls alternate between the two connections so that
// machine noise hits both alike; the figure is the difference of medians.
//
//   node bench/mcp_latency.mjs --tollgate BUILD/src/cli/tollgate [--calls 2000] [--durability disk|process]
//
// Needs the e2e packages (./dev deps). Prints one JSON line and a summary.
import { spawn } from 'node:child_process';
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
  console.error('usage: node bench/mcp_latency.mjs --tollgate PATH [--calls N] [--durability disk|process]');
  process.exit(2);
}
const tollgate = path.resolve(args.tollgate);
const calls = Number(args.calls || 2000);
const { Client } = await import(path.join(E2E, 'node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js'));
const { StdioClientTransport } = await import(path.join(E2E, 'node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js'));
const server = path.join(E2E, 'mcp_test_server.mjs');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-mcp-bench-'));
const env = { ...process.env, TOLLGATE_SOCKET: path.join(dir, 'tollgate.sock'), HOME: dir };
const durability = args.durability || 'disk';  // the flag is passed only when given (older builds lack it)
const serveArgs = ['serve', '--data', dir, ...(args.durability ? ['--durability', args.durability] : [])];
const daemon = spawn(tollgate, serveArgs, { env, stdio: 'ignore' });
for (let i = 0; i < 400 && !fs.existsSync(env.TOLLGATE_SOCKET); i++) await new Promise((r) => setTimeout(r, 25));

async function connect(command, cmdArgs) {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command, args: cmdArgs, env, cwd: dir }));
  await client.listTools();
  return client;
}
const direct = await connect('node', [server]);
const gated = await connect(tollgate, ['mcp', '--name', 'calc', '--', 'node', server]);

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
fs.rmSync(dir, { recursive: true, force: true });

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const out = {
  calls, durability,
  direct_p50_us: pct(times.direct, 0.5), gated_p50_us: pct(times.gated, 0.5),
  direct_p90_us: pct(times.direct, 0.9), gated_p90_us: pct(times.gated, 0.9),
};
out.added_p50_us = out.gated_p50_us - out.direct_p50_us;
console.log(JSON.stringify(out));
console.log(`added per tools/call: median ${out.added_p50_us.toFixed(0)} µs ` +
  `(direct ${out.direct_p50_us.toFixed(0)} µs, through the gateway ${out.gated_p50_us.toFixed(0)} µs; p90 ` +
  `${out.direct_p90_us.toFixed(0)} / ${out.gated_p90_us.toFixed(0)} µs) over ${calls} calls`);
