// Seeded random generator of Cedar test cases for the Tollgate differential
// tester (see README.md).
//
// A case is: a policy set (one text, every policy/template named policy0,
// policy1, … in source order), optional template links, an entities JSON
// array (as text, so that i64 edge values and deliberately malformed input
// survive byte-for-byte) and a batch of requests (one JSON object per line).
//
// generateCase(caseSeed) is a pure function of its seed: the same seed always
// yields the same case, byte for byte.

// ---------------------------------------------------------------------------
// PRNG: splitmix32 for seeding, sfc32 for the stream. 32-bit integer ops only.

function splitmix32(state) {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hash any number of non-negative integers (each < 2^53) into a 32-bit seed. */
export function mixSeed(...parts) {
  let h = 0x243f6a88;
  for (const p of parts) {
    const lo = p >>> 0;
    const hi = Math.floor(p / 4294967296) >>> 0;
    h = splitmix32(h ^ lo)();
    h = splitmix32(h ^ hi)();
  }
  return h >>> 0;
}

export class Rng {
  constructor(seed) {
    const sm = splitmix32(seed >>> 0);
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32() {
    // sfc32
    let { a, b, c, d } = this;
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    this.a = a >>> 0; this.b = b; this.c = c; this.d = d;
    return t;
  }
  float() { return this.u32() / 4294967296; }
  int(n) { return n <= 1 ? 0 : Math.floor(this.float() * n); }
  range(lo, hi) { return lo + this.int(hi - lo + 1); }
  chance(p) { return this.float() < p; }
  pick(arr) { return arr[this.int(arr.length)]; }
  /** pairs: [[weight, value], …]; a function value is called. */
  weighted(pairs) {
    let total = 0;
    for (const [w] of pairs) total += w;
    let x = this.float() * total;
    for (const [w, v] of pairs) {
      if ((x -= w) < 0) return typeof v === 'function' ? v() : v;
    }
    const v = pairs[pairs.length - 1][1];
    return typeof v === 'function' ? v() : v;
  }
  shuffle(arr) {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [arr[i], arr[j]] = [arr[j], arr[i]];
    }
    return arr;
  }
  subset(arr, p) { return arr.filter(() => this.chance(p)); }
}

// ---------------------------------------------------------------------------
// JSON text serialization with exact control over numbers (BigInt → raw
// digits), key order and duplicate keys.

/** An object literal that may repeat keys: entries are [key, value]. */
export class JObj {
  constructor(entries) { this.entries = entries; }
}
/** Verbatim JSON text (used for deliberately odd numbers such as 1.5). */
export class JRaw {
  constructor(text) { this.text = text; }
}

export function toJson(v) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'number': return String(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'string': return JSON.stringify(v);
    default: break;
  }
  if (v instanceof JRaw) return v.text;
  if (Array.isArray(v)) return '[' + v.map(toJson).join(',') + ']';
  if (v instanceof JObj) {
    return '{' + v.entries.map(([k, x]) => JSON.stringify(k) + ':' + toJson(x)).join(',') + '}';
  }
  return '{' + Object.keys(v).map((k) => JSON.stringify(k) + ':' + toJson(v[k])).join(',') + '}';
}

/**
 * Parse JSON text into the representation toJson prints: integers as BigInt,
 * other numbers as JRaw, objects as JObj (order and duplicate keys kept).
 * Throws on malformed input. toJson(parseJson(t)) is t without whitespace.
 */
export function parseJson(text) {
  let i = 0;
  const fail = (m) => { throw new Error(`JSON: ${m} at ${i}`); };
  const skip = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const value = () => {
    skip();
    const ch = text[i];
    if (ch === '{') {
      i++;
      const entries = [];
      skip();
      if (text[i] === '}') { i++; return new JObj(entries); }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('expected key');
        const k = str();
        skip();
        if (text[i++] !== ':') fail('expected :');
        entries.push([k, value()]);
        skip();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return new JObj(entries); }
        fail('expected , or }');
      }
    }
    if (ch === '[') {
      i++;
      const out = [];
      skip();
      if (text[i] === ']') { i++; return out; }
      for (;;) {
        out.push(value());
        skip();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return out; }
        fail('expected , or ]');
      }
    }
    if (ch === '"') return str();
    for (const [lit, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(lit, i)) { i += lit.length; return v; }
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || !m[0]) fail('unexpected character');
    i += m[0].length;
    return m[2] || m[3] ? new JRaw(m[0]) : BigInt(m[0]);
  };
  const str = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  skip();
  if (i !== text.length) fail('trailing characters');
  return v;
}

// ---------------------------------------------------------------------------
// Literal pools.

const I64_MAX = 9223372036854775807n;
const I64_MIN = -9223372036854775808n;

const LONG_EDGES = [
  I64_MAX, I64_MIN, I64_MAX - 1n, I64_MIN + 1n, 4611686018427387904n, -4611686018427387904n,
  3037000499n, 3037000500n, 4294967296n, 2147483648n, -2147483649n, 1000000000000n,
  86400000n, 9223372036854775n, 106751991167n,
];

export const IP_VALID = [
  '127.0.0.1', '10.0.0.1', '192.168.0.1/24', '10.0.0.0/8', '0.0.0.0', '255.255.255.255',
  '::1', '::', '2001:db8::1', '2001:db8::/32', 'fe80::1', 'ff02::1', '224.0.0.1', '239.255.255.255',
  '127.0.0.1/32', '1.2.3.4/0', '::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  '127.255.255.255/8', '192.168.1.1', '192.168.0.0/16', '10.1.2.3/8', '::1/128', 'ff00::/8',
  '127.0.0.2', '2001:0db8:0000:0000:0000:0000:0000:0001', '169.254.0.1/16', '224.0.0.0/4',
];
export const IP_ODD = [
  '256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4/33', '::1/129', '1.2.3.4/', '1.2.3.4/-1', '',
  ' 127.0.0.1', '127.0.0.1 ', '1.2.3.4/08', '::g', '1::2::3', 'fe80::1%eth0', '127.0.0.1/8/8',
  '1.2.3.4.5', '0x7f.0.0.1', '::ffff:1.2.3.4/120', '1.2.3.4/00', '127.000.0.1', '::FFFF:7f00:1',
  '1.2.3.4/+8', '[::1]', '::ffff:127.0.0.1', '::1/0128', '0.0.0.0/0', '12345::1',
];
export const DECIMAL_VALID = [
  '0.0', '1.0', '-1.0', '1.5', '-0.0001', '123.4567', '922337203685477.5807', '-922337203685477.5808',
  '0.1', '10.10', '-5.5', '3.14', '1.00', '1.0000', '-0.0', '100.0', '0.9999', '2.5',
];
export const DECIMAL_ODD = [
  '1', '1.', '.5', '1.23456', '922337203685477.5808', '-922337203685477.5809', '+1.0', '1e3',
  '01.5', '1.0.0', 'abc', '', '-', '--1.0', '1,0', ' 1.0', '99999999999999999.0', '-.5', '0x1.0',
  '00.0', '1.-5', '١.٠',
];
export const DATETIME_VALID = [
  '2024-01-01', '2024-02-29', '1970-01-01', '2024-06-15T12:30:45Z', '2024-06-15T12:30:45.123Z',
  '2024-06-15T12:30:45+0530', '2024-06-15T12:30:45-0800', '2024-06-15T12:30:45.999+2359',
  '0001-01-01', '9999-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z', '2000-02-29T00:00:00Z',
  '0000-01-01', '2024-06-15T00:00:00-2359', '1900-03-01', '2024-12-31T23:59:59Z',
  '2024-01-01T00:00:00.000Z', '1969-07-20T20:17:40Z',
];
export const DATETIME_ODD = [
  '2023-02-29', '2024-13-01', '2024-00-10', '2024-01-32', '2024-1-1', '24-01-01',
  '2024-01-01T24:00:00Z', '2024-01-01T23:60:00Z', '2024-01-01T23:59:60Z', '2024-01-01T00:00:00',
  '2024-01-01T00:00Z', '2024-01-01t00:00:00z', '2024-01-01T00:00:00+2400', '2024-01-01T00:00:00+0060',
  '2024-01-01T00:00:00.12Z', '2024-01-01T00:00:00.1234Z', '2024-01-01T00:00:00+01:00',
  '2024-01-01 00:00:00Z', '+2024-01-01', '', '2024-01-01T00:00:00.000z', '1900-02-29', '2100-02-29',
  '2000-02-30', '2024-04-31', '-001-01-01', '2024-01-01T00:00:00+01', '2024-01-01Z',
  '2024-01-01T12:00:00.5Z', '20240101', '2024-06-15T12:30:45.999-2400',
];
export const DURATION_VALID = [
  '0ms', '1ms', '1s', '1m', '1h', '1d', '1d2h3m4s5ms', '-1d', '-2h30m', '24h', '1500ms', '-0s',
  '9223372036854775807ms', '-9223372036854775808ms', '106751991167d', '2h1s', '90m', '1d1ms',
  '-106751991167d', '36500d', '25h', '59s', '100000000d',
];
export const DURATION_ODD = [
  '', '1', '1x', '1s1d', '1h1h', '1.5h', '1D', '+1d', '--1d', '1d-2h', ' 1d', '9223372036854775808ms',
  '106751991168d', '1d 2h', '-', 'ms', '1m1ms1s', '-9223372036854775809ms', '1ms1s', '0', 'd',
  '1d2d', '9223372036854775807s', '1h-1m',
];

