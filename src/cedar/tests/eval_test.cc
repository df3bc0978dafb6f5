#include <gtest/gtest.h>

#include "cedar/tests/test_util.h"

namespace tollgate::cedar {
namespace {

using testing::eval_str;

const char* kEntities = R"([
  {"uid": {"type": "User", "id": "alice"}, "attrs": {"age": 30, "tags": ["a", "b"], "addr": {"city": "Paris"}},
   "parents": [{"type": "Group", "id": "dev"}], "tags": {"team": "core"}},
  {"uid": {"type": "Group", "id": "dev"}, "attrs": {}, "parents": [{"type": "Group", "id": "eng"}]},
  {"uid": {"type": "Group", "id": "eng"}, "attrs": {}, "parents": [{"type": "Group", "id": "ghost"}]},
  {"uid": {"type": "Doc", "id": "d"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "alice"}}}, "parents": []}
])";

class Eval : public ::testing::Test {
 protected:
  Entities ents = testing::entities_from(kEntities);
  std::string ev(std::string_view e) { return eval_str(e, ents); }
};

TEST_F(Eval, ShortCircuitSkipsErrorsOnTheRight) {
  EXPECT_EQ(ev("false && (1 + \"a\" == 2)"), "false");
  EXPECT_EQ(ev("true || principal.nosuch"), "true");
  EXPECT_EQ(ev("true && principal.nosuch").substr(0, 6), "error:");
}

TEST_F(Eval, LogicalOperatorsRequireBooleans) {
  EXPECT_EQ(ev("1 && true"), "error: type error: expected bool, got long");
  EXPECT_EQ(ev("true && 1"), "error: type error: expected bool, got long");
  EXPECT_EQ(ev("!\"x\""), "error: type error: expected bool, got string");
  EXPECT_EQ(ev("if 1 then 2 else 3"), "error: type error: expected bool, got long");
  EXPECT_EQ(ev("if false then 1 + \"x\" else 3"), "3");
}

TEST_F(Eval, ArithmeticOverflowIsAnError) {
  EXPECT_EQ(ev("9223372036854775807 + 0"), "9223372036854775807");
  EXPECT_EQ(ev("9223372036854775807 + 1").substr(0, 23), "error: integer overflow");
  EXPECT_EQ(ev("-9223372036854775808 - 1").substr(0, 23), "error: integer overflow");
  EXPECT_EQ(ev("-(-9223372036854775808)").substr(0, 23), "error: integer overflow");
  EXPECT_EQ(ev("--9223372036854775808").substr(0, 23), "error: integer overflow");
  EXPECT_EQ(ev("4294967296 * 4294967296").substr(0, 23), "error: integer overflow");
  EXPECT_EQ(ev("-3 * 4 - -2"), "-10");
}

TEST_F(Eval, InIsReflexiveAndTransitive) {
  EXPECT_EQ(ev("principal in principal"), "true");
  EXPECT_EQ(ev("principal in Group::\"eng\""), "true");
  EXPECT_EQ(ev("principal in Group::\"ghost\""), "true");  // parent not in the store still counts
  EXPECT_EQ(ev("Group::\"eng\" in Group::\"dev\""), "false");
  EXPECT_EQ(ev("principal in [Group::\"x\", Group::\"dev\"]"), "true");
  EXPECT_EQ(ev("principal in []"), "false");
}

TEST_F(Eval, UnknownEntitiesHaveNoAncestors) {
  EXPECT_EQ(ev("User::\"nobody\" in Group::\"dev\""), "false");
  EXPECT_EQ(ev("User::\"nobody\" in User::\"nobody\""), "true");
}

TEST_F(Eval, InChecksEveryElementOfTheSet) {
  EXPECT_EQ(ev("principal in [principal, 1]"), "error: type error: expected entity, got long");
  EXPECT_EQ(ev("1 in [principal]"), "error: type error: expected entity, got long");
}

