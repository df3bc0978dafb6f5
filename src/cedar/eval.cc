// The Cedar evaluator: a tree walk over the AST with Cedar's error
// semantics (type errors, missing attributes and entities, overflow and
// extension errors all abort the policy being evaluated).
#include <algorithm>

#include "cedar/authorizer.h"
#include "cedar/eval_internal.h"
#include "cedar/extensions.h"

namespace tollgate::cedar {

namespace detail {

namespace {

std::string type_desc(const Value& v) {
  if (v.kind() == Kind::Entity) return "(entity of type `" + v.as_entity().type() + "`)";
  return std::string(kind_name(v.kind()));
}

}  // namespace

Error type_error(std::string_view expected, const Value& got) {
  return Error("type error: expected " + std::string(expected) + ", got " + type_desc(got));
}

Error overflow(std::string_view what) { return Error("integer overflow while attempting to " + std::string(what)); }

bool like_match(std::string_view s, const std::vector<PatternElem>& pat) {
  // Greedy matching with backtracking to the last wildcard: linear-ish and
  // never exponential.
  size_t si = 0, pi = 0;
  size_t star_pi = SIZE_MAX, star_si = 0;
  // Work over pattern elements; a literal element must match at si.
  while (true) {
    if (pi < pat.size() && !pat[pi].wildcard) {
      const std::string& lit = pat[pi].text;
      if (s.compare(si, lit.size(), lit) == 0 && si + lit.size() <= s.size()) {
        si += lit.size();
        ++pi;
        continue;
      }
    } else if (pi < pat.size()) {
      star_pi = ++pi;
      star_si = si;
      continue;
    } else if (si == s.size()) {
      return true;
    }
    if (star_pi == SIZE_MAX || star_si >= s.size()) return false;
    // Backtrack: let the last wildcard absorb one more byte.
    si = ++star_si;
    pi = star_pi;
  }
}

Error arity_error(std::string_view name, const FnInfo* info, size_t n) {
  if (!info) return Error("unknown function `" + std::string(name) + "`");
  int want = info->method ? info->arity - 1 : info->arity;
  int got = static_cast<int>(n) - (info->method ? 1 : 0);
  return Error("wrong number of arguments to `" + std::string(name) + "`: expected " + std::to_string(want) + ", got " +
               std::to_string(got));
}

// call_function over borrowed arguments (the evaluator does not copy them).
Result<Value> call_function_args(const FnInfo& info, std::string_view name, const Value* const* args,
                                 const Entities* ents) {
  const Fn fn = info.fn;
  const Value& a = *args[0];
  const Value& b = info.arity > 1 ? *args[1] : *args[0];
  auto need = [&](const Value& v, Kind k) -> bool { return v.kind() == k; };
  auto bad_ext = [&](std::string_view what) {
    return Error("error while evaluating `" + std::string(name) + "` extension function: " + std::string(what));
  };
  switch (fn) {
    case Fn::Decimal: {
      if (!need(a, Kind::String)) return type_error("string", a);
      if (auto d = ext::parse_decimal(a.as_string())) return Value(*d);
      return bad_ext("`" + a.as_string() + "` is not a well-formed decimal value");
    }
    case Fn::Ip: {
      if (!need(a, Kind::String)) return type_error("string", a);
      if (auto d = ext::parse_ip(a.as_string())) return Value(*d);
      return bad_ext("`" + a.as_string() + "` is not a well-formed IP address");
    }
    case Fn::Datetime: {
      if (!need(a, Kind::String)) return type_error("string", a);
      if (auto d = ext::parse_datetime(a.as_string())) return Value(*d);
      return bad_ext("`" + a.as_string() + "` is not a well-formed datetime value");
    }
    case Fn::Duration: {
      if (!need(a, Kind::String)) return type_error("string", a);
      if (auto d = ext::parse_duration(a.as_string())) return Value(*d);
      return bad_ext("`" + a.as_string() + "` is not a well-formed duration value");
    }
    case Fn::Contains:
      if (!need(a, Kind::Set)) return type_error("set", a);
      return Value(a.set_contains(b));
    case Fn::ContainsAll:
    case Fn::ContainsAny: {
      if (!need(a, Kind::Set)) return type_error("set", a);
      if (!need(b, Kind::Set)) return type_error("set", b);
      if (fn == Fn::ContainsAll) {
        for (const auto& x : b.as_set()) {
          if (!a.set_contains(x)) return Value(false);
        }
        return Value(true);
      }
      for (const auto& x : b.as_set()) {
        if (a.set_contains(x)) return Value(true);
      }
      return Value(false);
    }
    case Fn::IsEmpty:
      if (!need(a, Kind::Set)) return type_error("set", a);
      return Value(a.as_set().empty());
    case Fn::GetTag:
    case Fn::HasTag: {
      if (!need(a, Kind::Entity)) return type_error("entity", a);
      if (!need(b, Kind::String)) return type_error("string", b);
      const Entity* ent = ents ? ents->find(a.as_entity()) : nullptr;
      if (fn == Fn::HasTag) return Value(ent != nullptr && ent->tags.field(b.as_string()) != nullptr);
      if (!ent) return Error("entity `" + a.as_entity().str() + "` does not exist");
      if (const Value* t = ent->tags.field(b.as_string())) return *t;
      return Error("`" + a.as_entity().str() + "` does not have the tag `" + b.as_string() + "`");
    }
    case Fn::LessThan:
    case Fn::LessThanOrEqual:
    case Fn::GreaterThan:
    case Fn::GreaterThanOrEqual: {
      if (!need(a, Kind::Decimal)) return type_error("decimal", a);
      if (!need(b, Kind::Decimal)) return type_error("decimal", b);
      int64_t x = a.as_decimal().raw, y = b.as_decimal().raw;
      switch (fn) {
        case Fn::LessThan: return Value(x < y);
        case Fn::LessThanOrEqual: return Value(x <= y);
        case Fn::GreaterThan: return Value(x > y);
        default: return Value(x >= y);
      }
    }
    case Fn::IsIpv4:
    case Fn::IsIpv6:
    case Fn::IsLoopback:
    case Fn::IsMulticast: {
      if (!need(a, Kind::IpAddr)) return type_error("ipaddr", a);
      const IpAddr& ip = a.as_ip();
      switch (fn) {
        case Fn::IsIpv4: return Value(ext::ip_is_ipv4(ip));
        case Fn::IsIpv6: return Value(ext::ip_is_ipv6(ip));
        case Fn::IsLoopback: return Value(ext::ip_is_loopback(ip));
        default: return Value(ext::ip_is_multicast(ip));
      }
    }
    case Fn::IsInRange:
      if (!need(a, Kind::IpAddr)) return type_error("ipaddr", a);
      if (!need(b, Kind::IpAddr)) return type_error("ipaddr", b);
      return Value(ext::ip_is_in_range(a.as_ip(), b.as_ip()));
    case Fn::Offset: {
      if (!need(a, Kind::Datetime)) return type_error("datetime", a);
      if (!need(b, Kind::Duration)) return type_error("duration", b);
      if (auto d = ext::datetime_offset(a.as_datetime(), b.as_duration())) return Value(*d);
      return bad_ext("overflow when applying the offset");
    }
    case Fn::DurationSince: {
      if (!need(a, Kind::Datetime)) return type_error("datetime", a);
      if (!need(b, Kind::Datetime)) return type_error("datetime", b);
      if (auto d = ext::datetime_duration_since(a.as_datetime(), b.as_datetime())) return Value(*d);
      return bad_ext("overflow when computing the duration");
    }
    case Fn::ToDate: {
      if (!need(a, Kind::Datetime)) return type_error("datetime", a);
      if (auto d = ext::datetime_to_date(a.as_datetime())) return Value(*d);
      return bad_ext("overflow when computing the date");
    }
    case Fn::ToTime:
      if (!need(a, Kind::Datetime)) return type_error("datetime", a);
      return Value(ext::datetime_to_time(a.as_datetime()));
    case Fn::ToMilliseconds:
    case Fn::ToSeconds:
    case Fn::ToMinutes:
    case Fn::ToHours:
    case Fn::ToDays: {
      if (!need(a, Kind::Duration)) return type_error("duration", a);
      Duration d = a.as_duration();
      switch (fn) {
        case Fn::ToMilliseconds: return Value(ext::duration_to_milliseconds(d));
        case Fn::ToSeconds: return Value(ext::duration_to_seconds(d));
        case Fn::ToMinutes: return Value(ext::duration_to_minutes(d));
        case Fn::ToHours: return Value(ext::duration_to_hours(d));
        default: return Value(ext::duration_to_days(d));
      }
    }
  }
  return Error("internal error: unknown function");
}

}  // namespace detail

using namespace detail;

Result<Value> call_function(const FnInfo& info, std::string_view name, const Value* args, const Entities* ents) {
  const Value* ptrs[2] = {&args[0], info.arity > 1 ? &args[1] : &args[0]};
  return call_function_args(info, name, ptrs, ents);
}

namespace {

const Value kTrue(true);
const Value kFalse(false);

const Value* boolean(bool b) { return b ? &kTrue : &kFalse; }

// Evaluates expressions for one request. Results are borrowed, not copied:
// eval() returns a pointer either into long-lived storage (the AST, the
// request, the entity store, the evaluator's own members) or to the `tmp`
// its caller passed in, never into the interior of a temporary, so a caller
// that keeps a child's temporary alive may use the result freely. A null
// result means an error, kept in err_. The principal's and resource's
// entities are looked up once per request, not on every use.
class Evaluator {
 public:
  Evaluator(const Request& req, const Entities& entities)
      : req_(req),
        ents_(entities),
        principal_(req.principal),
        action_(req.action),
        resource_(req.resource),
        principal_ent_(entities.find(req.principal)),
        resource_ent_(entities.find(req.resource)) {}

