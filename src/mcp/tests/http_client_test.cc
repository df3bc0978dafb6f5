#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "mcp/http_client.h"
#include "server/tests/test_util.h"

namespace tollgate::mcp {
namespace {

TEST(HttpUrl, ParsesSchemesHostsPortsAndPaths) {
  auto u = parse_http_url("https://api.example.com/mcp?x=1#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "api.example.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->path, "/mcp?x=1");
  EXPECT_EQ(u->authority(), "api.example.com");
  auto v6 = parse_http_url("http://[::1]:3001");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->path, "/");
  EXPECT_EQ(v6->authority(), "[::1]:3001");
  EXPECT_FALSE(parse_http_url("ftp://x/").ok());
  EXPECT_FALSE(parse_http_url("https://user:pw@x/").ok());
  EXPECT_FALSE(parse_http_url("http://:80/").ok());
  EXPECT_FALSE(parse_http_url("http://x:8a/").ok());
  EXPECT_FALSE(parse_http_url("http://x/a\r\nInjected: 1").ok());
}

TEST(SseSplitter, SplitsEventsAcrossPieces) {
  SseSplitter s;
  std::vector<SseSplitter::Event> out;
  ASSERT_TRUE(s.feed("id: 7\nevent: message\ndata: {\"a\":", out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(s.feed("1}\n\n: keep-alive\n\ndata: x\r\ndata: y\r\n\r\n", out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, "7");
  EXPECT_EQ(out[0].data, "{\"a\":1}");
  EXPECT_EQ(out[1].data, "x\ny");
}

TEST(SseSplitter, RefusesAnEventOverTheCap) {
  SseSplitter s(64);
  std::vector<SseSplitter::Event> out;
  EXPECT_FALSE(s.feed("data: " + std::string(100, 'x'), out).ok());
}

// Serves one canned response to one connection on 127.0.0.1.
struct OneShotServer {
  int fd = -1;
  int port = 0;
  std::thread t;
  std::string request;
  explicit OneShotServer(std::string response) {
    fd = server::testing::listen_loopback(&port);
    t = std::thread([this, response] {
      int c = ::accept(fd, nullptr, nullptr);
      char buf[4096];
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n > 0) request.assign(buf, static_cast<size_t>(n));
      (void)!::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      // Half-close, then drain what the client still sends: closing with
      // unread data would reset the connection under the client's read.
      ::shutdown(c, SHUT_WR);
      while (::recv(c, buf, sizeof buf, 0) > 0) {
      }
      ::close(c);
    });
  }
  ~OneShotServer() {
    t.join();
    ::close(fd);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/mcp"; }
};

Result<std::string> fetch(const OneShotServer& s, HttpResponseHead* head = nullptr) {
  auto u = parse_http_url(s.url());
  if (!u) return std::move(u).error();
  auto c = HttpConnection::open(*u, {});
  if (!c) return std::move(c).error();
  if (auto st = (*c)->send("POST", *u, {{"Content-Type", "application/json"}}, "{}"); !st) return st.error();
  auto h = (*c)->read_head();
  if (!h) return std::move(h).error();
  if (head) *head = *h;
  return (*c)->read_body(1 << 20);
}

TEST(HttpConnection, ReadsContentLengthBodies) {
  OneShotServer s(
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: abc\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  HttpResponseHead h;
  auto body = fetch(s, &h);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, "{\"a\":1}");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.header("mcp-session-id"), "abc");
  EXPECT_NE(s.request.find("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:"), std::string::npos);
}

TEST(HttpConnection, ReadsChunkedBodies) {
  OneShotServer s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ndata\r\n3;ext=1\r\n: x\r\n0\r\n\r\n");
  auto body = fetch(s);
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, "data: x");
}

TEST(HttpConnection, ReadsBodiesUntilClose) {
  OneShotServer s("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n");
  auto body = fetch(s);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "data: 1\n\n");
}

TEST(HttpConnection, RefusesMalformedAnswers) {
  {
    OneShotServer s("SMTP ready\r\n\r\n");
    EXPECT_FALSE(fetch(s).ok());
  }
  {
    OneShotServer s("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    EXPECT_FALSE(fetch(s).ok());
  }
  {
    OneShotServer s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    EXPECT_FALSE(fetch(s).ok());
  }
  {
    OneShotServer s("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
    EXPECT_FALSE(fetch(s).ok());
  }
}

TEST(HttpConnection, RefusesHeaderInjection) {
  auto u = parse_http_url("http://127.0.0.1:9/");
  ASSERT_TRUE(u.ok());
  OneShotServer s("HTTP/1.1 204 No Content\r\n\r\n");
  auto us = parse_http_url(s.url());
  auto c = HttpConnection::open(*us, {});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)->send("POST", *us, {{"X-A", "1\r\nInjected: yes"}}, "").ok());
}

}  // namespace
}  // namespace tollgate::mcp