TEST_F(Eval, AttributesOfEntitiesAndRecords) {
  EXPECT_EQ(ev("principal.age"), "30");
  EXPECT_EQ(ev("principal[\"addr\"].city"), "\"Paris\"");
  EXPECT_EQ(ev("principal has addr.city"), "true");
  EXPECT_EQ(ev("principal has addr.zip"), "false");
  EXPECT_EQ(ev("principal has nosuch.city"), "false");
  EXPECT_EQ(ev("User::\"nobody\" has age"), "false");
  EXPECT_EQ(ev("User::\"nobody\".age"), "error: entity `User::\"nobody\"` does not exist");
  EXPECT_EQ(ev("principal.nosuch").substr(0, 6), "error:");
  EXPECT_EQ(ev("{a: 1}.b"), "error: record does not have the attribute `b`");
  EXPECT_EQ(ev("1 has a"), "error: type error: expected (entity or record), got long");
  EXPECT_EQ(ev("resource.owner == principal"), "true");
}

TEST_F(Eval, LikeMatchesWildcardsAndEscapedStars) {
  EXPECT_EQ(ev("\"abcdef\" like \"a*f\""), "true");
  EXPECT_EQ(ev("\"abcdef\" like \"a*c\""), "false");
  EXPECT_EQ(ev("\"a*b\" like \"a\\*b\""), "true");
  EXPECT_EQ(ev("\"axb\" like \"a\\*b\""), "false");
  EXPECT_EQ(ev("\"\" like \"*\""), "true");
  EXPECT_EQ(ev("\"aaa\" like \"*a*a*a*\""), "true");
  EXPECT_EQ(ev("\"aa\" like \"*a*a*a*\""), "false");
  EXPECT_EQ(ev("\"héllo\" like \"h*o\""), "true");
  EXPECT_EQ(ev("1 like \"*\""), "error: type error: expected string, got long");
}

TEST_F(Eval, IsAndIsInTestTypeThenMembership) {
  EXPECT_EQ(ev("principal is User"), "true");
  EXPECT_EQ(ev("principal is Group"), "false");
  EXPECT_EQ(ev("principal is User in Group::\"eng\""), "true");
  EXPECT_EQ(ev("principal is Group in 1"), "false");  // type mismatch short-circuits
  EXPECT_EQ(ev("principal is User in 1"), "error: type error: expected set or entity, got long");
  EXPECT_EQ(ev("1 is User"), "error: type error: expected entity, got long");
}

TEST_F(Eval, SetOperations) {
  EXPECT_EQ(ev("[1, 2, 3].containsAll([3, 1])"), "true");
  EXPECT_EQ(ev("[1, 2, 3].containsAny([4, 5])"), "false");
  EXPECT_EQ(ev("[].isEmpty()"), "true");
  EXPECT_EQ(ev("[[1], {a: 1}].contains({a: 1})"), "true");
  EXPECT_EQ(ev("[1, 1, 2] == [2, 1]"), "true");
  EXPECT_EQ(ev("{a: 1, b: 2} == {b: 2, a: 1}"), "true");
  EXPECT_EQ(ev("1.contains(1)"), "error: type error: expected set, got long");
  EXPECT_EQ(ev("[1].containsAll(1)"), "error: type error: expected set, got long");
}

TEST_F(Eval, EqualityAcrossTypesIsFalseNotAnError) {
  EXPECT_EQ(ev("1 == \"1\""), "false");
  EXPECT_EQ(ev("principal != 1"), "true");
  EXPECT_EQ(ev("decimal(\"1.0\") == decimal(\"1.0000\")"), "true");
}

TEST_F(Eval, ComparisonsOnLongsDatetimesAndDurations) {
  EXPECT_EQ(ev("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 4"), "false");
  EXPECT_EQ(ev("datetime(\"2024-01-01\") < datetime(\"2024-01-02\")"), "true");
  EXPECT_EQ(ev("duration(\"1h\") >= duration(\"60m\")"), "true");
  EXPECT_EQ(ev("1 < \"2\"").substr(0, 17), "error: type error");
  EXPECT_EQ(ev("decimal(\"1.0\") < decimal(\"2.0\")").substr(0, 17), "error: type error");
}

