// The JSON schema format. nlohmann's SAX parser (iterative, UTF-8 checking)
// feeds a small document-order tree; its DOM-with-callback parser is avoided
// because it rescans a parent object on every nested object it closes, which
// is quadratic on schemas with many entity types. A separate linear scan of
// the text finds where each value and key starts, so errors point at the
// offending value. Nesting deeper than 128 and repeated keys are rejected.
// The tree is then checked field by field into the raw schema form, which
// the shared resolver (schema.cc) resolves.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "cedar/schema_internal.h"

namespace tollgate::cedar {
namespace {

using namespace schema_detail;

constexpr size_t kMaxJsonDepth = 128;
constexpr size_t kMaxErrors = 100;

struct JMember;

struct JValue {
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  std::string str;
  std::vector<JValue> items;
  std::vector<JMember> members;  // in document order
  size_t index = 0;              // among all values, in document order
};

struct JMember {
  std::string key;
  JValue value;
  size_t key_index = 0;  // among all keys, in document order
};

const char* json_kind_name(JValue::Kind k) {
  static constexpr const char* kNames[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
  return kNames[static_cast<int>(k)];
}

// Builds the tree from nlohmann's SAX events.
class TreeBuilder {
 public:
  using json = nlohmann::json;

  JValue root;
  std::optional<size_t> too_deep;                        // index of the value nested too deep
  std::vector<const JMember*> duplicates;                // repeated keys
  std::optional<std::pair<size_t, std::string>> syntax;  // byte offset and message

  bool null() { return add(JValue::Kind::Null), true; }
  bool boolean(bool b) { return add(JValue::Kind::Bool).boolean = b, true; }
  bool number_integer(json::number_integer_t) { return add(JValue::Kind::Number), true; }
  bool number_unsigned(json::number_unsigned_t) { return add(JValue::Kind::Number), true; }
  bool number_float(json::number_float_t, const std::string&) { return add(JValue::Kind::Number), true; }
  bool string(std::string& s) { return add(JValue::Kind::String).str = std::move(s), true; }
  bool binary(json::binary_t&) { return add(JValue::Kind::Null), true; }
  bool start_object(size_t) { return open(JValue::Kind::Object); }
  bool start_array(size_t) { return open(JValue::Kind::Array); }
  bool key(std::string& k) {
    open_.back()->members.push_back({std::move(k), {}, keys_++});
    return true;
  }
  bool end_array() { return open_.pop_back(), true; }
  bool end_object() {
    const auto& members = open_.back()->members;
    std::vector<const JMember*> sorted;
    sorted.reserve(members.size());
    for (const JMember& m : members) sorted.push_back(&m);
    std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->key < b->key; });
    for (size_t i = 1; i < sorted.size(); ++i)
      if (sorted[i]->key == sorted[i - 1]->key) duplicates.push_back(sorted[i]);
    open_.pop_back();
    return true;
  }
  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    std::string msg = ex.what();
    if (size_t p = msg.find(": ", msg.find("column")); p != std::string::npos) msg = msg.substr(p + 2);
    syntax.emplace(position > 0 ? position - 1 : 0, "invalid JSON: " + msg);
    return false;
  }

 private:
  JValue& add(JValue::Kind kind) {
    JValue* v = &root;
    if (!open_.empty()) {
      JValue& parent = *open_.back();
      v = parent.kind == JValue::Kind::Array ? &parent.items.emplace_back() : &parent.members.back().value;
    }
    v->kind = kind;
    v->index = values_++;
    return *v;
  }
  bool open(JValue::Kind kind) {
    if (open_.size() >= kMaxJsonDepth) {
      too_deep = values_;
      return false;
    }
    open_.push_back(&add(kind));
    return true;
  }

  std::vector<JValue*> open_;  // containers being filled, innermost last
  size_t values_ = 0, keys_ = 0;
};

// Where each value and each key starts, in document order. Only the part of
// the text that nlohmann accepted is relied upon.
struct TextPositions {
  std::vector<size_t> values, keys;
  std::vector<size_t> line_starts{0};
  std::vector<size_t> continuation_bytes;  // of multi-byte UTF-8 characters, not counted as columns

