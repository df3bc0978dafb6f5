// libFuzzer target: shell command analysis. Feeds the input to
// analyze_shell and analyze_code and checks the results' invariants
// (indices in range, hosts canonical, opaque results carry a reason, code
// reports reads only), then runs the URL and
// path helpers over the input and over every URL, host and redirection the
// analyser reported. Any crash, sanitizer report, hang past libFuzzer's
// timeout or broken invariant is a finding. Links only tollgate_analyze.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "analyze/paths.h"
#include "analyze/shell.h"
#include "analyze/url.h"

// Make UBSan reports fatal in the fuzz build (see fuzz_common.h for why).
extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using namespace tollgate::analyze;

[[noreturn]] void broken(const char* what, std::string_view detail) {
  std::fprintf(stderr, "invariant broken: %s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

size_t exercise_url(std::string_view s) {
  size_t n = 0;
  if (auto u = parse_url(s)) {
    n += u->scheme.size() + u->user.size() + u->host.size() + u->path.size() + u->port;
    if (!u->host.empty() && !valid_host(u->host)) broken("parse_url returned a non-canonical host", u->host);
    for (const auto& a : host_ancestors(u->host)) n += a.size();
  }
  return n;
}

size_t exercise_path(std::string_view s) {
  std::string p = normalize_path(s, "/work/repo", "/home/dev", false);
  if (!s.empty() && (p.empty() || p[0] != '/')) broken("normalize_path returned a relative path", p);
  if (p.size() > 1 && p.back() == '/') broken("normalize_path left a trailing slash", p);
  size_t n = p.size();
  for (const auto& a : path_ancestors(p)) n += a.size();
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  volatile size_t sink = 0;

  ShellAnalysis a = analyze_shell(text);
  if (a.opaque != !a.opaque_reasons.empty()) broken("opaque flag and reasons disagree", text);
  for (const auto& c : a.commands) {
    sink = sink + c.program.size() + c.name.size();
    for (size_t i : c.dynamic_args) {
      if (i >= c.args.size()) broken("dynamic_args index out of range", c.program);
    }
    if (!c.dynamic_args.empty() && !c.opaque) broken("command with dynamic arguments not marked opaque", c.program);
    for (const auto& g : c.globs) {
      if (std::find(c.dynamic_args.begin(), c.dynamic_args.end(), g.arg) == c.dynamic_args.end())
        broken("a glob argument is not among the dynamic ones", c.program);
      sink = sink + g.pattern.size();
    }
    for (const auto& s : c.args) sink = sink + s.size();
    for (const auto& s : c.assignments) sink = sink + s.size();
    for (const auto& s : c.wrappers) sink = sink + s.size();
  }
  for (const auto& r : a.redirections) sink = sink + exercise_path(r.path);
  for (const auto& u : a.urls) sink = sink + exercise_url(u);
  for (const auto& h : a.hosts) {
    if (!valid_host(h)) broken("reported host is not canonical", h);
    for (const auto& anc : host_ancestors(h)) sink = sink + anc.size();
  }
  for (const auto& s : a.assignments) sink = sink + s.size();
  for (const auto& s : a.opaque_reasons) sink = sink + s.size();
  for (const auto& s : a.scripts) {
    if (s.path.empty()) broken("script with an empty path", text);
    sink = sink + exercise_path(s.path) + s.runner.size();
  }

  // The same command with $HOME known: never more unknown words.
  if (size < 4096) {
    ShellAnalysis h =
        analyze_shell(text, std::chrono::steady_clock::now() + std::chrono::milliseconds(1500), "/home/dev");
    if (h.opaque != !h.opaque_reasons.empty()) broken("with HOME: opaque flag and reasons disagree", text);
    for (const auto& c : h.commands)
      for (size_t i : c.dynamic_args)
        if (i >= c.args.size()) broken("with HOME: dynamic_args index out of range", c.program);
  }

  // The same bytes as a script file of another language.
  ShellAnalysis code = analyze_code("python3", text);
  if (code.opaque != !code.opaque_reasons.empty()) broken("analyze_code: opaque flag and reasons disagree", text);
  if (code.hosts.size() > 256) broken("analyze_code reported more than 256 hosts", text);
  for (const auto& r : code.redirections) {
    if (r.write) broken("analyze_code reported a write", r.path);
    sink = sink + exercise_path(r.path);
  }
  for (const auto& h : code.hosts)
    if (!valid_host(h)) broken("analyze_code: reported host is not canonical", h);

  sink = sink + exercise_url(text);
  sink = sink + exercise_path(text);
  (void)sink;
  return 0;
}
