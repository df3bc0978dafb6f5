// Operator requests from inside a governed agent's session are refused:
// real processes stand in for a harness (named like one with prctl) and
// the commands it runs.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "server/peers.h"
#include "server/tests/test_util.h"

namespace tollgate::server {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::test_service;

// A process named `name` that waits to be killed; with `child_name`, it
// first starts a child of its own named so (the command the harness runs).
struct NamedProcess {
  pid_t pid = -1;
  pid_t child = -1;
  int pipe_fd = -1;
  // With `connect_to`, the process first opens a TCP connection to it (an
  // HTTP client).
  NamedProcess(const char* name, const char* child_name = nullptr, const sockaddr_storage* connect_to = nullptr) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::prctl(PR_SET_NAME, name);
      if (connect_to) {
        int s = ::socket(connect_to->ss_family, SOCK_STREAM, 0);
        if (s < 0 || ::connect(s, reinterpret_cast<const sockaddr*>(connect_to), sizeof *connect_to) != 0) ::_exit(1);
      }
      pid_t c = -1;
      if (child_name) {
        c = ::fork();
        if (c == 0) {
          ::prctl(PR_SET_PDEATHSIG, SIGKILL);
          ::prctl(PR_SET_NAME, child_name);
          c = ::getpid();
          (void)!::write(fds[1], &c, sizeof c);  // both names are set now
          for (;;) ::pause();
        }
      } else {
        (void)!::write(fds[1], &c, sizeof c);
      }
      for (;;) ::pause();
    }
    ::close(fds[1]);
    if (::read(fds[0], &child, sizeof child) != static_cast<ssize_t>(sizeof child)) child = -1;
    ::close(fds[0]);
  }
  ~NamedProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

// A TCP listener on a loopback address (`family` AF_INET or AF_INET6), port
// chosen by the kernel; fd -1 when the address family is unavailable.
struct Listener {
  int fd = -1;
  sockaddr_storage addr{};
  explicit Listener(int family) {
    fd = ::socket(family, SOCK_STREAM, 0);
    if (fd < 0) return;
    addr.ss_family = static_cast<sa_family_t>(family);
    if (family == AF_INET)
      reinterpret_cast<sockaddr_in&>(addr).sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
      reinterpret_cast<sockaddr_in6&>(addr).sin6_addr = in6addr_loopback;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ~Listener() {
    if (fd >= 0) ::close(fd);
  }
  int accept() const { return ::accept(fd, nullptr, nullptr); }
  int connect() const {  // from this process
    int s = ::socket(addr.ss_family, SOCK_STREAM, 0);
    if (s >= 0 && ::connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(s);
      return -1;
    }
    return s;
  }
};

std::string hook_header() { return json{{"v", 1}, {"op", "hook"}, {"harness", "claude-code"}}.dump(); }
std::string session_start(const std::string& sid, const std::string& source = "startup") {
  return json{
      {"session_id", sid}, {"cwd", "/home/dev/project"}, {"hook_event_name", "SessionStart"}, {"source", source}}
      .dump();
}
std::string task_start_header() {
  return json{{"v", 1}, {"op", "task_start"}, {"agent", "claude-code:dev@box"}, {"ticket", "T-1"}, {"bytes", 0}}.dump();
}

// A service on a fresh store, and a process named like a harness (`claude`)
// with a child (`tollgate`, its hook or a command it runs).
class Peers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(svc);
    ASSERT_GT(harness.child, 0);
  }
  TempDir dir;
  int64_t now = 1'780'000'000'000;
  std::unique_ptr<Service> svc = test_service(dir.path, &now);
  NamedProcess harness{"claude", "tollgate"};
};

TEST_F(Peers, FindsTheHarnessAboveTheHookAndItsShells) {
  auto chain = process_ancestry(harness.child);
  ASSERT_GE(chain.size(), 2u);
  EXPECT_EQ(chain[0].comm, "tollgate");
  EXPECT_EQ(chain[1].comm, "claude");
  ProcId h = harness_of(chain);
  EXPECT_EQ(h.pid, harness.pid);
  // A script that runs the hook itself is no harness.
  NamedProcess script("make", "tollgate");
  EXPECT_EQ(harness_of(process_ancestry(script.child)).pid, 0);
  EXPECT_EQ(process_ancestry(999999999).size(), 0u);
}

