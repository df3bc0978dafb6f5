// End to end with the real Codex CLI (@openai/codex from npm): `codex exec`
// against the scripted model server (OpenAI Responses API), with Tollgate's
// hooks installed user-wide by `tollgate install codex --user` into an
// isolated CODEX_HOME. Codex skips hooks it does not trust, so the run
// passes --dangerously-bypass-hook-trust (shared/AGENT-CLIS.md).
//
//   node codex.test.mjs --tollgate PATH
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer } from './model_server.mjs';
import {
  Checks, baseEnv, events, finish, log, makeSandbox, maybeCapture, parseArgs, readJson, requireCli, run,
  startDaemon, summary, tollgateCopy,
} from './lib.mjs';

const opt = parseArgs();
const codex = requireCli('@openai/codex', '@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex');
const t = new Checks('codex');
const sb = makeSandbox('codex');
const WS = sb.ws;
fs.writeFileSync(path.join(WS, 'secret.txt'), 'TOP-SECRET-VALUE-2b8e\n');
const CODEX_HOME = path.join(sb.home, '.codex');
fs.mkdirSync(CODEX_HOME, { recursive: true });
fs.writeFileSync(path.join(WS, 'keep.txt'), 'must survive\n');

const PROMPT = 'Tollgate e2e: create a file, then try two forbidden commands.';
const patch = (file) => `*** Begin Patch\n*** Add File: ${file}\n+written by apply_patch\n*** End Patch\n`;
const steps = [
  /* 0 allowed */ { name: 'exec_command', input: { cmd: 'touch allowed-file.txt && echo created-allowed-file' } },
  /* 1 denied  */ { name: 'exec_command', input: { cmd: 'touch forbidden-marker-file' } },
  /* 2 denied  */ { name: 'exec_command', input: { cmd: 'rm keep.txt' } },
  /* 3 allowed */ { name: 'apply_patch', custom: true, input: patch('patched.txt') },
  /* 4 denied  */ { name: 'apply_patch', custom: true, input: patch('forbidden-write.txt') },
  /* 5 ask     */ { name: 'exec_command', input: { cmd: 'touch ask-marker-file' } },
  /* 6 asked (so denied in Codex): an interactive shell, whose keystrokes (write_stdin) would reach no hook */
  { name: 'exec_command', input: { cmd: 'bash', tty: true, yield_time_ms: 300 } },
  /* 7 allowed: nothing was typed into a shell */
  { name: 'exec_command', input: { cmd: 'true' } },
  /* 8 view_image reads a file */
  { name: 'view_image', input: { path: path.join(WS, 'secret.txt') } },
  /* 9 allowed, fails */ { name: 'exec_command', input: { cmd: 'ls /nonexistent-e2e-dir' } },
  /* 10 the daemon is stopped before this step: fail closed */
  { name: 'exec_command', input: { cmd: 'touch fail-closed-file.txt' } },
  /* 11 the hook's binary is gone too (uninstalled or moved while the agent runs) */
  { name: 'exec_command', input: { cmd: 'touch binary-gone-file.txt' } },
];
const BINARY_GONE_STEP = 11;
const FAIL_CLOSED_STEP = 10;
// The session id Codex printed for the interactive shell ("Process running with session ID 123").
function sessionOf(results) {
  const m = /session ID (\d+)/.exec(results.map((r) => r.text).join('\n'));
  return m ? Number(m[1]) : 0;
}

