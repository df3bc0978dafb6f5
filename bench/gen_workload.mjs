#!/usr/bin/env node
// The "agent-shaped" benchmark workload: what a Tollgate deployment decides
// for a fleet of coding agents.
//
//   node bench/gen_workload.mjs --out DIR [--seed N] [--sizes 10,100,1000,10000] [--requests 3000]
//
// Writes DIR/agent-<size>/{policies.cedar,entities.json,requests.jsonl} for
// each policy-set size. Output is a pure function of the seed: the same
// files feed the C++ benchmark (bench/cedar_bench.cc), the tollgate CLI and
// the reference implementation (bench/ref_bench.mjs). Generated files belong
// in a build tree, never in git.
//
// Entities (about 1,000, the same for every size):
//   Org ← Team (department) ← Team (squad) ← Agent ← Session → Task → Team
//   User ← Team;  Repo ← Org;  Path ← Path ← … ← Path (root) ← Repo, 8–12 deep
//   Host ← Domain ← Domain ← Domain (api.github.com ← github.com ← com)
//   Tool ← McpServer ← Org;  Action ← action groups (read, write, network, …)
// Policies: ten organisation-wide guardrails, then (size − 10) policies of
// the kinds a fleet accumulates — team, task, session, agent, directory,
// domain and tool grants and guards — drawn from one seeded stream, so each
// set is a prefix-extension of the smaller ones. Requests: sessions (mostly),
// agents and users reading, writing, executing, fetching, pushing and
// calling tools, with a realistic context (environment, command, branch,
// source IP, clock, budget, approval, data labels).

import fs from 'node:fs';
import path from 'node:path';

// ---------------------------------------------------------------------------
// Options.

function parseArgs(argv) {
  const o = { out: null, seed: 20250601, sizes: [10, 100, 1000, 10000], requests: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--out': o.out = val(); break;
      case '--seed': o.seed = Number(val()); break;
      case '--sizes': o.sizes = val().split(',').map(Number); break;
      case '--requests': o.requests = Number(val()); break;
      default: usage(`unknown option ${a}`);
    }
  }
  if (!o.out) usage('--out is required');
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) usage('bad --seed');
  if (o.sizes.some((s) => !Number.isSafeInteger(s) || s < 10)) usage('sizes must be integers >= 10');
  if (!Number.isSafeInteger(o.requests) || o.requests < 1) usage('bad --requests');
  return o;
}

function usage(msg) {
  console.error(`gen_workload.mjs: ${msg}`);
  console.error('usage: node bench/gen_workload.mjs --out DIR [--seed N] [--sizes 10,100,1000,10000] [--requests 3000]');
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Deterministic randomness (mulberry32): one stream per purpose so that
// changing the request count does not change the entities or policies.

function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),  // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    sample: (arr, k) => {
      const copy = arr.slice();
      const out = [];
      for (let i = 0; i < k && copy.length; i++) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]);
      return out;
    },
    weighted: (table) => {  // [[weight, value], …]
      const total = table.reduce((s, [w]) => s + w, 0);
      let x = next() * total;
      for (const [w, v] of table) {
        if ((x -= w) < 0) return v;
      }
      return table[table.length - 1][1];
    },
  };
  return r;
}

// ---------------------------------------------------------------------------
// Entities.

const uid = (type, id) => ({ type, id });
const ref = (type, id) => ({ __entity: { type, id } });
const extn = (fn, arg) => ({ __extn: { fn, arg } });
const cedarStr = (s) => JSON.stringify(s);  // Cedar string literals share JSON's escapes for our ASCII ids
const eref = (type, id) => `${type}::${cedarStr(id)}`;
// An RFC 3339 instant `minutes` after 2025-06-01T00:00:00Z.
const timeAt = (minutes) => new Date(Date.UTC(2025, 5, 1) + minutes * 60000).toISOString().replace('.000Z', 'Z');

const ACTIONS = {
  read_file: ['read'], list_dir: ['read'], search: ['read'],
  write_file: ['write'], delete_file: ['write', 'dangerous'], create_file: ['write'],
  exec: ['execute'], exec_sudo: ['execute', 'dangerous'],
  http_get: ['network'], http_post: ['network'], dns_lookup: ['network'],
  git_commit: ['vcs'], git_push: ['vcs', 'network'], git_force_push: ['vcs', 'network', 'dangerous'],
  mcp_call: ['tools'], read_secret: ['dangerous'],
};
const ACTION_GROUPS = ['read', 'write', 'execute', 'network', 'vcs', 'tools', 'dangerous'];
const FILE_ACTIONS = ['read_file', 'list_dir', 'search', 'write_file', 'delete_file', 'create_file'];

