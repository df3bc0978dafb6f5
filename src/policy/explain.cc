#include "policy/explain.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace tollgate::policy {

namespace {

using cedar::ScopeConstraint;
using Outcome = PolicyTrace::Outcome;

// The scope test of cedar/eval.cc, one part at a time, so the trace can say
// which part failed. cedar::satisfied() stays the authority on the outcome.
bool part_matches(const ScopeConstraint& sc, const cedar::EntityUID& v, const std::optional<cedar::EntityUID>& slot,
                  const cedar::Entities& ents) {
  using K = ScopeConstraint::Kind;
  if (sc.slot && !slot) return false;
  const cedar::EntityUID& target = sc.slot ? *slot : sc.entity;
  switch (sc.kind) {
    case K::Any: return true;
    case K::Eq: return v == target;
    case K::In: return ents.in(v, target);
    case K::Is: return v.type() == sc.type;
    case K::IsIn: return v.type() == sc.type && ents.in(v, target);
    case K::InList:
      return std::any_of(sc.list.begin(), sc.list.end(), [&](const cedar::EntityUID& a) { return ents.in(v, a); });
  }
  return false;
}

PolicyTrace trace(const Pack& pack, const cedar::PolicyInstance& inst, bool log_only, const cedar::Request& req,
                  const cedar::Entities& ents) {
  const cedar::Policy& p = *inst.policy;
  PolicyTrace t;
  t.id = inst.id;
  t.forbid = p.effect == cedar::Effect::Forbid;
  t.log_only = log_only;
  t.file = p.file;
  t.loc = p.loc;
  if (const PolicyMeta* m = pack.find(inst.id)) {
    t.reason = m->reason;
    if (m->ask) t.ask = *m->ask;
  }
  if (!part_matches(p.principal, req.principal, inst.principal_slot, ents)) t.scope_mismatch.push_back("principal");
  if (!part_matches(p.action, req.action, std::nullopt, ents)) t.scope_mismatch.push_back("action");
  if (!part_matches(p.resource, req.resource, inst.resource_slot, ents)) t.scope_mismatch.push_back("resource");

  auto sat = cedar::satisfied(inst, req, ents);
  if (!sat) {
    t.outcome = Outcome::Error;
    t.error = sat.error().message;
    t.scope_mismatch.clear();
    return t;
  }
  if (*sat) {
    t.outcome = Outcome::Satisfied;
    t.scope_mismatch.clear();
    return t;
  }
  if (!t.scope_mismatch.empty()) {
    t.outcome = Outcome::ScopeMismatch;
    return t;
  }
  // In scope but not satisfied: find the first clause not met, evaluating
  // in order as Cedar does (an earlier clause that errs would have made
  // satisfied() fail).
  t.outcome = Outcome::ConditionFalse;
  for (size_t i = 0; i < p.conditions.size(); ++i) {
    const auto& c = p.conditions[i];
    auto v = cedar::evaluate(*c.expr, req, ents);
    if (v && v->kind() == cedar::Kind::Bool && v->as_bool() == c.when) continue;
    t.clause = static_cast<int>(i);
    t.clause_when = c.when;
    t.clause_loc = c.expr->loc;
    break;
  }
  return t;
}

struct Tally {
  std::vector<std::string> forbids, asking_forbids, permits;
  std::vector<std::string> asks;
  void add(const PolicyTrace& t) {
    if (t.outcome != Outcome::Satisfied) return;
    if (!t.forbid) {
      permits.push_back(t.id);
    } else if (t.ask.empty()) {
      forbids.push_back(t.id);
    } else {
      asking_forbids.push_back(t.id);
      asks.push_back(t.ask);
    }
  }
  Decision decide() const {
    if (!forbids.empty()) return Decision::Deny;
    if (!asking_forbids.empty()) return Decision::Ask;
    if (!permits.empty()) return Decision::Allow;
    return Decision::Deny;
  }
};

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Satisfied: return "satisfied";
    case Outcome::ScopeMismatch: return "scope";
    case Outcome::ConditionFalse: return "condition";
    case Outcome::Error: return "error";
  }
  return "?";
}

std::string pos(const PolicyTrace& t) {
  return t.file + ":" + std::to_string(t.loc.line) + ":" + std::to_string(t.loc.col);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::Allow: return "allow";
    case Decision::Deny: return "deny";
    case Decision::Ask: return "ask";
  }
  return "?";
}

Explanation explain(const Pack& pack, const cedar::Request& req, const cedar::Entities& entities) {
  Explanation e;
  Tally enforced, all;
  for (const auto& inst : pack.enforced.instances()) {
    e.policies.push_back(trace(pack, inst, false, req, entities));
    enforced.add(e.policies.back());
    all.add(e.policies.back());
  }
  for (const auto& inst : pack.log_only.instances()) {
    e.log_only.push_back(trace(pack, inst, true, req, entities));
    all.add(e.log_only.back());
  }
  e.decision = enforced.decide();
  switch (e.decision) {
    case Decision::Deny:
      // Cedar names every satisfied forbid, @ask or not.
      e.determining = enforced.forbids;
      e.determining.insert(e.determining.end(), enforced.asking_forbids.begin(), enforced.asking_forbids.end());
      break;
    case Decision::Ask:
      e.determining = enforced.asking_forbids;
      e.asks = enforced.asks;
      break;
    case Decision::Allow: e.determining = enforced.permits; break;
  }
  // Keep pack order for the determining policies, as the authorizer does.
  std::vector<std::string> ordered;
  for (const auto& t : e.policies) {
    if (std::find(e.determining.begin(), e.determining.end(), t.id) != e.determining.end()) ordered.push_back(t.id);
  }
  e.determining = std::move(ordered);
  e.would_decide = all.decide();
  return e;
}

