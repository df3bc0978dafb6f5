// Strict-mode validation of Cedar policies against a schema. See validator.h
// for what is checked.
//
// Structure:
//  - VType: the validator's types. Bool has the singleton subtypes True and
//    False; entity types are nominal; records carry required/optional
//    attributes. Types built while checking one request environment live in
//    a TypeArena that is rewound after the environment, so memory does not
//    grow with the number of environments.
//  - SchemaIndex: the schema prepared for checking: entity types and actions
//    by index, attribute and context types converted once, and the entity
//    and action hierarchies (descendants computed on demand and cached).
//  - Checker: typechecks one expression in one request environment. Each
//    answer carries a type (or none, after an error that leaves nothing to
//    go on), whether checking succeeded, and the capabilities the expression
//    proves when it evaluates to true (`e has a`, `e.hasTag(t)`), which
//    guard optional attribute and tag accesses to its right.
//  - The policy driver: the once-per-policy checks (unknown entity types,
//    actions and enum ids, scope against appliesTo), then the condition
//    `principal-scope && (action-scope && (resource-scope && body))` checked
//    in every request environment. The scope parts depend on one request
//    variable each and are checked once per type (or action); the body is
//    checked once per principal and resource type (and action, when it
//    mentions `action` or `context`). Environments are only enumerated, so
//    the cost of a policy grows with the number of distinct types it meets.
#include "cedar/validator.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "base/suggest.h"
#include "cedar/extensions.h"

namespace tollgate::cedar {

std::pair<std::string_view, std::string_view> split_help(std::string_view message) {
  bool quoted = false;
  size_t cut = std::string_view::npos;
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '`') {
      quoted = !quoted;
    } else if (!quoted && message[i] == ';' && i + 1 < message.size() && message[i + 1] == ' ') {
      cut = i;
    }
  }
  if (cut == std::string_view::npos) return {message, {}};
  return {message.substr(0, cut), message.substr(cut + 2)};
}

namespace {

// Deep copy of an expression, expanding `has` paths (defined below).
ExprPtr clone(const Expr& e);

// ---- types ------------------------------------------------------------

enum class TK : uint8_t { Never, Bool, True, False, Long, String, Set, Record, Entity, AnyEntity, Ext };
enum class ExtT : uint8_t { IpAddr, Decimal, Datetime, Duration };

struct VType;
using TypeRef = const VType*;

struct VAttr {
  std::string name;
  TypeRef type = nullptr;
  bool required = true;
};

struct VType {
  TK kind = TK::Never;
  int entity = -1;           // Entity: index in SchemaIndex
  ExtT ext = ExtT::IpAddr;   // Ext
  TypeRef elem = nullptr;    // Set
  std::vector<VAttr> attrs;  // Record, sorted by name
  bool open = false;         // Record: may have attributes beyond `attrs`

  VType() = default;
  explicit VType(TK k) : kind(k) {}
  VType(TK k, ExtT e) : kind(k), ext(e) {}
};

const VType kNeverT(TK::Never);
const VType kBoolT(TK::Bool);
const VType kTrueT(TK::True);
const VType kFalseT(TK::False);
const VType kLongT(TK::Long);
const VType kStringT(TK::String);
const VType kAnyEntityT(TK::AnyEntity);
const VType kExtT[4] = {VType(TK::Ext, ExtT::IpAddr), VType(TK::Ext, ExtT::Decimal), VType(TK::Ext, ExtT::Datetime),
                        VType(TK::Ext, ExtT::Duration)};
const VType kEmptyRecordT(TK::Record);

TypeRef ext_type(ExtT e) { return &kExtT[static_cast<int>(e)]; }

bool is_bool(TypeRef t) { return t->kind == TK::Bool || t->kind == TK::True || t->kind == TK::False; }

const char* ext_name(ExtT e) {
  switch (e) {
    case ExtT::IpAddr: return "ipaddr";
    case ExtT::Decimal: return "decimal";
    case ExtT::Datetime: return "datetime";
    case ExtT::Duration: return "duration";
  }
  return "?";
}

// Owns the types built while checking; rewound to a mark after each request
// environment. std::deque keeps addresses stable as it grows.
class TypeArena {
 public:
  TypeRef make(VType t) {
    store_.push_back(std::move(t));
    return &store_.back();
  }
  TypeRef set_of(TypeRef elem) {
    VType t(TK::Set);
    t.elem = elem;
    return make(std::move(t));
  }
  size_t mark() const { return store_.size(); }
  void rewind(size_t m) {
    while (store_.size() > m) store_.pop_back();
  }

 private:
  std::deque<VType> store_;
};

bool same_type(TypeRef a, TypeRef b) {
  if (a == b) return true;
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case TK::Entity: return a->entity == b->entity;
    case TK::Ext: return a->ext == b->ext;
    case TK::Set:
      if (!a->elem || !b->elem) return !a->elem && !b->elem;
      return same_type(a->elem, b->elem);
    case TK::Record:
      if (a->open != b->open || a->attrs.size() != b->attrs.size()) return false;
      for (size_t i = 0; i < a->attrs.size(); ++i) {
        const VAttr& x = a->attrs[i];
        const VAttr& y = b->attrs[i];
        if (x.name != y.name || x.required != y.required || !same_type(x.type, y.type)) return false;
      }
      return true;
    default: return true;
  }
}

const VAttr* find_attr(TypeRef rec, std::string_view name) {
  auto it = std::lower_bound(rec->attrs.begin(), rec->attrs.end(), name,
                             [](const VAttr& a, std::string_view n) { return a.name < n; });
  return it != rec->attrs.end() && it->name == name ? &*it : nullptr;
}

bool same_keys(TypeRef a, TypeRef b) {
  if (a->attrs.size() != b->attrs.size()) return false;
  for (size_t i = 0; i < a->attrs.size(); ++i)
    if (a->attrs[i].name != b->attrs[i].name) return false;
  return true;
}

// Subtyping in strict mode: no width subtyping for records, entity types
// only equal to themselves.
bool subtype(TypeRef a, TypeRef b) {
  if (a->kind == TK::Never) return true;
  switch (a->kind) {
    case TK::True:
    case TK::False: return b->kind == a->kind || b->kind == TK::Bool;
    case TK::Set:
      if (b->kind != TK::Set) return false;
      if (!b->elem) return true;
      if (!a->elem) return false;
      return subtype(a->elem, b->elem);
    case TK::Record:
      if (b->kind != TK::Record) return false;
      if (a->open && !b->open) return false;
      if (!same_keys(a, b)) return false;
      for (size_t i = 0; i < a->attrs.size(); ++i) {
        if (a->attrs[i].required != b->attrs[i].required) return false;
        if (!subtype(a->attrs[i].type, b->attrs[i].type)) return false;
      }
      return true;
    case TK::Entity: return b->kind == TK::Entity && b->entity == a->entity;
    case TK::Ext: return b->kind == TK::Ext && b->ext == a->ext;
    default: return a->kind == b->kind;
  }
}

// Why two types have no least upper bound.
enum class LubWhy { None, Qualifier, RecordWidth, EntityType, EntityRecord };

const char* lub_why_text(LubWhy w) {
  switch (w) {
    case LubWhy::Qualifier: return "corresponding record attributes must both be required or both be optional";
    case LubWhy::RecordWidth: return "record types must have exactly the same attributes";
    case LubWhy::EntityType: return "different entity types are never compatible";
    case LubWhy::EntityRecord: return "entity and record types are never compatible";
    case LubWhy::None: break;
  }
  return "the types must be equal";
}

struct Lub {
  TypeRef type = nullptr;  // null: no upper bound
  LubWhy why = LubWhy::None;
};

Lub lub(TypeRef a, TypeRef b, TypeArena& arena) {
  if (subtype(a, b)) return {b};
  if (subtype(b, a)) return {a};
  if (is_bool(a) && is_bool(b)) return {&kBoolT};
  if (a->kind == TK::Set && b->kind == TK::Set) {
    if (!a->elem || !b->elem) return {arena.set_of(nullptr)};
    Lub e = lub(a->elem, b->elem, arena);
    if (!e.type) return e;
    return {arena.set_of(e.type)};
  }
  if (a->kind == TK::Record && b->kind == TK::Record) {
    if (!same_keys(a, b)) return {nullptr, LubWhy::RecordWidth};
    VType r(TK::Record);
    r.open = a->open || b->open;
    for (size_t i = 0; i < a->attrs.size(); ++i) {
      Lub e = lub(a->attrs[i].type, b->attrs[i].type, arena);
      if (!e.type) return e;
      if (a->attrs[i].required != b->attrs[i].required) return {nullptr, LubWhy::Qualifier};
      r.attrs.push_back({a->attrs[i].name, e.type, a->attrs[i].required});
    }
    return {arena.make(std::move(r))};
  }
  bool ea = a->kind == TK::Entity || a->kind == TK::AnyEntity;
  bool eb = b->kind == TK::Entity || b->kind == TK::AnyEntity;
  if (ea && eb) return {nullptr, LubWhy::EntityType};
  if ((ea && b->kind == TK::Record) || (eb && a->kind == TK::Record)) return {nullptr, LubWhy::EntityRecord};
  return {nullptr, LubWhy::None};
}

// ---- small helpers ----------------------------------------------------

bool is_action_type(std::string_view name) {
  size_t p = name.rfind("::");
  return (p == std::string_view::npos ? name : name.substr(p + 2)) == "Action";
}

bool is_plain_ident(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  static const std::set<std::string_view> reserved = {"true", "false", "if", "then", "else", "in", "is", "like", "has"};
  return !reserved.count(s);
}

std::string quote_str(std::string_view s) { return "\"" + escape_string(s) + "\""; }

std::string attr_step(std::string_view name) {
  return is_plain_ident(name) ? "." + std::string(name) : "[" + quote_str(name) + "]";
}

const char* var_name(Var v) {
  switch (v) {
    case Var::Principal: return "principal";
    case Var::Action: return "action";
    case Var::Resource: return "resource";
    case Var::Context: return "context";
  }
  return "?";
}

// Renders simple expressions (variables, attribute chains, literals) for
// suggestions; false for anything else.
bool render(const Expr& e, std::string& out, int depth = 0) {
  if (depth > 16) return false;
  switch (e.op) {
    case Op::Var: out += var_name(e.var); return true;
    case Op::GetAttr:
      if (!render(*e.kids[0], out, depth + 1)) return false;
      out += attr_step(e.name);
      return true;
    case Op::Lit:
      switch (e.lit.kind()) {
        case Kind::String: out += quote_str(e.lit.as_string()); return true;
        case Kind::Entity: out += e.lit.as_entity().str(); return true;
        case Kind::Long: out += std::to_string(e.lit.as_long()); return true;
        case Kind::Bool: out += e.lit.as_bool() ? "true" : "false"; return true;
        default: return false;
      }
    default: return false;
  }
}

