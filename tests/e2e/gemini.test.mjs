// End to end with the real Gemini CLI (@google/gemini-cli from npm): `gemini
// -p … --yolo` against the scripted model server (Gemini API), with
// Tollgate's hooks installed by `tollgate install gemini --project WS`.
// Gemini CLI runs hooks only in a trusted folder, so the run sets
// GEMINI_CLI_TRUST_WORKSPACE=true (shared/AGENT-CLIS.md).
//
//   node gemini.test.mjs --tollgate PATH
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer } from './model_server.mjs';
import {
  Checks, E2E_DIR, baseEnv, events, finish, log, makeSandbox, maybeCapture, parseArgs, readJson, requireCli, run,
  startDaemon, summary, tollgateCopy,
} from './lib.mjs';

const opt = parseArgs();
const gemini = requireCli('@google/gemini-cli', '@google/gemini-cli/bundle/gemini.js');
const t = new Checks('gemini');
const sb = makeSandbox('gemini');
const WS = sb.ws;
fs.writeFileSync(path.join(WS, 'secret.txt'), 'TOP-SECRET-VALUE-9c1d\n');
fs.writeFileSync(path.join(WS, 'keep.txt'), 'must survive\n');
fs.mkdirSync(path.join(WS, 'sub'));

const PROMPT = 'Tollgate e2e: create a file, then try forbidden things.';
const SUBAGENT_PROMPT = 'E2E-SUBAGENT: read secret.txt for me';
const steps = [
  /* 0 allowed */ { name: 'run_shell_command', input: { command: 'touch allowed-file.txt && echo created-allowed-file', description: 'create a file' } },
  /* 1 denied  */ { name: 'run_shell_command', input: { command: 'touch forbidden-marker-file', description: 'create the forbidden file' } },
  /* 2 denied  */ { name: 'run_shell_command', input: { command: 'rm keep.txt', description: 'remove a file' } },
  /* 3 denied  */ { name: 'read_file', input: { file_path: 'secret.txt' } },
  /* 4 denied  */ { name: 'write_file', input: { file_path: 'forbidden-write.txt', content: 'nope\n' } },
  /* 5 allowed */ { name: 'invoke_agent', input: { agent_name: 'codebase_investigator', prompt: SUBAGENT_PROMPT } },
  /* 6 ask     */ { name: 'run_shell_command', input: { command: 'touch ask-marker-file', description: 'needs approval' } },
  /* 7 allowed, in a subdirectory given as dir_path */
  { name: 'run_shell_command', input: { command: 'touch dir-path-file.txt', dir_path: 'sub', description: 'create a file in sub' } },
  /* 8 allowed, fails */ { name: 'run_shell_command', input: { command: 'ls /nonexistent-e2e-dir', description: 'list a missing directory' } },
  /* 9 allowed: an MCP server's tool, which Gemini CLI names mcp_<server>_<tool> */
  { name: 'mcp_calc_add', input: { a: 2, b: 3 } },
  /* 10 the daemon is stopped before this step: fail closed */
  { name: 'run_shell_command', input: { command: 'touch fail-closed-file.txt', description: 'create a file' } },
  /* 11 the hook's binary is gone too (uninstalled or moved while the agent runs) */
  { name: 'run_shell_command', input: { command: 'touch binary-gone-file.txt', description: 'create a file' } },
];
const BINARY_GONE_STEP = 11;
// The subagent's own conversation: its tool calls go through the hooks too.
const agents = [{
  name: 'sub',
  match: SUBAGENT_PROMPT,
  steps: [
    { name: 'read_file', input: { file_path: 'secret.txt' } },
    // codebase_investigator ends by calling complete_task.
    { name: 'complete_task', input: { report: { SummaryOfFindings: 'secret.txt is blocked', ExplorationTrace: [], RelevantLocations: [] } } },
  ],
  final: 'Subagent finished.',
}];
const FAIL_CLOSED_STEP = 10;