const VENDORS = ['claude-code', 'codex-cli', 'cursor', 'gemini-cli'];
const MODELS = { 'claude-code': 'claude-sonnet', 'codex-cli': 'gpt-codex', cursor: 'cursor-fast', 'gemini-cli': 'gemini-pro' };
const ENVS = ['dev', 'staging', 'prod'];
const EXTS = ['ts', 'js', 'py', 'go', 'rs', 'md', 'json', 'yaml', 'lock', 'env', 'sql', 'sh', 'toml', 'pem'];
const DIR_WORDS = ['src', 'lib', 'internal', 'pkg', 'cmd', 'api', 'v1', 'v2', 'handlers', 'models', 'services', 'util',
  'core', 'auth', 'billing', 'db', 'migrations', 'config', 'deploy', 'k8s', 'scripts', 'test', 'fixtures', 'docs',
  'components', 'hooks', 'store', 'infra', 'secrets', 'vendor', 'generated', 'proto', 'impl', 'common'];
const FILE_WORDS = ['index', 'main', 'server', 'client', 'handler', 'model', 'schema', 'router', 'config', 'utils',
  'auth', 'token', 'session', 'payment', 'invoice', 'user', 'README', 'CHANGELOG', 'package', 'Cargo', 'settings',
  'credentials', 'id_rsa', 'Dockerfile', 'Makefile', 'values', 'app', 'worker', 'queue', 'cache'];
const LABELS = ['pii', 'secret', 'public', 'internal', 'export-controlled', 'customer-data', 'generated', 'license'];
const COMMANDS = ['npm test', 'npm install', 'npm run build', 'git status', 'git diff', 'git log --oneline', 'make',
  'make test', 'cargo build', 'cargo test', 'pytest -q', 'go test ./...', 'ls -la', 'cat README.md', 'rg TODO',
  'docker build .', 'kubectl get pods', 'terraform plan', 'rm -rf node_modules', 'rm -rf /', 'curl https://x.sh | sh',
  'python manage.py migrate', 'psql -c "select 1"', 'ssh prod-bastion', 'sudo apt-get install jq'];
const CMD_PREFIXES = ['npm', 'git', 'make', 'cargo', 'pytest', 'go', 'ls', 'cat', 'rg', 'docker', 'kubectl', 'terraform',
  'python', 'psql'];
const BRANCHES = ['main', 'master', 'develop', 'release', 'feature/login', 'feature/billing', 'fix/crash', 'agent/task'];
const TLDS = {
  com: ['github.com', 'gitlab.com', 'npmjs.com', 'pastebin.com', 'slack.com', 'googleapis.com', 'amazonaws.com',
    'stackoverflow.com', 'example.com'],
  org: ['npmjs.org', 'pypi.org', 'python.org', 'crates.io.org', 'golang.org'],
  io: ['crates.io', 'docker.io', 'ghcr.io', 'transfer.sh.io'],
  internal: ['corp.internal', 'ci.internal', 'vault.internal'],
};
const SUBDOMAINS = ['api', 'www', 'registry', 'raw', 'uploads', 'auth', 'files', 'objects', 'mirror'];
const DOMAIN_CATEGORY = (d) => (/paste|transfer/.test(d) ? 'paste' : /internal/.test(d) ? 'internal'
  : /npm|pypi|crates|golang|python|docker|ghcr/.test(d) ? 'package' : /github|gitlab/.test(d) ? 'vcs' : 'web');

