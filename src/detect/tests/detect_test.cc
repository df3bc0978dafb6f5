#include "detect/detect.h"

#include <gtest/gtest.h>

namespace tollgate::detect {
namespace {

using nlohmann::json;

// A detector on a clock the test moves.
struct Fixture {
  int64_t now = 1'780'000'000'000;
  Detector det;
  explicit Fixture(Config c = Config()) : det(std::move(c), [this] { return now; }) {}

  std::vector<Detection> decide(const std::string& session, const std::string& effect, const std::string& id = "",
                                const std::string& agent = "claude") {
    Event e;
    e.kind = EventKind::Decision;
    e.session = session;
    e.agent = agent;
    e.effect = effect;
    e.tool_use_id = id;
    return det.observe(e);
  }
  std::vector<Detection> outcome(const std::string& session, const std::string& id, bool success = true) {
    Event e;
    e.kind = EventKind::Outcome;
    e.session = session;
    e.agent = "claude";
    e.tool_use_id = id;
    e.success = success;
    return det.observe(e);
  }
};

size_t fired(const std::vector<Detection>& ds, const std::string& detector, const std::string& level = "session") {
  return std::count_if(ds.begin(), ds.end(),
                       [&](const Detection& d) { return d.detector == detector && d.level == level; });
}

Config only(const std::string& detector) {
  Config c;
  for (Rule* r :
       {&c.probing, &c.burst, &c.scope_deviation, &c.privilege_accumulation, &c.rug_pull, &c.missing_enforcement})
    r->enabled = false;
  if (detector == "probing") c.probing.enabled = true;
  if (detector == "burst") c.burst.enabled = true;
  if (detector == "scope_deviation") c.scope_deviation.enabled = true;
  if (detector == "privilege_accumulation") c.privilege_accumulation.enabled = true;
  if (detector == "rug_pull") c.rug_pull.enabled = true;
  if (detector == "missing_enforcement") c.missing_enforcement.enabled = true;
  return c;
}

TEST(Probing, FiresOnTheNthDenialWithinTheWindow) {
  Fixture f(only("probing"));
  for (int i = 0; i < 9; ++i) {
    EXPECT_TRUE(f.decide("s1", "deny").empty()) << i;
    f.now += 1000;
  }
  EXPECT_TRUE(f.decide("s1", "allow").empty());  // allows do not count
  auto d = f.decide("s1", "deny");
  ASSERT_EQ(fired(d, "probing"), 1u);
  EXPECT_EQ(d[0].session, "s1");
  EXPECT_EQ(d[0].evidence["count"], 10);
  EXPECT_EQ(d[0].responses, (std::vector<Response>{Response::Quarantine, Response::Revoke}));
}

TEST(Probing, DenialsOlderThanTheWindowDoNotCount) {
  Fixture f(only("probing"));
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(f.decide("s1", "deny").empty());
  f.now += 300'000;  // the window is 300 s: the nine fall out of it
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(f.decide("s1", "deny").empty()) << i;
  EXPECT_EQ(fired(f.decide("s1", "deny"), "probing"), 1u);
}

TEST(Probing, CountsEachSessionApartAndTheAgentAcrossThem) {
  Config c = only("probing");
  c.probing.agent_threshold = 15;
  Fixture f(c);
  // Eight denials in each of two sessions of one agent: neither session
  // reaches 10, the agent reaches 15 on the fifteenth.
  std::vector<Detection> all;
  for (int i = 0; i < 8; ++i) {
    for (const char* s : {"a", "b"}) {
      auto d = f.decide(s, "deny");
      all.insert(all.end(), d.begin(), d.end());
    }
  }
  EXPECT_EQ(fired(all, "probing", "session"), 0u);
  ASSERT_EQ(fired(all, "probing", "agent"), 1u);
  const auto& d = all.front();
  EXPECT_EQ(d.agent, "claude");
  EXPECT_TRUE(d.session.empty());  // an agent-level detection names no session to quarantine
  EXPECT_EQ(d.responses, std::vector<Response>{Response::Alert});
  // Another agent's denials are its own.
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(f.decide("c", "deny", "", "other").empty());
}

TEST(Probing, ContainedDenialsDoNotFireAgain) {
  Fixture f(only("probing"));
  for (int i = 0; i < 9; ++i) f.decide("s1", "deny");
  ASSERT_EQ(fired(f.decide("s1", "deny"), "probing"), 1u);
  for (int i = 0; i < 50; ++i) {
    Event e;
    e.session = "s1";
    e.agent = "claude";
    e.effect = "deny";
    e.contained = true;
    EXPECT_TRUE(f.det.observe(e).empty());
  }
}

TEST(Probing, FiresAtMostOncePerWindowPerSession) {
  Fixture f(only("probing"));
  size_t n = 0;
  for (int i = 0; i < 100; ++i) n += fired(f.decide("s1", "deny"), "probing");
  EXPECT_EQ(n, 1u);
  f.now += 300'000;
  for (int i = 0; i < 10; ++i) n += fired(f.decide("s1", "deny"), "probing");
  EXPECT_EQ(n, 2u);
}

TEST(Burst, FiresWhenTheRateExceedsTheThreshold) {
  Fixture f(only("burst"));
  size_t n = 0;
  for (int i = 0; i < 119; ++i) {
    n += f.decide("s1", i % 2 ? "allow" : "deny").size();
    f.now += 100;  // 10 calls a second
  }
  EXPECT_EQ(n, 0u);
  auto d = f.decide("s1", "allow");
  ASSERT_EQ(fired(d, "burst"), 1u);
  EXPECT_EQ(d[0].responses, std::vector<Response>{Response::Alert});
}

TEST(Burst, ASteadyPaceBelowTheThresholdNeverFires) {
  Fixture f(only("burst"));
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(f.decide("s1", "allow").empty()) << i;
    f.now += 600;  // 100 a minute, below 120
  }
}

Event task_call(const std::string& action, const std::string& path, const std::string& text = "") {
  Event e;
  e.kind = EventKind::Decision;
  e.session = "s1";
  e.agent = "claude";
  e.task = "task-1";
  e.effect = "allow";
  e.task_repos = {"/home/dev/web"};
  e.task_environment = "staging";
  e.targets.push_back({action, path, text});
  return e;
}

TEST(ScopeDeviation, RepeatedWritesOutsideTheTaskRepositoriesFire) {
  Fixture f(only("scope_deviation"));
  // Inside the repository, in temp, reads anywhere: in scope.
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(f.det.observe(task_call("file.write", "/home/dev/web/src/a.ts")).empty());
    EXPECT_TRUE(f.det.observe(task_call("file.write", "/tmp/x")).empty());
    EXPECT_TRUE(f.det.observe(task_call("file.read", "/home/dev/other/README")).empty());
  }
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(f.det.observe(task_call("file.write", "/home/dev/infra/main.tf")).empty()) << i;
  auto d = f.det.observe(task_call("file.delete", "/home/dev/infra/state"));
  ASSERT_EQ(fired(d, "scope_deviation"), 1u);
  EXPECT_EQ(d[0].task, "task-1");
  ASSERT_EQ(d[0].evidence["examples"].size(), 5u);
  EXPECT_NE(d[0].evidence["examples"][4].get<std::string>().find("/home/dev/infra/state"), std::string::npos);
}

