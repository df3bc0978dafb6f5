// Schema format dispatch and the resolver shared by both schema parsers.
//
// Name resolution, for a name written inside namespace NS:
//  - an unqualified name `T` is tried as `NS::T` first, then as `T` in the
//    empty namespace; a qualified name is only tried as written;
//  - for each candidate a common type wins over an entity type of the same
//    name, where the reference may name either;
//  - the builtins live in `__cedar` (`__cedar::Long`, `__cedar::ipaddr`, ...)
//    and are also visible unqualified from the empty namespace unless the
//    schema declares an entity or common type of that name there, so a
//    declared `entity Long` shadows the primitive inside every namespace;
//  - the entity type of an action (`NS::Action`) counts as an entity type for
//    attribute types but not for `in`, `principal` or `resource` lists;
//  - an action group `g` or `Action::"g"` is tried as `NS::Action::"g"`, then
//    as `Action::"g"`.
// A name declared in the empty namespace may not be redeclared (as entity or
// common type) under the same basename in a named namespace, nor an action.
#include "cedar/schema_internal.h"

#include <algorithm>
#include <array>
#include <set>

namespace tollgate::cedar {
namespace schema_detail {
namespace {

constexpr std::array<std::string_view, 9> kReservedWords = {"true", "false", "if",   "then", "else",
                                                            "in",   "is",    "like", "has"};
constexpr std::array<std::string_view, 8> kCommonTypeKeywords = {"Bool", "Boolean", "Entity", "Extension",
                                                                 "Long", "Record",  "Set",    "String"};
constexpr std::array<std::string_view, 4> kExtensionTypes = {"ipaddr", "decimal", "datetime", "duration"};
constexpr std::string_view kCedarPrefix = "__cedar::";
constexpr size_t kMaxErrors = 100;

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool is_qualified(std::string_view name) { return name.find("::") != std::string_view::npos; }

std::string_view basename(std::string_view name) {
  size_t p = name.rfind("::");
  return p == std::string_view::npos ? name : name.substr(p + 2);
}

bool mentions_cedar_ns(std::string_view name) {
  while (true) {
    size_t p = name.find("::");
    if (name.substr(0, p) == "__cedar") return true;
    if (p == std::string_view::npos) return false;
    name.remove_prefix(p + 2);
  }
}

std::string qualify(const std::string& ns, std::string_view name) {
  return ns.empty() ? std::string(name) : ns + "::" + std::string(name);
}

std::shared_ptr<SchemaType> make_type(SchemaType::Kind kind, std::string name = {}) {
  auto t = std::make_shared<SchemaType>();
  t->kind = kind;
  t->name = std::move(name);
  return t;
}

// Topological order of a dependency graph (dependencies first). Nodes on or
// behind a cycle are left out of `order`; each cycle found is listed once.
struct TopoOrder {
  std::vector<size_t> order;
  std::vector<std::vector<size_t>> cycles;
};

TopoOrder topo_order(const std::vector<std::vector<size_t>>& deps) {
  size_t n = deps.size();
  TopoOrder out;
  std::vector<size_t> pending(n);
  std::vector<std::vector<size_t>> users(n);
  for (size_t i = 0; i < n; ++i) {
    pending[i] = deps[i].size();
    for (size_t d : deps[i]) users[d].push_back(i);
  }
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) out.order.push_back(i);
  for (size_t k = 0; k < out.order.size(); ++k)
    for (size_t u : users[out.order[k]])
      if (--pending[u] == 0) out.order.push_back(u);
  // Every unordered node has an unordered dependency: following those from
  // each unvisited node ends in a cycle, new or already reported.
  constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> walk_of(n, kNone), index_in_walk(n);
  for (size_t start = 0; start < n; ++start) {
    if (pending[start] == 0 || walk_of[start] != kNone) continue;
    std::vector<size_t> path;
    size_t cur = start;
    while (true) {
      walk_of[cur] = start;
      index_in_walk[cur] = path.size();
      path.push_back(cur);
      size_t next = kNone;
      for (size_t d : deps[cur])
        if (pending[d] != 0) {
          next = d;
          break;
        }
      if (next == kNone) break;  // unreachable: cur is unordered
      if (walk_of[next] == start) {
        out.cycles.emplace_back(path.begin() + static_cast<std::ptrdiff_t>(index_in_walk[next]), path.end());
        break;
      }
      if (walk_of[next] != kNone) break;
      cur = next;
    }
  }
  return out;
}

class Resolver {
 public:
  Resolver(const std::vector<RawNamespace>& namespaces, std::string_view file, std::vector<Diagnostic>& diags)
      : namespaces_(namespaces), file_(file), diags_(diags) {}

