// A small blocking HTTP/1.1 client for the MCP gateway's upstreams
// (docs/mcp.md, "The HTTP gateway"): one request per connection, TLS with
// OpenSSL (peer and host name verified against the system's CAs or a
// configured CA file), bodies by Content-Length, chunked or close, and a
// Server-Sent Events splitter for streamed answers.
//
// The upstream is untrusted: header sizes, body sizes and event sizes are
// capped, every read and write has a deadline, and malformed framing is an
// Error. Runs on the calling thread; one HttpConnection per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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

class HttpConnection {
 public:
  struct Options {
    int timeout_ms = 30000;  // per read or write
    std::string ca_file;     // empty: the system's trust store
  };
  static Result<std::unique_ptr<HttpConnection>> open(const HttpUrl& url, const Options& opts);
  // A plain connection over an already connected socket, which it then
  // owns (tests and the fuzz target).
  static std::unique_ptr<HttpConnection> over_fd(int fd);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request: method, the URL's path, Host, the given headers (each
  // "Name: value"), Content-Length and Connection: close, then the body.
  Status send(std::string_view method, const HttpUrl& url, const std::map<std::string, std::string>& headers,
              std::string_view body);
  Result<HttpResponseHead> read_head();
  // The next piece of the decoded body (empty string: the body ended).
  Result<std::string> read_some();
  // The whole body, at most `cap` bytes.
  Result<std::string> read_body(size_t cap);
  // The socket, for shutdown() from another thread (unblocks a read).
  int fd() const { return fd_; }

 private:
  HttpConnection() = default;
  Result<size_t> raw_read(char* buf, size_t n);
  Status raw_write(std::string_view data);
  Result<std::string> read_line(size_t cap);
  int fd_ = -1;
  void* ssl_ = nullptr;  // SSL*
  void* ctx_ = nullptr;  // SSL_CTX*
  std::string buf_;      // read but not yet consumed
  // Body framing.
  enum class Framing { Length, Chunked, Close } framing_ = Framing::Close;
  uint64_t remaining_ = 0;  // Length: bytes left; Chunked: bytes left in this chunk
  bool done_ = false;
  bool chunk_trailer_ = false;
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
