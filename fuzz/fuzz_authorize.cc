// libFuzzer target: the whole authorization pipeline, as the CLI runs it.
// The input is split on '%' into up to five sections:
//
//   policies % entities JSON % request JSON % schema (text or JSON) % links JSON
//
// ('%' is not Cedar or JSON syntax outside string literals.) An empty,
// whitespace-only or missing section takes a default: no entities, the
// fixed request, no schema, no links. When the schema section parses,
// entities and the request are loaded against it (type-directed JSON,
// schema actions added to the store, request validation). Whatever parses
// is authorized.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_common.h"

using namespace tollgate::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view part[5];
  for (int i = 0; i < 5; ++i) {
    size_t cut = i == 4 ? std::string_view::npos : in.find('%');
    part[i] = in.substr(0, cut);
    if (cut == std::string_view::npos) break;
    in.remove_prefix(cut + 1);
  }
  // A section of only whitespace counts as empty, so "…\n%\n\n%\n…" skips one.
  for (auto& p : part) {
    if (p.find_first_not_of(" \t\r\n") == std::string_view::npos) p = {};
  }
  volatile size_t sink = 0;

  std::optional<Schema> schema;
  if (!part[3].empty()) {
    auto s = parse_schema(part[3], "f.cedarschema");
    if (s) {
      schema = std::move(s).value();
    } else {
      sink = sink + consume(s.error());
    }
  }
  const Schema* sp = schema ? &*schema : nullptr;

  auto set = parse_policies(part[0], "f.cedar");
  if (!set) sink = sink + consume(set.error());
  if (set && !part[4].empty()) {
    auto st = apply_links(*set, part[4], "f.links.json");
    if (!st) sink = sink + consume(st.error());
  }

  auto ents = parse_entities(part[1].empty() ? std::string_view("[]") : part[1], "f.entities.json", sp);
  if (!ents) sink = sink + consume(ents.error());

  auto req = parse_request(part[2].empty() ? kRequestJson : part[2], sp);
  if (!req) sink = sink + consume(req.error());

  if (set && ents && req) {
    sink = sink + consume(authorize(*set, *req, *ents));
    // Each static policy and link on its own, as the explain path does.
    for (const auto& inst : set->instances()) {
      auto s = satisfied(inst, *req, *ents);
      if (!s) sink = sink + consume(s.error());
    }
  }
  (void)sink;
  return 0;
}