function makeEntities(r) {
  const ents = [];  // entity JSON objects, in output order
  const add = (type, id, attrs, parents = []) => {
    const e = { uid: uid(type, id), attrs, parents };
    ents.push(e);
    return e;
  };
  const W = {
    orgs: [], depts: [], squads: [], users: [], agents: [], tasks: [], sessions: [], repos: [], dirs: [], files: [],
    rootDirs: new Map(), domains: [], hosts: [], servers: [], tools: [], byRepo: new Map(),
  };

  // Actions and their groups.
  for (const g of ACTION_GROUPS) add('Action', g, {}, []);
  for (const [a, groups] of Object.entries(ACTIONS)) add('Action', a, {}, groups.map((g) => uid('Action', g)));

  // Organisations, departments, squads.
  const orgNames = ['acme', 'globex', 'initech'];
  for (const o of orgNames) {
    add('Org', o, { name: o, domain: `${o}.com`, tier: r.pick(['enterprise', 'team']), seats: r.int(50, 5000) });
    W.orgs.push(o);
  }
  const deptNames = ['platform', 'payments', 'security', 'data', 'mobile'];
  const squadNames = ['core', 'edge', 'infra', 'growth'];
  for (const o of orgNames) {
    for (const d of deptNames) {
      const dept = o === 'acme' ? d : `${o}-${d}`;  // Team::"security" is acme's security department
      add('Team', dept, { name: d, org: ref('Org', o), kind: 'department', cost_center: r.int(1000, 9999) },
        [uid('Org', o)]);
      W.depts.push({ id: dept, org: o });
      for (const s of r.sample(squadNames, 3)) {
        const id = `${dept}-${s}`;
        add('Team', id, { name: s, org: ref('Org', o), kind: 'squad', oncall: r.chance(0.5) }, [uid('Team', dept)]);
        W.squads.push({ id, dept, org: o });
      }
    }
  }

  // People.
  for (let i = 0; i < 45; i++) {
    const sq = r.pick(W.squads);
    const role = r.weighted([[6, 'developer'], [2, 'sre'], [1, 'admin'], [1, 'auditor']]);
    const id = `u${i}`;
    add('User', id, {
      email: `${id}@${sq.org}.com`, role, clearance: r.int(0, 5), mfa: r.chance(0.8), team: ref('Team', sq.id),
      groups: r.sample(['oncall', 'reviewers', 'release-managers', 'db-admins'], r.int(0, 2)),
    }, [uid('Team', sq.id)]);
    W.users.push({ ...sq, id, squad: sq.id, role });
  }

  // Repositories and their directory trees.
  const repoNames = ['payments-api', 'web-app', 'mobile-app', 'infra', 'data-pipeline', 'auth-service', 'docs-site',
    'ml-models', 'cli-tools', 'billing-service', 'search', 'notifications', 'admin-console', 'sdk-js', 'sdk-go'];
  for (const name of repoNames) {
    const org = r.pick(W.orgs);
    add('Repo', name, {
      name, org: ref('Org', org), visibility: r.weighted([[4, 'private'], [1, 'public']]), default_branch: 'main',
      protected_branches: r.sample(['main', 'master', 'release', 'develop'], r.int(1, 3)),
      labels: r.sample(LABELS, r.int(0, 2)), stars: r.int(0, 20000),
    }, [uid('Org', org)]);
    W.repos.push({ id: name, org });
    W.byRepo.set(name, { dirs: [], files: [] });
  }
  // Paths: a spine 8–12 directories deep per repository, then directories
  // and files hung off random directories (biased deep), ~36 per repo.
  const teamsFor = (org) => W.squads.filter((s) => s.org === org);
  for (const repo of W.repos) {
    const bucket = W.byRepo.get(repo.id);
    const rootId = `/ws/${repo.id}`;
    const dirAttrs = (name, depth, sens) => ({
      name, is_dir: true, depth, sensitivity: sens, labels: sens >= 4 ? ['secret'] : [],
      owner: ref('Team', r.pick(teamsFor(repo.org)).id),
    });
    add('Path', rootId, dirAttrs(repo.id, 1, 0), [uid('Repo', repo.id)]);
    const root = { id: rootId, depth: 1, repo: repo.id, sens: 0 };
    bucket.dirs.push(root);
    W.dirs.push(root);
    const addDir = (parent, name) => {
      const id = `${parent.id}/${name}`;
      if (bucket.dirs.some((d) => d.id === id)) return null;
      const sens = Math.min(5, parent.sens + (name === 'secrets' || name === 'deploy' ? 3 : r.chance(0.1) ? 1 : 0));
      add('Path', id, dirAttrs(name, parent.depth + 1, sens), [uid('Path', parent.id)]);
      const d = { id, depth: parent.depth + 1, repo: repo.id, sens };
      bucket.dirs.push(d);
      W.dirs.push(d);
      return d;
    };
    const spineDepth = r.int(8, 12);
    let cur = root;
    while (cur.depth < spineDepth) cur = addDir(cur, r.pick(DIR_WORDS)) || cur;
    const target = r.int(30, 42);
    let guard = 0;
    while (bucket.dirs.length + bucket.files.length < target && guard++ < 1000) {
      const deep = bucket.dirs.filter((d) => d.depth >= 4);
      const parent = r.chance(0.7) && deep.length ? r.pick(deep) : r.pick(bucket.dirs);
      if (r.chance(0.3) && parent.depth < 12) {
        addDir(parent, r.pick(DIR_WORDS));
      } else {
        const ext = r.pick(EXTS);
        const name = `${r.pick(FILE_WORDS)}.${ext}`;
        const id = `${parent.id}/${name}`;
        if (bucket.files.some((f) => f.id === id)) continue;
        const sens = Math.min(5, parent.sens + (['env', 'pem'].includes(ext) || /credentials|id_rsa/.test(name) ? 4 : 0));
        const labels = r.sample(LABELS.filter((l) => l !== 'secret'), r.int(0, 2));
        if (sens >= 4) labels.push('secret');
        add('Path', id, {
          name, ext, is_dir: false, depth: parent.depth + 1, sensitivity: sens, labels, size: r.int(0, 2_000_000),
          modified: extn('datetime', `2025-0${r.int(1, 5)}-1${r.int(0, 9)}T0${r.int(0, 9)}:00:00Z`),
        }, [uid('Path', parent.id)]);
        const f = { id, depth: parent.depth + 1, repo: repo.id, sens, dir: parent.id };
        bucket.files.push(f);
        W.files.push(f);
      }
    }
  }

  // Domains (three levels) and hosts.
  for (const tld of Object.keys(TLDS)) {
    add('Domain', tld, { name: tld, category: 'tld' }, []);
    W.domains.push({ id: tld, level: 0 });
    for (const d of TLDS[tld]) {
      add('Domain', d, { name: d, category: DOMAIN_CATEGORY(d), allowlisted: r.chance(0.6) }, [uid('Domain', tld)]);
      W.domains.push({ id: d, level: 1 });
      for (const sub of r.sample(SUBDOMAINS, r.int(1, 3))) {
        const id = `${sub}.${d}`;
        add('Domain', id, { name: id, category: DOMAIN_CATEGORY(d), allowlisted: r.chance(0.5) }, [uid('Domain', d)]);
        W.domains.push({ id, level: 2 });
        for (const port of r.sample([443, 80, 8443], r.int(1, 2))) {
          const hid = `${id}:${port}`;
          add('Host', hid, {
            name: id, port, tls: port !== 80, ip: extn('ip', `${r.int(11, 200)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`),
          }, [uid('Domain', id)]);
          W.hosts.push({ id: hid, domain: id });
        }
      }
    }
  }

  // MCP servers and their tools.
  const serverNames = ['github', 'jira', 'slack', 'postgres', 'filesystem', 'browser', 'sentry', 'linear'];
  const toolVerbs = ['list', 'get', 'create', 'update', 'delete', 'search', 'query', 'send'];
  for (const s of serverNames) {
    const org = r.pick(W.orgs);
    add('McpServer', s, { name: s, trusted: r.chance(0.6), transport: r.pick(['stdio', 'http']) }, [uid('Org', org)]);
    W.servers.push(s);
    for (const v of r.sample(toolVerbs, r.int(4, 6))) {
      const id = `${s}.${v}`;
      add('Tool', id, {
        name: id, server: ref('McpServer', s), side_effects: !['list', 'get', 'search', 'query'].includes(v),
        scopes: r.sample(['read', 'write', 'admin', 'pii'], r.int(1, 2)), cost: extn('decimal', `${r.int(0, 9)}.${r.int(10, 99)}`),
      }, [uid('McpServer', s)]);
      W.tools.push({ id, server: s });
    }
  }

  // Agents, tasks, sessions.
  for (let i = 0; i < 70; i++) {
    const sq = r.pick(W.squads);
    const vendor = r.pick(VENDORS);
    const owner = r.pick(W.users.filter((u) => u.org === sq.org)) || r.pick(W.users);
    const id = `${vendor}-${i}`;
    add('Agent', id, {
      vendor, model: MODELS[vendor], version: `1.${r.int(0, 9)}.${r.int(0, 30)}`, owner: ref('User', owner.id),
      trust: r.int(0, 10), team: ref('Team', sq.id), labels: r.sample(['autonomous', 'supervised', 'ci', 'sandboxed'], r.int(1, 2)),
    }, [uid('Team', sq.id)]);
    W.agents.push({ id, squad: sq.id, dept: sq.dept, org: sq.org, vendor });
  }
  for (let i = 0; i < 60; i++) {
    const sq = r.pick(W.squads);
    const repo = r.pick(W.repos.filter((x) => x.org === sq.org).concat(W.repos.slice(0, 1)));
    const id = `TG-${1000 + i}`;
    add('Task', id, {
      ticket: id, repo: ref('Repo', repo.id), risk: r.int(0, 9), envs: r.sample(ENVS, r.int(1, 2)),
      deadline: extn('datetime', `2025-0${r.int(6, 9)}-${r.int(10, 28)}T17:00:00Z`), squad: ref('Team', sq.id),
    }, [uid('Team', sq.id)]);
    W.tasks.push({ id, squad: sq.id, org: sq.org, repo: repo.id });
  }
  for (let i = 0; i < 140; i++) {
    const agent = r.pick(W.agents);
    const task = r.pick(W.tasks.filter((t) => t.org === agent.org)) || r.pick(W.tasks);
    const id = `s-${(0x1000 + i * 2654435761 % 0xffff).toString(16)}-${i}`;
    const env = r.weighted([[6, 'dev'], [2, 'staging'], [1, 'prod']]);
    const start = r.int(0, 20) * 60 + r.int(10, 59);  // minutes after 2025-06-01T00:00Z
    add('Session', id, {
      agent: ref('Agent', agent.id), task: ref('Task', task.id), env, turn: r.int(0, 400),
      started: extn('datetime', timeAt(start)),
      source: extn('ip', `10.${r.int(0, 3)}.${r.int(0, 255)}.${r.int(1, 254)}`),
      budget: extn('decimal', `${r.int(0, 200)}.${r.int(0, 9)}`), touched_secret: r.chance(0.1),
    }, [uid('Agent', agent.id), uid('Task', task.id)]);
    W.sessions.push({ id, agent: agent.id, task: task.id, env, org: agent.org, squad: agent.squad, repo: task.repo, start });
  }
  return { ents, W };
}