// Structural equality of expressions (locations ignored): capabilities are
// matched by the shape of the guarded expression.
bool expr_equal(const Expr& a, const Expr& b) {
  if (&a == &b) return true;
  if (a.op != b.op || a.kids.size() != b.kids.size() || a.keys != b.keys) return false;
  switch (a.op) {
    case Op::Lit:
      if (!(a.lit == b.lit)) return false;
      break;
    case Op::Var:
      if (a.var != b.var) return false;
      break;
    case Op::Call:
      if (a.fn != b.fn) return false;
      break;
    case Op::Has:
    case Op::GetAttr:
    case Op::Is:
    case Op::IsIn:
      if (a.name != b.name) return false;
      break;
    case Op::Like:
      if (a.pattern.size() != b.pattern.size()) return false;
      for (size_t i = 0; i < a.pattern.size(); ++i)
        if (a.pattern[i].wildcard != b.pattern[i].wildcard || a.pattern[i].text != b.pattern[i].text) return false;
      break;
    default: break;
  }
  for (size_t i = 0; i < a.kids.size(); ++i)
    if (!expr_equal(*a.kids[i], *b.kids[i])) return false;
  return true;
}

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

// Memoized structural hashes, consistent with expr_equal.
class ExprHasher {
 public:
  uint64_t operator()(const Expr& e) {
    auto it = memo_.find(&e);
    if (it != memo_.end()) return it->second;
    uint64_t h = static_cast<uint64_t>(e.op) * 1000003;
    switch (e.op) {
      case Op::Lit: h = mix(h, std::hash<std::string>()(e.lit.str())); break;
      case Op::Var: h = mix(h, static_cast<uint64_t>(e.var)); break;
      case Op::Call: h = mix(h, static_cast<uint64_t>(e.fn)); break;
      case Op::Has:
      case Op::GetAttr:
      case Op::Is:
      case Op::IsIn: h = mix(h, std::hash<std::string>()(e.name)); break;
      default: break;
    }
    for (const auto& k : e.kids) h = mix(h, (*this)(*k));
    memo_.emplace(&e, h);
    return h;
  }
  void clear() { memo_.clear(); }

 private:
  std::unordered_map<const Expr*, uint64_t> memo_;
};

// ---- the schema, indexed ----------------------------------------------

struct EntityInfo {
  std::string name;
  const EntityTypeDecl* decl = nullptr;  // null: an action type, or a name the schema does not declare
  bool action_type = false;
  VType type;                // Entity(index)
  TypeRef attrs = nullptr;   // the shape (Record); null: no attributes known
  TypeRef tags = nullptr;    // null: no tags
  std::vector<int> parents;  // member_of
  std::vector<int> children;
  std::vector<int> desc;  // transitive children, sorted; valid when desc_done
  bool desc_done = false;
};

struct ActionInfo {
  const ActionDecl* decl = nullptr;
  int type = -1;  // the action's entity type
  std::vector<int> principals, resources;
  TypeRef context = nullptr;
  std::vector<int> children;  // actions directly in this group
  std::vector<int> desc;      // transitive, sorted; valid when desc_done
  bool desc_done = false;
};

class SchemaIndex {
 public:
  explicit SchemaIndex(const Schema& s) : schema_(s) {
    for (const auto& [name, decl] : s.entity_types) {
      int i = intern(name);
      types_[i].decl = &decl;
    }
    for (const auto& [uid, decl] : s.actions) {
      ActionInfo a;
      a.decl = &decl;
      a.type = intern(uid.type());
      action_ids_.emplace(uid, static_cast<int>(actions_.size()));
      actions_.push_back(std::move(a));
    }
    // Hierarchies, then types (shapes may name types not interned yet).
    for (auto& t : types_) {
      if (!t.decl) continue;
      for (const auto& p : t.decl->member_of) {
        int pi = find(p);
        if (pi >= 0) t.parents.push_back(pi);
      }
    }
    for (size_t i = 0; i < types_.size(); ++i)
      for (int p : types_[i].parents) types_[p].children.push_back(static_cast<int>(i));
    for (size_t i = 0; i < actions_.size(); ++i) {
      for (const auto& g : actions_[i].decl->member_of) {
        auto it = action_ids_.find(g);
        if (it != action_ids_.end()) actions_[it->second].children.push_back(static_cast<int>(i));
      }
    }
    size_t ntypes = types_.size();
    for (size_t i = 0; i < ntypes; ++i) {
      EntityInfo& t = types_[i];
      if (!t.decl) continue;
      t.attrs = record_type(t.decl->shape);
      if (t.decl->tags) t.tags = convert(t.decl->tags);
    }
    for (auto& a : actions_) {
      a.context = record_type(a.decl->context);
      if (!a.decl->has_applies_to) continue;
      for (const auto& p : a.decl->principals) add_unique(a.principals, find(p));
      for (const auto& r : a.decl->resources) add_unique(a.resources, find(r));
    }
    for (const auto& [name, decl] : s.entity_types) schema_types_.push_back(find(name));
  }

  const Schema& schema() const { return schema_; }
  int find(std::string_view name) const {
    auto it = type_ids_.find(std::string(name));
    return it == type_ids_.end() ? -1 : it->second;
  }
  EntityInfo& type(int i) { return types_[static_cast<size_t>(i)]; }
  const std::string& type_name(int i) const { return types_[static_cast<size_t>(i)].name; }
  TypeRef entity_type(int i) const { return &types_[static_cast<size_t>(i)].type; }
  // Entity types the schema declares (actions excluded), in name order.
  const std::vector<int>& schema_types() const { return schema_types_; }
  std::vector<ActionInfo>& actions() { return actions_; }
  int action(const EntityUID& uid) const {
    auto it = action_ids_.find(uid);
    return it == action_ids_.end() ? -1 : it->second;
  }
  const EntityUID& action_uid(int a) const { return actions_[static_cast<size_t>(a)].decl->uid; }
  // A name is known when the schema declares it or it is an action type.
  bool known_type(std::string_view name) const {
    return is_action_type(name) || schema_.entity_types.count(std::string(name)) > 0;
  }

  // Whether an enumerated entity type declares the id.
  bool enum_has(const EntityTypeDecl& decl, const std::string& id) {
    const auto& ids = *decl.enum_ids;
    if (ids.size() < 16) return std::find(ids.begin(), ids.end(), id) != ids.end();
    auto it = enum_sets_.find(&decl);
    if (it == enum_sets_.end())
      it = enum_sets_.emplace(&decl, std::unordered_set<std::string>(ids.begin(), ids.end())).first;
    return it->second.count(id) > 0;
  }

  // Entity types whose members may be `in` an entity of type `r`, other than
  // `r` itself.
  const std::vector<int>& descendants(int r) { return closure(types_, r); }
  const std::vector<int>& action_descendants(int a) { return closure(actions_, a); }
  bool type_in(int l, int r) {
    if (l == r) return true;
    const auto& d = descendants(r);
    return std::binary_search(d.begin(), d.end(), l);
  }
  // Whether some action of type `r` has a descendant action of type `l`.
  bool action_type_in(int l, int r) {
    if (l == r) return true;
    uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
    auto it = action_type_in_.find(key);
    if (it != action_type_in_.end()) return it->second;
    bool found = false;
    for (size_t a = 0; a < actions_.size() && !found; ++a) {
      if (actions_[a].type != r) continue;
      for (int d : action_descendants(static_cast<int>(a)))
        if (actions_[static_cast<size_t>(d)].type == l) found = true;
    }
    action_type_in_.emplace(key, found);
    return found;
  }
  // Every declared entity type that `t` may be a (transitive) member of.
  std::vector<int> ancestors(int t) {
    std::vector<int> out;
    std::vector<char> seen(types_.size(), 0);
    std::vector<int> stack = types_[static_cast<size_t>(t)].parents;
    while (!stack.empty()) {
      int x = stack.back();
      stack.pop_back();
      if (seen[static_cast<size_t>(x)]) continue;
      seen[static_cast<size_t>(x)] = 1;
      out.push_back(x);
      for (int p : types_[static_cast<size_t>(x)].parents) stack.push_back(p);
    }
    return out;
  }

