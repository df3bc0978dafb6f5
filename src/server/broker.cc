#include "server/broker.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/json.h"
#include "base/suggest.h"
#include "crypto/crypto.h"

namespace tollgate::server {

using nlohmann::json;

std::string_view cred_kind_name(CredKind k) {
  switch (k) {
    case CredKind::Jwt: return "jwt";
    case CredKind::Static: return "static";
    case CredKind::Command: return "command";
  }
  return "static";
}

bool valid_credential_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

namespace {

Result<std::vector<std::string>> string_array(const json& v, const std::string& where) {
  if (!v.is_array()) return Error(where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) return Error(where + " must be an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

Status parse_credentials(const json& j, const std::string& path, std::vector<Credential>& out) {
  if (!j.is_object()) return Error(path + ": `credentials` must be an object of name → {\"kind\": …}");
  static const std::vector<std::string_view> known = {"kind", "ttl",    "audience", "file",  "env",
                                                      "mint", "revoke", "pass_env", "store", "timeout_ms"};
  for (const auto& item : j.items()) {
    // Named, not a structured binding: lambdas below capture them.
    const std::string& name = item.key();
    const nlohmann::json& spec = item.value();
    std::string where = path + ": credential `" + name + "`";
    if (!valid_credential_name(name))
      return Error(path + ": a credential name is 1 to 64 letters, digits, `.`, `_` or `-`, not `" + name + "`");
    if (!spec.is_object()) return Error(where + " must be an object");
    for (const auto& [key, value] : spec.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      std::string msg = where + ": unknown key `" + key + "`";
      if (auto s = nearest(key, known, [](std::string_view k) { return k; })) msg += "; did you mean `" + *s + "`?";
      return Error(msg);
    }
    Credential c;
    c.name = name;
    auto kind = spec.find("kind");
    if (kind == spec.end() || !kind->is_string()) return Error(where + " needs a `kind`: jwt, static or command");
    std::string k = kind->get<std::string>();
    if (k == "jwt") {
      c.kind = CredKind::Jwt;
    } else if (k == "static") {
      c.kind = CredKind::Static;
    } else if (k == "command") {
      c.kind = CredKind::Command;
    } else {
      return Error(where + ": unknown kind `" + k + "`; expected jwt, static or command");
    }
    if (auto t = spec.find("ttl"); t != spec.end()) {
      if (!t->is_number_integer() || t->get<int64_t>() <= 0 || t->get<int64_t>() > kMaxCredentialTtlS)
        return Error(where + ": `ttl` is whole seconds, 1 to " + std::to_string(kMaxCredentialTtlS));
      c.ttl_s = t->get<int64_t>();
    }
    if (auto t = spec.find("timeout_ms"); t != spec.end()) {
      if (!t->is_number_integer() || t->get<int64_t>() <= 0 || t->get<int64_t>() > 120000)
        return Error(where + ": `timeout_ms` is 1 to 120000");
      c.timeout_ms = t->get<int64_t>();
    }
    auto str = [&](const char* key, std::string& dst) -> Status {
      auto it = spec.find(key);
      if (it == spec.end()) return Status::Ok();
      if (!it->is_string() || it->get<std::string>().empty())
        return Error(where + ": `" + key + "` must be a non-empty string");
      dst = it->get<std::string>();
      return Status::Ok();
    };
    for (auto [key, dst] : {std::pair<const char*, std::string*>{"audience", &c.audience},
                            {"file", &c.file},
                            {"env", &c.env},
                            {"store", &c.store}})
      if (auto st = str(key, *dst); !st) return st;
    for (auto [key, dst] : {std::pair<const char*, std::vector<std::string>*>{"mint", &c.mint},
                            {"revoke", &c.revoke},
                            {"pass_env", &c.pass_env}}) {
      if (auto it = spec.find(key); it != spec.end()) {
        auto a = string_array(*it, where + ": `" + key + "`");
        if (!a) return std::move(a).error();
        *dst = std::move(*a);
      }
    }
    // What belongs to one kind is an error on another: a typo'd kind must
    // not silently ignore the settings that were meant.
    auto only = [&](bool present, const char* key, CredKind kind_of) -> Status {
      if (present && c.kind != kind_of)
        return Error(where + ": `" + key + "` belongs to kind " + std::string(cred_kind_name(kind_of)));
      return Status::Ok();
    };
    for (auto st :
         {only(!c.audience.empty(), "audience", CredKind::Jwt), only(!c.file.empty(), "file", CredKind::Static),
          only(!c.env.empty(), "env", CredKind::Static), only(!c.store.empty(), "store", CredKind::Static),
          only(!c.mint.empty(), "mint", CredKind::Command), only(!c.revoke.empty(), "revoke", CredKind::Command),
          only(!c.pass_env.empty(), "pass_env", CredKind::Command)})
      if (!st) return st;
    switch (c.kind) {
      case CredKind::Jwt:
        if (c.audience.empty() || c.audience.size() > 256)
          return Error(where + ": a jwt credential needs an `audience` (1 to 256 characters)");
        break;
      case CredKind::Static:
        if (!c.file.empty() + !c.env.empty() + !c.store.empty() != 1)
          return Error(where + ": a static credential needs exactly one of `file`, `env` or `store`");
        if (!c.store.empty() && !valid_credential_name(c.store))
          return Error(where + ": `store` names a secret: 1 to 64 letters, digits, `.`, `_` or `-`");
        if (!c.file.empty() && c.file[0] != '/') return Error(where + ": `file` must be an absolute path");
        break;
      case CredKind::Command:
        if (c.mint.empty()) return Error(where + ": a command credential needs a `mint` command (an argv array)");
        for (const auto* argv : {&c.mint, &c.revoke})
          if (!argv->empty() && ((*argv)[0].empty() || (*argv)[0][0] != '/'))
            return Error(where + ": commands run without a shell or PATH search; give the program's absolute path");
        break;
    }
    for (const auto& other : out)
      if (c.kind == CredKind::Jwt && other.kind == CredKind::Jwt && other.audience == c.audience)
        return Error(where + ": the audience `" + c.audience + "` is already the credential `" + other.name + "`'s");
    out.push_back(std::move(c));
  }
  return Status::Ok();
}

Result<std::string> clean_secret(std::string s, std::string_view what) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.empty()) return Error(std::string(what) + " is empty");
  if (s.size() > kMaxSecretBytes) return Error(std::string(what) + " is larger than 64 KiB");
  for (unsigned char ch : s)
    if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch >= 0x7f)
      return Error(std::string(what) + " has bytes other than printable ASCII, tab and newline; encode it (base64)");
  return s;
}

Result<std::string> read_static_secret(const Credential& c) {
  if (!c.env.empty()) {
    const char* v = std::getenv(c.env.c_str());
    if (!v) return Error("the daemon's environment has no `" + c.env + "`");
    return clean_secret(v, "the daemon's `" + c.env + "`");
  }
  std::ifstream in(c.file, std::ios::binary);
  if (!in) return Error("cannot read `" + c.file + "`");
  std::string s;
  s.resize(kMaxSecretBytes + 1);
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<size_t>(in.gcount()));
  return clean_secret(std::move(s), "`" + c.file + "`");
}

