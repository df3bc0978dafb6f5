// Contract test: the credential broker as people and agents meet it. A real
// `tollgate serve` with credentials in DATA/config.json (jwt, static from
// its environment and from a file, a mint/revoke command); `tollgate cred
// get` run with the task token as an agent runs it; RFC 8693 token exchange
// on POST /token, its token verified by a downstream service with `jose`
// through the published JWKS and refused for another audience; revocation
// when the task ends. Then every secret issued is searched for in the
// SQLite store (with its write-ahead log), the daemon's log and every CLI
// output other than the one `cred get` that delivered it.
//
//   node tests/downstream/broker_contract.test.mjs --tollgate build/src/cli/tollgate
//
// Exits 77 (ctest: skipped) when jose is not installed (`./dev deps`), except under CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { startDaemon } from './daemon.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let jose;
try {
  jose = await import('jose');
} catch {
  console.error(`jose is not installed in ${here}: run ./dev deps (npm ci in tests/downstream)`);
  process.exit(process.env.CI ? 1 : 77);
}

const arg = process.argv.indexOf('--tollgate');
const tollgate = path.resolve(arg > 0 ? process.argv[arg + 1] : 'build/src/cli/tollgate');
const data = mkdtempSync(path.join(tmpdir(), 'tollgate-broker-'));
const dbSecret = `db-${Math.random().toString(36).slice(2)}-secret`;
const fileSecret = `file-${Math.random().toString(36).slice(2)}-secret`;
const storeSecret = `store-${Math.random().toString(36).slice(2)}-secret`;
const env = {
  ...process.env, TOLLGATE_DATA: data, TOLLGATE_SOCKET: path.join(data, 'tollgate.sock'), TG_TEST_DB_SECRET: dbSecret,
};
delete env.TOLLGATE_TASK_TOKEN;

// The operator's configuration: four credentials.
writeFileSync(path.join(data, 'deploy.key'), `${fileSecret}\n`, { mode: 0o600 });
const script = (name, body) => {
  const p = path.join(data, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o700);
  return p;
};
const mint = script('mint', 'echo "cloud-$TOLLGATE_LEASE_ID-$(od -An -N8 -tx1 /dev/urandom | tr -d \' \\n\')"');
const revoke = script('revoke', `{ echo "$TOLLGATE_LEASE_ID"; cat; echo; } >> '${path.join(data, 'revoked.log')}'`);
writeFileSync(path.join(data, 'config.json'), JSON.stringify({
  credentials: {
    downstream: { kind: 'jwt', audience: 'downstream', ttl: 900 },
    db: { kind: 'static', env: 'TG_TEST_DB_SECRET' },
    'deploy-key': { kind: 'static', file: path.join(data, 'deploy.key') },
    cloud: { kind: 'command', mint: [mint], revoke: [revoke], ttl: 300, timeout_ms: 5000 },
    vault: { kind: 'static', store: 'vault-db' },
  },
}));

// Every output of every command, except the one stdout that delivers a secret.
const outputs = [];
function cli(args, extraEnv = {}, { delivers = false, input } = {}) {
  const r = spawnSync(tollgate, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 20000, input });
  outputs.push(r.stderr);
  if (!delivers) outputs.push(r.stdout);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const served = await startDaemon(tollgate, data, env, ['--reload-interval-ms', '200']);
const { daemon, port } = served;
const issuer = `http://127.0.0.1:${port}`;
const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri), { cooldownDuration: 0 });

async function exchange(fields) {
  const r = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  const text = await r.text();
  if (r.status !== 200) outputs.push(text); // a 200 delivers the token; every refusal is searched

  return { status: r.status, body: JSON.parse(text) };
}
const exchangeFields = (token, audience) => ({
  grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
  subject_token: token,
  subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
  audience,
});

const secrets = [dbSecret, fileSecret, storeSecret];
test.after(() => {
  daemon.kill('SIGTERM');
  if (!process.exitCode) rmSync(data, { recursive: true, force: true });
});

assert.equal(cli(['agent', 'register', '--name', 'builder', '--harness', 'claude-code', '--owner', 'ana']).code, 0);
const granted = ['cred:downstream', 'cred:db', 'cred:deploy-key', 'cred:cloud', 'cred:vault'].flatMap((g) => ['--allow-label', g]);
const started = cli(['task', 'start', '--agent', 'builder', '--ticket', 'OPS-9', '--json', ...granted]);
assert.equal(started.code, 0, started.err);
const { task, token } = JSON.parse(started.out);
const asAgent = { TOLLGATE_TASK_TOKEN: token };

