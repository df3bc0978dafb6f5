// The HTTP MCP gateway's connections: a client's connection carries its
// next request (HTTP/1.1 keep-alive) and the upstream's connection is kept
// between requests, so a call pays no handshake on either side.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/daemon.h"
#include "server/tests/test_util.h"

namespace tollgate::server {
namespace {

using nlohmann::json;
using testing::TempDir;

// One side of an HTTP/1.1 connection: writes requests or answers, reads
// them back by Content-Length.
struct Wire {
  explicit Wire(int socket) : fd(socket) {}
  int fd;
  std::string buf;
  bool closed = false;
  // The next message (head and body); empty once the peer has closed.
  std::string next() {
    for (;;) {
      auto end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        auto lower = buf.substr(0, end);
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (auto cl = lower.find("content-length: "); cl != std::string::npos) len = std::stoul(buf.substr(cl + 16));
        if (buf.size() >= end + 4 + len) {
          std::string m = buf.substr(0, end + 4 + len);
          buf.erase(0, end + 4 + len);
          return m;
        }
      }
      char tmp[8192];
      ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0) {
        closed = true;
        return {};
      }
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  static std::string body_of(const std::string& m) { return m.substr(m.find("\r\n\r\n") + 4); }
};

// A Streamable HTTP upstream without sessions that answers initialize,
// tools/list and tools/call (`add`) as JSON, keeping its connections open.
class Upstream {
 public:
  Upstream() {
    fd_ = testing::listen_loopback(&port_);
    accept_ = std::thread([this] {
      for (;;) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) return;
        ++accepted_;
        conns_.emplace_back([this, c] { serve(c); });
      }
    });
  }
  ~Upstream() {
    ::shutdown(fd_, SHUT_RDWR);
    accept_.join();
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }
  // Answers every initialize with this session id (none by default).
  void set_session(std::string id) {
    std::lock_guard lock(mu_);
    session_ = std::move(id);
  }
  // The bodies it accepted without answering (notifications, answers).
  std::vector<std::string> accepted_bodies() {
    std::lock_guard lock(mu_);
    return accepted_bodies_;
  }

