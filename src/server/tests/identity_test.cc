// Task tokens through the daemon: minting, the hook's bind, introspection,
// rotation, and the HTTP discovery, JWKS and introspection routes.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "crypto/crypto.h"
#include "identity/jwt.h"
#include "identity/keys.h"
#include "policy/pack.h"
#include "server/daemon.h"
#include "server/http.h"
#include "server/tests/test_util.h"

namespace tollgate::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::http_call;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  int64_t now = 1'780'000'000'000;
  std::unique_ptr<Service> svc;
  Fixture() : svc(testing::test_service(dir.path, &now)) { EXPECT_TRUE(svc); }
  json op(const json& h) { return json::parse(svc->handle(h.dump(), "")); }
  json hook(const std::string& token, const std::string& session, const std::string& command) {
    std::string payload =
        json{{"session_id", session}, {"cwd", "/home/dev/project"},           {"hook_event_name", "PreToolUse"},
             {"tool_name", "Bash"},   {"tool_input", {{"command", command}}}, {"tool_use_id", "t"}}
            .dump();
    json h = {{"op", "hook"}, {"harness", "claude-code"}, {"bytes", payload.size()}, {"task_token", token}};
    return json::parse(svc->handle(h.dump(), payload));
  }
  json introspect(const std::string& token) { return json::parse(svc->introspect(token)); }
  size_t events(const std::string& kind) {
    store::EventFilter f;
    f.kind = kind;
    return svc->store().events(f)->size();
  }
};

json payload_of(const std::string& token) {
  size_t a = token.find('.'), b = token.rfind('.');
  return json::parse(*crypto::base64url_decode(token.substr(a + 1, b - a - 1)));
}

TEST(TaskToken, IsAnEs256JwtNamingTheAgentTheTaskAndTheHuman) {
  Fixture f;
  ASSERT_EQ(f.op({{"op", "agent_register"}, {"agent", "reviewer"}, {"owner", "ana"}})["ok"], true);
  auto start = f.op({{"op", "task_start"},
                     {"agent", "reviewer"},
                     {"ticket", "OPS-7"},
                     {"repos", {"/srv/infra"}},
                     {"environment", "staging"},
                     {"grants", {"infra"}},
                     {"audience", {"ci"}},
                     {"window_start_ms", f.now - 1000},
                     {"window_end_ms", f.now + 3'600'500},
                     {"ttl_ms", 7'200'000}});
  ASSERT_EQ(start["ok"], true) << start.dump();
  std::string token = start["token"];
  json header = json::parse(*crypto::base64url_decode(token.substr(0, token.find('.'))));
  EXPECT_EQ(header["alg"], "ES256");
  EXPECT_EQ(header["typ"], "JWT");
  json c = payload_of(token);
  EXPECT_EQ(c["iss"], "https://tollgate.test");
  EXPECT_EQ(c["sub"], "spiffe://tollgate.local/agent/reviewer/task/" + start["task"].get<std::string>());
  EXPECT_EQ(c["aud"], "ci");
  EXPECT_EQ(c["act"], json({{"sub", "ana"}}));
  EXPECT_EQ(c["iat"], f.now / 1000);
  // The window ends before the TTL: the token ends with it, rounded down, never after.
  EXPECT_EQ(c["exp"], (f.now + 3'600'500) / 1000);
  EXPECT_EQ(c["ticket"], "OPS-7");
  EXPECT_EQ(c["repos"], json::array({"/srv/infra"}));
  EXPECT_EQ(c["env"], "staging");
  EXPECT_EQ(c["labels"], json::array({"infra"}));
  EXPECT_EQ(c["window"]["end"], (f.now + 3'600'500) / 1000);
  EXPECT_EQ(c["jti"].get<std::string>().size(), 32u);
  // Only the digest and the jti are stored.
  auto task = f.svc->store().get_task(start["task"]);
  ASSERT_TRUE(task.ok() && task->has_value());
  EXPECT_EQ((*task)->jti, c["jti"]);
  EXPECT_EQ((*task)->token_sha256, crypto::sha256_hex(token));
  // An unowned agent's token acts for the account that runs the daemon.
  auto other = f.op({{"op", "task_start"}, {"agent", "claude-code:dev@box"}, {"ticket", "T"}});
  json oc = payload_of(other["token"]);
  EXPECT_EQ(oc["act"]["sub"], "dev");
  EXPECT_EQ(oc["aud"], "tollgate");
  EXPECT_EQ(oc["sub"],
            "spiffe://tollgate.local/agent/claude-code_3Adev_40box/task/" + other["task"].get<std::string>());
}

