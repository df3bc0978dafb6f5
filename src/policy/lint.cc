#include "policy/lint.h"

#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "policy/ast_dump.h"

namespace tollgate::policy {

namespace {

using cedar::Effect;
using cedar::Expr;
using cedar::Op;
using cedar::PolicyInstance;
using cedar::ScopeConstraint;
using SK = ScopeConstraint::Kind;

// The boolean `e` evaluates to for every request, without error; nullopt
// when that depends on the request or may fail.
std::optional<bool> constant(const Expr& e) {
  switch (e.op) {
    case Op::Lit:
      if (e.lit.kind() == cedar::Kind::Bool) return e.lit.as_bool();
      return std::nullopt;
    case Op::Not:
      if (auto v = constant(*e.kids[0])) return !*v;
      return std::nullopt;
    case Op::And:
    case Op::Or: {
      auto l = constant(*e.kids[0]);
      if (!l) return std::nullopt;
      bool short_circuit = e.op == Op::And ? !*l : *l;
      if (short_circuit) return *l;
      return constant(*e.kids[1]);
    }
    case Op::If: {
      auto c = constant(*e.kids[0]);
      if (!c) return std::nullopt;
      return constant(*e.kids[*c ? 1 : 2]);
    }
    case Op::Eq:
    case Op::Ne: {
      const Expr& a = *e.kids[0];
      const Expr& b = *e.kids[1];
      if (a.op != Op::Lit || b.op != Op::Lit) return std::nullopt;
      bool eq = a.lit == b.lit;
      return e.op == Op::Eq ? eq : !eq;
    }
    default: return std::nullopt;
  }
}

// Whether no evaluation of `e` yields `b` (each evaluation either yields
// !b or fails). Weaker than constant(): `x && false` is never true, since
// it is false or an error whatever x is.
bool never(const Expr& e, bool b) {
  if (auto v = constant(e)) return *v != b;
  switch (e.op) {
    case Op::Not: return never(*e.kids[0], !b);
    // `l && r` is true only when both are true; false when either is.
    case Op::And:
      return b ? never(*e.kids[0], true) || never(*e.kids[1], true)
               : never(*e.kids[0], false) && never(*e.kids[1], false);
    case Op::Or:
      return b ? never(*e.kids[0], true) && never(*e.kids[1], true)
               : never(*e.kids[0], false) || never(*e.kids[1], false);
    case Op::If: return never(*e.kids[1], b) && never(*e.kids[2], b);
    default: return false;
  }
}

// Every condition is always met, without error.
bool unconditional(const cedar::Policy& p) {
  for (const auto& c : p.conditions) {
    auto v = constant(*c.expr);
    if (!v || *v != c.when) return false;
  }
  return true;
}

// The clause that can never be met, if any: (index, is_when).
std::optional<size_t> impossible_clause(const cedar::Policy& p) {
  for (size_t i = 0; i < p.conditions.size(); ++i) {
    const auto& c = p.conditions[i];
    if (never(*c.expr, c.when)) return i;
  }
  return std::nullopt;
}

// The entity a principal/resource constraint names, slots resolved.
const cedar::EntityUID* target(const ScopeConstraint& sc, const std::optional<cedar::EntityUID>& slot) {
  if (!sc.slot) return &sc.entity;
  return slot ? &*slot : nullptr;
}

// Whether every entity that satisfies `p` satisfies `f`, in every store.
bool covers_entity(const ScopeConstraint& f, const std::optional<cedar::EntityUID>& fslot, const ScopeConstraint& p,
                   const std::optional<cedar::EntityUID>& pslot) {
  if (f.kind == SK::Any) return true;
  const cedar::EntityUID* pt =
      (p.kind == SK::Eq || p.kind == SK::In || p.kind == SK::IsIn) ? target(p, pslot) : nullptr;
  const cedar::EntityUID* ft =
      (f.kind == SK::Eq || f.kind == SK::In || f.kind == SK::IsIn) ? target(f, fslot) : nullptr;
  switch (f.kind) {
    case SK::Eq: return p.kind == SK::Eq && pt && ft && *pt == *ft;
    case SK::In: return (p.kind == SK::Eq || p.kind == SK::In || p.kind == SK::IsIn) && pt && ft && *pt == *ft;
    case SK::Is:
      if (p.kind == SK::Is || p.kind == SK::IsIn) return p.type == f.type;
      return p.kind == SK::Eq && pt && pt->type() == f.type;
    case SK::IsIn:
      if (!pt || !ft || *pt != *ft) return false;
      if (p.kind == SK::IsIn) return p.type == f.type;
      return p.kind == SK::Eq && pt->type() == f.type;
    default: return false;
  }
}

// Action groups from the schema: `a in g` for action entities. Actions are
// entities the schema defines, so this is the same in every request.
class ActionGraph {
 public:
  explicit ActionGraph(const cedar::Schema* schema) : schema_(schema) {}

