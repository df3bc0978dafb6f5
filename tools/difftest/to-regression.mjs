#!/usr/bin/env node
// Turn a case directory written by run.mjs into a regression test in the
// cedar-integration-tests format that `tollgate cedar test` runs
// (tests/cedar/ is such a folder).
//
//   node tools/difftest/to-regression.mjs CASE_DIR tests/cedar/NAME [--description TEXT]
//
// The expected answers are the reference's (expected.jsonl). Requests the
// reference rejects are left out: the test format has no way to expect a
// rejected request. Cases where the reference rejects the policies, links or
// entities cannot become such a test either; the tool says so and exits 1.

import fs from 'node:fs';
import path from 'node:path';
import { parseJson, toJson } from './gen.mjs';

const args = process.argv.slice(2);
let description = null;
const pos = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--description') description = args[++i];
  else pos.push(args[i]);
}
if (pos.length !== 2) {
  console.error('usage: node tools/difftest/to-regression.mjs CASE_DIR DEST_DIR [--description TEXT]');
  process.exit(2);
}
const [src, dest] = pos;
const read = (f) => fs.readFileSync(path.join(src, f), 'utf8');
const lines = (t) => t.split('\n').filter((l) => l.trim() !== '');

const expected = lines(read('expected.jsonl')).map((l) => JSON.parse(l));
if (expected.length === 1 && expected[0].exit === 2) {
  console.error(`${src}: the reference rejects this input (${expected[0].reference}).`);
  console.error('A parse-error disagreement belongs in a parser/entities unit test or in tests/cli/cedar_contract.sh.');
  process.exit(1);
}
const requests = lines(read('requests.jsonl'));
if (requests.length !== expected.length) {
  console.error(`${src}: ${requests.length} requests but ${expected.length} expected answers`);
  process.exit(1);
}
const summary = fs.existsSync(path.join(src, 'summary.txt')) ? read('summary.txt').trim() : '';
const links = parseJson(read('links.json'));

const out = [];
requests.forEach((line, i) => {
  const e = expected[i];
  if (e.error !== undefined) {
    console.error(`request ${i}: the reference rejects it (${e.error}); left out`);
    return;
  }
  // Keep the request's own JSON text (numbers beyond 2^53 stay exact).
  const req = parseJson(line);
  const entries = req.entries.filter(([k]) => ['principal', 'action', 'resource', 'context'].includes(k));
  const desc = `${description || path.basename(path.resolve(src))} #${i}`;
  out.push('    ' + toJson(new (req.constructor)([
    ['description', desc],
    ...entries,
    ['decision', e.decision],
    ['reason', e.reason],
    ['errors', e.errors.map((x) => x.policy)],
  ])));
});
if (!out.length) {
  console.error(`${src}: no request left to test`);
  process.exit(1);
}

fs.mkdirSync(dest, { recursive: true });
fs.copyFileSync(path.join(src, 'policies.cedar'), path.join(dest, 'policies.cedar'));
fs.copyFileSync(path.join(src, 'entities.json'), path.join(dest, 'entities.json'));
let test = '{\n';
if (summary) test += `  "comment": ${JSON.stringify(summary)},\n`;
test += '  "policies": "policies.cedar",\n  "entities": "entities.json",\n';
if (Array.isArray(links) && links.length) test += `  "templateLinks": ${toJson(links)},\n`;
test += `  "requests": [\n${out.join(',\n')}\n  ]\n}\n`;
const testFile = path.join(dest, 'test.json');
fs.writeFileSync(testFile, test);
console.log(`wrote ${testFile} (${out.length} request${out.length === 1 ? '' : 's'})`);
