// `tollgate install|uninstall <harness> [--project DIR | --user]` and
// `tollgate doctor`: Tollgate's hooks in the harnesses' configuration
// (inventory/hooks.h), and a check that they are installed, run this
// binary, and reach a daemon that answers.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>

#include "base/json.h"
#include "cli/commands.h"
#include "inventory/hooks.h"
#include "server/protocol.h"

namespace tollgate::cli {

std::string self_binary();  // serve_cmd.cc

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string home() {
  const char* h = std::getenv("HOME");
  return h && *h ? h : "/";
}

struct Target {
  std::string harness;
  std::string project;
  bool user = false;
};

Result<std::pair<action::Harness, std::string>> resolve(const Target& t) {
  auto h = action::parse_harness(t.harness);
  if (!h || *h == action::Harness::Mcp)
    return Error("unknown harness `" + t.harness + "`; expected claude-code, codex, cursor or gemini");
  inventory::Scope scope;
  scope.user = t.user;
  std::error_code ec;
  scope.project_dir = fs::absolute(t.project.empty() ? "." : t.project, ec).lexically_normal().string();
  if (!scope.project_dir.empty() && scope.project_dir.size() > 1 && scope.project_dir.back() == '/')
    scope.project_dir.pop_back();
  return std::pair{*h, inventory::hook_config_path(*h, scope, home())};
}

void add_target_options(CLI::App* cmd, Target& t) {
  cmd->add_option("harness", t.harness, "claude-code, codex, cursor or gemini")->required();
  auto* p =
      cmd->add_option("--project", t.project, "The project whose configuration to change (default: this directory)");
  auto* u = cmd->add_flag("--user", t.user, "Change the user-wide configuration instead");
  p->excludes(u);
}

}  // namespace

