// The credential broker through the Service: `cred_get` for each kind,
// the decision, leases that die with their task, revoke commands, RFC 8693
// token exchange, bad input, and secrets that never reach a record or the
// store file. A fixed clock throughout.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <future>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/crypto.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "policy/pack.h"
#include "server/broker.h"
#include "server/daemon.h"
#include "server/mcp_http.h"
#include "server/protocol.h"
#include "server/tests/test_util.h"

namespace tollgate::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_script(const fs::path& p, const std::string& body) {
  std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
  ::chmod(p.c_str(), 0700);
}

constexpr const char* kEnvSecret = "env-secret-5b1e0c7d9a";
constexpr const char* kFileSecret = "file-secret-0f3a96c2e1";

struct Fixture {
  TempDir dir;
  int64_t now = 1'780'000'000'000;
  std::unique_ptr<Service> svc;
  std::vector<std::string> secrets;  // everything issued, for the leak checks
  std::vector<std::string> replies;  // every error the service answered
  std::vector<Credential> credentials;

  explicit Fixture(std::vector<Credential> extra = {}) {
    ::setenv("TOLLGATE_TEST_BROKER_SECRET", kEnvSecret, 1);
    std::ofstream(dir.path / "secret.txt") << kFileSecret << "\n";
    write_script(dir.path / "mint", "echo \"minted-$TOLLGATE_LEASE_ID-$TOLLGATE_TASK\"");
    write_script(
        dir.path / "revoke",
        "{ printf 'lease=%s reason=%s secret=' \"$TOLLGATE_LEASE_ID\" \"$TOLLGATE_CREDENTIAL\"; cat; echo; } >> " +
            (dir.path / "revoked").string());
    json config = {
        {"ci-api", {{"kind", "jwt"}, {"audience", "ci"}, {"ttl", 3600}}},
        {"short", {{"kind", "jwt"}, {"audience", "short-lived"}, {"ttl", 60}}},
        {"db-password", {{"kind", "static"}, {"env", "TOLLGATE_TEST_BROKER_SECRET"}}},
        {"deploy-key", {{"kind", "static"}, {"file", (dir.path / "secret.txt").string()}, {"ttl", 120}}},
        {"cloud",
         {{"kind", "command"},
          {"mint", {(dir.path / "mint").string()}},
          {"revoke", {(dir.path / "revoke").string()}},
          {"ttl", 300}}},
    };
    std::vector<Credential> creds;
    auto st = parse_credentials(config, "config.json", creds);
    EXPECT_TRUE(st.ok()) << st.error().message;
    for (auto& c : extra) creds.push_back(std::move(c));
    credentials = creds;
    svc = testing::test_service(dir.path, &now, std::move(creds));
    EXPECT_TRUE(svc);
  }
  json op(const json& h) {
    json r = json::parse(svc->handle(h.dump(), ""));
    if (r.contains("secret")) secrets.push_back(r["secret"]);
    if (r.contains("error")) replies.push_back(r["error"]);
    return r;
  }
  // A task for `agent` granting `grants`; returns {task id, token}.
  std::pair<std::string, std::string> task(const std::vector<std::string>& grants, int64_t ttl_ms = 600'000,
                                           const std::string& agent = "builder") {
    json r = op({{"op", "task_start"}, {"agent", agent}, {"ticket", "OPS-1"}, {"grants", grants}, {"ttl_ms", ttl_ms}});
    EXPECT_EQ(r["ok"], true) << r.dump();
    return {r["task"], r["token"]};
  }
  json get(const std::string& token, const std::string& name) {
    return op({{"op", "cred_get"}, {"credential", name}, {"token", token}});
  }
  std::vector<store::Event> events(const std::string& kind) {
    store::EventFilter f;
    f.kind = kind;
    return *svc->store().events(f);
  }
  size_t live_leases() { return svc->store().live_leases()->size(); }
  std::string revoked() { return slurp(dir.path / "revoked"); }
};

json payload_of(const std::string& token) {
  size_t a = token.find('.'), b = token.rfind('.');
  return json::parse(*crypto::base64url_decode(token.substr(a + 1, b - a - 1)));
}