 private:
  static void add_unique(std::vector<int>& v, int x) {
    if (x >= 0 && std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  }

  int intern(const std::string& name) {
    auto it = type_ids_.find(name);
    if (it != type_ids_.end()) return it->second;
    int i = static_cast<int>(types_.size());
    EntityInfo info;
    info.name = name;
    info.action_type = is_action_type(name);
    info.type.kind = TK::Entity;
    info.type.entity = i;
    types_.push_back(std::move(info));
    type_ids_.emplace(name, i);
    return i;
  }

  template <class Nodes>
  static const std::vector<int>& closure(Nodes& nodes, int root) {
    auto& n = nodes[static_cast<size_t>(root)];
    if (n.desc_done) return n.desc;
    std::vector<char> seen(nodes.size(), 0);
    std::vector<int> stack = n.children, out;
    while (!stack.empty()) {
      int x = stack.back();
      stack.pop_back();
      if (seen[static_cast<size_t>(x)]) continue;
      seen[static_cast<size_t>(x)] = 1;
      out.push_back(x);
      for (int c : nodes[static_cast<size_t>(x)].children) stack.push_back(c);
    }
    std::sort(out.begin(), out.end());
    n.desc = std::move(out);
    n.desc_done = true;
    return n.desc;
  }

  TypeRef record_type(const RecordType& r) {
    VType t(TK::Record);
    t.open = r.open;
    for (const auto& [name, at] : r.attrs) t.attrs.push_back({name, convert(at.type), at.required});
    return keep(std::move(t));
  }

  TypeRef convert(const SchemaTypePtr& st) {
    if (!st) return &kNeverT;
    auto it = converted_.find(st.get());
    if (it != converted_.end()) return it->second;
    TypeRef out = &kNeverT;
    switch (st->kind) {
      case SchemaType::Kind::Bool: out = &kBoolT; break;
      case SchemaType::Kind::Long: out = &kLongT; break;
      case SchemaType::Kind::String: out = &kStringT; break;
      case SchemaType::Kind::Set: {
        VType t(TK::Set);
        t.elem = convert(st->element);
        out = keep(std::move(t));
        break;
      }
      case SchemaType::Kind::Record: out = st->record ? record_type(*st->record) : &kEmptyRecordT; break;
      case SchemaType::Kind::Entity: out = &types_[static_cast<size_t>(intern(st->name))].type; break;
      case SchemaType::Kind::Extension:
        if (st->name == "ipaddr") out = ext_type(ExtT::IpAddr);
        if (st->name == "decimal") out = ext_type(ExtT::Decimal);
        if (st->name == "datetime") out = ext_type(ExtT::Datetime);
        if (st->name == "duration") out = ext_type(ExtT::Duration);
        break;
    }
    converted_.emplace(st.get(), out);
    return out;
  }

  TypeRef keep(VType t) {
    owned_.push_back(std::move(t));
    return &owned_.back();
  }

  const Schema& schema_;
  std::deque<EntityInfo> types_;
  std::unordered_map<std::string, int> type_ids_;
  std::vector<int> schema_types_;
  std::vector<ActionInfo> actions_;
  std::unordered_map<EntityUID, int> action_ids_;
  std::unordered_map<const SchemaType*, TypeRef> converted_;
  std::deque<VType> owned_;
  std::unordered_map<uint64_t, bool> action_type_in_;
  std::unordered_map<const EntityTypeDecl*, std::unordered_set<std::string>> enum_sets_;
};

std::string show(TypeRef t, SchemaIndex& ix) {
  switch (t->kind) {
    case TK::Never: return "Never";
    case TK::Bool:
    case TK::True:
    case TK::False: return "Bool";
    case TK::Long: return "Long";
    case TK::String: return "String";
    case TK::Set: return t->elem ? "Set<" + show(t->elem, ix) + ">" : "Set";
    case TK::Entity: return ix.type_name(t->entity);
    case TK::AnyEntity: return "entity";
    case TK::Ext: return ext_name(t->ext);
    case TK::Record: {
      std::string out = "{";
      for (const auto& a : t->attrs) {
        if (out.size() > 1) out += ", ";
        out += is_plain_ident(a.name) ? a.name : quote_str(a.name);
        out += a.required ? ": " : "?: ";
        out += show(a.type, ix);
      }
      if (t->open) out += out.size() > 1 ? ", ..." : "...";
      return out + "}";
    }
  }
  return "?";
}

// ---- capabilities -----------------------------------------------------

// What a true `has` / `hasTag` proves: the attribute (or tag) is present on
// the value of an expression of this shape.
struct Cap {
  bool tag = false;
  uint64_t hash = 0;
  const Expr* on = nullptr;
  const Expr* tag_expr = nullptr;  // tag
  std::string_view attr;           // attribute
};
using Caps = std::vector<Cap>;

bool cap_equal(const Cap& a, const Cap& b) {
  if (a.tag != b.tag || a.hash != b.hash) return false;
  if (a.tag ? !expr_equal(*a.tag_expr, *b.tag_expr) : a.attr != b.attr) return false;
  return expr_equal(*a.on, *b.on);
}

bool caps_contain(const Caps& caps, const Cap& c) {
  for (const Cap& x : caps)
    if (cap_equal(x, c)) return true;
  return false;
}

Caps caps_union(const Caps& a, const Caps& b) {
  if (a.empty()) return b;
  Caps out = a;
  for (const Cap& c : b)
    if (!caps_contain(a, c)) out.push_back(c);
  return out;
}

Caps caps_intersect(const Caps& a, const Caps& b) {
  Caps out;
  for (const Cap& c : a)
    if (caps_contain(b, c)) out.push_back(c);
  return out;
}

// ---- the typechecker for one request environment ----------------------

struct Env {
  int principal = -1, resource = -1;
  int action = -1;                              // index in SchemaIndex::actions()
  int principal_slot = -1, resource_slot = -1;  // link types; -1: no slot
};

// The result of checking an expression. `type` may be set even when `ok`
// is false (checking goes on with it to find further errors); a failed
// answer proves no capabilities.
struct Ans {
  bool ok = true;
  TypeRef type = nullptr;
  Caps caps;
};

Ans success(TypeRef t, Caps c = {}) { return {true, t, std::move(c)}; }
Ans failure(TypeRef t) { return {false, t, {}}; }
Ans with_ok(Ans a, bool ok) {
  if (!ok) {
    a.ok = false;
    a.caps.clear();
  }
  return a;
}

// Expected operand types.
enum class Want { Bool, Long, String, AnySet, AnyEntity, EntityOrRecord, EntitySetOrEntity, Ext };
// Which hint to give when an operand has the wrong type.
enum class Hint { None, Has, Like, Is, In, InRhs, Add, Arith, Contains, ContainsSet, IsEmpty };

std::string hint_text(Hint h, TypeRef actual) {
  auto k = actual->kind;
  bool entity = k == TK::Entity || k == TK::AnyEntity;
  switch (h) {
    case Hint::Has:
      if (k == TK::Set) return "try `contains`, `containsAny` or `containsAll` to examine a set";
      if (k == TK::String) return "try `like` to examine the contents of a string";
      return {};
    case Hint::Like: return entity ? "try `is` to test an entity's type" : std::string();
    case Hint::Is: return "Cedar only tests the types of entities at run time";
    case Hint::In: return "try `contains`, `containsAny` or `containsAll` to examine a set";
    case Hint::InRhs:
      if (k == TK::Set) return "try `contains`, `containsAny` or `containsAll` to examine a set";
      if (k == TK::String) return "try `like` to examine the contents of a string";
      return {};
    case Hint::Add:
      if (k == TK::String) return "Cedar does not support string concatenation";
      if (k == TK::Set) return "Cedar does not support the union, intersection or difference of sets";
      return {};
    case Hint::Arith:
      return k == TK::Set ? "Cedar does not support the union, intersection or difference of sets" : std::string();
    case Hint::Contains:
      if (entity) return "try `in` for entity hierarchy membership";
      if (k == TK::Record) return "try `has` to test for an attribute";
      if (k == TK::String) return "try `like` to examine the contents of a string";
      return {};
    case Hint::ContainsSet: return "try `contains` to test whether a single element is in a set";
    case Hint::IsEmpty: return k == TK::String ? "try `== \"\"` to test whether a string is empty" : std::string();
    case Hint::None: break;
  }
  return {};
}

// Everything shared by the checks of one policy.
struct PolicyCtx {
  SchemaIndex& ix;
  TypeArena& arena;
  ExprHasher& hasher;
  const std::string& file;
  const Expr* principal_slot = nullptr;  // the synthetic slot nodes of a template's scope
  const Expr* resource_slot = nullptr;
};

class Checker {
 public:
  Checker(PolicyCtx& ctx, const Env& env, std::vector<Diagnostic>& errors)
      : ctx_(ctx), ix_(ctx.ix), env_(env), errors_(errors) {}

 private:
  std::vector<ExprPtr> expansions_;  // expanded `has` paths; see expand_has_path

 public:
  Ans check(const Expr& e, const Caps& prior) {
    switch (e.op) {
      case Op::Lit: return check_lit(e);
      case Op::Var: return success(var_type(e.var));
      case Op::Not: return not_of(expect(*e.kids[0], prior, Want::Bool));
      case Op::Neg: return with_ok(success(&kLongT), expect(*e.kids[0], prior, Want::Long).ok);
      case Op::And:
        return and_of(
            prior, [&](const Caps& p) { return expect(*e.kids[0], p, Want::Bool); },
            [&](const Caps& p) { return expect(*e.kids[1], p, Want::Bool); });
      case Op::Or: return check_or(e, prior);
      case Op::If: return check_if(e, prior);
      case Op::Eq: return check_eq(e, prior);
      case Op::Ne: return not_of(expect_ans(e.loc, check_eq(e, prior), Want::Bool));
      case Op::Lt:
      case Op::Le: return check_compare(e, prior);
      case Op::Gt:
      case Op::Ge: return not_of(expect_ans(e.loc, check_compare(e, prior), Want::Bool));
      case Op::Add:
      case Op::Sub:
      case Op::Mul: {
        Hint h = e.op == Op::Add ? Hint::Add : Hint::Arith;
        bool ok = expect(*e.kids[0], prior, Want::Long, h).ok;
        ok = expect(*e.kids[1], prior, Want::Long, h).ok && ok;
        return with_ok(success(&kLongT), ok);
      }
      case Op::In: return check_in(e, *e.kids[0], *e.kids[1], prior);
      case Op::Has: return check_has(e, prior);
      case Op::GetAttr: return check_get_attr(e, prior);
      case Op::Like: return with_ok(success(&kBoolT), expect(*e.kids[0], prior, Want::String, Hint::Like).ok);
      case Op::Is: return check_is(e, prior);
      case Op::IsIn:
        return and_of(
            prior, [&](const Caps& p) { return expect_ans(e.loc, check_is(e, p), Want::Bool); },
            [&](const Caps& p) { return expect_ans(e.loc, check_in(e, *e.kids[0], *e.kids[1], p), Want::Bool); });
      case Op::SetLit: return check_set(e, prior);
      case Op::RecordLit: return check_record(e, prior);
      case Op::Call: return check_call(e, prior);
    }
    return failure(nullptr);
  }

  Ans expect(const Expr& e, const Caps& prior, Want w, Hint h = Hint::None, ExtT ext = ExtT::IpAddr) {
    return expect_ans(e.loc, check(e, prior), w, h, ext);
  }

 private:
  void error(SourceLoc loc, std::string msg) { errors_.push_back({ctx_.file, loc, std::move(msg)}); }

  TypeRef var_type(Var v) {
    switch (v) {
      case Var::Principal: return ix_.entity_type(env_.principal);
      case Var::Resource: return ix_.entity_type(env_.resource);
      case Var::Action: return ix_.entity_type(ix_.actions()[static_cast<size_t>(env_.action)].type);
      case Var::Context: return ix_.actions()[static_cast<size_t>(env_.action)].context;
    }
    return &kNeverT;
  }

  static bool matches(TypeRef t, Want w, ExtT ext) {
    TK k = t->kind;
    if (k == TK::Never) return true;
    switch (w) {
      case Want::Bool: return is_bool(t);
      case Want::Long: return k == TK::Long;
      case Want::String: return k == TK::String;
      case Want::AnySet: return k == TK::Set;
      case Want::AnyEntity: return k == TK::Entity || k == TK::AnyEntity;
      case Want::EntityOrRecord: return k == TK::Entity || k == TK::AnyEntity || k == TK::Record;
      case Want::EntitySetOrEntity:
        if (k == TK::Entity || k == TK::AnyEntity) return true;
        return k == TK::Set && t->elem &&
               (t->elem->kind == TK::Entity || t->elem->kind == TK::AnyEntity || t->elem->kind == TK::Never);
      case Want::Ext: return k == TK::Ext && t->ext == ext;
    }
    return false;
  }

  static std::string want_text(Want w, ExtT ext) {
    switch (w) {
      case Want::Bool: return "Bool";
      case Want::Long: return "Long";
      case Want::String: return "String";
      case Want::AnySet: return "a set";
      case Want::AnyEntity: return "an entity";
      case Want::EntityOrRecord: return "an entity or a record";
      case Want::EntitySetOrEntity: return "an entity or a set of entities";
      case Want::Ext: return ext_name(ext);
    }
    return "?";
  }

  Ans expect_ans(SourceLoc loc, Ans a, Want w, Hint h = Hint::None, ExtT ext = ExtT::IpAddr) {
    if (!a.type) return failure(nullptr);
    if (!matches(a.type, w, ext)) {
      std::string msg = "expected " + want_text(w, ext) + " but found " + show(a.type, ix_);
      std::string hint = hint_text(h, a.type);
      if (!hint.empty()) msg += "; " + hint;
      error(loc, std::move(msg));
      return failure(nullptr);
    }
    return a;
  }

  Ans check_lit(const Expr& e) {
    if (&e == ctx_.principal_slot || &e == ctx_.resource_slot) {
      int t = &e == ctx_.principal_slot ? env_.principal_slot : env_.resource_slot;
      return success(t >= 0 ? ix_.entity_type(t) : &kAnyEntityT);
    }
    switch (e.lit.kind()) {
      case Kind::Bool: return success(e.lit.as_bool() ? &kTrueT : &kFalseT);
      case Kind::Long: return success(&kLongT);
      case Kind::String: return success(&kStringT);
      case Kind::Entity: {
        // Unknown types and actions are reported once per policy elsewhere.
        const EntityUID& uid = e.lit.as_entity();
        if (is_action_type(uid.type())) {
          int a = ix_.action(uid);
          return a >= 0 ? success(ix_.entity_type(ix_.actions()[static_cast<size_t>(a)].type)) : failure(nullptr);
        }
        if (!ix_.schema().entity_types.count(uid.type())) return failure(nullptr);
        return success(ix_.entity_type(ix_.find(uid.type())));
      }
      default: return failure(nullptr);
    }
  }

