// Contract test: a downstream service trusts Tollgate's task tokens the way
// a real one would — OIDC discovery, the published JWKS and RFC 7662
// introspection over HTTP, verified by `jose` (a JOSE library from npm, not
// Tollgate's code) — and rejects expired, revoked, wrong-audience and forged
// tokens (bad signature, alg none, swapped keys, HS256 keyed with the public
// key). Also checks `tollgate token verify|rotate|jwks` as operators use them.
//
//   node tests/downstream/jwks_contract.test.mjs --tollgate build/src/cli/tollgate
//
// Exits 77 (ctest: skipped) when jose is not installed (`./dev deps`), except under CI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { startDaemon } from './daemon.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let jose;
try {
  jose = await import('jose'); // tests/downstream/node_modules, pinned by package-lock.json
} catch {
  console.error(`jose is not installed in ${here}: run ./dev deps (npm ci in tests/downstream)`);
  process.exit(process.env.CI ? 1 : 77);
}

const arg = process.argv.indexOf('--tollgate');
const tollgate = path.resolve(arg > 0 ? process.argv[arg + 1] : 'build/src/cli/tollgate');
const data = mkdtempSync(path.join(tmpdir(), 'tollgate-downstream-'));
const env = { ...process.env, TOLLGATE_DATA: data, TOLLGATE_SOCKET: path.join(data, 'tollgate.sock') };

function cli(...args) {
  const r = spawnSync(tollgate, args, { env, encoding: 'utf8', timeout: 20000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// The daemon, with its HTTP API on a free port.
const { daemon, port } = await startDaemon(tollgate, data, env, ['--reload-interval-ms', '3600000']);
const issuer = `http://127.0.0.1:${port}`;
const bearer = readFileSync(path.join(data, 'http.token'), 'utf8').trim();

// The downstream service: discovery → JWKS → jose.jwtVerify → introspection.
const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri), { cooldownDuration: 0 });
async function introspect(token) {
  const r = await fetch(discovery.introspection_endpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  assert.equal(r.status, 200);
  return r.json();
}
const service = http.createServer(async (req, res) => {
  const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
  const at = req.headers['x-test-time'] ? new Date(Number(req.headers['x-test-time'])) : undefined;
  try {
    const { payload } = await jose.jwtVerify(token, jwks, {
      issuer: discovery.issuer, audience: 'downstream', algorithms: ['ES256'], currentDate: at,
    });
    const state = await introspect(token);
    if (!state.active) throw new Error('revoked: the issuer reports the token inactive');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  } catch (e) {
    res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `${e.code ?? ''} ${e.message}` }));
  }
});
await new Promise((r) => service.listen(0, '127.0.0.1', r));
const serviceUrl = `http://127.0.0.1:${service.address().port}/`;
async function call(token, headers = {}) {
  const r = await fetch(serviceUrl, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: r.status, body: await r.json() };
}

function startTask(...extra) {
  const r = cli('task', 'start', '--agent', 'reviewer', '--ticket', 'OPS-7', '--repo', '/srv/infra', '--json', ...extra);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out);
}
const parts = (token) => token.split('.');
const decode = (b64) => JSON.parse(Buffer.from(b64, 'base64url').toString());

test.after(() => {
  service.close();
  daemon.kill('SIGTERM');
  if (!process.exitCode) rmSync(data, { recursive: true, force: true });
});

assert.equal(cli('agent', 'register', '--name', 'reviewer', '--harness', 'claude-code', '--owner', 'ana').code, 0);

test('discovery names the issuer, the JWKS and introspection', () => {
  assert.equal(discovery.issuer, issuer);
  assert.equal(discovery.jwks_uri, `${issuer}/.well-known/jwks.json`);
  assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['ES256']);
});

