// The reference side of the differential tester: evaluates a generated case
// with @cedar-policy/cedar-wasm (pinned in package.json).
//
// Inputs are handed to the reference as JSON *text* produced by gen.mjs rather
// than as JS objects, so that i64 edge values (which a JS number cannot hold),
// duplicate keys and malformed JSON reach the reference exactly as Tollgate
// reads them from disk. The wasm glue serializes every argument with
// JSON.stringify; we intercept that for objects tagged with RAW.

import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { toJson, requestLine } from './gen.mjs';

const RAW = Symbol('difftest.rawJson');
const origStringify = JSON.stringify;
JSON.stringify = function stringify(value, ...rest) {
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, RAW)) return value[RAW];
  return origStringify.call(JSON, value, ...rest);
};
const raw = (text) => ({ [RAW]: text });

export const referenceVersion = cedar.getCedarVersion();
export const referenceLangVersion = cedar.getCedarLangVersion();

const PSET_ID = 'difftest';

function messages(answer) {
  return (answer.errors || []).map((e) => e.message).join('; ');
}

function safe(fn) {
  try {
    return fn();
  } catch (e) {
    // The wasm glue throws (rather than answering "failure") when the input
    // does not even deserialize, e.g. duplicate JSON keys or a bad link shape:
    // that is a rejection of the input. A trap inside the module is not, and
    // it leaves the module's memory unusable: the caller starts a new one.
    const trap = e instanceof WebAssembly.RuntimeError;
    return { type: 'failure', errors: [{ message: `reference threw: ${e && e.message}` }], threw: trap };
  }
}

/**
 * Evaluate a case. Returns one of
 *   { status: 'parseError', message }          reference rejects policies/links/entities
 *   { status: 'inconclusive', message }        the case cannot be judged (see below)
 *   { status: 'ok', results: [ per request ] } per request either
 *        { decision, reason: [ids sorted], errors: [ids sorted] } or { error: message }
 */
export function evaluate(c) {
  // Policies are handed over one by one under the ids policy0, policy1, … so
  // that templates get the same numbering as static policies (the reference
  // refuses templates inside one static policy-set text).
  const staticPolicies = {};
  const templates = {};
  for (const p of c.policies) (p.template ? templates : staticPolicies)[p.id] = p.text;

  // Parse with the links first (the common case: everything parses); only
  // when that fails, parse without them to tell policy errors from link errors.
  const linked = safe(() => cedar.preparsePolicySet(PSET_ID, raw(toJson({ staticPolicies, templates, templateLinks: c.links }))));
  if (linked.threw) return { status: 'inconclusive', message: messages(linked), trapped: true };
  let noLinks = linked;
  if (linked.type !== 'success') {
    noLinks = safe(() => cedar.preparsePolicySet(PSET_ID, raw(toJson({ staticPolicies, templates }))));
    if (noLinks.threw) return { status: 'inconclusive', message: messages(noLinks), trapped: true };
  }
  // The whole text must agree: it is what Tollgate parses. A mutated policy
  // may parse differently on its own than inside the whole text (e.g. an
  // inserted ';' splitting it in two); such cases cannot be judged.
  const whole = safe(() => cedar.policySetTextToParts(c.policyText));
  const partsOk = noLinks.type === 'success';
  if (whole.type !== 'success') return { status: 'parseError', message: `policies: ${messages(partsOk ? whole : noLinks)}` };
  const count = whole.policies.length + whole.policy_templates.length;
  if (!partsOk || count !== c.policies.length) {
    return { status: 'inconclusive', message: `the policy text parses as a whole (${count} policies) but not as ${c.policies.length} separate policies` };
  }
  if (linked.type !== 'success') return { status: 'parseError', message: `links: ${messages(linked)}` };

  const ents = safe(() => cedar.checkParseEntities(raw(`{"entities":${c.entitiesText}}`)));
  if (ents.type !== 'success') return { status: 'parseError', message: `entities: ${messages(ents)}` };

  const results = [];
  for (const req of c.requests) {
    const call = `{"principal":${req.principal},"action":${req.action},"resource":${req.resource},"context":${req.context},"preparsedPolicySetId":"${PSET_ID}","entities":${c.entitiesText}}`;
    const ans = safe(() => cedar.statefulIsAuthorized(raw(call)));
    if (ans.threw) return { status: 'inconclusive', message: messages(ans), trapped: true };
    if (ans.type !== 'success') {
      results.push({ error: messages(ans) || 'request rejected' });
      continue;
    }
    const d = ans.response.diagnostics;
    results.push({
      decision: ans.response.decision,
      reason: [...new Set(d.reason)].sort(),
      errors: [...new Set(d.errors.map((e) => e.policyId))].sort(),
      messages: Object.fromEntries(d.errors.map((e) => [e.policyId, e.error.message])),
    });
  }
  return { status: 'ok', results };
}

export { requestLine };