// Families of literals that denote equal (or nearly equal) values in
// different spellings: compared with each other to probe value equality,
// ordering and set membership.
const EQUIV_FAMILIES = [
  ['ip', ['10.0.0.1', '10.0.0.1/32', '10.0.0.0/8', '10.0.0.1/8', '10.255.255.255/8', '::1', '::1/128', '0:0:0:0:0:0:0:1', '::ffff:a00:1', '::a00:1']],
  ['decimal', ['1.0', '1.00', '1.0000', '01.0', '-0.0', '0.0', '0.00', '-1.0', '0.9999', '1.0001']],
  ['datetime', ['2024-01-01', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z', '2024-01-01T01:00:00+0100',
    '2023-12-31T23:00:00-0100', '2023-12-31T23:59:59.999Z', '2024-01-01T00:00:00.001Z', '1970-01-01', '1970-01-01T00:00:00+0000']],
  ['duration', ['1h', '60m', '3600s', '3600000ms', '0h60m', '1h0m0s0ms', '-0ms', '0ms', '0d', '1d', '24h', '1440m', '-1ms', '1ms']],
];

const STRING_POOL = [
  '', 'a', 'abc', 'alice', 'bob', 'hello world', 'x*y', '*', '**', 'a\\b', 'quote"d', "it's",
  'new\nline', 'tab\there', 'ünïcödé', '😀', 'é', 'e\u0301', 'red', 'green', 'blue', 'admin',
  'A', 'AB', 'aaa', 'ab', 'ba', '0', '42', 'null', 'true', ' ', '\u0000nul', 'zzz', 'ß', 'İ',
  'line\r\n', 'DROP TABLE', '\u{10FFFF}', 'path/to/file', 'a.b.c', '%', '\\*',
];

const ENTITY_TYPES = ['User', 'Group', 'Doc', 'Folder', 'Team', 'Role', 'NS::Thing', 'A::B::C', 'Org::Unit', 'Photo'];
const ACTION_TYPES = ['Action', 'Action', 'Action', 'Action', 'NS::Action'];
const ENTITY_IDS = [
  'alice', 'bob', 'carol', 'dave', 'g1', 'g2', 'root', 'd1', 'd2', '', 'a b', 'ünï', 'quo"te',
  'back\\slash', 'new\nline', '*', '0', '😀', 'tab\t', 'Alice', 'x::y', "'", 'admin', 'z',
];
const ACTION_IDS = ['view', 'edit', 'delete', 'read', 'write', 'read write', 'ADMIN', 'all', 'share', ''];

const ATTR_NAMES = [
  'name', 'age', 'active', 'manager', 'owner', 'tags', 'level', 'addr', 'ip', 'amount', 'created',
  'ttl', 'score', 'nested', 'roles', 'email', 'a', 'b', 'c', 'flag', 'count', 'parent', 'members',
  'kebab-case', 'with space', '', 'ünï', '0digit', 'principal', 'context', 'action', 'if_', '_x',
];
// Names that are reserved words: usable only with ["…"], "has" via string,
// or (deliberately) after "." to probe the parser.
const RESERVED_NAMES = ['if', 'then', 'else', 'in', 'is', 'like', 'has', 'true', 'false', '__cedar'];
const TAG_KEYS = ['t1', 't2', 'color', 'owner', '', 'k k', 'level', 'ü', 'T1'];

function isIdent(s) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) && !RESERVED_NAMES.includes(s);
}

// ---------------------------------------------------------------------------
// Cedar text helpers.

/** Render a string as a Cedar string literal, varying the escape forms. */
export function cedarString(rng, s, { pattern = false } = {}) {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (pattern && ch === '*') { out += '\\*'; continue; }
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\n': out += rng.chance(0.8) ? '\\n' : '\\u{a}'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += rng.chance(0.7) ? '\\t' : '\\u{0009}'; continue;
      case '\0': out += rng.chance(0.5) ? '\\0' : '\\u{0}'; continue;
      default: break;
    }
    if (cp < 0x20 || cp === 0x7f) { out += `\\u{${cp.toString(16)}}`; continue; }
    if (ch === "'" && rng.chance(0.5)) { out += "\\'"; continue; }
    if (cp > 0x7f && rng.chance(0.3)) {
      out += `\\u{${rng.chance(0.5) ? cp.toString(16) : cp.toString(16).toUpperCase()}}`;
      continue;
    }
    if (cp < 0x7f && /[a-z]/i.test(ch) && rng.chance(0.03)) {
      out += rng.chance(0.5) ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
      continue;
    }
    out += ch;
  }
  return out + '"';
}

function uidText(rng, uid) {
  const sep = rng.chance(0.03) ? ' :: ' : '::';
  const typ = sep === '::' ? uid.type : uid.type.split('::').join(' :: ');
  return typ + sep + cedarString(rng, uid.id);
}

// Expression precedence levels (higher binds tighter).
const L = { IF: 0, OR: 1, AND: 2, REL: 3, ADD: 4, MUL: 5, UN: 6, MEM: 7 };
const ex = (t, p) => ({ t, p });
const par = (e, min) => (e.p >= min ? e.t : '(' + e.t + ')');

// ---------------------------------------------------------------------------
// Types used to shape attributes, contexts and expressions.

const SCALAR_KINDS = ['bool', 'long', 'string', 'entity', 'ip', 'decimal', 'datetime', 'duration'];
const ALL_KINDS = [...SCALAR_KINDS, 'set', 'record'];

function randType(rng, depth) {
  const k = rng.weighted([
    [3, 'bool'], [4, 'long'], [4, 'string'], [3, 'entity'], [1, 'ip'], [1, 'decimal'],
    [1, 'datetime'], [1, 'duration'], [depth > 0 ? 2 : 0, 'set'], [depth > 0 ? 2 : 0, 'record'],
  ]);
  if (k === 'set') return { k, e: randType(rng, depth - 1) };
  if (k === 'record') {
    const f = {};
    const n = rng.range(0, 3);
    for (let i = 0; i < n; i++) f[rng.pick(ATTR_NAMES)] = randType(rng, depth - 1);
    return { k, f };
  }
  return { k };
}

// ---------------------------------------------------------------------------
// The case generator.