TEST_F(Peers, RefusesOperatorRequestsFromAnAgentsSession) {
  // The harness runs its hook (a `tollgate` child): the daemon learns the harness.
  std::string ev = session_start("sess-peers");
  ASSERT_NE(svc->handle(hook_header(), ev, harness.child).find("\"ok\":true"), std::string::npos);
  // A command the agent runs — here the hook's sibling, a child of the harness.
  std::string refused = svc->handle(task_start_header(), "", harness.child);
  EXPECT_NE(refused.find("\"ok\":false"), std::string::npos) << refused;
  EXPECT_NE(refused.find("governed agent"), std::string::npos) << refused;
  std::string approve = svc->handle(
      json{{"v", 1}, {"op", "mcp"}, {"kind", "approve"}, {"server", "x"}, {"bytes", 0}}.dump(), "", harness.child);
  EXPECT_NE(approve.find("governed agent"), std::string::npos) << approve;
  // Reading is fine.
  std::string list = svc->handle(json{{"v", 1}, {"op", "task_list"}, {"bytes", 0}}.dump(), "", harness.child);
  EXPECT_NE(list.find("\"ok\":true"), std::string::npos) << list;
  // A person's terminal (this test process) is not in the agent's tree.
  std::string person = svc->handle(task_start_header(), "", static_cast<int>(::getpid()));
  EXPECT_EQ(person.find("governed agent"), std::string::npos) << person;
  // The refusal is on the record.
  store::EventFilter f;
  f.kind = "operator_refused";
  auto refusals = svc->store().events(f);
  ASSERT_TRUE(refusals.ok());
  EXPECT_EQ(refusals->size(), 2u);
}

TEST_F(Peers, AProcessUnderAGatewaySpeaksNeitherForItNorForPeople) {
  // A stdio gateway (`tollgate`) and the MCP server it started (`node`),
  // which inherits TOLLGATE_SOCKET: the server may not review its own tools
  // or approve them, even before any harness is traced.
  NamedProcess gateway{"tollgate", "node"};
  ASSERT_GT(gateway.child, 0);
  for (const json& h : {json{{"v", 1}, {"op", "mcp"}, {"kind", "approve"}, {"server", "x"}, {"bytes", 0}},
                        json{{"v", 1}, {"op", "mcp"}, {"kind", "tools"}, {"server", "x"}, {"bytes", 0}},
                        json::parse(task_start_header())}) {
    json r = json::parse(svc->handle(h.dump(), "", gateway.child));
    EXPECT_EQ(r["ok"], false) << h.dump();
    EXPECT_NE(r.value("error", "").find("under a Tollgate gateway"), std::string::npos) << r.dump();
  }
  // The gateway itself is heard (here: an empty review request it would not send).
  json r = json::parse(svc->handle(
      json{{"v", 1}, {"op", "mcp"}, {"kind", "tools"}, {"server", "x"}, {"bytes", 0}}.dump(), "", gateway.pid));
  EXPECT_EQ(r.value("error", "").find("under a Tollgate gateway"), std::string::npos) << r.dump();
}

TEST_F(Peers, AConnectionRemembersOnlyThatItsPeerIsClearOfAGateway) {
  // A kept connection reads its peer's ancestry once it is found clear; a
  // peer under a gateway is refused on every request, never cleared.
  NamedProcess gateway{"tollgate", "node"};
  ASSERT_GT(gateway.child, 0);
  const std::string tools = json{{"v", 1}, {"op", "mcp"}, {"kind", "tools"}, {"server", "x"}, {"bytes", 0}}.dump();
  Service::Peer under{gateway.child};
  for (int i = 0; i < 2; ++i) {
    json r = json::parse(svc->handle(tools, "", under));
    EXPECT_NE(r.value("error", "").find("under a Tollgate gateway"), std::string::npos) << r.dump();
    EXPECT_FALSE(under.clear_of_tollgate);
  }
  Service::Peer clear{harness.pid};
  json r = json::parse(svc->handle(tools, "", clear));
  EXPECT_EQ(r.value("error", "").find("under a Tollgate gateway"), std::string::npos) << r.dump();
  EXPECT_TRUE(clear.clear_of_tollgate);
  // A process that cannot be read is not cleared.
  Service::Peer gone{999999999};
  (void)svc->handle(tools, "", gone);
  EXPECT_FALSE(gone.clear_of_tollgate);
}

