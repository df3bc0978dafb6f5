#include "cedar/json_data.h"

#include <set>
#include <vector>

#include "cedar/cedar.h"
#include "cedar/extensions.h"
#include "cedar/json_internal.h"
#include "cedar/json_lite.h"

namespace tollgate::cedar {

using nlohmann::json;

namespace detail {

SourceLoc loc_of(std::string_view text, size_t pos) {
  SourceLoc loc{1, 1};
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++loc.col;
    }
  }
  return loc;
}

namespace {

// Builds a json document from SAX events, refusing duplicate keys and
// nesting deeper than kMaxJsonDepth. (nlohmann's callback parser would do
// the same checks but rescans every parent object when a child closes,
// which is quadratic in the number of entities.)
class BoundedBuilder {
 public:
  explicit BoundedBuilder(json& root) : root_(root) {}

  bool null() { return put(json(nullptr)); }
  bool boolean(bool v) { return put(json(v)); }
  bool number_integer(json::number_integer_t v) { return put(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return put(json(v)); }
  bool number_float(json::number_float_t v, const std::string&) { return put(json(v)); }
  bool string(json::string_t& v) { return put(json(std::move(v))); }
  bool binary(json::binary_t&) { return fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    json* obj = stack_.back();
    if (obj->contains(k)) return fail("duplicate key `" + k + "` in a JSON object");
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& e) {
    syntax_pos_ = pos;
    std::string msg = e.what();
    if (auto p = msg.find("; last read"); p != std::string::npos) msg = msg.substr(0, p);
    if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
    error_ = "invalid JSON: " + msg;
    return false;
  }

  const std::string& error() const { return error_; }
  size_t syntax_pos() const { return syntax_pos_; }

 private:
  bool fail(std::string msg) {
    error_ = std::move(msg);
    return false;
  }
  // Places a value in the current container (or as the root) and returns
  // its address.
  json* place(json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(v));
      return &top->back();
    }
    return &((*top)[key_] = std::move(v));
  }
  bool put(json v) {
    place(std::move(v));
    return true;
  }
  bool open(json v) {
    if (static_cast<int>(stack_.size()) >= kMaxJsonDepth) {
      return fail("JSON nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");
    }
    stack_.push_back(place(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  std::vector<json*> stack_;
  std::string key_;
  std::string error_;
  size_t syntax_pos_ = SIZE_MAX;
};

}  // namespace

Result<json> parse_json(std::string_view text, std::string_view file) {
  json root;
  BoundedBuilder builder(root);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, /*strict=*/true);
  } catch (const std::exception& e) {
    return Error("invalid JSON", {Diagnostic{std::string(file), {1, 1}, std::string("invalid JSON: ") + e.what()}});
  }
  if (ok) return root;
  SourceLoc loc{1, 1};
  if (builder.syntax_pos() != SIZE_MAX) loc = loc_of(text, builder.syntax_pos() > 0 ? builder.syntax_pos() - 1 : 0);
  std::string msg = builder.error().empty() ? std::string("invalid JSON") : builder.error();
  return Error(msg, {Diagnostic{std::string(file), loc, msg}});
}

}  // namespace detail

namespace {

// Diagnostics kept per input; past this only the count grows.
constexpr size_t kMaxDiagnostics = 100;

bool ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

bool reserved_word(std::string_view w) {
  // Read for every entity reference of every request: a switch on the
  // length spares the search.
  switch (w.size()) {
    case 2: return w == "if" || w == "in" || w == "is";
    case 3: return w == "has";
    case 4: return w == "true" || w == "then" || w == "else" || w == "like";
    case 5: return w == "false";
    case 7: return w == "__cedar";
    default: return false;
  }
}

bool valid_name(std::string_view n) {
  // IDENT {'::' IDENT}, no reserved words. (ASCII classes: the process
  // never leaves the "C" locale, where isalpha and isalnum mean these.)
  size_t i = 0;
  while (true) {
    size_t start = i;
    if (i >= n.size() || !ident_start(static_cast<unsigned char>(n[i]))) return false;
    while (i < n.size() && ident_char(static_cast<unsigned char>(n[i]))) ++i;
    if (reserved_word(n.substr(start, i - start))) return false;
    if (i == n.size()) return true;
    if (n.substr(i, 2) != "::") return false;
    i += 2;
  }
}

// The keys a request object may have (the corpus' own keys are allowed).
bool request_key(std::string_view k) {
  switch (k.size()) {
    case 6: return k == "action" || k == "errors" || k == "reason";
    case 7: return k == "context";
    case 8: return k == "resource" || k == "decision";
    case 9: return k == "principal";
    case 11: return k == "description";
    case 15: return k == "validateRequest";
    default: return false;
  }
}

template <class J>
std::string json_kind(const J& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a floating-point number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported JSON value";
  }
}