TEST(TaskToken, IntrospectionReportsOnlyLiveTokensActive) {
  Fixture f;
  auto start = f.op({{"op", "task_start"}, {"agent", "a"}, {"ticket", "T-1"}, {"ttl_ms", 600000}});
  std::string token = start["token"];
  json active = f.introspect(token);
  EXPECT_EQ(active["active"], true);
  EXPECT_EQ(active["ticket"], "T-1");
  EXPECT_EQ(active["sub"], payload_of(token)["sub"]);
  // Forged: the same claims signed by a key the daemon never had.
  auto stranger = crypto::EcKey::generate();
  std::string forged = *identity::sign_jwt(payload_of(token).dump(), *stranger, identity::jwk_thumbprint(*stranger));
  EXPECT_EQ(f.introspect(forged), json({{"active", false}}));
  EXPECT_EQ(f.introspect("not a token"), json({{"active", false}}));
  EXPECT_EQ(f.introspect(token + "x"), json({{"active", false}}));
  // Expired, on the injected clock (the task's end; the token's exp is the same second).
  f.now += 600'000;
  EXPECT_EQ(f.introspect(token), json({{"active", false}}));
  f.now -= 600'000;
  // Revoked: the task ended.
  ASSERT_EQ(f.op({{"op", "task_end"}, {"task", start["task"]}})["ok"], true);
  EXPECT_EQ(f.introspect(token), json({{"active", false}}));
  // A suspended agent's tokens are inactive until it resumes.
  f.op({{"op", "agent_register"}, {"agent", "r"}, {"owner", "ana"}});
  std::string rt = f.op({{"op", "task_start"}, {"agent", "r"}, {"ticket", "T-2"}})["token"];
  f.op({{"op", "agent_suspend"}, {"agent", "r"}});
  EXPECT_EQ(f.introspect(rt)["active"], false);
  EXPECT_FALSE(f.op({{"op", "task_start"}, {"agent", "r"}, {"ticket", "T-3"}})["ok"]);  // no new task either
  f.op({{"op", "agent_resume"}, {"agent", "r"}});
  EXPECT_EQ(f.introspect(rt)["active"], true);
  f.op({{"op", "agent_offboard"}, {"agent", "r"}});
  EXPECT_EQ(f.introspect(rt)["active"], false);
  // Every answer is recorded, never the token itself.
  EXPECT_EQ(f.events("token_introspect"), 9u);
  store::EventFilter all;
  auto recorded = f.svc->store().events(all);
  ASSERT_TRUE(recorded.ok());
  for (const auto& e : *recorded) EXPECT_EQ(e.record.find(token), std::string::npos);
}

