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

TEST(Authorizer, CyclicHierarchiesAreRejectedButTerminate) {
  const char* cyclic = R"([
    {"uid": {"type": "G", "id": "a"}, "attrs": {}, "parents": [{"type": "G", "id": "b"}]},
    {"uid": {"type": "G", "id": "b"}, "attrs": {}, "parents": [{"type": "G", "id": "c"}]},
    {"uid": {"type": "G", "id": "c"}, "attrs": {}, "parents": [{"type": "G", "id": "a"}, {"type": "G", "id": "z"}]}
  ])";
  auto r = parse_entities(cyclic, "e.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cycle"), std::string::npos);
  // Built by hand, the store still computes complete ancestor sets.
  Entities ents;
  for (auto [id, parents] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{{"a", {"b"}}, {"b", {"c"}}, {"c", {"a", "z"}}}) {
    Entity e;
    e.uid = EntityUID("G", id);
    for (const auto& p : parents) e.parents.emplace_back("G", p);
    ASSERT_TRUE(ents.add(std::move(e)).ok());
  }
  EXPECT_FALSE(ents.finalize().ok());
  EXPECT_TRUE(ents.in(EntityUID("G", "b"), EntityUID("G", "a")));
  auto ps = policies("permit(principal in G::\"z\", action, resource);");
  EXPECT_TRUE(authorize(ps, req("G::\"a\""), ents).allow);
}

TEST(Authorizer, IdenticalDuplicateEntitiesAreAcceptedDifferentOnesRejected) {
  EXPECT_TRUE(parse_entities(R"([
    {"uid": {"type": "U", "id": "a"}, "attrs": {"n": 1}, "parents": []},
    {"uid": {"type": "U", "id": "a"}, "attrs": {"n": 1}, "parents": [], "tags": {}}])",
                             "e.json")
                  .ok());
  EXPECT_FALSE(parse_entities(R"([
    {"uid": {"type": "U", "id": "a"}, "attrs": {"n": 1}, "parents": []},
    {"uid": {"type": "U", "id": "a"}, "attrs": {"n": 2}, "parents": []}])",
                              "e.json")
                   .ok());
}

TEST(Authorizer, EntityJsonFollowsTheReferenceLeniency) {
  // Unknown keys are ignored; extra keys inside uids are ignored; attrs and
  // parents are required; escapes of the wrong shape are plain records.
  auto ents = testing::entities_from(R"([
    {"uid": {"type": "User", "id": "a", "note": 1}, "attrs": {
       "m": {"__entity": {"type": "User", "id": "b", "extra": 2}},
       "r": {"__entity": "User::\"b\""},
       "d": {"__extn": {"fn": "decimal", "arg": "1.0", "args": ["2.0"], "x": 1}},
       "e": {"__extn": {"fn": "ip"}}},
     "parents": [{"type": "Group", "id": "g", "note": 1}], "unknownField": true}])");
  Request rq = testing::request("User::\"a\"", "Action::\"v\"", "Doc::\"d\"");
  EXPECT_EQ(testing::eval_str("principal.m == User::\"b\"", ents, rq), "true");
  EXPECT_EQ(testing::eval_str("principal.r has __entity", ents, rq), "true");
  EXPECT_EQ(testing::eval_str("principal.r has __cedar", ents, rq).substr(0, 11), "parse error");
  EXPECT_EQ(testing::eval_str("principal.r has \"__entity\"", ents, rq), "true");
  EXPECT_EQ(testing::eval_str("principal.d == decimal(\"1.0\")", ents, rq), "true");
  EXPECT_EQ(testing::eval_str("principal.e.__extn.fn", ents, rq), "\"ip\"");
  EXPECT_EQ(testing::eval_str("principal in Group::\"g\"", ents, rq), "true");
  EXPECT_FALSE(parse_entities(R"([{"uid": {"type": "U", "id": "a"}, "parents": []}])", "e.json").ok());
  EXPECT_FALSE(parse_entities(R"([{"uid": {"type": "U", "id": "a"}, "attrs": {}}])", "e.json").ok());
  EXPECT_FALSE(
      parse_entities(R"([{"uid": {"type": "U", "id": "a"}, "attrs": {"x": {"__expr": "1"}}, "parents": []}])", "e.json")
          .ok());
}

}  // namespace
}  // namespace tollgate::cedar