std::string explanation_json(const Explanation& e) {
  using nlohmann::json;
  auto one = [](const PolicyTrace& t) {
    json j = {{"id", t.id},       {"effect", t.forbid ? "forbid" : "permit"}, {"file", t.file}, {"line", t.loc.line},
              {"col", t.loc.col}, {"outcome", outcome_name(t.outcome)}};
    switch (t.outcome) {
      case Outcome::ScopeMismatch: j["scope_mismatch"] = t.scope_mismatch; break;
      case Outcome::ConditionFalse:
        j["clause"] = t.clause;
        j["clause_kind"] = t.clause_when ? "when" : "unless";
        j["clause_line"] = t.clause_loc.line;
        break;
      case Outcome::Error: j["error"] = t.error; break;
      case Outcome::Satisfied: break;
    }
    if (!t.reason.empty()) j["reason"] = t.reason;
    if (!t.ask.empty()) j["ask"] = t.ask;
    if (t.log_only) {
      j["would"] = t.outcome == Outcome::Satisfied ? json(t.forbid ? "deny" : "allow") : json(nullptr);
    }
    return j;
  };
  json out = {
      {"decision", decision_name(e.decision)},         {"determining", e.determining}, {"asks", e.asks},
      {"would_decide", decision_name(e.would_decide)}, {"policies", json::array()},    {"log_only", json::array()}};
  for (const auto& t : e.policies) out["policies"].push_back(one(t));
  for (const auto& t : e.log_only) out["log_only"].push_back(one(t));
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string explanation_text(const Explanation& e) {
  std::string out = "decision: " + std::string(decision_name(e.decision));
  if (e.determining.empty()) {
    out += e.decision == Decision::Deny ? " (no policy allows this request: default deny)\n" : "\n";
  } else {
    out += " (" + join(e.determining, ", ") + ")\n";
  }
  for (const auto& a : e.asks) out += "  ask: " + a + "\n";

  auto effect = [](const PolicyTrace& t) { return std::string(t.forbid ? "forbid " : "permit "); };
  auto section = [&](const char* title, const std::vector<PolicyTrace>& ts, Outcome o, auto detail) {
    size_t n = std::count_if(ts.begin(), ts.end(), [&](const PolicyTrace& t) { return t.outcome == o; });
    if (n == 0) return;
    out += "\n" + std::string(title) + " (" + std::to_string(n) + "):\n";
    for (const auto& t : ts) {
      if (t.outcome != o) continue;
      out += "  " + effect(t) + t.id + "  " + pos(t) + "\n";
      std::string d = detail(t);
      if (!d.empty()) out += "      " + d + "\n";
    }
  };
  section("matched", e.policies, Outcome::Satisfied, [](const PolicyTrace& t) {
    std::string d;
    if (!t.reason.empty()) d += "reason: " + t.reason;
    if (!t.ask.empty()) d += std::string(d.empty() ? "" : "; ") + "asks: " + t.ask;
    return d;
  });
  section("condition not met", e.policies, Outcome::ConditionFalse, [](const PolicyTrace& t) {
    if (t.clause < 0) return std::string("a condition was not met");
    return std::string(t.clause_when ? "`when`" : "`unless`") + " clause " + std::to_string(t.clause + 1) + " (line " +
           std::to_string(t.clause_loc.line) + ") is " + (t.clause_when ? "false" : "true");
  });
  section("skipped: evaluation error", e.policies, Outcome::Error,
          [](const PolicyTrace& t) { return "error: " + t.error; });
  section("skipped by scope", e.policies, Outcome::ScopeMismatch,
          [](const PolicyTrace& t) { return join(t.scope_mismatch, ", ") + " does not match"; });

  if (!e.log_only.empty()) {
    out += "\nlog-only (not enforced; would decide " + std::string(decision_name(e.would_decide)) + "):\n";
    for (const auto& t : e.log_only) {
      std::string what;
      switch (t.outcome) {
        case Outcome::Satisfied: what = t.forbid ? "would deny" : "would allow"; break;
        case Outcome::ScopeMismatch: what = "out of scope (" + join(t.scope_mismatch, ", ") + ")"; break;
        case Outcome::ConditionFalse: what = "condition not met"; break;
        case Outcome::Error: what = "error: " + t.error; break;
      }
      out += "  " + effect(t) + t.id + "  " + pos(t) + "  " + what + "\n";
    }
  }
  return out;
}

}  // namespace tollgate::policy