  // The entity a literal (or the `action` variable) denotes.
  const EntityUID* literal_uid(const Expr& e) const {
    if (e.op == Op::Var && e.var == Var::Action) return &ix_.action_uid(env_.action);
    if (e.op == Op::Lit && &e != ctx_.principal_slot && &e != ctx_.resource_slot && e.lit.kind() == Kind::Entity)
      return &e.lit.as_entity();
    return nullptr;
  }
  bool is_literal(const Expr& e) const {
    if (e.op == Op::Var && e.var == Var::Action) return true;
    return e.op == Op::Lit && &e != ctx_.principal_slot && &e != ctx_.resource_slot;
  }
  const Value& literal_value(const Expr& e, Value& scratch) const {
    if (e.op == Op::Var) {
      scratch = Value(ix_.action_uid(env_.action));
      return scratch;
    }
    return e.lit;
  }

  Ans not_of(Ans a) {
    if (!a.type) return failure(&kBoolT);
    TypeRef t = a.type->kind == TK::True ? &kFalseT : a.type->kind == TK::False ? &kTrueT : &kBoolT;
    return with_ok(success(t), a.ok);
  }

  template <class L, class R>
  Ans and_of(const Caps& prior, L left, R right) {
    Ans l = left(prior);
    if (l.type && l.type->kind == TK::False) return with_ok(success(l.type), l.ok);
    Ans r = right(l.caps.empty() ? prior : caps_union(prior, l.caps));
    Ans out;
    if (l.type && r.type && r.type->kind == TK::False) {
      out = success(&kFalseT);
    } else if (l.type && r.type && r.type->kind == TK::True) {
      out = success(l.type, caps_union(l.caps, r.caps));
    } else if (l.type && r.type && l.type->kind == TK::True) {
      out = success(r.type, r.caps);
    } else if (l.type && r.type) {
      out = success(&kBoolT, caps_union(l.caps, r.caps));
    } else {
      out = failure(&kBoolT);
    }
    return with_ok(std::move(out), l.ok && r.ok);
  }

  Ans check_or(const Expr& e, const Caps& prior) {
    Ans l = expect(*e.kids[0], prior, Want::Bool);
    if (l.type && l.type->kind == TK::True) return l;
    Ans r = expect(*e.kids[1], prior, Want::Bool);
    Ans out;
    if (l.type && r.type && r.type->kind == TK::True) {
      out = success(&kTrueT, r.caps);
    } else if (l.type && r.type && r.type->kind == TK::False) {
      out = success(l.type, l.caps);
    } else if (l.type && r.type && l.type->kind == TK::False) {
      out = success(r.type, r.caps);
    } else if (l.type && r.type) {
      out = success(&kBoolT, caps_intersect(r.caps, l.caps));
    } else {
      out = failure(&kBoolT);
    }
    return with_ok(std::move(out), l.ok && r.ok);
  }

  Ans check_if(const Expr& e, const Caps& prior) {
    Ans test = expect(*e.kids[0], prior, Want::Bool);
    if (test.type && test.type->kind == TK::True) {
      Ans then = check(*e.kids[1], caps_union(prior, test.caps));
      Ans out = with_ok(success(then.type, caps_union(then.caps, test.caps)), then.ok);
      return with_ok(std::move(out), test.ok);
    }
    if (test.type && test.type->kind == TK::False) {
      Ans other = check(*e.kids[2], prior);
      return with_ok(std::move(other), test.ok);
    }
    Ans then = check(*e.kids[1], caps_union(prior, test.caps));
    if (then.ok) then.caps = caps_union(then.caps, test.caps);
    Ans other = check(*e.kids[2], prior);
    Ans out;
    if (then.type && other.type) {
      Lub u = lub(then.type, other.type, ctx_.arena);
      if (u.type) {
        out = success(u.type, caps_intersect(other.caps, then.caps));
      } else {
        incompatible(e.loc, then.type, other.type, u.why, "the two branches of an `if`");
        out = failure(nullptr);
      }
    } else {
      out = failure(nullptr);
    }
    return with_ok(std::move(out), test.ok && then.ok && other.ok);
  }

  void incompatible(SourceLoc loc, TypeRef a, TypeRef b, LubWhy why, const char* what) {
    error(loc,
          "incompatible types " + show(a, ix_) + " and " + show(b, ix_) + " for " + what + ": " + lub_why_text(why));
  }

  Ans check_eq(const Expr& e, const Caps& prior) {
    const Expr& a = *e.kids[0];
    const Expr& b = *e.kids[1];
    Ans l = check(a, prior);
    Ans r = check(b, prior);
    TypeRef t = &kBoolT;
    if (l.type && r.type && l.type->kind == TK::Entity && r.type->kind == TK::Entity &&
        l.type->entity != r.type->entity) {
      t = &kFalseT;  // different entity types are never equal
    } else if (is_literal(a) && is_literal(b)) {
      Value sa, sb;
      t = literal_value(a, sa) == literal_value(b, sb) ? &kTrueT : &kFalseT;
    }
    bool ok = l.ok && r.ok;
    if (t->kind == TK::Bool && l.type && r.type) {
      Lub u = lub(l.type, r.type, ctx_.arena);
      if (!u.type) {
        incompatible(e.loc, l.type, r.type, u.why, "the operands of `==`");
        ok = false;
      }
    }
    return with_ok(success(t), ok);
  }

  static bool comparable(TypeRef t) {
    return t->kind == TK::Long || (t->kind == TK::Ext && (t->ext == ExtT::Datetime || t->ext == ExtT::Duration));
  }

  void compare_error(const Expr& operand, TypeRef actual, const char* expected) {
    error(operand.loc, std::string("expected ") + expected + " but found " + show(actual, ix_));
  }

  // `<` and `<=` (and so `>`, `>=`): Long, datetime or duration, both sides
  // the same type.
  Ans check_compare(const Expr& e, const Caps& prior) {
    const Expr& a = *e.kids[0];
    const Expr& b = *e.kids[1];
    Ans l = check(a, prior);
    Ans r = check(b, prior);
    bool ok = l.ok && r.ok;
    TypeRef t1 = l.type;
    TypeRef t2 = r.type;
    static const char* kAny = "Long, datetime or duration";
    if (!t1 || !t2) {
      ok = false;
    } else if (t1->kind == TK::Never && t2->kind == TK::Never) {
      ok = false;
    } else if (t1->kind == TK::Never || t2->kind == TK::Never) {
      TypeRef other = t1->kind == TK::Never ? t2 : t1;
      if (!comparable(other)) {
        compare_error(t1->kind == TK::Never ? b : a, other, kAny);
        ok = false;
      }
    } else if (same_type(t1, t2) && comparable(t1)) {
      // fine
    } else if (t1->kind == TK::Long) {
      compare_error(b, t2, "Long");
      ok = false;
    } else if (t2->kind == TK::Long) {
      compare_error(a, t1, "Long");
      ok = false;
    } else if (comparable(t1)) {
      compare_error(b, t2, ext_name(t1->ext));
      ok = false;
    } else if (comparable(t2)) {
      compare_error(a, t1, ext_name(t2->ext));
      ok = false;
    } else {
      compare_error(a, t1, kAny);
      compare_error(b, t2, kAny);
      ok = false;
    }
    return with_ok(success(&kBoolT), ok);
  }

  // `lhs in rhs`. `e` supplies the location.
  Ans check_in(const Expr& e, const Expr& lhs, const Expr& rhs, const Caps& prior) {
    Ans l = expect(lhs, prior, Want::AnyEntity, Hint::In);
    Ans r = expect(rhs, prior, Want::EntitySetOrEntity, Hint::InRhs);
    (void)e;
    if (!l.ok || !r.ok) return failure(&kBoolT);
    const EntityUID* luid = literal_uid(lhs);
    std::vector<const EntityUID*> ruids;
    bool rhs_literal = false;
    if (const EntityUID* u = literal_uid(rhs)) {
      ruids.push_back(u);
      rhs_literal = true;
    } else if (rhs.op == Op::SetLit) {
      rhs_literal = true;
      for (const auto& k : rhs.kids) {
        const EntityUID* u = literal_uid(*k);
        if (!u) {
          rhs_literal = false;
          break;
        }
        ruids.push_back(u);
      }
    }
    if (luid && rhs_literal && is_action_type(luid->type())) {
      // An action literal in action literals: decided by the action hierarchy.
      bool any_action = false, unknown = false, found = false;
      int la = ix_.action(*luid);
      for (const EntityUID* u : ruids) {
        if (!is_action_type(u->type())) continue;
        any_action = true;
        int ra = ix_.action(*u);
        if (ra < 0) {
          unknown = true;
          continue;
        }
        if (la == ra) found = true;
        const auto& d = ix_.action_descendants(ra);
        if (la >= 0 && std::binary_search(d.begin(), d.end(), la)) found = true;
      }
      if (!any_action) return success(&kFalseT);
      if (unknown) return failure(&kBoolT);
      return success(found ? &kTrueT : &kFalseT);
    }
    int lt = l.type->kind == TK::Entity ? l.type->entity : -1;
    int rt = -1;
    if (r.type->kind == TK::Entity) {
      rt = r.type->entity;
    } else if (r.type->kind == TK::Set && r.type->elem && r.type->elem->kind == TK::Entity) {
      rt = r.type->elem->entity;
    }
    if (lt >= 0 && rt >= 0 && !ix_.type_in(lt, rt) && !ix_.action_type_in(lt, rt)) return success(&kFalseT);
    return success(&kBoolT);
  }

  // The attributes of a record or entity type; null when none are known.
  TypeRef attrs_of(TypeRef t) {
    if (t->kind == TK::Record) return t;
    if (t->kind == TK::Entity) return ix_.type(t->entity).attrs;
    return nullptr;
  }

  bool may_have_attr(TypeRef t, std::string_view attr) {
    switch (t->kind) {
      case TK::Never:
      case TK::AnyEntity: return true;
      case TK::Entity: {
        EntityInfo& info = ix_.type(t->entity);
        if (info.action_type && !info.decl) return false;
        if (!info.decl || (info.attrs && info.attrs->open)) return true;
        return info.attrs && find_attr(info.attrs, attr);
      }
      case TK::Record: return t->open || find_attr(t, attr);
      default: return false;
    }
  }

  Cap attr_cap(const Expr& on, std::string_view attr) {
    Cap c;
    c.on = &on;
    c.attr = attr;
    c.hash = mix(ctx_.hasher(on), std::hash<std::string_view>()(attr));
    return c;
  }
  Cap tag_cap(const Expr& on, const Expr& tag) {
    Cap c;
    c.tag = true;
    c.on = &on;
    c.tag_expr = &tag;
    c.hash = mix(ctx_.hasher(on), ctx_.hasher(tag));
    return c;
  }

  // `e has a.b.c` is typed as `e has a && e.a has b && e.a.b has c`, the
  // form whose capabilities Cedar's typechecker tracks; clone() performs that
  // expansion. The expansion lives as long as the checker because
  // capabilities point into it.
  const Expr& expand_has_path(const Expr& e) {
    expansions_.push_back(clone(e));
    return *expansions_.back();
  }