test('cred get prints the secret and nothing else, for each kind', () => {
  for (const [name, expected] of [['db', dbSecret], ['deploy-key', fileSecret]]) {
    const r = cli(['cred', 'get', name], asAgent, { delivers: true });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${expected}\n`);
  }
  const cloud = cli(['cred', 'get', 'cloud', '--json'], asAgent, { delivers: true });
  assert.equal(cloud.code, 0, cloud.err);
  const lease = JSON.parse(cloud.out);
  assert.match(lease.secret, new RegExp(`^cloud-${lease.lease}-[0-9a-f]{16}$`));
  assert.equal(lease.kind, 'command');
  assert.equal(lease.task, task);
  secrets.push(lease.secret);
  const jwt = cli(['cred', 'get', 'downstream'], asAgent, { delivers: true });
  assert.equal(jwt.code, 0, jwt.err);
  secrets.push(jwt.out.trim());
});

test('the secret store: set from standard input, listed without its value, leased by cred get', () => {
  let r = cli(['cred', 'get', 'vault'], asAgent);
  assert.equal(r.code, 1);
  assert.match(r.err, /the secret store has no `vault-db`/);
  r = cli(['secret', 'set', 'vault-db'], {}, { input: `${storeSecret}\n` });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'stored vault-db\n');
  r = cli(['secret', 'list', '--json']);
  assert.equal(r.code, 0, r.err);
  const listed = JSON.parse(r.out);
  assert.deepEqual(listed.map((x) => [x.name, x.bytes]), [['vault-db', storeSecret.length]]);
  r = cli(['cred', 'get', 'vault'], asAgent, { delivers: true });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `${storeSecret}\n`);
  const sealed = readFileSync(path.join(data, 'secrets.json'), 'utf8');
  assert.ok(sealed.includes('vault-db') && !sealed.includes(storeSecret), 'the store file holds the name, sealed');
});

test('no token, an unknown credential or a forged token: an error, nothing issued', () => {
  let r = cli(['cred', 'get', 'db']);
  assert.equal(r.code, 1);
  assert.match(r.err, /no task token/);
  assert.equal(r.out, '');
  r = cli(['cred', 'get', 'dbb'], asAgent);
  assert.equal(r.code, 1);
  assert.match(r.err, /no credential `dbb` is configured; did you mean `db`\?/);
  r = cli(['cred', 'get', 'db'], { TOLLGATE_TASK_TOKEN: `${token.slice(0, -4)}AAAA` });
  assert.equal(r.code, 1);
  assert.match(r.err, /forged/);
});

test('token exchange: an audience-bound JWT a downstream service verifies, and refuses for another audience', async () => {
  const r = await exchange(exchangeFields(token, 'downstream'));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.issued_token_type, 'urn:ietf:params:oauth:token-type:jwt');
  const exchanged = r.body.access_token;
  secrets.push(exchanged);
  const { payload } = await jose.jwtVerify(exchanged, jwks, { issuer, audience: 'downstream', algorithms: ['ES256'] });
  assert.equal(payload.sub, `spiffe://tollgate.local/agent/builder/task/${task}`);
  assert.deepEqual(payload.act, { sub: 'ana' });
  assert.ok(payload.exp <= JSON.parse(cli(['task', 'show', task]).out).expires_ms / 1000);
  await assert.rejects(jose.jwtVerify(exchanged, jwks, { issuer, audience: 'billing', algorithms: ['ES256'] }),
    { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  // The task token itself is not the downstream service's.
  await assert.rejects(jose.jwtVerify(token, jwks, { issuer, audience: 'downstream', algorithms: ['ES256'] }),
    { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
  // An audience with no credential, and a subject token that is not a task token.
  const other = await exchange(exchangeFields(token, 'billing'));
  assert.equal(other.status, 400);
  assert.equal(other.body.error, 'invalid_target');
  const chained = await exchange(exchangeFields(exchanged, 'downstream'));
  assert.equal(chained.status, 400);
  assert.equal(chained.body.error, 'invalid_request');
});

test('ending the task revokes every lease: the revoke command runs, the exchanged token introspects inactive', async () => {
  const live = cli(['cred', 'leases']);
  assert.equal(live.code, 0, live.err);
  assert.equal(live.out.trim().split('\n').length, 6);
  const exchanged = secrets[secrets.length - 1];
  const bearer = readFileSync(path.join(data, 'http.token'), 'utf8').trim();
  const introspect = async () => (await fetch(discovery.introspection_endpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: exchanged }),
  })).json();
  assert.equal((await introspect()).active, true);
  assert.equal(cli(['task', 'end', task]).code, 0);
  assert.deepEqual(await introspect(), { active: false });
  assert.equal(cli(['cred', 'leases']).out, '');
  const revoked = readFileSync(path.join(data, 'revoked.log'), 'utf8');
  assert.ok(revoked.includes(secrets.find((x) => x.startsWith('cloud-'))), 'the revoke command got the secret on its standard input');
  const after = cli(['cred', 'get', 'db'], asAgent);
  assert.equal(after.code, 1);
  assert.match(after.err, /has ended/);
});

test('no secret is in the store, the daemon log or any other output', async () => {
  const ledger = cli(['audit', 'export', '--data', data]);
  assert.equal(ledger.code, 0, ledger.err);
  assert.match(ledger.out, /cred_issue/);
  assert.match(ledger.out, /cred_revoke/);
  daemon.kill('SIGTERM');
  await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.on('exit', r)));
  const files = ['tollgate.db', 'tollgate.db-wal', 'tollgate.db-shm', 'secrets.json'].map((f) => path.join(data, f)).filter(existsSync);
  const haystacks = { daemonLog: served.log, outputs: outputs.join('\n') };
  for (const f of files) haystacks[f] = readFileSync(f).toString('latin1');
  assert.equal(secrets.length, 6); // three static, one command, the jwt from cred get, the exchanged jwt
  for (const secret of secrets) {
    for (const [where, text] of Object.entries(haystacks)) {
      assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 6)}…) appears in ${where}`);
    }
  }
});
