// Cedar schemas, in both of Cedar's formats: the human-readable
// `.cedarschema` text and the JSON form. Parsing resolves namespaces and
// common types away, so a Schema holds only fully qualified entity types,
// actions (with their groups and appliesTo) and concrete attribute types.
// A parsed Schema is immutable and may be shared between threads.
//
// Parsing reports every problem it finds as a Diagnostic with file:line:col
// (unknown types, duplicate declarations, cycles among common types,
// undeclared action groups, syntax errors); recursion is capped so hostile
// input cannot exhaust the stack.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cedar/value.h"

namespace tollgate::cedar {

struct SchemaType;
using SchemaTypePtr = std::shared_ptr<const SchemaType>;

struct AttrType {
  SchemaTypePtr type;
  bool required = true;
};

struct RecordType {
  std::map<std::string, AttrType> attrs;
  // JSON schema's "additionalAttributes": true; extra attributes allowed.
  bool open = false;
};

struct SchemaType {
  enum class Kind { Bool, Long, String, Set, Record, Entity, Extension };
  Kind kind = Kind::Bool;
  SchemaTypePtr element;                     // Set
  std::shared_ptr<const RecordType> record;  // Record
  // Entity: the fully qualified entity type name.
  // Extension: "ipaddr", "decimal", "datetime" or "duration".
  std::string name;
};

struct EntityTypeDecl {
  std::string name;                    // fully qualified
  std::vector<std::string> member_of;  // fully qualified parent types
  RecordType shape;
  SchemaTypePtr tags;                                // null: the type has no tags
  std::optional<std::vector<std::string>> enum_ids;  // `entity E enum ["a", "b"]`
  SourceLoc loc;
};

struct ActionDecl {
  EntityUID uid;                        // type is `NS::Action` (or `Action`), id the action name
  std::vector<EntityUID> member_of;     // direct action groups
  bool has_applies_to = false;          // false: the action applies to no request
  std::vector<std::string> principals;  // fully qualified entity types
  std::vector<std::string> resources;
  RecordType context;
  SourceLoc loc;
};

struct Schema {
  std::map<std::string, EntityTypeDecl> entity_types;
  std::map<EntityUID, ActionDecl> actions;

  const EntityTypeDecl* entity_type(const std::string& name) const {
    auto it = entity_types.find(name);
    return it == entity_types.end() ? nullptr : &it->second;
  }
  const ActionDecl* action(const EntityUID& uid) const {
    auto it = actions.find(uid);
    return it == actions.end() ? nullptr : &it->second;
  }
};

// Parses `.cedarschema` text. `file` names the input in diagnostics.
Result<Schema> parse_schema_text(std::string_view text, std::string_view file);
// Parses the JSON schema format.
Result<Schema> parse_schema_json(std::string_view text, std::string_view file);
// Picks the format from the content (JSON when it starts with '{').
Result<Schema> parse_schema(std::string_view text, std::string_view file);

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
// appending every problem to `diags`; fails when `diags` ends up non-empty.
Result<Schema> resolve_schema(const std::vector<RawNamespace>& namespaces, std::string_view file,
                              std::vector<Diagnostic> diags);
// The Error for a failed parse: the first diagnostic as summary, all of them attached.
Error schema_error(std::vector<Diagnostic> diags);
// A Cedar identifier that is not a reserved word (`true`, `if`, `in`, ...).
bool is_ident(std::string_view s);
bool is_reserved_word(std::string_view s);
// `A`, `NS::A`: identifiers joined by `::`, no whitespace.
bool is_path(std::string_view s);

}  // namespace schema_detail

}  // namespace tollgate::cedar
