// The schema parsers' shared intermediate form (internal to the cedar
// library): both formats produce RawNamespaces, and one resolver turns them
// into a Schema.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cedar/schema.h"

namespace tollgate::cedar {

// The unresolved form both schema parsers produce and one shared resolver
// turns into a Schema: names are as written (possibly unqualified), common
// types are not yet expanded. Internal to the schema parsers.
namespace schema_detail {

// Deepest nesting of Set/record types accepted, written or after common
// types are expanded.
inline constexpr int kMaxTypeDepth = 64;

struct RawType;
using RawTypePtr = std::shared_ptr<const RawType>;

struct RawAttr {
  std::string name;
  RawTypePtr type;
  bool required = true;
};

struct RawType {
  // Ref names a declared or builtin type; `ref` says which kinds it may name.
  enum class Kind { Bool, Long, String, Set, Record, Extension, Ref };
  enum class RefKind { Common, Entity, CommonOrEntity };
  Kind kind = Kind::Bool;
  RefKind ref = RefKind::CommonOrEntity;
  std::string name;            // Ref: the name as written; Extension: its name
  RawTypePtr element;          // Set
  std::vector<RawAttr> attrs;  // Record, in source order (a repeated name: the last wins)
  SourceLoc loc;
};

struct RawName {
  std::string name;  // as written: `A` or `NS::A`
  SourceLoc loc;
};

struct RawEntity {
  RawName name;  // unqualified
  std::vector<RawName> member_of;
  RawTypePtr shape;  // null: no attributes
  RawTypePtr tags;   // null: no tags
  std::optional<std::vector<std::string>> enum_ids;
};

struct RawActionRef {
  std::optional<std::string> type;  // as written; absent: `Action`
  std::string id;
  SourceLoc loc;
};

struct RawAction {
  std::string name;
  SourceLoc loc;
  std::vector<RawActionRef> member_of;
  bool has_applies_to = false;
  std::vector<RawName> principals, resources;
  RawTypePtr context;  // null: the empty record
};

struct RawCommonType {
  RawName name;  // unqualified
  RawTypePtr type;
};

struct RawNamespace {
  std::string name;  // "" for the empty namespace
  SourceLoc loc;
  std::vector<RawCommonType> common_types;
  std::vector<RawEntity> entities;
  std::vector<RawAction> actions;
};

// Resolves names, expands common types and checks the whole schema,
// reporting every problem found.
Result<Schema> resolve_schema(const std::vector<RawNamespace>& namespaces, std::string_view file);
// The Error for a failed parse: the first diagnostic as summary, all of them attached.
Error schema_error(std::vector<Diagnostic> diags);
// A Cedar identifier that is not a reserved word (`true`, `if`, `in`, ...).
bool is_ident(std::string_view s);
bool is_reserved_word(std::string_view s);
// `A`, `NS::A`: identifiers joined by `::`, no whitespace.
bool is_path(std::string_view s);

}  // namespace schema_detail

}  // namespace tollgate::cedar
