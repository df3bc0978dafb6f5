// End to end with the real Claude Code CLI (@anthropic-ai/claude-code from
// npm), headless, against the scripted model server: `tollgate install
// claude-code --project WS` is the only set-up, and every check is on an
// effect — files that exist or not, what the model was told, what the
// daemon recorded.
//
//   node claude_code.test.mjs --tollgate PATH
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer } from './model_server.mjs';
import {
  Checks, baseEnv, events, finish, log, makeSandbox, maybeCapture, parseArgs, readJson, requireCli, run,
  startDaemon, status, summary, tollgateCopy,
} from './lib.mjs';

const opt = parseArgs();
const claude = requireCli('@anthropic-ai/claude-code', '@anthropic-ai/claude-code-linux-x64/claude');
const t = new Checks('claude_code');
const sb = makeSandbox('claude');
const WS = sb.ws;
fs.writeFileSync(path.join(WS, 'secret.txt'), 'TOP-SECRET-VALUE-7f3a\n');
fs.writeFileSync(path.join(WS, 'notes.txt'), 'ordinary-notes-content\n');

const PROMPT = 'Tollgate e2e: create a file, try forbidden things, read the notes, ask a subagent.';
const SUBAGENT_PROMPT = 'E2E-SUBAGENT: read secret.txt for me';
const steps = [
  /* 0 allowed */ { name: 'Bash', input: { command: 'touch allowed-file.txt && echo created-allowed-file', description: 'create a file' } },
  /* 1 denied  */ { name: 'Bash', input: { command: 'touch forbidden-marker-file', description: 'create the forbidden file' } },
  /* 2 denied  */ { name: 'Read', input: { file_path: path.join(WS, 'secret.txt') } },
  /* 3 allowed */ { name: 'Read', input: { file_path: path.join(WS, 'notes.txt') } },
  /* 4 denied  */ { name: 'Write', input: { file_path: path.join(WS, 'forbidden-write.txt'), content: 'nope\n' } },
  /* 5 allowed */ { name: 'Agent', input: { subagent_type: 'general-purpose', description: 'read a file', prompt: SUBAGENT_PROMPT } },
  /* 6 ask     */ { name: 'Bash', input: { command: 'touch ask-marker-file', description: 'create a file that needs approval' } },
  /* 7 allowed, fails */ { name: 'Bash', input: { command: 'ls /nonexistent-e2e-dir', description: 'list a missing directory' } },
  /* 8 allowed: a script; 9 denied: running it does what the policy forbids */
  { name: 'Write', input: { file_path: path.join(WS, 'setup.sh'), content: '#!/bin/sh\ntouch forbidden-marker-from-script\n' } },
  { name: 'Bash', input: { command: 'sh setup.sh', description: 'run the set-up script' } },
  /* 10 the daemon is stopped before this step: fail closed */
  { name: 'Bash', input: { command: 'touch fail-closed-file.txt', description: 'create a file' } },
  /* 11 the hook's binary is gone too (uninstalled or moved while the agent runs) */
  { name: 'Bash', input: { command: 'touch binary-gone-file.txt', description: 'create a file' } },
];
// The subagent's own conversation: its tool calls go through the hooks too.
const agents = [{ name: 'sub', match: SUBAGENT_PROMPT, steps: [{ name: 'Read', input: { file_path: path.join(WS, 'secret.txt') } }], final: 'Subagent finished.' }];
const FAIL_CLOSED_STEP = 10;
const BINARY_GONE_STEP = 11;