TEST(Broker, IssuesAnAudienceBoundJwtThatDiesWithTheTask) {
  Fixture f;
  f.op({{"op", "agent_register"}, {"agent", "builder"}, {"owner", "ana"}});
  auto [task, token] = f.task({"cred:ci-api"}, 600'000);
  json r = f.get(token, "ci-api");
  ASSERT_EQ(r["ok"], true) << r.dump();
  std::string jwt = r["secret"];
  json c = payload_of(jwt);
  EXPECT_EQ(c["aud"], "ci");
  EXPECT_EQ(c["sub"], "spiffe://tollgate.local/agent/builder/task/" + task);
  EXPECT_EQ(c["iss"], "https://tollgate.test");
  EXPECT_EQ(c["act"]["sub"], "ana");
  EXPECT_EQ(c["jti"], r["lease"]);
  EXPECT_EQ(c["cred"], "ci-api");
  // The credential allows an hour; the task ends in ten minutes: so does the token.
  EXPECT_EQ(c["exp"], (f.now + 600'000) / 1000);
  EXPECT_EQ(r["expires_ms"], f.now + 600'000);
  // Signed by the issuer's key: it verifies against the JWKS, for its audience only.
  json jwks = f.op({{"op", "token_jwks"}})["jwks"];
  auto key = crypto::EcKey::from_coordinates(*crypto::base64url_decode(jwks["keys"][0]["x"].get<std::string>()),
                                             *crypto::base64url_decode(jwks["keys"][0]["y"].get<std::string>()));
  ASSERT_TRUE(key.ok());
  identity::VerifyOptions vo;
  vo.now_s = f.now / 1000;
  vo.audience = "ci";
  EXPECT_TRUE(identity::verify_jwt(
                  jwt, [&](std::string_view) { return &*key; }, vo)
                  .ok());
  vo.audience = "tollgate";
  EXPECT_EQ(identity::verify_jwt(
                jwt, [&](std::string_view) { return &*key; }, vo)
                .status,
            identity::TokenStatus::WrongAudience);
  // It is not a task token: it binds no session.
  EXPECT_EQ(json::parse(f.svc->introspect(jwt))["active"], true);
  EXPECT_EQ(f.events("cred_use").size(), 1u);
  // Ending the task revokes the lease: introspection reports it inactive at once.
  f.op({{"op", "task_end"}, {"task", task}});
  EXPECT_EQ(json::parse(f.svc->introspect(jwt)), json({{"active", false}}));
  auto revokes = f.events("cred_revoke");
  ASSERT_EQ(revokes.size(), 1u);
  EXPECT_EQ(json::parse(revokes[0].record)["revoked_why"], "task ended");
  EXPECT_EQ(f.live_leases(), 0u);
}

TEST(Broker, StaticSecretsComeFromTheDaemonsEnvironmentOrAFileAsLeases) {
  Fixture f;
  auto [task, token] = f.task({"cred:db-password", "cred:deploy-key"}, 3'600'000);
  json env = f.get(token, "db-password");
  ASSERT_EQ(env["ok"], true) << env.dump();
  EXPECT_EQ(env["secret"], kEnvSecret);
  EXPECT_EQ(env["kind"], "static");
  EXPECT_EQ(env["expires_ms"], f.now + 900'000);  // the default TTL, inside the task's hour
  json file = f.get(token, "deploy-key");
  ASSERT_EQ(file["ok"], true) << file.dump();
  EXPECT_EQ(file["secret"], kFileSecret);  // the trailing newline is not part of it
  EXPECT_EQ(file["expires_ms"], f.now + 120'000);
  // The issue record has the lease and a digest salted by the lease id.
  auto issues = f.events("cred_issue");
  ASSERT_EQ(issues.size(), 2u);
  json rec = json::parse(issues[1].record);
  EXPECT_EQ(rec["lease"], file["lease"]);
  EXPECT_EQ(rec["secret_sha256"], secret_digest(file["lease"].get<std::string>(), kFileSecret));
  EXPECT_EQ(f.live_leases(), 2u);
  // Expiry on the fixed clock: the tick revokes the file lease only.
  f.now += 120'000;
  f.svc->tick();
  EXPECT_EQ(f.live_leases(), 1u);
  EXPECT_EQ(json::parse(f.events("cred_revoke").at(0).record)["revoked_why"], "expired");
}

TEST(Broker, CommandCredentialsAreMintedAndRevokedWithTheirTaskAndAgent) {
  Fixture f;
  f.op({{"op", "agent_register"}, {"agent", "builder"}, {"owner", "ana"}});
  auto [task, token] = f.task({"cred:cloud"});
  json r = f.get(token, "cloud");
  ASSERT_EQ(r["ok"], true) << r.dump();
  std::string lease = r["lease"];
  EXPECT_EQ(r["secret"], "minted-" + lease + "-" + task);  // the command saw the lease and the task
  EXPECT_EQ(r["expires_ms"], f.now + 300'000);
  json second = f.get(token, "cloud");
  ASSERT_EQ(second["ok"], true);
  EXPECT_NE(second["lease"], r["lease"]);  // one lease per request
  // Suspending the agent revokes both: the revoke command runs for each, the
  // secret on its standard input, never in its arguments.
  f.op({{"op", "agent_suspend"}, {"agent", "builder"}});
  std::string log = f.revoked();
  EXPECT_NE(log.find("lease=" + lease + " reason=cloud secret=minted-" + lease + "-" + task + "\n"), std::string::npos)
      << log;
  EXPECT_NE(log.find("lease=" + second["lease"].get<std::string>()), std::string::npos);
  EXPECT_EQ(f.live_leases(), 0u);
  for (const auto& e : f.events("cred_revoke")) {
    EXPECT_EQ(json::parse(e.record)["revoke_command"], "queued");
    EXPECT_EQ(json::parse(e.record)["revoked_why"], "agent suspended");
  }
  auto outcomes = f.events("cred_revoke_command");
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& e : outcomes) EXPECT_EQ(json::parse(e.record)["result"], "ok") << e.record;
  // And a suspended agent gets nothing more.
  EXPECT_EQ(f.get(token, "cloud")["ok"], false);
}

// A mint command that says it started on one FIFO and prints its secret
// once a line arrives on another, so a test holds it mid-run without
// sleeping.
struct HeldMint {
  TempDir dir;
  fs::path started = dir.path / "started", release = dir.path / "release";
  Credential cred;
  HeldMint() {
    EXPECT_EQ(::mkfifo(started.c_str(), 0600), 0);
    EXPECT_EQ(::mkfifo(release.c_str(), 0600), 0);
    write_script(dir.path / "mint", "echo started > '" + started.string() + "'; read x < '" + release.string() +
                                        "'; echo \"held-$TOLLGATE_LEASE_ID\"");
    write_script(dir.path / "revoke",
                 "{ printf '%s=' \"$TOLLGATE_LEASE_ID\"; cat; echo; } >> '" + (dir.path / "revoked").string() + "'");
    cred.name = "held";
    cred.kind = CredKind::Command;
    cred.mint = {(dir.path / "mint").string()};
    cred.revoke = {(dir.path / "revoke").string()};
    cred.timeout_ms = 60'000;
  }
  // Blocks until the command is running.
  void wait_started() {
    std::ifstream in(started);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "started");
  }
  void release_it() { std::ofstream(release) << "go\n"; }
  std::string revoked() { return slurp(dir.path / "revoked"); }
};

TEST(Broker, AMintCommandHoldsUpNoDecision) {
  HeldMint held;
  Fixture f({held.cred});
  const std::string token = f.task({"cred:held"}).second;
  auto issued = std::async(std::launch::async, [&] {
    return json::parse(f.svc->handle(json{{"op", "cred_get"}, {"credential", "held"}, {"token", token}}.dump(), ""));
  });
  held.wait_started();
  // While the command runs, a hook's decision and an operator's request
  // are answered (the daemon's lock is not held across the command).
  auto decided = std::async(std::launch::async, [&] {
    json ev = {{"session_id", "s-held"}, {"cwd", "/home/dev/project"},        {"hook_event_name", "PreToolUse"},
               {"tool_name", "Bash"},    {"tool_input", {{"command", "ls"}}}, {"tool_use_id", "t1"}};
    std::string payload = ev.dump();
    json h = {{"v", 1}, {"op", "hook"}, {"harness", "claude-code"}, {"bytes", payload.size()}};
    return json::parse(f.svc->handle(h.dump(), payload));
  });
  bool answered = decided.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  EXPECT_TRUE(answered) << "a decision waited for a mint command";
  held.release_it();
  json r = issued.get();
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["secret"], "held-" + r["lease"].get<std::string>());
  EXPECT_EQ(decided.get()["verdict"], "allow");
  EXPECT_EQ(f.live_leases(), 1u);
}

TEST(Broker, ADaemonAnswersHooksWhileACredentialIsMinted) {
  // Through the daemon's socket, as `tollgate cred get` and the hooks reach it.
  HeldMint held;
  TempDir dir;
  std::ofstream(dir.path / "config.json") << json{
      {"credentials",
       {{"held",
         {{"kind", "command"},
          {"mint", held.cred.mint},
          {"revoke", held.cred.revoke},
          {"timeout_ms", 60000}}}}}}.dump();
  DaemonOptions o;
  o.data_dir = dir.path.string();
  o.reload_poll_ms = 3600000;
  auto d = Daemon::create(o);
  ASSERT_TRUE(d.ok()) << d.error().message;
  std::thread loop([&] { (*d)->run(); });
  json started = json::parse((*d)->service().handle(
      json{{"op", "task_start"}, {"agent", "builder"}, {"ticket", "T-1"}, {"grants", {"cred:held"}}}.dump(), ""));
  ASSERT_EQ(started["ok"], true) << started.dump();
  const std::string socket = (*d)->socket_path();
  auto issued = std::async(std::launch::async, [&] {
    return call_daemon(
        socket,
        json{{"v", 1}, {"op", "cred_get"}, {"credential", "held"}, {"token", started["token"]}, {"bytes", 0}}.dump(),
        "", 60000);
  });
  held.wait_started();
  auto decided = std::async(std::launch::async, [&] {
    std::string ev = json{
        {"session_id", "s-held"},
        {"cwd", "/tmp"},
        {"hook_event_name", "PreToolUse"},
        {"tool_name", "Bash"},
        {"tool_input", {{"command", "ls"}}},
        {"tool_use_id",
         "t1"}}.dump();
    return call_daemon(socket, json{{"v", 1}, {"op", "hook"}, {"harness", "claude-code"}, {"bytes", ev.size()}}.dump(),
                       ev, 30000);
  });
  bool answered = decided.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  EXPECT_TRUE(answered) << "a hook waited for a mint command";
  held.release_it();
  auto r = issued.get();
  ASSERT_TRUE(r.ok()) << r.error().message;
  json got = json::parse(*r);
  EXPECT_EQ(got["ok"], true) << got.dump();
  auto hook = decided.get();
  ASSERT_TRUE(hook.ok()) << hook.error().message;
  EXPECT_EQ(json::parse(*hook)["verdict"], "allow") << *hook;
  (*d)->stop();
  loop.join();
}

TEST(Broker, AnAgentSuspendedWhileItsCredentialIsMintedGetsNothingAndTheSecretIsRevoked) {
  HeldMint held;
  Fixture f({held.cred});
  f.op({{"op", "agent_register"}, {"agent", "builder"}, {"owner", "ana"}});
  const std::string token = f.task({"cred:held"}).second;
  auto issued = std::async(std::launch::async, [&] {
    return json::parse(f.svc->handle(json{{"op", "cred_get"}, {"credential", "held"}, {"token", token}}.dump(), ""));
  });
  held.wait_started();
  json suspended = json::parse(f.svc->handle(json{{"op", "agent_suspend"}, {"agent", "builder"}}.dump(), ""));
  EXPECT_EQ(suspended["ok"], true) << suspended.dump();
  held.release_it();
  json r = issued.get();
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_NE(r["error"].get<std::string>().find("suspended"), std::string::npos) << r.dump();
  EXPECT_EQ(r.find("secret"), r.end());
  EXPECT_EQ(f.live_leases(), 0u);
  // What the command minted is withdrawn at the provider.
  f.svc->drain_revocations();
  std::string log = held.revoked();
  EXPECT_NE(log.find("=held-lease-"), std::string::npos) << log;
  auto outcomes = f.events("cred_revoke_command");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(json::parse(outcomes[0].record)["result"], "ok");
  EXPECT_TRUE(f.events("cred_issue").empty());
}

TEST(Broker, ALeaseWhoseRevokeCommandHadNotRunIsRevokedAfterARestart) {
  Fixture f;
  auto [task, token] = f.task({"cred:cloud"});
  json r = f.get(token, "cloud");
  ASSERT_EQ(r["ok"], true) << r.dump();
  std::string lease = r["lease"];
  // The daemon stopped after the task ended and before the revoke command
  // ran: the store has the task ended and the lease still live.
  auto t = f.svc->store().get_task(task);
  ASSERT_TRUE(t.ok() && t->has_value());
  session::Task ended = **t;
  ended.ended = true;
  ASSERT_TRUE(f.svc->store().put_task(ended).ok());
  auto restarted = testing::test_service(f.dir.path, &f.now, f.credentials);
  ASSERT_TRUE(restarted);
  restarted->tick();
  restarted->drain_revocations();
  EXPECT_NE(f.revoked().find("lease=" + lease), std::string::npos) << f.revoked();
  EXPECT_TRUE(restarted->store().live_leases()->empty());
}

TEST(Broker, ARevocationPendingWhenTheDaemonStoppedRunsAtTheNextStart) {
  Fixture f;
  auto [task, token] = f.task({"cred:cloud"});
  json r = f.get(token, "cloud");
  ASSERT_EQ(r["ok"], true) << r.dump();
  std::string lease = r["lease"];
  // As revoke_leases saves it before the command has run.
  auto live = f.svc->store().live_leases();
  ASSERT_TRUE(live.ok() && live->size() == 1u);
  store::Lease pending = live->front();
  pending.revoked_why = std::string(kRevokePending) + "agent suspended";
  ASSERT_TRUE(f.svc->store().put_lease(pending).ok());
  auto restarted = testing::test_service(f.dir.path, &f.now, f.credentials);
  ASSERT_TRUE(restarted);
  restarted->tick();
  restarted->drain_revocations();
  EXPECT_NE(f.revoked().find("lease=" + lease), std::string::npos) << f.revoked();
  EXPECT_TRUE(restarted->store().live_leases()->empty());
  store::EventFilter filter;
  filter.kind = "cred_revoke";
  auto revokes = *restarted->store().events(filter);
  ASSERT_FALSE(revokes.empty());
  EXPECT_EQ(json::parse(revokes.back().record)["revoked_why"], "agent suspended");
}

TEST(Broker, AFailedRevokeCommandLeavesTheRevocationPending) {
  TempDir scripts;
  write_script(scripts.path / "mint", "echo minted");
  write_script(scripts.path / "revoke", "cat > /dev/null; exit 7");  // reads the secret, then fails
  Credential c;
  c.name = "stubborn";
  c.kind = CredKind::Command;
  c.mint = {(scripts.path / "mint").string()};
  c.revoke = {(scripts.path / "revoke").string()};
  Fixture f({c});
  auto [task, token] = f.task({"cred:stubborn"});
  ASSERT_EQ(f.get(token, "stubborn")["ok"], true);
  f.op({{"op", "task_end"}, {"task", task}});
  f.svc->drain_revocations();
  EXPECT_EQ(f.op({{"op", "cred_leases"}})["leases"].size(), 0u);  // dead for Tollgate
  auto live = f.svc->store().live_leases();
  ASSERT_TRUE(live.ok());
  ASSERT_EQ(live->size(), 1u);  // but not saved as revoked: the provider may still honour it
  EXPECT_EQ(live->front().revoked_why.rfind(kRevokePending, 0), 0u) << live->front().revoked_why;
  auto outcomes = f.events("cred_revoke_command");
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_NE(json::parse(outcomes[0].record)["result"].get<std::string>().find("failed"), std::string::npos);
}

TEST(Broker, FailingMintCommandsIssueNothingAndLeakNothing) {
  TempDir scripts;
  write_script(scripts.path / "fails", "echo 'leaked-on-stdout-77'; echo 'leaked-on-stderr-77' >&2; exit 3");
  write_script(scripts.path / "hangs", "exec sleep 30");
  write_script(scripts.path / "binary", "printf 'a\\001b'");
  std::vector<Credential> extra;
  for (const char* name : {"fails", "hangs", "binary"}) {
    Credential c;
    c.name = name;
    c.kind = CredKind::Command;
    c.mint = {(scripts.path / name).string()};
    c.timeout_ms = 300;
    extra.push_back(c);
  }
  Fixture f(extra);
  auto [task, token] = f.task({"cred:fails", "cred:hangs", "cred:binary"});
  json r = f.get(token, "fails");
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].get<std::string>().find("exited with status 3"), std::string::npos) << r.dump();
  r = f.get(token, "hangs");
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].get<std::string>().find("did not finish within 300 ms"), std::string::npos) << r.dump();
  r = f.get(token, "binary");
  EXPECT_EQ(r["ok"], false);
  EXPECT_NE(r["error"].get<std::string>().find("printable ASCII"), std::string::npos) << r.dump();
  EXPECT_EQ(f.live_leases(), 0u);
  EXPECT_TRUE(f.events("cred_issue").empty());
  for (const auto& e : f.events("cred_request")) {
    EXPECT_EQ(e.effect, "deny");
    EXPECT_EQ(e.record.find("leaked-on"), std::string::npos);
  }
  for (const auto& m : f.replies) EXPECT_EQ(m.find("leaked-on"), std::string::npos) << m;
}