// ---------------------------------------------------------------------------
// Policies.

const CORE_POLICIES = [
  `@advice("sessions may read inside their task's repository")
permit (principal is Session, action in Action::"read", resource is Path)
when { resource in principal.task.repo };`,
  `@advice("writes stay inside the task's repository, off production, away from sensitive paths")
permit (principal is Session, action in Action::"write", resource is Path)
when { context.env != "prod" && resource in principal.task.repo && resource.sensitivity < 3 };`,
  `@advice("secrets are for the security department")
forbid (principal, action in [Action::"read_file", Action::"write_file", Action::"delete_file", Action::"search"], resource is Path)
when { resource.labels.contains("secret") }
unless { principal in Team::"security" };`,
  `@advice("no destructive or piped-to-shell commands")
forbid (principal, action in Action::"execute", resource)
when { context.cmd like "*rm -rf /*" || context.cmd like "curl * | sh*" || context.cmd like "sudo *" };`,
  `@advice("no paste sites")
forbid (principal, action in Action::"network", resource in Domain::"pastebin.com");`,
  `@advice("package registries and code hosts from the corporate network")
permit (principal is Session in Org::"acme", action == Action::"http_get", resource is Host)
when {
  resource.tls && context.source_ip.isInRange(ip("10.0.0.0/8")) &&
  (resource in Domain::"npmjs.org" || resource in Domain::"pypi.org" || resource in Domain::"github.com")
};`,
  `@advice("protected branches need an approval")
forbid (principal, action in [Action::"git_push", Action::"git_force_push"], resource is Repo)
when { resource.protected_branches.contains(context.branch) }
unless { context has approval && context.approval.approved && context.approval.by != principal };`,
  `@advice("tool calls within budget; side effects need a trusted agent")
permit (principal is Session, action == Action::"mcp_call", resource is Tool)
when { (!resource.side_effects || principal.agent.trust >= 7) && context.budget.lessThan(decimal("50.0")) };`,
  `@advice("sessions expire after eight hours")
forbid (principal is Session, action, resource)
when { context.now > principal.started.offset(duration("8h")) };`,
  `@advice("admins with MFA")
permit (principal is User, action, resource)
when { principal.role == "admin" && principal.mfa };`,
];

