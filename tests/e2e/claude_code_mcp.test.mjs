// The real Claude Code CLI using MCP servers through the gateway: its MCP
// configuration runs `tollgate mcp --name … -- node <server>` for a server on
// the official SDK and for @modelcontextprotocol/server-filesystem; the
// scripted model calls their tools. First without hooks, so every decision
// is the gateway's; then with Claude Code's hooks installed, so the daemon
// knows the harness and the gateway decides in the harness's session — the
// stdio gateway by process ancestry, and the HTTP gateway of `serve --http`
// (the real server-everything in Streamable HTTP mode behind it) by the
// client's loopback connection.
//
//   node claude_code_mcp.test.mjs --tollgate PATH
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startModelServer } from './model_server.mjs';
import {
  Checks, E2E_DIR, baseEnv, events, finish, log, makeSandbox, parseArgs, requireCli, run, startDaemon, useBaselinePack,
  waitFor,
} from './lib.mjs';

const opt = parseArgs();
const claude = requireCli('@anthropic-ai/claude-code', '@anthropic-ai/claude-code-linux-x64/claude');
requireCli('@modelcontextprotocol/server-filesystem', '@modelcontextprotocol/server-filesystem/dist/index.js');
requireCli('@modelcontextprotocol/server-everything', '@modelcontextprotocol/server-everything/dist/index.js');
const t = new Checks('claude_code_mcp');
const sb = makeSandbox('claude-mcp');
useBaselinePack(sb);
const WS = sb.ws;
fs.writeFileSync(path.join(WS, 'notes.txt'), 'ordinary-notes-content\n');
fs.writeFileSync(path.join(WS, '.env'), 'API_TOKEN=TOP-SECRET-VALUE-91c2\n');

