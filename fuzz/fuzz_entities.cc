// libFuzzer target: entity JSON. Parses the input as an entities file
// without a schema and against a fixed schema; every store that loads is
// then queried by a fixed policy set that reads attributes, tags and the
// ancestor relation of the fuzzed entities.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"

using namespace tollgate::fuzz;

namespace {

constexpr std::string_view kPolicies = R"(
permit(principal, action, resource) when { principal in resource || resource in principal };
permit(principal, action, resource) when { principal == resource && principal.a == resource.a };
permit(principal is User, action, resource is Doc in Group::"all") when { resource.owner == principal };
forbid(principal, action, resource) when { principal has a && principal.a.b.c == context.n };
permit(principal, action, resource) when { principal.hasTag("team") && principal.getTag("team") like "*o*" };
permit(principal, action, resource) when { resource.labels.containsAny(principal.roles) };
permit(principal, action, resource) when { principal.ip.isInRange(ip("10.0.0.0/8")) };
permit(principal, action, resource) when { principal.score.lessThan(decimal("2.0")) };
permit(principal, action, resource) when { principal.seen.offset(principal.ttl) > datetime("2020-01-01") };
permit(principal, action, resource) unless { principal.age + 1 > 2 * resource.meta.level };
permit(principal, action, resource) when { {a: principal.attrs, b: [resource]} == {b: [resource], a: principal.attrs} };
)";

const PolicySet& fixed_policies() {
  static const PolicySet p = [] {
    auto r = parse_policies(kPolicies, "fixed.cedar");
    if (!r) die("policies", r.error());
    return std::move(r).value();
  }();
  return p;
}

size_t query(const Entities& ents) {
  size_t n = 0;
  const PolicySet& set = fixed_policies();
  Request req = fixed_request();
  // Evaluate a few principal/resource pairs only, so a large input does not
  // turn into a quadratic amount of work and the target stays fast.
  int pairs = 0;
  for (const auto& [pu, pe] : ents.all()) {
    n += pe.parents.size() + pe.ancestors.size();
    n += pe.attrs.str().size() + pe.tags.str().size();
    for (const auto& [ru, re] : ents.all()) {
      if (++pairs > 4) return n;
      req.principal = pu;
      req.resource = ru;
      n += consume(authorize(set, req, ents));
    }
  }
  return n;
}

size_t run(const Result<Entities>& r) { return r ? query(*r) : consume(r.error()); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;
  sink = sink + run(parse_entities(text, "f", nullptr));
  sink = sink + run(parse_entities(text, "f", &fixed_schema()));
  (void)sink;
  return 0;
}