 private:
  void serve(int c) {
    Wire w(c);
    for (std::string req = w.next(); !req.empty(); req = w.next()) {
      auto m = json::parse(Wire::body_of(req), nullptr, false);
      std::string method = m.is_object() ? m.value("method", "") : "";
      json result;
      if (method == "initialize") {
        std::string version = "2025-06-18";
        if (auto v = m["params"].find("protocolVersion"); v != m["params"].end() && v->is_string()) version = *v;
        result = {{"protocolVersion", version},
                  {"capabilities", {{"tools", json::object()}}},
                  {"serverInfo", {{"name", "calc"}, {"version", "1"}}}};
      } else if (method == "tools/list") {
        result = {{"tools", json::array({json{{"name", "add"},
                                              {"description", "Adds two numbers."},
                                              {"inputSchema", {{"type", "object"}}}}})}};
      } else if (method == "tools/call") {
        result = {{"content", json::array({json{{"type", "text"}, {"text", "3"}}})}};
      } else {
        {
          std::lock_guard lock(mu_);
          accepted_bodies_.push_back(Wire::body_of(req));
        }
        std::string accepted = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";
        (void)!::send(c, accepted.data(), accepted.size(), MSG_NOSIGNAL);
        continue;
      }
      std::string body = json{{"jsonrpc", "2.0"}, {"id", m["id"]}, {"result", result}}.dump();
      std::string session;
      if (method == "initialize") {
        std::lock_guard lock(mu_);
        if (!session_.empty()) session = "Mcp-Session-Id: " + session_ + "\r\n";
      }
      std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + session +
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    ::close(c);
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::string> accepted_bodies_;
  std::string session_;
  std::thread accept_;
  std::vector<std::thread> conns_;  // touched by the accepting thread only, until it is joined
};

class McpHttpConnections : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path / "mcp.json")
        << json{{"upstreams", json::array({json{{"name", "calc"},
                                                {"url", "http://127.0.0.1:" + std::to_string(up_.port()) + "/mcp"}}})}}
               .dump();
    DaemonOptions o;
    o.data_dir = dir_.path.string();
    o.http = "127.0.0.1:0";
    o.reload_poll_ms = 3600000;
    auto d = Daemon::create(o);
    ASSERT_TRUE(d.ok()) << d.error().message;
    daemon_ = std::move(*d);
    loop_ = std::thread([this] { daemon_->run(); });
    std::ifstream(dir_.path / "http.token") >> token_;
  }
  void TearDown() override {
    if (daemon_) daemon_->stop();
    if (loop_.joinable()) loop_.join();
  }
  std::string post(const json& message, const std::string& extra = {}, const std::string& bearer = {}) const {
    std::string body = message.dump();
    return "POST /mcp/calc HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + (bearer.empty() ? token_ : bearer) +
           "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  static json rpc(int id, const std::string& method, json params = json::object()) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
  }
  static json initialize(const std::string& version) {
    return rpc(1, "initialize",
               {{"protocolVersion", version},
                {"capabilities", json::object()},
                {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  }
  // Sends one request on a kept connection and reads its answer.
  std::string ask(Wire& client, const json& m) const {
    std::string req = post(m);
    EXPECT_EQ(::send(client.fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    return client.next();
  }

  Upstream up_;
  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::thread loop_;
  std::string token_;
};

TEST_F(McpHttpConnections, OneClientConnectionAndOneUpstreamConnectionCarryASession) {
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  std::string init = ask(client, initialize("2025-06-18"));
  ASSERT_NE(init.find("200 OK"), std::string::npos) << init;
  EXPECT_EQ(init.find("Connection: close"), std::string::npos) << init;
  EXPECT_NE(init.find("Keep-Alive: timeout="), std::string::npos) << init;
  std::string list = ask(client, rpc(2, "tools/list"));
  ASSERT_NE(list.find("\"add\""), std::string::npos) << list;
  for (int id = 3; id < 6; ++id) {
    std::string call = ask(client, rpc(id, "tools/call", {{"name", "add"}, {"arguments", {{"a", 1}, {"b", 2}}}}));
    ASSERT_NE(call.find("200 OK"), std::string::npos) << call;
    EXPECT_EQ(json::parse(Wire::body_of(call))["result"]["content"][0]["text"], "3") << call;
  }
  EXPECT_FALSE(client.closed);
  EXPECT_EQ(up_.accepted(), 1);  // the upstream saw one connection for five requests
  ::close(client.fd);
}

TEST_F(McpHttpConnections, ARefusedBatchIsAnsweredAndItsNotificationsStillReachTheUpstream) {
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  // 2025-03-26 is the last version with JSON-RPC batches.
  std::string init = ask(client, initialize("2025-03-26"));
  ASSERT_NE(init.find("200 OK"), std::string::npos) << init;
  ASSERT_NE(ask(client, rpc(2, "tools/list")).find("\"add\""), std::string::npos);
  const char* home = std::getenv("HOME");
  json denied = rpc(3, "tools/call",
                    {{"name", "add"}, {"arguments", {{"path", std::string(home ? home : "/root") + "/.ssh/id_rsa"}}}});
  json note = {{"jsonrpc", "2.0"}, {"method", "notifications/progress"}, {"params", {{"progressToken", "p1"}}}};
  std::string answer = ask(client, json::array({denied, note}));
  ASSERT_NE(answer.find("200 OK"), std::string::npos) << answer;
  json errors = json::parse(Wire::body_of(answer));
  ASSERT_TRUE(errors.is_array()) << answer;
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]["id"], 3);
  EXPECT_TRUE(errors[0].contains("error"));
  auto bodies = up_.accepted_bodies();
  ASSERT_FALSE(bodies.empty());
  EXPECT_EQ(json::parse(bodies.back()), json::array({note}));
  ::close(client.fd);
}

TEST_F(McpHttpConnections, AMethodOfTheWrongTypeUnderRoutingHeadersIsRefusedNotACrash) {
  for (const char* bearer : {"", "not-a-token"}) {
    Wire client(testing::connect_loopback(daemon_->http_port()));
    ASSERT_GE(client.fd, 0);
    std::string req = post(json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", 7}}, "Mcp-Method: tools/call\r\n", bearer);
    ASSERT_EQ(::send(client.fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    std::string answer = client.next();
    EXPECT_EQ(answer.find("HTTP/1.1 4"), 0u) << answer;
    ::close(client.fd);
  }
  // The daemon is still there.
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  EXPECT_NE(ask(client, initialize("2025-06-18")).find("200 OK"), std::string::npos);
  ::close(client.fd);
}

TEST_F(McpHttpConnections, ABearerThatIsNoLiveTaskTokenReachesNoUpstream) {
  for (const json& m : {initialize("2025-06-18"), rpc(2, "resources/list"), rpc(3, "completion/complete")}) {
    Wire client(testing::connect_loopback(daemon_->http_port()));
    ASSERT_GE(client.fd, 0);
    std::string req = post(m, {}, "garbage");
    ASSERT_EQ(::send(client.fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    std::string answer = client.next();
    EXPECT_EQ(answer.find("HTTP/1.1 401"), 0u) << answer;
    ::close(client.fd);
  }
  EXPECT_EQ(up_.accepted(), 0);  // the upstream never heard of it
}

TEST_F(McpHttpConnections, AnUpstreamThatGivesTwoClientsOneSessionIdIsRefused) {
  // Two clients with one credential each get a session of their own; an
  // upstream that hands both the same id would merge their requests and
  // records, so the second initialize fails instead.
  up_.set_session("SAME");
  Wire a(testing::connect_loopback(daemon_->http_port())), b(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(a.fd, 0);
  ASSERT_GE(b.fd, 0);
  std::string first = ask(a, initialize("2025-06-18"));
  EXPECT_NE(first.find("200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("Mcp-Session-Id: SAME"), std::string::npos) << first;
  std::string second = ask(b, initialize("2025-06-18"));
  EXPECT_EQ(second.find("HTTP/1.1 502"), 0u) << second;
  EXPECT_EQ(second.find("SAME"), std::string::npos) << second;
  ::close(a.fd);
  ::close(b.fd);
}

TEST_F(McpHttpConnections, AnUpstreamSessionIdWithControlBytesNeverReachesTheClient) {
  up_.set_session(std::string("ab\x01\x7f\x1b[31mcd", 10));
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  std::string init = ask(client, initialize("2025-06-18"));
  EXPECT_EQ(init.find("HTTP/1.1 200"), 0u) << init;
  EXPECT_EQ(init.find("Mcp-Session-Id"), std::string::npos) << init;
  EXPECT_EQ(init.find('\x1b'), std::string::npos) << init;
  ::close(client.fd);
}

TEST_F(McpHttpConnections, AnUpstreamSessionIsReachedOnlyByTheCredentialThatOpenedIt) {
  up_.set_session("S1");
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  ASSERT_NE(ask(client, initialize("2025-06-18")).find("Mcp-Session-Id: S1"), std::string::npos);
  auto with_session = [&](const std::string& id, int rpc_id) {
    std::string req = post(rpc(rpc_id, "tools/list"), "Mcp-Session-Id: " + id + "\r\n");
    EXPECT_EQ(::send(client.fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    return client.next();
  };
  EXPECT_NE(with_session("S1", 2).find("200 OK"), std::string::npos);
  // A session id Tollgate never saw opened (guessed, another client's, or
  // from before a restart) is unknown: the client starts a new session.
  int before = up_.accepted();
  std::string unknown = with_session("S2", 3);
  EXPECT_EQ(unknown.find("HTTP/1.1 404"), 0u) << unknown;
  EXPECT_EQ(up_.accepted(), before);
  ::close(client.fd);
}

TEST_F(McpHttpConnections, APeerThatResetsCannotEndTheDaemon) {
  // Writing to a reset connection raises SIGPIPE, and OpenSSL writes with
  // write(): the daemon ignores the signal (its children get it back).
  struct sigaction sa {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &sa), 0);
  EXPECT_EQ(sa.sa_handler, SIG_IGN);
}

TEST_F(McpHttpConnections, AClientThatSaysCloseIsAnsweredAndClosed) {
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  std::string req = post(initialize("2025-06-18"), "Connection: close\r\n");
  ASSERT_EQ(::send(client.fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string init = client.next();
  EXPECT_NE(init.find("200 OK"), std::string::npos) << init;
  EXPECT_NE(init.find("Connection: close"), std::string::npos) << init;
  EXPECT_TRUE(client.next().empty());
  EXPECT_TRUE(client.closed);
  ::close(client.fd);
}

TEST_F(McpHttpConnections, PipelinedRequestsEndTheConnectionAfterTheFirstAnswer) {
  // Requests sent before the first answer are not read by a worker that
  // would lose them: the first is answered, then the connection closes.
  Wire client(testing::connect_loopback(daemon_->http_port()));
  ASSERT_GE(client.fd, 0);
  std::string two = post(initialize("2025-06-18")) + post(rpc(2, "tools/list"));
  ASSERT_EQ(::send(client.fd, two.data(), two.size(), MSG_NOSIGNAL), static_cast<ssize_t>(two.size()));
  std::string first = client.next();
  EXPECT_NE(first.find("200 OK"), std::string::npos) << first;
  EXPECT_NE(first.find("Connection: close"), std::string::npos) << first;
  EXPECT_TRUE(client.next().empty());
  ::close(client.fd);
}

}  // namespace
}  // namespace tollgate::server
