// The MCP gateway's HTTP client (mcp/http_client.h).
#include "mcp/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace tollgate::mcp {

namespace {

constexpr size_t kMaxHeadBytes = 64u << 10;
constexpr size_t kMaxHeaders = 100;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t\r");
  return a == std::string_view::npos ? std::string() : std::string(s.substr(a, b - a + 1));
}

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  if (!e) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool valid_header_text(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

// Whether a Connection header's comma-separated tokens include `close`.
bool says_close(std::string_view value) {
  std::string v = lower(value);
  size_t i = 0;
  while (i <= v.size()) {
    size_t comma = v.find(',', i);
    if (trim(std::string_view(v).substr(i, comma == std::string::npos ? std::string::npos : comma - i)) == "close")
      return true;
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  return false;
}

// How long a connection may wait for another request: a second less than
// `Keep-Alive: timeout=N` says the upstream keeps it, else 4 s (under the
// 5 s common servers keep an idle connection).
int64_t keep_alive_ms(std::string_view value) {
  std::string v = lower(value);
  auto at = v.find("timeout=");
  if (at == std::string::npos) return 4000;
  int64_t seconds = 0;
  for (size_t i = at + 8; i < v.size() && v[i] >= '0' && v[i] <= '9' && seconds < 100000; ++i)
    seconds = seconds * 10 + (v[i] - '0');
  return seconds <= 1 ? 0 : (seconds - 1) * 1000;
}

}  // namespace

struct TlsContext {
  SSL_CTX* ctx = nullptr;
  std::mutex mu;
  SSL_SESSION* session = nullptr;  // guarded by mu: the upstream's last, not yet used
  ~TlsContext() {
    if (session) SSL_SESSION_free(session);
    if (ctx) SSL_CTX_free(ctx);
  }
  // The trust store is loaded here, once per context. `resume`: sessions
  // the upstream gives are kept for the next connection.
  static Result<std::shared_ptr<TlsContext>> make(const std::string& ca_file, bool resume) {
    auto t = std::make_shared<TlsContext>();
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx) return Error(ssl_error());
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, nullptr);
    if (ca_file.empty() ? SSL_CTX_set_default_verify_paths(t->ctx) != 1
                        : SSL_CTX_load_verify_locations(t->ctx, ca_file.c_str(), nullptr) != 1)
      return Error("cannot load the CA certificates" + (ca_file.empty() ? "" : " `" + ca_file + "`") + ": " +
                   ssl_error());
    if (resume) {
      SSL_CTX_set_app_data(t->ctx, t.get());
      SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
      SSL_CTX_sess_set_new_cb(t->ctx, [](SSL* ssl, SSL_SESSION* sess) -> int {
        auto* self = static_cast<TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
        if (!self || !SSL_SESSION_is_resumable(sess)) return 0;
        std::lock_guard lock(self->mu);
        if (self->session) SSL_SESSION_free(self->session);
        self->session = sess;  // the reference is ours now
        return 1;
      });
    }
    return t;
  }
  // The kept session, taken: a ticket serves one connection (RFC 8446, 8.1).
  SSL_SESSION* take_session() {
    std::lock_guard lock(mu);
    return std::exchange(session, nullptr);
  }
};

std::string HttpUrl::authority() const {
  bool v6 = host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + host + "]" : host;
  bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? h : h + ":" + port;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  HttpUrl u;
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return Error("an upstream URL must start with https:// or http:// (got `" + std::string(url) + "`)");
  }
  size_t slash = rest.find_first_of("/?#");
  std::string_view auth = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  if (auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  if (auth.find('@') != std::string_view::npos)
    return Error("put upstream credentials in the configuration's headers, not in the URL");
  if (!auth.empty() && auth.front() == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) return Error("bad IPv6 address in `" + std::string(url) + "`");
    u.host = std::string(auth.substr(1, close - 1));
    auth = auth.substr(close + 1);
    if (!auth.empty() && auth.front() != ':') return Error("bad authority in `" + std::string(url) + "`");
    u.port = auth.empty() ? "" : std::string(auth.substr(1));
  } else {
    auto colon = auth.find(':');
    u.host = std::string(auth.substr(0, colon));
    u.port = colon == std::string_view::npos ? "" : std::string(auth.substr(colon + 1));
  }
  if (u.host.empty()) return Error("no host in `" + std::string(url) + "`");
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  for (char c : u.port)
    if (c < '0' || c > '9') return Error("bad port in `" + std::string(url) + "`");
  if (path.empty() || path.front() != '/')
    u.path = "/" + std::string(path);
  else
    u.path = std::string(path);
  if (!valid_header_text(u.path) || u.path.find(' ') != std::string::npos)
    return Error("bad path in `" + std::string(url) + "`");
  return u;
}