  Error take_error() { return std::move(err_); }

  const Value* eval(const Expr& e, Value& tmp) {
    switch (e.op) {
      case Op::Lit: return &e.lit;
      case Op::Var:
        switch (e.var) {
          case Var::Principal: return &principal_;
          case Var::Action: return &action_;
          case Var::Resource: return &resource_;
          case Var::Context: return &req_.context;
        }
        break;
      case Op::Not: {
        Value t;
        const Value* v = eval(*e.kids[0], t);
        if (!v) return v;
        if (v->kind() != Kind::Bool) return fail(type_error("bool", *v));
        return boolean(!v->as_bool());
      }
      case Op::Neg: {
        Value t;
        const Value* v = eval(*e.kids[0], t);
        if (!v) return v;
        if (v->kind() != Kind::Long) return fail(type_error("long", *v));
        if (v->as_long() == INT64_MIN) return fail(overflow("negate " + v->str()));
        tmp = Value(-v->as_long());
        return &tmp;
      }
      case Op::And:
      case Op::Or: {
        bool is_and = e.op == Op::And;
        Value t;
        const Value* l = eval(*e.kids[0], t);
        if (!l) return l;
        if (l->kind() != Kind::Bool) return fail(type_error("bool", *l));
        if (l->as_bool() != is_and) return boolean(!is_and);
        const Value* r = eval(*e.kids[1], t);
        if (!r) return r;
        if (r->kind() != Kind::Bool) return fail(type_error("bool", *r));
        return boolean(r->as_bool());
      }
      case Op::If: {
        Value t;
        const Value* c = eval(*e.kids[0], t);
        if (!c) return c;
        if (c->kind() != Kind::Bool) return fail(type_error("bool", *c));
        return eval(*e.kids[c->as_bool() ? 1 : 2], tmp);
      }
      case Op::Eq:
      case Op::Ne: {
        Value t1, t2;
        const Value* l = eval(*e.kids[0], t1);
        if (!l) return l;
        const Value* r = eval(*e.kids[1], t2);
        if (!r) return r;
        bool eq = *l == *r;
        return boolean(e.op == Op::Eq ? eq : !eq);
      }
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: return compare_op(e);
      case Op::Add:
      case Op::Sub:
      case Op::Mul: return arith(e, tmp);
      case Op::In: {
        Value t1, t2;
        const Value* l = eval(*e.kids[0], t1);
        if (!l) return l;
        if (l->kind() != Kind::Entity) return fail(type_error("entity", *l));
        const Value* r = eval(*e.kids[1], t2);
        if (!r) return r;
        return in_values(*l, *r);
      }
      case Op::Has: {
        Value t;
        const Value* cur = eval(*e.kids[0], t);
        if (!cur) return cur;
        // Walk the path: each step needs an entity or record; a missing
        // attribute (or entity) answers false. Every step points into `t`
        // or into long-lived storage, both alive until we return.
        for (size_t i = 0; i <= e.keys.size(); ++i) {
          const std::string& key = i == 0 ? e.name : e.keys[i - 1];
          const Value* f;
          if (cur->kind() == Kind::Record) {
            f = cur->field(key);
          } else if (cur->kind() == Kind::Entity) {
            const Entity* ent = entity(cur->as_entity());
            f = ent ? ent->attrs.field(key) : nullptr;
          } else {
            return fail(type_error("(entity or record)", *cur));
          }
          if (!f) return &kFalse;
          cur = f;
        }
        return &kTrue;
      }
      case Op::GetAttr: {
        Value t;
        const Value* v = eval(*e.kids[0], t);
        if (!v) return v;
        if (v->kind() == Kind::Record) {
          const Value* f = v->field(e.name);
          if (!f) return fail(Error("record does not have the attribute `" + e.name + "`"));
          if (v != &t) return f;
          tmp = *f;  // the record dies with `t`
          return &tmp;
        }
        if (v->kind() == Kind::Entity) {
          const Entity* ent = entity(v->as_entity());
          if (!ent) return fail(Error("entity `" + v->as_entity().str() + "` does not exist"));
          if (const Value* f = ent->attrs.field(e.name)) return f;
          return fail(Error("`" + v->as_entity().str() + "` does not have the attribute `" + e.name + "`"));
        }
        return fail(type_error("(entity or record)", *v));
      }
      case Op::Like: {
        Value t;
        const Value* v = eval(*e.kids[0], t);
        if (!v) return v;
        if (v->kind() != Kind::String) return fail(type_error("string", *v));
        return boolean(like_match(v->as_string(), e.pattern));
      }
      case Op::Is: {
        Value t;
        const Value* v = eval(*e.kids[0], t);
        if (!v) return v;
        if (v->kind() != Kind::Entity) return fail(type_error("entity", *v));
        return boolean(v->as_entity().type() == e.name);
      }
      case Op::IsIn: {
        Value t1, t2;
        const Value* v = eval(*e.kids[0], t1);
        if (!v) return v;
        if (v->kind() != Kind::Entity) return fail(type_error("entity", *v));
        if (v->as_entity().type() != e.name) return &kFalse;
        const Value* r = eval(*e.kids[1], t2);
        if (!r) return r;
        return in_values(*v, *r);
      }
      case Op::SetLit: {
        if (e.folded) return e.folded.get();
        SetElems elems;
        elems.reserve(e.kids.size());
        for (const auto& k : e.kids) {
          Value t;
          const Value* v = eval(*k, t);
          if (!v) return v;
          elems.push_back(v == &t ? std::move(t) : *v);
        }
        tmp = Value::set(std::move(elems));
        return &tmp;
      }
      case Op::RecordLit: {
        if (e.folded) return e.folded.get();
        RecordFields fields;
        fields.reserve(e.kids.size());
        for (size_t i = 0; i < e.kids.size(); ++i) {
          Value t;
          const Value* v = eval(*e.kids[i], t);
          if (!v) return v;
          fields.emplace_back(e.keys[i], v == &t ? std::move(t) : *v);
        }
        tmp = Value::record(std::move(fields));
        return &tmp;
      }
      case Op::Call: return call(e, tmp);
    }
    return fail(Error("internal error: unknown expression"));
  }