TEST(Broker, BadRequestsGetAClearErrorNothingIssuedAndARecord) {
  Fixture f;
  auto [task, token] = f.task({"cred:ci-api"}, 600'000);
  auto expect_refused = [&](const json& r, const std::string& why) {
    EXPECT_EQ(r["ok"], false) << r.dump();
    EXPECT_NE(r.value("error", "").find(why), std::string::npos) << r.dump();
    EXPECT_FALSE(r.contains("secret"));
  };
  expect_refused(f.get("", "ci-api"), "no task token");
  expect_refused(f.get("tgt_0123", "ci-api"), "malformed");
  auto stranger = crypto::EcKey::generate();
  std::string forged = *identity::sign_jwt(payload_of(token).dump(), *stranger, identity::jwk_thumbprint(*stranger));
  expect_refused(f.get(forged, "ci-api"), "forged");
  expect_refused(f.get(token, "ci-apj"), "no credential `ci-apj` is configured; did you mean `ci-api`?");
  expect_refused(f.get(token, std::string(5000, 'x')), "a credential name is 1 to 64");
  // Configured, but the task does not grant it: the pack's decision.
  expect_refused(f.get(token, "db-password"), "credentials-need-a-task-grant");
  // Clock skew: a daemon clock two minutes behind the token's issue (30 s tolerated).
  f.now -= 120'000;
  expect_refused(f.get(token, "ci-api"), "not yet valid");
  f.now += 120'000;
  // Expired: the task's end on the fixed clock.
  f.now += 600'000;
  expect_refused(f.get(token, "ci-api"), "expired");
  f.now -= 600'000;
  // Ended.
  f.op({{"op", "task_end"}, {"task", task}});
  expect_refused(f.get(token, "ci-api"), "has ended");
  EXPECT_EQ(f.live_leases(), 0u);
  EXPECT_TRUE(f.events("cred_issue").empty());
  // Every attempt is a deny record naming what was asked, the token by its digest only.
  auto recs = f.events("cred_request");
  ASSERT_EQ(recs.size(), 9u);
  for (const auto& e : recs) {
    EXPECT_EQ(e.effect, "deny");
    EXPECT_EQ(e.record.find(token), std::string::npos);
    EXPECT_LE(json::parse(e.record)["credential"].get<std::string>().size(), 64u);
  }
  EXPECT_EQ(json::parse(recs[5].record)["action"]["policies"], json::array({"credentials-need-a-task-grant"}));
  // A malformed request is an error, not a crash.
  EXPECT_EQ(f.op({{"op", "cred_get"}, {"credential", 5}})["ok"], false);
  EXPECT_EQ(f.op({{"op", "cred_get"}, {"credential", "ci-api"}, {"token", json::array()}})["ok"], false);
}

TEST(Broker, TokenExchangeIssuesTheAudiencesCredentialByPolicy) {
  Fixture f;
  auto [task, token] = f.task({"cred:ci-api"}, 600'000);
  std::map<std::string, std::string> form = {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                                             {"subject_token", token},
                                             {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                                             {"audience", "ci"}};
  auto [status, body] = f.svc->token_exchange(form);
  ASSERT_EQ(status, 200) << body;
  json r = json::parse(body);
  EXPECT_EQ(r["issued_token_type"], "urn:ietf:params:oauth:token-type:jwt");
  EXPECT_EQ(r["token_type"], "N_A");
  EXPECT_EQ(r["expires_in"], 600);
  EXPECT_EQ(payload_of(r["access_token"])["aud"], "ci");
  f.secrets.push_back(r["access_token"]);
  auto error_of = [&](std::map<std::string, std::string> changed) {
    auto x = form;
    for (auto& [k, v] : changed) {
      if (v.empty()) {
        x.erase(k);
      } else {
        x[k] = v;
      }
    }
    auto [s, b] = f.svc->token_exchange(x);
    EXPECT_EQ(s, 400) << b;
    return json::parse(b)["error"].get<std::string>();
  };
  EXPECT_EQ(error_of({{"grant_type", "client_credentials"}}), "unsupported_grant_type");
  EXPECT_EQ(error_of({{"subject_token", ""}}), "invalid_request");
  EXPECT_EQ(error_of({{"subject_token", "garbage"}}), "invalid_request");
  EXPECT_EQ(error_of({{"subject_token_type", "urn:x"}}), "invalid_request");
  EXPECT_EQ(error_of({{"actor_token", "x"}}), "invalid_request");
  EXPECT_EQ(error_of({{"audience", "nobody"}}), "invalid_target");
  EXPECT_EQ(error_of({{"audience", "short-lived"}}), "invalid_target");  // configured, not granted
  EXPECT_EQ(error_of({{"scope", "admin"}}), "invalid_scope");
  f.op({{"op", "task_end"}, {"task", task}});
  EXPECT_EQ(error_of({}), "invalid_request");  // the task ended
  EXPECT_EQ(f.events("cred_issue").size(), 1u);
}

TEST(Broker, AFloodOfRequestsFromNobodyKnownCannotGrowTheLedgerWithoutBound) {
  Fixture f;
  auto [task, token] = f.task({"cred:ci-api"}, 600'000);
  std::map<std::string, std::string> form = {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                                             {"subject_token", "garbage"},
                                             {"subject_token_type", "urn:ietf:params:oauth:token-type:jwt"},
                                             {"audience", "ci"}};
  auto unknown_audience = form;
  unknown_audience["audience"] = "nobody";
  for (int i = 0; i < 500; ++i) {
    EXPECT_EQ(f.svc->token_exchange(i % 2 ? form : unknown_audience).first, 400);
  }
  // A minute's worth is recorded, no more; the rest are counted.
  EXPECT_EQ(f.events("cred_request").size(), 100u);
  f.now += 61'000;
  EXPECT_EQ(f.svc->token_exchange(form).first, 400);
  auto recs = f.events("cred_request");
  ASSERT_EQ(recs.size(), 101u);
  EXPECT_EQ(json::parse(recs.back().record)["suppressed"], 400);
  // A request with a task token that verifies is always recorded.
  for (int i = 0; i < 120; ++i) f.svc->token_exchange(form);
  EXPECT_EQ(f.events("cred_request").size(), 200u);
  form["subject_token"] = token;
  form["audience"] = "short-lived";  // configured, not granted: refused
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.svc->token_exchange(form).first, 400);
  EXPECT_EQ(f.events("cred_request").size(), 203u);
  form["audience"] = "nobody";  // an audience no credential has, asked by a known task
  EXPECT_EQ(f.svc->token_exchange(form).first, 400);
  auto last = json::parse(f.events("cred_request").back().record);
  EXPECT_EQ(last["audience"], "nobody");
  EXPECT_EQ(last["task"], task);
}

TEST(Broker, SecretsNeverReachTheLedgerTheStoreFileOrAnError) {
  Fixture f;
  f.op({{"op", "agent_register"}, {"agent", "builder"}, {"owner", "ana"}});
  auto [task, token] =
      f.task({"cred:ci-api", "cred:db-password", "cred:deploy-key", "cred:cloud", "cred:short"}, 3'600'000);
  for (const char* name : {"ci-api", "db-password", "deploy-key", "cloud", "short", "cloud"})
    ASSERT_EQ(f.get(token, name)["ok"], true) << name;
  f.op({{"op", "cred_leases"}});
  json ex = json::parse(f.svc->introspect(f.secrets[0]));
  EXPECT_EQ(ex["active"], true);
  f.now += 61'000;
  f.svc->tick();  // "short" expires
  f.op({{"op", "agent_offboard"}, {"agent", "builder"}});
  EXPECT_EQ(f.live_leases(), 0u);
  ASSERT_EQ(f.secrets.size(), 6u);
  store::EventFilter all;
  auto recorded = f.svc->store().events(all);
  ASSERT_TRUE(recorded.ok());
  // The store, its write-ahead log included, as bytes on disk.
  std::string disk = slurp(f.dir.path / "t.db") + slurp(f.dir.path / "t.db-wal");
  ASSERT_FALSE(disk.empty());
  for (const auto& secret : f.secrets) {
    for (const auto& e : *recorded) EXPECT_EQ(e.record.find(secret), std::string::npos) << e.kind;
    EXPECT_EQ(disk.find(secret), std::string::npos) << secret;
    for (const auto& m : f.replies) EXPECT_EQ(m.find(secret), std::string::npos);
  }
  EXPECT_EQ(f.events("cred_issue").size(), 6u);
  EXPECT_EQ(f.events("cred_revoke").size(), 6u);
}

TEST(Broker, ConfigurationIsCheckedWithClearErrors) {
  auto error = [](const json& j) {
    std::vector<Credential> out;
    auto st = parse_credentials(j, "config.json", out);
    return st ? std::string() : st.error().message;
  };
  EXPECT_EQ(error({{"a", {{"kind", "jwt"}, {"audience", "x"}}}}), "");
  EXPECT_NE(error({{"a", {{"kind", "jwt"}}}}).find("needs an `audience`"), std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "jwt"}, {"audience", "x"}, {"ttll", 5}}}}).find("did you mean `ttl`?"),
            std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "vault"}}}}).find("unknown kind `vault`"), std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "static"}, {"env", "A"}, {"file", "/x"}}}})
                .find("exactly one of `file`, `env` or `store`"),
            std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "static"}, {"file", "rel"}}}}).find("absolute"), std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "command"}, {"mint", {"aws"}}}}}).find("absolute path"), std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "static"}, {"env", "A"}, {"mint", {"/bin/true"}}}}}).find("belongs to kind command"),
            std::string::npos);
  EXPECT_NE(error({{"a b", {{"kind", "static"}, {"env", "A"}}}}).find("a credential name"), std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "jwt"}, {"audience", "x"}, {"ttl", 0}}}}).find("`ttl`"), std::string::npos);
  EXPECT_NE(error({{"a", {{"kind", "jwt"}, {"audience", "x"}}}, {"b", {{"kind", "jwt"}, {"audience", "x"}}}})
                .find("already the credential `a`'s"),
            std::string::npos);
}