  Schema run() {
    collect_declarations();
    check_shadowing();
    expand_common_types();
    Schema schema;
    for (const auto& [name, def] : entities_) schema.entity_types.emplace(name, build_entity(name, def));
    for (const auto& [uid, def] : actions_) schema.actions.emplace(uid, build_action(uid, def));
    check_action_cycles(schema);
    return schema;
  }

 private:
  template <class Decl>
  struct Def {
    const Decl* decl;
    const std::string* ns;
    size_t index = 0;  // common types: position in `commons_`
  };
  struct Target {
    std::string name;
    bool common = false;
  };
  struct Converted {
    SchemaTypePtr type;  // null: the type is invalid and the error was reported
    int depth = 0;
  };
  using RefKind = RawType::RefKind;

  void error(SourceLoc loc, std::string message) {
    if (diags_.size() < kMaxErrors)
      diags_.push_back({file_, loc, std::move(message)});
    else if (diags_.size() == kMaxErrors)
      diags_.push_back({file_, loc, "too many errors; the rest are not reported"});
  }

  void collect_declarations() {
    std::map<std::string_view, SourceLoc> seen_ns;
    for (const RawNamespace& ns : namespaces_) {
      if (!seen_ns.emplace(ns.name, ns.loc).second)
        error(ns.loc, "namespace `" + ns.name + "` is declared more than once");
      if (mentions_cedar_ns(ns.name)) error(ns.loc, "namespace `" + ns.name + "` uses the reserved name `__cedar`");
      for (const RawCommonType& ct : ns.common_types) {
        const std::string& base = ct.name.name;
        if (base == "__cedar") error(ct.name.loc, "`__cedar` is reserved and cannot name a common type");
        if (contains(kCommonTypeKeywords, base))
          error(ct.name.loc, "`" + base + "` is a reserved schema keyword and cannot name a common type");
        std::string name = qualify(ns.name, base);
        if (!commons_.emplace(name, Def<RawCommonType>{&ct, &ns.name}).second)
          error(ct.name.loc, "common type `" + name + "` is declared more than once");
      }
      for (const RawEntity& et : ns.entities) {
        const std::string& base = et.name.name;
        if (base == "__cedar") error(et.name.loc, "`__cedar` is reserved and cannot name an entity type");
        if (base == "Action")
          error(et.name.loc, "`Action` cannot be declared as an entity type; action entity types are implicit");
        std::string name = qualify(ns.name, base);
        if (!entities_.emplace(name, Def<RawEntity>{&et, &ns.name}).second)
          error(et.name.loc, "entity type `" + name + "` is declared more than once");
      }
      for (const RawAction& a : ns.actions) {
        EntityUID uid(qualify(ns.name, "Action"), a.name);
        if (!actions_.emplace(uid, Def<RawAction>{&a, &ns.name}).second)
          error(a.loc, "action `" + uid.str() + "` is declared more than once");
        action_types_.insert(uid.type());
      }
    }
  }

  SourceLoc decl_loc(const std::string& name) const {
    if (auto it = commons_.find(name); it != commons_.end()) return it->second.decl->name.loc;
    if (auto it = entities_.find(name); it != entities_.end()) return it->second.decl->name.loc;
    return {};
  }

  // A name in the empty namespace cannot be redeclared under a namespace.
  void check_shadowing() {
    std::map<std::string_view, const std::string*> qualified;
    std::set<std::string_view> unqualified;
    auto note = [&](const std::string& name) {
      if (!is_qualified(name))
        unqualified.insert(name);
      else if (!mentions_cedar_ns(name))
        qualified.emplace(basename(name), &name);
    };
    for (const auto& entry : commons_) note(entry.first);
    for (const auto& entry : entities_) note(entry.first);
    for (std::string_view name : unqualified)
      if (auto it = qualified.find(name); it != qualified.end())
        error(decl_loc(*it->second), "`" + *it->second + "` shadows `" + std::string(name) +
                                         "` declared in the empty namespace; rename one of them");
    std::map<std::string_view, const EntityUID*> qualified_actions;
    for (const auto& entry : actions_)
      if (entry.first.type() != "Action") qualified_actions.emplace(entry.first.id(), &entry.first);
    for (const auto& [uid, def] : actions_) {
      if (uid.type() != "Action") continue;
      if (auto it = qualified_actions.find(uid.id()); it != qualified_actions.end())
        error(actions_.at(*it->second).decl->loc, "action `" + it->second->str() + "` shadows `" + uid.str() +
                                                      "` declared in the empty namespace; rename one of them");
    }
  }