  // Whether the instance's scope admits the request.
  bool scope_matches(const PolicyInstance& inst) {
    const Policy& p = *inst.policy;
    return scope_matches(p.principal, req_.principal, inst.principal_slot) &&
           scope_matches(p.action, req_.action, std::nullopt) &&
           scope_matches(p.resource, req_.resource, inst.resource_slot);
  }

 private:
  const Value* fail(Error err) {
    err_ = std::move(err);
    return nullptr;
  }

  // The request's own entities are by far the most looked up.
  const Entity* entity(const EntityUID& u) const {
    if (u == req_.principal) return principal_ent_;
    if (u == req_.resource) return resource_ent_;
    return ents_.find(u);
  }

  // `a in b` for entity references, as Entities::in.
  bool in(const EntityUID& a, const EntityUID& b) const {
    if (a == b) return true;
    const Entity* e = entity(a);
    return e && e->ancestors.contains(b);
  }

  bool scope_matches(const ScopeConstraint& sc, const EntityUID& v, const std::optional<EntityUID>& slot) const {
    using K = ScopeConstraint::Kind;
    const EntityUID& target = sc.slot ? *slot : sc.entity;
    switch (sc.kind) {
      case K::Any: return true;
      case K::Eq: return v == target;
      case K::In: return in(v, target);
      case K::Is: return v.type() == sc.type;
      case K::IsIn: return v.type() == sc.type && in(v, target);
      case K::InList: return std::any_of(sc.list.begin(), sc.list.end(), [&](const EntityUID& a) { return in(v, a); });
    }
    return false;
  }

