// A policy pack's schema is input like any other: loading and validating a
// pack must stay bounded in stack, memory and time on hostile schemas. These
// tests only check that loading returns (ctest's timeout catches a hang; the
// ASan run catches stack exhaustion); they never assert on time.
#include <gtest/gtest.h>

#include "policy/lint.h"
#include "policy/pack.h"

namespace tollgate::policy {
namespace {

Result<std::shared_ptr<const Pack>> load(std::string schema, std::string policies) {
  return load_pack_files({{"p.cedar", std::move(policies)}, {"schema.cedarschema", std::move(schema)}}, "hostile");
}

constexpr const char* kActions =
    "entity U; entity R;\naction a appliesTo { principal: U, resource: R, context: {} };\n";

TEST(HostileSchema, RefusesRecursiveCommonTypes) {
  auto r = load(std::string(kActions) + "type A = B; type B = { x: A };\nentity E = { a: A };",
                "permit (principal, action, resource);");
  EXPECT_FALSE(r.ok());
}

TEST(HostileSchema, RefusesASelfReferentialCommonType) {
  auto r = load(std::string(kActions) + "type A = { next: A };\nentity E = { a: A };",
                "permit (principal, action, resource);");
  EXPECT_FALSE(r.ok());
}

TEST(HostileSchema, SurvivesDeeplyNestedRecords) {
  std::string t;
  for (int i = 0; i < 20000; ++i) t += "{ a: ";
  t += "Long";
  for (int i = 0; i < 20000; ++i) t += " }";
  auto r = load(std::string(kActions) + "entity E = { x: " + t + " };", "permit (principal, action, resource);");
  EXPECT_FALSE(r.ok());  // past the nesting cap
}

TEST(HostileSchema, SurvivesDeeplyNestedSets) {
  std::string t;
  for (int i = 0; i < 20000; ++i) t += "Set<";
  t += "Long";
  for (int i = 0; i < 20000; ++i) t += ">";
  auto r = load(std::string(kActions) + "entity E = { x: " + t + " };", "permit (principal, action, resource);");
  EXPECT_FALSE(r.ok());
}

TEST(HostileSchema, SurvivesALongChainOfCommonTypes) {
  std::string s = kActions;
  for (int i = 0; i < 5000; ++i) s += "type T" + std::to_string(i) + " = T" + std::to_string(i + 1) + ";\n";
  s += "type T5000 = { v: Long };\nentity E = { t: T0 };\n";
  auto r = load(s, "permit (principal, action, resource);");
  (void)r;  // accepted or refused, but returns
  SUCCEED();
}

TEST(HostileSchema, ValidatesAgainstAHugeRecord) {
  std::string attrs;
  for (int i = 0; i < 100000; ++i) attrs += "a" + std::to_string(i) + ": Long, ";
  std::string s = "entity U = { " + attrs + "}; entity R;\n" +
                  "action a appliesTo { principal: U, resource: R, context: { " + attrs + "} };\n";
  auto r = load(s, "permit (principal, action, resource) when { principal.a99999 == context.a5 };");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(lint_pack(**r).empty());
}

TEST(HostileSchema, ValidatesManyRequestEnvironments) {
  // 200 principal types x 200 resource types x 5 actions: 200,000 request
  // environments for every policy.
  std::string s, types;
  for (int i = 0; i < 200; ++i) {
    s += "entity E" + std::to_string(i) + " = { n: Long };\n";
    types += (i ? ", E" : "E") + std::to_string(i);
  }
  for (int a = 0; a < 5; ++a) {
    s += "action a" + std::to_string(a) + " appliesTo { principal: [" + types + "], resource: [" + types +
         "], context: { k: Long } };\n";
  }
  auto r = load(s, R"(
permit (principal, action, resource) when { principal.n < resource.n && context.k > 0 };
forbid (principal, action, resource) unless { principal.n + resource.n > context.k };
)");
  ASSERT_TRUE(r.ok()) << r.error().message;
}

}  // namespace
}  // namespace tollgate::policy