std::string HttpResponseHead::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpConnection::~HttpConnection() {
  if (ssl_) {
    // After a failed read or write the peer may have reset the connection:
    // a close_notify written then would only raise SIGPIPE.
    if (broken_)
      SSL_set_quiet_shutdown(static_cast<SSL*>(ssl_), 1);
    else
      SSL_shutdown(static_cast<SSL*>(ssl_));
    SSL_free(static_cast<SSL*>(ssl_));
  }
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<HttpConnection>> HttpConnection::open(const HttpUrl& url, const Options& opts) {
  std::shared_ptr<TlsContext> tls;
  if (url.tls) {
    auto t = TlsContext::make(opts.ca_file, false);
    if (!t) return std::move(t).error();
    tls = std::move(*t);
  }
  return connect(url, opts, std::move(tls));
}

Result<std::unique_ptr<HttpConnection>> HttpConnection::connect(const HttpUrl& url, const Options& opts,
                                                                std::shared_ptr<TlsContext> tls) {
  std::unique_ptr<HttpConnection> c(new HttpConnection());
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &res); rc != 0)
    return Error("cannot resolve `" + url.host + "`: " + gai_strerror(rc));
  std::string last = "no address";
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    timeval tv{opts.timeout_ms / 1000, (opts.timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      int one = 1;  // requests are written whole: nothing is gained by holding a small one back
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      c->fd_ = fd;
      break;
    }
    last = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (c->fd_ < 0) return Error("cannot connect to " + url.authority() + ": " + last);
  if (!url.tls) return c;
  if (!tls) return Error("no TLS context for " + url.authority());
  c->tls_ = std::move(tls);
  SSL* ssl = SSL_new(c->tls_->ctx);
  if (!ssl) return Error(ssl_error());
  c->ssl_ = ssl;
  SSL_set_fd(ssl, c->fd_);
  SSL_set_tlsext_host_name(ssl, url.host.c_str());
  if (SSL_set1_host(ssl, url.host.c_str()) != 1) return Error(ssl_error());
  if (SSL_SESSION* resumed = c->tls_->take_session()) {
    // Only the same upstream's sessions are kept here: the host was
    // verified when the session was made.
    SSL_set_session(ssl, resumed);
    SSL_SESSION_free(resumed);
  }
  if (SSL_connect(ssl) != 1) {
    long v = SSL_get_verify_result(ssl);
    std::string why = v != X509_V_OK ? X509_verify_cert_error_string(v) : ssl_error();
    return Error("TLS with " + url.authority() + " failed: " + why);
  }
  return c;
}

std::unique_ptr<HttpConnection> HttpConnection::over_fd(int fd) {
  std::unique_ptr<HttpConnection> c(new HttpConnection());
  c->fd_ = fd;
  return c;
}