// A chain of `depth` processes under one named `top`, each the child of the
// one before; `deepest` is the last. Killing `top` takes the rest with it.
struct ProcessChain {
  pid_t top = -1;
  pid_t deepest = -1;
  ProcessChain(const char* top_name, int depth) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    top = ::fork();
    if (top == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::prctl(PR_SET_NAME, top_name);
      for (int level = 0; level < depth; ++level) {
        pid_t c = ::fork();
        if (c != 0) break;  // this level waits; its child goes on
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::prctl(PR_SET_NAME, "sh");
        if (level + 1 == depth) {
          pid_t me = ::getpid();
          (void)!::write(fds[1], &me, sizeof me);
        }
      }
      for (;;) ::pause();
    }
    ::close(fds[1]);
    if (::read(fds[0], &deepest, sizeof deepest) != static_cast<ssize_t>(sizeof deepest)) deepest = -1;
    ::close(fds[0]);
  }
  ~ProcessChain() {
    if (top > 0) {
      ::kill(top, SIGKILL);
      ::waitpid(top, nullptr, 0);
    }
  }
};

TEST_F(Peers, AGatewayHiddenDeeperThanTheLevelsReadIsNotAssumedAway) {
  // A server under a gateway nests 70 shells: the gateway is above the 64
  // levels read. Refused, where a shallower chain is read to its end.
  const std::string tools = json{{"v", 1}, {"op", "mcp"}, {"kind", "tools"}, {"server", "x"}, {"bytes", 0}}.dump();
  ProcessChain deep("tollgate", 70);
  ASSERT_GT(deep.deepest, 0);
  Service::Peer peer{deep.deepest};
  json r = json::parse(svc->handle(tools, "", peer));
  EXPECT_NE(r.value("error", "").find("levels below init"), std::string::npos) << r.dump();
  EXPECT_FALSE(peer.clear_of_tollgate);
  ProcessChain shallow("tollgate", 20);
  ASSERT_GT(shallow.deepest, 0);
  r = json::parse(svc->handle(tools, "", shallow.deepest));
  EXPECT_NE(r.value("error", "").find("under a Tollgate gateway"), std::string::npos) << r.dump();
  ProcessChain plain("make", 20);
  ASSERT_GT(plain.deepest, 0);
  Service::Peer clear{plain.deepest};
  r = json::parse(svc->handle(tools, "", clear));
  EXPECT_EQ(r.value("error", "").find("Tollgate"), std::string::npos) << r.dump();
  EXPECT_TRUE(clear.clear_of_tollgate);
}

TEST(ProcessAncestry, SaysWhetherTheChainReachedInit) {
  bool complete = false;
  auto chain = process_ancestry(static_cast<int>(::getpid()), 64, &complete);
  ASSERT_FALSE(chain.empty());
  EXPECT_EQ(chain[0].pid, ::getpid());
  EXPECT_GT(chain[0].start, 0u);
  EXPECT_TRUE(complete);
  // Cut short by the level cap (a test runner has a parent besides init).
  if (::getppid() > 1) {
    chain = process_ancestry(static_cast<int>(::getpid()), 1, &complete);
    EXPECT_EQ(chain.size(), 1u);
    EXPECT_FALSE(complete);
  }
  process_ancestry(999999999, 64, &complete);
  EXPECT_FALSE(complete);
}