  explicit TextPositions(std::string_view t) {
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    if (t.substr(0, 3) == "\xEF\xBB\xBF") continuation_bytes.push_back(0);  // a byte order mark takes no column
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\n') line_starts.push_back(i + 1);
      if ((static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) continuation_bytes.push_back(i);
    }
    for (size_t i = t.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; i < t.size();) {  // after a byte order mark
      char c = t[i];
      if (ws(c) || c == ':' || c == ',' || c == '}' || c == ']') {
        ++i;
      } else if (c == '{' || c == '[') {
        values.push_back(i++);
      } else if (c == '"') {
        size_t j = i + 1;
        while (j < t.size() && t[j] != '"') j += t[j] == '\\' ? 2 : 1;
        size_t k = j + 1;
        while (k < t.size() && ws(t[k])) ++k;
        (k < t.size() && t[k] == ':' ? keys : values).push_back(i);
        i = j + 1;
      } else {
        values.push_back(i);
        while (i < t.size() && !ws(t[i]) && std::string_view(",:}]").find(t[i]) == std::string_view::npos) ++i;
      }
    }
  }

  SourceLoc at(size_t offset) const {
    auto line = std::upper_bound(line_starts.begin(), line_starts.end(), offset) - 1;
    auto count = [&](size_t off) {
      return std::lower_bound(continuation_bytes.begin(), continuation_bytes.end(), off) - continuation_bytes.begin();
    };
    size_t col = offset - *line + 1 - static_cast<size_t>(count(offset) - count(*line));
    return {static_cast<uint32_t>(line - line_starts.begin() + 1), static_cast<uint32_t>(col)};
  }
  SourceLoc value(const JValue& v) const { return v.index < values.size() ? at(values[v.index]) : SourceLoc{}; }
  SourceLoc key(const JMember& m) const { return m.key_index < keys.size() ? at(keys[m.key_index]) : SourceLoc{}; }
};

// Checks the tree against the JSON schema format and builds the raw form.
class Converter {
 public:
  Converter(const TextPositions& pos, std::string_view file) : pos_(pos), file_(file) {}

  std::vector<Diagnostic> diags;

  std::vector<RawNamespace> run(const JValue& root) {
    std::vector<RawNamespace> out;
    try {
      if (expect_kind(root, Kind::Object, "the schema"))
        for (const JMember& m : root.members) namespace_def(m, out);
    } catch (const TooManyErrors&) {
    }
    return out;
  }

 private:
  struct TooManyErrors {};
  using Kind = JValue::Kind;

  void error(SourceLoc loc, std::string message) {
    diags.push_back({file_, loc, std::move(message)});
    if (diags.size() >= kMaxErrors) {
      diags.push_back({file_, loc, "too many errors; giving up"});
      throw TooManyErrors{};
    }
  }

  bool expect_kind(const JValue& v, Kind kind, const std::string& what) {
    if (v.kind == kind) return true;
    error(pos_.value(v), what + " must be " + json_kind_name(kind) + ", not " + json_kind_name(v.kind));
    return false;
  }

  static const JMember* field(const JValue& obj, std::string_view key) {
    for (const JMember& m : obj.members)
      if (m.key == key) return &m;
    return nullptr;
  }