test('a valid task token is accepted, with its SPIFFE subject and the human it acts for', async () => {
  const { task, token } = startTask('--audience', 'downstream');
  const r = await call(token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.sub, `spiffe://tollgate.local/agent/reviewer/task/${task}`);
  assert.deepEqual(r.body.act, { sub: 'ana' });
  assert.equal(r.body.ticket, 'OPS-7');
  assert.deepEqual(r.body.repos, ['/srv/infra']);
  const v = cli('token', 'verify', token, '--audience', 'downstream');
  assert.equal(v.code, 0, v.err);
  assert.equal(JSON.parse(v.out).sub, r.body.sub);
});

test('an expired token is rejected', async () => {
  const { token } = startTask('--audience', 'downstream', '--ttl', '30m');
  const later = Date.now() + 31 * 60 * 1000 + 120 * 1000;
  const r = await call(token, { 'x-test-time': String(later) });
  assert.equal(r.status, 401);
  assert.match(r.body.error, /ERR_JWT_EXPIRED/);
});

test('a wrong-audience token is rejected, by jose and by token verify', async () => {
  const { token } = startTask('--audience', 'billing');
  const r = await call(token);
  assert.equal(r.status, 401);
  assert.match(r.body.error, /ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/);
  const v = cli('token', 'verify', token, '--audience', 'downstream');
  assert.equal(v.code, 1);
  assert.match(v.err, /wrong audience/);
});

test('a revoked token (its task ended) verifies against the JWKS but introspects inactive', async () => {
  const { task, token } = startTask('--audience', 'downstream');
  assert.equal((await call(token)).status, 200);
  assert.equal(cli('task', 'end', task).code, 0);
  await jose.jwtVerify(token, jwks, { issuer, audience: 'downstream' }); // the signature alone is still good
  assert.deepEqual(await introspect(token), { active: false });
  const r = await call(token);
  assert.equal(r.status, 401);
  assert.match(r.body.error, /revoked/);
  const v = cli('token', 'verify', token);
  assert.equal(v.code, 1);
  assert.match(v.err, /revoked: the task .* has ended/);
});

test('forged tokens are rejected: bad signature, alg none, swapped keys, HS256 with the public key', async () => {
  const { token } = startTask('--audience', 'downstream');
  const [h, p, s] = parts(token);
  const claims = decode(p);
  const { kid } = decode(h);
  // A claim changed after signing.
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'spiffe://tollgate.local/agent/root/task/x' })).toString('base64url')}.${s}`;
  // Unsigned.
  const none = new jose.UnsecuredJWT(claims).encode();
  // Signed by the attacker's own ES256 key under Tollgate's kid.
  const attacker = await jose.generateKeyPair('ES256');
  const swapped = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(attacker.privateKey);
  // HS256 keyed with the published public key.
  const published = (await (await fetch(discovery.jwks_uri)).json()).keys.find((k) => k.kid === kid);
  const hs = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid })
    .sign(new TextEncoder().encode(JSON.stringify(published)));
  for (const [name, forged] of Object.entries({ tampered, none, swapped, hs })) {
    const r = await call(forged);
    assert.equal(r.status, 401, `${name}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(await introspect(forged), { active: false }, name);
    const v = cli('token', 'verify', forged);
    assert.equal(v.code, 1, name);
    assert.match(v.err, /forged|malformed/, `${name}: ${v.err}`);
  }
  assert.equal(cli('token', 'verify', 'not-a-token').code, 1);
});

test('after rotation, earlier and new tokens both verify through the JWKS', async () => {
  const before = startTask('--audience', 'downstream').token;
  const rot = cli('token', 'rotate');
  assert.equal(rot.code, 0, rot.err);
  const newKid = /signing key (\S+) active/.exec(rot.out)[1];
  const after = startTask('--audience', 'downstream').token;
  assert.equal(decode(parts(after)[0]).kid, newKid);
  assert.notEqual(decode(parts(before)[0]).kid, newKid);
  assert.equal((await call(before)).status, 200);
  assert.equal((await call(after)).status, 200);
  const offline = JSON.parse(cli('token', 'jwks').out);
  assert.deepEqual(offline.keys.map((k) => k.kid).sort(),
    (await (await fetch(discovery.jwks_uri)).json()).keys.map((k) => k.kid).sort());
});