std::string secret_digest(std::string_view lease_id, std::string_view secret) {
  std::string m(lease_id);
  m.push_back('\0');
  m.append(secret);
  return crypto::sha256_hex(m);
}

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

Result<std::string> run_command(const std::vector<std::string>& argv, const EnvPairs& env, std::string_view input,
                                int64_t timeout_ms) {
  if (argv.empty() || argv[0].empty() || argv[0][0] != '/') return Error("the command needs an absolute program path");
  std::string prog = argv[0].substr(argv[0].rfind('/') + 1);
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return Error("cannot create a pipe: " + std::string(std::strerror(errno)));
  Fd in_r{in_pipe[0]}, in_w{in_pipe[1]};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Error("cannot create a pipe: " + std::string(std::strerror(errno)));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.fd, 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (killed whole on timeout), no signal mask or
  // handlers inherited from the daemon.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  env_strings.reserve(env.size());
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &fa, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Error("cannot run `" + prog + "`: " + std::strerror(rc));
  in_r.reset();
  out_w.reset();

  int64_t deadline = steady_ms() + timeout_ms;
  auto kill_group = [&] {
    ::kill(-pid, SIGKILL);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
  };
  ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
  ::fcntl(out_r.fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (input.empty()) in_w.reset();
  std::string out;
  bool too_much = false;
  while (out_r.fd >= 0) {
    int64_t left = deadline - steady_ms();
    if (left <= 0) {
      kill_group();
      return Error("`" + prog + "` did not finish within " + std::to_string(timeout_ms) + " ms; it was killed");
    }
    pollfd p[2] = {{out_r.fd, POLLIN, 0}, {in_w.fd, POLLOUT, 0}};
    int n = ::poll(p, in_w.fd >= 0 ? 2 : 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (n < 0 && errno != EINTR) {
      kill_group();
      return Error("cannot wait for `" + prog + "`: " + std::strerror(errno));
    }
    if (in_w.fd >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(in_w.fd, input.data() + written, input.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) written = input.size();  // it closed its input: fine
      if (written >= input.size()) in_w.reset();
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t r = ::read(out_r.fd, buf, sizeof(buf));
      if (r > 0) {
        if (out.size() + static_cast<size_t>(r) > kMaxSecretBytes + 2) {
          too_much = true;
          break;
        }
        out.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EAGAIN) {
        out_r.reset();
      }
    }
  }
  in_w.reset();
  if (too_much) {
    kill_group();
    return Error("`" + prog + "` printed more than 64 KiB");
  }
  // Its output is complete; give it the rest of the deadline to exit.
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return Error("cannot wait for `" + prog + "`: " + std::strerror(errno));
    if (steady_ms() >= deadline) {
      kill_group();
      return Error("`" + prog + "` did not finish within " + std::to_string(timeout_ms) + " ms; it was killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFSIGNALED(status)) return Error("`" + prog + "` was killed by signal " + std::to_string(WTERMSIG(status)));
  if (WEXITSTATUS(status) != 0)
    return Error("`" + prog + "` exited with status " + std::to_string(WEXITSTATUS(status)) +
                 " (its standard error is not shown: it may hold a secret)");
  return out;
}

}  // namespace tollgate::server
