// HttpPool: kept connections to an upstream, TLS sessions resumed, and the
// cases where a connection must not carry another request.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcp/http_client.h"
#include "server/tests/test_util.h"

namespace tollgate::mcp {
namespace {

namespace fs = std::filesystem;

// A self-signed certificate for `host` (a DNS name), and its key.
struct Cert {
  EVP_PKEY* key = nullptr;
  X509* x509 = nullptr;
  explicit Cert(const char* host) {
    key = EVP_EC_gen("P-256");
    x509 = X509_new();
    X509_set_version(x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509), -60);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
    X509_set_pubkey(x509, key);
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host), -1, -1, 0);
    X509_set_issuer_name(x509, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x509, x509, nullptr, nullptr, 0);
    std::string san = std::string("DNS:") + host;
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
    X509_add_ext(x509, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x509, key, EVP_sha256());
  }
  ~Cert() {
    X509_free(x509);
    EVP_PKEY_free(key);
  }
  // The certificate as a PEM file (a CA file that trusts it).
  std::string write(const fs::path& p) const {
    FILE* f = std::fopen(p.c_str(), "w");
    PEM_write_X509(f, x509);
    std::fclose(f);
    return p.string();
  }
};

// One accepted connection of the test upstream, plain or TLS.
struct Peer {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string buf;
  bool reset = false;  // close with a reset (RST), without a TLS close_notify
  ssize_t recv_some(char* b, size_t n) { return ssl ? SSL_read(ssl, b, static_cast<int>(n)) : ::recv(fd, b, n, 0); }
  bool send_all(const std::string& s) {
    if (ssl) return SSL_write(ssl, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
    return ::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // The next request, head and body; empty when the client closed.
  std::string read_request() {
    for (;;) {
      auto end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        if (auto cl = buf.find("Content-Length: "); cl != std::string::npos && cl < end)
          len = std::stoul(buf.substr(cl + 16));
        if (buf.size() >= end + 4 + len) {
          std::string r = buf.substr(0, end + 4 + len);
          buf.erase(0, end + 4 + len);
          return r;
        }
      }
      char tmp[4096];
      ssize_t n = recv_some(tmp, sizeof tmp);
      if (n <= 0) return {};
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
  static std::string answer(const std::string& body, const std::string& extra = {}) {
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + extra +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
};

// An upstream on 127.0.0.1 that runs `serve` on each connection it accepts,
// in order, on one thread (TLS with `cert` when given). It records every
// request it read and, for TLS, whether each connection resumed a session.
class Upstream {
 public:
  using Serve = std::function<void(Peer&, int conn_index)>;
  explicit Upstream(Serve serve, const Cert* cert = nullptr) : serve_(std::move(serve)) {
    if (cert) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate(ctx_, cert->x509);
      SSL_CTX_use_PrivateKey(ctx_, cert->key);
    }
    fd_ = server::testing::listen_loopback(&port_);
    thread_ = std::thread([this] { run(); });
  }
  ~Upstream() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  std::string url(const std::string& scheme = "http", const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(port_) + "/mcp";
  }
  int accepted() const { return accepted_.load(); }
  std::vector<bool> resumed() {
    std::lock_guard lock(mu_);
    return resumed_;
  }
  // Waits until `n` connections have been served and closed.
  void wait_closed(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ >= n; });
  }

 private:
  void run() {
    for (int i = 0;; ++i) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      ++accepted_;
      Peer p;
      p.fd = c;
      bool ok = true;
      if (ctx_) {
        p.ssl = SSL_new(ctx_);
        SSL_set_fd(p.ssl, c);
        ok = SSL_accept(p.ssl) == 1;
        std::lock_guard lock(mu_);
        resumed_.push_back(ok && SSL_session_reused(p.ssl) == 1);
      }
      if (ok) serve_(p, i);
      if (p.reset) {
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      } else if (p.ssl) {
        SSL_shutdown(p.ssl);
      }
      if (p.ssl) SSL_free(p.ssl);
      ::close(c);
      std::lock_guard lock(mu_);
      ++closed_;
      cv_.notify_all();
    }
  }
  Serve serve_;
  SSL_CTX* ctx_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int closed_ = 0;             // guarded by mu_
  std::vector<bool> resumed_;  // guarded by mu_
};

// One request through the pool; the body read whole, the connection given back.
Result<std::string> call(HttpPool& pool, const std::string& body = "{}") {
  std::unique_ptr<HttpConnection> c;
  auto h = pool.exchange("POST", {{"Content-Type", "application/json"}}, body, c);
  if (!h) {
    pool.put(std::move(c));
    return std::move(h).error();
  }
  auto b = c->read_body(1 << 20);
  pool.put(std::move(c));
  return b;
}

HttpUrl url_of(const std::string& u) { return *parse_http_url(u); }

