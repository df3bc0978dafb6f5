// libFuzzer target: what a remote MCP server sends the HTTP gateway. The
// input is an HTTP response delivered over a socket to the gateway's
// client (status line, headers, Content-Length, chunked or close-delimited
// body), then split at a point the first byte chooses and fed to the
// Server-Sent Events splitter, and its first line is parsed as an upstream
// URL. Crashes, sanitizer reports, hangs, and a body larger than the cap
// that was not refused are findings.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/http_client.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tollgate::mcp;
  if (size == 0 || size > (1u << 16)) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr size_t kCap = 4096;

  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 0;
  int buf = 1 << 18;
  ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  (void)!::write(fds[0], in.data(), in.size());
  ::close(fds[0]);  // the peer is done: every read ends
  auto conn = HttpConnection::over_fd(fds[1]);
  if (auto head = conn->read_head()) {
    if (head->status < 100 || head->status > 599) std::abort();
    if (auto body = conn->read_body(kCap); body && body->size() > kCap) std::abort();
  }

  SseSplitter sse(kCap);
  std::vector<SseSplitter::Event> events;
  size_t cut = in.empty() ? 0 : data[0] % (in.size() + 1);
  if (sse.feed(in.substr(0, cut), events)) (void)sse.feed(in.substr(cut), events);
  for (const auto& e : events)
    if (e.data.size() > kCap + 2) std::abort();

  (void)parse_http_url(in.substr(0, in.find('\n')));
  return 0;
}
