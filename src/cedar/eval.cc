// The Cedar evaluator: a tree walk over the AST with Cedar's error
// semantics (type errors, missing attributes and entities, overflow and
// extension errors all abort the policy being evaluated).
#include <algorithm>

#include "cedar/authorizer.h"
#include "cedar/extensions.h"

namespace tollgate::cedar {

namespace {

std::string type_desc(const Value& v) {
  if (v.kind() == Kind::Entity) return "(entity of type `" + v.as_entity().type() + "`)";
  return std::string(kind_name(v.kind()));
}

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

}  // namespace

Result<Value> call_function(const FnInfo& info, std::string_view name, const Value* args, const Entities* ents) {
  const Fn fn = info.fn;
  const Value& a = args[0];
  const Value& b = info.arity > 1 ? args[1] : args[0];
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

namespace {

class Evaluator {
 public:
  Evaluator(const Request& req, const Entities& entities) : req_(req), ents_(entities) {}

  Result<Value> eval(const Expr& e) {
    switch (e.op) {
      case Op::Lit: return e.lit;
      case Op::Var:
        switch (e.var) {
          case Var::Principal: return Value(req_.principal);
          case Var::Action: return Value(req_.action);
          case Var::Resource: return Value(req_.resource);
          case Var::Context: return req_.context;
        }
        break;
      case Op::Not: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        if (v->kind() != Kind::Bool) return type_error("bool", *v);
        return Value(!v->as_bool());
      }
      case Op::Neg: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        if (v->kind() != Kind::Long) return type_error("long", *v);
        if (v->as_long() == INT64_MIN) return overflow("negate " + v->str());
        return Value(-v->as_long());
      }
      case Op::And:
      case Op::Or: {
        bool is_and = e.op == Op::And;
        auto l = eval(*e.kids[0]);
        if (!l) return l;
        if (l->kind() != Kind::Bool) return type_error("bool", *l);
        if (l->as_bool() != is_and) return Value(!is_and);
        auto r = eval(*e.kids[1]);
        if (!r) return r;
        if (r->kind() != Kind::Bool) return type_error("bool", *r);
        return r;
      }
      case Op::If: {
        auto c = eval(*e.kids[0]);
        if (!c) return c;
        if (c->kind() != Kind::Bool) return type_error("bool", *c);
        return eval(*e.kids[c->as_bool() ? 1 : 2]);
      }
      case Op::Eq:
      case Op::Ne: {
        auto l = eval(*e.kids[0]);
        if (!l) return l;
        auto r = eval(*e.kids[1]);
        if (!r) return r;
        bool eq = *l == *r;
        return Value(e.op == Op::Eq ? eq : !eq);
      }
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: return compare_op(e);
      case Op::Add:
      case Op::Sub:
      case Op::Mul: return arith(e);
      case Op::In: return in_op(e);
      case Op::Has: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        // Walk the path: each step needs an entity or record; a missing
        // attribute (or entity) answers false.
        Value cur = std::move(v).value();
        for (size_t i = 0; i <= e.keys.size(); ++i) {
          const std::string& key = i == 0 ? e.name : e.keys[i - 1];
          const Value* f;
          if (cur.kind() == Kind::Record) {
            f = cur.field(key);
          } else if (cur.kind() == Kind::Entity) {
            const Entity* ent = ents_.find(cur.as_entity());
            f = ent ? ent->attrs.field(key) : nullptr;
          } else {
            return type_error("(entity or record)", cur);
          }
          if (!f) return Value(false);
          if (i == e.keys.size()) break;
          cur = *f;
        }
        return Value(true);
      }
      case Op::GetAttr: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        if (v->kind() == Kind::Record) {
          if (const Value* f = v->field(e.name)) return *f;
          return Error("record does not have the attribute `" + e.name + "`");
        }
        if (v->kind() == Kind::Entity) {
          const Entity* ent = ents_.find(v->as_entity());
          if (!ent) return Error("entity `" + v->as_entity().str() + "` does not exist");
          if (const Value* f = ent->attrs.field(e.name)) return *f;
          return Error("`" + v->as_entity().str() + "` does not have the attribute `" + e.name + "`");
        }
        return type_error("(entity or record)", *v);
      }
      case Op::Like: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        if (v->kind() != Kind::String) return type_error("string", *v);
        return Value(like_match(v->as_string(), e.pattern));
      }
      case Op::Is: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        if (v->kind() != Kind::Entity) return type_error("entity", *v);
        return Value(v->as_entity().type() == e.name);
      }
      case Op::IsIn: {
        auto v = eval(*e.kids[0]);
        if (!v) return v;
        if (v->kind() != Kind::Entity) return type_error("entity", *v);
        if (v->as_entity().type() != e.name) return Value(false);
        auto r = eval(*e.kids[1]);
        if (!r) return r;
        return in_values(*v, *r);
      }
      case Op::SetLit: {
        SetElems elems;
        elems.reserve(e.kids.size());
        for (const auto& k : e.kids) {
          auto v = eval(*k);
          if (!v) return v;
          elems.push_back(std::move(v).value());
        }
        return Value::set(std::move(elems));
      }
      case Op::RecordLit: {
        RecordFields fields;
        fields.reserve(e.kids.size());
        for (size_t i = 0; i < e.kids.size(); ++i) {
          auto v = eval(*e.kids[i]);
          if (!v) return v;
          fields.emplace_back(e.keys[i], std::move(v).value());
        }
        return Value::record(std::move(fields));
      }
      case Op::Call: return call(e);
    }
    return Error("internal error: unknown expression");
  }

 private:
  Result<Value> compare_op(const Expr& e) {
    auto l = eval(*e.kids[0]);
    if (!l) return l;
    auto r = eval(*e.kids[1]);
    if (!r) return r;
    int c;
    if (l->kind() == Kind::Long && r->kind() == Kind::Long) {
      c = l->as_long() < r->as_long() ? -1 : (l->as_long() > r->as_long() ? 1 : 0);
    } else if (l->kind() == Kind::Datetime && r->kind() == Kind::Datetime) {
      c = compare(*l, *r);
    } else if (l->kind() == Kind::Duration && r->kind() == Kind::Duration) {
      c = compare(*l, *r);
    } else if (l->kind() == Kind::Long || l->kind() == Kind::Datetime || l->kind() == Kind::Duration) {
      return type_error(kind_name(l->kind()), *r);
    } else {
      return type_error("long, datetime or duration", *l);
    }
    switch (e.op) {
      case Op::Lt: return Value(c < 0);
      case Op::Le: return Value(c <= 0);
      case Op::Gt: return Value(c > 0);
      default: return Value(c >= 0);
    }
  }

  Result<Value> arith(const Expr& e) {
    auto l = eval(*e.kids[0]);
    if (!l) return l;
    if (l->kind() != Kind::Long) return type_error("long", *l);
    auto r = eval(*e.kids[1]);
    if (!r) return r;
    if (r->kind() != Kind::Long) return type_error("long", *r);
    int64_t a = l->as_long(), b = r->as_long(), out;
    switch (e.op) {
      case Op::Add:
        if (__builtin_add_overflow(a, b, &out)) return overflow("add " + l->str() + " to " + r->str());
        break;
      case Op::Sub:
        if (__builtin_sub_overflow(a, b, &out)) return overflow("subtract " + r->str() + " from " + l->str());
        break;
      default:
        if (__builtin_mul_overflow(a, b, &out)) return overflow("multiply " + l->str() + " by " + r->str());
    }
    return Value(out);
  }

  Result<Value> in_op(const Expr& e) {
    auto l = eval(*e.kids[0]);
    if (!l) return l;
    if (l->kind() != Kind::Entity) return type_error("entity", *l);
    auto r = eval(*e.kids[1]);
    if (!r) return r;
    return in_values(*l, *r);
  }

  Result<Value> in_values(const Value& l, const Value& r) {
    const EntityUID& a = l.as_entity();
    if (r.kind() == Kind::Entity) return Value(ents_.in(a, r.as_entity()));
    if (r.kind() != Kind::Set) return type_error("set or entity", r);
    for (const auto& x : r.as_set()) {
      if (x.kind() != Kind::Entity) return type_error("entity", x);
    }
    for (const auto& x : r.as_set()) {
      if (ents_.in(a, x.as_entity())) return Value(true);
    }
    return Value(false);
  }

  Result<Value> call(const Expr& e) {
    // Evaluate all arguments (receiver first), left to right.
    const FnInfo* info = e.fn_info ? e.fn_info : lookup_function(e.name);
    size_t n = e.kids.size();
    if (!info || n != static_cast<size_t>(info->arity)) return arity_error(e.name, info, n);
    Value args[2];
    for (size_t i = 0; i < n; ++i) {
      auto v = eval(*e.kids[i]);
      if (!v) return v;
      args[i] = std::move(v).value();
    }
    return call_function(*info, e.name, args, &ents_);
  }

  const Request& req_;
  const Entities& ents_;
};

