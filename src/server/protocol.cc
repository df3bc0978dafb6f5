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
#include <utility>

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
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A non-blocking connection to the daemon's socket (the caller owns it).
Result<int> connect_daemon(const std::string& socket_path, Clock::time_point deadline) {
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
  return fd.release();
}

}  // namespace

Result<std::string> call_daemon(const std::string& socket_path, std::string_view header, std::string_view payload,
                                int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto c = connect_daemon(socket_path, deadline);
  if (!c) return c.error();
  Fd fd(*c);
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

DaemonLink::DaemonLink(std::string socket_path, int timeout_ms)
    : socket_(std::move(socket_path)), timeout_ms_(timeout_ms) {}

DaemonLink::~DaemonLink() { reset(); }

void DaemonLink::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
  unanswered_ = 0;
}

Status DaemonLink::send_request(std::string_view header, std::string_view payload, bool wait, bool& reused) {
  // The header is a JSON object: "keep" (and "wait") go in as its first members.
  if (header.empty() || header.front() != '{') return Error("a daemon request header must be a JSON object");
  std::string_view body = header.substr(1);
  while (!body.empty() && (body.front() == ' ' || body.front() == '\n')) body.remove_prefix(1);
  if (body.empty()) return Error("a daemon request header must be a JSON object");
  reused = fd_ >= 0;
  if (fd_ < 0) {
    auto c = connect_daemon(socket_, deadline_);
    if (!c) return c.error();
    fd_ = *c;
  }
  std::string msg = wait ? "{\"keep\":true" : "{\"keep\":true,\"wait\":false";
  if (body.front() != '}') msg += ',';
  msg.append(body);
  msg += '\n';
  msg.append(payload);
  size_t sent = 0;
  while (sent < msg.size()) {
    ssize_t n = ::send(fd_, msg.data() + sent, msg.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(fd_, POLLOUT, deadline_)) {
        reset();
        return Error("timed out sending to the Tollgate daemon");
      }
    } else {
      int e = errno;
      peer_closed_ = e == EPIPE || e == ECONNRESET;
      reset();
      std::string why = std::strerror(e);
      return Error("the Tollgate daemon closed the connection: " + why);
    }
  }
  return {};
}

Result<std::string> DaemonLink::read_line() {
  char buf[8192];
  for (;;) {
    if (auto nl = in_.find('\n'); nl != std::string::npos) {
      std::string line = in_.substr(0, nl);
      in_.erase(0, nl + 1);
      return line;
    }
    if (in_.size() > kMaxReplyBytes) {
      reset();
      return Error("the Tollgate daemon's reply is too large");
    }
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno == ECONNRESET) {
      reset();
      peer_closed_ = true;
      return Error("the Tollgate daemon closed the connection without an answer");
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(fd_, POLLIN, deadline_)) {
        reset();
        return Error("the Tollgate daemon did not answer within " + std::to_string(timeout_ms_) + " ms");
      }
    } else {
      std::string why = std::strerror(errno);
      reset();
      return Error("reading from the Tollgate daemon failed: " + why);
    }
  }
}

Status DaemonLink::post(std::string_view header, std::string_view payload) {
  deadline_ = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  bool reused = false;
  if (auto st = send_request(header, payload, /*wait=*/false, reused); !st) return st;
  ++unanswered_;
  return {};
}

Status DaemonLink::flush() {
  if (unanswered_ == 0) return {};
  auto r = call(R"({"v":1,"op":"ping","bytes":0})", "");
  if (!r) return r.error();
  return {};
}

Result<std::string> DaemonLink::call(std::string_view header, std::string_view payload) {
  deadline_ = Clock::now() + std::chrono::milliseconds(timeout_ms_);
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    const bool clean = unanswered_ == 0;
    peer_closed_ = false;
    Result<std::string> line = Error("the Tollgate daemon closed the connection without an answer");
    if (auto sent = send_request(header, payload, /*wait=*/true, reused); !sent) {
      line = sent.error();
    } else {
      // The answers of earlier posts come first; nobody waits for them.
      while (unanswered_ > 0 && fd_ >= 0) {
        --unanswered_;
        (void)read_line();
      }
      if (fd_ >= 0) line = read_line();
    }
    if (line) return line;
    // A kept connection that the daemon had closed before this request (an
    // idle timeout, a restart) fails at once without an answer: the request
    // is sent again, once, on a new connection.
    if (attempt > 0 || !reused || !clean || !peer_closed_) return line;
  }
}

}  // namespace tollgate::server