// The text of a string node, without a copy.
std::string_view str_view(const json& j) { return j.get_ref<const std::string&>(); }
std::string_view str_view(const detail::LiteJson& j) { return j.str(); }

template <class J>
Result<EntityUID> uid_fields(const J& j) {
  if (!j.is_object()) return Error("expected an entity reference {\"type\": …, \"id\": …}, found " + json_kind(j));
  // Other keys are ignored, as the reference does.
  auto t = j.find("type");
  auto i = j.find("id");
  if (t == j.end() || i == j.end()) return Error("an entity reference needs the keys `type` and `id`");
  if (!t->is_string()) return Error("entity `type` must be a string");
  if (!i->is_string()) return Error("entity `id` must be a string");
  std::string_view type = str_view(*t);
  if (!valid_name(type)) return Error("`" + std::string(type) + "` is not a valid entity type name");
  return EntityUID::of(type, str_view(*i));
}

std::string type_desc(const SchemaType& t) {
  switch (t.kind) {
    case SchemaType::Kind::Bool: return "Bool";
    case SchemaType::Kind::Long: return "Long";
    case SchemaType::Kind::String: return "String";
    case SchemaType::Kind::Set: return "Set<" + type_desc(*t.element) + ">";
    case SchemaType::Kind::Record: return "a record";
    case SchemaType::Kind::Entity: return "(entity of type `" + t.name + "`)";
    case SchemaType::Kind::Extension: return t.name;
  }
  return "?";
}

// The implicit form of an extension value: the constructor's string.
template <class J>
Result<Value> ext_from_json(std::string_view ctor, const J& arg) {
  const FnInfo* info = lookup_function(ctor);
  if (!info) return Error("unknown extension type `" + std::string(ctor) + "`");
  Value args[2] = {Value(arg.template get<std::string>()), Value()};
  return call_function(*info, ctor, args, nullptr);
}

std::string_view ext_ctor(std::string_view ext_type) {
  if (ext_type == "ipaddr") return "ip";
  return ext_type;
}

template <class J>
bool is_uid_shape(const J& j) {
  if (!j.is_object()) return false;
  auto t = j.find("type");
  auto i = j.find("id");
  return t != j.end() && i != j.end() && t->is_string() && i->is_string();
}

template <class J>
bool is_extn_shape(const J& j) {
  if (!j.is_object()) return false;
  auto fn = j.find("fn");
  if (fn == j.end() || !fn->is_string()) return false;
  auto args = j.find("args");
  return j.contains("arg") || (args != j.end() && args->is_array());
}

// Converts a JSON value to a Cedar value. `expected` (may be null) directs
// the implicit forms and is checked when present.
class ValueReader {
 public:
  explicit ValueReader(const Schema* schema) : schema_(schema) {}