  // The primitive or extension type a builtin name denotes, if it is one.
  SchemaTypePtr builtin(const std::string& name) const {
    std::string_view base = name;
    if (base.substr(0, kCedarPrefix.size()) == kCedarPrefix)
      base.remove_prefix(kCedarPrefix.size());
    else if (commons_.count(name) || entities_.count(name))
      return nullptr;  // the alias is shadowed
    auto it = builtins_.find(base);
    return it == builtins_.end() ? nullptr : it->second;
  }

  bool is_common(const std::string& name) const { return commons_.count(name) || builtin(name); }
  bool is_entity(const std::string& name) const { return entities_.count(name) || action_types_.count(name); }

  std::optional<Target> lookup(const std::string& ns, const std::string& written, RefKind kind) const {
    std::vector<std::string> candidates;
    if (!ns.empty() && !is_qualified(written)) candidates.push_back(ns + "::" + written);
    candidates.push_back(written);
    for (std::string& c : candidates) {
      if (kind != RefKind::Entity && is_common(c)) return Target{std::move(c), true};
      if (kind != RefKind::Common && is_entity(c)) return Target{std::move(c), false};
    }
    return std::nullopt;
  }

  void report_unknown(const std::string& ns, const std::string& written, RefKind kind, SourceLoc loc) {
    std::string what = kind == RefKind::Common   ? "a common type"
                       : kind == RefKind::Entity ? "an entity type"
                                                 : "a common or entity type";
    std::string msg = (kind == RefKind::Entity ? "unknown entity type `" : "unknown type `") + written + "`: ";
    if (!ns.empty() && !is_qualified(written))
      msg += "neither `" + ns + "::" + written + "` nor `" + written + "` is declared as " + what;
    else
      msg += "`" + written + "` is not declared as " + what;
    error(loc, std::move(msg));
  }

  // Resolves an entry of an `in`, `principal` or `resource` list.
  std::optional<std::string> resolve_entity_type(const std::string& ns, const RawName& ref) {
    auto target = lookup(ns, ref.name, RefKind::Entity);
    if (!target) {
      report_unknown(ns, ref.name, RefKind::Entity, ref.loc);
      return std::nullopt;
    }
    if (!entities_.count(target->name)) {
      error(ref.loc, "`" + target->name + "` is an action entity type, not a declared entity type");
      return std::nullopt;
    }
    return target->name;
  }

  std::vector<std::string> resolve_entity_types(const std::string& ns, const std::vector<RawName>& refs) {
    std::vector<std::string> out;
    for (const RawName& ref : refs)
      if (auto name = resolve_entity_type(ns, ref); name && std::find(out.begin(), out.end(), *name) == out.end())
        out.push_back(std::move(*name));
    return out;
  }

  // The user-declared common types `t` refers to (without expanding them).
  void common_deps(const std::string& ns, const RawType& t, std::vector<size_t>& out) const {
    switch (t.kind) {
      case RawType::Kind::Set:
        if (t.element) common_deps(ns, *t.element, out);
        break;
      case RawType::Kind::Record:
        for (const RawAttr& a : t.attrs)
          if (a.type) common_deps(ns, *a.type, out);
        break;
      case RawType::Kind::Ref:
        if (auto target = lookup(ns, t.name, t.ref); target && target->common)
          if (auto it = commons_.find(target->name); it != commons_.end()) out.push_back(it->second.index);
        break;
      default: break;
    }
  }

