// A small blocking HTTP/1.1 client for the MCP gateway's upstreams
// (docs/mcp.md, "The HTTP gateway"): TLS with OpenSSL (peer and host name
// verified against the system's CAs or a configured CA file), bodies by
// Content-Length, chunked or close, persistent connections kept per
// upstream (HttpPool), and a Server-Sent Events splitter for streamed
// answers.
//
// The upstream is untrusted: header sizes, body sizes and event sizes are
// capped, every read and write has a deadline, and malformed framing is an
// Error. Runs on the calling thread; one HttpConnection per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tollgate::mcp {

struct HttpUrl {
  bool tls = false;
  std::string host;               // without brackets
  std::string port;               // "443", "80" …
  std::string path;               // with the query, "/" at least
  std::string authority() const;  // host[:port] for the Host header
};
Result<HttpUrl> parse_http_url(std::string_view url);

struct HttpResponseHead {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string header(const std::string& name) const;
};

// A TLS client context (OpenSSL's SSL_CTX with its trust store loaded) and
// the last session an upstream gave, shared by the connections made with
// it (http_client.cc).
struct TlsContext;

class HttpConnection {
 public:
  struct Options {
    int timeout_ms = 30000;  // per read or write
    std::string ca_file;     // empty: the system's trust store
  };
  // A connection of its own: one request, then `Connection: close`.
  static Result<std::unique_ptr<HttpConnection>> open(const HttpUrl& url, const Options& opts);
  // A plain connection over an already connected socket, which it then
  // owns (tests and the fuzz target).
  static std::unique_ptr<HttpConnection> over_fd(int fd);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request: method, the URL's path, Host, the given headers (each
  // "Name: value"), Content-Length (and Connection: close unless the
  // connection is an HttpPool's), then the body.
  Status send(std::string_view method, const HttpUrl& url, const std::map<std::string, std::string>& headers,
              std::string_view body);
  Result<HttpResponseHead> read_head();
  // The next piece of the decoded body (empty string: the body ended).
  Result<std::string> read_some();
  // The whole body, at most `cap` bytes.
  Result<std::string> read_body(size_t cap);
  // The socket, for shutdown() from another thread (unblocks a read).
  int fd() const { return fd_; }
  // Whether another request may follow on this connection: the answer was
  // HTTP/1.1, framed by length or chunks, read to its end with nothing
  // after it, and did not ask to close.
  bool reusable() const;

 private:
  friend class HttpPool;
  HttpConnection() = default;
  static Result<std::unique_ptr<HttpConnection>> connect(const HttpUrl& url, const Options& opts,
                                                         std::shared_ptr<TlsContext> tls);
  Result<size_t> raw_read(char* buf, size_t n);
  Status raw_write(std::string_view data);
  Result<std::string> read_line(size_t cap);
  int fd_ = -1;
  void* ssl_ = nullptr;  // SSL*
  std::shared_ptr<TlsContext> tls_;
  bool keep_alive_ = false;   // an HttpPool's: no `Connection: close`
  bool may_continue_ = true;  // the last answer's version and Connection header allow another request
  bool broken_ = false;       // a read or write failed: no TLS close_notify is sent on it
  int64_t keep_ms_ = 4000;    // how long it may wait for another request (Keep-Alive: timeout)
  std::string buf_;           // read but not yet consumed
  // Body framing.
  enum class Framing { Length, Chunked, Close } framing_ = Framing::Close;
  uint64_t remaining_ = 0;  // Length: bytes left; Chunked: bytes left in this chunk
  bool done_ = false;
  bool chunk_trailer_ = false;
};

// The connections to one upstream: an idle one is reused for the next
// request (HTTP/1.1 persistent connections), so a call pays no TCP or TLS
// handshake; TLS connections share one context (the CA certificates are
// read once) and resume the upstream's last session. At most `max_idle`
// connections wait, each for less than the upstream said it keeps one
// (`Keep-Alive: timeout=N`: N - 1 s) or, when it did not say, 4 s (below
// the 5 s of common servers), and never more than `idle_ms`; one that the
// upstream closed or wrote to while idle is dropped. Thread-safe.
class HttpPool {
 public:
  HttpPool(HttpUrl url, HttpConnection::Options opts, size_t max_idle = 8, int64_t idle_ms = 30000);
  ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  // Sends one request and reads its answer's head on a kept connection or a
  // new one (`conn` receives it, to read the body from and to give back
  // with put()). A kept connection that refuses the request as it is
  // written (the upstream had closed it) is replaced by a new one once.
  // Once a request has gone out it is never sent again, whatever happens to
  // its answer: the upstream may have read and run it.
  // `track(fd, true)` is called with each connection's socket before the
  // request is sent on it, `track(fd, false)` when an attempt gives it up
  // (the caller shuts sockets down to stop a worker); a `track` that returns
  // false (the caller is stopping) ends the exchange.
  using Track = std::function<bool(int fd, bool on)>;
  Result<HttpResponseHead> exchange(std::string_view method, const std::map<std::string, std::string>& headers,
                                    std::string_view body, std::unique_ptr<HttpConnection>& conn,
                                    const Track& track = {});
  // Gives a connection back after its answer: kept when reusable(), else
  // closed.
  void put(std::unique_ptr<HttpConnection> conn);
  // Connections made and reused so far (for tests and figures).
  uint64_t opened() const;
  uint64_t reused() const;
  const HttpUrl& url() const { return url_; }

 private:
  Result<std::unique_ptr<HttpConnection>> fresh();
  std::unique_ptr<HttpConnection> take_idle();
  HttpUrl url_;
  HttpConnection::Options opts_;
  size_t max_idle_;
  std::chrono::milliseconds idle_;
  mutable std::mutex mu_;
  std::shared_ptr<TlsContext> tls_;  // guarded by mu_; made on the first TLS connection
  using Clock = std::chrono::steady_clock;
  // Idle connections and when each stops being reused.
  std::deque<std::pair<std::unique_ptr<HttpConnection>, Clock::time_point>> idle_conns_;  // guarded by mu_
  uint64_t opened_ = 0, reused_ = 0;                                                      // guarded by mu_
};

// Splits a text/event-stream body into events as pieces arrive.
class SseSplitter {
 public:
  struct Event {
    std::string id, event, data;
  };
  explicit SseSplitter(size_t max_event_bytes = 16u << 20) : max_(max_event_bytes) {}
  // Appends a piece; complete events go to `out`. An Error when one event
  // grows past the cap.
  Status feed(std::string_view piece, std::vector<Event>& out);

 private:
  std::string buf_;
  size_t max_;
};

}  // namespace tollgate::mcp