TEST(TaskBinding, ATaskTokenBindsOnlyItsOwnAgentsSessions) {
  Fixture f;
  f.op({{"op", "agent_register"}, {"agent", "reviewer"}, {"owner", "ana"}});
  f.op({{"op", "agent_register"}, {"agent", "other"}, {"owner", "bo"}});
  const auto issued = f.task({"infra"}, 600'000, "reviewer");
  const std::string& token = issued.second;
  auto hook = [&](const std::string& session, const std::string& agent) {
    std::string payload =
        json{{"session_id", session}, {"cwd", "/home/dev/project"},        {"hook_event_name", "PreToolUse"},
             {"tool_name", "Bash"},   {"tool_input", {{"command", "ls"}}}, {"tool_use_id", "t"}}
            .dump();
    json h = {{"op", "hook"}, {"harness", "claude-code"}, {"bytes", payload.size()}, {"task_token", token}};
    if (!agent.empty()) h["agent"] = agent;
    return json::parse(f.svc->handle(h.dump(), payload));
  };
  // Another registered agent presenting reviewer's token: refused, recorded.
  json r = hook("s-other", "other");
  EXPECT_EQ(r["verdict"], "deny");
  EXPECT_NE(r["reason"].get<std::string>().find("is for the agent `reviewer`"), std::string::npos) << r.dump();
  EXPECT_EQ(f.events("task_bind").size(), 0u);
  // The same agent, or a session that names none, is the task's agent.
  EXPECT_EQ(hook("s-reviewer", "reviewer")["verdict"], "allow");
  EXPECT_EQ(hook("s-unnamed", "")["verdict"], "allow");
  auto s = f.svc->store().get_session("s-unnamed");
  ASSERT_TRUE(s.ok() && s->has_value());
  EXPECT_EQ((*s)->agent, "reviewer");
  EXPECT_EQ(f.events("task_bind").size(), 2u);
}

}  // namespace
}  // namespace tollgate::server

