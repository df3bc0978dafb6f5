// Compiling policy conditions (program.h) and authorize(), which runs the
// compiled code. The evaluation rules, their order and every error are those
// of the tree walk in eval.cc; the two share their helpers
// (eval_internal.h), and tests check that they agree.
#include "cedar/program.h"

#include <algorithm>
#include <optional>

#include "cedar/authorizer.h"
#include "cedar/eval_internal.h"

namespace tollgate::cedar {

using namespace detail;

uint32_t Program::push(Op op, uint8_t sub) {
  Node n;
  n.op = op;
  n.sub = sub;
  nodes.push_back(n);
  return static_cast<uint32_t>(nodes.size() - 1);
}

Program::Str Program::text(std::string_view s) {
  Str r{static_cast<uint32_t>(chars.size()), static_cast<uint32_t>(s.size())};
  chars.insert(chars.end(), s.begin(), s.end());
  return r;
}

uint32_t Program::add_str(std::string_view s) {
  strs.push_back(text(s));
  return static_cast<uint32_t>(strs.size() - 1);
}

namespace {

Program::Op op_of(cedar::Op op) {
  using O = Program::Op;
  switch (op) {
    case cedar::Op::Not: return O::Not;
    case cedar::Op::Neg: return O::Neg;
    case cedar::Op::And: return O::And;
    case cedar::Op::Or: return O::Or;
    case cedar::Op::If: return O::If;
    case cedar::Op::Eq: return O::Eq;
    case cedar::Op::Ne: return O::Ne;
    case cedar::Op::Lt: return O::Lt;
    case cedar::Op::Le: return O::Le;
    case cedar::Op::Gt: return O::Gt;
    case cedar::Op::Ge: return O::Ge;
    case cedar::Op::Add: return O::Add;
    case cedar::Op::Sub: return O::Sub;
    case cedar::Op::Mul: return O::Mul;
    case cedar::Op::In: return O::In;
    case cedar::Op::SetLit: return O::SetLit;
    default: return O::Lit;  // not reached: the other operators are compiled one by one
  }
}

bool is_string_lit(const Expr& e) { return e.op == cedar::Op::Lit && e.lit.kind() == Kind::String; }

}  // namespace

uint32_t Program::compile(const Expr& e) {
  using EOp = cedar::Op;
  uint32_t i;
  const Value* constant = e.op == EOp::Lit ? &e.lit : e.folded.get();
  if (constant) {
    i = push(Op::Lit);
    nodes[i].a = static_cast<uint32_t>(values.size());
    values.push_back(*constant);
  } else {
    switch (e.op) {
      case EOp::Lit: return 0;  // not reached (constant above)
      case EOp::Var: i = push(Op::Var, static_cast<uint8_t>(e.var)); break;
      case EOp::GetAttr: {
        // A chain of attribute reads from a variable is one Path node.
        std::vector<const std::string*> names;
        const Expr* x = &e;
        while (x->op == EOp::GetAttr && x->kids.size() == 1) {
          names.push_back(&x->name);
          x = x->kids[0].get();
        }
        if (x->op == EOp::Var) {
          std::string key(1, static_cast<char>('0' + static_cast<int>(x->var)));
          for (auto it = names.rbegin(); it != names.rend(); ++it) {
            key += '\0';
            key += **it;
          }
          auto [pos, fresh] = path_ids_.emplace(std::move(key), static_cast<uint32_t>(path_ids_.size()));
          (void)fresh;
          i = push(Op::Path, static_cast<uint8_t>(x->var));
          uint32_t first = static_cast<uint32_t>(strs.size());
          for (auto it = names.rbegin(); it != names.rend(); ++it) add_str(**it);
          nodes[i].a = first;
          nodes[i].n = static_cast<uint32_t>(names.size());
          nodes[i].b = pos->second;
          break;
        }
        i = push(Op::GetAttr);
        Str s = text(e.name);
        nodes[i].a = s.off;
        nodes[i].b = s.len;
        for (const auto& k : e.kids) compile(*k);
        break;
      }
      case EOp::Eq:
      case EOp::Ne:
        if (e.kids.size() == 2 && (is_string_lit(*e.kids[0]) || is_string_lit(*e.kids[1]))) {
          // Evaluating a literal cannot fail, so comparing the other side
          // with its bytes keeps the order of errors.
          bool left = is_string_lit(*e.kids[0]);
          const Expr& lit = left ? *e.kids[0] : *e.kids[1];
          const Expr& other = left ? *e.kids[1] : *e.kids[0];
          i = push(e.op == EOp::Eq ? Op::EqStr : Op::NeStr);
          Str s = text(lit.lit.as_string());
          nodes[i].a = s.off;
          nodes[i].b = s.len;
          compile(other);
          break;
        }
        i = push(op_of(e.op));
        for (const auto& k : e.kids) compile(*k);
        break;
      case EOp::Is:
      case EOp::IsIn: {
        i = push(e.op == EOp::Is ? Op::Is : Op::IsIn);
        Str s = text(e.name);
        nodes[i].a = s.off;
        nodes[i].b = s.len;
        for (const auto& k : e.kids) compile(*k);
        break;
      }
      case EOp::Has: {
        i = push(Op::Has);
        uint32_t first = add_str(e.name);
        for (const auto& k : e.keys) add_str(k);
        nodes[i].a = first;
        nodes[i].n = static_cast<uint32_t>(e.keys.size() + 1);
        for (const auto& k : e.kids) compile(*k);
        break;
      }
      case EOp::Like: {
        i = push(Op::Like);
        nodes[i].a = static_cast<uint32_t>(pats.size());
        nodes[i].n = static_cast<uint32_t>(e.pattern.size());
        for (const auto& pe : e.pattern) {
          Str s = text(pe.text);
          pats.push_back(Pat{s.off, s.len, pe.wildcard});
        }
        for (const auto& k : e.kids) compile(*k);
        break;
      }
      case EOp::RecordLit: {
        i = push(Op::RecordLit);
        uint32_t first = static_cast<uint32_t>(strs.size());
        for (const auto& k : e.keys) add_str(k);
        nodes[i].a = first;
        nodes[i].b = static_cast<uint32_t>(e.keys.size());
        nodes[i].n = static_cast<uint32_t>(e.kids.size());
        for (const auto& k : e.kids) compile(*k);
        break;
      }
      case EOp::Call: {
        i = push(Op::Call);
        nodes[i].a = add_str(e.name);
        nodes[i].b = static_cast<uint32_t>(fns.size());
        fns.push_back(e.fn_info ? e.fn_info : lookup_function(e.name));
        nodes[i].n = static_cast<uint32_t>(e.kids.size());
        for (const auto& k : e.kids) compile(*k);
        break;
      }
      case EOp::SetLit:
        i = push(Op::SetLit);
        nodes[i].n = static_cast<uint32_t>(e.kids.size());
        for (const auto& k : e.kids) compile(*k);
        break;
      default:
        i = push(op_of(e.op));
        for (const auto& k : e.kids) compile(*k);
        break;
    }
  }
  nodes[i].end = static_cast<uint32_t>(nodes.size());
  return i;
}

Program::Code Program::add(const Policy& p) {
  Code c;
  c.begin = static_cast<uint32_t>(nodes.size());
  c.vbegin = static_cast<uint32_t>(values.size());
  c.sbegin = static_cast<uint32_t>(strs.size());
  c.cbegin = static_cast<uint32_t>(chars.size());
  c.pbegin = static_cast<uint32_t>(pats.size());
  c.effect = p.effect;
  for (const auto& cond : p.conditions) {
    uint32_t i = push(Op::Cond, cond.when ? 1 : 0);
    compile(*cond.expr);
    nodes[i].end = static_cast<uint32_t>(nodes.size());
  }
  c.end = static_cast<uint32_t>(nodes.size());
  c.vend = static_cast<uint32_t>(values.size());
  c.send = static_cast<uint32_t>(strs.size());
  c.cend = static_cast<uint32_t>(chars.size());
  c.pend = static_cast<uint32_t>(pats.size());
  return c;
}

namespace {

const Value kTrue(true);
const Value kFalse(false);

const Value* boolean(bool b) { return b ? &kTrue : &kFalse; }

// `like` over a compiled pattern: the algorithm of detail::like_match.
bool like_match_pats(std::string_view s, const Program& prog, uint32_t first, uint32_t count) {
  const Program::Pat* pat = prog.pats.data() + first;
  size_t si = 0, pi = 0;
  size_t star_pi = SIZE_MAX, star_si = 0;
  while (true) {
    if (pi < count && !pat[pi].wildcard) {
      std::string_view lit = prog.chars_at(pat[pi].off, pat[pi].len);
      if (s.compare(si, lit.size(), lit) == 0 && si + lit.size() <= s.size()) {
        si += lit.size();
        ++pi;
        continue;
      }
    } else if (pi < count) {
      star_pi = ++pi;
      star_si = si;
      continue;
    } else if (si == s.size()) {
      return true;
    }
    if (star_pi == SIZE_MAX || star_si >= s.size()) return false;
    si = ++star_si;
    pi = star_pi;
  }
}

// A temporary for an evaluation result; most results are borrowed and
// leave it empty.
using Tmp = std::optional<Value>;

// What the paths read for the current request, per thread: a slot per path
// id, valid when it carries the request's stamp.
struct PathCache {
  struct Slot {
    uint64_t stamp = 0;
    const Value* value = nullptr;
  };
  std::vector<Slot> slots;
  uint64_t stamp = 0;
};

void prefetch_range(const void* begin, const void* end) {
  for (auto* p = static_cast<const char*>(begin); p < static_cast<const char*>(end); p += 64) __builtin_prefetch(p);
}

void prefetch_record(const Value& v) {
  if (v.kind() != Kind::Record) return;
  const RecordFields& fs = v.as_record();
  prefetch_range(fs.data(), fs.data() + fs.size());
}

// Runs compiled code for one request. Results are borrowed, as in the tree
// walk (eval.cc): a pointer into long-lived storage (the program, the
// request, the entity store, the machine's members) or to the `tmp` the
// caller passed in. A null result means an error, kept in err_.
class Machine {
 public:
  Machine(const Program& prog, const Request& req, const Entities& entities)
      : prog_(prog),
        nodes_(prog.nodes.data()),
        req_(req),
        ents_(entities),
        principal_(req.principal),
        action_(req.action),
        resource_(req.resource),
        principal_ent_(entities.find(req.principal)),
        resource_ent_(entities.find(req.resource)) {
    // The records the paths will read first: the context and the
    // attributes of the principal and the resource.
    prefetch_record(req.context);
    if (principal_ent_) prefetch_record(principal_ent_->attrs);
    if (resource_ent_) prefetch_record(resource_ent_->attrs);
    thread_local PathCache cache;
    cache_ = &cache;
    if (cache.slots.size() < prog.path_count()) cache.slots.resize(prog.path_count());
    stamp_ = ++cache.stamp;
  }