  // Reports members of `obj` not in `allowed`.
  void only_fields(const JValue& obj, std::initializer_list<std::string_view> allowed, const std::string& what) {
    for (const JMember& m : obj.members) {
      if (std::find(allowed.begin(), allowed.end(), m.key) != allowed.end()) continue;
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "`" : ", `") + std::string(a) + "`";
      error(pos_.key(m), "unknown field `" + m.key + "` in " + what + "; expected one of " + list);
    }
  }

  // A field that may be absent; JSON null counts as absent only if `null_ok`.
  const JValue* optional(const JValue& obj, std::string_view key, Kind kind, const std::string& what,
                         bool null_ok = false) {
    const JMember* m = field(obj, key);
    if (!m || (null_ok && m->value.kind == Kind::Null)) return nullptr;
    return expect_kind(m->value, kind, "`" + std::string(key) + "` of " + what) ? &m->value : nullptr;
  }

  const JValue* required(const JValue& obj, std::string_view key, Kind kind, const std::string& what) {
    if (!field(obj, key)) {
      error(pos_.value(obj), what + " is missing the required field `" + std::string(key) + "`");
      return nullptr;
    }
    return optional(obj, key, kind, what);
  }

  void annotations(const JValue& obj, const std::string& what) {
    const JValue* a = optional(obj, "annotations", Kind::Object, what);
    if (!a) return;
    for (const JMember& m : a->members) {
      if (!is_ident(m.key) && !is_reserved_word(m.key))
        error(pos_.key(m), "annotation name `" + m.key + "` is not an identifier");
      if (m.value.kind != Kind::String && m.value.kind != Kind::Null)
        error(pos_.value(m.value), "annotation `" + m.key + "` must have a string value");
    }
  }

  std::vector<RawName> paths(const JValue& arr, const std::string& what) {
    std::vector<RawName> out;
    for (const JValue& v : arr.items) {
      if (!expect_kind(v, Kind::String, "each entry of " + what)) continue;
      if (!is_path(v.str))
        error(pos_.value(v), "`" + v.str + "` in " + what + " is not a valid type name");
      else
        out.push_back({v.str, pos_.value(v)});
    }
    return out;
  }

  void namespace_def(const JMember& m, std::vector<RawNamespace>& out) {
    std::string what = m.key.empty() ? "the empty namespace" : "namespace `" + m.key + "`";
    if (!m.key.empty() && !is_path(m.key)) {
      error(pos_.key(m), "`" + m.key + "` is not a valid namespace name");
      return;
    }
    const JValue& v = m.value;
    if (!expect_kind(v, Kind::Object, what)) return;
    if ((m.key == "entityTypes" || m.key == "actions" || m.key == "commonTypes") && !field(v, "entityTypes")) {
      if (std::exchange(hinted_, true)) return;
      error(pos_.key(m),
            "a JSON schema maps namespace names to namespace definitions; write the empty namespace as "
            "`{\"\": {\"entityTypes\": ..., \"actions\": ...}}`");
      return;
    }
    only_fields(v, {"commonTypes", "entityTypes", "actions", "annotations"}, what);
    if (m.key.empty() && field(v, "annotations"))
      error(pos_.key(*field(v, "annotations")), "the empty namespace cannot have annotations");
    annotations(v, what);
    RawNamespace ns{m.key, pos_.key(m), {}, {}, {}};
    if (const JValue* cts = optional(v, "commonTypes", Kind::Object, what)) {
      for (const JMember& ct : cts->members) {
        if (!is_ident(ct.key)) {
          error(pos_.key(ct), "`" + ct.key + "` is not a valid common type name");
          continue;
        }
        std::string ct_what = "common type `" + ct.key + "`";
        if (RawTypePtr t = type(ct.value, ct_what, {"annotations"}, nullptr))
          ns.common_types.push_back({{ct.key, pos_.key(ct)}, t});
        if (ct.value.kind == Kind::Object) annotations(ct.value, ct_what);
      }
    }
    if (const JValue* ets = required(v, "entityTypes", Kind::Object, what))
      for (const JMember& et : ets->members) entity_type(et, ns);
    if (const JValue* acts = required(v, "actions", Kind::Object, what))
      for (const JMember& a : acts->members) action(a, ns);
    out.push_back(std::move(ns));
  }

  void entity_type(const JMember& m, RawNamespace& ns) {
    if (!is_ident(m.key)) {
      error(pos_.key(m), "`" + m.key + "` is not a valid entity type name");
      return;
    }
    std::string what = "entity type `" + m.key + "`";
    const JValue& v = m.value;
    if (!expect_kind(v, Kind::Object, what)) return;
    only_fields(v, {"memberOfTypes", "shape", "tags", "enum", "annotations"}, what);
    annotations(v, what);
    RawEntity e;
    e.name = {m.key, pos_.key(m)};
    if (const JValue* ids = optional(v, "enum", Kind::Array, what)) {
      for (const char* other : {"memberOfTypes", "shape", "tags"})
        if (const JMember* f = field(v, other))
          error(pos_.key(*f), "enumerated " + what + " cannot have `" + other + "`");
      if (ids->items.empty()) error(pos_.value(*ids), "`enum` of " + what + " must list at least one entity id");
      e.enum_ids.emplace();
      for (const JValue& id : ids->items)
        if (expect_kind(id, Kind::String, "each entry of `enum`")) e.enum_ids->push_back(id.str);
    }
    if (const JValue* parents = optional(v, "memberOfTypes", Kind::Array, what))
      e.member_of = paths(*parents, "`memberOfTypes` of " + what);
    if (const JMember* shape = field(v, "shape")) e.shape = type(shape->value, "the shape of " + what, {}, nullptr);
    if (const JMember* tags = field(v, "tags")) e.tags = type(tags->value, "the tags of " + what, {}, nullptr);
    ns.entities.push_back(std::move(e));
  }

  void action(const JMember& m, RawNamespace& ns) {
    std::string what = "action `" + m.key + "`";
    const JValue& v = m.value;
    if (!expect_kind(v, Kind::Object, what)) return;
    only_fields(v, {"attributes", "appliesTo", "memberOf", "annotations"}, what);
    annotations(v, what);
    RawAction a;
    a.name = m.key;
    a.loc = pos_.key(m);
    if (const JMember* attrs = field(v, "attributes"); attrs && attrs->value.kind != Kind::Null)
      error(pos_.key(*attrs), what + " declares `attributes`, which Cedar schemas no longer support");
    if (const JValue* groups = optional(v, "memberOf", Kind::Array, what, true)) {
      for (const JValue& g : groups->items) {
        if (!expect_kind(g, Kind::Object, "each entry of `memberOf`")) continue;
        only_fields(g, {"id", "type"}, "an action reference");
        const JValue* id = required(g, "id", Kind::String, "an action reference");
        const JValue* t = optional(g, "type", Kind::String, "an action reference", true);
        if (t && !is_path(t->str)) error(pos_.value(*t), "`" + t->str + "` is not a valid action entity type");
        if (id) a.member_of.push_back({t ? std::optional(t->str) : std::nullopt, id->str, pos_.value(g)});
      }
    }
    if (const JValue* spec = optional(v, "appliesTo", Kind::Object, what, true)) {
      std::string spec_what = "the `appliesTo` of " + what;
      only_fields(*spec, {"principalTypes", "resourceTypes", "context"}, spec_what);
      a.has_applies_to = true;
      if (const JValue* p = required(*spec, "principalTypes", Kind::Array, spec_what))
        a.principals = paths(*p, "`principalTypes` of " + what);
      if (const JValue* r = required(*spec, "resourceTypes", Kind::Array, spec_what))
        a.resources = paths(*r, "`resourceTypes` of " + what);
      if (const JMember* ctx = field(*spec, "context"))
        a.context = type(ctx->value, "the context of " + what, {}, nullptr);
    }
    ns.actions.push_back(std::move(a));
  }

  // A type object. `extra` lists the non-type fields the caller allows
  // (`annotations`, `required`); `required` receives the latter.
  RawTypePtr type(const JValue& v, const std::string& what, std::initializer_list<std::string_view> extra,
                  bool* required_out) {
    if (!expect_kind(v, Kind::Object, what)) return nullptr;
    std::vector<std::string_view> allowed = {"type", "element", "attributes", "additionalAttributes", "name"};
    allowed.insert(allowed.end(), extra.begin(), extra.end());
    for (const JMember& m : v.members)
      if (std::find(allowed.begin(), allowed.end(), m.key) == allowed.end())
        error(pos_.key(m), "unknown field `" + m.key + "` in " + what);
    if (required_out)
      if (const JValue* r = optional(v, "required", Kind::Bool, what)) *required_out = r->boolean;
    const JValue* tag = required(v, "type", Kind::String, what);
    if (!tag) return nullptr;
    auto t = std::make_shared<RawType>();
    t->loc = pos_.value(v);
    const std::string& name = tag->str;
    // Which of the type-specific fields this kind of type takes.
    std::vector<std::string_view> takes;
    if (name == "Boolean" || name == "Long" || name == "String") {
      t->kind = name == "Boolean" ? RawType::Kind::Bool : name == "Long" ? RawType::Kind::Long : RawType::Kind::String;
    } else if (name == "Set") {
      takes = {"element"};
      t->kind = RawType::Kind::Set;
      if (const JMember* el = field(v, "element"))
        t->element = type(el->value, "the element type of " + what, {}, nullptr);
      else
        error(t->loc, "Set type in " + what + " is missing `element`");
      if (!t->element) t = nullptr;
    } else if (name == "Record") {
      takes = {"attributes", "additionalAttributes"};
      t->kind = RawType::Kind::Record;
      record_attributes(v, *t, what);
    } else if (name == "Entity" || name == "EntityOrCommon" || name == "Extension") {
      takes = {"name"};
      const JValue* n = required(v, "name", Kind::String, name + " type in " + what);
      bool ok = n && (name == "Extension" ? is_ident(n->str) : is_path(n->str));
      if (n && !ok)
        error(pos_.value(*n),
              "`" + n->str + "` is not a valid " + (name == "Extension" ? "extension" : "type") + " name");
      if (!ok) return nullptr;
      t->kind = name == "Extension" ? RawType::Kind::Extension : RawType::Kind::Ref;
      t->ref = name == "Entity" ? RawType::RefKind::Entity : RawType::RefKind::CommonOrEntity;
      t->name = n->str;
      t->loc = pos_.value(*n);
    } else if (is_path(name)) {
      t->kind = RawType::Kind::Ref;
      t->ref = RawType::RefKind::Common;
      t->name = name;
      t->loc = pos_.value(*tag);
    } else {
      error(pos_.value(*tag), "`" + name + "` is not a valid type name");
      return nullptr;
    }
    for (const JMember& m : v.members) {
      bool type_field =
          m.key == "element" || m.key == "attributes" || m.key == "additionalAttributes" || m.key == "name";
      if (type_field && std::find(takes.begin(), takes.end(), m.key) == takes.end())
        error(pos_.key(m), "a `" + name + "` type cannot have `" + m.key + "`");
    }
    return t;
  }

  void record_attributes(const JValue& v, RawType& t, const std::string& what) {
    if (const JValue* open = optional(v, "additionalAttributes", Kind::Bool, what); open && open->boolean)
      error(pos_.value(*open), "`additionalAttributes: true` is not supported; records and entities are closed");
    const JValue* attrs = required(v, "attributes", Kind::Object, "Record type in " + what);
    if (!attrs) return;
    for (const JMember& m : attrs->members) {
      RawAttr a;
      a.name = m.key;
      std::string attr_what = "attribute `" + m.key + "`";
      a.type = type(m.value, attr_what, {"annotations", "required"}, &a.required);
      if (m.value.kind == Kind::Object) annotations(m.value, attr_what);
      if (a.type) t.attrs.push_back(std::move(a));
    }
  }

  const TextPositions& pos_;
  std::string file_;
  bool hinted_ = false;  // explained the namespace level once
};

}  // namespace