bool scope_matches(const ScopeConstraint& sc, const EntityUID& v, const std::optional<EntityUID>& slot,
                   const Entities& ents) {
  using K = ScopeConstraint::Kind;
  const EntityUID& target = sc.slot ? *slot : sc.entity;
  switch (sc.kind) {
    case K::Any: return true;
    case K::Eq: return v == target;
    case K::In: return ents.in(v, target);
    case K::Is: return v.type() == sc.type;
    case K::IsIn: return v.type() == sc.type && ents.in(v, target);
    case K::InList:
      return std::any_of(sc.list.begin(), sc.list.end(), [&](const EntityUID& a) { return ents.in(v, a); });
  }
  return false;
}

}  // namespace

Result<Value> evaluate(const Expr& e, const Request& req, const Entities& entities) {
  return Evaluator(req, entities).eval(e);
}

Result<bool> satisfied(const PolicyInstance& inst, const Request& req, const Entities& entities) {
  const Policy& p = *inst.policy;
  if (!scope_matches(p.principal, req.principal, inst.principal_slot, entities) ||
      !scope_matches(p.action, req.action, std::nullopt, entities) ||
      !scope_matches(p.resource, req.resource, inst.resource_slot, entities)) {
    return false;
  }
  Evaluator ev(req, entities);
  for (const auto& c : p.conditions) {
    auto v = ev.eval(*c.expr);
    if (!v) return std::move(v).error();
    if (v->kind() != Kind::Bool) return type_error("bool", *v);
    if (v->as_bool() != c.when) return false;
  }
  return true;
}

}  // namespace tollgate::cedar