  void expand_common_types() {
    std::vector<const std::pair<const std::string, Def<RawCommonType>>*> nodes;
    std::vector<std::vector<size_t>> deps;
    for (auto& entry : commons_) {
      entry.second.index = nodes.size();
      nodes.push_back(&entry);
    }
    for (const auto* node : nodes) {
      deps.emplace_back();
      common_deps(*node->second.ns, *node->second.decl->type, deps.back());
    }
    TopoOrder topo = topo_order(deps);
    for (const auto& cycle : topo.cycles) {
      std::string path;
      for (size_t i : cycle) path += "`" + nodes[i]->first + "` -> ";
      error(nodes[cycle.front()]->second.decl->name.loc,
            "cycle in common type definitions: " + path + "`" + nodes[cycle.front()]->first + "`");
    }
    for (size_t i : topo.order) {
      const auto& [name, def] = *nodes[i];
      Converted c = convert(*def.ns, *def.decl->type);
      if (c.type) expanded_.emplace(name, c);
    }
  }

  Converted convert(const std::string& ns, const RawType& t) {
    using K = SchemaType::Kind;
    switch (t.kind) {
      case RawType::Kind::Bool: return {bool_type_, 0};
      case RawType::Kind::Long: return {long_type_, 0};
      case RawType::Kind::String: return {string_type_, 0};
      case RawType::Kind::Extension:
        if (!contains(kExtensionTypes, t.name)) {
          error(t.loc, "unknown extension type `" + t.name + "`");
          return {};
        }
        return {builtins_.at(t.name), 0};
      case RawType::Kind::Ref: {
        auto target = lookup(ns, t.name, t.ref);
        if (!target) {
          report_unknown(ns, t.name, t.ref, t.loc);
          return {};
        }
        if (!target->common) return {make_type(K::Entity, target->name), 0};
        if (auto b = builtin(target->name)) return {b, 0};
        auto it = expanded_.find(target->name);
        return it == expanded_.end() ? Converted{} : it->second;  // a cycle, already reported
      }
      case RawType::Kind::Set: {
        Converted el = convert(ns, *t.element);
        if (!el.type) return {};
        auto set = make_type(K::Set);
        set->element = el.type;
        return check_depth({set, el.depth + 1}, t.loc);
      }
      case RawType::Kind::Record: {
        auto rec = std::make_shared<RecordType>();
        int depth = 0;
        bool ok = true;
        for (const RawAttr& a : t.attrs) {
          Converted c = convert(ns, *a.type);
          ok = ok && c.type;
          depth = std::max(depth, c.depth);
          rec->attrs[a.name] = AttrType{c.type, a.required};
        }
        if (!ok) return {};
        auto out = make_type(K::Record);
        out->record = std::move(rec);
        return check_depth({out, depth + 1}, t.loc);
      }
    }
    return {};
  }

  Converted check_depth(Converted c, SourceLoc loc) {
    if (c.depth <= kMaxTypeDepth) return c;
    error(loc, "type nests sets and records more than " + std::to_string(kMaxTypeDepth) + " levels deep");
    return {};
  }

  // A shape or context: absent is the empty record, anything else must be a record.
  RecordType record_or_error(const std::string& ns, const RawTypePtr& raw, const std::string& what) {
    if (!raw) return {};
    Converted c = convert(ns, *raw);
    if (!c.type) return {};
    if (c.type->kind != SchemaType::Kind::Record) {
      error(raw->loc, what + " must be a record type");
      return {};
    }
    return *c.type->record;
  }

  EntityTypeDecl build_entity(const std::string& name, const Def<RawEntity>& def) {
    const RawEntity& raw = *def.decl;
    EntityTypeDecl out;
    out.name = name;
    out.loc = raw.name.loc;
    out.member_of = resolve_entity_types(*def.ns, raw.member_of);
    out.shape = record_or_error(*def.ns, raw.shape, "the shape of entity type `" + name + "`");
    if (raw.tags) out.tags = convert(*def.ns, *raw.tags).type;
    out.enum_ids = raw.enum_ids;
    return out;
  }