  Ans check_has(const Expr& e, const Caps& prior) {
    if (!e.keys.empty()) return check(expand_has_path(e), prior);
    const Expr& target = *e.kids[0];
    Ans a = expect(target, prior, Want::EntityOrRecord, Hint::Has);
    if (!a.type) return failure(&kBoolT);
    TypeRef rec = attrs_of(a.type);
    const VAttr* at = rec ? find_attr(rec, e.name) : nullptr;
    if (!at) return with_ok(success(may_have_attr(a.type, e.name) ? &kBoolT : &kFalseT), a.ok);
    Cap cap = attr_cap(target, e.name);
    bool known = caps_contain(prior, cap);
    TypeRef t = (known || (at->required && a.type->kind == TK::Record)) ? &kTrueT : &kBoolT;
    return with_ok(success(t, Caps{cap}), a.ok);
  }

  // Describes where an attribute was looked up, for messages.
  std::string attr_place(const Expr& target, TypeRef t) {
    if (t->kind == TK::Entity) return "on entity type `" + ix_.type_name(t->entity) + "`";
    std::string path;
    if (!render(target, path)) return "in record type " + show(t, ix_);
    const Expr* base = &target;
    while (base->op == Op::GetAttr) base = base->kids[0].get();
    if (base->op != Op::Var || base->var != Var::Context) return "in `" + path + "`";
    std::string action = "action `" + ix_.action_uid(env_.action).str() + "`";
    return base == &target ? "in the context of " + action : "in `" + path + "` (context of " + action + ")";
  }

  Ans check_get_attr(const Expr& e, const Caps& prior) {
    const Expr& target = *e.kids[0];
    Ans a = expect(target, prior, Want::EntityOrRecord);
    if (!a.type) return failure(nullptr);
    TypeRef rec = attrs_of(a.type);
    const VAttr* at = rec ? find_attr(rec, e.name) : nullptr;
    if (at) {
      if (at->required || caps_contain(prior, attr_cap(target, e.name))) return with_ok(success(at->type), a.ok);
      std::string msg = "attribute `" + e.name + "` " + attr_place(target, a.type) + " is optional and may be absent";
      std::string path;
      if (render(target, path)) {
        msg += "; guard the access with `" + path + " has " + (is_plain_ident(e.name) ? e.name : quote_str(e.name)) +
               " && ...`";
      } else {
        msg += "; test for the attribute with `has` before reading it";
      }
      error(e.loc, std::move(msg));
      return failure(at->type);
    }
    std::string msg = "attribute `" + e.name + "` not found " + attr_place(target, a.type);
    if (rec) {
      if (auto s = nearest(e.name, rec->attrs, [](const VAttr& x) -> std::string_view { return x.name; })) {
        std::string path;
        msg += render(target, path) ? "; did you mean `" + path + attr_step(*s) + "`?" : "; did you mean `" + *s + "`?";
      }
    }
    error(e.loc, std::move(msg));
    return failure(nullptr);
  }

  Ans check_is(const Expr& e, const Caps& prior) {
    Ans a = expect(*e.kids[0], prior, Want::AnyEntity, Hint::Is);
    if (!a.type) return failure(&kBoolT);
    if (a.type->kind == TK::Entity)
      return with_ok(success(a.type->entity == ix_.find(e.name) ? &kTrueT : &kFalseT), a.ok);
    if (a.type->kind == TK::AnyEntity) return with_ok(success(&kBoolT), a.ok);
    return failure(&kBoolT);
  }

  Ans check_set(const Expr& e, const Caps& prior) {
    bool ok = true, all_typed = true;
    std::vector<TypeRef> types;
    for (const auto& k : e.kids) {
      Ans a = check(*k, prior);
      ok = ok && a.ok;
      if (!a.type) all_typed = false;
      types.push_back(a.type);
    }
    TypeRef elem = nullptr;
    if (all_typed) {
      elem = &kNeverT;
      for (TypeRef t : types) {
        Lub u = lub(elem, t, ctx_.arena);
        if (!u.type) {
          std::string list;
          for (TypeRef x : types) list += (list.empty() ? "" : ", ") + show(x, ix_);
          error(e.loc, "incompatible types in set literal (" + list + "): " + lub_why_text(u.why));
          elem = nullptr;
          break;
        }
        elem = u.type;
      }
    }
    if (e.kids.empty()) {
      error(e.loc, "empty set literals are not allowed: strict validation cannot infer their element type");
      return failure(nullptr);
    }
    if (!elem) return failure(nullptr);
    return with_ok(success(ctx_.arena.set_of(elem)), ok);
  }

  Ans check_record(const Expr& e, const Caps& prior) {
    bool ok = true, all_typed = true;
    VType rec(TK::Record);
    for (size_t i = 0; i < e.kids.size(); ++i) {
      Ans a = check(*e.kids[i], prior);
      ok = ok && a.ok;
      if (!a.type) all_typed = false;
      rec.attrs.push_back({e.keys[i], a.type, true});
    }
    if (!all_typed) return failure(nullptr);
    std::sort(rec.attrs.begin(), rec.attrs.end(), [](const VAttr& x, const VAttr& y) { return x.name < y.name; });
    return with_ok(success(ctx_.arena.make(std::move(rec))), ok);
  }

  // The tag types of the entity types `t` may be.
  std::vector<TypeRef> tag_types(TypeRef t) {
    std::vector<TypeRef> out;
    auto add = [&](TypeRef x) {
      if (!x) return;
      for (TypeRef y : out)
        if (same_type(x, y)) return;
      out.push_back(x);
    };
    if (t->kind == TK::Entity) {
      add(ix_.type(t->entity).tags);
    } else {
      for (int i : ix_.schema_types()) add(ix_.type(i).tags);
    }
    return out;
  }

  Ans check_call(const Expr& e, const Caps& prior) {
    switch (e.fn) {
      case Fn::Contains: {
        Ans s = expect(*e.kids[0], prior, Want::AnySet, Hint::Contains);
        Ans x = check(*e.kids[1], prior);
        bool ok = s.ok && x.ok;
        if (s.type && s.type->kind == TK::Set && s.type->elem && x.type) {
          Lub u = lub(s.type->elem, x.type, ctx_.arena);
          if (!u.type) {
            incompatible(e.loc, s.type->elem, x.type, u.why, "the set elements and the argument of `contains`");
            ok = false;
          }
        }
        return with_ok(success(&kBoolT), ok);
      }
      case Fn::ContainsAll:
      case Fn::ContainsAny: {
        Ans s = expect(*e.kids[0], prior, Want::AnySet, Hint::Contains);
        Ans x = expect(*e.kids[1], prior, Want::AnySet, Hint::ContainsSet);
        bool ok = s.ok && x.ok;
        if (s.type && x.type) {
          Lub u = lub(s.type, x.type, ctx_.arena);
          if (!u.type) {
            incompatible(e.loc, s.type, x.type, u.why,
                         e.fn == Fn::ContainsAll ? "the two sets of `containsAll`" : "the two sets of `containsAny`");
            ok = false;
          }
        }
        return with_ok(success(&kBoolT), ok);
      }
      case Fn::IsEmpty: return with_ok(success(&kBoolT), expect(*e.kids[0], prior, Want::AnySet, Hint::IsEmpty).ok);
      case Fn::HasTag:
      case Fn::GetTag: return check_tag(e, prior);
      default: return check_extension(e, prior);
    }
  }

  Ans check_tag(const Expr& e, const Caps& prior) {
    const Expr& target = *e.kids[0];
    const Expr& tag = *e.kids[1];
    Ans a = expect(target, prior, Want::AnyEntity);
    Ans t = expect(tag, prior, Want::String);
    bool ok = a.ok && t.ok;
    if (!a.type || (a.type->kind != TK::Entity && a.type->kind != TK::AnyEntity)) return failure(nullptr);
    std::vector<TypeRef> tags = tag_types(a.type);
    Cap cap = tag_cap(target, tag);
    bool known = caps_contain(prior, cap);
    if (e.fn == Fn::HasTag) {
      TypeRef ty = tags.empty() ? &kFalseT : known ? &kTrueT : &kBoolT;
      return with_ok(success(ty, Caps{cap}), ok);
    }
    std::string on = a.type->kind == TK::Entity ? " on entity type `" + ix_.type_name(a.type->entity) + "`" : "";
    if (!known) {
      std::string msg = "tag access" + on + " is not guarded by `hasTag`";
      std::string tpath, tag_text;
      if (render(target, tpath) && render(tag, tag_text)) {
        msg += "; test for the tag first with `" + tpath + ".hasTag(" + tag_text + ") && ...`";
      } else {
        msg += "; test for the tag with `hasTag` before reading it";
      }
      error(e.loc, std::move(msg));
      return failure(nullptr);
    }
    if (tags.empty()) {
      error(e.loc, a.type->kind == TK::Entity ? "entity type `" + ix_.type_name(a.type->entity) +
                                                    "` declares no tags, so `getTag` cannot be used on it"
                                              : "no entity type declares tags, so `getTag` cannot be used");
      return failure(nullptr);
    }
    TypeRef out = &kNeverT;
    for (TypeRef x : tags) {
      Lub u = lub(out, x, ctx_.arena);
      if (!u.type) {
        error(e.loc,
              "the tag types of the possible entity types are incompatible: " + std::string(lub_why_text(u.why)));
        return failure(nullptr);
      }
      out = u.type;
    }
    return with_ok(success(out), ok);
  }

  struct ExtSig {
    std::vector<std::pair<Want, ExtT>> args;
    TypeRef ret;
    bool constructor;
  };

  static ExtSig signature(Fn fn) {
    using P = std::pair<Want, ExtT>;
    const P ip{Want::Ext, ExtT::IpAddr}, dec{Want::Ext, ExtT::Decimal}, dt{Want::Ext, ExtT::Datetime},
        dur{Want::Ext, ExtT::Duration}, str{Want::String, ExtT::IpAddr};
    switch (fn) {
      case Fn::Decimal: return {{str}, ext_type(ExtT::Decimal), true};
      case Fn::Ip: return {{str}, ext_type(ExtT::IpAddr), true};
      case Fn::Datetime: return {{str}, ext_type(ExtT::Datetime), true};
      case Fn::Duration: return {{str}, ext_type(ExtT::Duration), true};
      case Fn::LessThan:
      case Fn::LessThanOrEqual:
      case Fn::GreaterThan:
      case Fn::GreaterThanOrEqual: return {{dec, dec}, &kBoolT, false};
      case Fn::IsIpv4:
      case Fn::IsIpv6:
      case Fn::IsLoopback:
      case Fn::IsMulticast: return {{ip}, &kBoolT, false};
      case Fn::IsInRange: return {{ip, ip}, &kBoolT, false};
      case Fn::Offset: return {{dt, dur}, ext_type(ExtT::Datetime), false};
      case Fn::DurationSince: return {{dt, dt}, ext_type(ExtT::Duration), false};
      case Fn::ToDate: return {{dt}, ext_type(ExtT::Datetime), false};
      case Fn::ToTime: return {{dt}, ext_type(ExtT::Duration), false};
      case Fn::ToMilliseconds:
      case Fn::ToSeconds:
      case Fn::ToMinutes:
      case Fn::ToHours:
      case Fn::ToDays: return {{dur}, &kLongT, false};
      default: return {{}, &kNeverT, false};
    }
  }