  bool in(const cedar::EntityUID& a, const cedar::EntityUID& g) {
    if (a == g) return true;
    return ancestors(a).count(g) != 0;
  }

 private:
  const std::set<cedar::EntityUID>& ancestors(const cedar::EntityUID& a) {
    auto it = memo_.find(a);
    if (it != memo_.end()) return it->second;
    std::set<cedar::EntityUID> out;
    std::vector<cedar::EntityUID> todo{a};
    while (!todo.empty() && schema_) {
      cedar::EntityUID x = todo.back();
      todo.pop_back();
      const cedar::ActionDecl* d = schema_->action(x);
      if (!d) continue;
      for (const auto& parent : d->member_of) {
        if (out.insert(parent).second) todo.push_back(parent);
      }
    }
    return memo_.emplace(a, std::move(out)).first->second;
  }

  const cedar::Schema* schema_;
  std::map<cedar::EntityUID, std::set<cedar::EntityUID>> memo_;
};

// Whether every action `p` admits is admitted by `f`.
bool covers_action(const ScopeConstraint& f, const ScopeConstraint& p, ActionGraph& g) {
  if (f.kind == SK::Any) return true;
  if (p.kind == SK::Any) return false;
  // The admitted set of p is a union of "exactly a" and "anything in h".
  std::vector<const cedar::EntityUID*> pieces;
  if (p.kind == SK::InList) {
    for (const auto& a : p.list) pieces.push_back(&a);
  } else {
    pieces.push_back(&p.entity);
  }
  for (const auto* x : pieces) {
    bool exact = p.kind == SK::Eq;
    bool ok = false;
    switch (f.kind) {
      // `in h` admits h's descendants, which `== a` covers only if there
      // are none besides h: not worth proving.
      case SK::Eq: ok = exact && *x == f.entity; break;
      case SK::In: ok = g.in(*x, f.entity); break;
      case SK::InList:
        for (const auto& y : f.list) ok = ok || g.in(*x, y);
        break;
      default: ok = false;
    }
    if (!ok) return false;
  }
  return true;
}

bool covers(const PolicyInstance& f, const PolicyInstance& p, ActionGraph& g) {
  return covers_entity(f.policy->principal, f.principal_slot, p.policy->principal, p.principal_slot) &&
         covers_entity(f.policy->resource, f.resource_slot, p.policy->resource, p.resource_slot) &&
         covers_action(f.policy->action, p.policy->action, g);
}

std::string where(const PolicyInstance& inst) {
  return inst.policy->file + ":" + std::to_string(inst.policy->loc.line);
}

class Linter {
 public:
  explicit Linter(const Pack& pack) : pack_(pack), actions_(pack.schema.get()) {
    for (const auto& w : pack.warnings) {
      if (w.message.rfind("policy is impossible", 0) == 0) impossible_.insert({w.file, w.loc.line, w.loc.col});
    }
  }

  std::vector<Diagnostic> run() {
    check_set(pack_.enforced, true);
    check_set(pack_.log_only, false);
    return std::move(out_);
  }

 private:
  void warn(const PolicyInstance& inst, std::string message) {
    out_.push_back(Diagnostic{inst.policy->file, inst.policy->loc, std::move(message), true});
  }