  Error take_error() { return std::move(err_); }

  // Whether the clauses in [begin, end) all hold.
  Result<bool> holds(uint32_t begin, uint32_t end) {
    for (uint32_t i = begin; i < end; i = nodes_[i].end) {
      Tmp t;
      const Value* v = eval(i + 1, t);
      if (!v) return take_error();
      if (v->kind() != Kind::Bool) return type_error("bool", *v);
      if (v->as_bool() != (nodes_[i].sub != 0)) return false;
    }
    return true;
  }

 private:
  using Op = Program::Op;

  const Value* fail(Error err) {
    err_ = std::move(err);
    return nullptr;
  }

  const Entity* entity(const EntityUID& u) const {
    if (u == req_.principal) return principal_ent_;
    if (u == req_.resource) return resource_ent_;
    return ents_.find(u);
  }

  bool in(const EntityUID& a, const EntityUID& b) const {
    if (a == b) return true;
    const Entity* e = entity(a);
    return e && e->ancestors.contains(b);
  }

  const Value* var(uint8_t v) const {
    switch (static_cast<Var>(v)) {
      case Var::Principal: return &principal_;
      case Var::Action: return &action_;
      case Var::Resource: return &resource_;
      case Var::Context: break;
    }
    return &req_.context;
  }

  // The second and third kids of node i.
  uint32_t kid1(uint32_t i) const { return nodes_[i + 1].end; }
  uint32_t kid2(uint32_t i) const { return nodes_[kid1(i)].end; }