TEST(TaskToken, HookBindsOnlyAVerifiedLiveToken) {
  Fixture f;
  auto start = f.op({{"op", "task_start"}, {"agent", "a"}, {"ticket", "T-1"}, {"grants", {"infra"}}});
  std::string token = start["token"];
  EXPECT_EQ(f.hook(token, "s1", "terraform apply")["verdict"], "allow");  // bound: the task grants infra
  EXPECT_EQ(f.events("task_bind"), 1u);
  EXPECT_EQ(f.hook(token, "s1", "terraform apply")["verdict"], "allow");
  EXPECT_EQ(f.events("task_bind"), 1u);  // verified once per bind
  // Forged (another key, same claims), alg none, garbage: denied with the reason, recorded.
  auto stranger = crypto::EcKey::generate();
  std::string forged = *identity::sign_jwt(payload_of(token).dump(), *stranger, identity::jwk_thumbprint(*stranger));
  auto r = f.hook(forged, "s2", "ls");
  EXPECT_EQ(r["verdict"], "deny");
  EXPECT_NE(r["reason"].get<std::string>().find("forged"), std::string::npos) << r.dump();
  std::string none =
      crypto::base64url_encode(R"({"alg":"none"})") + "." + crypto::base64url_encode(payload_of(token).dump()) + ".";
  EXPECT_EQ(f.hook(none, "s3", "ls")["verdict"], "deny");
  r = f.hook("tgt_0123", "s4", "ls");
  EXPECT_EQ(r["verdict"], "deny");
  EXPECT_NE(r["reason"].get<std::string>().find("malformed"), std::string::npos);
  EXPECT_EQ(f.events("token_rejected"), 3u);
  // A new session presenting the token of an ended task is refused at bind.
  f.op({{"op", "task_end"}, {"task", start["task"]}});
  r = f.hook(token, "s5", "ls");
  EXPECT_EQ(r["verdict"], "deny");
  EXPECT_NE(r["reason"].get<std::string>().find("has ended"), std::string::npos) << r.dump();
  // And the bound session meets the end on its next decision.
  EXPECT_EQ(f.hook(token, "s1", "ls")["verdict"], "deny");
}

TEST(TaskToken, ABoundSessionLendsItsTaskToNoEventWithoutTheTokenOrForAnotherAgent) {
  Fixture f;
  ASSERT_EQ(f.op({{"op", "agent_register"}, {"agent", "a"}, {"owner", "ana"}})["ok"], true);
  ASSERT_EQ(f.op({{"op", "agent_register"}, {"agent", "other"}, {"owner", "bo"}})["ok"], true);
  auto start = f.op({{"op", "task_start"}, {"agent", "a"}, {"ticket", "T-1"}, {"grants", {"infra"}}});
  std::string token = start["token"];
  auto hook = [&](const std::string& tok, const std::string& agent, const std::string& command) {
    std::string payload =
        json{{"session_id", "s1"},  {"cwd", "/home/dev/project"},           {"hook_event_name", "PreToolUse"},
             {"tool_name", "Bash"}, {"tool_input", {{"command", command}}}, {"tool_use_id", "t"}}
            .dump();
    json h = {{"op", "hook"}, {"harness", "claude-code"}, {"bytes", payload.size()}};
    if (!tok.empty()) h["task_token"] = tok;
    if (!agent.empty()) h["agent"] = agent;
    return json::parse(f.svc->handle(h.dump(), payload));
  };
  EXPECT_EQ(hook(token, "a", "terraform apply")["verdict"], "allow");
  // The same session id, from an event that does not carry the token, or
  // names another agent: the task's grant does not come with it.
  auto r = hook("", "", "terraform apply");
  EXPECT_EQ(r["verdict"], "deny");
  EXPECT_NE(r["reason"].get<std::string>().find("does not carry its token"), std::string::npos) << r.dump();
  r = hook("", "other", "terraform apply");
  EXPECT_EQ(r["verdict"], "deny") << r.dump();
  r = hook(token, "other", "ls");
  EXPECT_EQ(r["verdict"], "deny") << r.dump();
  // The harness's own events go on.
  EXPECT_EQ(hook(token, "a", "terraform apply")["verdict"], "allow");
}

TEST(Service, HeaderMembersOfTheWrongTypeAreAnErrorNotACrash) {
  Fixture f;
  for (const char* h : {R"({"op":5})", R"({"op":"hook","harness":"claude-code","task_token":7})",
                        R"({"op":"token_introspect","token":[]})", R"({"op":"task_start","agent":1,"ticket":"T"})"}) {
    json r = json::parse(f.svc->handle(h, ""));
    EXPECT_EQ(r["ok"], false) << h;
  }
}