  template <class J>
  Result<Value> read(const J& j, const SchemaType* expected, int depth = 0) {
    if (depth > kMaxJsonDepth) return Error("value nested too deeply");
    using SK = SchemaType::Kind;
    if (expected && expected->kind == SK::Extension && j.is_string()) {
      return ext_from_json(ext_ctor(expected->name), j);
    }
    switch (j.type()) {
      case json::value_t::boolean:
        if (expected && expected->kind != SK::Bool) return mismatch(j, *expected);
        return Value(j.template get<bool>());
      case json::value_t::number_integer:
        if (expected && expected->kind != SK::Long) return mismatch(j, *expected);
        return Value(j.template get<int64_t>());
      case json::value_t::number_unsigned: {
        if (expected && expected->kind != SK::Long) return mismatch(j, *expected);
        uint64_t u = j.template get<uint64_t>();
        if (u > static_cast<uint64_t>(INT64_MAX)) return Error("integer " + std::to_string(u) + " is out of range");
        return Value(static_cast<int64_t>(u));
      }
      case json::value_t::number_float: return Error("floating-point numbers are not Cedar values; use decimal");
      case json::value_t::string:
        if (expected && expected->kind != SK::String) return mismatch(j, *expected);
        return Value(j.template get<std::string>());
      case json::value_t::array: {
        if (expected && expected->kind != SK::Set) return mismatch(j, *expected);
        SetElems elems;
        elems.reserve(j.size());
        for (const auto& x : j) {
          auto v = read(x, expected ? expected->element.get() : nullptr, depth + 1);
          if (!v) return v;
          elems.push_back(std::move(v).value());
        }
        return Value::set(std::move(elems));
      }
      case json::value_t::object: return object(j, expected, depth);
      default: return Error("null is not a Cedar value");
    }
  }

  // Reads a record against a record type (or freely when `rt` is null).
  template <class J>
  Result<Value> record(const J& j, const RecordType* rt, int depth, std::string_view what) {
    if (!j.is_object()) return Error(std::string(what) + " must be a JSON object, found " + json_kind(j));
    RecordFields fields;
    fields.reserve(j.size());
    for (auto it = j.begin(); it != j.end(); ++it) {
      const SchemaType* at = nullptr;
      if (rt) {
        auto a = rt->attrs.find(it.key());
        if (a == rt->attrs.end()) {
          if (!rt->open) return Error("attribute `" + it.key() + "` is not declared in the schema");
        } else {
          at = a->second.type.get();
        }
      }
      auto v = read(it.value(), at, depth + 1);
      if (!v) return Error("attribute `" + it.key() + "`: " + v.error().message);
      fields.emplace_back(it.key(), std::move(v).value());
    }
    if (rt) {
      for (const auto& [name, a] : rt->attrs) {
        if (a.required && !j.contains(name)) return Error("required attribute `" + name + "` is missing");
      }
    }
    return Value::record(std::move(fields));
  }

 private:
  template <class J>
  Result<Value> mismatch(const J& j, const SchemaType& t) {
    return Error("type mismatch: expected " + type_desc(t) + ", found " + json_kind(j));
  }

  template <class J>
  Result<Value> object(const J& j, const SchemaType* expected, int depth) {
    using SK = SchemaType::Kind;
    // The escapes apply only when the object is exactly the escape with a
    // payload of the right shape; anything else is an ordinary record.
    if (j.size() == 1 && j.contains("__expr")) return Error("the `__expr` escape is no longer supported");
    if (j.size() == 1 && j.contains("__entity") && is_uid_shape(j["__entity"])) {
      auto uid = uid_fields(j["__entity"]);
      if (!uid) return std::move(uid).error();
      return check_entity(std::move(uid).value(), expected);
    }
    if (j.size() == 1 && j.contains("__extn") && is_extn_shape(j["__extn"])) {
      auto v = extn(j["__extn"], depth);
      if (!v) return v;
      if (expected && !(expected->kind == SK::Extension && kind_name(v->kind()) == expected->name)) {
        return Error("type mismatch: expected " + type_desc(*expected) + ", found " +
                     std::string(kind_name(v->kind())));
      }
      return v;
    }
    if (expected && expected->kind == SK::Entity) {
      auto uid = uid_fields(j);
      if (!uid) return std::move(uid).error();
      return check_entity(std::move(uid).value(), expected);
    }
    if (expected && expected->kind == SK::Extension) {
      auto v = extn(j, depth);
      if (!v) return v;
      if (kind_name(v->kind()) != expected->name) {
        return Error("type mismatch: expected " + expected->name + ", found " + std::string(kind_name(v->kind())));
      }
      return v;
    }
    if (expected && expected->kind != SK::Record) return mismatch(j, *expected);
    return record(j, expected ? expected->record.get() : nullptr, depth, "a record");
  }

