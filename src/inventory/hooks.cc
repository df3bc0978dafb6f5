#include "inventory/hooks.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"

namespace tollgate::inventory {

namespace fs = std::filesystem;
using action::Harness;
// Settings files keep their key order: a person's file should read the same
// after Tollgate's entries come and go.
using json = nlohmann::ordered_json;

std::string hook_config_path(Harness h, const Scope& scope, const std::string& home) {
  std::string base = scope.user ? home : scope.project_dir;
  switch (h) {
    case Harness::ClaudeCode: return base + "/.claude/settings.json";
    case Harness::Codex:
      if (scope.user) {
        const char* ch = std::getenv("CODEX_HOME");
        return (ch && *ch ? std::string(ch) : home + "/.codex") + "/hooks.json";
      }
      return base + "/.codex/hooks.json";
    case Harness::Cursor: return base + "/.cursor/hooks.json";
    case Harness::Gemini: return base + "/.gemini/settings.json";
    case Harness::Mcp: return {};
  }
  return {};
}

std::vector<std::string> hooked_events(Harness h) {
  switch (h) {
    case Harness::ClaudeCode:
      return {"PreToolUse", "PostToolUse", "PostToolUseFailure", "UserPromptSubmit", "SessionStart", "SessionEnd"};
    // Not Stop: a Stop hook that blocks keeps the agent going.
    case Harness::Codex: return {"PreToolUse", "PostToolUse", "UserPromptSubmit", "SessionStart", "SessionEnd"};
    case Harness::Cursor:
      return {"beforeShellExecution", "beforeMCPExecution", "beforeReadFile",     "afterShellExecution",
              "afterMCPExecution",    "afterFileEdit",      "beforeSubmitPrompt", "stop"};
    case Harness::Gemini: return {"BeforeTool", "AfterTool", "BeforeAgent", "SessionStart", "SessionEnd"};
    case Harness::Mcp: return {};
  }
  return {};
}

std::string hook_command(Harness h, const std::string& binary) {
  bool plain = binary.find_first_of(" \t'\"\\$`;&|<>()*?[]#~") == std::string::npos;
  std::string quoted = plain ? binary : "'" + binary + "'";
  if (!plain) {
    quoted = "'";
    for (char c : binary) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
  }
  std::string cmd = quoted + " hook " + std::string(action::harness_name(h));
  if (h == Harness::ClaudeCode || h == Harness::Codex) {
    // These harnesses let a tool run when a hook exits with anything but 2
    // (a missing binary, a crash): turn every failure into a block.
    cmd +=
        " || { rc=$?; [ $rc -eq 2 ] || echo \"Tollgate's hook failed (exit $rc); the action is denied\" >&2; exit 2; }";
  }
  return cmd;
}

namespace {

bool is_tollgate_command(const std::string& cmd, Harness h) {
  std::string mark = " hook " + std::string(action::harness_name(h));
  auto at = cmd.find(mark);
  if (at == std::string::npos || cmd.find("tollgate") == std::string::npos) return false;
  size_t end = at + mark.size();
  return end == cmd.size() || cmd[end] == ' ';
}

bool tool_event(const std::string& e) {
  return e == "PreToolUse" || e == "PostToolUse" || e == "BeforeTool" || e == "AfterTool";
}

Result<json> read_config(const std::string& path, bool& exists) {
  std::error_code ec;
  exists = fs::exists(path, ec);
  if (!exists) return json::object();
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return Error(path + ": cannot read");
  std::string text = ss.str();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  if (json_depth(text, 64) > 64) return Error(path + ": nested too deeply (the file was left unchanged)");
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    std::string msg = e.what();
    if (auto p = msg.find("] "); p != std::string::npos) msg = msg.substr(p + 2);
    return Error(path + ": " + msg + " (the file was left unchanged)");
  }
  if (!j.is_object()) return Error(path + ": expected a JSON object (the file was left unchanged)");
  return j;
}

Status write_config(const std::string& path, const json& j) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Error("cannot create `" + fs::path(path).parent_path().string() + "`: " + ec.message());
  std::string tmp = path + ".tollgate-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    out.close();
    if (!out) return Error("cannot write `" + tmp + "`");
  }
  // Keep the original file's permissions.
  if (fs::exists(path, ec)) fs::permissions(tmp, fs::status(path, ec).permissions(), ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Error("cannot replace `" + path + "`: " + ec.message());
  }
  return Status::Ok();
}

// The array of hook groups for `event`, created if needed.
json& event_array(json& root, const std::string& event) {
  json& hooks = root["hooks"];
  if (!hooks.is_object()) hooks = json::object();
  json& arr = hooks[event];
  if (!arr.is_array()) arr = json::array();
  return arr;
}