  const Value* compare_op(const Expr& e) {
    Value t1, t2;
    const Value* l = eval(*e.kids[0], t1);
    if (!l) return l;
    const Value* r = eval(*e.kids[1], t2);
    if (!r) return r;
    int c;
    if (l->kind() == Kind::Long && r->kind() == Kind::Long) {
      c = l->as_long() < r->as_long() ? -1 : (l->as_long() > r->as_long() ? 1 : 0);
    } else if (l->kind() == Kind::Datetime && r->kind() == Kind::Datetime) {
      c = compare(*l, *r);
    } else if (l->kind() == Kind::Duration && r->kind() == Kind::Duration) {
      c = compare(*l, *r);
    } else if (l->kind() == Kind::Long || l->kind() == Kind::Datetime || l->kind() == Kind::Duration) {
      return fail(type_error(kind_name(l->kind()), *r));
    } else {
      return fail(type_error("long, datetime or duration", *l));
    }
    switch (e.op) {
      case Op::Lt: return boolean(c < 0);
      case Op::Le: return boolean(c <= 0);
      case Op::Gt: return boolean(c > 0);
      default: return boolean(c >= 0);
    }
  }

  const Value* arith(const Expr& e, Value& tmp) {
    Value t1, t2;
    const Value* l = eval(*e.kids[0], t1);
    if (!l) return l;
    if (l->kind() != Kind::Long) return fail(type_error("long", *l));
    const Value* r = eval(*e.kids[1], t2);
    if (!r) return r;
    if (r->kind() != Kind::Long) return fail(type_error("long", *r));
    int64_t a = l->as_long(), b = r->as_long(), out;
    switch (e.op) {
      case Op::Add:
        if (__builtin_add_overflow(a, b, &out)) return fail(overflow("add " + l->str() + " to " + r->str()));
        break;
      case Op::Sub:
        if (__builtin_sub_overflow(a, b, &out)) return fail(overflow("subtract " + r->str() + " from " + l->str()));
        break;
      default:
        if (__builtin_mul_overflow(a, b, &out)) return fail(overflow("multiply " + l->str() + " by " + r->str()));
    }
    tmp = Value(out);
    return &tmp;
  }