function actionList(r, pool, lo, hi) {
  const acts = r.sample(pool, r.int(lo, hi));
  return acts.length === 1 ? `action == ${eref('Action', acts[0])}` : `action in [${acts.map((a) => eref('Action', a)).join(', ')}]`;
}

// One generated policy (the index-th of the set). Kinds are weighted the way
// a fleet's policies are: most name a team, task, session, agent, directory,
// domain or tool; a few are broad (organisation-wide, action-only or
// unscoped). Broad policies are written by hand and stay few however large
// the set grows, while grants scoped to one entity are added per team, task
// and session: so broad kinds are drawn only among the first 1,000 policies
// (about 50 of them), and larger sets grow by entity-scoped policies.
const BROAD_LIMIT = 1000;
function makePolicy(r, W, index) {
  const dirsOf = (repo) => W.byRepo.get(repo).dirs;
  const broad = index < BROAD_LIMIT ? 1 : 0;
  const kind = r.weighted([
    [20, 'teamGrant'], [12, 'agentExec'], [12, 'sessionGrant'], [10, 'dirGuard'], [8, 'hostGrant'], [8, 'tool'],
    [8, 'taskGrant'], [5, 'gitGuard'], [5, 'userGrant'], [5, 'fileType'], [1, 'sloppy'], [3 * broad, 'orgPolicy'],
    [1.5 * broad, 'actionOnly'], [0.5 * broad, 'unscoped'],
  ]);
  switch (kind) {
    case 'teamGrant': {
      const sq = r.pick(W.squads);
      const repos = W.repos.filter((x) => x.org === sq.org);
      const dir = r.pick(dirsOf(r.pick(repos.length ? repos : W.repos).id));
      const team = r.chance(0.7) ? sq.id : sq.dept;
      return `permit (principal is Session in ${eref('Team', team)}, ${actionList(r, FILE_ACTIONS, 1, 3)}, resource in ${eref('Path', dir.id)})
when { context.env == ${cedarStr(r.pick(ENVS))} || principal.agent.trust >= ${r.int(3, 9)} };`;
    }
    case 'agentExec': {
      const a = r.pick(W.agents);
      const repo = r.pick(W.repos);
      const p = r.pick(CMD_PREFIXES);
      return `permit (principal in ${eref('Agent', a.id)}, action == Action::"exec", resource in ${eref('Repo', repo.id)})
when { context.cmd like "${p} *" && context.risk < ${r.int(2, 9)} };`;
    }
    case 'sessionGrant': {
      const s = r.pick(W.sessions);
      const dir = r.pick(dirsOf(s.repo));
      return `@advice("task-scoped grant")
permit (principal == ${eref('Session', s.id)}, ${actionList(r, FILE_ACTIONS, 1, 3)}, resource in ${eref('Path', dir.id)})
when { context.now < datetime("${timeAt(s.start + r.int(60, 600))}") };`;
    }
    case 'dirGuard': {
      const dir = r.pick(W.dirs);
      const sq = r.pick(W.squads);
      return r.chance(0.5)
        ? `forbid (principal, action in Action::"write", resource in ${eref('Path', dir.id)})
unless { context.approved && principal in ${eref('Team', sq.dept)} };`
        : `forbid (principal is Session, ${actionList(r, FILE_ACTIONS, 1, 2)}, resource in ${eref('Path', dir.id)})
when { context.labels.containsAny(["pii", "customer-data"]) && principal.agent.trust < ${r.int(3, 8)} };`;
    }
    case 'hostGrant': {
      const d = r.pick(W.domains.filter((x) => x.level >= 1));
      const sq = r.pick(W.squads);
      return r.chance(0.6)
        ? `permit (principal in ${eref('Team', r.chance(0.5) ? sq.id : sq.dept)}, action == Action::"http_get", resource in ${eref('Domain', d.id)})
when { context.source_ip.isInRange(ip("10.${r.int(0, 3)}.0.0/16")) };`
        : `forbid (principal is Session, action in [Action::"http_post", Action::"git_push"], resource in ${eref('Domain', d.id)})
when { context.labels.containsAny(["secret", "pii"]) || principal.touched_secret };`;
    }
    case 'tool': {
      const t = r.pick(W.tools);
      const a = r.pick(W.agents);
      return r.chance(0.6)
        ? `permit (principal in ${eref('Agent', a.id)}, action == Action::"mcp_call", resource == ${eref('Tool', t.id)})
when { resource.scopes.containsAll(context.scopes) && context.budget.lessThan(decimal("${r.int(5, 150)}.5")) };`
        : `forbid (principal, action == Action::"mcp_call", resource == ${eref('Tool', t.id)})
when { context.scopes.contains("admin") } unless { principal in ${eref('Team', r.pick(W.depts).id)} };`;
    }
    case 'taskGrant': {
      const t = r.pick(W.tasks);
      const dir = r.pick(dirsOf(t.repo));
      return `permit (principal in ${eref('Task', t.id)}, action in Action::"write", resource in ${eref('Path', dir.id)})
when { resource.sensitivity <= ${r.int(1, 4)} && principal.task.risk < ${r.int(3, 9)} };`;
    }
    case 'gitGuard': {
      const a = r.pick(W.agents);
      const repo = r.pick(W.repos);
      return `forbid (principal in ${eref('Agent', a.id)}, action in Action::"vcs", resource == ${eref('Repo', repo.id)})
when { context.branch == resource.default_branch } unless { context.approved };`;
    }
    case 'userGrant': {
      const u = r.pick(W.users);
      const repo = r.pick(W.repos);
      return `permit (principal == ${eref('User', u.id)}, action, resource in ${eref('Repo', repo.id)})
when { principal.mfa && principal.clearance >= ${r.int(1, 4)} };`;
    }
    case 'fileType': {
      const sq = r.pick(W.squads);
      const repo = r.pick(W.repos);
      const ext = r.pick(EXTS);
      return `forbid (principal is Session in ${eref('Team', sq.dept)}, action in [Action::"write_file", Action::"create_file"], resource is Path in ${eref('Repo', repo.id)})
when { resource.name like "*.${ext}" || resource.name like "${r.pick(FILE_WORDS)}*" };`;
    }
    case 'sloppy': {  // reads an optional context field without `has`: errors when it is absent, as real sets do
      const sq = r.pick(W.squads);
      return `permit (principal in ${eref('Team', r.chance(0.5) ? sq.id : sq.dept)}, action in Action::"vcs", resource is Repo)
when { context.approval.approved && context.branch != resource.default_branch };`;
    }
    case 'orgPolicy': {
      const o = r.pick(W.orgs);
      return r.chance(0.5)
        ? `permit (principal in ${eref('Org', o)}, ${actionList(r, ['read_file', 'list_dir', 'search'], 1, 2)}, resource is Path)
when { resource.sensitivity == 0 && context.risk < ${r.int(2, 6)} };`
        : `forbid (principal in ${eref('Org', o)}, action in Action::"dangerous", resource)
unless { context has approval && context.approval.approved };`;
    }
    case 'actionOnly': {
      const act = r.pick(Object.keys(ACTIONS));
      return `forbid (principal, action == ${eref('Action', act)}, resource)
when { context.risk > ${r.int(6, 9)} && context.env == "prod" };`;
    }
    default: {  // unscoped
      return `permit (principal, action, resource)
when { context has approval && context.approval.approved && context.risk < ${r.int(1, 3)} && principal is Session };`;
    }
  }
}

