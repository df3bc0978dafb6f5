// Broker-issued credentials for a remote MCP server: `tollgate serve --http`
// in front of an upstream that accepts only tokens its provider minted
// (tests/e2e/mcp_auth_upstream.mjs). The upstream's entry in DATA/mcp.json
// names a broker credential of kind `command` (a mint script and a revoke
// script, as a real provider is plugged in), so the token is minted for the
// caller's task, never held by the client, reused while its lease lives and
// revoked when the task ends. Driven by the official SDK's Streamable HTTP
// client with the task token as its bearer.
//
//   node mcp_broker.test.mjs --tollgate PATH
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  Checks, E2E_DIR, baseEnv, events, finish, log, makeSandbox, parseArgs, run, startDaemon, useBaselinePack, waitFor,
} from './lib.mjs';

const opt = parseArgs();
const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
const t = new Checks('mcp_broker');
const sb = makeSandbox('mcp-broker');
useBaselinePack(sb);
const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

// The provider: mint prints a fresh token and registers it with the
// upstream; revoke (the secret on stdin) unregisters it.
const valid = path.join(sb.root, 'valid-tokens');
fs.writeFileSync(valid, '');
const script = (name, body) => {
  const p = path.join(sb.root, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
  return p;
};
const mint = script('mint', `tok="up-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \\n')"
echo "$TOLLGATE_LEASE_ID $tok" >> '${valid}'
echo "$tok"`);
const revoke = script('revoke', `tok=$(cat)
grep -v " $tok\\$" '${valid}' > '${valid}.new'; mv '${valid}.new' '${valid}'`);
fs.writeFileSync(path.join(sb.data, 'config.json'), JSON.stringify({
  credentials: { 'upstream-api': { kind: 'command', mint: [mint], revoke: [revoke], ttl: 600, timeout_ms: 5000 } },
}));
const upstreamPort = await freePort();
const upstream = spawn('node', [path.join(E2E_DIR, 'mcp_auth_upstream.mjs')],
  { env: { ...baseEnv(sb), PORT: String(upstreamPort), VALID_TOKENS: valid }, cwd: E2E_DIR,
    stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let upstreamLog = '';
upstream.stdout.on('data', (d) => { upstreamLog += d; });
upstream.stderr.on('data', (d) => { upstreamLog += d; });
fs.writeFileSync(path.join(sb.data, 'mcp.json'), JSON.stringify({
  upstreams: [{ name: 'provider', url: `http://127.0.0.1:${upstreamPort}/mcp`, credential: 'upstream-api' }],
}));

const cli = (args) => run(opt.tollgate, args, { env: baseEnv(sb), timeoutMs: 20000 });
const text = (r) => (r.content || []).map((c) => c.text || '').join('');
let daemon;
try {
  await waitFor('the upstream to listen', () => upstreamLog.includes('listening'), 30000);
  const apiPort = await freePort();
  daemon = await startDaemon(opt.tollgate, sb, ['--http', `127.0.0.1:${apiPort}`]);
  const url = new URL(`http://127.0.0.1:${apiPort}/mcp/provider`);
  const apiToken = fs.readFileSync(path.join(sb.data, 'http.token'), 'utf8').trim();
  t.ok((await cli(['agent', 'register', '--name', 'builder', '--harness', 'claude-code', '--owner', 'ana'])).code === 0,
    'an agent is registered');
  const start = async (grant) => {
    const r = await cli(['task', 'start', '--agent', 'builder', '--ticket', 'OPS-7', '--json',
      ...(grant ? ['--allow-label', 'cred:upstream-api'] : [])]);
    return JSON.parse(r.stdout);
  };
  const granted = await start(true);
  const ungranted = await start(false);
  const connect = async (bearer) => {
    const c = new Client({ name: 'tollgate-e2e', version: '1.0.0' });
    await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${bearer}` } } }));
    return c;
  };

  // The task that holds the grant: its calls reach the upstream with a minted token.
  const client = await connect(granted.token);
  const tools = (await client.listTools()).tools.map((x) => x.name);
  t.ok(tools.includes('whoami'), 'tools/list reaches the upstream with the broker credential', tools);
  const first = await client.callTool({ name: 'whoami', arguments: {} });
  const second = await client.callTool({ name: 'whoami', arguments: {} });
  t.ok(!first.isError && /authorized as lease-/.test(text(first)), 'a call is authorized by a minted lease', first);
  t.ok(text(first) === text(second), 'the lease is reused while it lives', [text(first), text(second)]);
  const minted = fs.readFileSync(valid, 'utf8').split('\n').filter(Boolean);
  t.ok(minted.length === 1, 'the provider was asked once for the whole session', minted);
  await client.close();

  // A caller without the task's grant, and one with the API token: no credential, no upstream request.
  const rejectedBefore = Number(await (await fetch(`http://127.0.0.1:${upstreamPort}/rejected`)).text());
  let refusal = '';
  try {
    const c2 = await connect(ungranted.token);
    await c2.listTools();
    await c2.close();
  } catch (e) { refusal = String(e.message || e); }
  log(`  refusal seen by the client: ${refusal}`);
  t.ok(/credential/.test(refusal) && /upstream-api/.test(refusal), 'a task without the grant is refused, and told why', refusal);
  let apiRefusal = '';
  try {
    const c3 = await connect(apiToken);
    await c3.listTools();
    await c3.close();
  } catch (e) { apiRefusal = String(e.message || e); }
  t.ok(/task/.test(apiRefusal), 'the API token gets no broker credential: only a task does', apiRefusal);
  const rejectedAfter = Number(await (await fetch(`http://127.0.0.1:${upstreamPort}/rejected`)).text());
  t.ok(rejectedAfter === rejectedBefore, 'the refused callers never reached the upstream', { rejectedBefore, rejectedAfter });

  // The task ends: its lease is revoked at the provider, and the gateway stops calling.
  t.ok((await cli(['task', 'end', granted.task])).code === 0, 'the task ends');
  t.ok(fs.readFileSync(valid, 'utf8').trim() === '', 'the revoke command withdrew the minted token at the provider',
    fs.readFileSync(valid, 'utf8'));
  let ended = '';
  try {
    const c4 = await connect(granted.token);
    const r = await c4.callTool({ name: 'whoami', arguments: {} });
    ended = text(r);
    await c4.close();
  } catch (e) { ended = String(e.message || e); }
  t.ok(!/authorized as/.test(ended), 'after the task ends its token reaches nothing', ended);

  // The records: the request, the issue (via the upstream) and the revocation; never the token.
  const rows = events(sb);
  const issues = rows.filter((e) => e.kind === 'cred_issue');
  t.ok(issues.length === 1 && issues[0].record.credential === 'upstream-api', 'one issue recorded', issues.map((e) => e.record));
  t.ok(rows.some((e) => e.kind === 'cred_request' && e.record.via === 'mcp:provider' && e.record.decision === 'deny'),
    'the refused request is recorded with the upstream it was for');
  t.ok(rows.some((e) => e.kind === 'cred_revoke' && e.record.revoked_why === 'task ended'), 'the revocation is recorded',
    rows.filter((e) => e.kind === 'cred_revoke').map((e) => e.record));
  const token = minted[0].split(' ')[1];
  const everything = JSON.stringify(rows) + fs.readFileSync(path.join(sb.logs, 'daemon.log'), 'utf8') +
    JSON.stringify([first, second, refusal, apiRefusal, ended]);
  t.ok(token && !everything.includes(token), 'the minted token is in no record, log or answer');
} catch (e) {
  t.ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  if (daemon) await daemon.stop();
  try { process.kill(-upstream.pid, 'SIGKILL'); } catch { /* gone */ }
}
finish(t, sb);