  Result<Value> check_entity(EntityUID uid, const SchemaType* expected) {
    if (expected && (expected->kind != SchemaType::Kind::Entity || expected->name != uid.type())) {
      return Error("type mismatch: expected " + type_desc(*expected) + ", found (entity of type `" + uid.type() + "`)");
    }
    if (schema_ && expected) {
      if (const EntityTypeDecl* d = schema_->entity_type(uid.type()); d && d->enum_ids) {
        if (std::find(d->enum_ids->begin(), d->enum_ids->end(), uid.id()) == d->enum_ids->end()) {
          return Error("`" + uid.str() + "` is not one of the values of the enumerated type `" + uid.type() + "`");
        }
      }
    }
    return Value(std::move(uid));
  }

  // `{"fn": name, "arg": x}` or `{"fn": name, "args": [x, …]}`: any extension
  // function applied to its arguments, e.g. offset(datetime, duration).
  template <class J>
  Result<Value> extn(const J& e, int depth) {
    if (!e.is_object()) return Error("`__extn` must be an object with `fn` and `arg` or `args`");
    auto fn = e.find("fn");
    if (fn == e.end() || !fn->is_string()) return Error("`__extn` needs a string `fn`");
    const std::string name = fn->template get<std::string>();
    const FnInfo* info = lookup_function(name);
    if (!info || !info->extension) return Error("unknown extension function `" + name + "`");
    auto arg = e.find("arg");
    auto args = e.find("args");
    std::vector<const J*> raw;
    if (arg != e.end()) {  // `arg` wins over `args`; other keys are ignored
      raw.push_back(&*arg);
    } else if (args != e.end() && args->is_array()) {
      for (const auto& x : *args) raw.push_back(&x);
    } else {
      return Error("`__extn` needs `fn` and `arg` or `args`");
    }
    if (raw.size() != static_cast<size_t>(info->arity)) {
      return Error("extension function `" + name + "` takes " + std::to_string(info->arity) + " argument" +
                   (info->arity == 1 ? "" : "s") + ", found " + std::to_string(raw.size()));
    }
    Value vals[2];
    for (size_t i = 0; i < raw.size(); ++i) {
      auto v = read(*raw[i], nullptr, depth + 1);
      if (!v) return v;
      vals[i] = std::move(v).value();
    }
    auto r = call_function(*info, name, vals, nullptr);
    if (!r) return std::move(r).error();
    return r;
  }

  const Schema* schema_;
};

// Byte offsets of the elements of the top-level JSON array in `text`, in
// one pass, for error positions.
std::vector<size_t> array_element_offsets(std::string_view text) {
  std::vector<size_t> out;
  int depth = 0;
  bool in_str = false;
  bool expect_elem = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_str) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_str = false;
      }
      continue;
    }
    if (expect_elem && c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      if (c == ']') break;
      out.push_back(i);
      expect_elem = false;
    }
    switch (c) {
      case '"': in_str = true; break;
      case '[':
      case '{':
        if (++depth == 1 && c == '[') expect_elem = true;
        break;
      case ']':
      case '}': --depth; break;
      case ',':
        if (depth == 1) expect_elem = true;
        break;
      default: break;
    }
  }
  return out;
}

// Maps array indices to source positions, computing the offsets on first use.
class ElementLocator {
 public:
  explicit ElementLocator(std::string_view text) : text_(text) {}
  SourceLoc at(size_t index) {
    if (!computed_) {
      offsets_ = array_element_offsets(text_);
      computed_ = true;
    }
    size_t off = index < offsets_.size() ? offsets_[index] : 0;
    // Walk forward from the previous answer when possible (errors come in order).
    if (off < last_off_) {
      last_off_ = 0;
      last_loc_ = {1, 1};
    }
    SourceLoc loc = last_loc_;
    for (size_t i = last_off_; i < off; ++i) {
      if (text_[i] == '\n') {
        ++loc.line;
        loc.col = 1;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++loc.col;
      }
    }
    last_off_ = off;
    last_loc_ = loc;
    return loc;
  }