async function main() {
  let daemon = await startDaemon(opt.tollgate, sb);
  const env = baseEnv(sb);

  const bin = tollgateCopy(opt.tollgate, sb);
  const inst = await run(bin.path, ['install', 'claude-code', '--project', WS], { env, name: 'tollgate install claude-code' });
  const settingsFile = path.join(WS, '.claude/settings.json');
  t.ok(inst.code === 0 && fs.existsSync(settingsFile), 'tollgate install claude-code --project wrote .claude/settings.json', inst.stderr);
  const settings = readJson(settingsFile);
  for (const ev of ['PreToolUse', 'PostToolUse', 'UserPromptSubmit', 'SessionStart', 'SessionEnd']) {
    const cmds = (settings.hooks?.[ev] || []).flatMap((g) => (g.hooks || []).map((h) => h.command));
    t.ok(cmds.some((c) => c.includes(bin.path) && c.includes(' hook claude-code')), `hook for ${ev} runs this tollgate binary`, cmds);
  }
  maybeCapture(settingsFile, 'claude-code');

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
  const runClaude = (url, prompt) => run(claude, ['-p', prompt, '--output-format', 'json', '--dangerously-skip-permissions', '--max-turns', '30'], {
    cwd: WS,
    timeoutMs: 120000,
    name: 'claude -p',
    env: {
      ...env,
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_API_KEY: 'sk-test',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      ...(process.getuid?.() === 0 ? { IS_SANDBOX: '1' } : {}),
    },
  });
  const res = await runClaude(srv.url, PROMPT);
  await srv.close();
  bin.restore();
  fs.writeFileSync(path.join(sb.logs, 'claude.stdout'), res.stdout);
  fs.writeFileSync(path.join(sb.logs, 'claude.stderr'), res.stderr);
  fs.writeFileSync(path.join(sb.logs, 'model.json'), JSON.stringify({ requests: srv.requests, served: srv.served, toolResults: srv.toolResults }, null, 2));

  t.ok(res.code === 0, 'claude exits 0', { code: res.code, stderr: res.stderr.slice(-2000), stdout: res.stdout.slice(-2000) });
  let result = {};
  try { result = JSON.parse(res.stdout); } catch { t.ok(false, 'claude printed its result as JSON', res.stdout.slice(-2000)); }
  t.ok(srv.served.length === steps.length + 1, `the model server served all ${steps.length + 1} scripted tool calls`, { served: srv.served, requests: srv.requests });

  // (a) an allowed command did its work
  const tr = srv.toolResults;
  t.ok(fs.existsSync(path.join(WS, 'allowed-file.txt')), '(a) the allowed Bash command created allowed-file.txt');
  t.ok(tr.toolu_e2e_00 && !tr.toolu_e2e_00.is_error, '(a) the model got a successful tool_result for it', tr.toolu_e2e_00);
  t.includes(tr.toolu_e2e_00?.text, 'created-allowed-file', '(a) … holding the command\'s output');

  // (b) a denied command left no trace; the agent was told why
  const denials = Array.isArray(result.permission_denials) ? result.permission_denials : [];
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-marker-file')), '(b) the denied Bash command left no forbidden-marker-file');
  t.ok(denials.some((d) => d.tool_use_id === 'toolu_e2e_01' && d.tool_name === 'Bash' && /forbidden-marker/.test(d.tool_input?.command || '')),
    '(b) result.permission_denials lists the denied Bash call', denials);
  t.ok(tr.toolu_e2e_01?.is_error === true, '(b) the model got an error tool_result', tr.toolu_e2e_01);
  t.includes(tr.toolu_e2e_01?.text, 'commands that mention forbidden-marker are blocked by the e2e policy', '(b) … holding the policy\'s @reason');

  // (c) a denied read: the secret never reached the model
  t.ok(denials.some((d) => d.tool_use_id === 'toolu_e2e_02' && d.tool_name === 'Read'), '(c) result.permission_denials lists the denied Read of secret.txt', denials);
  t.ok(tr.toolu_e2e_02?.is_error === true, '(c) the model got an error tool_result for the Read', tr.toolu_e2e_02);
  t.includes(tr.toolu_e2e_02?.text, 'secret.txt is off limits in the e2e tests', '(c) … holding the policy\'s @reason');
  const everything = JSON.stringify(srv.toolResults);
  t.ok(!everything.includes('TOP-SECRET-VALUE-7f3a'), '(c) the secret\'s content never reached the model');
  t.ok(tr.toolu_e2e_03 && !tr.toolu_e2e_03.is_error, 'an allowed Read of notes.txt succeeded', tr.toolu_e2e_03);
  t.includes(tr.toolu_e2e_03?.text, 'ordinary-notes-content', '… and the model got the file\'s content');

  // A denied write
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-write.txt')), 'the denied Write left no forbidden-write.txt');
  t.ok(tr.toolu_e2e_04?.is_error === true, 'the model got an error tool_result for the Write', tr.toolu_e2e_04);
  t.includes(tr.toolu_e2e_04?.text, 'files named forbidden-write are off limits in the e2e tests', '… holding the policy\'s @reason');

  // A subagent's tool calls are governed like the main agent's
  t.ok(tr.toolu_e2e_05 && !tr.toolu_e2e_05.is_error, 'the Agent call (a subagent) was allowed and ran', tr.toolu_e2e_05);
  t.ok(tr.toolu_e2e_sub_00?.is_error === true, 'the subagent\'s Read of secret.txt got an error tool_result', tr.toolu_e2e_sub_00);
  t.includes(tr.toolu_e2e_sub_00?.text, 'secret.txt is off limits in the e2e tests', '… holding the policy\'s @reason');

  // An "ask" in a headless run: nobody can approve, so it does not run.
  t.ok(!fs.existsSync(path.join(WS, 'ask-marker-file')), 'a command the policy asks about did not run headless');
  t.ok(denials.some((d) => d.tool_use_id === 'toolu_e2e_06'), '… result.permission_denials lists it', denials);
  t.includes(tr.toolu_e2e_06?.text, "need a human's approval", '… and the model was told it needs approval');

  // A command that was allowed but failed.
  t.ok(tr.toolu_e2e_07?.is_error === true && /nonexistent-e2e-dir/.test(tr.toolu_e2e_07?.text || ''), 'an allowed command that fails reports its error to the model', tr.toolu_e2e_07);

  // A script the agent wrote is decided when it runs, with what it does.
  t.ok(tr.toolu_e2e_08 && !tr.toolu_e2e_08.is_error && fs.existsSync(path.join(WS, 'setup.sh')), 'the Write of setup.sh was allowed', tr.toolu_e2e_08);
  t.ok(!fs.existsSync(path.join(WS, 'forbidden-marker-from-script')), 'running the script that does what the policy forbids left no trace');
  t.ok(denials.some((d) => d.tool_use_id === 'toolu_e2e_09'), '… result.permission_denials lists `sh setup.sh`', denials);
  t.includes(tr.toolu_e2e_09?.text, 'commands that mention forbidden-marker are blocked by the e2e policy', '… and the model was told the policy\'s @reason');

  // (e) fail closed: the daemon was stopped before the last step
  t.ok(!fs.existsSync(path.join(WS, 'fail-closed-file.txt')), '(e) with the daemon stopped, the Bash command left no trace');
  t.ok(denials.some((d) => d.tool_use_id === 'toolu_e2e_10'), '(e) result.permission_denials lists it', denials);
  t.ok(tr.toolu_e2e_10?.is_error === true, '(e) the model got an error tool_result', tr.toolu_e2e_10);
  t.includes(tr.toolu_e2e_10?.text, 'daemon could not be asked', '(e) … saying the daemon could not be asked');
  t.includes(tr.toolu_e2e_10?.text, 'tollgate serve', '(e) … and how to fix it (start `tollgate serve`)');

  // Fail closed when the hook itself cannot run: Claude Code treats any exit
  // code but 2 (127: command not found, a crash's signal) as a non-blocking
  // hook error and runs the tool. Only the hook command can close this gap
  // (e.g. `tollgate hook claude-code || exit 2` with a reason on stderr).
  t.ok(!fs.existsSync(path.join(WS, 'binary-gone-file.txt')),
    'with the hook\'s binary gone, the Bash command does not run (the installed hook turns any failure into exit 2)',
    tr.toolu_e2e_11);

  // (e) fail closed from the start: with no daemon, the prompt itself is
  // blocked; the model is never asked and the user is told how to fix it.
  const down = await startModelServer({ steps: [{ name: 'Bash', input: { command: 'touch daemon-down-file.txt' } }] });
  const res2 = await runClaude(down.url, 'Tollgate e2e: the daemon is down');
  await down.close();
  let result2 = {};
  try { result2 = JSON.parse(res2.stdout); } catch { /* checked below */ }
  t.ok(res2.code === 0 && down.served.length === 0, '(e) with no daemon at all, the model is never asked for a tool call', { code: res2.code, requests: down.requests, stdout: res2.stdout.slice(-1500) });
  t.ok(!fs.existsSync(path.join(WS, 'daemon-down-file.txt')), '(e) … and nothing ran');
  t.includes(result2.result, 'tollgate serve', '(e) … and the result tells the user to start `tollgate serve`');

  // (d) the daemon's record: session start, intent, decisions, outcomes
  const rows = events(sb);
  fs.writeFileSync(path.join(sb.logs, 'events.json'), JSON.stringify(rows, null, 2));
  const sid = result.session_id;
  t.ok(typeof sid === 'string' && sid.length > 0, 'the result names its session_id', result);
  const mine = rows.filter((e) => e.session === sid);
  const kinds = (k) => mine.filter((e) => e.kind === k);
  t.ok(kinds('session_start').length >= 1, '(d) a session_start was recorded for the session', summary(rows));
  t.ok(kinds('intent').some((e) => (e.record?.excerpt || '').includes(PROMPT)), '(d) the prompt was recorded as intent', kinds('intent'));
  const decision = (id) => mine.find((e) => e.kind === 'decision' && e.tool_use_id === id);
  const outcome = (id) => mine.find((e) => e.kind === 'outcome' && e.tool_use_id === id);
  t.ok(decision('toolu_e2e_00')?.effect === 'allow', '(d) decision allow for the allowed Bash, by tool_use_id', decision('toolu_e2e_00'));
  t.ok(decision('toolu_e2e_01')?.effect === 'deny', '(d) decision deny for the forbidden Bash', decision('toolu_e2e_01'));
  t.ok((decision('toolu_e2e_01')?.record?.actions || []).some((a) => (a.policies || []).includes('e2e-forbidden-marker')),
    '(d) … naming the policy e2e-forbidden-marker', decision('toolu_e2e_01')?.record);
  t.ok(decision('toolu_e2e_02')?.effect === 'deny', '(d) decision deny for the Read of secret.txt', decision('toolu_e2e_02'));
  t.ok((decision('toolu_e2e_02')?.record?.actions || []).some((a) => a.action === 'file.read' && /secret\.txt$/.test(a.resource)),
    '(d) … as file.read of Path::…/secret.txt', decision('toolu_e2e_02')?.record);
  t.ok(decision('toolu_e2e_03')?.effect === 'allow', '(d) decision allow for the Read of notes.txt', decision('toolu_e2e_03'));
  t.ok(outcome('toolu_e2e_00')?.effect === 'success', '(d) outcome (PostToolUse) of the allowed Bash linked by tool_use_id', outcome('toolu_e2e_00'));
  t.ok(outcome('toolu_e2e_03')?.effect === 'success', '(d) outcome of the allowed Read linked by tool_use_id', outcome('toolu_e2e_03'));
  t.ok(decision('toolu_e2e_04')?.effect === 'deny', '(d) decision deny for the Write of forbidden-write.txt', decision('toolu_e2e_04'));
  t.ok((decision('toolu_e2e_04')?.record?.actions || []).some((a) => a.action === 'file.write' && /forbidden-write\.txt$/.test(a.resource)),
    '(d) … as file.write of Path::…/forbidden-write.txt', decision('toolu_e2e_04')?.record);
  t.ok((decision('toolu_e2e_05')?.record?.actions || []).some((a) => a.action === 'agent.spawn' && a.resource === 'Subagent::general-purpose'),
    '(d) the Agent call was decided as agent.spawn of Subagent::general-purpose', decision('toolu_e2e_05')?.record);
  t.ok(decision('toolu_e2e_sub_00')?.effect === 'deny', '(d) the subagent\'s Read was decided (deny) in the same session', decision('toolu_e2e_sub_00'));
  t.ok(outcome('toolu_e2e_05')?.effect === 'success', '(d) the subagent\'s outcome was recorded', outcome('toolu_e2e_05'));
  t.ok(decision('toolu_e2e_06')?.effect === 'ask', '(d) decision ask for the ask-marker command', decision('toolu_e2e_06'));
  t.ok(decision('toolu_e2e_07')?.effect === 'allow', '(d) decision allow for the failing command', decision('toolu_e2e_07'));
  t.ok(outcome('toolu_e2e_07')?.effect === 'failure',
    '(d) the failing command\'s outcome is recorded as a failure (Claude Code reports it as PostToolUseFailure)');
  t.ok(!outcome('toolu_e2e_01') && !outcome('toolu_e2e_02') && !outcome('toolu_e2e_04'), '(d) no outcome for the denied calls');
  t.ok(!decision('toolu_e2e_10'), '(e) nothing recorded for the call made while the daemon was down');
  const order = ['session_start', 'intent'].map((k) => kinds(k)[0]?.seq ?? Infinity);
  t.ok(order[0] < order[1] && order[1] < (decision('toolu_e2e_00')?.seq ?? -1) && decision('toolu_e2e_00').seq < (outcome('toolu_e2e_00')?.seq ?? -1),
    '(d) the record runs session_start → intent → decision → outcome', summary(mine));
  t.ok(rows.filter((e) => e.session).every((e) => e.session === sid), 'every hook event belongs to the one session', summary(rows));
  t.ok(!rows.some((e) => e.kind === 'detection' && e.record?.detector === 'missing_enforcement'),
    'no missing-enforcement detection: every outcome of the real session pairs with its decision',
    summary(rows.filter((e) => e.kind === 'detection')));

  // A fresh daemon on the same data directory still has the record.
  daemon = await startDaemon(opt.tollgate, sb);
  const st = await status(opt.tollgate, sb);
  t.ok(st && st.events >= mine.length, '`tollgate status` of a restarted daemon counts the recorded events', st);
  await daemon.stop();
}

main().catch((e) => t.ok(false, `the test ran to the end: ${e.stack || e}`)).finally(() => finish(t, sb));