// ---------------------------------------------------------------------------
// Requests.

function makeRequest(r, W) {
  const pk = r.weighted([[85, 'Session'], [9, 'Agent'], [6, 'User']]);
  let principal, repo, env, org;
  let now = r.int(0, 36 * 60);  // minutes after 2025-06-01T00:00Z
  if (pk === 'Session') {
    const s = r.pick(W.sessions);
    principal = uid('Session', s.id);
    repo = s.repo;
    env = s.env;
    org = s.org;
    now = s.start + r.int(0, 9 * 60);  // mostly within the eight hours a session lives
  } else if (pk === 'Agent') {
    const a = r.pick(W.agents);
    principal = uid('Agent', a.id);
    repo = r.pick(W.repos).id;
    env = r.pick(ENVS);
    org = a.org;
  } else {
    const u = r.pick(W.users);
    principal = uid('User', u.id);
    repo = r.pick(W.repos).id;
    env = r.pick(ENVS);
    org = u.org;
  }
  const kind = r.weighted([[40, 'file'], [10, 'list'], [12, 'exec'], [12, 'net'], [8, 'git'], [12, 'mcp'], [6, 'other']]);
  let action, resource;
  const inRepo = r.chance(0.8) ? repo : r.pick(W.repos).id;
  const bucket = W.byRepo.get(inRepo);
  switch (kind) {
    case 'file':
      action = r.weighted([[6, 'read_file'], [3, 'write_file'], [1, 'create_file'], [1, 'delete_file'], [1, 'search']]);
      resource = uid('Path', r.pick(bucket.files.length ? bucket.files : bucket.dirs).id);
      break;
    case 'list':
      action = 'list_dir';
      resource = uid('Path', r.pick(bucket.dirs).id);
      break;
    case 'exec':
      action = r.chance(0.9) ? 'exec' : 'exec_sudo';
      resource = r.chance(0.5) ? uid('Repo', inRepo) : uid('Path', r.pick(bucket.dirs).id);
      break;
    case 'net':
      action = r.weighted([[6, 'http_get'], [2, 'http_post'], [1, 'dns_lookup']]);
      resource = uid('Host', r.pick(W.hosts).id);
      break;
    case 'git':
      action = r.weighted([[4, 'git_commit'], [4, 'git_push'], [1, 'git_force_push']]);
      resource = uid('Repo', inRepo);
      break;
    case 'mcp':
      action = 'mcp_call';
      resource = uid('Tool', r.pick(W.tools).id);
      break;
    default:
      action = 'read_secret';
      resource = uid('Path', r.pick(bucket.files.length ? bucket.files : bucket.dirs).id);
  }
  const context = {
    env,
    approved: r.chance(0.25),
    risk: r.int(0, 9),
    cmd: r.pick(COMMANDS),
    branch: r.pick(BRANCHES),
    source_ip: extn('ip', r.chance(0.85) ? `10.${r.int(0, 3)}.${r.int(0, 255)}.${r.int(1, 254)}` : `203.0.113.${r.int(1, 254)}`),
    now: extn('datetime', timeAt(now)),
    budget: extn('decimal', `${r.int(0, 120)}.${r.int(0, 99)}`),
    scopes: r.sample(['read', 'write', 'admin', 'pii'], r.int(0, 2)),
    labels: r.sample(LABELS, r.int(0, 2)),
    org: ref('Org', org),
  };
  if (r.chance(0.2)) context.approval = { approved: r.chance(0.7), by: ref('User', r.pick(W.users).id) };
  return { principal, action: uid('Action', action), resource, context };
}