namespace tollgate::server {
namespace {

constexpr const char* kStoredSecret = "stored-secret-8d2c41f7a0";

TEST(SecretStore, SealsAtRestBindsEachValueToItsNameAndRefusesAnotherKey) {
  TempDir dir;
  std::string path = (dir.path / "secrets.json").string(), key = (dir.path / "keys/secret-store.key").string();
  {
    auto st = SecretStore::open(path, key);
    ASSERT_TRUE(st.ok()) << st.error().message;
    ASSERT_TRUE(st->put("db", kStoredSecret, 1000).ok());
    ASSERT_TRUE(st->put("other", "other-value", 1000).ok());
    EXPECT_FALSE(st->put("bad name", "x", 1000).ok());
    EXPECT_FALSE(st->put("db", std::string("a\0b", 3), 1000).ok());  // not a static credential's bytes
  }
  struct stat sb {};
  ASSERT_EQ(::stat(key.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  std::string file = slurp(path);
  EXPECT_EQ(file.find(kStoredSecret), std::string::npos) << file;
  // Reopened with its key, the value comes back.
  auto st = SecretStore::open(path, key);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(*st->get("db"), kStoredSecret);
  ASSERT_EQ(st->list().size(), 2u);
  EXPECT_EQ(st->list()[0].bytes, std::string(kStoredSecret).size());
  // A sealed value moved to another name does not open there.
  json j = json::parse(file);
  std::swap(j["secrets"]["db"]["sealed"], j["secrets"]["other"]["sealed"]);
  std::ofstream(path, std::ios::trunc) << j.dump();
  auto swapped = SecretStore::open(path, key);
  ASSERT_TRUE(swapped.ok());
  auto moved = swapped->get("db");
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.error().message.find("does not open"), std::string::npos) << moved.error().message;
  // Another key is named as such; a missing one too; a damaged file is refused with its name.
  std::ofstream(key, std::ios::trunc) << crypto::base64_encode(std::string(32, 'k')) << "\n";
  auto other = SecretStore::open(path, key);
  ASSERT_TRUE(other.ok());
  auto wrong = other->get("other");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("another key"), std::string::npos) << wrong.error().message;
  fs::remove(key);
  auto missing = SecretStore::open(path, key);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->get("other").ok());
  EXPECT_FALSE(missing->put("third", "v", 1).ok()) << "a new key would orphan the stored secrets";
  for (const char* bad : {"[]", "{\"version\":1}", "{\"version\":1,\"key_id\":\"x\",\"secrets\":{\"db\":{}}}",
                          "{\"version\":1,\"key_id\":\"x\",\"secrets\":{\"db\":{\"sealed\":\"%%\"}}}", "{",
                          "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"}) {
    std::ofstream(path, std::ios::trunc) << bad;
    auto r = SecretStore::open(path, key);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  }
}

TEST(Broker, StaticCredentialsFromTheSecretStoreAreLeasedAndNeverRecorded) {
  Credential c;
  c.name = "vault-db";
  c.kind = CredKind::Static;
  c.store = "db";
  Fixture f({c});
  auto store = SecretStore::open((f.dir.path / "secrets.json").string(), (f.dir.path / "keys/ss.key").string());
  ASSERT_TRUE(store.ok());
  f.svc->set_secret_store(std::make_unique<SecretStore>(std::move(*store)));
  f.op({{"op", "agent_register"}, {"agent", "builder"}, {"owner", "ana"}});
  auto issued = f.task({"cred:vault-db"});
  // Not stored yet: refused with the reason.
  json r = f.get(issued.second, "vault-db");
  EXPECT_NE(r.value("error", "").find("has no `db`"), std::string::npos) << r.dump();
  json set_header = {{"op", "secret_set"}, {"name", "db"}, {"by", "ana"}, {"bytes", std::strlen(kStoredSecret)}};
  json s = json::parse(f.svc->handle(set_header.dump(), kStoredSecret));
  ASSERT_EQ(s["ok"], true) << s.dump();
  EXPECT_EQ(s["replaced"], false);
  r = f.get(issued.second, "vault-db");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["secret"], kStoredSecret);
  EXPECT_EQ(r["kind"], "static");
  json list = f.op({{"op", "secret_list"}});
  ASSERT_EQ(list["secrets"].size(), 1u);
  EXPECT_EQ(list["secrets"][0]["name"], "db");
  EXPECT_FALSE(list["secrets"][0].contains("value"));
  EXPECT_EQ(f.events("secret_set").size(), 1u);
  EXPECT_EQ(f.op({{"op", "secret_rm"}, {"name", "db"}})["removed"], true);
  EXPECT_FALSE(f.get(issued.second, "vault-db").value("ok", false));
  EXPECT_EQ(f.events("secret_rm").size(), 1u);
  // Neither the records nor the store's database hold the value.
  auto all = f.svc->store().events({});
  ASSERT_TRUE(all.ok());
  for (const auto& e : *all) EXPECT_EQ(e.record.find(kStoredSecret), std::string::npos) << e.record;
  EXPECT_EQ(slurp(f.dir.path / "t.db").find(kStoredSecret), std::string::npos);
  EXPECT_EQ(slurp(f.dir.path / "secrets.json").find(kStoredSecret), std::string::npos);
}