 private:
  std::string_view text_;
  bool computed_ = false;
  std::vector<size_t> offsets_;
  size_t last_off_ = 0;
  SourceLoc last_loc_{1, 1};
};

// Every action group above `uid` in the schema's action hierarchy.
std::set<EntityUID> action_ancestors(const Schema& schema, const EntityUID& uid) {
  std::set<EntityUID> out;
  std::vector<EntityUID> work{uid};
  while (!work.empty()) {
    EntityUID u = work.back();
    work.pop_back();
    const ActionDecl* d = schema.action(u);
    if (!d) continue;
    for (const auto& p : d->member_of) {
      if (out.insert(p).second) work.push_back(p);
    }
  }
  return out;
}

bool is_action_type(const std::string& t) {
  return t == "Action" || (t.size() > 8 && t.compare(t.size() - 8, 8, "::Action") == 0);
}

Status check_entity_against_schema(const Entity& e, const Schema& schema) {
  const EntityTypeDecl* decl = schema.entity_type(e.uid.type());
  if (!decl) return Error("entity type `" + e.uid.type() + "` is not declared in the schema");
  if (decl->enum_ids &&
      std::find(decl->enum_ids->begin(), decl->enum_ids->end(), e.uid.id()) == decl->enum_ids->end()) {
    return Error("`" + e.uid.str() + "` is not one of the values of the enumerated type `" + e.uid.type() + "`");
  }
  for (const auto& p : e.parents) {
    if (std::find(decl->member_of.begin(), decl->member_of.end(), p.type()) == decl->member_of.end()) {
      return Error("`" + e.uid.str() + "` cannot have a parent of type `" + p.type() + "` according to the schema");
    }
  }
  return {};
}

}  // namespace

Result<EntityUID> detail::uid_from_json(const json& j) {
  if (j.is_object() && j.contains("__entity")) return uid_fields(j["__entity"]);
  return uid_fields(j);
}