TEST_F(Eval, EntityTags) {
  EXPECT_EQ(ev("principal.hasTag(\"team\")"), "true");
  EXPECT_EQ(ev("principal.getTag(\"team\")"), "\"core\"");
  EXPECT_EQ(ev("principal.hasTag(\"nope\")"), "false");
  EXPECT_EQ(ev("User::\"nobody\".hasTag(\"team\")"), "false");
  EXPECT_EQ(ev("principal.getTag(\"nope\")").substr(0, 6), "error:");
  EXPECT_EQ(ev("principal.getTag(1)"), "error: type error: expected string, got long");
}

TEST_F(Eval, ExtensionFunctionsAndMethods) {
  EXPECT_EQ(ev("ip(\"10.1.2.3\").isInRange(ip(\"10.0.0.0/8\"))"), "true");
  EXPECT_EQ(ev("ip(\"127.0.0.1\").isLoopback()"), "true");
  EXPECT_EQ(ev("decimal(\"1.23\").lessThan(decimal(\"1.24\"))"), "true");
  EXPECT_EQ(ev("duration(\"1d2h\").toHours()"), "26");
  EXPECT_EQ(ev("datetime(\"2024-10-15T11:35:00Z\").toTime() == duration(\"11h35m\")"), "true");
  EXPECT_EQ(ev("ip(\"nope\")").substr(0, 6), "error:");
  EXPECT_EQ(ev("ip(1)"), "error: type error: expected string, got long");
  EXPECT_EQ(ev("decimal(\"1.0\").isIpv4()"), "error: type error: expected ipaddr, got decimal");
}

TEST_F(Eval, VariablesComeFromTheRequest) {
  Request req =
      testing::request("User::\"alice\"", "Action::\"view\"", "Doc::\"d\"", Value::record({{"n", Value(int64_t{5})}}));
  EXPECT_EQ(eval_str("context.n + 1", ents, req), "6");
  EXPECT_EQ(eval_str("action", ents, req), "Action::\"view\"");
  EXPECT_EQ(eval_str("context.m", ents, req), "error: record does not have the attribute `m`");
}

}  // namespace
}  // namespace tollgate::cedar

namespace tollgate::cedar {
namespace {

TEST(EvalArity, ExtensionArityIsCheckedWhenEvaluated) {
  // Cedar parses a call to an extension function with the wrong number of
  // arguments and fails only when the call is evaluated.
  EXPECT_EQ(testing::eval_str("duration(\"1h\", \"2h\")"),
            "error: wrong number of arguments to `duration`: expected 1, got 2");
  EXPECT_EQ(testing::eval_str("ip(\"::1\").isLoopback(1)"),
            "error: wrong number of arguments to `isLoopback`: expected 0, got 1");
  EXPECT_EQ(testing::eval_str("false && decimal()"), "false");
}

TEST(EvalJson, ExtensionValuesInJsonMayApplyAnyExtensionFunction) {
  auto ents = testing::entities_from(R"([{"uid": {"type": "E", "id": "e"}, "parents": [], "attrs": {
    "at": {"__extn": {"fn": "offset", "args": [{"__extn": {"fn": "datetime", "arg": "1970-01-01"}},
                                                {"__extn": {"fn": "duration", "arg": "1d"}}]}},
    "ip": {"__extn": {"fn": "ip", "args": ["10.0.0.1"]}}}}])");
  Request req = testing::request("E::\"e\"", "Action::\"a\"", "E::\"e\"");
  EXPECT_EQ(testing::eval_str("principal.at == datetime(\"1970-01-02\")", ents, req), "true");
  EXPECT_EQ(testing::eval_str("principal.ip.isIpv4()", ents, req), "true");
  EXPECT_FALSE(parse_entities(R"([{"uid": {"type": "E", "id": "e"}, "attrs": {
    "x": {"__extn": {"fn": "offset", "args": [1]}}}}])",
                              "e.json")
                   .ok());
  EXPECT_FALSE(parse_entities(R"([{"uid": {"type": "E", "id": "e"}, "attrs": {
    "x": {"__extn": {"fn": "contains", "args": [[1], 1]}}}}])",
                              "e.json")
                   .ok());
}

}  // namespace
}  // namespace tollgate::cedar