  static const char* constructor_what(Fn fn) {
    switch (fn) {
      case Fn::Decimal: return "a decimal value";
      case Fn::Ip: return "an IP address or CIDR range";
      case Fn::Datetime: return "a datetime value";
      case Fn::Duration: return "a duration value";
      default: return "a value";
    }
  }

  static bool constructor_parses(Fn fn, std::string_view s) {
    switch (fn) {
      case Fn::Decimal: return ext::parse_decimal(s).has_value();
      case Fn::Ip: return ext::parse_ip(s).has_value();
      case Fn::Datetime: return ext::parse_datetime(s).has_value();
      case Fn::Duration: return ext::parse_duration(s).has_value();
      default: return true;
    }
  }

  Ans check_extension(const Expr& e, const Caps& prior) {
    ExtSig sig = signature(e.fn);
    const FnInfo* info = lookup_function(e.name);
    bool method = info && info->method;
    bool failed = false;
    if (e.kids.size() != sig.args.size()) {
      size_t want = sig.args.size() - (method ? 1 : 0);
      size_t got = e.kids.size() - (method ? 1 : 0);
      error(e.loc, "`" + e.name + "` takes " + std::to_string(want) + " argument" + (want == 1 ? "" : "s") +
                       (method ? " besides its receiver" : "") + ", found " + std::to_string(got));
      failed = true;
    }
    if (sig.constructor && e.kids.size() == 1 && e.kids[0]->op == Op::Lit && e.kids[0]->lit.kind() == Kind::String &&
        !constructor_parses(e.fn, e.kids[0]->lit.as_string())) {
      error(e.loc, "`" + quote_str(e.kids[0]->lit.as_string()) + "` is not " + constructor_what(e.fn) + ", so `" +
                       e.name + "(...)` would fail at run time");
      failed = true;
    }
    if (sig.constructor) {
      bool all_lit = std::all_of(e.kids.begin(), e.kids.end(), [](const ExprPtr& k) { return k->op == Op::Lit; });
      if (!all_lit) {
        error(e.loc, "extension constructor `" + e.name +
                         "` must be called with a string literal; compute the value when building the entity or "
                         "context data instead");
        failed = true;
      }
    }
    if (failed) {
      for (const auto& k : e.kids) check(*k, prior);
      return failure(sig.ret);
    }
    bool ok = true;
    for (size_t i = 0; i < e.kids.size(); ++i)
      ok = expect(*e.kids[i], prior, sig.args[i].first, Hint::None, sig.args[i].second).ok && ok;
    return with_ok(success(sig.ret), ok);
  }

  PolicyCtx& ctx_;
  SchemaIndex& ix_;
  const Env& env_;
  std::vector<Diagnostic>& errors_;
};

// ---- warnings on text -------------------------------------------------

// Decodes one code point of valid UTF-8 at `i`, advancing `i`.
uint32_t next_cp(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
  for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3Fu);
  i += static_cast<size_t>(len);
  return cp;
}

bool is_bidi(uint32_t c) { return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069); }

// The scripts a code point may belong to, as a bit set (all bits: common
// characters such as digits, punctuation and combining marks, which fit any
// script). Han counts as Japanese, Korean and Chinese-with-Bopomofo as well,
// so the usual CJK combinations are single-script.
uint64_t script_mask(uint32_t c) {
  constexpr uint64_t kAll = ~0ULL;
  constexpr uint64_t kLatin = 1ULL << 0, kGreek = 1ULL << 1, kCyrillic = 1ULL << 2, kArmenian = 1ULL << 3,
                     kHebrew = 1ULL << 4, kArabic = 1ULL << 5, kGeorgian = 1ULL << 6, kEthiopic = 1ULL << 7,
                     kCherokee = 1ULL << 8, kKhmer = 1ULL << 9, kMongolian = 1ULL << 10, kYi = 1ULL << 11,
                     kJpan = 1ULL << 12, kKore = 1ULL << 13, kHanb = 1ULL << 14, kHani = 1ULL << 15;
  if (c < 0x80) return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ? kLatin : kAll;
  if (c < 0x100) return (c >= 0xC0 && c != 0xD7 && c != 0xF7) || c == 0xAA || c == 0xBA ? kLatin : kAll;
  if (c < 0x2B0) return kLatin;
  if (c < 0x370) return kAll;  // modifier letters, combining marks
  if (c < 0x400) return kGreek;
  if (c < 0x530) return kCyrillic;
  if (c < 0x590) return kArmenian;
  if (c < 0x600) return kHebrew;
  if (c < 0x700 || (c >= 0x750 && c < 0x780) || (c >= 0x8A0 && c < 0x900)) return kArabic;
  if (c >= 0x900 && c < 0x1000) return 1ULL << (16 + (c - 0x900) / 0x80);  // the Indic and South-East Asian blocks
  if (c >= 0x1000 && c < 0x10A0) return 1ULL << 48;                        // Myanmar
  if (c >= 0x10A0 && c < 0x1100) return kGeorgian;
  if (c >= 0x1100 && c < 0x1200) return kKore;
  if (c >= 0x1200 && c < 0x13A0) return kEthiopic;
  if (c >= 0x13A0 && c < 0x1400) return kCherokee;
  if (c >= 0x1780 && c < 0x1800) return kKhmer;
  if (c >= 0x1800 && c < 0x18B0) return kMongolian;
  if (c >= 0x1E00 && c < 0x1F00) return kLatin;
  if (c >= 0x1F00 && c < 0x2000) return kGreek;
  if (c >= 0x2C60 && c < 0x2C80) return kLatin;
  if (c >= 0x2DE0 && c < 0x2E00) return kCyrillic;
  if (c >= 0x3040 && c < 0x30A0) return kJpan;
  if (c >= 0x30A0 && c < 0x3100) return c == 0x30FB || c == 0x30FC ? kAll : kJpan;
  if (c >= 0x3100 && c < 0x3130) return kHanb;
  if (c >= 0x3130 && c < 0x3190) return kKore;
  if (c >= 0x31F0 && c < 0x3200) return kJpan;
  if ((c >= 0x3400 && c < 0x4DC0) || (c >= 0x4E00 && c < 0xA000) || (c >= 0xF900 && c < 0xFB00) ||
      (c >= 0x20000 && c < 0x30000))
    return kHani | kJpan | kKore | kHanb;
  if (c >= 0xA000 && c < 0xA4D0) return kYi;
  if (c >= 0xA640 && c < 0xA6A0) return kCyrillic;
  if (c >= 0xA720 && c < 0xA800) return kLatin;
  if (c >= 0xAC00 && c < 0xD7B0) return kKore;
  if ((c >= 0xFF21 && c <= 0xFF3A) || (c >= 0xFF41 && c <= 0xFF5A)) return kLatin;
  if (c >= 0xFF66 && c < 0xFF9E) return kJpan;
  return kAll;
}

// Characters that do not belong in an identifier however it is written:
// controls, invisible format characters, separators and private-use code
// points (a conservative part of what Unicode's identifier security profile
// excludes).
bool is_suspicious_in_identifier(uint32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xAD || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0xFEFF || (c >= 0xE000 && c <= 0xF8FF) ||
         c >= 0xF0000;
}

// Adds a warning when `text` holds bidirectional controls, mixes scripts,
// or (for identifiers and entity ids) holds invisible or control characters.
void check_text(std::string_view text, bool identifier, const std::string& file, SourceLoc loc,
                std::vector<Diagnostic>& out) {
  bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7F;
  });
  if (plain) return;
  uint64_t scripts = ~0ULL;
  bool bidi = false;
  uint32_t suspicious = 0;
  for (size_t i = 0; i < text.size();) {
    uint32_t c = next_cp(text, i);
    if (is_bidi(c)) bidi = true;
    if (!suspicious && is_suspicious_in_identifier(c)) suspicious = c;
    scripts &= script_mask(c);
  }
  // Shown escaped, with invisible characters spelled out.
  std::string shown;
  std::string escaped = escape_string(text);
  for (size_t i = 0; i < escaped.size();) {
    size_t start = i;
    uint32_t c = next_cp(escaped, i);
    if (is_bidi(c) || is_suspicious_in_identifier(c)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(c));
      shown += buf;
    } else {
      shown.append(escaped, start, i - start);
    }
  }
  std::string what = identifier ? "identifier `" + shown + "`" : "string `\"" + shown + "\"`";
  auto warn = [&](const std::string& msg) { out.push_back({file, loc, what + " " + msg, true}); };
  if (bidi) {
    warn("contains bidirectional control characters");
  } else if (identifier && suspicious) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "U+%04X", static_cast<unsigned>(suspicious));
    warn(std::string("contains the invisible or control character ") + hex);
  } else if (scripts == 0) {
    warn("mixes characters of different scripts");
  }
}

void name_texts(std::string_view name, const std::string& file, SourceLoc loc, std::vector<Diagnostic>& out) {
  size_t start = 0;
  while (true) {
    size_t p = name.find("::", start);
    check_text(name.substr(start, p == std::string_view::npos ? p : p - start), true, file, loc, out);
    if (p == std::string_view::npos) break;
    start = p + 2;
  }
}

void uid_texts(const EntityUID& uid, const std::string& file, SourceLoc loc, std::vector<Diagnostic>& out) {
  name_texts(uid.type(), file, loc, out);
  check_text(uid.id(), true, file, loc, out);
}

void expr_texts(const Expr& e, const std::string& file, std::vector<Diagnostic>& out) {
  switch (e.op) {
    case Op::Lit:
      if (e.lit.kind() == Kind::String) check_text(e.lit.as_string(), false, file, e.loc, out);
      if (e.lit.kind() == Kind::Entity) uid_texts(e.lit.as_entity(), file, e.loc, out);
      break;
    case Op::GetAttr: check_text(e.name, true, file, e.loc, out); break;
    case Op::Has:
      check_text(e.name, true, file, e.loc, out);
      for (const auto& k : e.keys) check_text(k, true, file, e.loc, out);
      break;
    case Op::RecordLit:
      for (const auto& k : e.keys) check_text(k, true, file, e.loc, out);
      break;
    case Op::Like: {
      std::string pat;
      for (const auto& p : e.pattern) pat += p.wildcard ? "*" : p.text;
      check_text(pat, false, file, e.loc, out);
      break;
    }
    case Op::Is:
    case Op::IsIn: name_texts(e.name, file, e.loc, out); break;
    default: break;
  }
  for (const auto& k : e.kids) expr_texts(*k, file, out);
}

// ---- the policy driver ------------------------------------------------

ExprPtr node(Op op, SourceLoc loc) {
  auto e = std::make_unique<Expr>();
  e->op = op;
  e->loc = loc;
  return e;
}

ExprPtr binary(Op op, ExprPtr a, ExprPtr b, SourceLoc loc);