TEST(ScopeDeviation, NamingAMoreSensitiveEnvironmentCountsAndCommandTextIsNotRecorded) {
  Fixture f(only("scope_deviation"));
  // The task is for staging: staging and dev are fine, prod is not.
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(f.det.observe(task_call("shell.exec", "", "kubectl --context staging get pods")).empty());
    EXPECT_TRUE(f.det.observe(task_call("shell.exec", "", "make product-page")).empty());  // a word, not `prod`
  }
  std::vector<Detection> all;
  for (int i = 0; i < 5; ++i) {
    auto d = f.det.observe(task_call("shell.exec", "", "kubectl --context prod-eu --token s3cr3t get secrets"));
    all.insert(all.end(), d.begin(), d.end());
  }
  ASSERT_EQ(fired(all, "scope_deviation"), 1u);
  std::string text = detection_json(all[0]).dump();
  EXPECT_NE(text.find("`prod`"), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos) << text;
}

TEST(ScopeDeviation, SessionsWithoutATaskHaveNoScope) {
  Fixture f(only("scope_deviation"));
  for (int i = 0; i < 20; ++i) {
    Event e = task_call("file.write", "/etc/passwd");
    e.task.clear();
    EXPECT_TRUE(f.det.observe(e).empty());
  }
}

TEST(PrivilegeAccumulation, SecretsCredentialsAndUntrustedInputTogetherFireOnce) {
  Fixture f(only("privilege_accumulation"));
  Event e;
  e.kind = EventKind::Outcome;
  e.session = "s1";
  e.agent = "claude";
  e.task = "task-1";
  e.secrets_read = true;
  e.credentials_held = 1;
  EXPECT_TRUE(f.det.observe(e).empty());  // two of three
  e.credentials_held = 0;
  e.untrusted_input = true;
  EXPECT_TRUE(f.det.observe(e).empty());  // two of three
  e.credentials_held = 2;
  auto d = f.det.observe(e);
  ASSERT_EQ(fired(d, "privilege_accumulation"), 1u);
  EXPECT_EQ(d[0].evidence["credentials_held"], 2);
  EXPECT_EQ(d[0].responses, std::vector<Response>{Response::Revoke});
  e.kind = EventKind::Decision;
  EXPECT_TRUE(f.det.observe(e).empty());  // once per session
}

