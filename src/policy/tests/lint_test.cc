#include "policy/lint.h"

#include <gtest/gtest.h>

namespace tollgate::policy {
namespace {

constexpr const char* kSchema = R"(
entity Team;
entity User in [Team] = { admin: Bool };
entity Doc;
action "read", "write";
action view in ["read"] appliesTo { principal: User, resource: Doc, context: { flag: Bool } };
action list in ["read"] appliesTo { principal: User, resource: Doc, context: { flag: Bool } };
action edit in ["write"] appliesTo { principal: User, resource: Doc, context: { flag: Bool } };
)";

std::shared_ptr<const Pack> pack(std::string policies) {
  auto r = load_pack_files({{"p.cedar", std::move(policies)}, {"schema.cedarschema", kSchema}}, "pk");
  EXPECT_TRUE(r.ok()) << (r.ok() || r.error().diagnostics.empty() ? (r.ok() ? "" : r.error().message)
                                                                  : r.error().diagnostics[0].str());
  return r.ok() ? *r : nullptr;
}

std::vector<Diagnostic> lint(std::string policies) {
  auto p = pack(std::move(policies));
  return p ? lint_pack(*p) : std::vector<Diagnostic>{};
}

std::string messages(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) out += d.str() + "\n";
  return out;
}

TEST(Lint, FindsPermitShadowedByABroaderUnconditionalForbid) {
  auto ds = lint(R"(
@id("no-edits") forbid (principal, action == Action::"edit", resource);
@id("alice-edits") permit (principal == User::"alice", action == Action::"edit", resource == Doc::"d");
)");
  ASSERT_EQ(ds.size(), 1u) << messages(ds);
  EXPECT_TRUE(ds[0].warning);
  EXPECT_EQ(ds[0].file, "pk/p.cedar");
  EXPECT_EQ(ds[0].loc.line, 3u);
  EXPECT_NE(ds[0].message.find("permit `alice-edits` can never allow anything: forbid `no-edits` (pk/p.cedar:2)"),
            std::string::npos)
      << ds[0].message;
}

TEST(Lint, UsesTheSchemasActionGroupsForCoverage) {
  auto ds = lint(R"(
forbid (principal, action in Action::"write", resource);
permit (principal, action == Action::"edit", resource);
permit (principal, action in [Action::"edit", Action::"view"], resource);
)");
  ASSERT_EQ(ds.size(), 1u) << messages(ds);  // the second permit still allows view
  EXPECT_EQ(ds[0].loc.line, 3u);
}

TEST(Lint, CoversByEntityType) {
  auto ds = lint(R"(
forbid (principal is User, action, resource is Doc);
permit (principal == User::"a", action, resource in Doc::"x");
permit (principal is User in Team::"t", action == Action::"view", resource is Doc);
)");
  // `resource in Doc::"x"` may hold for entities of other types: not covered.
  ASSERT_EQ(ds.size(), 1u) << messages(ds);
  EXPECT_EQ(ds[0].loc.line, 4u);
}

TEST(Lint, NeverClaimsShadowingThatDependsOnEntityData) {
  EXPECT_TRUE(lint(R"(
forbid (principal in Team::"contractors", action, resource);
permit (principal in Team::"dev", action, resource);
permit (principal == User::"bob", action, resource);
)")
                  .empty());
}

TEST(Lint, NeverClaimsShadowingByAConditionalForbid) {
  EXPECT_TRUE(lint(R"(
forbid (principal, action, resource) when { context.flag };
forbid (principal, action, resource) unless { principal.admin };
permit (principal == User::"a", action, resource);
)")
                  .empty());
}

TEST(Lint, TreatsAConstantlyTrueConditionAsNoCondition) {
  auto ds = lint(R"(
forbid (principal, action, resource) when { true } unless { false || 1 == 2 };
permit (principal, action == Action::"view", resource);
)");
  ASSERT_EQ(ds.size(), 1u) << messages(ds);
  EXPECT_EQ(ds[0].loc.line, 3u);
}

TEST(Lint, AnAskingForbidDoesNotShadowAPermit) {
  EXPECT_TRUE(lint(R"(
@ask("edits need approval") forbid (principal, action == Action::"edit", resource);
permit (principal, action == Action::"edit", resource);
)")
                  .empty());
}