class Gen {
  constructor(seed) {
    this.rng = new Rng(seed);
    const r = this.rng;
    // Per-case knobs, so that cases differ in character, not just content.
    this.pErr = r.weighted([[2, 0], [5, 0.04], [4, 0.1], [2, 0.25]]); // ill-typed subexpressions
    this.pOdd = r.weighted([[3, 0], [4, 0.1], [2, 0.35]]); // odd extension literal strings
    this.pRisky = r.weighted([[7, 0], [3, 0.003], [1, 0.012]]); // constructs that may not parse
    this.maxDepth = r.weighted([[2, 2], [4, 3], [3, 4], [1, 6]]);
    this.pJsonOdd = r.weighted([[12, 0], [3, 0.015], [1, 0.06]]); // unusual JSON value encodings
    this.kind = r.weighted([[86, 'normal'], [6, 'badPolicy'], [5, 'badEntities'], [3, 'badLinks']]);

    // Universe of entities.
    // Sizes: mostly small stores (the reference re-reads the store for every
    // request, so store size dominates run time), sometimes large ones.
    this.big = r.chance(0.08);
    const nTypes = this.big ? r.range(4, 6) : r.weighted([[2, 2], [3, 3], [1, 4]]);
    this.types = r.shuffle([...ENTITY_TYPES]).slice(0, nTypes);
    this.actionType = r.pick(ACTION_TYPES);
    this.uids = [];
    for (const type of this.types) {
      const ids = r.shuffle([...ENTITY_IDS]).slice(0, this.big ? r.range(3, 8) : r.range(1, 4));
      for (const id of ids) this.uids.push({ type, id });
    }
    this.actions = r.shuffle([...ACTION_IDS]).slice(0, r.range(1, 5)).map((id) => ({ type: this.actionType, id }));
    // Entities never stored: exercise lookups of missing entities.
    this.ghosts = [{ type: r.pick(this.types), id: 'ghost' }, { type: 'Nowhere', id: 'x' }];

    // Shapes of attributes, context, tags.
    this.attrSchema = {};
    for (let i = 0, n = this.big ? r.range(6, 12) : r.range(2, 6); i < n; i++) this.attrSchema[r.pick(ATTR_NAMES)] = randType(r, 2);
    this.ctxSchema = {};
    for (let i = 0, n = r.range(0, 6); i < n; i++) this.ctxSchema[r.pick(ATTR_NAMES)] = randType(r, 3);
    this.tagType = r.chance(0.6) ? randType(r, 1) : null; // null: tags of mixed types
    this.tagKeys = r.shuffle([...TAG_KEYS]).slice(0, r.range(1, 5));
    this.paths = this.buildPaths();
  }

  anyUid() {
    const r = this.rng;
    return r.weighted([[10, () => r.pick(this.uids)], [2, () => r.pick(this.actions)], [1, () => r.pick(this.ghosts)]]);
  }

  // ---- values (JSON side) -------------------------------------------------

  longValue() {
    const r = this.rng;
    return r.weighted([[6, () => BigInt(r.range(-5, 30))], [2, () => BigInt(r.range(-100000, 100000))], [1, () => r.pick(LONG_EDGES)]]);
  }
  stringValue() { return this.rng.pick(STRING_POOL); }
  extLiteral(kind) {
    const odd = this.rng.chance(this.pOdd);
    const pools = {
      ip: [IP_VALID, IP_ODD], decimal: [DECIMAL_VALID, DECIMAL_ODD],
      datetime: [DATETIME_VALID, DATETIME_ODD], duration: [DURATION_VALID, DURATION_ODD],
    }[kind];
    return this.rng.pick(odd ? pools[1] : pools[0]);
  }

  /** JSON value conforming to ty (mostly); strict=true forbids literals that fail to parse. */
  jsonValue(ty, depth = 3, strict = true) {
    const r = this.rng;
    if (r.chance(this.pJsonOdd)) return this.oddJsonValue();
    if (r.chance(0.07)) ty = randType(r, Math.min(depth, 1)); // deviate from the shape
    switch (ty.k) {
      case 'bool': return r.chance(0.5);
      case 'long': return this.longValue();
      case 'string': return this.stringValue();
      case 'entity': {
        const u = this.anyUid();
        return { __entity: { type: u.type, id: u.id } };
      }
      case 'ip': case 'decimal': case 'datetime': case 'duration': {
        const fn = ty.k;
        const pools = { ip: IP_VALID, decimal: DECIMAL_VALID, datetime: DATETIME_VALID, duration: DURATION_VALID };
        const arg = strict ? r.pick(pools[ty.k]) : this.extLiteral(ty.k);
        return { __extn: { fn, arg } };
      }
      case 'set': {
        if (depth <= 0) return [];
        const n = r.weighted([[2, 0], [6, () => r.range(1, 3)], [1, () => r.range(4, 7)]]);
        const out = [];
        for (let i = 0; i < n; i++) out.push(this.jsonValue(ty.e, depth - 1, strict));
        if (n > 0 && r.chance(0.15)) out.push(out[0]); // duplicates in a set
        return out;
      }
      case 'record': {
        const o = {};
        if (depth <= 0) return o;
        for (const [k, t] of Object.entries(ty.f)) if (r.chance(0.85)) o[k] = this.jsonValue(t, depth - 1, strict);
        return o;
      }
      default: throw new Error('bad type ' + ty.k);
    }
  }

  /** Unusual encodings of values in entity/context JSON. */
  oddJsonValue() {
    const r = this.rng;
    const u = this.anyUid();
    const uid = { type: u.type, id: u.id };
    return r.weighted([
      // Accepted by the reference.
      [3, () => ({ __extn: { fn: 'ip', args: [r.pick(IP_VALID)] } })],
      [3, () => ({ __extn: { fn: 'offset', args: [{ __extn: { fn: 'datetime', arg: r.pick(DATETIME_VALID) } }, { __extn: { fn: 'duration', arg: r.pick(DURATION_VALID) } }] } })],
      [2, () => ({ __extn: { fn: 'durationSince', args: [{ __extn: { fn: 'datetime', arg: r.pick(DATETIME_VALID) } }, { __extn: { fn: 'datetime', arg: r.pick(DATETIME_VALID) } }] } })],
      [2, () => ({ __extn: { fn: 'decimal', arg: r.pick(DECIMAL_VALID), extra: 1n } })],
      [2, () => ({ __extn: { fn: 'ip', arg: r.pick(IP_VALID), args: [r.pick(IP_VALID)] } })],
      [2, () => ({ __extn: { fn: 'ip' } })],
      [2, () => ({ __extn: { fn: 'ip', arg: r.pick(IP_VALID) }, x: 1n })],
      [2, () => ({ __extn: { fn: 'isIpv4', arg: { __extn: { fn: 'ip', arg: r.pick(IP_VALID) } } } })],
      [2, () => ({ __extn: 'ip' })],
      [2, () => ({ __entity: uid, x: 1n })],
      [2, () => ({ __entity: { ...uid, extra: 2n } })],
      [2, () => ({ __entity: `${u.type}::${JSON.stringify(u.id)}` })],
      [2, () => ({ __entity: {} })],
      [2, () => ({ __entity: { type: u.type } })],
      [2, () => uid], // a record, not an entity, without a schema
      [1, () => ({ fn: 'ip', arg: '1.2.3.4' })],
      [1, () => ({ __exprx: '1' })],
      [1, () => new JObj([['__entity', uid]])],
      [1, () => []],
      [1, () => ({})],
      [1, () => ''],
      // Rejected by the reference.
      [1, () => ({ __expr: '1 + 1' })],
      [1, () => ({ __extn: { fn: r.pick(['toDate', 'isIpv4', 'lessThan', 'nosuch']), arg: '1.0' } })],
      [1, () => ({ __extn: { fn: 'datetime', arg: { __extn: { fn: 'datetime', arg: '2024-01-01' } } } })],
    ]);
  }

  uidJson(u) {
    const r = this.rng;
    if (r.chance(this.pJsonOdd / 4)) return r.pick([{ __entity: { type: u.type, id: u.id }, x: 1n }, `${u.type}::${JSON.stringify(u.id)}`, { type: u.type, id: u.id, extra: true }]);
    return r.chance(0.2) ? { __entity: { type: u.type, id: u.id } } : { type: u.type, id: u.id };
  }

  // ---- entities -----------------------------------------------------------

