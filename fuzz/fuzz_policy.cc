// libFuzzer target: Cedar policy text. Parses the input as a policy file
// and, when it parses, links its templates and authorizes a fixed request
// against a fixed entity store, so the evaluator sees every policy the
// parser accepts. Also parses the input as a single expression and
// evaluates it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"

using namespace tollgate::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Entities& ents = fixed_entities();
  const Request& req = fixed_request();
  volatile size_t sink = 0;

  auto set = parse_policies(text, "f");
  if (set) {
    for (const auto& p : set->policies()) {
      sink = sink + p->id.size();
      for (const auto& a : p->annotations) sink = sink + a.key.size() + (a.value ? a.value->size() : 0);
    }
    sink = sink + authorize_all(*set, req, ents);
  } else {
    sink = sink + consume(set.error());
  }

  auto e = parse_expression(text, "f");
  if (e) {
    auto v = evaluate(**e, req, ents);
    if (v) {
      sink = sink + v->str().size();
    } else {
      sink = sink + consume(v.error());
    }
  } else {
    sink = sink + consume(e.error());
  }
  sink = sink + valid_utf8(text);
  (void)sink;
  return 0;
}