  // One attribute read, `v.name`, of a value in long-lived storage.
  const Value* attr(const Value* v, std::string_view name) {
    if (v->kind() == Kind::Record) {
      if (const Value* f = v->field(name)) return f;
      return fail(Error("record does not have the attribute `" + std::string(name) + "`"));
    }
    if (v->kind() == Kind::Entity) {
      const Entity* ent = entity(v->as_entity());
      if (!ent) return fail(Error("entity `" + v->as_entity().str() + "` does not exist"));
      if (const Value* f = ent->attrs.field(name)) return f;
      return fail(Error("`" + v->as_entity().str() + "` does not have the attribute `" + std::string(name) + "`"));
    }
    return fail(type_error("(entity or record)", *v));
  }

  const Value* path(const Program::Node& n) {
    PathCache::Slot& slot = cache_->slots[n.b];
    if (slot.stamp == stamp_) return slot.value;
    const Value* v = var(n.sub);
    for (uint32_t k = 0; k < n.n; ++k) {
      v = attr(v, prog_.str(n.a + k));
      if (!v) return v;  // not remembered: every policy reports its own error
    }
    slot.stamp = stamp_;
    slot.value = v;
    return v;
  }

 public:
  // Leaves (literals and remembered paths) without a call.
  __attribute__((always_inline)) const Value* eval(uint32_t i, Tmp& tmp) {
    const Program::Node& n = nodes_[i];
    if (n.op == Op::Lit) return &prog_.values[n.a];
    if (n.op == Op::Path) {
      const PathCache::Slot& slot = cache_->slots[n.b];
      if (slot.stamp == stamp_) return slot.value;
    }
    return eval_op(i, tmp);
  }