TEST(TaskToken, RotationKeepsEarlierTokensVerifiable) {
  Fixture f;
  std::string before = f.op({{"op", "task_start"}, {"agent", "a"}, {"ticket", "T-1"}})["token"];
  json jwks = f.op({{"op", "token_jwks"}})["jwks"];
  ASSERT_EQ(jwks["keys"].size(), 1u);
  std::string kid = f.op({{"op", "token_rotate"}})["kid"];
  jwks = f.op({{"op", "token_jwks"}})["jwks"];
  ASSERT_EQ(jwks["keys"].size(), 2u);
  EXPECT_EQ(jwks["keys"][0]["kid"], kid);  // the active key first
  EXPECT_EQ(f.introspect(before)["active"], true);
  std::string after = f.op({{"op", "task_start"}, {"agent", "a"}, {"ticket", "T-2"}})["token"];
  json header = json::parse(*crypto::base64url_decode(after.substr(0, after.find('.'))));
  EXPECT_EQ(header["kid"], kid);
  EXPECT_EQ(f.events("key_rotate"), 1u);
  // On schedule: a day later the periodic tick rotates.
  f.now += 86'400'000;
  f.svc->tick();
  EXPECT_EQ(f.events("key_rotate"), 2u);
}

json body_of(const std::string& response) {
  auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? json() : json::parse(response.substr(p + 4), nullptr, false);
}