// Copies an expression for checking, spelling out `e has a.b.c` (one Has
// node with the path in name and keys) as Cedar defines it:
// `(e has a && e.a has b) && e.a.b has c`.
ExprPtr clone(const Expr& e) {
  auto c = std::make_unique<Expr>();
  c->op = e.op;
  c->var = e.var;
  c->fn = e.fn;
  c->lit = e.lit;
  c->name = e.name;
  c->pattern = e.pattern;
  c->loc = e.loc;
  if (e.op == Op::Has && !e.keys.empty()) {
    c->kids.push_back(clone(*e.kids[0]));
    ExprPtr out = std::move(c);
    for (size_t i = 0; i < e.keys.size(); ++i) {
      ExprPtr target = clone(*e.kids[0]);
      for (size_t j = 0; j <= i; ++j) {
        auto g = node(Op::GetAttr, e.loc);
        g->name = j == 0 ? e.name : e.keys[j - 1];
        g->kids.push_back(std::move(target));
        target = std::move(g);
      }
      auto h = node(Op::Has, e.loc);
      h->name = e.keys[i];
      h->kids.push_back(std::move(target));
      out = binary(Op::And, std::move(out), std::move(h), e.loc);
    }
    return out;
  }
  c->keys = e.keys;
  c->kids.reserve(e.kids.size());
  for (const auto& k : e.kids) c->kids.push_back(clone(*k));
  return c;
}

ExprPtr binary(Op op, ExprPtr a, ExprPtr b, SourceLoc loc) {
  auto e = node(op, loc);
  e->kids.push_back(std::move(a));
  e->kids.push_back(std::move(b));
  return e;
}

ExprPtr entity_lit(const EntityUID& uid, SourceLoc loc) {
  auto e = node(Op::Lit, loc);
  e->lit = Value(uid);
  return e;
}

ExprPtr var_node(Var v, SourceLoc loc) {
  auto e = node(Op::Var, loc);
  e->var = v;
  return e;
}

ExprPtr true_lit(SourceLoc loc) {
  auto e = node(Op::Lit, loc);
  e->lit = Value(true);
  return e;
}

// The condition a principal or resource scope constraint stands for.
// `slot_node` receives the node standing for the slot, if any.
ExprPtr scope_expr(const ScopeConstraint& sc, Var v, SourceLoc loc, const Expr*& slot_node) {
  auto target = [&]() {
    if (sc.slot) {
      auto s = node(Op::Lit, loc);
      slot_node = s.get();
      return s;
    }
    return entity_lit(sc.entity, loc);
  };
  switch (sc.kind) {
    case ScopeConstraint::Kind::Any:
    case ScopeConstraint::Kind::InList: return true_lit(loc);
    case ScopeConstraint::Kind::Eq: return binary(Op::Eq, var_node(v, loc), target(), loc);
    case ScopeConstraint::Kind::In: return binary(Op::In, var_node(v, loc), target(), loc);
    case ScopeConstraint::Kind::Is: {
      auto e = node(Op::Is, loc);
      e->name = sc.type;
      e->kids.push_back(var_node(v, loc));
      return e;
    }
    case ScopeConstraint::Kind::IsIn: {
      auto e = binary(Op::IsIn, var_node(v, loc), target(), loc);
      e->name = sc.type;
      return e;
    }
  }
  return true_lit(loc);
}

ExprPtr action_scope_expr(const ScopeConstraint& sc, SourceLoc loc) {
  switch (sc.kind) {
    case ScopeConstraint::Kind::Eq: return binary(Op::Eq, var_node(Var::Action, loc), entity_lit(sc.entity, loc), loc);
    case ScopeConstraint::Kind::In:
    case ScopeConstraint::Kind::InList: {
      auto set = node(Op::SetLit, loc);
      if (sc.kind == ScopeConstraint::Kind::In) {
        set->kids.push_back(entity_lit(sc.entity, loc));
      } else {
        for (const auto& uid : sc.list) set->kids.push_back(entity_lit(uid, loc));
      }
      return binary(Op::In, var_node(Var::Action, loc), std::move(set), loc);
    }
    default: return true_lit(loc);
  }
}

struct DiagKey {
  uint32_t line, col;
  std::string message;
  bool operator<(const DiagKey& o) const { return std::tie(line, col, message) < std::tie(o.line, o.col, o.message); }
};

class Validator {
 public:
  Validator(const Schema& schema, ValidationResult& out) : ix_(schema), out_(out) {}

  void policy(const Policy& p) {
    std::vector<Diagnostic> errors, warnings;
    static_checks(p, errors);
    scope_application(p, p.principal, p.resource, nullptr, nullptr, p.loc, errors);
    typecheck(p, errors, warnings);
    text_warnings(p, warnings);
    flush(errors, out_.errors);
    flush(warnings, out_.warnings);
  }

  void link(const PolicyInstance& inst) {
    const Policy& p = *inst.policy;
    std::vector<Diagnostic> errors;
    for (const auto* slot : {&inst.principal_slot, &inst.resource_slot}) {
      if (!*slot) continue;
      const std::string& t = (*slot)->type();
      if (!ix_.known_type(t)) unknown_type(t, p.file, p.loc, "in the link `" + inst.id + "`", errors);
    }
    const EntityUID* ps = inst.principal_slot ? &*inst.principal_slot : nullptr;
    const EntityUID* rs = inst.resource_slot ? &*inst.resource_slot : nullptr;
    scope_application(p, p.principal, p.resource, ps, rs, p.loc, errors, &inst.id);
    flush(errors, out_.errors);
  }

 private:
  static void flush(std::vector<Diagnostic>& diags, std::vector<Diagnostic>& out) {
    std::set<DiagKey> seen;
    std::vector<Diagnostic> unique;
    for (auto& d : diags)
      if (seen.insert({d.loc.line, d.loc.col, d.message}).second) unique.push_back(std::move(d));
    std::stable_sort(unique.begin(), unique.end(), [](const Diagnostic& a, const Diagnostic& b) {
      return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
    });
    for (auto& d : unique) out.push_back(std::move(d));
  }

  void unknown_type(const std::string& name, const std::string& file, SourceLoc loc, const std::string& where,
                    std::vector<Diagnostic>& errors) {
    std::string msg = "unrecognized entity type `" + name + "`" + (where.empty() ? "" : " " + where);
    const auto& names = ix_.schema().entity_types;
    if (auto s = nearest(name, names, [](const auto& kv) -> std::string_view { return kv.first; }))
      msg += "; did you mean `" + *s + "`?";
    errors.push_back({file, loc, std::move(msg)});
  }

  void check_uid(const EntityUID& uid, const std::string& file, SourceLoc loc, std::vector<Diagnostic>& errors) {
    const std::string& t = uid.type();
    if (is_action_type(t)) {
      if (ix_.action(uid) >= 0) return;
      std::string msg = "unrecognized action `" + uid.str() + "`";
      const auto& acts = ix_.schema().actions;
      std::optional<std::string> hint;
      for (const auto& [a, decl] : acts) {
        if (a.id().find("Action::" + uid.id()) != std::string::npos ||
            a.id().find("Action::\"" + uid.id() + "\"") != std::string::npos) {
          hint = "did you intend to include the type in action `" + a.str() + "`?";
          break;
        }
      }
      if (!hint) {
        std::vector<std::pair<std::string, std::string>> cands;  // id, printed uid
        for (const auto& [a, decl] : acts)
          if (a.type() == t) cands.emplace_back(a.id(), a.str());
        if (cands.empty())
          for (const auto& [a, decl] : acts) cands.emplace_back(a.id(), a.str());
        if (auto s = nearest(uid.id(), cands, [](const auto& c) -> std::string_view { return c.first; })) {
          for (const auto& c : cands)
            if (c.first == *s) hint = "did you mean `" + c.second + "`?";
        }
      }
      if (hint) msg += "; " + *hint;
      errors.push_back({file, loc, std::move(msg)});
      return;
    }
    const EntityTypeDecl* decl = ix_.schema().entity_type(t);
    if (!decl) {
      unknown_type(t, file, loc, "", errors);
      return;
    }
    if (decl->enum_ids && !ix_.enum_has(*decl, uid.id())) {
      std::string msg = "`" + uid.str() + "` is not one of the values of the enumerated entity type `" + t + "`";
      if (auto s = nearest(uid.id(), *decl->enum_ids, [](const std::string& x) -> std::string_view { return x; })) {
        msg += "; did you mean `" + EntityUID(t, *s).str() + "`?";
      } else if (!decl->enum_ids->empty()) {
        msg += "; the declared values are ";
        size_t n = std::min<size_t>(decl->enum_ids->size(), 5);
        for (size_t i = 0; i < n; ++i) msg += (i ? ", `" : "`") + EntityUID(t, (*decl->enum_ids)[i]).str() + "`";
        if (n < decl->enum_ids->size()) msg += " and " + std::to_string(decl->enum_ids->size() - n) + " more";
      }
      errors.push_back({file, loc, std::move(msg)});
    }
  }

  void check_type_name(const std::string& t, const std::string& file, SourceLoc loc, std::vector<Diagnostic>& errors) {
    if (!ix_.known_type(t)) unknown_type(t, file, loc, "", errors);
  }

  void body_names(const Expr& e, const std::string& file, std::vector<Diagnostic>& errors) {
    if (e.op == Op::Lit && e.lit.kind() == Kind::Entity) check_uid(e.lit.as_entity(), file, e.loc, errors);
    if (e.op == Op::Is || e.op == Op::IsIn) check_type_name(e.name, file, e.loc, errors);
    for (const auto& k : e.kids) body_names(*k, file, errors);
  }

  // Unknown entity types and actions, and enum ids not declared.
  void static_checks(const Policy& p, std::vector<Diagnostic>& errors) {
    for (const ScopeConstraint* sc : {&p.principal, &p.resource}) {
      if (sc->kind == ScopeConstraint::Kind::Is || sc->kind == ScopeConstraint::Kind::IsIn)
        check_type_name(sc->type, p.file, p.loc, errors);
      bool has_entity = sc->kind == ScopeConstraint::Kind::Eq || sc->kind == ScopeConstraint::Kind::In ||
                        sc->kind == ScopeConstraint::Kind::IsIn;
      if (has_entity && !sc->slot) check_uid(sc->entity, p.file, p.loc, errors);
    }
    if (p.action.kind == ScopeConstraint::Kind::Eq || p.action.kind == ScopeConstraint::Kind::In)
      check_uid(p.action.entity, p.file, p.loc, errors);
    for (const auto& uid : p.action.list) check_uid(uid, p.file, p.loc, errors);
    for (const auto& c : p.conditions) body_names(*c.expr, p.file, errors);
  }

  // The entity types a principal/resource constraint admits. `all` when it
  // admits every declared type.
  struct TypeSet {
    bool all = false;
    std::vector<int> types;
    bool contains(int t) const { return all || std::find(types.begin(), types.end(), t) != types.end(); }
  };

  TypeSet admitted(const ScopeConstraint& sc, const EntityUID* slot_value) {
    TypeSet out;
    const EntityUID* target = sc.slot ? slot_value : &sc.entity;
    auto types_in = [&](const std::string& name) {
      int t = ix_.find(name);
      if (t < 0) return;
      out.types.push_back(t);
      for (int d : ix_.descendants(t)) out.types.push_back(d);
    };
    switch (sc.kind) {
      case ScopeConstraint::Kind::Any:
      case ScopeConstraint::Kind::InList: out.all = true; break;
      case ScopeConstraint::Kind::Eq:
        if (!target) {
          out.all = true;
        } else if (int t = ix_.find(target->type()); t >= 0) {
          out.types.push_back(t);
        }
        break;
      case ScopeConstraint::Kind::In:
        if (!target) {
          out.all = true;
        } else {
          types_in(target->type());
        }
        break;
      case ScopeConstraint::Kind::Is:
        if (ix_.known_type(sc.type) && ix_.find(sc.type) >= 0) out.types.push_back(ix_.find(sc.type));
        break;
      case ScopeConstraint::Kind::IsIn:
        if (!target) {
          if (ix_.known_type(sc.type) && ix_.find(sc.type) >= 0) out.types.push_back(ix_.find(sc.type));
        } else {
          int want = ix_.find(sc.type);
          int t = ix_.find(target->type());
          if (want >= 0 && t >= 0 && ix_.type_in(want, t)) out.types.push_back(want);
        }
        break;
    }
    return out;
  }

