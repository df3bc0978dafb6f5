// Helpers shared by the adapters in src/action (not part of the public API).
#pragma once

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "action/action.h"
#include "analyze/shell.h"

namespace tollgate::action {

// Whether a value the agent sets (a variable on the command line) is plain
// text: letters, digits, blanks and `._+=,:@%/-` — no shell syntax, quotes,
// globs or expansions that could change what a script that uses it runs.
bool plain_value(std::string_view v);

// Whether `text` holds `word` delimited by characters that cannot be part
// of an identifier.
bool mentions_word(std::string_view text, std::string_view word);

// A file action on `raw`, made absolute and normalised against env.
Action file_action(Kind kind, std::string_view raw, std::string_view tool, const Environment& env);
// Marks a file action as reaching everything beneath its path (a recursive
// search, archive, copy or removal), and says so in its summary.
void mark_tree(Action& a);
// A name glob that says nothing of the name (`*`, `.*`, `**`): it selects
// any file.
inline bool any_name(std::string_view glob) { return glob.find_first_not_of("*?.") == std::string_view::npos; }
// Each file read taken whole with a known scope (Action::tree_scope) is
// looked through with env.tree: the labelled files beneath it that its
// program reads are read too (shell_actions.cc).
void expand_trees(std::vector<Action>& out, const Environment& env);
// The mount points in /proc/PID/mountinfo text whose file systems are served
// by a process or over the network (fuse*, nfs, cifs, smb): a walk does not
// enter them (tree_walk.cc).
std::vector<std::string> remote_mount_points(std::string_view mountinfo);
// Marks opaque each action on a path on a file system served by a process
// (analyze::on_process_served_mount), when env resolves links.
void mark_served_paths(std::vector<Action>& actions, const Environment& env);
// Those mounted now, and whether `path` (absolute) lies on one of them: the
// script reader and the glob expander do not open what is there.
std::vector<std::string> remote_mounts();
bool on_remote_mount(std::string_view path, const std::vector<std::string>& mounts);
// Whether `path`, or where its links lead, is on one of `mounts` or on a
// FUSE mount known by its ID: a look-up or open there can wait for ever.
bool leads_onto_remote_mount(const std::string& path, const std::vector<std::string>& mounts);
// The path a `file:` URI names, as client libraries read it (any case,
// with or without an authority, escapes decoded, query and fragment
// dropped, cut at a NUL); nullopt when `v` is no file URI.
std::optional<std::string> file_uri_path(std::string_view v);

// Whether `s` starts with `lower_prefix` (given in lower case), ignoring case.
inline bool starts_with_ci(std::string_view s, std::string_view lower_prefix) {
  if (s.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i)
    if (lower_prefix[i] != static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])))) return false;
  return true;
}

// Fetching `url_text` (opaque, host "unknown", when it names no host).
Action net_action(std::string_view url_text, std::string_view tool);
// Every http(s) URL in free text, the scheme in any case.
std::vector<std::string> urls_in_text(std::string_view text);

// The directory above `dir` ("/" for "/" and top-level entries).
inline std::string parent_dir(const std::string& dir) {
  auto slash = dir.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
}

// What a git remote named only by name reaches (git_remotes.cc): its hosts
// and URLs from the repository's configuration, read through
// env.read_script from the command's directory `cwd`; opaque when the
// configuration names a transport that runs a command or a URL that cannot
// be read. Empty without a reader or outside a repository.
struct RemoteTargets {
  std::vector<std::string> hosts, urls;
  bool opaque = false;
};
RemoteTargets git_remote_targets(const analyze::GitRemote& r, const std::string& cwd, const Environment& env);

// The shell a project task runs (project_tasks.cc): package.json's scripts
// or a Makefile's recipes (make references as unknown expansions), each
// with a label naming the file, found from `cwd` and read through
// env.read_script. `recent` as the project file's; `opaque` when the file
// cannot be read or parsed, the task or file is computed, or (for a recent
// file) a target is made by rules Tollgate does not follow.
struct TaskScripts {
  std::vector<std::pair<std::string, std::string>> scripts;  // label, shell text
  std::string dir;                                           // where the project file is: the scripts' directory
  bool recent = false;
  bool opaque = false;
};
TaskScripts project_task_scripts(const analyze::TaskRun& t, const std::string& cwd, const Environment& env);

}  // namespace tollgate::action