TEST(Daemon, ServesDiscoveryJwksAndIntrospection) {
  TempDir dir;
  DaemonOptions o;
  o.data_dir = dir.path.string();
  o.http = "127.0.0.1:0";
  o.reload_poll_ms = 3600000;
  auto d = Daemon::create(o);
  ASSERT_TRUE(d.ok()) << d.error().message;
  std::thread t([&] { (*d)->run(); });
  int port = (*d)->http_port();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  json conf = body_of(http_call(port, "GET /.well-known/openid-configuration HTTP/1.1\r\n\r\n"));
  EXPECT_EQ(conf["issuer"], base);
  EXPECT_EQ(conf["jwks_uri"], base + "/.well-known/jwks.json");
  EXPECT_EQ(conf["introspection_endpoint"], base + "/introspect");
  EXPECT_EQ(conf["id_token_signing_alg_values_supported"], json::array({"ES256"}));
  json jwks = body_of(http_call(port, "GET /.well-known/jwks.json HTTP/1.1\r\n\r\n"));
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["crv"], "P-256");
  EXPECT_FALSE(jwks["keys"][0].contains("d"));  // never the private half
  // The key is persisted, 0600, in DATA/keys.
  std::string kid = jwks["keys"][0]["kid"];
  EXPECT_EQ(fs::status(dir.path / "keys" / (kid + ".pem")).permissions(),
            fs::perms::owner_read | fs::perms::owner_write);

  std::string token =
      json::parse((*d)->service().handle(R"({"op":"task_start","agent":"a","ticket":"T"})", ""))["token"];
  EXPECT_EQ(payload_of(token)["iss"], base);
  std::ifstream tf(dir.path / "http.token");
  std::string bearer;
  tf >> bearer;
  auto introspect = [&](const std::string& body, const std::string& auth) {
    return http_call(port, "POST /introspect HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n" + auth +
                               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  std::string auth = "Authorization: Bearer " + bearer + "\r\n";
  EXPECT_NE(introspect("token=" + token, "").find("401"), std::string::npos);  // callers authenticate
  json r = body_of(introspect("token=" + token + "&token_type_hint=access_token", auth));
  EXPECT_EQ(r["active"], true);
  EXPECT_EQ(r["iss"], base);
  EXPECT_EQ(body_of(introspect("token=" + token.substr(0, token.size() - 2), auth)), json({{"active", false}}));
  EXPECT_NE(introspect("tok=1", auth).find("400"), std::string::npos);
  EXPECT_NE(introspect("token=%zz", auth).find("400"), std::string::npos);
  EXPECT_NE(http_call(port, "GET /introspect HTTP/1.1\r\n\r\n").find("405"), std::string::npos);
  (*d)->stop();
  t.join();
}

// The risk tier is computed from the active pack, the agent and its live
// tasks, and follows each of them (docs/tasks.md, "Risk tier").
TEST(AgentRisk, TierFollowsTasksPackAndStatus) {
  Fixture f;
  ASSERT_EQ(f.op({{"op", "agent_register"}, {"agent", "reviewer"}, {"owner", "ana"}})["ok"], true);
  auto show = [&] { return f.op({{"op", "agent_show"}, {"agent", "reviewer"}})["agent"]; };
  json a = show();
  EXPECT_EQ(a["risk_tier"], "moderate") << a.dump();
  EXPECT_EQ(a["risk_tier_if_approved"], "high");
  bool force_push = false;
  for (const auto& p : a["risk_reachable"]) {
    if (p["probe"] != "force-push") continue;
    force_push = true;
    EXPECT_EQ(p["effect"], "ask");
    EXPECT_EQ(p["policies"], json::array({"ask-force-push"}));
  }
  EXPECT_TRUE(force_push) << a.dump();

  // A task granting `secret` raises it; ending the task lowers it again.
  auto start = f.op({{"op", "task_start"},
                     {"agent", "reviewer"},
                     {"ticket", "SEC-1"},
                     {"repos", {"/home/dev/project"}},
                     {"grants", {"secret"}}});
  ASSERT_EQ(start["ok"], true) << start.dump();
  EXPECT_EQ(show()["risk_tier"], "high");
  auto listed = f.op({{"op", "agent_list"}})["agents"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["risk_tier"], "high");
  ASSERT_EQ(f.op({{"op", "task_end"}, {"task", start["task"]}})["ok"], true);
  EXPECT_EQ(show()["risk_tier"], "moderate");

  // A stricter pack (a forbid added) lowers it once it is swapped in.
  auto files = policy::baseline_pack_files();
  files.push_back({"90-stricter.cedar", R"(
@id("no-egress") forbid (principal, action == Tollgate::Action::"net.fetch", resource);
@id("no-shell") forbid (principal, action == Tollgate::Action::"shell.exec", resource);
@id("workspace-only") forbid (principal, action in Tollgate::Action::"write", resource)
when { !context.target.in_workspace || context.target.labels.contains("ci-config") };
)"});
  auto pack = policy::load_pack_files(files, "stricter");
  ASSERT_TRUE(pack.ok()) << pack.error().message;
  f.svc->set_pdp(std::make_shared<const pdp::Pdp>(*pack, session::LabelTable::defaults("/home/dev"), pdp::Protected{}));
  a = show();
  EXPECT_EQ(a["risk_tier"], "low") << a.dump();
  EXPECT_EQ(a["risk_pack"], (*pack)->hash);

  // Suspended: nothing is reachable.
  ASSERT_EQ(f.op({{"op", "agent_suspend"}, {"agent", "reviewer"}})["ok"], true);
  a = show();
  EXPECT_EQ(a["risk_tier"], "none");
  EXPECT_TRUE(a["risk_reachable"].empty());
}

TEST(Http, ParsesForms) {
  std::map<std::string, std::string> f;
  ASSERT_TRUE(parse_form("token=a.b.c&token_type_hint=access_token&x=%41+b", f));
  EXPECT_EQ(f["token"], "a.b.c");
  EXPECT_EQ(f["x"], "A b");
  EXPECT_FALSE(parse_form("token=a&token=b", f));  // which one? neither
  EXPECT_FALSE(parse_form("token=%4", f));
  EXPECT_FALSE(parse_form("token=%g1", f));
  EXPECT_TRUE(parse_form("", f));
  EXPECT_TRUE(f.empty());
}

}  // namespace
}  // namespace tollgate::server