TEST(Broker, SecretStoreConfigurationIsCheckedWithClearErrors) {
  std::vector<Credential> out;
  auto both = parse_credentials(json{{"x", {{"kind", "static"}, {"env", "A"}, {"store", "x"}}}}, "c.json", out);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("exactly one of"), std::string::npos) << both.error().message;
  auto kind = parse_credentials(json{{"x", {{"kind", "jwt"}, {"audience", "a"}, {"store", "x"}}}}, "c.json", out);
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.error().message.find("`store` belongs to kind static"), std::string::npos) << kind.error().message;
  auto name = parse_credentials(json{{"x", {{"kind", "static"}, {"store", "a b"}}}}, "c.json", out);
  EXPECT_FALSE(name.ok());
}

}  // namespace
}  // namespace tollgate::server

namespace tollgate::server {
namespace {

TEST(McpUpstreams, ConfigurationIsCheckedWithClearErrors) {
  TempDir dir;
  auto load = [&](const json& j) {
    std::string path = (dir.path / "mcp.json").string();
    std::ofstream(path, std::ios::trunc) << j.dump();
    return load_mcp_upstreams(path);
  };
  auto ok = load({{"upstreams",
                   {{{"name", "deploy"},
                     {"url", "https://deploy.example.com/mcp"},
                     {"credential", "deploy-api"},
                     {"credential_header", "X-Api-Key"},
                     {"credential_prefix", ""}}}}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)[0].credential, "deploy-api");
  EXPECT_EQ((*ok)[0].credential_header, "X-Api-Key");
  EXPECT_EQ((*ok)[0].credential_prefix, "");
  auto error_of = [&](const json& upstream) {
    auto r = load({{"upstreams", {upstream}}});
    return r.ok() ? std::string() : r.error().message;
  };
  json base = {{"name", "x"}, {"url", "https://x.example.com/mcp"}};
  json both = base;
  both["headers"] = {{"Authorization", "Bearer t"}};
  both["credential"] = "c";
  EXPECT_NE(error_of(both).find("not both"), std::string::npos) << error_of(both);
  json header = base;
  header["credential"] = "c";
  header["credential_header"] = "Bad Header:";
  EXPECT_NE(error_of(header).find("header name"), std::string::npos) << error_of(header);
  // A headers_file that never ends (a device) or is too large is refused, never read forever.
  json device = base;
  device["headers_file"] = "/dev/zero";
  EXPECT_NE(error_of(device).find("not a regular file"), std::string::npos) << error_of(device);
  std::ofstream(dir.path / "big.headers") << std::string(70 * 1024, 'a');
  json big = base;
  big["headers_file"] = (dir.path / "big.headers").string();
  EXPECT_NE(error_of(big).find("larger than 64 KiB"), std::string::npos) << error_of(big);
}

}  // namespace
}  // namespace tollgate::server