Result<Schema> parse_schema_json(std::string_view text, std::string_view file) {
  TextPositions pos(text);
  TreeBuilder tree;
  std::vector<Diagnostic> diags;
  try {
    nlohmann::json::sax_parse(text.begin(), text.end(), &tree);
  } catch (const std::exception& e) {
    diags.push_back({std::string(file), {}, std::string("invalid JSON: ") + e.what()});
  }
  if (tree.syntax) {
    diags.push_back({std::string(file), pos.at(tree.syntax->first), tree.syntax->second});
  } else if (tree.too_deep) {
    SourceLoc loc = *tree.too_deep < pos.values.size() ? pos.at(pos.values[*tree.too_deep]) : SourceLoc{};
    diags.push_back({std::string(file), loc, "JSON nests more than " + std::to_string(kMaxJsonDepth) + " levels deep"});
  }
  for (const JMember* m : tree.duplicates)
    diags.push_back({std::string(file), pos.key(*m), "duplicate key `" + m->key + "`"});
  if (!diags.empty()) return schema_detail::schema_error(std::move(diags));
  Converter conv(pos, file);
  std::vector<schema_detail::RawNamespace> namespaces = conv.run(tree.root);
  if (!conv.diags.empty()) return schema_detail::schema_error(std::move(conv.diags));
  return schema_detail::resolve_schema(namespaces, file);
}

}  // namespace tollgate::cedar
