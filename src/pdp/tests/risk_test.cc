#include "pdp/risk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "policy/pack.h"

namespace tollgate::pdp {
namespace {

constexpr int64_t kNow = 1'780'000'000'000;

// The baseline pack, plus `extra` policies when given.
Pdp pdp_with(const std::string& extra = {}) {
  auto files = policy::baseline_pack_files();
  if (!extra.empty()) files.push_back({"90-stricter.cedar", extra});
  auto p = policy::load_pack_files(files, "test");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return Pdp(*p, session::LabelTable::defaults("/home/dev"),
             Protected{{"/home/dev/.local/state/tollgate"}, {"tollgate"}, {}});
}

session::Agent agent() {
  session::Agent a;
  a.id = a.name = "reviewer";
  a.harness = "claude-code";
  a.owner = "ana";
  return a;
}

RiskInput input(const session::Agent& a) {
  RiskInput in;
  in.agent = &a;
  in.home = "/home/dev";
  in.workspace = "/home/dev/work";
  in.now_ms = kNow;
  return in;
}

session::Task task(std::string id, std::vector<std::string> grants, std::string env = "dev") {
  session::Task t;
  t.id = std::move(id);
  t.agent = "reviewer";
  t.environment = std::move(env);
  t.grants = std::move(grants);
  return t;
}

const ProbeResult* find(const RiskReport& r, std::string_view probe) {
  auto it = std::find_if(r.reachable.begin(), r.reachable.end(), [&](const auto& p) { return p.probe == probe; });
  return it == r.reachable.end() ? nullptr : &*it;
}

bool has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(Risk, BaselineGivesAFreshAgentModerateAndHighWithApproval) {
  auto pdp = pdp_with();
  auto a = agent();
  RiskReport r = assess_risk(pdp, input(a));
  EXPECT_EQ(r.tier, RiskTier::Moderate);
  EXPECT_EQ(r.approved_tier, RiskTier::High);
  ASSERT_NE(find(r, "egress-any-host"), nullptr);
  EXPECT_EQ(find(r, "egress-any-host")->effect, Effect::Allow);
  EXPECT_TRUE(has(find(r, "egress-any-host")->policies, "allow-development"));
  // Reachable only with a human's approval, and the reviewer sees which policy asks.
  ASSERT_NE(find(r, "force-push"), nullptr);
  EXPECT_EQ(find(r, "force-push")->effect, Effect::Ask);
  EXPECT_TRUE(has(find(r, "force-push")->policies, "ask-force-push"));
  EXPECT_EQ(find(r, "ci-config-write")->effect, Effect::Ask);
  EXPECT_EQ(find(r, "write-home-dotfile")->effect, Effect::Ask);
  // Out of reach: secrets, egress after a secret, `rm -rf ~`, writes to /etc.
  for (auto p : {"read-ssh-key", "read-dotenv", "egress-after-secret", "destroy-home", "write-system-file"})
    EXPECT_EQ(find(r, p), nullptr) << p;
  EXPECT_GT(r.decisions, 12);
  // Highest tier first.
  EXPECT_EQ(r.reachable.front().tier, RiskTier::High);
}

TEST(Risk, ATaskGrantingSecretRaisesTheTier) {
  auto pdp = pdp_with();
  auto a = agent();
  session::Task t = task("t1", {"secret"});
  t.repos = {"/home/dev/project"};
  auto in = input(a);
  in.tasks = {&t};
  RiskReport r = assess_risk(pdp, in);
  EXPECT_EQ(r.tier, RiskTier::High);
  ASSERT_NE(find(r, "read-dotenv"), nullptr);
  EXPECT_EQ(find(r, "read-dotenv")->effect, Effect::Allow);
  EXPECT_EQ(find(r, "read-dotenv")->task, "t1");
  // An SSH key is another tool's credential: it still asks, so critical only with approval.
  ASSERT_NE(find(r, "read-ssh-key"), nullptr);
  EXPECT_EQ(find(r, "read-ssh-key")->effect, Effect::Ask);
  EXPECT_EQ(r.approved_tier, RiskTier::Critical);
  // Egress after the secret stays forbidden under every grant.
  EXPECT_EQ(find(r, "egress-after-secret"), nullptr);
}

TEST(Risk, AnEndedOrExpiredTaskIsNotAContextTheAgentCanReach) {
  auto pdp = pdp_with();
  auto a = agent();
  session::Task t = task("t1", {"secret"});
  t.expires_ms = kNow - 1;
  auto in = input(a);
  in.tasks = {&t};
  EXPECT_EQ(assess_risk(pdp, in).tier, RiskTier::Moderate);  // builtin task-expired denies every probe
}

TEST(Risk, AProdTaskGrantingInfraIsCritical) {
  auto pdp = pdp_with();
  auto a = agent();
  session::Task t = task("deploy", {"infra"}, "prod");
  auto in = input(a);
  in.tasks = {&t};
  RiskReport r = assess_risk(pdp, in);
  EXPECT_EQ(r.tier, RiskTier::Critical);
  ASSERT_NE(find(r, "prod-change"), nullptr);
  EXPECT_EQ(find(r, "prod-change")->effect, Effect::Allow);
  // Without the task, the same change only asks.
  EXPECT_EQ(find(r, "infra-change")->effect, Effect::Ask);
}

TEST(Risk, CredentialsAndMcpToolsAreProbed) {
  auto pdp = pdp_with();
  auto a = agent();
  session::Task t = task("t2", {"cred:github"});
  auto in = input(a);
  in.credentials = {"github", "aws-prod"};
  in.mcp_tools = {"fs/read_file"};
  in.tasks = {&t};
  RiskReport r = assess_risk(pdp, in);
  ASSERT_NE(find(r, "cred-request:github"), nullptr);
  EXPECT_EQ(find(r, "cred-request:github")->task, "t2");
  EXPECT_EQ(find(r, "cred-request:aws-prod"), nullptr);  // no task grants it
  ASSERT_NE(find(r, "mcp-call:fs/read_file"), nullptr);
  EXPECT_EQ(r.tier, RiskTier::High);
}

TEST(Risk, AStricterPackLowersTheTier) {
  auto pdp = pdp_with(R"(
@id("no-egress")
forbid (principal, action == Tollgate::Action::"net.fetch", resource);
@id("only-make")
forbid (principal, action == Tollgate::Action::"shell.exec", resource)
unless { context.target.command.name == "make" };
@id("workspace-only")
forbid (principal, action in Tollgate::Action::"write", resource)
when { !context.target.in_workspace || context.target.labels.contains("ci-config") };
)");
  auto a = agent();
  RiskReport r = assess_risk(pdp, input(a));
  EXPECT_EQ(r.tier, RiskTier::Low);
  EXPECT_EQ(r.approved_tier, RiskTier::Low);
  EXPECT_NE(find(r, "workspace-write"), nullptr);
  EXPECT_EQ(find(r, "force-push"), nullptr);
}

TEST(Risk, ASuspendedOrOffboardedAgentReachesNothing) {
  auto pdp = pdp_with();
  for (const char* status : {"suspended", "offboarded"}) {
    auto a = agent();
    a.status = status;
    RiskReport r = assess_risk(pdp, input(a));
    EXPECT_EQ(r.tier, RiskTier::None) << status;
    EXPECT_EQ(r.approved_tier, RiskTier::None) << status;
    EXPECT_TRUE(r.reachable.empty()) << status;
  }
}

}  // namespace
}  // namespace tollgate::pdp