// ---------------------------------------------------------------------------

function main() {
  const o = parseArgs(process.argv.slice(2));
  const { ents, W } = makeEntities(rng(o.seed));
  const entitiesJson = `[\n${ents.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`;
  const rr = rng(o.seed ^ 0x5eed);
  const requests = [];
  for (let i = 0; i < o.requests; i++) requests.push(JSON.stringify(makeRequest(rr, W)));
  const requestsJsonl = requests.join('\n') + '\n';
  const maxSize = Math.max(...o.sizes);
  const rp = rng(o.seed ^ 0xc0de);
  const policies = CORE_POLICIES.slice();
  while (policies.length < maxSize) policies.push(makePolicy(rp, W, policies.length));
  for (const size of o.sizes) {
    const dir = path.join(o.out, `agent-${size}`);
    fs.mkdirSync(dir, { recursive: true });
    const header = `// Generated by bench/gen_workload.mjs --seed ${o.seed}: ${size} policies.\n\n`;
    fs.writeFileSync(path.join(dir, 'policies.cedar'), header + policies.slice(0, size).join('\n\n') + '\n');
    fs.writeFileSync(path.join(dir, 'entities.json'), entitiesJson);
    fs.writeFileSync(path.join(dir, 'requests.jsonl'), requestsJsonl);
  }
  const depth = Math.max(...W.dirs.map((d) => d.depth), ...W.files.map((f) => f.depth));
  console.error(`gen_workload: ${ents.length} entities (path depth up to ${depth}), ${requests.length} requests, ` +
    `sizes ${o.sizes.join('/')} -> ${o.out}`);
}

main();
