// Helpers shared by the adapters in src/action (not part of the public API).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "action/action.h"
#include "analyze/shell.h"

namespace tollgate::action {

// A file action on `raw`, made absolute and normalised against env.
Action file_action(Kind kind, std::string_view raw, std::string_view tool, const Environment& env);

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

}  // namespace tollgate::action