  const Value* in_values(const Value& l, const Value& r) {
    const EntityUID& a = l.as_entity();
    if (r.kind() == Kind::Entity) return boolean(in(a, r.as_entity()));
    if (r.kind() != Kind::Set) return fail(type_error("set or entity", r));
    for (const auto& x : r.as_set()) {
      if (x.kind() != Kind::Entity) return fail(type_error("entity", x));
    }
    for (const auto& x : r.as_set()) {
      if (in(a, x.as_entity())) return &kTrue;
    }
    return &kFalse;
  }

  const Value* call(const Expr& e, Value& tmp) {
    if (e.folded) return e.folded.get();
    // Evaluate all arguments (receiver first), left to right.
    const FnInfo* info = e.fn_info ? e.fn_info : lookup_function(e.name);
    size_t n = e.kids.size();
    if (!info || n != static_cast<size_t>(info->arity)) return fail(arity_error(e.name, info, n));
    Value t[2];
    const Value* args[2] = {nullptr, nullptr};
    for (size_t i = 0; i < n; ++i) {
      args[i] = eval(*e.kids[i], t[i]);
      if (!args[i]) return nullptr;
    }
    auto r = call_function_args(*info, e.name, args, &ents_);
    if (!r) return fail(std::move(r).error());
    tmp = std::move(r).value();
    return &tmp;
  }