  ActionDecl build_action(const EntityUID& uid, const Def<RawAction>& def) {
    const RawAction& raw = *def.decl;
    const std::string& ns = *def.ns;
    ActionDecl out;
    out.uid = uid;
    out.loc = raw.loc;
    for (const RawActionRef& ref : raw.member_of) {
      std::string type = ref.type.value_or("Action");
      std::vector<std::string> candidates;
      if (!ns.empty() && !is_qualified(type)) candidates.push_back(ns + "::" + type);
      candidates.push_back(type);
      auto found = std::find_if(candidates.begin(), candidates.end(),
                                [&](const std::string& c) { return actions_.count(EntityUID(c, ref.id)) > 0; });
      if (found == candidates.end()) {
        error(ref.loc,
              "action `" + uid.str() + "` is a member of undeclared action `" + EntityUID(type, ref.id).str() + "`");
        continue;
      }
      EntityUID parent(*found, ref.id);
      if (std::find(out.member_of.begin(), out.member_of.end(), parent) == out.member_of.end())
        out.member_of.push_back(std::move(parent));
    }
    out.principals = resolve_entity_types(ns, raw.principals);
    out.resources = resolve_entity_types(ns, raw.resources);
    // An empty principal or resource list admits no request, like a missing appliesTo.
    out.has_applies_to = raw.has_applies_to && !out.principals.empty() && !out.resources.empty();
    out.context = record_or_error(ns, raw.context, "the context of action `" + uid.str() + "`");
    return out;
  }

  void check_action_cycles(const Schema& schema) {
    std::vector<const ActionDecl*> nodes;
    std::map<EntityUID, size_t> index;
    for (const auto& [uid, decl] : schema.actions) {
      index.emplace(uid, nodes.size());
      nodes.push_back(&decl);
    }
    std::vector<std::vector<size_t>> deps(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i)
      for (const EntityUID& parent : nodes[i]->member_of) deps[i].push_back(index.at(parent));
    for (const auto& cycle : topo_order(deps).cycles) {
      std::string path;
      for (size_t i : cycle) path += "`" + nodes[i]->uid.str() + "` -> ";
      error(nodes[cycle.front()]->loc,
            "cycle in action hierarchy: " + path + "`" + nodes[cycle.front()]->uid.str() + "`");
    }
  }

  const std::vector<RawNamespace>& namespaces_;
  std::string file_;
  std::vector<Diagnostic>& diags_;
  std::map<std::string, Def<RawCommonType>> commons_;
  std::map<std::string, Def<RawEntity>> entities_;
  std::map<EntityUID, Def<RawAction>> actions_;
  std::set<std::string> action_types_;
  std::map<std::string, Converted> expanded_;
  SchemaTypePtr bool_type_ = make_type(SchemaType::Kind::Bool);
  SchemaTypePtr long_type_ = make_type(SchemaType::Kind::Long);
  SchemaTypePtr string_type_ = make_type(SchemaType::Kind::String);
  std::map<std::string_view, SchemaTypePtr> builtins_ = [this] {
    std::map<std::string_view, SchemaTypePtr> m = {
        {"Bool", bool_type_}, {"Long", long_type_}, {"String", string_type_}};
    for (std::string_view ext : kExtensionTypes)
      m.emplace(ext, make_type(SchemaType::Kind::Extension, std::string(ext)));
    return m;
  }();
};

}  // namespace

bool is_reserved_word(std::string_view s) { return contains(kReservedWords, s); }

bool is_ident(std::string_view s) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (s.empty() || !alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return !is_reserved_word(s);
}

bool is_path(std::string_view s) {
  while (true) {
    size_t p = s.find("::");
    if (!is_ident(s.substr(0, p))) return false;
    if (p == std::string_view::npos) return true;
    s.remove_prefix(p + 2);
  }
}

Error schema_error(std::vector<Diagnostic> diags) {
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::pair(a.loc.line, a.loc.col) < std::pair(b.loc.line, b.loc.col);
  });
  std::string summary = diags.empty() ? "invalid schema" : diags.front().str();
  if (diags.size() > 1) summary += " (and " + std::to_string(diags.size() - 1) + " more errors)";
  return Error(std::move(summary), std::move(diags));
}

Result<Schema> resolve_schema(const std::vector<RawNamespace>& namespaces, std::string_view file) {
  std::vector<Diagnostic> diags;
  Schema schema = Resolver(namespaces, file, diags).run();
  if (!diags.empty()) return schema_error(std::move(diags));
  return schema;
}

}  // namespace schema_detail

Result<Schema> parse_schema(std::string_view text, std::string_view file) {
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // a UTF-8 byte order mark
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  if (i < text.size() && text[i] == '{') return parse_schema_json(text, file);
  return parse_schema_text(text, file);
}

}  // namespace tollgate::cedar