TEST(PrivilegeAccumulation, TooManyCredentialRequestsOfOneTaskFire) {
  Fixture f(only("privilege_accumulation"));
  Event e;
  e.kind = EventKind::CredRequest;
  e.agent = "claude";
  e.task = "task-1";
  e.credential = "db";
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(f.det.observe(e).empty());
  Event other = e;
  other.task = "task-2";
  EXPECT_TRUE(f.det.observe(other).empty());
  auto d = f.det.observe(e);
  ASSERT_EQ(fired(d, "privilege_accumulation", "task"), 1u);
  EXPECT_EQ(d[0].task, "task-1");
  EXPECT_TRUE(d[0].session.empty());
}

TEST(RugPull, AQuarantinedPinFiresAndAnApprovedOneDoesNot) {
  Fixture f(only("rug_pull"));
  Event e;
  e.kind = EventKind::McpPin;
  e.session = "s1";
  e.agent = "claude";
  e.server = "github";
  e.tool = "create_issue";
  e.change = "pinned";
  e.status = "approved";
  EXPECT_TRUE(f.det.observe(e).empty());
  e.change = "definition changed";
  e.status = "quarantined";
  e.reason = "its definition changed since it was approved";
  e.before_hash = "aa";
  e.after_hash = "bb";
  auto d = f.det.observe(e);
  ASSERT_EQ(fired(d, "rug_pull", "server"), 1u);
  EXPECT_EQ(d[0].evidence["after_hash"], "bb");
  EXPECT_NE(d[0].summary.find("github/create_issue"), std::string::npos);
}

TEST(MissingEnforcement, AnOutcomeWithoutADecisionFires) {
  Fixture f(only("missing_enforcement"));
  EXPECT_TRUE(f.decide("s1", "allow", "t1").empty());
  EXPECT_TRUE(f.outcome("s1", "t1").empty());  // decided, then ran
  auto d = f.outcome("s1", "t2");              // never decided
  ASSERT_EQ(fired(d, "missing_enforcement"), 1u);
  EXPECT_TRUE(d[0].evidence["decision"].is_null());
  EXPECT_EQ(d[0].evidence["tool_use_id"], "t2");
}

TEST(MissingEnforcement, ADeniedCallThatRanFiresAndAFailedOneDoesNot) {
  Fixture f(only("missing_enforcement"));
  f.decide("s1", "deny", "t1");
  EXPECT_TRUE(f.outcome("s1", "t1", false).empty());
  f.now += 60'000;
  auto d = f.outcome("s1", "t1", true);
  ASSERT_EQ(fired(d, "missing_enforcement"), 1u);
  EXPECT_EQ(d[0].evidence["decision"], "deny");
}

TEST(MissingEnforcement, UnpairedEventsAndOutcomesWithoutIdsAreNotJudged) {
  Fixture f(only("missing_enforcement"));
  EXPECT_TRUE(f.outcome("s1", "").empty());
  Event e;
  e.kind = EventKind::Outcome;
  e.session = "s1";
  e.tool_use_id = "x";
  e.unpaired = true;
  EXPECT_TRUE(f.det.observe(e).empty());
}

TEST(MissingEnforcement, AsksTheLookupForDecisionsItDidNotSee) {
  Fixture f(only("missing_enforcement"));
  std::vector<std::string> asked;
  f.det.set_decision_lookup([&](const std::string& s, const std::string& id) -> std::optional<std::string> {
    asked.push_back(s + "/" + id);
    if (id == "before-restart") return std::string("allow");
    return std::nullopt;
  });
  EXPECT_TRUE(f.outcome("s1", "before-restart").empty());
  EXPECT_EQ(fired(f.outcome("s1", "forged"), "missing_enforcement"), 1u);
  EXPECT_EQ(asked, (std::vector<std::string>{"s1/before-restart", "s1/forged"}));
}

TEST(MissingEnforcement, AQuietSessionCostsNoLookups) {
  Fixture f(only("missing_enforcement"));
  int lookups = 0;
  f.det.set_decision_lookup([&](const std::string&, const std::string&) -> std::optional<std::string> {
    ++lookups;
    return std::nullopt;
  });
  EXPECT_EQ(fired(f.outcome("s1", "x0"), "missing_enforcement"), 1u);
  for (int i = 1; i < 1000; ++i) EXPECT_TRUE(f.outcome("s1", "x" + std::to_string(i)).empty());
  EXPECT_EQ(lookups, 1);
  f.now += 60'000;  // one window later it judges again
  EXPECT_EQ(fired(f.outcome("s1", "y"), "missing_enforcement"), 1u);
  EXPECT_EQ(lookups, 2);
}