Result<Entities> parse_entities(std::string_view text, std::string_view file, const Schema* schema) {
  auto doc = detail::parse_json(text, file);
  if (!doc) return std::move(doc).error();
  const json& arr = *doc;
  std::vector<Diagnostic> diags;
  ElementLocator locate(text);
  auto diag_at = [&](size_t index, std::string msg) {
    if (diags.size() < kMaxDiagnostics) diags.push_back({std::string(file), locate.at(index), std::move(msg)});
  };
  if (!arr.is_array()) {
    return Error("invalid entities",
                 {Diagnostic{std::string(file), {1, 1}, "entities must be a JSON array, found " + json_kind(arr)}});
  }
  Entities out;
  ValueReader reader(schema);
  std::set<EntityUID> json_actions;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& ej = arr[i];
    auto fail = [&](const std::string& who, const std::string& msg) { diag_at(i, "entity " + who + ": " + msg); };
    std::string who = "#" + std::to_string(i);
    if (!ej.is_object()) {
      fail(who, "expected an object, found " + json_kind(ej));
      continue;
    }
    // Unknown keys are ignored (as the reference does); uid, attrs and
    // parents are required.
    bool missing = false;
    for (const char* key : {"uid", "attrs", "parents"}) {
      if (!ej.contains(key)) {
        fail(who, std::string("missing `") + key + "`");
        missing = true;
      }
    }
    if (missing) continue;
    auto uid = detail::uid_from_json(ej["uid"]);
    if (!uid) {
      fail(who, uid.error().message);
      continue;
    }
    Entity ent;
    ent.uid = std::move(uid).value();
    who = "`" + ent.uid.str() + "`";
    const EntityTypeDecl* decl = nullptr;
    bool is_action = schema && is_action_type(ent.uid.type());
    if (schema && !is_action) {
      decl = schema->entity_type(ent.uid.type());
      if (!decl) {
        fail(who, "entity type `" + ent.uid.type() + "` is not declared in the schema");
        continue;
      }
    }
    if (auto a = ej.find("attrs"); a != ej.end()) {
      auto v = reader.record(*a, decl ? &decl->shape : nullptr, 0, "`attrs`");
      if (!v) {
        fail(who, v.error().message);
        continue;
      }
      ent.attrs = std::move(v).value();
    } else if (decl) {
      auto v = reader.record(json::object(), &decl->shape, 0, "`attrs`");
      if (!v) {
        fail(who, v.error().message);
        continue;
      }
    }
    if (auto t = ej.find("tags"); t != ej.end()) {
      if (decl && !decl->tags && !t->empty()) {
        fail(who, "entity type `" + decl->name + "` has no tags in the schema");
        continue;
      }
      if (!t->is_object()) {
        fail(who, "`tags` must be a JSON object");
        continue;
      }
      RecordFields tags;
      bool tag_err = false;
      for (auto it = t->begin(); it != t->end(); ++it) {
        auto v = reader.read(it.value(), decl ? decl->tags.get() : nullptr, 1);
        if (!v) {
          fail(who, "tag `" + it.key() + "`: " + v.error().message);
          tag_err = true;
          break;
        }
        tags.emplace_back(it.key(), std::move(v).value());
      }
      if (tag_err) continue;
      ent.tags = Value::record(std::move(tags));
    }
    if (auto p = ej.find("parents"); p != ej.end()) {
      if (!p->is_array()) {
        fail(who, "`parents` must be a JSON array");
        continue;
      }
      bool perr = false;
      for (const auto& pj : *p) {
        auto puid = detail::uid_from_json(pj);
        if (!puid) {
          fail(who, "parent: " + puid.error().message);
          perr = true;
          break;
        }
        ent.parents.push_back(std::move(puid).value());
      }
      if (perr) continue;
    }
    if (is_action) {
      const ActionDecl* ad = schema->action(ent.uid);
      if (!ad) {
        fail(who, "action `" + ent.uid.str() + "` is not declared in the schema");
        continue;
      }
      // The data may list direct or transitive groups; both must close to
      // the schema's hierarchy.
      std::set<EntityUID> given;
      for (const auto& p : ent.parents) {
        given.insert(p);
        auto up = action_ancestors(*schema, p);
        given.insert(up.begin(), up.end());
      }
      if (given != action_ancestors(*schema, ent.uid) || !ent.attrs.as_record().empty()) {
        fail(who, "action `" + ent.uid.str() + "` does not match its declaration in the schema");
        continue;
      }
      json_actions.insert(ent.uid);
      continue;  // the schema's definition is added below
    }
    if (schema) {
      if (auto st = check_entity_against_schema(ent, *schema); !st.ok()) {
        fail(who, st.error().message);
        continue;
      }
    }
    EntityUID key = ent.uid;
    if (const Entity* prev = out.find(key)) {
      // An identical repeat is harmless; a different one is ambiguous.
      std::set<EntityUID> a(prev->parents.begin(), prev->parents.end()), b(ent.parents.begin(), ent.parents.end());
      if (!(prev->attrs == ent.attrs && prev->tags == ent.tags && a == b)) {
        fail("`" + key.str() + "`", "appears more than once with different contents");
      }
      continue;
    }
    (void)out.add(std::move(ent));
  }
  if (schema) {
    for (const auto& [uid, ad] : schema->actions) {
      Entity a;
      a.uid = uid;
      a.parents = ad.member_of;
      (void)out.add(std::move(a));
    }
  }
  if (!diags.empty()) {
    std::string summary = std::to_string(diags.size()) + " error(s) in entities";
    return Error(std::move(summary), std::move(diags));
  }
  if (auto st = out.finalize(); !st.ok()) {
    return Error(st.error().message, {Diagnostic{std::string(file), {1, 1}, st.error().message}});
  }
  return out;
}

