// libFuzzer target: request JSON and template links. Parses the input as a
// request without and with a fixed schema (then authorizes it against a
// fixed policy set, so a fuzzed context is evaluated), validates the
// schema-less request against the schema, and parses the input as a links
// file and applies it to a fixed set of templates.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"

using namespace tollgate::fuzz;

namespace {

constexpr std::string_view kPolicies = R"(
permit(principal == ?principal, action, resource in ?resource);
permit(principal, action == Action::"read", resource == ?resource) when { context.mfa };
forbid(principal in ?principal, action, resource) unless { context has n && context.n > 0 };
permit(principal, action in [Action::"read", Action::"write"], resource)
  when { context.ip.isIpv4() && context.tags.contains("x") && context.when < datetime("2030-01-01") };
permit(principal, action, resource) when { context == {} || context.color == Color::"red" };
permit(principal, action, resource) when { context.a.b.c like "*" || context["x y"] };
)";

PolicySet fresh_policies() {
  static const PolicySet p = [] {
    auto r = parse_policies(kPolicies, "fixed.cedar");
    if (!r) die("policies", r.error());
    return std::move(r).value();
  }();
  return p;  // a copy: links are added to it
}

size_t run(const Result<Request>& r) {
  if (!r) return consume(r.error());
  PolicySet set = fresh_policies();
  size_t n = r->principal.str().size() + r->action.str().size() + r->resource.str().size() + r->context.str().size();
  return n + authorize_all(set, *r, fixed_entities());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const Schema& schema = fixed_schema();
  volatile size_t sink = 0;

  auto plain = parse_request(text, nullptr);
  sink = sink + run(plain);
  if (plain) {
    auto st = validate_request(*plain, schema);
    if (!st) sink = sink + consume(st.error());
  }
  sink = sink + run(parse_request(text, &schema));

  auto links = parse_links(text, "f");
  if (links) {
    for (const auto& l : *links) sink = sink + l.template_id.size() + l.new_id.size();
  } else {
    sink = sink + consume(links.error());
  }
  PolicySet set = fresh_policies();
  auto st = apply_links(set, text, "f");
  if (st) {
    sink = sink + consume(authorize(set, fixed_request(), fixed_entities()));
  } else {
    sink = sink + consume(st.error());
  }
  (void)sink;
  return 0;
}
