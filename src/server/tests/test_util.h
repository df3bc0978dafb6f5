// Helpers shared by the daemon's tests: a temporary directory removed on
// scope exit, one HTTP/1.1 exchange with the loopback API, and a Service
// on a fresh store with the baseline pack and a fixed clock.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "policy/pack.h"
#include "server/daemon.h"

namespace tollgate::server::testing {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/tollgate-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// A socket listening on 127.0.0.1 at a free port, which goes to `*port`.
inline int listen_loopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  ::listen(fd, 8);
  return fd;
}

// A connection to 127.0.0.1:port; -1 when refused.
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `request` to 127.0.0.1:port and returns the whole response.
inline std::string http_call(int port, const std::string& request) {
  int fd = connect_loopback(port);
  if (fd < 0) return "connect failed";
  (void)!::write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// A Service on a new SQLite store `dir`/t.db with the baseline pack, the
// clock `*now` (which must outlive it), the issuer https://tollgate.test,
// 30 s of clock skew, the broker's `credentials` and the detectors' settings.
inline std::unique_ptr<Service> test_service(const std::filesystem::path& dir, const int64_t* now,
                                             std::vector<Credential> credentials = {},
                                             detect::Config detect = detect::Config()) {
  auto st = store::Store::open_sqlite((dir / "t.db").string());
  auto pack = policy::load_pack_files(policy::baseline_pack_files(), "baseline");
  if (!st || !pack) return nullptr;
  ServiceOptions o;
  o.home = "/home/dev";
  o.user = "dev";
  o.host = "box";
  o.now = [now] { return *now; };
  o.tokens.issuer = "https://tollgate.test";
  o.tokens.skew_s = 30;
  o.credentials = std::move(credentials);
  o.detect = std::move(detect);
  return std::make_unique<Service>(
      std::move(*st),
      std::make_shared<const pdp::Pdp>(*pack, session::LabelTable::defaults("/home/dev"), pdp::Protected{}), o);
}

}  // namespace tollgate::server::testing
