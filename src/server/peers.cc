// Process ancestry from /proc (server/peers.h).
#include "server/peers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <unordered_set>

namespace tollgate::server {

namespace {

// What stands between a harness and its hook process.
constexpr std::array<std::string_view, 12> kBetween = {"sh",   "bash",    "dash", "zsh",     "fish", "ksh",
                                                       "mksh", "busybox", "env",  "timeout", "nice", "tollgate"};
// The agent CLIs' process names (Gemini CLI and some installs of the others
// run as node).
constexpr std::array<std::string_view, 6> kHarnesses = {"claude", "codex", "gemini", "node", "cursor-agent", "cursor"};

bool read_stat(int pid, ProcId& out, int& ppid) {
  // One read, no streams: the daemon reads a peer's ancestry on requests.
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];  // the command is at most 64 bytes; the fields up to 22 fit
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return false;
  std::string_view s(buf, static_cast<size_t>(n));
  auto open = s.find('('), close = s.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return false;
  out.pid = pid;
  out.comm.assign(s.substr(open + 1, close - open - 1));
  // After the command: state (3), ppid (4), … starttime (22), separated by
  // single spaces.
  size_t at = close + 1;
  for (int i = 3; i <= 22; ++i) {
    while (at < s.size() && s[at] == ' ') ++at;
    size_t end = at;
    while (end < s.size() && s[end] != ' ' && s[end] != '\n') ++end;
    if (end == at) return false;
    std::string_view field = s.substr(at, end - at);
    if (i == 4 || i == 22) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), v);
      if (ec != std::errc() || p != field.data() + field.size()) return false;
      if (i == 4) ppid = static_cast<int>(v);
      if (i == 22) {
        out.start = v;
        return true;
      }
    }
    at = end;
  }
  return false;
}

bool is_loopback(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return (ntohl(reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr) >> 24) == 127;
  if (a.ss_family != AF_INET6) return false;
  const in6_addr& v6 = reinterpret_cast<const sockaddr_in6&>(a).sin6_addr;
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
}

// An endpoint as /proc/net/tcp{,6} prints it: each 32-bit word of the
// address as the host reads it, a colon, the port, all in upper-case hex.
std::string proc_net_endpoint(const sockaddr_storage& a) {
  char buf[64];
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    uint32_t w = 0;
    std::memcpy(&w, &v4.sin_addr, sizeof w);
    std::snprintf(buf, sizeof buf, "%08X:%04X", w, ntohs(v4.sin_port));
    return buf;
  }
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
  uint32_t w[4];
  std::memcpy(w, &v6.sin6_addr, sizeof w);
  std::snprintf(buf, sizeof buf, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], ntohs(v6.sin6_port));
  return buf;
}

// The inode of the socket whose local end is `local` and remote end
// `remote` in a /proc/net table; 0 when there is none.
uint64_t socket_inode(const char* table, const std::string& local, const std::string& remote) {
  std::ifstream f(table);
  std::string line;
  if (!std::getline(f, line)) return 0;  // the header
  for (int n = 0; n < (1 << 20) && std::getline(f, line); ++n) {
    std::istringstream in(line);
    std::string slot, l, r, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(in >> slot >> l >> r >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) continue;
    if (l == local && r == remote) return std::strtoull(inode.c_str(), nullptr, 10);
  }
  return 0;
}

bool holds(int pid, const std::string& link) {
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  bool found = false;
  char buf[64];
  int n = 0;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (++n > 65536) break;
    ssize_t len = ::readlinkat(::dirfd(d), e->d_name, buf, sizeof buf);
    if (len == static_cast<ssize_t>(link.size()) && std::memcmp(buf, link.data(), link.size()) == 0) {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

// The children of every thread of `pid` (/proc/PID/task/TID/children).
void add_children(int pid, std::deque<int>& out) {
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(dir + "/" + e->d_name + "/children");
    for (int child = 0; out.size() < 8192 && f >> child;) out.push_back(child);
  }
  ::closedir(d);
}

}  // namespace

int loopback_peer_pid(int fd, const std::vector<int>& roots, int max_processes) {
  if (roots.empty()) return 0;
  sockaddr_storage ours{}, peer{};
  socklen_t ours_len = sizeof ours, peer_len = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ours), &ours_len) != 0 ||
      ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0)
    return 0;
  if (peer.ss_family != ours.ss_family || !is_loopback(peer)) return 0;
  // The peer's socket is the row whose local end is the peer's address.
  uint64_t inode = socket_inode(peer.ss_family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6", proc_net_endpoint(peer),
                                proc_net_endpoint(ours));
  if (inode == 0) return 0;
  std::string link = "socket:[" + std::to_string(inode) + "]";
  std::deque<int> queue(roots.begin(), roots.end());
  std::unordered_set<int> seen;
  while (!queue.empty() && static_cast<int>(seen.size()) < max_processes) {
    int pid = queue.front();
    queue.pop_front();
    if (pid <= 1 || !seen.insert(pid).second) continue;
    if (holds(pid, link)) return pid;
    add_children(pid, queue);
  }
  return 0;
}

std::vector<ProcId> process_ancestry(int pid, int max, bool* complete) {
  std::vector<ProcId> out;
  if (complete) *complete = false;
  while (pid > 1 && static_cast<int>(out.size()) < max) {
    ProcId p;
    int ppid = 0;
    if (!read_stat(pid, p, ppid)) break;
    // A parent started after its child is another process that took the
    // pid of one that exited while the chain was read: the chain ends here.
    if (!out.empty() && p.start > out.back().start) break;
    out.push_back(std::move(p));
    if (ppid == pid) break;
    if (ppid <= 1) {
      if (complete) *complete = true;
      break;
    }
    pid = ppid;
  }
  return out;
}

ProcId harness_of(const std::vector<ProcId>& ancestry) {
  for (const auto& p : ancestry) {
    if (std::find(kBetween.begin(), kBetween.end(), p.comm) != kBetween.end()) continue;
    // The first other process must be an agent CLI; a script that runs
    // `tollgate hook` itself (a test, a wrapper) marks nothing.
    if (std::find(kHarnesses.begin(), kHarnesses.end(), p.comm) != kHarnesses.end()) return p;
    return {};
  }
  return {};
}

const ProcId* descends_from(const std::vector<ProcId>& ancestry, const std::set<ProcId>& harnesses) {
  for (const auto& p : ancestry) {
    auto it = harnesses.find(p);
    if (it != harnesses.end()) return &*it;
  }
  return nullptr;
}

}  // namespace tollgate::server