// Removes Tollgate entries from one event's array; true if any were removed.
bool strip(json& arr, Harness h) {
  bool removed = false;
  json kept = json::array();
  for (auto& group : arr) {
    if (h == Harness::Cursor) {
      if (group.is_object() && group.contains("command") && group["command"].is_string() &&
          is_tollgate_command(group["command"].get<std::string>(), h)) {
        removed = true;
        continue;
      }
      kept.push_back(group);
      continue;
    }
    if (group.is_object() && group.contains("hooks") && group["hooks"].is_array()) {
      json inner = json::array();
      for (auto& hk : group["hooks"]) {
        if (hk.is_object() && hk.contains("command") && hk["command"].is_string() &&
            is_tollgate_command(hk["command"].get<std::string>(), h)) {
          removed = true;
          continue;
        }
        inner.push_back(hk);
      }
      if (inner.empty()) continue;  // the group held only Tollgate
      group["hooks"] = inner;
    }
    kept.push_back(group);
  }
  arr = kept;
  return removed;
}

}  // namespace

Status install_hooks(Harness h, const std::string& path, const std::string& binary, int timeout_s) {
  bool exists = false;
  auto root = read_config(path, exists);
  if (!root) return std::move(root).error();
  json& j = *root;
  if (h == Harness::Cursor && !j.contains("version")) j["version"] = 1;
  std::string cmd = hook_command(h, binary);
  for (const auto& event : hooked_events(h)) {
    json& arr = event_array(j, event);
    strip(arr, h);
    json entry;
    switch (h) {
      case Harness::Cursor: entry = {{"command", cmd}, {"timeout", timeout_s}}; break;
      case Harness::Gemini:
        entry = {{"hooks",
                  json::array(
                      {{{"type", "command"}, {"command", cmd}, {"name", "tollgate"}, {"timeout", timeout_s * 1000}}})}};
        if (tool_event(event)) entry["matcher"] = "*";
        break;
      default:
        entry = {{"hooks", json::array({{{"type", "command"}, {"command", cmd}, {"timeout", timeout_s}}})}};
        if (tool_event(event)) entry["matcher"] = "*";
        break;
    }
    // First, so that Tollgate decides before other hooks see the call.
    arr.insert(arr.begin(), entry);
  }
  return write_config(path, j);
}

Result<bool> uninstall_hooks(Harness h, const std::string& path) {
  bool exists = false;
  auto root = read_config(path, exists);
  if (!root) return std::move(root).error();
  if (!exists) return false;
  json& j = *root;
  if (!j.contains("hooks") || !j["hooks"].is_object()) return false;
  bool removed = false;
  json& hooks = j["hooks"];
  for (auto it = hooks.begin(); it != hooks.end();) {
    if (it->is_array() && strip(*it, h)) {
      removed = true;
      if (it->empty()) {
        it = hooks.erase(it);
        continue;
      }
    }
    ++it;
  }
  if (!removed) return false;
  if (hooks.empty()) j.erase("hooks");
  if (h == Harness::Cursor && j.size() == 1 && j.contains("version")) j.erase("version");
  if (auto st = write_config(path, j); !st) return st.error();
  return true;
}

HookStatus inspect_hooks(Harness h, const std::string& path, const std::string& binary) {
  HookStatus s;
  bool exists = false;
  auto root = read_config(path, exists);
  s.file_exists = exists;
  if (!root) {
    s.error = root.error().message;
    return s;
  }
  const json& j = *root;
  std::string want = hook_command(h, binary);
  s.points_here = true;
  for (const auto& event : hooked_events(h)) {
    bool found = false;
    if (j.contains("hooks") && j["hooks"].is_object() && j["hooks"].contains(event) && j["hooks"][event].is_array()) {
      for (const auto& group : j["hooks"][event]) {
        std::vector<const json*> entries;
        if (h == Harness::Cursor) {
          entries.push_back(&group);
        } else if (group.is_object() && group.contains("hooks") && group["hooks"].is_array()) {
          for (const auto& hk : group["hooks"]) entries.push_back(&hk);
        }
        for (const json* e : entries) {
          if (!e->is_object() || !e->contains("command") || !(*e)["command"].is_string()) continue;
          std::string cmd = (*e)["command"].get<std::string>();
          if (!is_tollgate_command(cmd, h)) continue;
          found = true;
          if (std::find(s.commands.begin(), s.commands.end(), cmd) == s.commands.end()) s.commands.push_back(cmd);
          if (cmd != want) s.points_here = false;
        }
      }
    }
    (found ? s.events_hooked : s.events_missing).push_back(event);
  }
  if (s.commands.empty()) s.points_here = false;
  return s;
}

}  // namespace tollgate::inventory
