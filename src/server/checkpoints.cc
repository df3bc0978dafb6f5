#include "server/checkpoints.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "base/json.h"
#include "base/time.h"

extern char** environ;

namespace tollgate::server {

namespace {

using nlohmann::json;

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  void reset(int f = -1) {
    if (fd >= 0) ::close(fd);
    fd = f;
  }
};

int64_t mono_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status write_all_atomically(const std::string& path, std::string_view data, mode_t mode) {
  std::string tmp = path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (fd.fd < 0) return Error("cannot write `" + tmp + "`: " + std::strerror(errno));
  ::fchmod(fd.fd, mode);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error("cannot write `" + tmp + "`: " + std::strerror(errno));
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.fd) != 0) return Error("cannot sync `" + tmp + "`: " + std::strerror(errno));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Error("cannot rename to `" + path + "`: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> split_command(std::string_view command) {
  std::vector<std::string> out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : command) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) out.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) return Error("the command `" + std::string(command) + "` has an unbalanced quote");
  if (in_word) out.push_back(std::move(word));
  if (out.empty()) return Error("the command is empty");
  return out;
}

Checkpointer::Checkpointer(store::Store& store, std::unique_ptr<ledger::CheckpointKeys> keys, CheckpointOptions opts)
    : store_(store), keys_(std::move(keys)), opts_(std::move(opts)) {}

bool Checkpointer::due(int64_t now_ms) {
  auto head = store_.ledger_head();
  if (!head || head->first == 0 || head->first <= last_size_) return false;
  if (last_ms_ < 0) {
    // The schedule starts with the daemon; a first checkpoint comes when it
    // is due like any other.
    last_ms_ = now_ms;
    if (last_size_ < 0) last_size_ = 0;
  }
  if (opts_.every_ms > 0 && now_ms - last_ms_ >= opts_.every_ms) return true;
  if (opts_.every_records > 0 && head->first - last_size_ >= opts_.every_records) return true;
  return false;
}

Result<ledger::Checkpoint> Checkpointer::checkpoint(int64_t now_ms, const std::string& reason) {
  const ledger::Signer* signer = keys_->active();
  if (!signer) return Error("no checkpoint key to sign with");
  return sign_and_record(*signer, now_ms, reason);
}

Result<ledger::Checkpoint> Checkpointer::sign_and_record(const ledger::Signer& signer, int64_t now_ms,
                                                         const std::string& reason) {
  auto head = store_.ledger_head();
  if (!head) return std::move(head).error();
  ledger::Hash root{};
  if (!ledger::from_hex(head->second, root)) return Error("the ledger's tree head is damaged");
  auto c = ledger::sign_checkpoint(static_cast<uint64_t>(head->first), root, rfc3339_utc(now_ms), signer);
  if (!c) return c;
  store::Event e;
  e.ts_ms = now_ms;
  e.kind = "checkpoint";
  e.record = dump_json(json{{"type", "checkpoint"},
                            {"size", c->size},
                            {"root", head->second},
                            {"time", c->time},
                            {"key", c->key_id},
                            {"sig", c->signature},
                            {"reason", reason},
                            {"ts", now_ms}});
  // Published checkpoints are only of records a power cut cannot take back.
  store_.sync_next_commit();
  auto seq = store_.append_event(e);
  if (!seq) return std::move(seq).error();
  last_ms_ = now_ms;
  last_size_ = *seq;
  return c;
}

Result<std::optional<ledger::Checkpoint>> Checkpointer::maybe_rotate(int64_t now_ms, bool force,
                                                                     const std::string& reason) {
  int64_t now_s = now_ms / 1000;
  if (!keys_->active()) return Error("no checkpoint key to rotate");
  if (!force && (opts_.key_rotate_every_s <= 0 || now_s - keys_->active_since() < opts_.key_rotate_every_s))
    return std::optional<ledger::Checkpoint>();
  ledger::Signer old = *keys_->active();  // its private half stays in memory for one last signature
  // The old key's last checkpoint covers the record that names the new key,
  // the next one appended: its size is known before the rotation is saved.
  auto count = store_.event_count();
  if (!count) return std::move(count).error();
  auto id = keys_->rotate(now_s, static_cast<uint64_t>(*count) + 1);
  if (!id) return std::move(id).error();
  store::Event e;
  e.ts_ms = now_ms;
  e.kind = "checkpoint_key";
  e.record = dump_json(json{{"type", "checkpoint_key"},
                            {"key", *id},
                            {"previous", old.key_id},
                            {"public_key", keys_->active()->public_pem},
                            {"reason", reason},
                            {"ts", now_ms}});
  if (auto seq = store_.append_event(e); !seq) return std::move(seq).error();
  // The old key vouches for the new one: its last checkpoint covers the
  // record that names it.
  auto c = sign_and_record(old, now_ms, "key rotation");
  if (!c) return std::move(c).error();
  if (c->size != static_cast<uint64_t>(*count) + 1)  // a record appended in between
    if (auto st = keys_->set_retired_size(old.key_id, c->size); !st) return st.error();
  return std::optional<ledger::Checkpoint>(std::move(*c));
}