TEST(Lint, ALogOnlyForbidDoesNotShadowAnEnforcedPermit) {
  EXPECT_TRUE(lint(R"(
@mode("log-only") forbid (principal, action, resource);
permit (principal, action == Action::"edit", resource);
)")
                  .empty());
}

TEST(Lint, FindsAForbidCoveredByABroaderForbid) {
  auto ds = lint(R"(
@id("wide") forbid (principal, action in Action::"write", resource);
@id("narrow") forbid (principal == User::"a", action == Action::"edit", resource) when { context.flag };
)");
  ASSERT_EQ(ds.size(), 1u) << messages(ds);
  EXPECT_NE(ds[0].message.find("forbid `narrow` never changes a decision: forbid `wide`"), std::string::npos);
}

TEST(Lint, APlainForbidIsNotRedundantUnderAnAskingOne) {
  EXPECT_TRUE(lint(R"(
@ask("why") forbid (principal, action, resource);
forbid (principal, action == Action::"edit", resource);
)")
                  .empty());
}

TEST(Lint, ReportsIdenticalForbidsOnce) {
  auto ds = lint(R"(
@id("one") forbid (principal, action == Action::"edit", resource);
@id("two") forbid (principal, action == Action::"edit", resource);
)");
  ASSERT_EQ(ds.size(), 1u) << messages(ds);
  EXPECT_NE(ds[0].message.find("forbid `two` duplicates `one`"), std::string::npos) << ds[0].message;
}

TEST(Lint, FindsDuplicatePermitsWhateverTheirAnnotations) {
  auto ds = lint(R"(
@id("a") @reason("x") permit (principal, action, resource) when { context.flag };
@id("b") permit (principal, action, resource) when { context.flag };
)");
  ASSERT_EQ(ds.size(), 1u) << messages(ds);
  EXPECT_NE(ds[0].message.find("permit `b` duplicates `a`"), std::string::npos);
}

TEST(Lint, FindsConditionsThatCanNeverHold) {
  // Without a schema the validator cannot help; the constant folding can.
  auto r = load_pack_files({{"p.cedar", R"(
permit (principal, action, resource) when { context.flag && 1 == 2 };
permit (principal, action, resource) unless { "a" != "b" };
permit (principal, action, resource) when { context.flag || !context.flag };
permit (principal, action, resource) when { if context.flag then false else 1 == 2 };
)"}},
                           "pk", LoadOptions{.validate = false});
  ASSERT_TRUE(r.ok());
  auto ds = lint_pack(**r);
  ASSERT_EQ(ds.size(), 3u) << messages(ds);
  EXPECT_NE(ds[0].message.find("its `when` condition is false for every request"), std::string::npos);
  EXPECT_NE(ds[1].message.find("its `unless` condition is true for every request"), std::string::npos);
  EXPECT_EQ(ds[2].loc.line, 5u);
}

TEST(Lint, ReportsEachImpossiblePolicyOnceWithTheValidator) {
  auto p = pack(R"(
permit (principal, action, resource) when { context.flag && 1 == 2 };
permit (principal, action, resource) unless { "a" != "b" };
)");
  ASSERT_TRUE(p);
  auto ds = lint_pack(*p);
  ds.insert(ds.end(), p->warnings.begin(), p->warnings.end());
  ASSERT_EQ(ds.size(), 2u) << messages(ds);
}

TEST(Lint, DoesNotRepeatTheValidatorsImpossiblePolicyWarning) {
  auto p = pack("permit (principal, action, resource) when { false };");
  ASSERT_TRUE(p);
  auto ds = lint_pack(*p);
  size_t validator = 0;
  for (const auto& w : p->warnings) validator += w.message.find("impossible") != std::string::npos;
  EXPECT_EQ(validator + ds.size(), 1u) << messages(ds) << messages(p->warnings);
}

TEST(Lint, SuggestionsSplitOffAsHelp) {
  auto ds = lint(R"(
forbid (principal, action, resource);
permit (principal, action, resource) when { context.flag };
)");
  ASSERT_EQ(ds.size(), 1u);
  auto cut = ds[0].message.rfind("; ");
  ASSERT_NE(cut, std::string::npos);
  EXPECT_EQ(ds[0].message.substr(cut + 2, 17), "remove the permit");
}

}  // namespace
}  // namespace tollgate::policy
