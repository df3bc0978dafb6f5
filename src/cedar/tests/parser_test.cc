#include <gtest/gtest.h>

#include "cedar/cedar.h"

namespace tollgate::cedar {
namespace {

Error parse_error(std::string_view text) {
  auto r = parse_policies(text, "p.cedar");
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? Error("parsed") : r.error();
}

std::string first_message(std::string_view text) {
  Error e = parse_error(text);
  return e.diagnostics.empty() ? e.message : e.diagnostics[0].str();
}

TEST(Parser, NamesPoliciesInSourceOrderIgnoringIdAnnotation) {
  auto r = parse_policies(R"(
    @id("first") permit(principal, action, resource);
    forbid(principal, action, resource) unless { false };
  )",
                          "p.cedar");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->policies().size(), 2u);
  EXPECT_EQ(r->policies()[0]->id, "policy0");
  EXPECT_EQ(r->policies()[1]->id, "policy1");
  ASSERT_NE(r->policies()[0]->annotation("id"), nullptr);
  EXPECT_EQ(*r->policies()[0]->annotation("id"), "first");
  EXPECT_EQ(r->policies()[1]->effect, Effect::Forbid);
}

TEST(Parser, ReportsEveryErrorWithLineAndColumn) {
  Error e = parse_error(
      "permit(principal, action, resource) when { 1 + };\n"
      "permit(principal, action, resource);\n"
      "forbid(principal, action == User::\"x\", resource);\n");
  ASSERT_EQ(e.diagnostics.size(), 2u);
  EXPECT_EQ(e.diagnostics[0].str(), "p.cedar:1:48: expected an expression, found `}`");
  EXPECT_EQ(e.diagnostics[1].loc.line, 3u);
  EXPECT_EQ(e.diagnostics[1].loc.col, 29u);
}

TEST(Parser, RejectsChainedComparisons) {
  EXPECT_NE(first_message("permit(principal, action, resource) when { 1 < 2 < 3 };").find("chained"),
            std::string::npos);
}

TEST(Parser, AcceptsMinimumLongOnlyWhenNegated) {
  EXPECT_TRUE(parse_expression("-9223372036854775808").ok());
  EXPECT_FALSE(parse_expression("9223372036854775808").ok());
  EXPECT_FALSE(parse_expression("-(9223372036854775808)").ok());
  EXPECT_TRUE(parse_expression("9223372036854775807").ok());
}

TEST(Parser, RejectsMoreThanFourUnaryOperators) {
  EXPECT_TRUE(parse_expression("!!!!true").ok());
  EXPECT_FALSE(parse_expression("!!!!!true").ok());
  EXPECT_FALSE(parse_expression("-----1").ok());
}

TEST(Parser, CapsNestingDepthWithoutCrashing) {
  std::string deep(100000, '(');
  EXPECT_FALSE(parse_expression(deep + "1" + std::string(100000, ')')).ok());
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += " + 1";
  auto r = parse_expression(chain);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().diagnostics[0].message.find("nested too deeply"), std::string::npos);
  std::string sets(50000, '[');
  EXPECT_FALSE(parse_policies("permit(principal,action,resource) when {" + sets + "};", "p").ok());
}

TEST(Parser, RejectsInvalidUtf8AndStrayBytes) {
  EXPECT_FALSE(parse_policies("permit(principal, action, resource) when { \"\xff\" };", "p").ok());
  EXPECT_NE(first_message(std::string("permit(principal, action, resource)\0;", 38)).find("0x00"), std::string::npos);
}

TEST(Parser, ResolvesFunctionsAndMethodsAtParseTime) {
  EXPECT_TRUE(parse_expression("ip(\"1.2.3.4\").isInRange(ip(\"1.0.0.0/8\"))").ok());
  EXPECT_FALSE(parse_expression("nosuch(\"x\")").ok());
  EXPECT_FALSE(parse_expression("isIpv4(ip(\"1.2.3.4\"))").ok());
  EXPECT_FALSE(parse_expression("\"1.2.3.4\".ip()").ok());
  EXPECT_FALSE(parse_expression("[1].contains(1, 2)").ok());
  EXPECT_FALSE(parse_expression("[1].isEmpty(1)").ok());
}

TEST(Parser, ActionScopeRequiresActionEntities) {
  EXPECT_TRUE(parse_policies("permit(principal, action in [NS::Action::\"a\", Action::\"b\",], resource);", "p").ok());
  EXPECT_FALSE(parse_policies("permit(principal, action == User::\"a\", resource);", "p").ok());
  EXPECT_FALSE(parse_policies("permit(principal, action is Action, resource);", "p").ok());
}

TEST(Parser, AcceptsTrailingCommasAndComments) {
  auto r = parse_policies(
      "// leading\npermit(principal, action, resource) // scope\n"
      "when { [1, 2,].contains(1) && {a: 1, \"b c\": 2,}.a == 1 && ip(\"::1\",).isIpv6() };",
      "p");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().diagnostics[0].str());
}

TEST(Parser, RejectsDuplicateAnnotationsAndRecordKeys) {
  EXPECT_NE(first_message("@a(\"1\") @a(\"2\") permit(principal, action, resource);").find("duplicate annotation"),
            std::string::npos);
  EXPECT_FALSE(parse_expression("{a: 1, a: 2}").ok());
}

TEST(Parser, DetectsTemplatesBySlotsAndRejectsSlotsElsewhere) {
  auto r = parse_policies("permit(principal == ?principal, action, resource in ?resource);", "p");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->policies()[0]->is_template());
  EXPECT_TRUE(r->instances().empty());
  EXPECT_FALSE(parse_policies("permit(principal == ?resource, action, resource);", "p").ok());
  EXPECT_FALSE(parse_policies("permit(principal, action, resource) when { ?principal == 1 };", "p").ok());
}

TEST(Parser, DecodesStringEscapes) {
  auto e = parse_expression(R"("a\n\t\\\"\u{1F600}\x41\0")");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->lit.as_string(), std::string("a\n\t\\\"\xF0\x9F\x98\x80"
                                               "A\0",
                                               11));
  EXPECT_FALSE(parse_expression(R"("\q")").ok());
  EXPECT_FALSE(parse_expression(R"("\u{D800}")").ok());
  EXPECT_FALSE(parse_expression(R"("\x80")").ok());
  EXPECT_FALSE(parse_expression(R"("\*")").ok());
}

TEST(Parser, RequiresAnExpressionInConditions) {
  EXPECT_FALSE(parse_policies("permit(principal, action, resource) when {};", "p").ok());
  EXPECT_FALSE(parse_policies("permit(principal, action, resource)", "p").ok());
  EXPECT_FALSE(parse_policies("permit(principal, action, resource, context);", "p").ok());
}

}  // namespace
}  // namespace tollgate::cedar