Status validate_request(const Request& req, const Schema& schema) {
  const ActionDecl* ad = schema.action(req.action);
  if (!ad) return Error("request's action `" + req.action.str() + "` is not declared in the schema");
  if (!ad->has_applies_to)
    return Error("action `" + req.action.str() + "` does not apply to any principal or resource");
  auto check = [&](const EntityUID& e, const std::vector<std::string>& allowed, const char* role) -> Status {
    if (std::find(allowed.begin(), allowed.end(), e.type()) == allowed.end()) {
      return Error(std::string(role) + " type `" + e.type() + "` is not valid for `" + req.action.str() + "`");
    }
    if (const EntityTypeDecl* d = schema.entity_type(e.type()); d && d->enum_ids) {
      if (std::find(d->enum_ids->begin(), d->enum_ids->end(), e.id()) == d->enum_ids->end()) {
        return Error(std::string(role) + " `" + e.str() + "` is not one of the values of its enumerated type");
      }
    }
    return {};
  };
  if (auto st = check(req.principal, ad->principals, "principal"); !st.ok()) return st;
  if (auto st = check(req.resource, ad->resources, "resource"); !st.ok()) return st;
  return {};
}

namespace {

template <class J>
Result<EntityUID> uid_from(const J& j) {
  if (j.is_object() && j.contains("__entity")) return uid_fields(j["__entity"]);
  return uid_fields(j);
}

template <class J>
Result<Request> request_from(const J& j, const Schema* schema, bool validate) {
  if (!j.is_object()) return Error("a request must be a JSON object");
  Request req;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (!request_key(k)) return Error("unexpected key `" + k + "` in request");
  }
  for (const char* role : {"principal", "action", "resource"}) {
    auto it = j.find(role);
    if (it == j.end()) return Error(std::string("request is missing `") + role + "`");
    auto uid = uid_from(*it);
    if (!uid) return Error(std::string(role) + ": " + uid.error().message);
    (role[0] == 'p' ? req.principal : role[0] == 'a' ? req.action : req.resource) = std::move(uid).value();
  }
  const ActionDecl* ad = schema ? schema->action(req.action) : nullptr;
  if (auto c = j.find("context"); c != j.end()) {
    ValueReader reader(schema);
    auto v = reader.record(*c, ad ? &ad->context : nullptr, 0, "context");
    if (!v) return Error("context: " + v.error().message);
    req.context = std::move(v).value();
  } else if (ad && validate) {
    ValueReader reader(schema);
    auto v = reader.record(J::object(), &ad->context, 0, "context");
    if (!v) return Error("context: " + v.error().message);
  }
  if (schema && validate) {
    if (auto st = validate_request(req, *schema); !st.ok()) return st.error();
  }
  return req;
}

// parse_request on a parsed document.
template <class J>
Result<Request> request_doc(const J& doc, const Schema* schema) {
  bool validate = schema != nullptr;
  if (doc.is_object()) {
    if (auto v = doc.find("validateRequest"); v != doc.end()) {
      if (!v->is_boolean()) return Error("`validateRequest` must be true or false");
      validate = schema != nullptr && v->template get<bool>();
    }
  }
  return request_from(doc, schema, validate);
}

}  // namespace

Result<Request> detail::request_from_json(const json& j, const Schema* schema, bool validate) {
  return request_from(j, schema, validate);
}

Result<Request> parse_request(std::string_view text, const Schema* schema) {
  // Plain requests (nearly all of them) take the fast parser; anything it
  // declines, and any request that turns out to be invalid, is read again
  // by the hardened parser, which has the last word and words the error.
  thread_local detail::LiteDoc lite;
  if (detail::parse_lite(text, lite)) {
    auto r = request_doc(lite.root(), schema);
    if (r) return r;
  }
  auto doc = detail::parse_json(text, "<request>");
  if (!doc) return Error(doc.error().diagnostics.empty() ? doc.error().message : doc.error().diagnostics[0].message);
  return request_doc(*doc, schema);
}