const env = baseEnv(sb);
const mcpConfig = path.join(sb.root, 'mcp.json');
fs.writeFileSync(mcpConfig, JSON.stringify({
  mcpServers: {
    calc: { command: opt.tollgate, args: ['mcp', '--name', 'calc', '--', 'node', path.join(E2E_DIR, 'mcp_test_server.mjs')], env },
    fs: {
      command: opt.tollgate,
      args: ['mcp', '--name', 'fs', '--', 'node', path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js'), WS],
      env,
    },
  },
}, null, 2));

const steps = [
  /* 0 allowed */ { name: 'mcp__calc__add', input: { a: 2, b: 3 } },
  /* 1 allowed */ { name: 'mcp__fs__read_text_file', input: { path: path.join(WS, 'notes.txt') } },
  /* 2 denied: a secret, read through the MCP server */ { name: 'mcp__fs__read_text_file', input: { path: path.join(WS, '.env') } },
];

// One headless Claude Code run against the scripted model.
async function runClaude(srv, name, config = mcpConfig) {
  return run(claude, ['-p', 'Tollgate e2e: use the MCP tools.', '--output-format', 'json',
    '--dangerously-skip-permissions', '--max-turns', '10', '--mcp-config', config, '--strict-mcp-config'], {
    cwd: WS,
    timeoutMs: 120000,
    name,
    env: {
      ...env,
      ANTHROPIC_BASE_URL: srv.url,
      ANTHROPIC_API_KEY: 'sk-test',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      MCP_TIMEOUT: '30000',
      ...(process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {}),
    },
  });
}

// The remote upstream of the HTTP gateway.
const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const upstreamPort = await freePort();
const upstream = spawn('node', [path.join(E2E_DIR, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'streamableHttp'],
  { env: { ...env, PORT: String(upstreamPort) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
let upstreamLog = '';
upstream.stdout.on('data', (d) => { upstreamLog += d; });
upstream.stderr.on('data', (d) => { upstreamLog += d; });
fs.writeFileSync(path.join(sb.data, 'mcp.json'), JSON.stringify({
  upstreams: [{ name: 'everything', url: `http://127.0.0.1:${upstreamPort}/mcp` }],
}));
await waitFor('server-everything to listen', () => upstreamLog.includes('listening'), 30000);
const apiPort = await freePort();

const daemon = await startDaemon(opt.tollgate, sb, ['--http', `127.0.0.1:${apiPort}`]);
try {
  const srv = await startModelServer({ steps, final: 'All steps done.' });
  const res = await runClaude(srv, 'claude -p (MCP through tollgate mcp)');
  await srv.close();
  fs.writeFileSync(path.join(sb.logs, 'claude.stdout'), res.stdout);
  fs.writeFileSync(path.join(sb.logs, 'claude.stderr'), res.stderr);
  fs.writeFileSync(path.join(sb.logs, 'model.json'), JSON.stringify({ requests: srv.requests, toolResults: srv.toolResults }, null, 2));
  t.ok(res.code === 0, 'claude exits 0', { code: res.code, stderr: res.stderr.slice(-2000), stdout: res.stdout.slice(-2000) });
  const tr = srv.toolResults;
  t.ok(tr.toolu_e2e_00 && !tr.toolu_e2e_00.is_error && tr.toolu_e2e_00.text?.includes('5'),
    'the SDK server\'s add tool ran through the gateway and the model got 5', tr.toolu_e2e_00);
  t.ok(tr.toolu_e2e_01 && tr.toolu_e2e_01.text?.includes('ordinary-notes-content'),
    'server-filesystem read a workspace file through the gateway', tr.toolu_e2e_01);
  t.ok(tr.toolu_e2e_02?.text?.includes('Tollgate denied') && !tr.toolu_e2e_02?.text?.includes('TOP-SECRET'),
    'a secret read through server-filesystem was denied and the model was told why', tr.toolu_e2e_02);
  const rows = events(sb);
  const decisions = rows.filter((r) => r.kind === 'decision' && r.record.harness === 'mcp');
  t.ok(decisions.some((d) => d.record.tool === 'calc/add' && d.effect === 'allow') &&
    decisions.some((d) => d.record.tool === 'fs/read_text_file' && d.effect === 'deny'),
  'the daemon recorded the gateway\'s decisions', decisions.map((d) => `${d.record.tool} ${d.effect}`));
  t.ok(rows.some((r) => r.kind === 'mcp_pin' && r.record.server === 'fs'), 'the filesystem server\'s tools were pinned');

  // With hooks: the gateways' calls land in Claude Code's own session. The
  // HTTP server is reached with the daemon's API token, as a person would
  // configure it.
  const inst = await run(opt.tollgate, ['install', 'claude-code', '--project', WS], { env, name: 'tollgate install claude-code' });
  t.ok(inst.code === 0, 'tollgate install claude-code --project', inst.stderr);
  const token = fs.readFileSync(path.join(sb.data, 'http.token'), 'utf8').trim();
  const mcpConfig2 = path.join(sb.root, 'mcp-with-http.json');
  const config = JSON.parse(fs.readFileSync(mcpConfig, 'utf8'));
  config.mcpServers.web = { type: 'http', url: `http://127.0.0.1:${apiPort}/mcp/everything`, headers: { Authorization: `Bearer ${token}` } };
  fs.writeFileSync(mcpConfig2, JSON.stringify(config, null, 2));
  const seen = rows.length;
  const srv2 = await startModelServer({
    steps: [{ name: 'mcp__calc__add', input: { a: 20, b: 22 } }, { name: 'mcp__web__echo', input: { message: 'over http' } }],
    final: 'Done.',
  });
  const res2 = await runClaude(srv2, 'claude -p (hooks, MCP through tollgate mcp and serve --http)', mcpConfig2);
  await srv2.close();
  fs.writeFileSync(path.join(sb.logs, 'claude2.stdout'), res2.stdout);
  fs.writeFileSync(path.join(sb.logs, 'claude2.stderr'), res2.stderr);
  t.ok(res2.code === 0 && srv2.toolResults.toolu_e2e_00?.text?.includes('42'),
    'with hooks installed, the add tool still runs through the gateway', { code: res2.code, tr: srv2.toolResults });
  t.ok(srv2.toolResults.toolu_e2e_01?.text?.includes('over http') && !srv2.toolResults.toolu_e2e_01?.is_error,
    'the echo tool of the remote server ran through the HTTP gateway', srv2.toolResults.toolu_e2e_01);
  const later = events(sb).slice(seen);
  const claudeSessions = new Set(later.filter((r) => r.kind === 'session_start').map((r) => r.session));
  for (const [tool, gatewaySession] of [['calc/add', 'mcp-calc-'], ['everything/echo', 'mcp-http-everything-']]) {
    const gated = later.filter((r) => r.kind === 'decision' && r.record.harness === 'mcp' && r.record.tool === tool);
    t.ok(gated.length > 0 && gated.every((d) => claudeSessions.has(d.session)),
      `the gateway decided ${tool} in Claude Code's session`, { claudeSessions: [...claudeSessions], gated: gated.map((d) => d.session) });
    t.ok(later.some((r) => r.kind === 'mcp_link' && claudeSessions.has(r.session) && r.record.gateway_session?.startsWith(gatewaySession)),
      `an mcp_link record joins the ${gatewaySession}… session to Claude Code's`, later.filter((r) => r.kind === 'mcp_link'));
  }
} catch (e) {
  t.ok(false, `the test ran to the end: ${e.stack || e}`);
} finally {
  await daemon.stop();
  try { process.kill(-upstream.pid, 'SIGKILL'); } catch { /* gone */ }
}
log('');
finish(t, sb);