async function main() {
  const daemon = await startDaemon(opt.tollgate, sb);
  fs.mkdirSync(path.join(sb.home, '.gemini'), { recursive: true });
  fs.writeFileSync(path.join(sb.home, '.gemini/settings.json'), JSON.stringify({
    security: { auth: { selectedType: 'gemini-api-key' } },
    privacy: { usageStatisticsEnabled: false },
    mcpServers: { calc: { command: process.execPath, args: [path.join(E2E_DIR, 'mcp_test_server.mjs')] } },
  }, null, 2));
  const env = baseEnv(sb);

  const bin = tollgateCopy(opt.tollgate, sb);
  const inst = await run(bin.path, ['install', 'gemini', '--project', WS], { env, name: 'tollgate install gemini' });
  const settingsFile = path.join(WS, '.gemini/settings.json');
  t.ok(inst.code === 0 && fs.existsSync(settingsFile), 'tollgate install gemini --project wrote .gemini/settings.json', inst);
  const settings = readJson(settingsFile);
  const before = (settings.hooks?.BeforeTool || []).flatMap((g) => (g.hooks || []).map((h) => h.command));
  t.ok(before.some((c) => c.includes(bin.path) && c.includes(' hook gemini')), 'the BeforeTool hook runs this tollgate binary', settings);
  maybeCapture(settingsFile, 'gemini');

  const srv = await startModelServer({ steps, agents, final: 'All steps done.' }, {
    beforeStep: async (i, step, agent) => {
      if (i === FAIL_CLOSED_STEP && agent === '') {
        const st = await daemon.stop();
        log(`  note daemon stopped before step ${i} (${JSON.stringify(st)})`);
      }
      if (i === BINARY_GONE_STEP && agent === '') {
        bin.remove();
        log(`  note the hook's tollgate binary removed before step ${i}`);
      }
    },
  });
  const runGemini = (url, prompt) => run(process.execPath, [gemini, '-p', prompt, '--yolo', '--output-format', 'stream-json'], {
    cwd: WS,
    timeoutMs: 120000,
    name: 'gemini -p',
    env: {
      ...env,
      GOOGLE_GEMINI_BASE_URL: url,
      GEMINI_API_KEY: 'dummy',
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    },
  });
  const res = await runGemini(srv.url, PROMPT);
  await srv.close();
  bin.restore();
  fs.writeFileSync(path.join(sb.logs, 'gemini.stdout'), res.stdout);
  fs.writeFileSync(path.join(sb.logs, 'gemini.stderr'), res.stderr);
  fs.writeFileSync(path.join(sb.logs, 'model.json'), JSON.stringify({ requests: srv.requests, served: srv.served, toolResults: srv.toolResults }, null, 2));

  t.ok(res.code === 0, 'gemini exits 0', { code: res.code, stderr: res.stderr.slice(-3000), stdout: res.stdout.slice(-2000) });
  const expected = steps.length + agents[0].steps.length;
  t.ok(srv.served.length === expected, `the model server served all ${expected} scripted calls`, { served: srv.served, requests: srv.requests });
  const stream = res.stdout.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return { raw: l }; } });
  const toolEvents = stream.filter((e) => e.type === 'tool_result');
  const r = (i, agent) => srv.result(i, agent)?.text;

  t.ok(fs.existsSync(path.join(WS, 'allowed-file.txt')), 'the allowed run_shell_command created allowed-file.txt');
  t.includes(r(0), 'created-allowed-file', 'the model got the allowed command\'s output');

  t.ok(!fs.existsSync(path.join(WS, 'forbidden-marker-file')), 'the denied command left no forbidden-marker-file');
  t.includes(r(1), 'Tool execution blocked', 'the model got "Tool execution blocked"');
  t.includes(r(1), 'commands that mention forbidden-marker are blocked by the e2e policy', '… with the policy\'s @reason');
  t.ok(fs.existsSync(path.join(WS, 'keep.txt')), '`rm keep.txt` was denied: keep.txt survives');
  t.includes(r(2), 'rm is not allowed in the e2e tests', 'the model got the rm policy\'s @reason');
  t.includes(r(3), 'secret.txt is off limits in the e2e tests', 'read_file of secret.txt was denied with the policy\'s @reason');
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-write.txt')), 'the denied write_file left no forbidden-write.txt');
  t.includes(r(4), 'files named forbidden-write are off limits in the e2e tests', 'the model got the write policy\'s @reason');
  t.includes(r(5), 'codebase_investigator', 'the subagent (invoke_agent) ran');
  t.includes(r(0, 'sub'), 'secret.txt is off limits in the e2e tests', 'the subagent\'s read_file of secret.txt was denied with the @reason');
  t.ok(!JSON.stringify(srv.toolResults).includes('TOP-SECRET-VALUE-9c1d'), 'the secret\'s content never reached the model');
  t.ok(toolEvents.filter((e) => e.status === 'error' && e.error?.type === 'policy_violation').length >= 4,
    'stream-json reports the denials as policy_violation tool results', toolEvents);

  // Gemini CLI hooks have no "ask": Tollgate answers deny, saying why.
  t.ok(!fs.existsSync(path.join(WS, 'ask-marker-file')), 'a command the policy asks about did not run');
  t.includes(r(6), "need a human's approval", '… and the model was told it needs approval');
  t.ok(fs.existsSync(path.join(WS, 'sub/dir-path-file.txt')), 'run_shell_command with dir_path ran in that directory');

  t.ok(!fs.existsSync(path.join(WS, 'fail-closed-file.txt')), 'with the daemon stopped, the command left no trace');
  // (Gemini CLI's own client then rejects this test server's result shape; what matters here is that
  // the call was decided and not blocked.)
  t.ok(typeof r(9) === 'string' && !r(9).includes('Tool execution blocked') && r(9).includes('add'),
    'the MCP call was not blocked: it reached the server', r(9));
  t.includes(r(10), 'Tool execution blocked', 'the model was told the call was blocked');
  t.includes(r(10), 'tollgate serve', '… and how to fix it (start `tollgate serve`)');

  // Fail closed when the hook itself cannot run: Gemini CLI blocks on a hook
  // that fails to start.
  t.ok(!fs.existsSync(path.join(WS, 'binary-gone-file.txt')), 'with the hook\'s binary gone, the command does not run');

  // Fail closed from the start: with no daemon, the prompt itself is blocked.
  const down = await startModelServer({ steps: [{ name: 'run_shell_command', input: { command: 'touch daemon-down-file.txt' } }] });
  const res2 = await runGemini(down.url, 'Tollgate e2e: the daemon is down');
  await down.close();
  t.ok(res2.code === 0 && down.served.length === 0, 'with no daemon at all, the model is never asked for a tool call', { code: res2.code, requests: down.requests, stdout: res2.stdout.slice(-1500) });
  t.ok(!fs.existsSync(path.join(WS, 'daemon-down-file.txt')), '… and nothing ran');
  t.includes(res2.stdout + res2.stderr, 'tollgate serve', '… and the user is told to start `tollgate serve`');

  const rows = events(sb);
  fs.writeFileSync(path.join(sb.logs, 'events.json'), JSON.stringify(rows, null, 2));
  const sessions = [...new Set(rows.filter((e) => e.session).map((e) => e.session))];
  t.ok(sessions.length === 1, 'every hook event belongs to one session', summary(rows));
  const mine = rows.filter((e) => e.session === sessions[0]);
  t.ok(mine.some((e) => e.kind === 'session_start'), 'a session_start was recorded', summary(rows));
  t.ok(!rows.some((e) => e.kind === 'detection' && e.record?.detector === 'missing_enforcement'),
    'no missing-enforcement detection: every outcome of the real session pairs with its decision',
    summary(rows.filter((e) => e.kind === 'detection')));
  t.ok(mine.some((e) => e.kind === 'intent' && (e.record?.excerpt || '').includes(PROMPT)), 'the prompt (BeforeAgent) was recorded as intent', summary(rows));
  const decisions = mine.filter((e) => e.kind === 'decision');
  const byAction = (s) => decisions.find((e) => JSON.stringify(e.record?.actions || []).includes(s));
  t.ok(byAction('allowed-file.txt')?.effect === 'allow', 'decision allow for the allowed command', summary(decisions));
  t.ok(byAction('forbidden-marker')?.effect === 'deny', 'decision deny for the forbidden-marker command', summary(decisions));
  t.ok(byAction('Command::rm')?.effect === 'deny', 'decision deny for rm', summary(decisions));
  const secretReads = decisions.filter((e) => e.effect === 'deny' && (e.record?.actions || []).some((a) => a.action === 'file.read' && a.resource === `Path::${path.join(WS, 'secret.txt')}`));
  t.ok(secretReads.length === 2, 'decision deny for both read_file calls (agent and subagent), as file.read of the absolute path', summary(decisions));
  t.ok(byAction(`Path::${path.join(WS, 'forbidden-write.txt')}`)?.effect === 'deny', 'decision deny for write_file, as file.write of the absolute path', summary(decisions));
  t.ok(mine.some((e) => e.kind === 'outcome' && e.record?.tool === 'run_shell_command' && e.effect === 'success'), 'the allowed command\'s outcome (AfterTool) was recorded', summary(mine));
  const failing = decisions.find((e) => JSON.stringify(e.record?.actions || []).includes('nonexistent-e2e-dir') || e.record?.actions?.some((a) => (a.summary || '').includes('nonexistent-e2e-dir')));
  t.ok(failing?.effect === 'allow', 'decision allow for the failing command', summary(decisions));
  const outcomes = mine.filter((e) => e.kind === 'outcome' && e.record?.tool === 'run_shell_command');
  t.todo(outcomes.some((e) => e.effect === 'failure'),
    'the failing command\'s outcome is recorded as a failure (Gemini CLI\'s AfterTool reports it only as "Exit Code: 2" inside tool_response.llmContent)',
    outcomes.map((e) => e.record));
  t.ok(byAction('ask-marker')?.effect === 'ask', 'decision ask for the ask-marker command', summary(decisions));
  const mcp = decisions.find((e) => (e.record?.actions || []).some((a) => a.action === 'mcp.call' && (a.resource || '').includes('calc/add')));
  t.ok(mcp?.effect === 'allow', 'the MCP call (mcp_calc_add, with mcp_context) was decided as mcp.call on calc/add', summary(decisions));
  const inSub = `Path::${path.join(WS, 'sub/dir-path-file.txt')}`;
  t.ok(byAction(inSub)?.effect === 'allow',
    `run_shell_command's dir_path is the command's working directory: the write is decided as ${inSub}`,
    (byAction('dir-path-file.txt')?.record?.actions || []).map((a) => `${a.action} ${a.resource}`));
  t.ok(byAction('Subagent::codebase_investigator'),
    'invoke_agent is decided as agent.spawn of Subagent::<agent_name>',
    (decisions.find((e) => e.record?.tool === 'invoke_agent')?.record?.actions || []).map((a) => `${a.action} ${a.resource}`));
}

main().catch((e) => t.ok(false, `the test ran to the end: ${e.stack || e}`)).finally(() => finish(t, sb));
