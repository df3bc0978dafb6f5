// Helpers shared by the benchmark programs: where the generated agent
// workloads live (bench/gen_workload.mjs writes them on first use), reading
// a file whole, and quoting a path for the shell. Benchmark code only.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tollgate::bench {

inline std::string g_workloads = TOLLGATE_BENCH_BINARY_DIR "/workloads";

inline bool slurp(const std::filesystem::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The directory of the agent workload with `size` policies, generated when
// `marker` is missing from it. Returns an error message, or "" on success.
inline std::string ensure_workload(int size, const char* marker, std::filesystem::path& dir) {
  dir = std::filesystem::path(g_workloads) / ("agent-" + std::to_string(size));
  if (std::filesystem::exists(dir / marker)) return {};
  std::string cmd = "node " + shell_quote(TOLLGATE_BENCH_SOURCE_DIR "/gen_workload.mjs") + " --out " +
                    shell_quote(g_workloads) + " --sizes " + std::to_string(size);
  if (std::system(cmd.c_str()) != 0) return "cannot generate " + dir.string() + " (is node installed?)";
  return {};
}

}  // namespace tollgate::bench
