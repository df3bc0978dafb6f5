// libFuzzer target: Cedar schemas. Feeds the same bytes to the
// `.cedarschema` parser, the JSON schema parser and the format-sniffing
// parse_schema. A schema that parses is then used to load a small fixed
// entity file and request, so the type-directed JSON readers meet strange schemas
// (deep Set<Set<…>>, expanded common types, enums, tags).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"

using namespace tollgate::fuzz;

namespace {

// Small on purpose: JSON loading dominates the cost of an execution.
constexpr std::string_view kEntities = R"([
 {"uid": {"type": "User", "id": "a"}, "attrs": {"age": 1, "name": "n", "roles": ["r"], "addr": {"city": "c"},
  "ip": "10.0.0.1", "manager": {"type": "User", "id": "b"}, "t": [1]}, "parents": [{"type": "Group", "id": "g"}],
  "tags": {"k": "v"}},
 {"uid": {"type": "Doc", "id": "d"}, "attrs": {"owner": {"type": "User", "id": "a"}, "color": {"type": "Color", "id": "red"}},
  "parents": [], "tags": {"k": ["v"]}}
])";
constexpr std::string_view kRequest =
    R"({"principal": {"type": "User", "id": "a"}, "action": {"type": "Action", "id": "read"},
 "resource": {"type": "Doc", "id": "d"}, "context": {"mfa": true, "ip": "::1", "n": 1}})";

size_t use(const Result<Schema>& s) {
  if (!s) return consume(s.error());
  size_t n = 0;
  for (const auto& [name, et] : s->entity_types) {
    n += name.size() + et.member_of.size() + et.shape.attrs.size();
    if (et.enum_ids) n += et.enum_ids->size();
  }
  for (const auto& [uid, a] : s->actions) n += uid.str().size() + a.principals.size() + a.resources.size();
  auto ents = parse_entities(kEntities, "e.json", &*s);
  n += ents ? ents->size() : consume(ents.error());
  auto req = parse_request(kRequest, &*s);
  if (req) {
    auto st = validate_request(*req, *s);
    if (!st) n += consume(st.error());
  } else {
    n += consume(req.error());
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;
  sink = sink + use(parse_schema_text(text, "f.cedarschema"));
  sink = sink + use(parse_schema_json(text, "f.cedarschema.json"));
  // The format-sniffing entry point repeats one of the two parses above;
  // only check that it agrees on success.
  auto any = parse_schema(text, "f");
  sink = sink + (any ? any->entity_types.size() : consume(any.error()));
  (void)sink;
  return 0;
}