Result<std::vector<TemplateLink>> parse_links(std::string_view text, std::string_view file) {
  auto doc = detail::parse_json(text, file);
  if (!doc) return std::move(doc).error();
  std::vector<Diagnostic> diags;
  std::vector<TemplateLink> out;
  ElementLocator locate(text);
  auto fail = [&](size_t i, std::string msg) {
    if (diags.size() < kMaxDiagnostics) diags.push_back({std::string(file), locate.at(i), std::move(msg)});
  };
  if (!doc->is_array())
    return Error("invalid links", {Diagnostic{std::string(file), {1, 1}, "links must be a JSON array"}});
  for (size_t i = 0; i < doc->size(); ++i) {
    const json& l = (*doc)[i];
    if (!l.is_object() || !l.contains("templateId") || !l.contains("newId") || !l["templateId"].is_string() ||
        !l["newId"].is_string()) {
      fail(i, "a link needs string `templateId` and `newId`");
      continue;
    }
    TemplateLink link{l["templateId"].get<std::string>(), l["newId"].get<std::string>(), {}, {}};
    if (auto v = l.find("values"); v != l.end()) {
      if (!v->is_object()) {
        fail(i, "`values` must be an object");
        continue;
      }
      bool bad = false;
      for (auto it = v->begin(); it != v->end(); ++it) {
        auto uid = detail::uid_from_json(it.value());
        if (!uid) {
          fail(i, it.key() + ": " + uid.error().message);
          bad = true;
        } else if (it.key() == "?principal") {
          link.principal = std::move(uid).value();
        } else if (it.key() == "?resource") {
          link.resource = std::move(uid).value();
        } else {
          fail(i, "unknown slot `" + it.key() + "`");
          bad = true;
        }
      }
      if (bad) continue;
    }
    out.push_back(std::move(link));
  }
  if (!diags.empty()) return Error("invalid links", std::move(diags));
  return out;
}

Status apply_links(PolicySet& set, std::string_view text, std::string_view file) {
  auto links = parse_links(text, file);
  if (!links) return std::move(links).error();
  std::vector<Diagnostic> diags;
  ElementLocator locate(text);
  for (size_t i = 0; i < links->size(); ++i) {
    auto& l = (*links)[i];
    if (auto st = set.link(l.template_id, l.new_id, l.principal, l.resource); !st.ok()) {
      if (diags.size() < kMaxDiagnostics) diags.push_back({std::string(file), locate.at(i), st.error().message});
    }
  }
  if (!diags.empty()) return Error("invalid links", std::move(diags));
  return {};
}

namespace {

// Appends `s` as a JSON string exactly as nlohmann's dump() writes it
// (ensure_ascii off): short escapes for the usual control characters,
// \u00xx for the rest below 0x20, everything else as is. Returns false for
// a string with non-ASCII bytes, whose UTF-8 must be checked (and any bad
// sequence replaced) as nlohmann does.
bool append_ascii_json(std::string& out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) return false;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return true;
}

// The answer written directly (it is built once per request, and building
// it as a JSON document cost more than deciding); nullopt when a string is
// not ASCII.
std::optional<std::string> response_json_ascii(const Response& r) {
  std::string out = r.allow ? "{\"decision\":\"allow\",\"reason\":[" : "{\"decision\":\"deny\",\"reason\":[";
  for (size_t i = 0; i < r.reason.size(); ++i) {
    if (i) out += ',';
    if (!append_ascii_json(out, r.reason[i])) return std::nullopt;
  }
  out += "],\"errors\":[";
  for (size_t i = 0; i < r.errors.size(); ++i) {
    out += i ? ",{\"policy\":" : "{\"policy\":";
    if (!append_ascii_json(out, r.errors[i].policy)) return std::nullopt;
    out += ",\"message\":";
    if (!append_ascii_json(out, r.errors[i].message)) return std::nullopt;
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace

std::string response_json(const Response& r) {
  if (auto fast = response_json_ascii(r)) return std::move(*fast);
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["decision"] = r.allow ? "allow" : "deny";
  out["reason"] = r.reason;
  nlohmann::ordered_json errs = nlohmann::ordered_json::array();
  for (const auto& e : r.errors) {
    nlohmann::ordered_json x = nlohmann::ordered_json::object();
    x["policy"] = e.policy;
    x["message"] = e.message;
    errs.push_back(std::move(x));
  }
  out["errors"] = std::move(errs);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string error_json(std::string_view message) {
  json out = {{"error", std::string(message)}};
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace tollgate::cedar