std::vector<std::string> Checkpointer::deliver(const ledger::Checkpoint& c) const {
  std::vector<std::string> problems;
  std::string text = ledger::format_checkpoint(c);
  for (const auto& dir : opts_.dirs)
    if (auto st = write_checkpoint_file(dir, c); !st) problems.push_back(dir + ": " + st.error().message);
  for (const auto& argv : opts_.commands)
    if (auto st = run_with_input(argv, text, opts_.command_timeout_ms); !st)
      problems.push_back("`" + argv[0] + "`: " + st.error().message);
  return problems;
}

Status write_checkpoint_file(const std::string& dir, const ledger::Checkpoint& c) {
  std::string text = ledger::format_checkpoint(c);
  if (auto st = write_all_atomically(dir + "/checkpoint-" + std::to_string(c.size) + ".txt", text, 0644); !st)
    return st;
  return write_all_atomically(dir + "/latest.checkpoint", text, 0644);
}

Status run_with_input(const std::vector<std::string>& argv, std::string_view input, int64_t timeout_ms) {
  if (argv.empty()) return Error("no command");
  int in_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Error(std::string("pipe: ") + std::strerror(errno));
  Fd in_r(in_pipe[0]), in_w(in_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Error(std::string("pipe: ") + std::strerror(errno));
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.fd, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, err_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, pipe_only;
  sigemptyset(&none);
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  // The child starts with no blocked signals and SIGPIPE at its default,
  // whatever the daemon's threads have.
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Error("cannot run `" + argv[0] + "`: " + std::strerror(rc));
  in_r.reset();
  err_w.reset();

  // The checkpoint is far smaller than a pipe's buffer; a child that exits
  // without reading makes the write fail with EPIPE, not kill the daemon
  // (SIGPIPE is blocked on this thread while writing, and a pending one
  // consumed).
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  size_t off = 0;
  bool write_failed = false;
  ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  while (off < input.size()) {
    ssize_t n = ::write(in_w.fd, input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_failed = true;
      break;
    }
    off += static_cast<size_t>(n);
  }
  in_w.reset();
  timespec zero{};
  while (sigtimedwait(&pipe_only, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  // Wait for the exit (a pidfd) while collecting the start of stderr.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  std::string err;
  int64_t deadline = mono_ms() + timeout_ms;
  bool timed_out = false;
  for (;;) {
    int64_t left = deadline - mono_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{pidfd.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}};
    int nfds = err_r.fd >= 0 ? 2 : 1;
    if (pidfd.fd < 0) {
      // No pidfd (an old kernel): poll the child's state.
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -status - 1;  // remember the status below
        break;
      }
      ::poll(fds + 1, err_r.fd >= 0 ? 1 : 0, static_cast<int>(std::min<int64_t>(left, 10)));
    } else if (::poll(fds, static_cast<nfds_t>(nfds), static_cast<int>(std::min<int64_t>(left, 1000))) < 0 &&
               errno != EINTR) {
      break;
    }
    if (err_r.fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char buf[512];
      ssize_t n = ::read(err_r.fd, buf, sizeof(buf));
      if (n > 0) {
        if (err.size() < 2048) err.append(buf, static_cast<size_t>(n));
      } else {
        err_r.reset();
      }
    }
    if (pidfd.fd >= 0 && (fds[0].revents & POLLIN)) break;
  }
  int status = 0;
  if (pid < -1) {
    status = -(pid + 1);
  } else {
    if (timed_out) ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
  if (err.size() > 300) err = err.substr(0, 300) + "…";
  std::string tail = err.empty() ? std::string() : ": " + err;
  if (timed_out) return Error("did not finish within " + std::to_string(timeout_ms) + " ms (killed)" + tail);
  if (WIFSIGNALED(status)) return Error("killed by signal " + std::to_string(WTERMSIG(status)) + tail);
  if (WEXITSTATUS(status) != 0) return Error("exited with status " + std::to_string(WEXITSTATUS(status)) + tail);
  if (write_failed) return Error("did not read the checkpoint" + tail);
  return Status::Ok();
}

}  // namespace tollgate::server