TEST(MissingEnforcement, ForgetsOldDecisionsWithinItsBound) {
  Fixture f(only("missing_enforcement"));
  for (size_t i = 0; i < Detector::kMaxDecisionsPerSession + 10; ++i) f.decide("s1", "allow", std::to_string(i));
  // The newest are remembered; the oldest were forgotten (and, without a
  // lookup, count as undecided).
  EXPECT_TRUE(f.outcome("s1", std::to_string(Detector::kMaxDecisionsPerSession + 9)).empty());
  EXPECT_EQ(fired(f.outcome("s1", "0"), "missing_enforcement"), 1u);
}

TEST(Detector, TracksABoundedNumberOfSessions) {
  Fixture f(only("probing"));
  for (size_t i = 0; i < Detector::kMaxTracked + 100; ++i) {
    f.now += 1;
    f.decide("s" + std::to_string(i), "deny");
  }
  // Still working, and counting a fresh session from scratch.
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(f.decide("fresh", "deny").empty());
  EXPECT_EQ(fired(f.decide("fresh", "deny"), "probing"), 1u);
}

TEST(Config, DefaultsAreOnAndNeverKill) {
  Config c;
  for (const Rule* r :
       {&c.probing, &c.burst, &c.scope_deviation, &c.privilege_accumulation, &c.rug_pull, &c.missing_enforcement}) {
    EXPECT_TRUE(r->enabled);
    for (auto resp : r->responses) EXPECT_NE(resp, Response::Kill);
    for (auto resp : r->agent_responses) EXPECT_NE(resp, Response::Kill);
  }
  EXPECT_EQ(c.probing.threshold, 10);
  EXPECT_EQ(c.probing.window_ms, 300'000);
}

TEST(Config, ParsesThresholdsWindowsAndResponses) {
  auto c = parse_config(json::parse(R"({
    "probing": {"denials": 3, "window": 30, "agent_denials": 0, "response": ["quarantine-agent", "kill"]},
    "burst": {"enabled": false},
    "rug_pull": {"response": ["quarantine"]},
    "missing_enforcement": {"window": 5, "response": []}
  })"),
                        "config.json");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->probing.threshold, 3);
  EXPECT_EQ(c->probing.window_ms, 30'000);
  EXPECT_EQ(c->probing.agent_threshold, 0);
  EXPECT_EQ(c->probing.responses, (std::vector<Response>{Response::QuarantineAgent, Response::Kill}));
  EXPECT_FALSE(c->burst.enabled);
  EXPECT_EQ(c->burst.threshold, 120);  // the rest keeps its defaults
  EXPECT_EQ(c->rug_pull.responses, std::vector<Response>{Response::Quarantine});
  EXPECT_TRUE(c->missing_enforcement.responses.empty());
  EXPECT_EQ(c->missing_enforcement.window_ms, 5000);
}

TEST(Config, RejectsBadValuesWithTheFileAndTheMember) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const auto& c : {
           Case{R"({"probing": {"denials": 0}})", "config.json: detect.probing.denials: expected a whole number"},
           Case{R"({"probing": {"denials": -3}})", "got -3"},
           Case{R"({"probing": {"denials": 2.5}})", "got 2.5"},
           Case{R"({"probing": {"denials": "10"}})", "got \"10\""},
           Case{R"({"burst": {"window": 0}})", "detect.burst.window (seconds)"},
           Case{R"({"burst": {"window": 99999999}})", "from 1 to 604800"},
           Case{R"({"probing": {"response": ["quarantin"]}})", "did you mean `quarantine`?"},
           Case{R"({"probing": {"response": "alert"}})", "expected an array"},
           Case{R"({"probing": {"denails": 3}})", "unknown member `detect.probing.denails`; did you mean `denials`?"},
           Case{R"({"probng": {}})", "unknown detector `detect.probng`; did you mean `probing`?"},
           Case{R"({"rug_pull": {"window": 5}})", "unknown member `detect.rug_pull.window`"},
           Case{R"({"scope_deviation": {"agent_actions": 5}})", "unknown member"},
           Case{R"({"probing": {"enabled": 1}})", "expected true or false"},
           Case{R"({"probing": []})", "detect.probing: expected an object"},
           Case{R"([])", "`detect` must be an object"},
       }) {
    auto r = parse_config(json::parse(c.json), "config.json");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << c.json << " → " << r.error().message;
  }
}

}  // namespace
}  // namespace tollgate::detect
