// Process ancestry from /proc (server/peers.h).
#include "server/peers.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

namespace tollgate::server {

namespace {

// What stands between a harness and its hook process.
constexpr std::array<std::string_view, 12> kBetween = {"sh",   "bash",    "dash", "zsh",     "fish", "ksh",
                                                       "mksh", "busybox", "env",  "timeout", "nice", "tollgate"};
// The agent CLIs' process names (Gemini CLI and some installs of the others
// run as node).
constexpr std::array<std::string_view, 6> kHarnesses = {"claude", "codex", "gemini", "node", "cursor-agent", "cursor"};

bool read_stat(int pid, ProcId& out, int& ppid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  if (!f || !std::getline(f, s)) return false;
  auto open = s.find('('), close = s.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  out.pid = pid;
  out.comm = s.substr(open + 1, close - open - 1);
  std::istringstream rest(s.substr(close + 1));
  std::string field;
  // After the command: state (3), ppid (4), … starttime (22).
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 4) ppid = std::atoi(field.c_str());
    if (i == 22) {
      out.start = std::strtoull(field.c_str(), nullptr, 10);
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<ProcId> process_ancestry(int pid, int max) {
  std::vector<ProcId> out;
  while (pid > 1 && static_cast<int>(out.size()) < max) {
    ProcId p;
    int ppid = 0;
    if (!read_stat(pid, p, ppid)) break;
    out.push_back(std::move(p));
    if (ppid == pid) break;
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