TEST_F(Peers, RefusesContainmentRequestsFromAnAgentsSession) {
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-contain"), harness.child).find("\"ok\":true"),
            std::string::npos);
  auto ask = [&](json h, int pid) {
    h["v"] = 1;
    h["bytes"] = 0;
    return json::parse(svc->handle(h.dump(), "", pid));
  };
  // The agent cannot lift its own quarantine, turn the kill switch off, or
  // quarantine someone else.
  int me = static_cast<int>(::getpid());
  ASSERT_EQ(ask({{"op", "contain_session"}, {"session", "sess-contain"}}, me)["ok"], true);
  ASSERT_EQ(ask({{"op", "contain_kill_switch"}, {"on", true}}, me)["ok"], true);
  for (const json& h : {json{{"op", "contain_release"}, {"scope", "session"}, {"id", "sess-contain"}},
                        json{{"op", "contain_kill_switch"}, {"on", false}},
                        json{{"op", "contain_agent"}, {"agent", "claude-code:dev@box"}}}) {
    json r = ask(h, harness.child);
    EXPECT_EQ(r["ok"], false) << h.dump();
    EXPECT_NE(r.value("error", "").find("governed agent"), std::string::npos) << r.dump();
  }
  // Reading is fine; and both containments are still in force.
  json list = ask({{"op", "contain_list"}}, harness.child);
  ASSERT_EQ(list["ok"], true) << list.dump();
  EXPECT_TRUE(list["kill_switch"].is_object());
  EXPECT_EQ(list["quarantined"].size(), 1u);
  EXPECT_EQ(ask({{"op", "detect_list"}}, harness.child)["ok"], true);
  // A person lifts them.
  EXPECT_EQ(ask({{"op", "contain_kill_switch"}, {"on", false}}, me)["ok"], true);
  EXPECT_EQ(ask({{"op", "contain_release"}, {"scope", "session"}, {"id", "sess-contain"}}, me)["ok"], true);
}

// `tollgate mcp` started by the agent's harness decides in the harness's
// session (one session state across its own tools and its MCP servers); the
// same gateway run from elsewhere keeps a session of its own.
TEST_F(Peers, GatewayUnderAHarnessDecidesInTheHarnessSession) {
  auto call = [&](const std::string& gateway_sid, int pid, const std::string& id) {
    std::string payload =
        json{{"method", "tools/call"}, {"name", "add"}, {"id", id}, {"arguments", {{"a", 1}, {"b", 2}}}}.dump();
    json h = {{"v", 1},
              {"op", "mcp"},
              {"kind", "call"},
              {"server", "calc"},
              {"session", gateway_sid},
              {"cwd", "/home/dev/project"},
              {"bytes", payload.size()}};
    return json::parse(svc->handle(h.dump(), payload, pid));
  };
  auto sessions_of = [&](const std::string& kind) {
    store::EventFilter f;
    f.kind = kind;
    auto events = svc->store().events(f);
    std::vector<std::string> sessions;
    if (events)
      for (const auto& e : *events) sessions.push_back(e.session);
    return sessions;
  };
  // Before the harness's first hook event the gateway is on its own.
  EXPECT_EQ(call("mcp-calc-1", harness.child, "1")["ok"], true);
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-harness"), harness.child).find("\"ok\":true"),
            std::string::npos);
  EXPECT_EQ(call("mcp-calc-1", harness.child, "2")["ok"], true);
  EXPECT_EQ(call("mcp-calc-1", harness.child, "3")["ok"], true);
  // A process outside the harness's tree, with the same or its own session id.
  EXPECT_EQ(call("mcp-calc-2", static_cast<int>(::getpid()), "4")["ok"], true);
  EXPECT_EQ(sessions_of("decision"),
            (std::vector<std::string>{"mcp-calc-1", "sess-harness", "sess-harness", "mcp-calc-2"}));
  // The link is on the record once.
  EXPECT_EQ(sessions_of("mcp_link"), std::vector<std::string>{"sess-harness"});
  // The harness moves on to a new session (/clear): so does its gateway.
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-next"), harness.child).find("\"ok\":true"),
            std::string::npos);
  EXPECT_EQ(call("mcp-calc-1", harness.child, "5")["ok"], true);
  EXPECT_EQ(sessions_of("decision").back(), "sess-next");
  EXPECT_EQ(sessions_of("mcp_link"), (std::vector<std::string>{"sess-harness", "sess-next"}));
}

