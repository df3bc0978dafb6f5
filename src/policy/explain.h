// Why a policy pack decides one request the way it does (`tollgate policy
// explain`, and the daemon's explanations later): every policy of the pack
// with what happened to it — satisfied, skipped because its scope does not
// match (and which of principal, action, resource failed), skipped because a
// `when`/`unless` clause was not met (and which), or skipped because its
// evaluation failed (and the error) — and Tollgate's decision:
//
//   deny   some satisfied enforced forbid has no @ask;
//   ask    satisfied enforced forbids exist and every one has @ask;
//   allow  no satisfied enforced forbid, some satisfied enforced permit;
//   deny   otherwise (default deny; no determining policy).
//
// Log-only policies (@mode("log-only")) are traced the same way and listed
// apart: a satisfied one "would allow" or "would deny"; they never change
// the decision. `would_decide` is the decision the pack would make with them
// enforced, for rolling rules out.
//
// The decision agrees with cedar::authorize() on the enforced set (a test
// checks it). explain() evaluates every policy, not only the scope index's
// candidates: it is for people and audits, not the hot path. Pure function
// of its inputs; safe to call concurrently on a shared Pack.
#pragma once

#include <string>
#include <vector>

#include "cedar/authorizer.h"
#include "cedar/entities.h"
#include "policy/pack.h"

namespace tollgate::policy {

enum class Decision { Allow, Deny, Ask };
const char* decision_name(Decision d);  // "allow", "deny", "ask"

struct PolicyTrace {
  enum class Outcome { Satisfied, ScopeMismatch, ConditionFalse, Error };
  std::string id;
  bool forbid = false;
  bool log_only = false;
  std::string file;  // as in diagnostics (the pack root joined with the file)
  SourceLoc loc;
  Outcome outcome = Outcome::ScopeMismatch;
  std::vector<std::string> scope_mismatch;  // "principal", "action", "resource"
  int clause = -1;                          // ConditionFalse: index of the clause not met
  bool clause_when = true;                  // … which is a `when` (else `unless`)
  SourceLoc clause_loc;
  std::string error;   // Error: the evaluation error
  std::string reason;  // @reason
  std::string ask;     // @ask (forbids)
};

struct Explanation {
  Decision decision = Decision::Deny;
  std::vector<std::string> determining;  // ids of the policies that decided (empty: default deny)
  std::vector<std::string> asks;         // @ask texts when the decision is ask
  std::vector<PolicyTrace> policies;     // enforced, in pack order
  std::vector<PolicyTrace> log_only;     // log-only, in pack order
  Decision would_decide = Decision::Deny;
};

Explanation explain(const Pack& pack, const cedar::Request& req, const cedar::Entities& entities);

// {"decision","determining","asks","would_decide","policies":[…],"log_only":[…]};
// each policy {"id","effect","file","line","col","outcome", and per outcome
// "scope_mismatch" | "clause","clause_kind","clause_line" | "error", plus
// "reason","ask" when set}; log-only ones add "would": "allow"|"deny"|null.
std::string explanation_json(const Explanation& e);

// The same for people, grouped: decision, determining policies, matched,
// condition not met, erred, skipped by scope, log-only.
std::string explanation_text(const Explanation& e);

}  // namespace tollgate::policy