async function main() {
  const daemon = await startDaemon(opt.tollgate, sb);
  const env = baseEnv(sb, { CODEX_HOME, MOCK_API_KEY: 'sk-test' });

  const bin = tollgateCopy(opt.tollgate, sb);
  const inst = await run(bin.path, ['install', 'codex', '--user'], { env, name: 'tollgate install codex --user' });
  const hooksFile = path.join(CODEX_HOME, 'hooks.json');
  t.ok(inst.code === 0 && fs.existsSync(hooksFile), 'tollgate install codex --user wrote $CODEX_HOME/hooks.json', inst);
  const hooks = readJson(hooksFile);
  const pre = (hooks.hooks?.PreToolUse || []).flatMap((g) => (g.hooks || []).map((h) => h.command));
  t.ok(pre.some((c) => c.includes(bin.path) && c.includes(' hook codex')), 'the PreToolUse hook runs this tollgate binary', hooks);
  maybeCapture(hooksFile, 'codex');

  const srv = await startModelServer({ steps, final: 'All steps done.' }, {
    beforeStep: async (i) => {
      if (i === FAIL_CLOSED_STEP) {
        const st = await daemon.stop();
        log(`  note daemon stopped before step ${i} (${JSON.stringify(st)})`);
      }
      if (i === BINARY_GONE_STEP) {
        bin.remove();
        log(`  note the hook's tollgate binary removed before step ${i}`);
      }
    },
  });
  const writeConfig = (url) => fs.writeFileSync(path.join(CODEX_HOME, 'config.toml'), [
    // A model in Codex's catalogue, so that it offers apply_patch.
    'model = "gpt-5.5"',
    'model_provider = "mock"',
    'approval_policy = "never"',
    'sandbox_mode = "danger-full-access"',
    '',
    '[model_providers.mock]',
    'name = "mock"',
    `base_url = "${url}/v1"`,
    'wire_api = "responses"',
    'env_key = "MOCK_API_KEY"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n'));
  writeConfig(srv.url);

  const runCodex = (prompt) => run(codex, [
    'exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '--dangerously-bypass-hook-trust',
    '--disable', 'plugins', '--disable', 'apps', '--disable', 'remote_plugin',
    '-c', 'analytics.enabled=false', '-c', 'check_for_update_on_startup=false',
    '-C', WS, '--json', prompt,
  ], { cwd: WS, env, timeoutMs: 120000, name: 'codex exec' });
  const res = await runCodex(PROMPT);
  await srv.close();
  bin.restore();
  fs.writeFileSync(path.join(sb.logs, 'codex.stdout'), res.stdout);
  fs.writeFileSync(path.join(sb.logs, 'codex.stderr'), res.stderr);
  fs.writeFileSync(path.join(sb.logs, 'model.json'), JSON.stringify({ requests: srv.requests, served: srv.served, toolResults: srv.toolResults }, null, 2));

  t.ok(res.code === 0, 'codex exits 0', { code: res.code, stderr: res.stderr.slice(-3000) });
  t.ok(srv.served.length === steps.length, `the model server served all ${steps.length} scripted calls`, { served: srv.served, requests: srv.requests });
  const stream = res.stdout.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return { raw: l }; } });
  const executed = stream.filter((e) => e.item?.type === 'command_execution').map((e) => e.item.command || '');
  const tr = srv.toolResults;

  // An allowed command did its work.
  t.ok(fs.existsSync(path.join(WS, 'allowed-file.txt')), 'the allowed command created allowed-file.txt');
  t.includes(tr.call_e2e_00?.text, 'created-allowed-file', 'the model got the allowed command\'s output');
  t.ok(executed.some((c) => c.includes('allowed-file.txt')), 'the --json stream shows the allowed command_execution', executed);

  // Denied commands left no trace; the model was told why.
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-marker-file')), 'the denied command left no forbidden-marker-file');
  t.includes(tr.call_e2e_01?.text, 'Command blocked by PreToolUse hook', 'the model got "Command blocked by PreToolUse hook"');
  t.includes(tr.call_e2e_01?.text, 'commands that mention forbidden-marker are blocked by the e2e policy', '… with the policy\'s @reason');
  t.ok(!executed.some((c) => c.includes('forbidden-marker')), 'the --json stream has no command_execution for it', executed);
  t.ok(fs.existsSync(path.join(WS, 'keep.txt')), '`rm keep.txt` was denied: keep.txt survives');
  t.includes(tr.call_e2e_02?.text, 'rm is not allowed in the e2e tests', 'the model got the rm policy\'s @reason');

  // apply_patch: file writes decided per file.
  t.ok(fs.existsSync(path.join(WS, 'patched.txt')), 'an allowed apply_patch created patched.txt');
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-write.txt')), 'a denied apply_patch left no forbidden-write.txt');
  t.includes(tr.call_e2e_04?.text, 'files named forbidden-write are off limits in the e2e tests', 'the model got the write policy\'s @reason');

  // "ask": Codex has no way to ask (it reports `unsupported permissionDecision:ask` and runs the
  // command), so Tollgate must answer Codex with a deny.
  t.ok(!fs.existsSync(path.join(WS, 'ask-marker-file')),
    'a command the policy asks about does not run in Codex (ask is answered as a deny that says approval is needed)');
  t.includes(tr.call_e2e_05?.text, 'approval needed', '… and the model is told approval is needed');
  // write_stdin reaches no hook, so an interactive shell is not started without a human.
  t.includes(tr.call_e2e_06?.text, 'could not tell with confidence', 'an interactive shell (write_stdin has no hook) is not started');
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-marker-stdin')), 'nothing was typed into a shell Tollgate cannot see');

  // view_image sends a file to the model: a file.read.
  t.ok(/secret\.txt is off limits/.test(tr.call_e2e_08?.text || ''),
    'view_image of secret.txt is decided as file.read of its path', tr.call_e2e_08);

  // Fail closed: the daemon was stopped before the last step.
  t.ok(!fs.existsSync(path.join(WS, 'fail-closed-file.txt')), 'with the daemon stopped, the command left no trace');
  t.includes(tr.call_e2e_10?.text, 'Command blocked by PreToolUse hook', 'the model was told the hook blocked it');
  t.includes(tr.call_e2e_10?.text, 'tollgate serve', '… and how to fix it (start `tollgate serve`)');

  // Fail closed when the hook itself cannot run: Codex treats any exit code
  // but 2 (127: command not found, a crash's signal) as a hook failure and
  // runs the tool. Only the hook command can close this gap (e.g.
  // `tollgate hook codex || exit 2` with a reason on stderr).
  t.ok(!fs.existsSync(path.join(WS, 'binary-gone-file.txt')),
    'with the hook\'s binary gone, the command does not run (the installed hook turns any failure into exit 2)',
    tr.call_e2e_11);

  // Fail closed from the start: with no daemon, the prompt itself is blocked.
  const down = await startModelServer({ steps: [{ name: 'exec_command', input: { cmd: 'touch daemon-down-file.txt' } }] });
  writeConfig(down.url);
  const res2 = await runCodex('Tollgate e2e: the daemon is down');
  await down.close();
  t.ok(res2.code === 0 && down.served.length === 0, 'with no daemon at all, the model is never asked for a tool call', { code: res2.code, requests: down.requests, stdout: res2.stdout.slice(-1500) });
  t.ok(!fs.existsSync(path.join(WS, 'daemon-down-file.txt')), '… and nothing ran');
  // (codex exec prints only "hook: UserPromptSubmit Blocked": it shows neither the
  // hook's reason nor a systemMessage, so there is no fix text to check here.)
  t.ok(res2.stdout.includes('"type":"turn.completed"'), '… and the turn ended without a model call', res2.stdout.slice(-1500));

  // The daemon's record.
  const rows = events(sb);
  fs.writeFileSync(path.join(sb.logs, 'events.json'), JSON.stringify(rows, null, 2));
  const sessions = [...new Set(rows.filter((e) => e.session).map((e) => e.session))];
  t.ok(sessions.length === 1, 'every hook event belongs to one session', summary(rows));
  const mine = rows.filter((e) => e.session === sessions[0]);
  t.ok(mine.some((e) => e.kind === 'session_start'), 'a session_start was recorded', summary(rows));
  t.ok(!rows.some((e) => e.kind === 'detection' && e.record?.detector === 'missing_enforcement'),
    'no missing-enforcement detection: every outcome of the real session pairs with its decision',
    summary(rows.filter((e) => e.kind === 'detection')));
  t.ok(mine.some((e) => e.kind === 'intent' && (e.record?.excerpt || '').includes('Tollgate e2e: create a file')), 'the prompt was recorded as intent', summary(rows));
  const decisions = mine.filter((e) => e.kind === 'decision');
  const byCmd = (s) => decisions.find((e) => JSON.stringify(e.record?.actions || []).includes(s));
  t.ok(byCmd('allowed-file.txt')?.effect === 'allow', 'decision allow for the allowed command', summary(decisions));
  t.ok(byCmd('forbidden-marker')?.effect === 'deny', 'decision deny for the forbidden-marker command', summary(decisions));
  t.ok(byCmd('Command::rm')?.effect === 'deny', 'decision deny for rm (Command::rm)', summary(decisions));
  const patchDecision = decisions.find((e) => e.tool_use_id === 'call_e2e_04');
  t.ok(patchDecision?.effect === 'deny' && (patchDecision.record?.actions || []).some((a) => a.action === 'file.write' && a.resource === `Path::${path.join(WS, 'forbidden-write.txt')}`),
    'decision deny for apply_patch, as file.write of the patched file', patchDecision);
  t.ok(mine.some((e) => e.kind === 'outcome' && e.tool_use_id === 'call_e2e_03' && e.effect === 'success'), 'the allowed apply_patch\'s outcome was recorded', summary(mine));
  t.ok(decisions.find((e) => e.tool_use_id === 'call_e2e_05')?.effect === 'ask', 'decision ask for the ask-marker command', summary(decisions));
  const failing = decisions.find((e) => e.tool_use_id === 'call_e2e_09');
  t.ok(failing?.effect === 'allow', 'decision allow for the failing command', summary(decisions));
  // Codex's PostToolUse for a failed command carries only its output, no exit
  // code (payloads/codex/), so the outcome cannot say it failed; it is recorded.
  t.ok(mine.some((e) => e.kind === 'outcome' && e.tool_use_id === 'call_e2e_09'), 'the failing command\'s outcome is recorded', summary(mine));
  const allowed = byCmd('allowed-file.txt');
  t.ok(allowed && allowed.tool_use_id, 'the allowed decision carries a tool_use_id', allowed);
  t.ok(allowed && mine.some((e) => e.kind === 'outcome' && e.tool_use_id === allowed.tool_use_id),
    'its outcome (PostToolUse) is linked by tool_use_id', summary(mine));
}

main().catch((e) => t.ok(false, `the test ran to the end: ${e.stack || e}`)).finally(() => finish(t, sb));