  // Actions the action constraint admits (indices).
  std::vector<int> admitted_actions(const ScopeConstraint& ac) {
    std::vector<int> out;
    auto& acts = ix_.actions();
    switch (ac.kind) {
      case ScopeConstraint::Kind::Eq:
        if (int a = ix_.action(ac.entity); a >= 0) out.push_back(a);
        return out;
      case ScopeConstraint::Kind::In:
      case ScopeConstraint::Kind::InList: {
        std::vector<EntityUID> groups =
            ac.kind == ScopeConstraint::Kind::In ? std::vector<EntityUID>{ac.entity} : ac.list;
        for (const auto& g : groups) {
          int a = ix_.action(g);
          if (a < 0) return {};  // an unknown group: nothing is admitted
          out.push_back(a);
          for (int d : ix_.action_descendants(a)) out.push_back(d);
        }
        return out;
      }
      default:
        for (size_t i = 0; i < acts.size(); ++i) out.push_back(static_cast<int>(i));
        return out;
    }
  }

  // Reports a scope that no action's appliesTo matches.
  void scope_application(const Policy& p, const ScopeConstraint& pc, const ScopeConstraint& rc, const EntityUID* ps,
                         const EntityUID* rs, SourceLoc loc, std::vector<Diagnostic>& errors,
                         const std::string* link_id = nullptr) {
    TypeSet principals = admitted(pc, ps);
    TypeSet resources = admitted(rc, rs);
    std::vector<int> acts = admitted_actions(p.action);
    auto& infos = ix_.actions();
    for (int a : acts) {
      const ActionInfo& info = infos[static_cast<size_t>(a)];
      bool pm =
          std::any_of(info.principals.begin(), info.principals.end(), [&](int t) { return principals.contains(t); });
      bool rm = std::any_of(info.resources.begin(), info.resources.end(), [&](int t) { return resources.contains(t); });
      if (pm && rm) return;
    }
    // Would `in` instead of `==` help?
    auto in_fixes = [&](const ScopeConstraint& sc, const EntityUID* slot, bool principal) {
      if (sc.kind != ScopeConstraint::Kind::Eq) return false;
      const EntityUID* target = sc.slot ? slot : &sc.entity;
      if (!target || sc.slot) return false;
      int t = ix_.find(target->type());
      if (t < 0 || !ix_.schema().entity_type(target->type())) return false;
      bool equal = false, below = false;
      const auto& desc = ix_.descendants(t);
      for (int a : acts) {
        const auto& list =
            principal ? infos[static_cast<size_t>(a)].principals : infos[static_cast<size_t>(a)].resources;
        for (int x : list) {
          if (x == t) equal = true;
          if (std::binary_search(desc.begin(), desc.end(), x)) below = true;
        }
      }
      return !equal && below;
    };
    bool fp = in_fixes(pc, ps, true);
    bool fr = in_fixes(rc, rs, false);
    std::string msg = link_id ? "the link `" + *link_id +
                                    "` matches no action in the schema: no action applies to "
                                    "the principal and resource types its scope allows"
                              : "the policy matches no action in the schema: no action applies to the principal and "
                                "resource types its scope allows";
    if (fp || fr) {
      msg += std::string("; try replacing `==` with `in` in the ") + (fp && fr ? "principal and resource clauses"
                                                                      : fp     ? "principal clause"
                                                                               : "resource clause");
    }
    errors.push_back({p.file, loc, std::move(msg)});
  }

  // Checks the policy condition `P && (A && (R && body))` in every request
  // environment. The scope parts P, A and R each depend on one request
  // variable and prove no capabilities, so they are checked once per type
  // (or action) and cached; `&&` only goes on to the next part when a part
  // is not False. The body depends on the principal and resource types, and
  // on the action when it mentions `action` or `context`; its result is
  // cached under that key, and its errors are reported the first time.
  void typecheck(const Policy& p, std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings) {
    PolicyCtx ctx{ix_, arena_, hasher_, p.file};
    SourceLoc loc = p.loc;
    ExprPtr pexpr = scope_expr(p.principal, Var::Principal, loc, ctx.principal_slot);
    ExprPtr aexpr = action_scope_expr(p.action, loc);
    ExprPtr rexpr = scope_expr(p.resource, Var::Resource, loc, ctx.resource_slot);
    ExprPtr body;
    for (auto it = p.conditions.rbegin(); it != p.conditions.rend(); ++it) {
      ExprPtr c = clone(*it->expr);
      if (!it->when) {
        SourceLoc cl = c->loc;
        auto n = node(Op::Not, cl);
        n->kids.push_back(std::move(c));
        c = std::move(n);
      }
      body = body ? binary(Op::And, std::move(c), std::move(body), loc) : std::move(c);
    }
    bool body_uses_action = body && mentions_action_or_context(*body);

    struct Part {
      bool is_false = false;
      bool reported = false;
      std::vector<Diagnostic> errors;
    };
    std::unordered_map<uint64_t, Part> pcache, acache, rcache;
    std::map<std::tuple<int, int, int>, bool> bcache;  // (principal, resource, action or -1): is the body False
    auto check_part = [&](std::unordered_map<uint64_t, Part>& cache, uint64_t key, const Expr& e,
                          const Env& env) -> bool {
      auto it = cache.find(key);
      if (it == cache.end()) {
        Part part;
        size_t mark = arena_.mark();
        Checker ck(ctx, env, part.errors);
        Ans a = ck.expect(e, {}, Want::Bool);
        part.is_false = a.type && a.type->kind == TK::False;
        arena_.rewind(mark);
        it = cache.emplace(key, std::move(part)).first;
      }
      Part& part = it->second;
      if (!part.reported) {
        part.reported = true;
        for (auto& d : part.errors) errors.push_back(d);
      }
      return part.is_false;
    };
    auto key2 = [](int a, int b) {
      return (static_cast<uint64_t>(static_cast<uint32_t>(a + 1)) << 32) | static_cast<uint32_t>(b + 1);
    };

    // The slot links of each type, computed once per policy.
    std::unordered_map<int, std::vector<int>> plinks, rlinks;
    static const std::vector<int> kNoSlot = {-1};
    auto links = [&](std::unordered_map<int, std::vector<int>>& memo, const ScopeConstraint& sc,
                     int t) -> const std::vector<int>& {
      if (!sc.slot) return kNoSlot;
      auto it = memo.find(t);
      if (it == memo.end()) it = memo.emplace(t, slot_links(sc, t)).first;
      return it->second;
    };

    bool all_false = true;
    auto& acts = ix_.actions();
    for (size_t ai = 0; ai < acts.size(); ++ai) {
      const ActionInfo& act = acts[ai];
      if (act.principals.empty()) continue;
      Env env;
      env.action = static_cast<int>(ai);
      env.principal = act.principals.front();
      env.resource = act.resources.front();
      // Principal constraints never report errors, so an action the action
      // constraint rules out without errors needs no further look.
      {
        auto it = acache.find(ai);
        if (it == acache.end()) {
          Part part;
          size_t mark = arena_.mark();
          Checker ck(ctx, env, part.errors);
          Ans a = ck.expect(*aexpr, {}, Want::Bool);
          part.is_false = a.type && a.type->kind == TK::False;
          arena_.rewind(mark);
          it = acache.emplace(ai, std::move(part)).first;
        }
        if (it->second.is_false && it->second.errors.empty()) continue;
      }
      for (int pt : act.principals) {
        for (int pslot : links(plinks, p.principal, pt)) {
          env.principal = pt;
          env.principal_slot = pslot;
          env.resource = act.resources.front();
          if (check_part(pcache, key2(pt, pslot), *pexpr, env)) continue;
          if (check_part(acache, ai, *aexpr, env)) continue;
          for (int rt : act.resources) {
            for (int rslot : links(rlinks, p.resource, rt)) {
              env.resource = rt;
              env.resource_slot = rslot;
              if (check_part(rcache, key2(rt, rslot), *rexpr, env)) continue;
              if (!body) {
                all_false = false;
                continue;
              }
              std::tuple<int, int, int> bkey{pt, rt, body_uses_action ? static_cast<int>(ai) : -1};
              auto it = bcache.find(bkey);
              if (it == bcache.end()) {
                size_t mark = arena_.mark();
                Checker ck(ctx, env, errors);
                Ans a = ck.expect(*body, {}, Want::Bool);
                it = bcache.emplace(bkey, a.type && a.type->kind == TK::False).first;
                arena_.rewind(mark);
              }
              if (!it->second) all_false = false;
            }
          }
        }
      }
    }
    hasher_.clear();
    if (all_false) {
      warnings.push_back(
          {p.file, p.loc, "policy is impossible: its condition is false for every request the schema allows", true});
    }
  }

  static bool mentions_action_or_context(const Expr& e) {
    if (e.op == Op::Var && (e.var == Var::Action || e.var == Var::Context)) return true;
    for (const auto& k : e.kids)
      if (mentions_action_or_context(*k)) return true;
    return false;
  }

  // The entity types a template slot may be linked to, given the type of
  // the scope variable; {-1} when the constraint has no slot.
  std::vector<int> slot_links(const ScopeConstraint& sc, int var_type) {
    if (!sc.slot) return {-1};
    switch (sc.kind) {
      case ScopeConstraint::Kind::Eq: return {var_type};
      case ScopeConstraint::Kind::In:
      case ScopeConstraint::Kind::IsIn: {
        std::vector<int> out = ix_.ancestors(var_type);
        out.push_back(var_type);
        return out;
      }
      default: return ix_.schema_types();
    }
  }

  void text_warnings(const Policy& p, std::vector<Diagnostic>& warnings) {
    for (const ScopeConstraint* sc : {&p.principal, &p.action, &p.resource}) {
      bool has_entity = sc->kind == ScopeConstraint::Kind::Eq || sc->kind == ScopeConstraint::Kind::In ||
                        sc->kind == ScopeConstraint::Kind::IsIn;
      if (has_entity && !sc->slot) uid_texts(sc->entity, p.file, p.loc, warnings);
      for (const auto& uid : sc->list) uid_texts(uid, p.file, p.loc, warnings);
      if (!sc->type.empty()) name_texts(sc->type, p.file, p.loc, warnings);
    }
    for (const auto& c : p.conditions) expr_texts(*c.expr, p.file, warnings);
  }

  SchemaIndex ix_;
  TypeArena arena_;
  ExprHasher hasher_;
  ValidationResult& out_;
};

}  // namespace

ValidationResult validate(const PolicySet& policies, const Schema& schema) {
  ValidationResult out;
  Validator v(schema, out);
  for (const auto& p : policies.policies()) v.policy(*p);
  for (const auto& inst : policies.instances()) {
    if (inst.principal_slot || inst.resource_slot) v.link(inst);
  }
  return out;
}

}  // namespace tollgate::cedar