  buildEntities() {
    const r = this.rng;
    const all = [...this.uids, ...this.actions];
    const stored = all.filter(() => r.chance(0.82));
    r.shuffle(stored);
    const shape = r.weighted([[2, 'flat'], [3, 'chain'], [4, 'dag'], [1, 'wide']]);
    const parents = new Map(stored.map((u) => [u, []]));
    const pool = [...all, ...this.ghosts];
    // Parents are drawn only from entities later in `stored` (or not stored at
    // all), so the graph is acyclic; cycles are added only in badEntities cases.
    const isAction = (u) => this.actions.includes(u);
    stored.forEach((u, i) => {
      // Action entities may only have action parents.
      const later = stored.slice(i + 1).filter((x) => isAction(x) === isAction(u));
      let ps = [];
      if (shape === 'chain') {
        if (later.length && r.chance(0.9)) ps.push(later[0]);
      } else if (shape === 'dag') {
        ps = r.subset(later, 0.25).slice(0, 4);
      } else if (shape === 'wide') {
        if (later.length && r.chance(0.8)) ps.push(later[later.length - 1]);
      }
      if (r.chance(0.1)) {
        const missing = pool.find((x) => !stored.includes(x) && isAction(x) === isAction(u) && r.chance(0.5));
        if (missing) ps.push(missing);
      }
      if (ps.length && r.chance(0.05)) ps.push(ps[0]); // duplicate parent
      parents.set(u, ps);
    });
    const entities = stored.map((u) => {
      const attrs = {};
      for (const [k, t] of Object.entries(this.attrSchema)) if (r.chance(0.8)) attrs[k] = this.jsonValue(t);
      const e = { uid: this.uidJson(u), attrs, parents: parents.get(u).map((p) => this.uidJson(p)) };
      if (r.chance(0.5)) {
        const tags = {};
        for (const k of this.tagKeys) if (r.chance(0.6)) tags[k] = this.jsonValue(this.tagType || randType(r, 1));
        e.tags = tags;
      }
      return e;
    });
    // Vary key order inside each entity object.
    return entities.map((e) => new JObj(r.shuffle(Object.entries(e))));
  }

