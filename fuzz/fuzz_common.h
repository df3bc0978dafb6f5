// Shared pieces of the libFuzzer targets: sanitizer defaults that make every
// finding fatal, and a few fixed inputs (a schema, an entity store, a
// request) the targets evaluate fuzzed data against. Everything goes
// through the public API of src/cedar/.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cedar/cedar.h"

// UBSan reports are recoverable in the fuzz build (the top-level flags do not
// pass -fno-sanitize-recover); halting turns each one into a libFuzzer crash.
// Each target is one translation unit, so defining it here is fine.
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace tollgate::fuzz {

using namespace tollgate::cedar;
using tollgate::Error;
using tollgate::Result;
using tollgate::Status;

// A small schema touching every type form: namespaces, common types,
// entity hierarchies, enums, tags, sets, records, optional attributes and
// extension types.
inline constexpr std::string_view kSchemaText = R"(
type Addr = { city: String, zip?: Long };
entity Group in [Group] = { name: String };
entity User in [Group] = {
  age: Long,
  name: String,
  admin: Bool,
  addr: Addr,
  roles: Set<String>,
  ip?: ipaddr,
  score?: decimal,
  seen?: datetime,
  ttl?: duration,
  manager?: User,
  friends?: Set<User>,
} tags String;
entity Doc = { owner: User, public: Bool, labels: Set<String>, meta: { level: Long, nested: { deep: Set<Set<Long>> } } } tags Set<String>;
entity Color enum ["red", "green", "blue"];
action "read", write appliesTo {
  principal: [User],
  resource: [Doc],
  context: { mfa: Bool, ip?: ipaddr, when?: datetime, n?: Long, tags?: Set<String>, color?: Color }
};
action admin in ["read"] appliesTo { principal: User, resource: [Doc, Group] };
namespace App {
  type T = Set<Long>;
  entity Thing = { t: T, u: User };
  action go appliesTo { principal: [User], resource: [Thing], context: {} };
}
)";

// Entities conforming to kSchemaText, used as the store for evaluation.
inline constexpr std::string_view kEntitiesJson = R"([
 {"uid": {"type": "User", "id": "alice"},
  "attrs": {"age": 30, "name": "Alice", "admin": true, "addr": {"city": "Paris", "zip": 75001},
            "roles": ["dev", "ops"], "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.1/24"}},
            "score": {"__extn": {"fn": "decimal", "arg": "1.2345"}},
            "seen": {"__extn": {"fn": "datetime", "arg": "2024-01-01T00:00:00Z"}},
            "ttl": {"__extn": {"fn": "duration", "arg": "1h30m"}},
            "manager": {"__entity": {"type": "User", "id": "bob"}},
            "friends": [{"__entity": {"type": "User", "id": "bob"}}]},
  "parents": [{"type": "Group", "id": "dev"}], "tags": {"team": "core", "level": "3"}},
 {"uid": {"type": "User", "id": "bob"},
  "attrs": {"age": -7, "name": "Bob", "admin": false, "addr": {"city": ""}, "roles": []},
  "parents": [{"type": "Group", "id": "ops"}], "tags": {}},
 {"uid": {"type": "Group", "id": "dev"}, "attrs": {"name": "dev"}, "parents": [{"type": "Group", "id": "all"}]},
 {"uid": {"type": "Group", "id": "ops"}, "attrs": {"name": "ops"}, "parents": [{"type": "Group", "id": "all"}]},
 {"uid": {"type": "Group", "id": "all"}, "attrs": {"name": "all"}, "parents": []},
 {"uid": {"type": "Doc", "id": "d1"},
  "attrs": {"owner": {"__entity": {"type": "User", "id": "alice"}}, "public": false, "labels": ["a", "b"],
            "meta": {"level": 2, "nested": {"deep": [[1, 2], [3]]}}},
  "parents": [], "tags": {"k": ["v"]}}
])";

inline constexpr std::string_view kRequestJson = R"({
 "principal": {"type": "User", "id": "alice"},
 "action": {"type": "Action", "id": "read"},
 "resource": {"type": "Doc", "id": "d1"},
 "context": {"mfa": true, "ip": {"__extn": {"fn": "ip", "arg": "192.168.0.1"}}, "n": 42, "tags": ["x"],
             "color": {"__entity": {"type": "Color", "id": "red"}}}
})";

[[noreturn]] inline void die(const char* what, const Error& e) {
  std::fprintf(stderr, "fuzz harness setup failed: %s: %s\n", what, e.message.c_str());
  for (const auto& d : e.diagnostics) std::fprintf(stderr, "  %s\n", d.str().c_str());
  std::abort();
}

inline const Schema& fixed_schema() {
  static const Schema s = [] {
    auto r = parse_schema_text(kSchemaText, "fixed.cedarschema");
    if (!r) die("schema", r.error());
    return std::move(r).value();
  }();
  return s;
}

inline const Entities& fixed_entities() {
  static const Entities e = [] {
    auto r = parse_entities(kEntitiesJson, "fixed.entities.json", &fixed_schema());
    if (!r) die("entities", r.error());
    return std::move(r).value();
  }();
  return e;
}

inline const Request& fixed_request() {
  static const Request q = [] {
    auto r = parse_request(kRequestJson, &fixed_schema());
    if (!r) die("request", r.error());
    return std::move(r).value();
  }();
  return q;
}

// Touches everything an Error holds so that a dangling or uninitialised
// string in a diagnostic is caught by ASan/MSan.
inline size_t consume(const Error& e) {
  size_t n = e.message.size();
  for (const auto& d : e.diagnostics) n += d.str().size();
  return n;
}

inline size_t consume(const Response& r) {
  size_t n = response_json(r).size();
  for (const auto& p : r.reason) n += p.size();
  for (const auto& p : r.errors) n += p.policy.size() + p.message.size();
  return n;
}

// Authorizes `req` under `set`, linking every template with fixed slots
// first so that templates are evaluated too.
inline size_t authorize_all(PolicySet& set, const Request& req, const Entities& ents) {
  size_t n = 0;
  std::vector<std::string> templates;
  for (const auto& p : set.policies()) {
    if (p->is_template()) templates.push_back(p->id);
  }
  int k = 0;
  for (const auto& id : templates) {
    const auto* t = set.find_template(id);
    if (!t) continue;
    std::optional<EntityUID> pr, rs;
    if ((*t)->principal.slot) pr = req.principal;
    if ((*t)->resource.slot) rs = req.resource;
    auto st = set.link(id, "fuzzlink" + std::to_string(k++), pr, rs);
    if (!st) n += consume(st.error());
  }
  n += consume(authorize(set, req, ents));
  return n;
}

}  // namespace tollgate::fuzz
