// A hook wrapper that records what a harness sends: `node capture_hook.mjs
// OUTDIR -- CMD ARGS…` saves the event JSON read on stdin as
// OUTDIR/NN-<hook_event_name>[-<tool_name>].json (the sandbox's random
// temporary directory replaced by /tmp/tollgate-e2e), then runs CMD with the
// same stdin and passes its stdout, stderr and exit code through. Used with
// TOLLGATE_E2E_CAPTURE=DIR (lib.mjs) to refresh tests/e2e/payloads/.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const outDir = argv[0];
const cmd = argv.slice(sep + 1);
const input = fs.readFileSync(0);

try {
  let text = input.toString('utf8').replace(/tollgate-e2e-[a-z]+-[A-Za-z0-9]{6}/g, 'tollgate-e2e');
  let name = 'event';
  try {
    const j = JSON.parse(text);
    name = [j.hook_event_name, j.tool_name].filter(Boolean).join('-').replace(/[^A-Za-z0-9_.-]/g, '_') || 'event';
    text = JSON.stringify(j, null, 2) + '\n';
  } catch { /* not JSON: keep the bytes */ }
  fs.mkdirSync(outDir, { recursive: true });
  const n = fs.readdirSync(outDir).filter((f) => f.endsWith('.json')).length + 1;
  fs.writeFileSync(path.join(outDir, `${String(n).padStart(2, '0')}-${name}.json`), text);
} catch (e) {
  process.stderr.write(`capture_hook: ${e}\n`);
}

const r = spawnSync(cmd[0], cmd.slice(1), { input, stdio: ['pipe', 'inherit', 'inherit'] });
process.exit(r.status ?? 2);