  const Request& req_;
  const Entities& ents_;
  const Value principal_, action_, resource_;
  const Entity* principal_ent_;
  const Entity* resource_ent_;
  Error err_;
};

Result<bool> condition_holds(Evaluator& ev, const PolicyInstance& inst) {
  for (const auto& c : inst.policy->conditions) {
    Value t;
    const Value* v = ev.eval(*c.expr, t);
    if (!v) return ev.take_error();
    if (v->kind() != Kind::Bool) return type_error("bool", *v);
    if (v->as_bool() != c.when) return false;
  }
  return true;
}

// Whether every kid is a constant (a literal or folded), and its value.
const Value* constant(const Expr& e) {
  if (e.op == Op::Lit) return &e.lit;
  return e.folded.get();
}

}  // namespace

void fold_constants(Expr& e) {
  for (auto& k : e.kids) fold_constants(*k);
  if (e.op != Op::SetLit && e.op != Op::RecordLit && e.op != Op::Call) return;
  std::vector<const Value*> vals;
  for (const auto& k : e.kids) {
    const Value* v = constant(*k);
    if (!v) return;
    vals.push_back(v);
  }
  switch (e.op) {
    case Op::SetLit: {
      SetElems elems;
      for (const Value* v : vals) elems.push_back(*v);
      e.folded = std::make_shared<const Value>(Value::set(std::move(elems)));
      return;
    }
    case Op::RecordLit: {
      if (e.keys.size() != vals.size()) return;
      RecordFields fields;
      for (size_t i = 0; i < vals.size(); ++i) fields.emplace_back(e.keys[i], *vals[i]);
      e.folded = std::make_shared<const Value>(Value::record(std::move(fields)));
      return;
    }
    default: {
      // Only calls that succeed are folded: an error (a malformed ip("…"),
      // a wrong arity) must still abort the policy when it is evaluated.
      // The tag methods read the entity store, so they are never constant.
      const FnInfo* info = e.fn_info;
      if (!info || !info->extension || vals.size() != static_cast<size_t>(info->arity)) return;
      if (info->fn == Fn::GetTag || info->fn == Fn::HasTag) return;
      auto r = call_function_args(*info, e.name, vals.data(), nullptr);
      if (r) e.folded = std::make_shared<const Value>(std::move(r).value());
      return;
    }
  }
}

Result<Value> evaluate(const Expr& e, const Request& req, const Entities& entities) {
  Evaluator ev(req, entities);
  Value t;
  const Value* v = ev.eval(e, t);
  if (!v) return ev.take_error();
  return v == &t ? std::move(t) : *v;
}

Result<bool> satisfied(const PolicyInstance& inst, const Request& req, const Entities& entities) {
  Evaluator ev(req, entities);
  if (!ev.scope_matches(inst)) return false;
  return condition_holds(ev, inst);
}

}  // namespace tollgate::cedar