  /** Turn a valid entities array into one the reference rejects (usually). */
  breakEntities(ents) {
    const r = this.rng;
    const pickEnt = () => r.pick(ents);
    const mutations = [
      () => { if (ents.length) ents.push(ents[r.int(ents.length)]); else ents.push(new JObj([['uid', { type: 'User', id: 'u' }], ['attrs', {}], ['parents', []]]), new JObj([['uid', { type: 'User', id: 'u' }], ['attrs', {}], ['parents', []]])); },
      () => this.addAttr(ents, new JRaw(r.pick(['1.5', '1e3', '-0.5', '9223372036854775808', '-9223372036854775809', '18446744073709551616', 'null']))),
      () => this.addAttr(ents, { __extn: { fn: r.pick(['ip', 'decimal', 'datetime', 'duration']), arg: r.pick([...IP_ODD, ...DECIMAL_ODD, ...DATETIME_ODD, ...DURATION_ODD]) } }),
      () => this.addAttr(ents, { __extn: { fn: r.pick(['nosuchfn', 'isIpv4', 'lessThan', 'Decimal']), arg: '1.0' } }),
      () => this.addAttr(ents, { __entity: { type: r.pick(['', '1User', 'User::', ' User', '__cedar::X', 'A::::B']), id: 'x' } }),
      () => this.addAttr(ents, { __entity: { type: 'User' } }),
      () => this.addAttr(ents, new JObj([['a', 1n], ['a', 2n]])),
      () => { const e = pickEnt(); if (e) e.entries = e.entries.filter(([k]) => k !== 'attrs'); else ents.push({ uid: { type: 'User', id: 'x' }, parents: [] }); },
      () => { const e = pickEnt(); if (e) e.entries.push(['unknownField', 1n]); else ents.push({ uid: { type: 'User', id: 'x' }, attrs: {}, parents: [], extra: true }); },
      () => ents.push({ uid: { type: r.pick(['', '1User', 'User::', 'User ', 'if', 'A::if']), id: 'x' }, attrs: {}, parents: [] }),
      () => ents.push({ uid: { type: 'User', id: 5n }, attrs: {}, parents: [] }),
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: {}, parents: { type: 'User', id: 'q' } }),
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: [], parents: [] }),
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: {} }), // no parents
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: r.pick([null, 1n, '']), parents: [] }),
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: {}, parents: r.pick([null, 'User::"q"', [null]]) }),
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: {}, parents: [], tags: r.pick([null, 1n, '']) }),
      () => ents.push({ uid: r.pick([null, 'User::"p"', {}, { type: 'User' }, { id: 'p' }, { type: 'User', id: null }]), attrs: {}, parents: [] }),
      () => { // the same uid twice, with different or equal contents
        const u = r.pick(this.uids);
        const a = { uid: { type: u.type, id: u.id }, attrs: { n: 1n }, parents: [] };
        ents.push(a, r.pick([{ ...a, attrs: { n: 2n } }, { ...a, tags: {} }, { ...a, parents: [a.uid] }, { ...a, uid: { __entity: a.uid } }]));
      },
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: {}, parents: [], tags: { t: { __extn: { fn: 'decimal', arg: '1.23456' } } } }),
      () => ents.push({ uid: { type: 'User', id: 'p' }, attrs: {}, parents: [], tags: [] }),
      () => { // cycle
        const n = r.range(1, 4);
        const ids = Array.from({ length: n }, (_, i) => ({ type: r.pick(this.types), id: 'cyc' + i }));
        ids.forEach((u, i) => ents.push({ uid: u, attrs: {}, parents: [ids[(i + 1) % n]] }));
      },
      () => ents.push(new JRaw('"not an entity"')),
      () => ents.push(new JRaw('{"uid":{"type":"User","id":"t"},"attrs":{},"parents":[]')), // truncated
      () => ents.push(new JRaw('{"uid":{"type":"User","id":"\\ud800"},"attrs":{},"parents":[]}')), // lone surrogate
    ];
    r.pick(mutations)();
    return ents;
  }

  addAttr(ents, value) {
    const r = this.rng;
    const name = r.pick(ATTR_NAMES);
    const e = ents.find((x) => x instanceof JObj && r.chance(0.5)) || ents.find((x) => x instanceof JObj);
    if (!e) {
      ents.push({ uid: { type: 'User', id: 'x' }, attrs: { [name]: value }, parents: [] });
      return;
    }
    const a = e.entries.find(([k]) => k === 'attrs');
    if (a && a[1] && typeof a[1] === 'object' && !(a[1] instanceof JObj)) {
      a[1] = { ...a[1], [name]: r.chance(0.7) ? value : [value] };
    } else {
      e.entries.push(['attrs', { [name]: value }]);
    }
  }

  // ---- attribute paths ----------------------------------------------------

  buildPaths() {
    // Every (expression text, type) reachable from the request variables
    // through attribute accesses, to make typed expressions likely to succeed.
    const paths = [];
    const access = (base, name) => (isIdent(name) && this.rng.chance(0.85) ? `${base}.${name}` : `${base}[${cedarString(this.rng, name)}]`);
    const walkRecord = (base, fields, depth, viaEntity) => {
      for (const [name, ty] of Object.entries(fields)) {
        const t = access(base, name);
        paths.push({ t, ty });
        if (depth <= 0) continue;
        if (ty.k === 'record') walkRecord(t, ty.f, depth - 1, viaEntity);
        if (ty.k === 'entity' && !viaEntity) walkRecord(t, this.attrSchema, depth - 1, true);
      }
    };
    for (const v of ['principal', 'resource', 'principal', 'resource', 'action']) walkRecord(v, this.attrSchema, 2, false);
    walkRecord('context', this.ctxSchema, 3, false);
    return paths;
  }

  pathOf(kind) {
    const c = this.paths.filter((p) => p.ty.k === kind);
    return c.length ? this.rng.pick(c) : null;
  }

  // ---- expressions --------------------------------------------------------

  ws() {
    const r = this.rng;
    return r.weighted([[40, ' '], [3, '\n    '], [2, '  '], [1, ' // note: ¬ "odd" ) }\n  '], [1, '\t']]);
  }

  longLit() {
    const r = this.rng;
    const v = this.longValue();
    if (v === I64_MIN && r.chance(0.2)) return ex('- 9223372036854775808', L.UN);
    return ex(v.toString(), v < 0n ? L.UN : L.MEM);
  }

  strLit(s) { return ex(cedarString(this.rng, s ?? this.stringValue()), L.MEM); }

  extCtor(kind, argText) {
    const fn = kind === 'ip' ? 'ip' : kind;
    return ex(`${fn}(${argText ?? cedarString(this.rng, this.extLiteral(kind))})`, L.MEM);
  }

  entityLit() { return ex(uidText(this.rng, this.anyUid()), L.MEM); }

  leaf(kind) {
    const r = this.rng;
    const p = r.chance(0.45) ? this.pathOf(kind) : null;
    if (p) return ex(p.t, L.MEM);
    switch (kind) {
      case 'bool': return ex(r.chance(0.5) ? 'true' : 'false', L.MEM);
      case 'long': return this.longLit();
      case 'string': return this.strLit();
      case 'entity': return r.chance(0.5) ? ex(r.pick(['principal', 'resource', 'action', 'principal', 'resource']), L.MEM) : this.entityLit();
      case 'set': return ex(r.chance(0.3) ? '[]' : `[${Array.from({ length: r.range(1, 3) }, () => this.leaf(r.pick(SCALAR_KINDS)).t).join(', ')}]`, L.MEM);
      case 'record': return r.chance(0.5) ? ex('context', L.MEM) : ex('{}', L.MEM);
      case 'ip': case 'decimal': case 'datetime': case 'duration': return this.extCtor(kind);
      default: throw new Error(kind);
    }
  }

  /** Generate an expression intended to have `kind` (a kind string). */
  gen(kind, d) {
    const r = this.rng;
    if (r.chance(this.pErr)) kind = r.pick(ALL_KINDS); // possibly ill-typed
    if (d <= 0 || r.chance(0.12)) return this.leaf(kind);
    if (r.chance(this.pRisky)) return this.risky(kind, d);
    if (r.chance(0.06)) return this.ite(kind, d);
    if (r.chance(0.04) && this.tagKeys.length) {
      return ex(`${par(this.gen('entity', d - 1), L.MEM)}.getTag(${this.tagKey(d)})`, L.MEM);
    }
    switch (kind) {
      case 'bool': return this.genBool(d);
      case 'long': return this.genLong(d);
      case 'string': return r.chance(0.2) ? this.recordGet('string', d) : this.leaf('string');
      case 'entity': return r.chance(0.2) ? this.recordGet('entity', d) : this.leaf('entity');
      case 'set': return this.genSet(d);
      case 'record': return this.genRecord(d);
      case 'ip': return r.chance(0.1) ? this.extCtor('ip', par(this.gen('string', d - 1), L.IF)) : this.leaf('ip');
      case 'decimal': return r.chance(0.1) ? this.extCtor('decimal', par(this.gen('string', d - 1), L.IF)) : this.leaf('decimal');
      case 'datetime': return r.weighted([
        [5, () => this.leaf('datetime')],
        [2, () => ex(`${par(this.gen('datetime', d - 1), L.MEM)}.offset(${this.gen('duration', d - 1).t})`, L.MEM)],
        [1, () => ex(`${par(this.gen('datetime', d - 1), L.MEM)}.toDate()`, L.MEM)],
        [1, () => this.extCtor('datetime', par(this.gen('string', d - 1), L.IF))],
      ]);
      case 'duration': return r.weighted([
        [5, () => this.leaf('duration')],
        [2, () => ex(`${par(this.gen('datetime', d - 1), L.MEM)}.durationSince(${this.gen('datetime', d - 1).t})`, L.MEM)],
        [1, () => ex(`${par(this.gen('datetime', d - 1), L.MEM)}.toTime()`, L.MEM)],
      ]);
      default: throw new Error(kind);
    }
  }

  tagKey(d) {
    const r = this.rng;
    return r.chance(0.85) ? cedarString(r, r.chance(0.9) ? r.pick(this.tagKeys) : r.pick(TAG_KEYS)) : this.gen('string', d - 1).t;
  }

  ite(kind, d) {
    const c = this.gen('bool', d - 1);
    const a = this.gen(kind, d - 1);
    const b = this.gen(kind, d - 1);
    return ex(`if ${c.t} then ${a.t} else ${b.t}`, L.IF);
  }

  recordGet(kind, d) {
    // { k: v, … }.k  or  {…}["k"]
    const r = this.rng;
    const k = r.pick(ATTR_NAMES);
    const fields = [[k, this.gen(kind, d - 1)]];
    if (r.chance(0.5)) fields.push([r.pick(ATTR_NAMES), this.gen(r.pick(ALL_KINDS), d - 1)]);
    const rec = ex(`{${fields.map(([n, v]) => `${this.recKey(n)}: ${v.t}`).join(', ')}}`, L.MEM);
    const name = r.chance(0.9) ? k : r.pick(ATTR_NAMES);
    return ex(isIdent(name) && r.chance(0.7) ? `${rec.t}.${name}` : `${rec.t}[${cedarString(r, name)}]`, L.MEM);
  }

  recKey(n) {
    return isIdent(n) && this.rng.chance(0.8) ? n : cedarString(this.rng, n);
  }

  genSet(d) {
    const r = this.rng;
    return r.weighted([
      [4, () => {
        const ek = r.pick(ALL_KINDS);
        const n = r.weighted([[1, 0], [5, () => r.range(1, 3)], [1, () => r.range(4, 6)]]);
        const els = Array.from({ length: n }, () => this.gen(r.chance(0.85) ? ek : r.pick(ALL_KINDS), d - 1).t);
        if (n && r.chance(0.15)) els.push(els[0]);
        return ex(`[${els.join(', ')}]`, L.MEM);
      }],
      [2, () => this.leaf('set')],
      [1, () => this.recordGet('set', d)],
    ]);
  }

  genRecord(d) {
    const r = this.rng;
    return r.weighted([
      [3, () => {
        const n = r.range(0, 4);
        const names = [...new Set(Array.from({ length: n }, () => r.pick(ATTR_NAMES)))];
        return ex(`{${names.map((k) => `${this.recKey(k)}: ${this.gen(r.pick(ALL_KINDS), d - 1).t}`).join(', ')}}`, L.MEM);
      }],
      [2, () => this.leaf('record')],
    ]);
  }

  genLong(d) {
    const r = this.rng;
    const bin = (op) => {
      const a = this.gen('long', d - 1);
      const b = this.gen('long', d - 1);
      const lv = op === '*' ? L.MUL : L.ADD;
      return ex(`${par(a, lv)}${this.ws()}${op} ${par(b, lv + 1)}`, lv);
    };
    return r.weighted([
      [3, () => this.leaf('long')],
      [3, () => bin('+')],
      [3, () => bin('-')],
      [2, () => bin('*')],
      [2, () => {
        const a = this.gen('long', d - 1);
        // A negated literal is folded into the literal by the parser; keep
        // both "-5" style and "-(expr)" forms.
        return ex(a.p >= L.MEM && !a.t.startsWith('-') ? `-${a.t}` : `-(${a.t})`, L.UN);
      }],
      [1, () => {
        const n = r.range(2, 4);
        return ex(`${'-'.repeat(n)}${par(this.gen('long', d - 1), L.MEM)}`, L.UN);
      }],
      [2, () => ex(`${par(this.gen('duration', d - 1), L.MEM)}.${r.pick(['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds'])}()`, L.MEM)],
      [1, () => this.recordGet('long', d)],
      [2, () => this.arithProbe(d)],
    ]);
  }

  /** Arithmetic next to the i64 limits. */
  arithProbe(d) {
    const r = this.rng;
    const edge = () => {
      const v = r.pick(LONG_EDGES);
      return ex(v.toString(), v < 0n ? L.UN : L.MEM);
    };
    const small = () => (r.chance(0.7) ? this.longLit() : this.gen('long', d - 1));
    const op = r.pick(['+', '-', '*']);
    const lv = op === '*' ? L.MUL : L.ADD;
    const [a, b] = r.chance(0.5) ? [edge(), small()] : [small(), edge()];
    return ex(`${par(a, lv)} ${op} ${par(b, lv + 1)}`, lv);
  }

  /** datetime/duration arithmetic with extreme and ordinary literals. */
  temporalProbe() {
    const r = this.rng;
    const dt = () => `datetime(${cedarString(r, r.pick(DATETIME_VALID))})`;
    const du = () => `duration(${cedarString(r, r.chance(0.5) ? r.pick(DURATION_VALID)
      : r.pick(['9223372036854775807ms', '-9223372036854775808ms', '106751991167d', '-106751991167d', '9223372036854775s', '-1ms', '1ms']))})`;
    const cmp = () => r.pick(['==', '!=', '<', '<=', '>', '>=']);
    return r.pick([
      () => ex(`${dt()}.offset(${du()}) ${cmp()} ${dt()}`, L.REL),
      () => ex(`${dt()}.offset(${du()}).offset(${du()}) ${cmp()} ${dt()}`, L.REL),
      () => ex(`${dt()}.durationSince(${dt()}) ${cmp()} ${du()}`, L.REL),
      () => ex(`${dt()}.durationSince(${dt()}).${r.pick(['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds'])}() ${cmp()} ${this.longLit().t}`, L.REL),
      () => ex(`${dt()}.offset(${du()}).durationSince(${dt()}) ${cmp()} ${du()}`, L.REL),
      () => ex(`${dt()}.durationSince(${dt()}.offset(${du()})) ${cmp()} ${du()}`, L.REL),
      () => ex(`${dt()}.offset(${du()}).${r.pick(['toDate', 'toTime'])}() ${cmp()} ${r.chance(0.5) ? dt() : du()}`, L.REL),
      () => ex(`${dt()}.toDate() ${cmp()} ${dt()}`, L.REL),
      () => ex(`${dt()}.toTime() ${cmp()} ${du()}`, L.REL),
      () => ex(`${du()}.${r.pick(['toDays', 'toHours', 'toMinutes', 'toSeconds', 'toMilliseconds'])}() ${cmp()} ${this.longLit().t}`, L.REL),
    ])();
  }

  genBool(d) {
    const r = this.rng;
    const g = (k) => this.gen(k, d - 1);
    const rel = (a, op, b) => ex(`${par(a, L.ADD)}${this.ws()}${op} ${par(b, L.ADD)}`, L.REL);
    return r.weighted([
      [2, () => this.leaf('bool')],
      [5, () => ex(`${par(g('bool'), L.REL)}${this.ws()}&& ${par(g('bool'), L.REL)}`, L.AND)],
      [4, () => ex(`${par(g('bool'), L.AND)}${this.ws()}|| ${par(g('bool'), L.AND)}`, L.OR)],
      [1, () => {
        // Chains of && / || without parens.
        const op = r.pick(['&&', '||']);
        const lv = op === '&&' ? L.REL : L.AND;
        const n = r.range(3, 5);
        return ex(Array.from({ length: n }, () => par(g('bool'), lv)).join(` ${op} `), op === '&&' ? L.AND : L.OR);
      }],
      [3, () => ex(`!${par(g('bool'), L.MEM)}`, L.UN)],
      [1, () => ex(`${'!'.repeat(r.range(2, 4))}${par(g('bool'), L.MEM)}`, L.UN)],
      [5, () => rel(g('long'), r.pick(['<', '<=', '>', '>=']), g('long'))],
      [2, () => {
        const k = r.pick(['datetime', 'duration', 'datetime', 'duration', 'decimal', 'string', 'ip']);
        return rel(g(k), r.pick(['<', '<=', '>', '>=']), g(k));
      }],
      [6, () => {
        const k = r.pick(ALL_KINDS);
        const k2 = r.chance(0.85) ? k : r.pick(ALL_KINDS);
        return rel(g(k), r.pick(['==', '==', '!=']), g(k2));
      }],
      [6, () => this.genIn(d)],
      [5, () => this.genHas(d)],
      [3, () => this.genLike(d)],
      [3, () => {
        const t = r.chance(0.9) ? r.pick([...this.types, this.actionType]) : r.pick(['Nowhere', 'User', 'Action', 'NS::Thing']);
        const lhs = par(g('entity'), L.ADD);
        if (r.chance(0.4)) {
          const rhs = r.chance(0.7) ? g('entity') : this.entitySet(d);
          return ex(`${lhs} is ${t} in ${par(rhs, L.ADD)}`, L.REL);
        }
        return ex(`${lhs} is ${t}`, L.REL);
      }],
      [4, () => {
        const m = r.pick(['contains', 'containsAll', 'containsAny', 'isEmpty']);
        const s = par(g('set'), L.MEM);
        if (m === 'isEmpty') return ex(`${s}.isEmpty()`, L.MEM);
        const arg = m === 'contains' ? g(r.pick(ALL_KINDS)) : g('set');
        return ex(`${s}.${m}(${arg.t})`, L.MEM);
      }],
      [2, () => ex(`${par(g('entity'), L.MEM)}.hasTag(${this.tagKey(d)})`, L.MEM)],
      [2, () => {
        const m = r.pick(['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast', 'isInRange']);
        const recv = par(g('ip'), L.MEM);
        return ex(m === 'isInRange' ? `${recv}.isInRange(${g('ip').t})` : `${recv}.${m}()`, L.MEM);
      }],
      [2, () => {
        const m = r.pick(['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual']);
        return ex(`${par(g('decimal'), L.MEM)}.${m}(${g('decimal').t})`, L.MEM);
      }],
      [1, () => this.recordGet('bool', d)],
      [3, () => this.equivProbe(d)],
      [2, () => this.temporalProbe()],
    ]);
  }

  equivProbe(d) {
    const r = this.rng;
    const [fn, fam] = r.pick(EQUIV_FAMILIES);
    const lit = () => ex(`${fn}(${cedarString(r, r.pick(fam))})`, L.MEM);
    return r.weighted([
      [4, () => ex(`${lit().t} ${r.pick(['==', '==', '!=', '<', '<=', '>', '>='])} ${lit().t}`, L.REL)],
      [2, () => {
        const m = fn === 'decimal' ? r.pick(['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual'])
          : fn === 'ip' ? 'isInRange' : fn === 'datetime' ? 'durationSince' : 'toMilliseconds';
        if (m === 'toMilliseconds') return ex(`${lit().t}.toMilliseconds() == ${lit().t}.toMilliseconds()`, L.REL);
        if (m === 'durationSince') return ex(`${lit().t}.durationSince(${lit().t}) == duration("0ms")`, L.REL);
        return ex(`${lit().t}.${m}(${lit().t})`, L.MEM);
      }],
      [2, () => ex(`[${lit().t}, ${lit().t}].${r.pick(['contains', 'containsAny', 'containsAll'])}(${r.chance(0.5) ? lit().t : `[${lit().t}]`})`, L.MEM)],
      [1, () => ex(`[${lit().t}, ${lit().t}] == [${lit().t}]`, L.REL)],
      [1, () => ex(`{a: ${lit().t}} == {a: ${lit().t}}`, L.REL)],
    ]);
  }

  entitySet(d) {
    const r = this.rng;
    if (r.chance(0.3)) { const p = this.pathOf('set'); if (p) return ex(p.t, L.MEM); }
    const n = r.range(0, 4);
    return ex(`[${Array.from({ length: n }, () => (r.chance(0.9) ? this.gen('entity', d - 1) : this.gen(r.pick(ALL_KINDS), d - 1)).t).join(', ')}]`, L.MEM);
  }

  genIn(d) {
    const r = this.rng;
    const lhs = this.gen('entity', d - 1);
    const rhs = r.chance(0.65) ? this.gen('entity', d - 1) : this.entitySet(d);
    return ex(`${par(lhs, L.ADD)}${this.ws()}in ${par(rhs, L.ADD)}`, L.REL);
  }

  genHas(d) {
    const r = this.rng;
    const lhs = r.weighted([
      [4, () => ex(r.pick(['principal', 'resource', 'context', 'principal', 'action']), L.MEM)],
      [2, () => { const p = this.pathOf(r.pick(['record', 'entity'])); return p ? ex(p.t, L.MEM) : ex('context', L.MEM); }],
      [1, () => this.gen(r.pick(['record', 'entity']), d - 1)],
    ]);
    // Attribute names: mostly ones that exist somewhere in the shapes.
    const known = [...Object.keys(this.attrSchema), ...Object.keys(this.ctxSchema)];
    const name = () => (known.length && r.chance(0.8) ? r.pick(known) : r.pick(ATTR_NAMES));
    const n = r.weighted([[6, 1], [2, 2], [1, 3]]);
    const parts = Array.from({ length: n }, name);
    let rhs;
    if (n === 1 && (!isIdent(parts[0]) || r.chance(0.15))) rhs = cedarString(r, parts[0]);
    else if (parts.every(isIdent)) rhs = parts.join('.');
    else rhs = cedarString(r, parts[0]);
    return ex(`${par(lhs, L.ADD)} has ${rhs}`, L.REL);
  }

  genLike(d) {
    const r = this.rng;
    // Pattern: mix of literal chunks, wildcards and escaped stars.
    let pat = '"';
    for (let i = 0, n = r.range(0, 5); i < n; i++) {
      pat += r.weighted([
        [3, '*'],
        [1, '\\*'],
        [1, '**'],
        [4, () => cedarString(r, r.pick(STRING_POOL)).slice(1, -1)],
        [2, () => r.pick(['a', 'b', 'e', 'l', 'ice', 'al', ' ', 'ü'])],
      ]);
    }
    pat += '"';
    const lhs = r.chance(0.8) ? this.gen('string', d - 1) : this.gen(r.pick(ALL_KINDS), d - 1);
    return ex(`${par(lhs, L.ADD)} like ${pat}`, L.REL);
  }

  /** Constructs whose acceptance by the parser is itself under test. */
  risky(kind, d) {
    const r = this.rng;
    const g = (k) => this.gen(k, d - 1);
    return r.pick([
      () => ex(`${par(g('long'), L.ADD)} == ${par(g('long'), L.ADD)} == true`, L.REL),
      () => ex('"a\\*b"', L.MEM),
      () => ex('"\\u{D800}"', L.MEM),
      () => ex('"\\u{110000}"', L.MEM),
      () => ex('"\\x80"', L.MEM),
      () => ex('"\\q"', L.MEM),
      () => ex('9223372036854775808', L.MEM),
      () => ex('--9223372036854775808', L.UN),
      () => ex('-(9223372036854775808)', L.UN),
      () => ex(`!!!!!${par(g('bool'), L.MEM)}`, L.UN),
      () => ex(`-----${par(g('long'), L.MEM)}`, L.UN),
      () => ex(`principal.${r.pick(RESERVED_NAMES)}`, L.MEM),
      () => ex(`context has ${r.pick(RESERVED_NAMES)}`, L.REL),
      () => ex(`{${r.pick(RESERVED_NAMES)}: 1}`, L.MEM),
      () => ex('{a: 1, a: 2}', L.MEM),
      () => ex(`${r.pick(['nosuch', 'Ip', 'decimal2', 'ipaddr', 'offset', 'contains'])}("1")`, L.MEM),
      () => ex(`${par(g('set'), L.MEM)}.${r.pick(['nosuch', 'decimal', 'ip', 'size', 'length'])}()`, L.MEM),
      () => ex(`ip(${r.pick(['', '"1.2.3.4", "5.6.7.8"'])})`, L.MEM),
      () => ex(`decimal(${r.pick(['1', 'true', '"1.0", "2.0"'])})`, L.MEM),
      () => ex(`datetime("2024-01-01").offset()`, L.MEM),
      () => ex(`${par(g('ip'), L.MEM)}.isIpv4(1)`, L.MEM),
      () => ex(`${par(g('set'), L.MEM)}.contains()`, L.MEM),
      () => ex(`${par(g('set'), L.MEM)}.isEmpty(1)`, L.MEM),
      () => ex('?principal', L.MEM),
      () => ex('__cedar::User::"a"', L.MEM),
      () => ex('User::"a"::"b"', L.MEM),
      () => ex('[1, 2, ]', L.MEM),
      () => ex('{a: 1, }', L.MEM),
      () => ex('decimal("1.0",)', L.MEM),
      () => ex('ip("1.2.3.4").isInRange(ip("1.2.3.4"),)', L.MEM),
      () => ex('[,]', L.MEM),
      () => ex(`{${r.pick(['__cedar', '__cedar_x', '_', 'permit', 'principal'])}: 1}`, L.MEM),
      () => ex(`context.${r.pick(['__cedar', 'permit', 'when', 'action'])}`, L.MEM),
      () => ex('principal.foo()', L.MEM),
      () => ex('principal is User::"x"', L.REL),
      () => ex(`${par(g('entity'), L.ADD)} is User in`, L.REL),
      () => ex('principal has a.if', L.REL),
      () => ex('principal has "a.b"', L.REL),
      () => ex('context["a"]["b"]', L.MEM),
      () => ex('(((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))) == 1', L.REL),
      () => ex('"unterminated', L.MEM),
      () => ex("'single'", L.MEM),
      () => ex('0x10', L.MEM),
      () => ex('1.5', L.MEM),
      () => ex('007', L.MEM),
      () => ex('User', L.MEM),
      () => ex('Action::"view".foo', L.MEM),
      () => ex('if true then 1', L.IF),
      () => ex('true && && false', L.AND),
      () => ex(`"x" like "a\\u{2a}b"`, L.REL),
      () => ex(`"x" like ${cedarString(r, r.pick(STRING_POOL))}`, L.REL),
      () => ex('principal in', L.REL),
      () => ex('datetime("2024-01-01") < datetime("2024-01-02")', L.REL),
      () => ex('decimal("1.0") < decimal("2.0")', L.REL),
      () => ex('ip("1.2.3.4") < ip("1.2.3.5")', L.REL),
      () => ex('"a" < "b"', L.REL),
      () => ex('[1] < [2]', L.REL),
      () => ex('principal.getTag()', L.MEM),
      () => ex('principal.hasTag("a", "b")', L.MEM),
      () => ex('principal.isInRange(ip("1.2.3.4"))', L.MEM),
    ])();
  }

  // ---- policies -----------------------------------------------------------

  annotations() {
    const r = this.rng;
    const out = [];
    const used = new Set();
    for (let i = 0, n = r.weighted([[6, 0], [3, 1], [1, () => r.range(2, 4)]]); i < n; i++) {
      const key = r.pick(['id', 'advice', 'reason', 'owner', 'deprecated', 'x_1', 'description']);
      if (used.has(key)) continue;
      used.add(key);
      out.push(r.chance(0.15) ? `@${key}` : `@${key}(${cedarString(r, r.pick(STRING_POOL))})`);
    }
    return out;
  }

  scopeEntity() { return uidText(this.rng, this.anyUid()); }

  principalOrResource(v, slot) {
    const r = this.rng;
    const types = this.types;
    if (slot) {
      const s = `?${v}`;
      return r.weighted([[3, `${v} == ${s}`], [3, `${v} in ${s}`], [2, () => `${v} is ${r.pick(types)} in ${s}`]]);
    }
    return r.weighted([
      [6, v],
      [3, () => `${v} == ${this.scopeEntity()}`],
      [3, () => `${v} in ${this.scopeEntity()}`],
      [2, () => `${v} is ${r.pick(types)}`],
      [2, () => `${v} is ${r.pick(types)} in ${this.scopeEntity()}`],
    ]);
  }

  actionScope() {
    const r = this.rng;
    const act = () => uidText(r, r.chance(1 - this.pRisky) ? r.pick(this.actions) : this.anyUid());
    return r.weighted([
      [6, 'action'],
      [4, () => `action == ${act()}`],
      [2, () => `action in ${act()}`],
      [3, () => `action in [${Array.from({ length: r.range(0, 3) }, act).join(', ')}]`],
    ]);
  }

  policy(isTemplate) {
    const r = this.rng;
    let pSlot = false;
    let rSlot = false;
    if (isTemplate) {
      const w = r.int(3);
      pSlot = w !== 1;
      rSlot = w !== 0;
    }
    const effect = r.chance(0.65) ? 'permit' : 'forbid';
    const head = [this.principalOrResource('principal', pSlot), this.actionScope(), this.principalOrResource('resource', rSlot)];
    const sep = r.chance(0.8) ? ', ' : ',\n  ';
    let text = '';
    for (const a of this.annotations()) text += a + (r.chance(0.5) ? '\n' : ' ');
    text += `${effect}${r.chance(0.9) ? '' : ' '}(${head.join(sep)})`;
    const nClauses = r.weighted([[effect === 'permit' ? 2 : 0.4, 0], [5, 1], [2, 2], [1, 3]]);
    for (let i = 0; i < nClauses; i++) {
      const body = this.gen('bool', r.range(1, this.maxDepth));
      text += `\n${r.chance(0.75) ? 'when' : 'unless'} { ${body.t} }`;
    }
    text += ';';
    if (r.chance(0.05)) text = '// policy comment\n' + text;
    return { text, pSlot, rSlot };
  }

  breakPolicyText(text) {
    const r = this.rng;
    return r.pick([
      () => { // truncated somewhere after the effect keyword
        const from = Math.max(text.indexOf('permit'), text.indexOf('forbid')) + 1;
        return text.slice(0, from + r.int(text.length - from));
      },
      () => text.replace(/;$/, ''),
      () => text.replace(/^(permit|forbid)/, 'allow'),
      () => text.replace('(', '('.concat(r.pick(['', 'principal, '])) + 'principal2, '),
      () => text.replace(/;$/, ' when { 1 + };'),
      () => text.replace(/;$/, ' when { principal == ?principal };'),
      () => text.replace(/;$/, ' when { };'),
      () => text.replace(/;$/, ' where { true };'),
      () => '@id("a") @id("b") ' + text,
      () => '@1bad("x") ' + text,
      () => text.replace('action', 'action is Action'),
      () => text.replace('action', 'action == ?action'),
      () => text.replace('principal', 'principal in ?resource'),
      () => text.replace('resource', 'resource has x'),
      () => text.replace(/\)(\s*(when|unless|;))/, ', context)$1'),
      () => { const i = r.int(text.length); return text.slice(0, i) + r.pick(['"', '}', '{', '(', ')', ';', '::', '@', '?', '#', '\\', '$']) + text.slice(i); },
      () => { const i = r.int(text.length); return text.slice(0, i) + text.slice(i + 1); },
      () => text.replace(/;$/, ' when { 9223372036854775808 == 1 };'),
      () => text.replace(/;$/, ' when { "\\*" == "*" };'),
      () => text.replace(/;$/, ' when { [1, 2, ] };'),
      () => text.replace(/;$/, ' when { context.foo( };'),
      () => text.replace(/;$/, ' when { nosuch(1) };'),
      () => text.replace(/;$/, ' when { principal.if };'),
      () => text.replace(/;$/, ' when { __cedar::X::"y" == principal };'),
    ])();
  }

  // ---- requests -----------------------------------------------------------

  requestUid(forAction) {
    const r = this.rng;
    const u = forAction
      ? r.weighted([[12, () => r.pick(this.actions)], [1, () => r.pick(this.uids)], [1, { type: this.actionType, id: 'nosuchaction' }]])
      : r.weighted([[16, () => r.pick(this.uids)], [2, () => r.pick(this.ghosts)], [1, () => r.pick(this.actions)]]);
    return toJson(this.uidJson(u));
  }

  context() {
    const r = this.rng;
    if (r.chance(0.08)) return '{}';
    const o = {};
    for (const [k, t] of Object.entries(this.ctxSchema)) if (r.chance(0.85)) o[k] = this.jsonValue(t, 4);
    if (r.chance(0.1)) o[r.pick(ATTR_NAMES)] = { type: r.pick(this.types), id: 'alice' }; // record, not an entity
    return toJson(o);
  }

  badRequestPart() {
    const r = this.rng;
    return r.pick([
      () => ['context', '[]'],
      () => ['context', '{"a":{"__extn":{"fn":"decimal","arg":"1.23456"}}}'],
      () => ['context', '{"a":1.5}'],
      () => ['context', '{"a":1,"a":2}'],
      () => ['context', '{"a":{"__entity":{"type":"1Bad","id":"x"}}}'],
      () => ['context', '{"a":9223372036854775808}'],
      () => ['principal', '{"type":"1User","id":"x"}'],
      () => ['principal', '{"type":"User"}'],
      () => ['resource', '{"type":"","id":"x"}'],
      () => ['action', '{"type":"Action::","id":"x"}'],
      () => ['resource', '"Doc::\\"d\\""'],
    ])();
  }

  // ---- the case -----------------------------------------------------------

  build() {
    const r = this.rng;
    const nPolicies = r.weighted([[2, () => r.range(1, 2)], [5, () => r.range(3, 6)], [2, () => r.range(7, 12)], [1, () => r.range(13, 25)]]);
    const pTemplate = r.weighted([[3, 0], [4, 0.15], [2, 0.4]]);
    const policies = [];
    for (let i = 0; i < nPolicies; i++) {
      const isTemplate = r.chance(pTemplate);
      const p = this.policy(isTemplate);
      policies.push({ id: `policy${i}`, text: p.text, template: isTemplate, pSlot: p.pSlot, rSlot: p.rSlot });
    }
    if (this.kind === 'badPolicy') {
      const p = r.pick(policies);
      p.text = this.breakPolicyText(p.text);
    }

    // Template links.
    const links = [];
    let linkN = 0;
    const slotUid = () => {
      const u = r.chance(0.9) ? this.anyUid() : r.pick(this.ghosts);
      return { type: u.type, id: u.id };
    };
    for (const p of policies) {
      if (!p.template) continue;
      for (let k = 0, n = r.weighted([[1, 0], [4, 1], [2, 2], [1, 3]]); k < n; k++) {
        const values = {};
        if (p.pSlot) values['?principal'] = slotUid();
        if (p.rSlot) values['?resource'] = slotUid();
        links.push({ templateId: p.id, newId: `link${linkN++}`, values });
      }
    }
    if (this.kind === 'badLinks') {
      const statics = policies.filter((p) => !p.template);
      const temps = policies.filter((p) => p.template);
      r.pick([
        () => links.push({ templateId: 'policy999', newId: 'linkX', values: {} }),
        () => statics.length && links.push({ templateId: r.pick(statics).id, newId: 'linkX', values: { '?principal': slotUid() } }),
        () => statics.length && links.push({ templateId: r.pick(statics).id, newId: 'linkX', values: {} }),
        () => temps.length && links.push({ templateId: r.pick(temps).id, newId: 'linkX', values: {} }),
        () => temps.length && links.push({ templateId: r.pick(temps).id, newId: 'linkX', values: { '?principal': slotUid(), '?resource': slotUid(), '?other': slotUid() } }),
        () => temps.length && links.push({ templateId: r.pick(temps).id, newId: r.pick(policies).id, values: { '?principal': slotUid(), '?resource': slotUid() } }),
        () => links.length && links.push({ ...links[0] }),
        () => temps.length && links.push({ templateId: r.pick(temps).id, newId: 'linkX', values: { '?principal': { type: '1Bad', id: 'x' }, '?resource': slotUid() } }),
        () => temps.length && links.push({ templateId: r.pick(temps).id, newId: 'linkX', values: { principal: slotUid(), resource: slotUid() } }),
        () => links.push({ templateId: 'policy0', newId: 'linkX' }),
      ])();
    }

    // Entities.
    let ents = this.buildEntities();
    if (this.kind === 'badEntities') ents = this.breakEntities(ents);

    // Requests.
    const nReq = r.weighted([[1, () => r.range(1, 7)], [6, () => r.range(8, 24)], [1, () => r.range(25, 50)]]);
    const requests = [];
    for (let i = 0; i < nReq; i++) {
      const req = {
        principal: this.requestUid(false),
        action: this.requestUid(true),
        resource: this.requestUid(false),
        context: this.context(),
      };
      if (r.chance(0.015)) {
        const [k, v] = this.badRequestPart();
        req[k] = v;
      }
      requests.push(req);
    }

    const joiners = policies.map(() => r.weighted([[6, '\n'], [3, '\n\n'], [1, '\n// between policies\n']]));
    return renderCase({
      kind: this.kind,
      policies: policies.map(({ id, text, template }) => ({ id, text, template })),
      joiners,
      links,
      entities: ents,
      prettyEntities: r.chance(0.3),
      requests,
    });
  }
}

/**
 * Fill in the texts derived from a case's parts: policyText (what Tollgate
 * parses) and entitiesText. Used by the generator and by the reducer.
 */
export function renderCase(c) {
  let policyText = '';
  c.policies.forEach((p, i) => { policyText += (i ? (c.joiners && c.joiners[i]) || '\n' : '') + p.text; });
  policyText += '\n';
  const entitiesText = c.prettyEntities && c.entities.length
    ? '[\n' + c.entities.map((e) => '  ' + toJson(e)).join(',\n') + '\n]\n'
    : toJson(c.entities) + '\n';
  return { ...c, policyText, entitiesText };
}

/** One request as the JSON line Tollgate reads. */
export function requestLine(req) {
  return `{"principal":${req.principal},"action":${req.action},"resource":${req.resource},"context":${req.context}}`;
}

/** Generate the case with the given 32-bit seed. */
export function generateCase(caseSeed) {
  return new Gen(caseSeed >>> 0).build();
}

/** Seed of case number `index` in the run with seed `runSeed`. */
export function caseSeedOf(runSeed, index) {
  return mixSeed(runSeed, index);
}