void add_install_commands(CLI::App& app, int& exit_code) {
  auto inst = std::make_shared<Target>();
  auto* install = app.add_subcommand("install", "Write Tollgate's hooks into a harness's configuration");
  add_target_options(install, *inst);
  install->callback([inst, &exit_code] {
    auto r = resolve(*inst);
    if (!r) {
      std::cerr << "tollgate install: " << r.error().message << "\n";
      exit_code = 2;
      return;
    }
    auto [h, path] = *r;
    std::string bin = self_binary();
    if (auto st = inventory::install_hooks(h, path, bin); !st) {
      std::cerr << "tollgate install: " << st.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "installed Tollgate's hooks for " << action::harness_name(h) << " in " << path
              << "\n  runs: " << inventory::hook_command(h, bin) << "\n";
    if (h == action::Harness::Codex)
      std::cout << "  note: Codex skips hooks it does not trust; trust this project (or run with "
                   "--dangerously-bypass-hook-trust) and check with `tollgate doctor`\n";
    if (h == action::Harness::Gemini)
      std::cout << "  note: Gemini CLI runs hooks only in trusted folders; trust this folder\n";
  });

  auto un = std::make_shared<Target>();
  auto* uninstall = app.add_subcommand("uninstall", "Remove Tollgate's hooks from a harness's configuration");
  add_target_options(uninstall, *un);
  uninstall->callback([un, &exit_code] {
    auto r = resolve(*un);
    if (!r) {
      std::cerr << "tollgate uninstall: " << r.error().message << "\n";
      exit_code = 2;
      return;
    }
    auto [h, path] = *r;
    auto removed = inventory::uninstall_hooks(h, path);
    if (!removed) {
      std::cerr << "tollgate uninstall: " << removed.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << (*removed ? "removed Tollgate's hooks from " : "no Tollgate hooks in ") << path << "\n";
  });

  struct DoctorArgs {
    std::string project;
    bool json = false;
  };
  auto da = std::make_shared<DoctorArgs>();
  auto* doctor = app.add_subcommand("doctor", "Check each harness's hooks and whether the daemon answers");
  doctor->add_option("--project", da->project, "The project to check (default: this directory)");
  doctor->add_flag("--json", da->json, "Print the report as JSON");
  doctor->callback([da, &exit_code] {
    std::string bin = self_binary();
    std::string socket = server::default_socket();
    auto ping = server::call_daemon(socket, R"({"v":1,"op":"status","bytes":0})", "", 2000);
    json report = {{"binary", bin}, {"socket", socket}};
    bool daemon_ok = false;
    if (ping) {
      auto j = parse_json(*ping, "ping", 8);
      daemon_ok = j && j->is_object() && j->value("ok", false);
      report["daemon"] =
          daemon_ok
              ? json{{"ok", true}, {"pack", j->value("pack", std::string())}, {"pid", j->value("pid", int64_t{0})}}
              : json{{"ok", false}, {"error", "unexpected answer: " + *ping}};
      if (daemon_ok && j->contains("harnesses")) report["seen"] = (*j)["harnesses"];
    } else {
      report["daemon"] = {{"ok", false}, {"error", ping.error().message}};
    }
    json harnesses = json::array();
    bool any_installed = false, all_point_here = true;
    for (auto h :
         {action::Harness::ClaudeCode, action::Harness::Codex, action::Harness::Cursor, action::Harness::Gemini}) {
      for (bool user : {false, true}) {
        Target t{std::string(action::harness_name(h)), da->project, user};
        auto r = resolve(t);
        if (!r) continue;
        auto st = inventory::inspect_hooks(h, r->second, bin);
        if (!st.file_exists && !user) continue;
        json e = {
            {"harness", action::harness_name(h)}, {"scope", user ? "user" : "project"}, {"file", r->second},
            {"exists", st.file_exists},           {"installed", st.installed()},        {"points_here", st.points_here},
            {"events_missing", st.events_missing}};
        if (!st.error.empty()) e["error"] = st.error;
        if (report.contains("seen") && report["seen"].contains(std::string(action::harness_name(h)))) {
          const auto& seen = report["seen"][std::string(action::harness_name(h))];
          e["sessions_seen"] = seen.value("sessions", int64_t{0});
          e["last_seen_ms"] = seen.value("last_seen_ms", int64_t{0});
        }
        if (st.installed()) {
          any_installed = true;
          all_point_here = all_point_here && st.points_here;
          if (h == action::Harness::Codex)
            e["warning"] =
                "Codex skips untrusted hooks silently: trust the project or the hooks, then confirm a "
                "session_start appears in `tollgate status`";
          if (h == action::Harness::Gemini)
            e["warning"] = "Gemini CLI runs hooks only in trusted folders (and never with --skip-trust)";
        }
        harnesses.push_back(std::move(e));
      }
    }
    report["harnesses"] = harnesses;
    if (da->json) {
      std::cout << report.dump(2) << "\n";
    } else {
      std::cout << "tollgate binary: " << bin << "\n";
      if (daemon_ok)
        std::cout << "daemon:          ok at " << socket << " (policy pack "
                  << report["daemon"]["pack"].get<std::string>() << ")\n";
      else
        std::cout << "daemon:          NOT REACHABLE at " << socket << ": "
                  << report["daemon"]["error"].get<std::string>()
                  << "\n                 hooks deny every action until `tollgate serve` runs\n";
      for (const auto& e : harnesses) {
        std::string state = !e.value("error", std::string()).empty() ? "ERROR: " + e["error"].get<std::string>()
                            : !e["installed"].get<bool>()            ? "not installed"
                            : !e["points_here"].get<bool>()          ? "installed, but runs another tollgate binary"
                            : !e["events_missing"].empty()           ? "installed, some events missing"
                                                                     : "installed";
        std::cout << e["harness"].get<std::string>() << " (" << e["scope"].get<std::string>() << "): " << state << "  ["
                  << e["file"].get<std::string>() << "]\n";
        if (e["installed"].get<bool>()) {
          if (e.contains("last_seen_ms")) {
            int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
            int64_t ago = (now - e["last_seen_ms"].get<int64_t>()) / 60000;
            std::cout << "  hooks fire: " << e["sessions_seen"].get<int64_t>() << " session(s), the last seen "
                      << (ago < 1 ? std::string("under a minute") : std::to_string(ago) + " min") << " ago\n";
          } else {
            std::cout << "  no session of this harness has reached the daemon yet: start one to prove the hooks fire\n";
          }
        }
        if (e.contains("warning") && e["installed"].get<bool>())
          std::cout << "  note: " << e["warning"].get<std::string>() << "\n";
      }
    }
    exit_code = daemon_ok && (!any_installed || all_point_here) ? 0 : 1;
  });
}

}  // namespace tollgate::cli
