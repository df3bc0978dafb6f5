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
  // Extra attributes allowed. Always false today: like the reference, the
  // schema parsers refuse "additionalAttributes": true.
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

}  // namespace tollgate::cedar