Status HttpConnection::raw_write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n;
    if (ssl_) {
      n = SSL_write(static_cast<SSL*>(ssl_), data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
      if (n <= 0) {
        broken_ = true;
        return Error("writing to the upstream: " + ssl_error());
      }
    } else {
      n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        broken_ = true;
        return Error(std::string("writing to the upstream: ") + (errno == EAGAIN ? "timed out" : std::strerror(errno)));
      }
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<size_t> HttpConnection::raw_read(char* buf, size_t n) {
  for (;;) {
    if (ssl_) {
      int r = SSL_read(static_cast<SSL*>(ssl_), buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
      if (r > 0) return static_cast<size_t>(r);
      int e = SSL_get_error(static_cast<SSL*>(ssl_), r);
      if (e == SSL_ERROR_ZERO_RETURN) return size_t{0};
      broken_ = true;
      if (e == SSL_ERROR_SYSCALL && errno == 0) return size_t{0};  // closed without close_notify
      return Error("reading from the upstream: " + (errno == EAGAIN ? std::string("timed out") : ssl_error()));
    }
    ssize_t r = ::recv(fd_, buf, n, 0);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    broken_ = true;
    return Error(std::string("reading from the upstream: ") + (errno == EAGAIN ? "timed out" : std::strerror(errno)));
  }
}

Status HttpConnection::send(std::string_view method, const HttpUrl& url,
                            const std::map<std::string, std::string>& headers, std::string_view body) {
  std::string req = std::string(method) + " " + url.path + " HTTP/1.1\r\nHost: " + url.authority() + "\r\n";
  for (const auto& [k, v] : headers) {
    if (!valid_header_text(k) || !valid_header_text(v) || k.find(':') != std::string::npos)
      return Error("a header for the upstream contains a line break");
    req += k + ": " + v + "\r\n";
  }
  req +=
      "Content-Length: " + std::to_string(body.size()) + (keep_alive_ ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
  // One write: a request split in two waits on a kept connection for the
  // first part's acknowledgement (Nagle), which the upstream delays.
  req.append(body);
  return raw_write(req);
}

Result<std::string> HttpConnection::read_line(size_t cap) {
  for (;;) {
    auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buf_.size() > cap) return Error("the upstream sent a line longer than " + std::to_string(cap) + " bytes");
    char tmp[16384];
    auto n = raw_read(tmp, sizeof tmp);
    if (!n) return std::move(n).error();
    if (*n == 0) return Error("the upstream closed the connection mid-response");
    buf_.append(tmp, *n);
  }
}

Result<HttpResponseHead> HttpConnection::read_head() {
  HttpResponseHead h;
  framing_ = Framing::Close;
  remaining_ = 0;
  done_ = false;
  chunk_trailer_ = false;
  may_continue_ = false;
  Result<std::string> status = std::string();
  // Interim answers (100 Continue, 103 Early Hints) come before the final
  // one and are passed over; a few at most.
  for (int interim = 0;; ++interim) {
    status = read_line(kMaxHeadBytes);
    if (!status) return std::move(status).error();
    // HTTP/1.x NNN reason
    if (status->rfind("HTTP/1.", 0) != 0 || status->size() < 12 || (*status)[8] != ' ')
      return Error("the upstream's answer is not HTTP/1.x");
    h.status = std::atoi(status->substr(9, 3).c_str());
    if (h.status < 100 || h.status > 599) return Error("the upstream sent a bad status code");
    h.headers.clear();
    size_t total = status->size();
    for (;;) {
      auto line = read_line(kMaxHeadBytes);
      if (!line) return std::move(line).error();
      if (line->empty()) break;
      total += line->size();
      if (total > kMaxHeadBytes || h.headers.size() >= kMaxHeaders)
        return Error("the upstream's headers are too large");
      auto colon = line->find(':');
      if (colon == std::string::npos || colon == 0) return Error("the upstream sent a malformed header");
      std::string name = lower(line->substr(0, colon));
      std::string value = trim(std::string_view(*line).substr(colon + 1));
      auto [it, fresh] = h.headers.emplace(name, value);
      if (!fresh) it->second += ", " + value;
    }
    if (h.status == 101) return Error("the upstream switched protocols, which nobody asked it to");
    if (h.status >= 200) break;
    if (interim >= 8) return Error("the upstream sent too many interim answers");
  }
  const std::string te = h.header("transfer-encoding");
  // Length and chunks both: the framing is ambiguous, so the connection
  // carries no other answer (RFC 9112, 6.3).
  may_continue_ = status->rfind("HTTP/1.1 ", 0) == 0 && h.status >= 200 && !says_close(h.header("connection")) &&
                  (te.empty() || h.header("content-length").empty());
  keep_ms_ = keep_alive_ms(h.header("keep-alive"));
  if (h.status == 204 || h.status == 304) {
    done_ = true;
  } else if (!te.empty()) {
    // Only chunked: another coding (gzip, …) is one this client cannot undo.
    // (What it said is not repeated: the error reaches the client.)
    if (lower(trim(te)) != "chunked") return Error("the upstream sent an unsupported Transfer-Encoding");
    framing_ = Framing::Chunked;
  } else if (auto cl = h.header("content-length"); !cl.empty()) {
    // Digits only: no sign, and not two values (repeated headers are joined).
    if (cl.size() > 19 || cl.find_first_not_of("0123456789") != std::string::npos)
      return Error("the upstream sent a bad Content-Length");
    unsigned long long n = std::strtoull(cl.c_str(), nullptr, 10);
    framing_ = Framing::Length;
    remaining_ = n;
    done_ = n == 0;
  } else {
    framing_ = Framing::Close;
  }
  return h;
}

Result<std::string> HttpConnection::read_some() {
  if (done_) return std::string();
  char tmp[65536];
  auto fill = [&]() -> Result<bool> {
    auto n = raw_read(tmp, sizeof tmp);
    if (!n) return std::move(n).error();
    if (*n == 0) return false;
    buf_.append(tmp, *n);
    return true;
  };
  switch (framing_) {
    case Framing::Close: {
      if (buf_.empty()) {
        auto more = fill();
        if (!more) return std::move(more).error();
        if (!*more) {
          done_ = true;
          return std::string();
        }
      }
      return std::exchange(buf_, std::string());
    }
    case Framing::Length: {
      if (buf_.empty()) {
        auto more = fill();
        if (!more) return std::move(more).error();
        if (!*more) return Error("the upstream closed the connection before the whole body");
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, buf_.size()));
      std::string out = buf_.substr(0, take);
      buf_.erase(0, take);
      remaining_ -= take;
      done_ = remaining_ == 0;
      return out;
    }
    case Framing::Chunked: {
      if (remaining_ == 0) {
        if (chunk_trailer_) {  // the CRLF after the previous chunk's data
          auto crlf = read_line(16);
          if (!crlf) return std::move(crlf).error();
          if (!crlf->empty()) return Error("the upstream's chunked body is malformed");
        }
        auto size_line = read_line(1024);
        if (!size_line) return std::move(size_line).error();
        std::string hex = trim(size_line->substr(0, size_line->find(';')));
        // Hex digits only (no sign, no 0x), at most 15 of them.
        if (hex.empty() || hex.size() > 15 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
          return Error("the upstream sent a bad chunk size");
        unsigned long long n = std::strtoull(hex.c_str(), nullptr, 16);
        if (n == 0) {
          for (;;) {  // trailers
            auto t = read_line(kMaxHeadBytes);
            if (!t) return std::move(t).error();
            if (t->empty()) break;
          }
          done_ = true;
          return std::string();
        }
        remaining_ = n;
        chunk_trailer_ = true;
      }
      if (buf_.empty()) {
        auto more = fill();
        if (!more) return std::move(more).error();
        if (!*more) return Error("the upstream closed the connection mid-chunk");
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, buf_.size()));
      std::string out = buf_.substr(0, take);
      buf_.erase(0, take);
      remaining_ -= take;
      return out;
    }
  }
  return std::string();
}

bool HttpConnection::reusable() const {
  return keep_alive_ && may_continue_ && done_ && framing_ != Framing::Close && buf_.empty() &&
         (!ssl_ || SSL_pending(static_cast<SSL*>(ssl_)) == 0);
}

HttpPool::HttpPool(HttpUrl url, HttpConnection::Options opts, size_t max_idle, int64_t idle_ms)
    : url_(std::move(url)), opts_(std::move(opts)), max_idle_(max_idle), idle_(idle_ms) {}

HttpPool::~HttpPool() = default;

Result<std::unique_ptr<HttpConnection>> HttpPool::fresh() {
  std::shared_ptr<TlsContext> tls;
  if (url_.tls) {
    std::unique_lock lock(mu_);
    if (!tls_) {
      lock.unlock();  // reading the trust store takes a while: not under the lock
      auto t = TlsContext::make(opts_.ca_file, true);
      if (!t) return std::move(t).error();
      lock.lock();
      if (!tls_) tls_ = std::move(*t);
    }
    tls = tls_;
  }
  auto c = HttpConnection::connect(url_, opts_, std::move(tls));
  if (!c) return c;
  (*c)->keep_alive_ = true;
  std::lock_guard lock(mu_);
  ++opened_;
  return c;
}

std::unique_ptr<HttpConnection> HttpPool::take_idle() {
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  while (!idle_conns_.empty()) {
    auto [c, until] = std::move(idle_conns_.back());
    idle_conns_.pop_back();
    // Readable while idle: the upstream closed it (or sent what nobody
    // asked for). Either way it carries no more requests.
    pollfd p{c->fd(), POLLIN, 0};
    if (now >= until || ::poll(&p, 1, 0) != 0) {
      c->broken_ = true;
      continue;
    }
    ++reused_;
    return std::move(c);
  }
  return nullptr;
}

void HttpPool::put(std::unique_ptr<HttpConnection> conn) {
  if (!conn || !conn->reusable()) return;
  std::lock_guard lock(mu_);
  const auto now = Clock::now();
  const auto until = now + std::min<std::chrono::milliseconds>(idle_, std::chrono::milliseconds(conn->keep_ms_));
  if (until <= now) return;
  while (!idle_conns_.empty() && now >= idle_conns_.front().second) idle_conns_.pop_front();
  if (idle_conns_.size() >= max_idle_) idle_conns_.pop_front();
  idle_conns_.emplace_back(std::move(conn), until);
}

uint64_t HttpPool::opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

uint64_t HttpPool::reused() const {
  std::lock_guard lock(mu_);
  return reused_;
}

Result<HttpResponseHead> HttpPool::exchange(std::string_view method, const std::map<std::string, std::string>& headers,
                                            std::string_view body, std::unique_ptr<HttpConnection>& conn,
                                            const Track& track) {
  conn = take_idle();
  const bool kept = conn != nullptr;
  for (int attempt = 0;; ++attempt) {
    if (!conn) {
      auto c = fresh();
      if (!c) return std::move(c).error();
      conn = std::move(*c);
    }
    if (track && !track(conn->fd(), true)) return Error("the gateway is stopping");
    auto st = conn->send(method, url_, headers, body);
    if (st) return conn->read_head();
    if (!kept || attempt > 0) return st.error();
    // The kept connection refused the request: the upstream had closed it
    // and never read it. Once more on a new connection.
    if (track) (void)track(conn->fd(), false);
    conn.reset();
  }
}

Result<std::string> HttpConnection::read_body(size_t cap) {
  std::string body;
  for (;;) {
    auto piece = read_some();
    if (!piece) return std::move(piece).error();
    if (piece->empty() && done_) return body;
    body += *piece;
    if (body.size() > cap) return Error("the upstream's answer is larger than " + std::to_string(cap) + " bytes");
  }
}

Status SseSplitter::feed(std::string_view piece, std::vector<Event>& out) {
  buf_.append(piece);
  for (;;) {
    // An event ends at a blank line (LF LF, or CRLF CRLF).
    size_t end = std::string::npos, skip = 0;
    for (size_t i = 0; i + 1 < buf_.size(); ++i) {
      if (buf_[i] == '\n' && buf_[i + 1] == '\n') {
        end = i;
        skip = 2;
        break;
      }
      if (buf_[i] == '\n' && buf_[i + 1] == '\r' && i + 2 < buf_.size() && buf_[i + 2] == '\n') {
        end = i;
        skip = 3;
        break;
      }
    }
    if (end == std::string::npos) {
      if (buf_.size() > max_) return Error("an event from the upstream is larger than the cap");
      return {};
    }
    std::string_view block(buf_.data(), end);
    Event ev;
    bool any = false;
    while (!block.empty()) {
      size_t nl = block.find('\n');
      std::string_view line = block.substr(0, nl);
      block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == ':') continue;  // a comment (keep-alive)
      auto colon = line.find(':');
      std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "data") {
        if (any) ev.data += '\n';
        ev.data.append(value);
        any = true;
      } else if (field == "id") {
        ev.id = std::string(value);
      } else if (field == "event") {
        ev.event = std::string(value);
      }
    }
    buf_.erase(0, end + skip);
    if (any || !ev.id.empty()) out.push_back(std::move(ev));
  }
}

}  // namespace tollgate::mcp