// Serves every request of a connection until the client closes it.
void serve_all(Peer& p, int) {
  for (std::string r = p.read_request(); !r.empty(); r = p.read_request()) p.send_all(Peer::answer("{\"ok\":1}"));
}

TEST(HttpPool, AKeptConnectionCarriesTheNextRequest) {
  std::vector<std::string> seen;
  std::mutex mu;
  Upstream up([&](Peer& p, int) {
    for (std::string r = p.read_request(); !r.empty(); r = p.read_request()) {
      {
        std::lock_guard lock(mu);
        seen.push_back(r);
      }
      p.send_all(Peer::answer("{\"n\":" + std::to_string(seen.size()) + "}"));
    }
  });
  HttpPool pool(url_of(up.url()), {});
  auto a = call(pool), b = call(pool);
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(*a, "{\"n\":1}");
  EXPECT_EQ(*b, "{\"n\":2}");
  EXPECT_EQ(pool.opened(), 1u);
  EXPECT_EQ(pool.reused(), 1u);
  EXPECT_EQ(up.accepted(), 1);
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].find("Connection: close"), std::string::npos);
}

TEST(HttpPool, AnAnswerThatSaysCloseEndsTheConnection) {
  Upstream up([](Peer& p, int) {
    if (!p.read_request().empty()) p.send_all(Peer::answer("{}", "Connection: close\r\n"));
  });
  HttpPool pool(url_of(up.url()), {});
  ASSERT_TRUE(call(pool).ok());
  ASSERT_TRUE(call(pool).ok());
  EXPECT_EQ(pool.opened(), 2u);
  EXPECT_EQ(pool.reused(), 0u);
}

TEST(HttpPool, AnAnswerNotReadToItsEndEndsTheConnection) {
  Upstream up(serve_all);
  HttpPool pool(url_of(up.url()), {});
  std::unique_ptr<HttpConnection> c;
  ASSERT_TRUE(pool.exchange("POST", {}, "{}", c).ok());
  EXPECT_FALSE(c->reusable());  // the body is still unread
  pool.put(std::move(c));
  ASSERT_TRUE(call(pool).ok());
  EXPECT_EQ(pool.opened(), 2u);
}

TEST(HttpPool, AnAnswerFramedByCloseOrFromHttp10EndsTheConnection) {
  for (std::string answer :
       {std::string("HTTP/1.1 200 OK\r\n\r\n{}"), std::string("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}")}) {
    Upstream up([&](Peer& p, int) {
      if (!p.read_request().empty()) p.send_all(answer);
    });
    HttpPool pool(url_of(up.url()), {});
    ASSERT_TRUE(call(pool).ok()) << answer;
    ASSERT_TRUE(call(pool).ok()) << answer;
    EXPECT_EQ(pool.opened(), 2u) << answer;
  }
}

TEST(HttpPool, AConnectionTheUpstreamClosedWhileIdleIsNotUsed) {
  Upstream up([](Peer& p, int) {
    if (!p.read_request().empty()) p.send_all(Peer::answer("{}"));  // then closes, without saying so
  });
  HttpPool pool(url_of(up.url()), {});
  ASSERT_TRUE(call(pool).ok());
  up.wait_closed(1);
  auto b = call(pool);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(pool.opened(), 2u);
  EXPECT_EQ(pool.reused(), 0u);
}

TEST(HttpPool, ARequestThatWentOutIsNeverSentAgain) {
  // The kept connection is reset once the next request has arrived: the
  // upstream may have read and run it, so it is not sent on a new one.
  std::atomic<int> requests{0};
  Upstream up([&](Peer& p, int) {
    if (p.read_request().empty()) return;
    ++requests;
    p.send_all(Peer::answer("{\"first\":1}"));
    if (!p.read_request().empty()) ++requests;
    p.reset = true;
  });
  HttpPool pool(url_of(up.url()), {});
  ASSERT_TRUE(call(pool).ok());
  EXPECT_FALSE(call(pool).ok());
  EXPECT_EQ(pool.opened(), 1u);
  EXPECT_EQ(pool.reused(), 1u);
  up.wait_closed(1);
  EXPECT_EQ(up.accepted(), 1);
  EXPECT_EQ(requests.load(), 2);
}

TEST(HttpPool, KeepsAConnectionLessLongThanTheUpstreamSays) {
  // `Keep-Alive: timeout=1`: a second less is nothing, so it is not kept.
  Upstream up([](Peer& p, int) {
    for (std::string r = p.read_request(); !r.empty(); r = p.read_request())
      p.send_all(Peer::answer("{}", "Keep-Alive: timeout=1\r\n"));
  });
  HttpPool pool(url_of(up.url()), {});
  ASSERT_TRUE(call(pool).ok());
  ASSERT_TRUE(call(pool).ok());
  EXPECT_EQ(pool.opened(), 2u);
}

