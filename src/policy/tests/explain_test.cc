#include "policy/explain.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cedar/cedar.h"

namespace tollgate::policy {
namespace {

constexpr const char* kSchema = R"(
entity Team;
entity User in [Team] = { n: Long };
entity Doc;
action "read", "write";
action view in ["read"] appliesTo { principal: User, resource: Doc, context: { secret: Bool, big: Long } };
action edit in ["write"] appliesTo { principal: User, resource: Doc, context: { secret: Bool, big: Long } };
)";

constexpr const char* kPolicies = R"(
@id("read-all") @reason("reading is fine")
permit (principal, action in Action::"read", resource);

@id("dev-edit")
permit (principal in Team::"dev", action == Action::"edit", resource);

@id("secret-ask") @ask("secret documents need a human")
forbid (principal, action, resource) when { context.secret };

@id("doc-x") @reason("x is frozen")
forbid (principal, action == Action::"edit", resource == Doc::"x");

@id("overflow")
forbid (principal, action, resource) when { context.big + 9223372036854775807 < 0 };

@id("shadow") @mode("log-only")
forbid (principal, action == Action::"view", resource) unless { principal.n > 3 };
)";

constexpr const char* kEntities = R"([
  {"uid": {"type": "User", "id": "alice"}, "attrs": {"n": 1}, "parents": [{"type": "Team", "id": "dev"}]},
  {"uid": {"type": "User", "id": "bob"}, "attrs": {"n": 5}, "parents": []},
  {"uid": {"type": "Team", "id": "dev"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Doc", "id": "x"}, "attrs": {}, "parents": []},
  {"uid": {"type": "Doc", "id": "y"}, "attrs": {}, "parents": []}
])";

class ExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto p = load_pack_files({{"p.cedar", kPolicies}, {"schema.cedarschema", kSchema}}, "pk");
    ASSERT_TRUE(p.ok()) << (p.ok() || p.error().diagnostics.empty() ? "" : p.error().diagnostics[0].str());
    pack_ = *p;
    auto e = cedar::parse_entities(kEntities, "e.json", pack_->schema.get());
    ASSERT_TRUE(e.ok()) << e.error().message;
    ents_ = std::move(*e);
  }

  cedar::Request request(const std::string& who, const std::string& act, const std::string& doc, bool secret,
                         int64_t big = 0) {
    std::string json = R"({"principal": {"type": "User", "id": ")" + who +
                       R"("}, "action": {"type": "Action", "id": ")" + act +
                       R"("}, "resource": {"type": "Doc", "id": ")" + doc + R"("}, "context": {"secret": )" +
                       (secret ? "true" : "false") + R"(, "big": )" + std::to_string(big) + "}}";
    auto r = cedar::parse_request(json, pack_->schema.get());
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *r;
  }

  const PolicyTrace& find(const Explanation& e, const std::string& id) {
    for (const auto& t : e.policies)
      if (t.id == id) return t;
    for (const auto& t : e.log_only)
      if (t.id == id) return t;
    ADD_FAILURE() << "no trace for " << id;
    static PolicyTrace none;
    return none;
  }

  std::shared_ptr<const Pack> pack_;
  cedar::Entities ents_;
};

TEST_F(ExplainTest, AllowsAndNamesThePermitWithItsReason) {
  auto e = explain(*pack_, request("alice", "view", "y", false), ents_);
  EXPECT_EQ(e.decision, Decision::Allow);
  EXPECT_EQ(e.determining, std::vector<std::string>{"read-all"});
  EXPECT_EQ(find(e, "read-all").reason, "reading is fine");
  EXPECT_EQ(find(e, "read-all").outcome, PolicyTrace::Outcome::Satisfied);
}

TEST_F(ExplainTest, SaysWhichScopePartsDidNotMatch) {
  auto e = explain(*pack_, request("bob", "view", "y", false), ents_);
  const auto& t = find(e, "dev-edit");
  EXPECT_EQ(t.outcome, PolicyTrace::Outcome::ScopeMismatch);
  EXPECT_EQ(t.scope_mismatch, (std::vector<std::string>{"principal", "action"}));
  EXPECT_EQ(find(e, "doc-x").scope_mismatch, (std::vector<std::string>{"action", "resource"}));
}

TEST_F(ExplainTest, NamesTheClauseThatWasNotMet) {
  auto e = explain(*pack_, request("alice", "view", "y", false), ents_);
  const auto& t = find(e, "secret-ask");
  EXPECT_EQ(t.outcome, PolicyTrace::Outcome::ConditionFalse);
  EXPECT_EQ(t.clause, 0);
  EXPECT_TRUE(t.clause_when);
}

