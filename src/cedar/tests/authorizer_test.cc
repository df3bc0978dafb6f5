#include <gtest/gtest.h>

#include "cedar/tests/test_util.h"

namespace tollgate::cedar {
namespace {

PolicySet policies(std::string_view text) {
  auto r = parse_policies(text, "p.cedar");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().diagnostics[0].str());
  return r.ok() ? std::move(r).value() : PolicySet{};
}

const char* kEntities = R"([
  {"uid": {"type": "User", "id": "alice"}, "attrs": {"level": 3}, "parents": [{"type": "Team", "id": "core"}]},
  {"uid": {"type": "Team", "id": "core"}, "attrs": {}, "parents": [{"type": "Org", "id": "acme"}]},
  {"uid": {"type": "Action", "id": "read"}, "attrs": {}, "parents": [{"type": "Action", "id": "readOnly"}]}
])";

Request req(std::string p = "User::\"alice\"", std::string a = "Action::\"read\"") {
  return testing::request(std::move(p), std::move(a), "Doc::\"d\"");
}

TEST(Authorizer, DeniesByDefault) {
  auto ps = policies("");
  auto r = authorize(ps, req(), testing::entities_from(kEntities));
  EXPECT_FALSE(r.allow);
  EXPECT_TRUE(r.reason.empty());
}

TEST(Authorizer, ForbidOverridesPermitAndNamesTheForbid) {
  auto ps = policies(R"(
    permit(principal, action, resource);
    forbid(principal in Org::"acme", action, resource);
    permit(principal == User::"alice", action, resource);
  )");
  auto r = authorize(ps, req(), testing::entities_from(kEntities));
  EXPECT_FALSE(r.allow);
  EXPECT_EQ(r.reason, std::vector<std::string>{"policy1"});
}

TEST(Authorizer, AllowListsEverySatisfiedPermit) {
  auto ps = policies(R"(
    permit(principal, action in Action::"readOnly", resource);
    permit(principal in Team::"core", action, resource) when { principal.level > 2 };
    permit(principal, action, resource) unless { principal.level > 2 };
  )");
  auto r = authorize(ps, req(), testing::entities_from(kEntities));
  EXPECT_TRUE(r.allow);
  EXPECT_EQ(r.reason, (std::vector<std::string>{"policy0", "policy1"}));
}

TEST(Authorizer, ErroringPolicyIsSkippedAndReported) {
  auto ps = policies(R"(
    forbid(principal, action, resource) when { principal.nosuch };
    permit(principal, action, resource);
  )");
  auto r = authorize(ps, req(), testing::entities_from(kEntities));
  EXPECT_TRUE(r.allow);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].policy, "policy0");
  EXPECT_NE(r.errors[0].message.find("nosuch"), std::string::npos);
}

TEST(Authorizer, NonBooleanConditionIsAnError) {
  auto ps = policies("permit(principal, action, resource) when { 1 };");
  auto r = authorize(ps, req(), testing::entities_from(kEntities));
  EXPECT_FALSE(r.allow);
  ASSERT_EQ(r.errors.size(), 1u);
}

TEST(Authorizer, TemplateLinksBindTheirSlots) {
  auto ps = policies("permit(principal in ?principal, action, resource);");
  ASSERT_TRUE(ps.link("policy0", "core-members", EntityUID("Team", "core"), std::nullopt).ok());
  ASSERT_TRUE(ps.link("policy0", "bob-only", EntityUID("User", "bob"), std::nullopt).ok());
  auto ents = testing::entities_from(kEntities);
  auto r = authorize(ps, req(), ents);
  EXPECT_TRUE(r.allow);
  EXPECT_EQ(r.reason, std::vector<std::string>{"core-members"});
  EXPECT_FALSE(authorize(ps, req("User::\"carol\""), ents).allow);
}

TEST(Authorizer, LinkingChecksSlotsAndIds) {
  auto ps = policies("permit(principal == ?principal, action, resource); permit(principal, action, resource);");
  EXPECT_FALSE(ps.link("policy0", "l", std::nullopt, std::nullopt).ok());
  EXPECT_FALSE(ps.link("policy0", "l", EntityUID("U", "a"), EntityUID("R", "r")).ok());
  EXPECT_FALSE(ps.link("policy1", "l", EntityUID("U", "a"), std::nullopt).ok());
  EXPECT_FALSE(ps.link("nosuch", "l", EntityUID("U", "a"), std::nullopt).ok());
  EXPECT_TRUE(ps.link("policy0", "l", EntityUID("U", "a"), std::nullopt).ok());
  EXPECT_FALSE(ps.link("policy0", "l", EntityUID("U", "b"), std::nullopt).ok());
  EXPECT_FALSE(ps.link("policy0", "policy1", EntityUID("U", "b"), std::nullopt).ok());
}

TEST(Authorizer, ScopeIndexFindsPoliciesThroughAncestors) {
  std::string text;
  for (int i = 0; i < 500; ++i)
    text += "permit(principal == User::\"u" + std::to_string(i) + "\", action, resource);\n";
  text += "permit(principal in Org::\"acme\", action == Action::\"read\", resource);\n";
  text += "permit(principal, action in Action::\"readOnly\", resource == Doc::\"d\");\n";
  text += "permit(principal, action in Action::\"readOnly\", resource);\n";
  auto ps = policies(text);
  auto ents = testing::entities_from(kEntities);
  auto r = authorize(ps, req(), ents);
  EXPECT_EQ(r.reason, (std::vector<std::string>{"policy500", "policy501", "policy502"}));
  r = authorize(ps, req("User::\"u7\"", "Action::\"write\""), ents);
  EXPECT_EQ(r.reason, std::vector<std::string>{"policy7"});
}

TEST(Authorizer, CyclicHierarchiesTerminate) {
  auto ents = testing::entities_from(R"([
    {"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]},
    {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}]},
    {"uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}, {"type": "G", "id": "z"}]}
  ])");
  auto ps = policies("permit(principal in G::\"z\", action, resource);");
  EXPECT_TRUE(authorize(ps, req("G::\"a\""), ents).allow);
  EXPECT_TRUE(ents.in(EntityUID("G", "b"), EntityUID("G", "a")));
}

}  // namespace
}  // namespace tollgate::cedar
