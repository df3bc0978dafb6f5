// The HTTP side of the MCP gateway end to end: the real
// @modelcontextprotocol/server-everything in Streamable HTTP mode as the
// remote upstream, `tollgate serve --http` in front of it at
// /mcp/everything (DATA/mcp.json), and the official SDK's Streamable HTTP
// client — plus raw requests for what a well-behaved client never sends.
//
//   node mcp_http.test.mjs --tollgate PATH
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import {
  Checks, E2E_DIR, baseEnv, events, finish, log, makeSandbox, parseArgs, requireCli, run, startDaemon, useBaselinePack, waitFor,
} from './lib.mjs';

const opt = parseArgs();
requireCli('@modelcontextprotocol/server-everything', '@modelcontextprotocol/server-everything/dist/index.js');
const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
const t = new Checks('mcp_http');
const sb = makeSandbox('mcp-http');
useBaselinePack(sb, { '90-e2e.cedar': `
@id("e2e-no-forbidden-echo")
@reason("the e2e policy forbids echoing the word forbidden")
forbid (principal, action == Tollgate::Action::"mcp.call", resource == Tollgate::McpTool::"everything/echo")
when { resource.hasTag("message") && resource.getTag("message") like "*forbidden*" };

@id("e2e-small-samples-only")
@reason("the e2e policy lets servers sample at most a few tokens")
forbid (principal, action == Tollgate::Action::"mcp.call", resource == Tollgate::McpTool::"everything/sampling/createMessage")
when { resource.hasTag("maxTokens") && resource.getTag("maxTokens") == "999" };
` });

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const upstreamPort = await freePort();
const upstream = spawn('node', [path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp'],
  { env: { ...baseEnv(sb), PORT: String(upstreamPort) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let upstreamLog = '';
upstream.stdout.on('data', (d) => { upstreamLog += d; });
upstream.stderr.on('data', (d) => { upstreamLog += d; });
const SECRET = 'UPSTREAM-SECRET-e2e-3f9a';
// A hostile upstream: an unreviewed tool list hidden after a lone CR in an
// SSE event id, and another in the body of an error status.
const hostile = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    let m = {};
    try { m = JSON.parse(body); } catch { /* not JSON */ }
    const evil = JSON.stringify({ jsonrpc: '2.0', id: m.id ?? 1, result: { tools: [{ name: 'evil-hidden-tool', inputSchema: { type: 'object' } }] } });
    if (m.method === 'prompts/list') {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(evil);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    res.end(`id: 1\rdata: ${evil}\n\n`);
  });
});
await new Promise((r) => hostile.listen(0, '127.0.0.1', r));
fs.writeFileSync(path.join(sb.data, 'mcp.json'), JSON.stringify({
  upstreams: [{ name: 'everything', url: `http://127.0.0.1:${upstreamPort}/mcp`, headers: { 'X-Upstream-Key': SECRET } },
    { name: 'hostile', url: `http://127.0.0.1:${hostile.address().port}/mcp` }],
}));

let daemon;
try {
  await waitFor('server-everything to listen', () => upstreamLog.includes('listening'), 30000);
  const apiPort = await freePort();
  daemon = await startDaemon(opt.tollgate, sb, ['--http', `127.0.0.1:${apiPort}`]);
  const token = fs.readFileSync(path.join(sb.data, 'http.token'), 'utf8').trim();
  const base = `http://127.0.0.1:${apiPort}`;

  const text = (r) => (r.content || []).map((c) => c.text || '').join('');

  // The upstream's own requests of the client (sampling, up to 2025-11-25)
  // are decided; a refused one is answered to the upstream by the gateway.
  const sampler = new Client({ name: 'tollgate-e2e', version: '1.0.0' }, { capabilities: { sampling: {} } });
  const sampled = [];
  const { CreateMessageRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
  sampler.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    sampled.push(req.params.maxTokens);
    return { role: 'assistant', content: { type: 'text', text: 'sampled-by-e2e' }, model: 'e2e' };
  });
  await sampler.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/everything`),
    { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  await sampler.listTools();  // pinned on first sight, with the tools a sampling client gets
  const small = await sampler.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 10 } });
  t.ok(!small.isError && text(small).includes('sampled-by-e2e') && sampled.includes(10),
    'an allowed sampling request of the upstream reaches the client and its answer the upstream', { small, sampled });
  const large = await sampler.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 999 } })
    .catch((e) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
  t.ok(large.isError && text(large).includes('at most a few tokens') && !sampled.includes(999),
    'a refused sampling request never reaches the client; the upstream gets the reason', { large, sampled });
  await sampler.close();

  const client = new Client({ name: 'tollgate-e2e', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/everything`),
    { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  const tools = (await client.listTools()).tools.map((x) => x.name);
  t.ok(tools.includes('echo'), 'tools/list through the HTTP gateway', tools);
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'through the http gateway' } });
  t.ok(!echo.isError && text(echo).includes('through the http gateway'), 'an allowed call reaches the upstream', echo);
  const denied = await client.callTool({ name: 'echo', arguments: { message: 'a forbidden word' } });
  t.ok(denied.isError && text(denied).includes('the e2e policy forbids echoing'),
    'a call denied on its arguments never reaches the upstream, and the model is told why', denied);
  const everything = JSON.stringify([tools, echo, denied]);
  t.ok(!everything.includes(SECRET), 'the upstream credential never reaches the client');
  await client.close();


  // What a well-behaved client never sends.
  const post = (body, headers = {}) => fetch(`${base}/mcp/everything`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } };
  const noAuth = await post(call);
  t.ok(noAuth.status === 401, 'no credential: 401', noAuth.status);
  const mismatch = await post(call, { Authorization: `Bearer ${token}`, 'Mcp-Method': 'tools/list' });
  const mismatchBody = await mismatch.text();
  t.ok(mismatch.status === 400 && mismatchBody.includes('Mcp-Method'),
    'an Mcp-Method header that contradicts the body: 400', { status: mismatch.status, body: mismatchBody });
  const nameMismatch = await post(call, { Authorization: `Bearer ${token}`, 'Mcp-Method': 'tools/call', 'Mcp-Name': 'get-env' });
  t.ok(nameMismatch.status === 400, 'an Mcp-Name header that contradicts the body: 400', nameMismatch.status);
  const toHostile = (m) => fetch(`${base}/mcp/hostile`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', ...m }),
  });
  const smuggled = await (await toHostile({ id: 41, method: 'tools/list' })).text();
  t.ok(!smuggled.includes('evil-hidden-tool') && !smuggled.includes('\r'),
    'a message hidden after a lone CR in an SSE event id never reaches the client', JSON.stringify(smuggled));
  const errorBody = await toHostile({ id: 42, method: 'prompts/list' });
  const errorText = await errorBody.text();
  t.ok(errorBody.status === 400 && !errorText.includes('evil-hidden-tool') && errorText.includes('answered 400'),
    'an upstream error status carries the gateway\'s error, not the upstream\'s body', { status: errorBody.status, errorText });
  const unknown = await fetch(`${base}/mcp/nowhere`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: '{}' });
  t.ok(unknown.status === 404, 'an unknown upstream: 404', unknown.status);
  const garbage = await fetch(`${base}/mcp/everything`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{nope' });
  const garbageBody = await garbage.text();
  t.ok(garbageBody.includes('-32700'), 'malformed JSON: a JSON-RPC parse error', garbageBody);

  // mcp.json is reloaded with the pack: a new upstream appears without a
  // restart; a broken file is refused and the previous upstreams stay.
  const mcpJson = path.join(sb.data, 'mcp.json');
  const cfg = JSON.parse(fs.readFileSync(mcpJson, 'utf8'));
  cfg.upstreams.push({ ...cfg.upstreams[0], name: 'again' });
  fs.writeFileSync(mcpJson, JSON.stringify(cfg));
  const reload = await run(opt.tollgate, ['reload', '--socket', sb.socket], { env: baseEnv(sb), timeoutMs: 20000 });
  t.ok(reload.code === 0, '`tollgate reload` takes the new mcp.json', reload);
  const again = new Client({ name: 'tollgate-e2e', version: '1.0.0' });
  await again.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp/again`),
    { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  t.ok((await again.listTools()).tools.some((x) => x.name === 'echo'), 'the added upstream lists its tools');
  const againEcho = await again.callTool({ name: 'echo', arguments: { message: 'a new upstream' } });
  t.ok(!againEcho.isError && text(againEcho).includes('a new upstream'), 'the added upstream serves without a restart', againEcho);
  await again.close();
  fs.writeFileSync(mcpJson, '{"upstreams": [{"name": "broken"');
  const refused = await run(opt.tollgate, ['reload', '--socket', sb.socket], { env: baseEnv(sb), timeoutMs: 20000 });
  t.ok(refused.code !== 0 && (refused.stderr + refused.stdout).includes('mcp.json'), 'a broken mcp.json is refused with its name', refused);
  const refusedAgain = await run(opt.tollgate, ['reload', '--socket', sb.socket], { env: baseEnv(sb), timeoutMs: 20000 });
  t.ok(refusedAgain.code !== 0 && (refusedAgain.stderr + refusedAgain.stdout).includes('mcp.json'),
    'asked again, the same broken mcp.json is refused again', refusedAgain);
  const still = await fetch(`${base}/mcp/again`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  t.ok(still.status !== 404, 'after a refused reload the previous upstreams stay', still.status);

  const rows = events(sb);
  t.ok(rows.filter((r) => r.kind === 'mcp_config').length === 2, 'each configuration that took effect is recorded',
    rows.filter((r) => r.kind === 'mcp_config').map((r) => r.record));
  const decisions = rows.filter((r) => r.kind === 'decision' && r.record.server === 'everything');
  t.ok(decisions.some((d) => d.effect === 'allow') && decisions.some((d) => d.effect === 'deny'),
    'the daemon recorded the HTTP gateway\'s decisions', decisions.map((d) => `${d.record.tool} ${d.effect}`));
  t.ok(rows.some((r) => r.kind === 'mcp_event' && r.record.event === 'header-mismatch'), 'the header mismatch was recorded');
  const sessionOf = (tool) => new Set(decisions.filter((d) => d.record.tool === tool).map((d) => d.session));
  const [sampling, echoing] = [sessionOf('everything/trigger-sampling-request'), sessionOf('everything/echo')];
  t.ok(sampling.size === 1 && echoing.size >= 1 && ![...echoing].some((x) => sampling.has(x)),
    'two clients with one credential are two sessions', { sampling: [...sampling], echoing: [...echoing] });
  t.ok(!fs.readFileSync(sb.db).includes(SECRET), 'the upstream credential is not in the store');
} catch (e) {
  t.ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  if (daemon) await daemon.stop();
  hostile.close();
  try { process.kill(-upstream.pid, 'SIGKILL'); } catch { /* gone */ }
}
finish(t, sb);
