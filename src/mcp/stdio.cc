// run_stdio: the gateway between a child MCP server and stdin/stdout
// (mcp/gateway.h). One poll loop; the child's pipes are non-blocking, and
// stdin/stdout (which the client may share with others) stay blocking and
// are written at most PIPE_BUF bytes per ready event. A side is read only
// while the other side's queue is short, so a client or server that stops
// reading slows its peer down instead of growing memory.
//
// Shutting down follows the MCP stdio transport's order: once the client has
// closed its side (or the gateway is told to stop by SIGTERM, SIGINT or
// SIGHUP, which are forwarded), the server's stdin is closed; a server still
// running after a grace period gets SIGTERM, and after another one SIGKILL.
// The server never outlives the gateway it was started by.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <string>

#include "mcp/gateway.h"

extern char** environ;

namespace tollgate::mcp {

namespace {

constexpr size_t kHighWater = 4u << 20;
// How long a server may take to exit once its stdin is closed, and again
// after SIGTERM.
constexpr std::chrono::milliseconds kExitGrace{2000};

struct LineReader {
  std::string buf;
  bool streaming = false;  // passing an oversized line through as it comes
  bool dropping = false;   // discarding an oversized line up to its newline
  size_t line_bytes = 0;
  // A streamed line: its check, and its last non-blank byte and the blanks
  // after it, held back until the line has passed the check.
  StreamedMessageCheck check;
  std::string held;
  bool whole = false;  // its beginning is no answer's: read it whole, then review it
};

void queue_lines(std::string& q, const std::vector<std::string>& lines) {
  for (const auto& l : lines) {
    q += l;
    q += '\n';
  }
}

// Writes what the fd takes now; false on a broken pipe.
bool flush_some(int fd, std::string& q, bool nonblocking) {
  while (!q.empty()) {
    size_t n = nonblocking ? q.size() : std::min<size_t>(q.size(), PIPE_BUF);
    ssize_t w = ::write(fd, q.data(), n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      return false;
    }
    q.erase(0, static_cast<size_t>(w));
    if (!nonblocking) return true;  // one chunk per ready event
  }
  return true;
}

}  // namespace

int run_stdio(const StdioOptions& opts, const Decider& decider, const Poster& poster) {
  if (opts.command.empty()) return 127;
  ::signal(SIGPIPE, SIG_IGN);
  // The stop signals arrive through a signalfd in the poll loop; the server
  // starts with the default dispositions and an empty mask.
  // The gateway adopts what the server leaves behind (a double fork, a
  // `setsid` daemon): orphans stay beneath it, where the daemon refuses
  // them what it refuses the server, instead of escaping to init. They are
  // reaped as they exit (SIGCHLD, through the same signalfd).
  (void)::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t stop_signals, old_mask;
  sigemptyset(&stop_signals);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&stop_signals, sig);
  ::sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
  int sig_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) return 127;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&fa, from_child[1], 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  // SIGPIPE too: the gateway ignores it, and an ignored signal would stay
  // ignored in the server.
  sigset_t defaults = stop_signals;
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv;
  for (const auto& a : opts.command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (rc != 0) {
    std::string msg = "tollgate mcp: cannot start `" + opts.command[0] + "`: " + std::strerror(rc) + "\n";
    (void)!::write(2, msg.data(), msg.size());
    ::close(to_child[1]);
    ::close(from_child[0]);
    if (sig_fd >= 0) ::close(sig_fd);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return 127;
  }
  int child_in = to_child[1], child_out = from_child[0];
  ::fcntl(child_in, F_SETFL, ::fcntl(child_in, F_GETFL) | O_NONBLOCK);
  ::fcntl(child_out, F_SETFL, ::fcntl(child_out, F_GETFL) | O_NONBLOCK);

  Gateway gw(opts.gateway, decider, poster);
  const size_t max_line = opts.gateway.max_message_bytes;
  LineReader from_client, from_server;
  std::string q_server, q_client;  // bytes waiting for the server, for the client
  // The gateway's own lines for the client (denials, errors), held while a
  // server line streams so that they never land inside it.
  std::string q_later;
  auto queue_for_client = [&](const std::vector<std::string>& lines) {
    queue_lines(from_server.streaming ? q_later : q_client, lines);
  };
  bool client_open = true, server_open = true, client_gone = false;
  std::vector<char> buf(64 * 1024);

  // A streamed line reaches the client whole only when it passes its check:
  // otherwise its last byte is withheld, so the client cannot parse it.
  auto pass_checked = [&](LineReader& r, std::string_view piece) {
    size_t last = piece.find_last_not_of(" \t\r");
    if (last == std::string_view::npos) {
      r.held.append(piece);  // blanks after the held byte
      return;
    }
    size_t from = q_client.size();
    q_client += r.held;
    q_client.append(piece.substr(0, last));
    // A lone CR ends a line for some readers: outside JSON strings it is
    // whitespace, inside them it cannot be (Gateway::without_carriage_returns).
    std::replace(q_client.begin() + static_cast<std::ptrdiff_t>(from), q_client.end(), '\r', ' ');
    r.held.assign(piece.substr(last));
  };
  auto pass_streamed = [&](LineReader& r, std::string_view piece) {
    r.check.feed(piece);
    if (r.check.ok()) pass_checked(r, piece);  // else spoiled: the rest is not passed on
  };
  auto end_streamed = [&](LineReader& r) {
    bool pass = false;
    Gateway::Output out = gw.end_streamed(r.check, r.line_bytes, pass);
    std::replace(r.held.begin(), r.held.end(), '\r', ' ');
    if (pass) q_client += r.held;  // else spoiled: its last byte never comes
    q_client += '\n';
    queue_lines(q_client, out.to_client);
    r = LineReader{};
    q_client += q_later;
    q_later.clear();
  };
  auto feed = [&](LineReader& r, const char* data, size_t n, bool is_client) {
    size_t pos = 0;
    while (pos < n) {
      const char* nl = static_cast<const char*>(std::memchr(data + pos, '\n', n - pos));
      size_t chunk = nl ? static_cast<size_t>(nl - (data + pos)) : n - pos;
      std::string_view piece(data + pos, chunk);
      pos += chunk + (nl ? 1 : 0);
      if (r.streaming) {
        pass_streamed(r, piece);
        r.line_bytes += piece.size();
        if (nl) end_streamed(r);
        continue;
      }
      if (r.dropping) {
        r.line_bytes += piece.size();
        if (nl) {
          auto out = gw.oversized(is_client, r.line_bytes);
          queue_for_client(out.to_client);
          r = LineReader{};
        }
        continue;
      }
      r.buf.append(piece);
      if (!nl) {
        bool stream = false;
        if (!is_client && !r.whole && r.buf.size() > opts.stream_threshold && !gw.needs_whole_answers()) {
          r.check.feed(r.buf);
          stream = r.check.ok();
          r.whole = !stream;  // a large request of the server, say: reviewed once whole
        }
        if (stream) {
          // A large answer nobody needs to inspect: pass it on as it comes.
          r.streaming = true;
          r.line_bytes = r.buf.size();
          std::string head = std::move(r.buf);
          r.buf.clear();
          pass_checked(r, head);
        } else if (r.buf.size() > max_line) {
          r.dropping = true;
          r.line_bytes = r.buf.size();
          r.buf.clear();
          r.buf.shrink_to_fit();
        }
        continue;
      }
      Gateway::Output out = is_client ? gw.from_client(r.buf) : gw.from_server(r.buf);
      queue_lines(q_server, out.to_server);
      queue_for_client(out.to_client);
      r.buf.clear();
    }
  };

  int status = 0;
  bool reaped = false;
  using Clock = std::chrono::steady_clock;
  // Escalation once the server's stdin is closed: 0 waiting for it to exit,
  // 1 after SIGTERM, 2 after SIGKILL.
  int escalation = -1;
  Clock::time_point escalate_at{};
  int stopped_by = 0;  // the stop signal the gateway received, if any
  auto start_escalation = [&] {
    if (escalation < 0) {
      escalation = 0;
      escalate_at = Clock::now() + kExitGrace;
    }
  };
  while (true) {
    pollfd fds[5];
    int n = 0;
    int i_cin = -1, i_cout = -1, i_sin = -1, i_sout = -1, i_sig = -1;
    if (client_open && q_server.size() < kHighWater && q_later.size() < kHighWater) fds[i_cin = n++] = {0, POLLIN, 0};
    if (!q_client.empty() && !client_gone) fds[i_cout = n++] = {1, POLLOUT, 0};
    if (!q_server.empty() && child_in >= 0) fds[i_sin = n++] = {child_in, POLLOUT, 0};
    if (server_open && q_client.size() < kHighWater) fds[i_sout = n++] = {child_out, POLLIN, 0};
    if (n == 0) break;
    if (sig_fd >= 0) fds[i_sig = n++] = {sig_fd, POLLIN, 0};
    int timeout = -1;
    if (escalation >= 0 && server_open) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(escalate_at - Clock::now()).count();
      timeout = static_cast<int>(std::max<int64_t>(0, left));
    }
    int ready = ::poll(fds, n, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (escalation >= 0 && escalation < 2 && server_open && Clock::now() >= escalate_at) {
      ::kill(pid, escalation == 0 ? SIGTERM : SIGKILL);
      ++escalation;
      escalate_at = Clock::now() + kExitGrace;
    }
    if (i_sig >= 0 && fds[i_sig].revents) {
      signalfd_siginfo si{};
      while (::read(sig_fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
        if (si.ssi_signo == SIGCHLD) {
          // Adopted orphans only: the server itself is waited for where its
          // output ends, so that its exit status is the one reported.
          siginfo_t w{};
          while (::waitid(P_ALL, 0, &w, WEXITED | WNOHANG | WNOWAIT) == 0 && w.si_pid != 0) {
            if (w.si_pid == pid) break;
            ::waitpid(w.si_pid, nullptr, WNOHANG);
            w = siginfo_t{};
          }
          continue;
        }
        stopped_by = static_cast<int>(si.ssi_signo);
        if (server_open) ::kill(pid, stopped_by);  // the server stops the way the gateway was told to
        client_open = false;
        q_server.clear();
        start_escalation();
      }
    }
    if (i_cin >= 0 && fds[i_cin].revents) {
      ssize_t r = ::read(0, buf.data(), buf.size());
      if (r > 0) {
        feed(from_client, buf.data(), static_cast<size_t>(r), true);
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        client_open = false;  // the client is done: the server gets EOF once its queue is out
      }
    }
    if (i_sout >= 0 && fds[i_sout].revents) {
      ssize_t r = ::read(child_out, buf.data(), buf.size());
      if (r > 0) {
        feed(from_server, buf.data(), static_cast<size_t>(r), false);
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        server_open = false;
        if (from_server.streaming) end_streamed(from_server);  // cut short: spoiled, its request answered
        ::close(child_out);
        if (::waitpid(pid, &status, 0) == pid) reaped = true;
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        auto out = gw.server_exited(code);
        queue_lines(q_client, out.to_client);
        q_server.clear();
        client_open = false;
      }
    }
    if (i_sin >= 0 && fds[i_sin].revents) {
      if (!flush_some(child_in, q_server, true)) q_server.clear();
    }
    if (i_cout >= 0 && fds[i_cout].revents) {
      if (!flush_some(1, q_client, false)) {
        client_gone = true;
        q_client.clear();
      }
    }
    if ((q_client.empty() || client_gone) && gw.has_outcomes()) gw.flush_outcomes();
    if (!client_open && q_server.empty() && child_in >= 0) {
      ::close(child_in);
      child_in = -1;
      start_escalation();
    }
    if (!server_open && (q_client.empty() || client_gone)) break;
  }
  gw.flush_outcomes();
  if (child_in >= 0) ::close(child_in);
  if (server_open) {
    ::close(child_out);
    ::kill(pid, SIGKILL);  // the loop ended on an error: the server does not outlive the gateway
  }
  if (!reaped) ::waitpid(pid, &status, 0);
  if (sig_fd >= 0) ::close(sig_fd);
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  if (stopped_by != 0) return 128 + stopped_by;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace tollgate::mcp