  __attribute__((noinline)) const Value* eval_op(uint32_t i, Tmp& tmp) {
    const Program::Node& n = nodes_[i];
    switch (n.op) {
      case Op::Lit: return &prog_.values[n.a];
      case Op::Var: return var(n.sub);
      case Op::Path: return path(n);
      case Op::Not: {
        Tmp t;
        const Value* v = eval(i + 1, t);
        if (!v) return v;
        if (v->kind() != Kind::Bool) return fail(type_error("bool", *v));
        return boolean(!v->as_bool());
      }
      case Op::Neg: {
        Tmp t;
        const Value* v = eval(i + 1, t);
        if (!v) return v;
        if (v->kind() != Kind::Long) return fail(type_error("long", *v));
        if (v->as_long() == INT64_MIN) return fail(overflow("negate " + v->str()));
        return &tmp.emplace(Value(-v->as_long()));
      }
      case Op::And:
      case Op::Or: {
        bool is_and = n.op == Op::And;
        Tmp t;
        const Value* l = eval(i + 1, t);
        if (!l) return l;
        if (l->kind() != Kind::Bool) return fail(type_error("bool", *l));
        if (l->as_bool() != is_and) return boolean(!is_and);
        const Value* r = eval(kid1(i), t);
        if (!r) return r;
        if (r->kind() != Kind::Bool) return fail(type_error("bool", *r));
        return boolean(r->as_bool());
      }
      case Op::If: {
        Tmp t;
        const Value* c = eval(i + 1, t);
        if (!c) return c;
        if (c->kind() != Kind::Bool) return fail(type_error("bool", *c));
        return eval(c->as_bool() ? kid1(i) : kid2(i), tmp);
      }
      case Op::Eq:
      case Op::Ne: {
        Tmp t1, t2;
        const Value* l = eval(i + 1, t1);
        if (!l) return l;
        const Value* r = eval(kid1(i), t2);
        if (!r) return r;
        bool eq = *l == *r;
        return boolean(n.op == Op::Eq ? eq : !eq);
      }
      case Op::EqStr:
      case Op::NeStr: {
        Tmp t;
        const Value* v = eval(i + 1, t);
        if (!v) return v;
        bool eq = v->kind() == Kind::String && std::string_view(v->as_string()) == prog_.chars_at(n.a, n.b);
        return boolean(n.op == Op::EqStr ? eq : !eq);
      }
      case Op::Lt:
      case Op::Le:
      case Op::Gt:
      case Op::Ge: return compare_op(i);
      case Op::Add:
      case Op::Sub:
      case Op::Mul: return arith(i, tmp);
      case Op::In: {
        Tmp t1, t2;
        const Value* l = eval(i + 1, t1);
        if (!l) return l;
        if (l->kind() != Kind::Entity) return fail(type_error("entity", *l));
        const Value* r = eval(kid1(i), t2);
        if (!r) return r;
        return in_values(*l, *r);
      }
      case Op::Has: {
        Tmp t;
        const Value* cur = eval(i + 1, t);
        if (!cur) return cur;
        for (uint32_t k = 0; k < n.n; ++k) {
          std::string_view key = prog_.str(n.a + k);
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
        Tmp t;
        const Value* v = eval(i + 1, t);
        if (!v) return v;
        std::string_view name = prog_.chars_at(n.a, n.b);
        if (v->kind() == Kind::Record) {
          const Value* f = v->field(name);
          if (!f) return fail(Error("record does not have the attribute `" + std::string(name) + "`"));
          if (!(t && v == &*t)) return f;
          return &tmp.emplace(*f);  // the record dies with `t`
        }
        return attr(v, name);
      }
      case Op::Like: {
        Tmp t;
        const Value* v = eval(i + 1, t);
        if (!v) return v;
        if (v->kind() != Kind::String) return fail(type_error("string", *v));
        return boolean(like_match_pats(v->as_string(), prog_, n.a, n.n));
      }
      case Op::Is: {
        Tmp t;
        const Value* v = eval(i + 1, t);
        if (!v) return v;
        if (v->kind() != Kind::Entity) return fail(type_error("entity", *v));
        return boolean(std::string_view(v->as_entity().type()) == prog_.chars_at(n.a, n.b));
      }
      case Op::IsIn: {
        Tmp t1, t2;
        const Value* v = eval(i + 1, t1);
        if (!v) return v;
        if (v->kind() != Kind::Entity) return fail(type_error("entity", *v));
        if (std::string_view(v->as_entity().type()) != prog_.chars_at(n.a, n.b)) return &kFalse;
        const Value* r = eval(kid1(i), t2);
        if (!r) return r;
        return in_values(*v, *r);
      }
      case Op::SetLit: {
        SetElems elems;
        elems.reserve(n.n);
        for (uint32_t k = 0, j = i + 1; k < n.n; ++k, j = nodes_[j].end) {
          Tmp t;
          const Value* v = eval(j, t);
          if (!v) return v;
          elems.push_back(t && v == &*t ? std::move(*t) : *v);
        }
        return &tmp.emplace(Value::set(std::move(elems)));
      }
      case Op::RecordLit: {
        RecordFields fields;
        fields.reserve(n.n);
        for (uint32_t k = 0, j = i + 1; k < n.n; ++k, j = nodes_[j].end) {
          Tmp t;
          const Value* v = eval(j, t);
          if (!v) return v;
          fields.emplace_back(std::string(prog_.str(n.a + k)), t && v == &*t ? std::move(*t) : *v);
        }
        return &tmp.emplace(Value::record(std::move(fields)));
      }
      case Op::Call: return call(i, tmp);
      case Op::Cond: break;
    }
    return fail(Error("internal error: unknown expression"));
  }

 private:
  const Value* compare_op(uint32_t i) {
    const Op op = nodes_[i].op;
    Tmp t1, t2;
    const Value* l = eval(i + 1, t1);
    if (!l) return l;
    const Value* r = eval(kid1(i), t2);
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
    switch (op) {
      case Op::Lt: return boolean(c < 0);
      case Op::Le: return boolean(c <= 0);
      case Op::Gt: return boolean(c > 0);
      default: return boolean(c >= 0);
    }
  }

  const Value* arith(uint32_t i, Tmp& tmp) {
    const Op op = nodes_[i].op;
    Tmp t1, t2;
    const Value* l = eval(i + 1, t1);
    if (!l) return l;
    if (l->kind() != Kind::Long) return fail(type_error("long", *l));
    const Value* r = eval(kid1(i), t2);
    if (!r) return r;
    if (r->kind() != Kind::Long) return fail(type_error("long", *r));
    int64_t a = l->as_long(), b = r->as_long(), out;
    switch (op) {
      case Op::Add:
        if (__builtin_add_overflow(a, b, &out)) return fail(overflow("add " + l->str() + " to " + r->str()));
        break;
      case Op::Sub:
        if (__builtin_sub_overflow(a, b, &out)) return fail(overflow("subtract " + r->str() + " from " + l->str()));
        break;
      default:
        if (__builtin_mul_overflow(a, b, &out)) return fail(overflow("multiply " + l->str() + " by " + r->str()));
    }
    return &tmp.emplace(Value(out));
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

  const Value* call(uint32_t i, Tmp& tmp) {
    const Program::Node& n = nodes_[i];
    const FnInfo* info = prog_.fns[n.b];
    std::string_view name = prog_.str(n.a);
    if (!info || n.n != static_cast<uint32_t>(info->arity)) return fail(arity_error(name, info, n.n));
    Tmp t[2];
    const Value* args[2] = {nullptr, nullptr};
    for (uint32_t k = 0, j = i + 1; k < n.n; ++k, j = nodes_[j].end) {
      args[k] = eval(j, t[k]);
      if (!args[k]) return nullptr;
    }
    auto r = call_function_args(*info, name, args, &ents_);
    if (!r) return fail(std::move(r).error());
    return &tmp.emplace(std::move(r).value());
  }

  const Program& prog_;
  const Program::Node* nodes_;
  const Request& req_;
  const Entities& ents_;
  const Value principal_, action_, resource_;
  const Entity* principal_ent_;
  const Entity* resource_ent_;
  PathCache* cache_;
  uint64_t stamp_;
  Error err_;
};

}  // namespace

Response authorize(const PolicySet& policies, const Request& req, const Entities& entities) {
  thread_local std::vector<uint32_t> cand;
  policies.candidates(req, entities, cand);
  const Program& prog = policies.program();
  const auto& codes = policies.codes();
  // The candidates' code is scattered over a large set: ask for all of it
  // at once, so that the cache misses overlap instead of queueing.
  if (cand.size() >= 4) {
    for (uint32_t i : cand) {
      const Program::Code& c = codes[i];
      prefetch_range(prog.nodes.data() + c.begin, prog.nodes.data() + c.end);
      prefetch_range(prog.values.data() + c.vbegin, prog.values.data() + c.vend);
      prefetch_range(prog.strs.data() + c.sbegin, prog.strs.data() + c.send);
      prefetch_range(prog.chars.data() + c.cbegin, prog.chars.data() + c.cend);
      prefetch_range(prog.pats.data() + c.pbegin, prog.pats.data() + c.pend);
    }
  }
  Response resp;
  // Which policies determine the answer is known only at the end: collect
  // indices, copy the ids once.
  thread_local std::vector<uint32_t> permits, forbids;
  permits.clear();
  forbids.clear();
  Machine m(prog, req, entities);
  for (uint32_t i : cand) {
    const Program::Code& c = codes[i];
    // candidates() is exact: every candidate's scope matches.
    auto r = m.holds(c.begin, c.end);
    if (!r) {
      resp.errors.push_back({policies.instances()[i].id, r.error().message});
      continue;
    }
    if (!*r) continue;
    (c.effect == Effect::Permit ? permits : forbids).push_back(i);
  }
  const std::vector<uint32_t>& decisive = forbids.empty() ? permits : forbids;
  resp.allow = forbids.empty() && !permits.empty();
  resp.reason.reserve(decisive.size());
  for (uint32_t i : decisive) resp.reason.push_back(policies.instances()[i].id);
  return resp;
}

}  // namespace tollgate::cedar