TEST(HttpPool, RefusesAmbiguousOrForeignFraming) {
  auto one = [](const std::string& answer, int* opened) {
    Upstream up([&](Peer& p, int) {
      for (std::string r = p.read_request(); !r.empty(); r = p.read_request()) p.send_all(answer);
    });
    HttpPool pool(url_of(up.url()), {});
    auto first = call(pool);
    if (first.ok()) (void)call(pool);
    *opened = static_cast<int>(pool.opened());
    return first;
  };
  int opened = 0;
  // A coding this client cannot undo.
  EXPECT_FALSE(one("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", &opened).ok());
  // Chunk sizes are hex digits only.
  EXPECT_FALSE(one("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n", &opened).ok());
  EXPECT_FALSE(one("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n", &opened).ok());
  // Length and chunks both: read by chunks, and the connection not kept.
  auto both =
      one("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", &opened);
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(*both, "{}");
  EXPECT_EQ(opened, 2);
}

TEST(HttpPool, InterimAnswersArePassedOverAndTheConnectionKept) {
  Upstream up([](Peer& p, int) {
    for (std::string r = p.read_request(); !r.empty(); r = p.read_request())
      p.send_all("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" +
                 Peer::answer("{\"final\":1}"));
  });
  HttpPool pool(url_of(up.url()), {});
  for (int i = 0; i < 2; ++i) {
    auto r = call(pool);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "{\"final\":1}");
  }
  EXPECT_EQ(pool.opened(), 1u);
}

TEST(HttpPool, RefusesEndlessInterimAnswersAProtocolSwitchAndBadLengths) {
  std::string endless;
  for (int i = 0; i < 20; ++i) endless += "HTTP/1.1 100 Continue\r\n\r\n";
  const std::vector<std::string> answers = {
      endless,
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\n{}",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
  };
  for (const auto& answer : answers) {
    Upstream up([&](Peer& p, int) {
      if (!p.read_request().empty()) p.send_all(answer);
    });
    HttpPool pool(url_of(up.url()), {});
    EXPECT_FALSE(call(pool).ok()) << answer;
  }
}

TEST(HttpPool, ANewConnectionThatFailsIsNotTriedAgain) {
  // A fresh connection closed without an answer: the upstream may have read
  // the request, so it is not sent twice.
  Upstream up([](Peer& p, int) { (void)p.read_request(); });
  HttpPool pool(url_of(up.url()), {});
  EXPECT_FALSE(call(pool).ok());
  EXPECT_EQ(pool.opened(), 1u);
  EXPECT_EQ(up.accepted(), 1);
}

class HttpPoolTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tollgate-pool-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(HttpPoolTls, VerifiesTheUpstreamAndResumesItsSession) {
  Cert cert("localhost");
  Upstream up(
      [](Peer& p, int) {
        if (!p.read_request().empty()) p.send_all(Peer::answer("{\"tls\":1}", "Connection: close\r\n"));
      },
      &cert);
  HttpPool pool(url_of(up.url("https", "localhost")), {5000, cert.write(dir_ / "ca.pem")});
  for (int i = 0; i < 3; ++i) {
    auto r = call(pool);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, "{\"tls\":1}");
  }
  EXPECT_EQ(pool.opened(), 3u);
  // Each later connection resumed a session of an earlier one: no full
  // handshake, no certificate chain verified again.
  EXPECT_EQ(up.resumed(), (std::vector<bool>{false, true, true}));
}

TEST_F(HttpPoolTls, AnUpstreamThatResetsEndsTheExchangeWithoutAWrite) {
  // The reset is seen on reading; the connection is then closed without a
  // TLS close_notify, which would only raise SIGPIPE (this test runs with
  // SIGPIPE at its default: the process would end).
  Cert cert("localhost");
  Upstream up(
      [](Peer& p, int) {
        (void)p.read_request();
        p.reset = true;
      },
      &cert);
  HttpPool pool(url_of(up.url("https", "localhost")), {5000, cert.write(dir_ / "ca.pem")});
  EXPECT_FALSE(call(pool).ok());
  up.wait_closed(1);
  EXPECT_FALSE(call(pool).ok());
}

TEST_F(HttpPoolTls, RefusesACertificateForAnotherHostOrFromAnotherAuthority) {
  Cert cert("localhost"), other("localhost");
  Upstream up(serve_all, &cert);
  {
    HttpPool pool(url_of(up.url("https", "127.0.0.1")), {5000, cert.write(dir_ / "ca.pem")});
    auto r = call(pool);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
  }
  {
    HttpPool pool(url_of(up.url("https", "localhost")), {5000, other.write(dir_ / "other.pem")});
    auto r = call(pool);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace tollgate::mcp