TEST_F(ExplainTest, AsksWhenEverySatisfiedForbidAsks) {
  auto e = explain(*pack_, request("alice", "view", "y", true), ents_);
  EXPECT_EQ(e.decision, Decision::Ask);
  EXPECT_EQ(e.determining, std::vector<std::string>{"secret-ask"});
  EXPECT_EQ(e.asks, std::vector<std::string>{"secret documents need a human"});
}

TEST_F(ExplainTest, DeniesWhenAnySatisfiedForbidDoesNotAsk) {
  auto e = explain(*pack_, request("alice", "edit", "x", true), ents_);
  EXPECT_EQ(e.decision, Decision::Deny);
  EXPECT_EQ(e.determining, (std::vector<std::string>{"secret-ask", "doc-x"}));
  EXPECT_TRUE(e.asks.empty());
}

TEST_F(ExplainTest, DeniesByDefaultWithNoDeterminingPolicy) {
  auto e = explain(*pack_, request("bob", "edit", "y", false), ents_);
  EXPECT_EQ(e.decision, Decision::Deny);
  EXPECT_TRUE(e.determining.empty());
  EXPECT_NE(explanation_text(e).find("default deny"), std::string::npos);
}

TEST_F(ExplainTest, ReportsEvaluationErrorsAndSkipsThePolicy) {
  auto e = explain(*pack_, request("alice", "view", "y", false, 5), ents_);
  const auto& t = find(e, "overflow");
  EXPECT_EQ(t.outcome, PolicyTrace::Outcome::Error);
  EXPECT_NE(t.error.find("overflow"), std::string::npos) << t.error;
  EXPECT_EQ(e.decision, Decision::Allow);
}

TEST_F(ExplainTest, LogOnlyPoliciesWouldDecideButDoNotChangeTheDecision) {
  auto e = explain(*pack_, request("alice", "view", "y", false), ents_);
  EXPECT_EQ(e.decision, Decision::Allow);
  ASSERT_EQ(e.log_only.size(), 1u);
  EXPECT_EQ(e.log_only[0].outcome, PolicyTrace::Outcome::Satisfied);
  EXPECT_EQ(e.would_decide, Decision::Deny);
  EXPECT_NE(explanation_text(e).find("would deny"), std::string::npos);
  // bob has n = 5: the shadow rule's `unless` holds.
  auto b = explain(*pack_, request("bob", "view", "y", false), ents_);
  EXPECT_EQ(b.log_only[0].outcome, PolicyTrace::Outcome::ConditionFalse);
  EXPECT_FALSE(b.log_only[0].clause_when);
}

TEST_F(ExplainTest, AgreesWithTheCedarAuthorizerOnTheEnforcedSet) {
  for (const char* who : {"alice", "bob", "carol"}) {
    for (const char* act : {"view", "edit"}) {
      for (const char* doc : {"x", "y"}) {
        for (bool secret : {false, true}) {
          for (int64_t big : {0, 1}) {
            auto req = request(who, act, doc, secret, big);
            auto e = explain(*pack_, req, ents_);
            auto r = cedar::authorize(pack_->enforced, req, ents_);
            bool allow = e.decision == Decision::Allow;
            EXPECT_EQ(allow, r.allow) << who << " " << act << " " << doc;
            EXPECT_EQ(e.determining, r.reason) << who << " " << act << " " << doc;
            size_t errors = 0;
            for (const auto& t : e.policies) errors += t.outcome == PolicyTrace::Outcome::Error;
            EXPECT_EQ(errors, r.errors.size());
          }
        }
      }
    }
  }
}

TEST_F(ExplainTest, JsonCarriesEveryPolicyAndTheDecision) {
  auto e = explain(*pack_, request("alice", "edit", "x", false, 3), ents_);
  auto j = nlohmann::json::parse(explanation_json(e));
  EXPECT_EQ(j["decision"], "deny");
  EXPECT_EQ(j["determining"], nlohmann::json::array({"doc-x"}));
  EXPECT_EQ(j["policies"].size(), 5u);
  EXPECT_EQ(j["log_only"].size(), 1u);
  for (const auto& p : j["policies"]) {
    EXPECT_TRUE(p.contains("id") && p.contains("effect") && p.contains("file") && p.contains("line") &&
                p.contains("outcome"));
    if (p["id"] == "overflow") {
      EXPECT_EQ(p["outcome"], "error");
    }
    if (p["id"] == "doc-x") {
      EXPECT_EQ(p["outcome"], "satisfied");
      EXPECT_EQ(p["reason"], "x is frozen");
    }
    if (p["id"] == "read-all") {
      EXPECT_EQ(p["scope_mismatch"], nlohmann::json::array({"action"}));
    }
  }
  EXPECT_EQ(j["log_only"][0]["would"], nullptr);
}

}  // namespace
}  // namespace tollgate::policy