// A session resumed in another harness process (`claude --resume`) is
// traced again: that process's commands are the agent's too.
TEST_F(Peers, ResumedSessionInANewHarnessProcessIsTraced) {
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-resumed"), harness.child).find("\"ok\":true"),
            std::string::npos);
  NamedProcess resumed("claude", "tollgate");
  ASSERT_GT(resumed.child, 0);
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-resumed", "resume"), resumed.child).find("\"ok\":true"),
            std::string::npos);
  std::string refused = svc->handle(task_start_header(), "", resumed.child);
  EXPECT_NE(refused.find("governed agent"), std::string::npos) << refused;
}

// A harness that resumes an older session takes its gateways back to it.
TEST_F(Peers, GatewayFollowsItsHarnessBackToAResumedSession) {
  auto decide = [&](const std::string& id) {
    std::string payload =
        json{{"method", "tools/call"}, {"name", "add"}, {"id", id}, {"arguments", json::object()}}.dump();
    json h = {{"v", 1},
              {"op", "mcp"},
              {"kind", "call"},
              {"server", "calc"},
              {"session", "mcp-calc-r"},
              {"cwd", "/home/dev/project"},
              {"bytes", payload.size()}};
    (void)svc->handle(h.dump(), payload, harness.child);
    store::EventFilter f;
    f.kind = "decision";
    auto events = svc->store().events(f);
    return events && !events->empty() ? events->back().session : std::string();
  };
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-one"), harness.child).find("\"ok\":true"),
            std::string::npos);
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-two", "clear"), harness.child).find("\"ok\":true"),
            std::string::npos);
  EXPECT_EQ(decide("1"), "sess-two");
  ASSERT_NE(svc->handle(hook_header(), session_start("sess-one", "resume"), harness.child).find("\"ok\":true"),
            std::string::npos);
  EXPECT_EQ(decide("2"), "sess-one");
}

// An HTTP client is no child of the daemon: the process at the other end of
// a loopback connection is found by its socket, and only under a traced harness.
TEST_F(Peers, HttpClientIsFoundByItsConnectionUnderATracedHarness) {
  for (int family : {AF_INET, AF_INET6}) {
    SCOPED_TRACE(family == AF_INET ? "IPv4" : "IPv6");
    Listener listener(family);
    if (listener.fd < 0) continue;  // no IPv6 loopback here
    NamedProcess client("claude", "tollgate", &listener.addr);
    ASSERT_GT(client.child, 0);
    int conn = listener.accept();
    ASSERT_GE(conn, 0);
    // The client's own process, and the same found from an ancestor.
    EXPECT_EQ(loopback_peer_pid(conn, {client.pid}), client.pid);
    EXPECT_EQ(loopback_peer_pid(conn, {static_cast<int>(::getpid())}), client.pid);
    // Not under an unrelated process. (The client's child inherited the
    // socket, so it holds it as well.)
    EXPECT_EQ(loopback_peer_pid(conn, {harness.pid, harness.child}), 0);
    EXPECT_EQ(loopback_peer_pid(conn, {client.child}), client.child);
    // The service looks only under the harnesses it traced.
    EXPECT_EQ(svc->harness_peer(conn), 0);
    ASSERT_NE(svc->handle(hook_header(), session_start("sess-http-" + std::to_string(family)), client.child)
                  .find("\"ok\":true"),
              std::string::npos);
    EXPECT_EQ(svc->harness_peer(conn), client.pid);
    // A connection from this process (a person's script): no harness.
    int mine = listener.connect();
    ASSERT_GE(mine, 0);
    int conn2 = listener.accept();
    ASSERT_GE(conn2, 0);
    EXPECT_EQ(loopback_peer_pid(conn2, {static_cast<int>(::getpid())}), static_cast<int>(::getpid()));
    EXPECT_EQ(svc->harness_peer(conn2), 0);
    // Gone: the connection's other end closed and its process killed.
    ::close(mine);
    EXPECT_EQ(loopback_peer_pid(conn2, {static_cast<int>(::getpid())}), 0);
    ::close(conn2);
    ::close(conn);
  }
  // Not a TCP socket at all.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  EXPECT_EQ(loopback_peer_pid(fds[0], {static_cast<int>(::getpid())}), 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

}  // namespace
}  // namespace tollgate::server
