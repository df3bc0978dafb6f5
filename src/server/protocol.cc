#include "server/protocol.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace tollgate::server {

std::string default_data_dir() {
  if (const char* d = std::getenv("TOLLGATE_DATA"); d && *d) return d;
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return std::string(x) + "/tollgate";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.local/state/tollgate";
}

std::string default_socket() {
  if (const char* s = std::getenv("TOLLGATE_SOCKET"); s && *s) return s;
  return default_data_dir() + "/tollgate.sock";
}

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<std::string> call_daemon(const std::string& socket_path, std::string_view header, std::string_view payload,
                                int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(addr.sun_path))
    return Error("the socket path `" + socket_path + "` is longer than the system allows");
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return Error(std::string("cannot create a socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN)
      return Error("cannot reach the Tollgate daemon at `" + socket_path + "`: " + std::strerror(errno));
    if (!wait_for(fd.get(), POLLOUT, deadline))
      return Error("timed out connecting to the Tollgate daemon at `" + socket_path + "`");
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return Error("cannot reach the Tollgate daemon at `" + socket_path + "`: " + std::strerror(err));
  }
  std::string msg(header);
  msg += '\n';
  msg.append(payload);
  size_t sent = 0;
  while (sent < msg.size()) {
    ssize_t n = ::send(fd.get(), msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return Error("timed out sending to the Tollgate daemon");
    } else {
      return Error(std::string("the Tollgate daemon closed the connection: ") + std::strerror(errno));
    }
  }
  std::string reply;
  char buf[8192];
  for (;;) {
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      if (auto nl = reply.find('\n'); nl != std::string::npos) {
        reply.resize(nl);
        return reply;
      }
      if (reply.size() > kMaxReplyBytes) return Error("the Tollgate daemon's reply is too large");
    } else if (n == 0) {
      return Error("the Tollgate daemon closed the connection without an answer");
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd.get(), POLLIN, deadline))
        return Error("the Tollgate daemon did not answer within " + std::to_string(timeout_ms) + " ms");
    } else {
      return Error(std::string("reading from the Tollgate daemon failed: ") + std::strerror(errno));
    }
  }
}

}  // namespace tollgate::server
