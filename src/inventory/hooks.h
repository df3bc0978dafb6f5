// Tollgate's hooks in each harness's configuration file: where the file is,
// installing and removing Tollgate's entries while preserving everything
// else in it, and inspecting what is there (docs/hooks.md).
//
//   Claude Code  <project>/.claude/settings.json   ~/.claude/settings.json
//   Codex        <project>/.codex/hooks.json       $CODEX_HOME/hooks.json (~/.codex)
//   Cursor       <project>/.cursor/hooks.json      ~/.cursor/hooks.json
//   Gemini CLI   <project>/.gemini/settings.json   ~/.gemini/settings.json
//
// Files are rewritten atomically (temporary file + rename) with their other
// keys untouched; a file that is not valid JSON is refused, never
// overwritten. Tollgate's entries are recognised by their command, which
// runs `<tollgate binary> hook <harness>`.
#pragma once

#include <string>
#include <vector>

#include "action/action.h"
#include "base/result.h"

namespace tollgate::inventory {

struct Scope {
  bool user = false;        // the user-wide file
  std::string project_dir;  // else this project's file
};

// The configuration file for a harness and scope.
std::string hook_config_path(action::Harness h, const Scope& scope, const std::string& home);

// The events Tollgate hooks for a harness, in its own names.
std::vector<std::string> hooked_events(action::Harness h);

// The command line a harness runs: "<binary> hook <harness>".
std::string hook_command(action::Harness h, const std::string& binary);

Status install_hooks(action::Harness h, const std::string& path, const std::string& binary, int timeout_s = 10);
// Removes Tollgate's entries (any binary); true when something was removed.
Result<bool> uninstall_hooks(action::Harness h, const std::string& path);

struct HookStatus {
  bool file_exists = false;
  std::vector<std::string> events_hooked;   // events with a Tollgate entry
  std::vector<std::string> events_missing;  // events Tollgate should hook but does not
  std::vector<std::string> commands;        // Tollgate commands found
  bool points_here = false;                 // every Tollgate entry runs `binary`
  std::string error;                        // unreadable or invalid file
  bool installed() const { return !events_hooked.empty(); }
};
HookStatus inspect_hooks(action::Harness h, const std::string& path, const std::string& binary);

}  // namespace tollgate::inventory