  bool asks(const PolicyInstance& inst) const {
    const PolicyMeta* m = pack_.find(inst.id);
    return m && m->ask;
  }

  static const char* effect(const PolicyInstance& inst) {
    return inst.policy->effect == Effect::Permit ? "permit" : "forbid";
  }

  void check_set(const cedar::PolicySet& set, bool enforced) {
    const auto& insts = set.instances();
    std::vector<bool> reported(insts.size(), false);

    // Policies that can never be satisfied.
    for (size_t i = 0; i < insts.size(); ++i) {
      const auto& inst = insts[i];
      auto clause = impossible_clause(*inst.policy);
      if (!clause) continue;
      reported[i] = true;
      const auto& p = *inst.policy;
      if (impossible_.count({p.file, p.loc.line, p.loc.col})) continue;  // the validator said so already
      bool when = p.conditions[*clause].when;
      warn(inst, std::string(effect(inst)) + " `" + inst.id + "` can never apply: its `" + (when ? "when" : "unless") +
                     "` condition is " + (when ? "false" : "true") + " for every request; remove the policy or fix " +
                     "the condition");
    }

    // Duplicates: the same effect, scope and conditions.
    std::unordered_map<std::string, size_t> seen;
    for (size_t i = 0; i < insts.size(); ++i) {
      if (reported[i]) continue;
      const auto& inst = insts[i];
      std::string key = dump_policy(*inst.policy, false, inst.principal_slot, inst.resource_slot);
      auto [it, fresh] = seen.emplace(std::move(key), i);
      if (fresh) continue;
      const auto& first = insts[it->second];
      // An @ask forbid and a plain one with the same text decide differently.
      if (inst.policy->effect == Effect::Forbid && asks(inst) != asks(first)) continue;
      reported[i] = true;
      warn(inst, std::string(effect(inst)) + " `" + inst.id + "` duplicates `" + first.id + "` (" + where(first) +
                     "): same effect, scope and conditions; remove one of them");
    }
    if (!enforced) return;  // log-only policies are reported one by one, never shadowed

    // Shadowing by unconditional forbids.
    std::vector<size_t> blockers;
    for (size_t i = 0; i < insts.size(); ++i) {
      if (insts[i].policy->effect == Effect::Forbid && unconditional(*insts[i].policy)) blockers.push_back(i);
    }
    if (blockers.empty()) return;
    if (blockers.size() * insts.size() > kMaxLintPairs) {
      out_.push_back(Diagnostic{pack_.root,
                                {},
                                "shadowing analysis skipped: " + std::to_string(blockers.size()) +
                                    " unconditional forbids are too many to compare",
                                true});
      return;
    }
    for (size_t i = 0; i < insts.size(); ++i) {
      if (reported[i]) continue;
      const auto& p = insts[i];
      bool permit = p.policy->effect == Effect::Permit;
      for (size_t j : blockers) {
        if (j == i) continue;
        const auto& f = insts[j];
        if (permit) {
          if (asks(f) || !covers(f, p, actions_)) continue;
          warn(p, "permit `" + p.id + "` can never allow anything: forbid `" + f.id + "` (" + where(f) +
                      ") has no condition and matches every request this permit matches; remove the permit or " +
                      "narrow the forbid with a `when` or `unless` condition");
          break;
        }
        // A forbid is redundant under one that denies at least as firmly.
        if (asks(f) && !asks(p)) continue;
        if (!covers(f, p, actions_)) continue;
        // Two unconditional forbids covering each other: report the later.
        if (unconditional(*p.policy) && j > i && covers(p, f, actions_)) continue;
        warn(p, "forbid `" + p.id + "` never changes a decision: forbid `" + f.id + "` (" + where(f) +
                    ") has no condition and already forbids every request this one matches; remove one of them");
        break;
      }
    }
  }

  const Pack& pack_;
  ActionGraph actions_;
  std::set<std::tuple<std::string, uint32_t, uint32_t>> impossible_;
  std::vector<Diagnostic> out_;
};

}  // namespace

std::vector<Diagnostic> lint_pack(const Pack& pack) { return Linter(pack).run(); }

}  // namespace tollgate::policy
