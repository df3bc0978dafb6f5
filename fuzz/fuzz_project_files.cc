// libFuzzer target: the project files a shell command makes Tollgate read —
// a repository's git configuration (the host behind a remote named only by
// name, src/action/git_remotes.cc), package.json's scripts and a Makefile's
// recipes (src/action/project_tasks.cc), and a script file run by name. The
// input is all of them at once (.git/config, ~/.gitconfig, package.json,
// Makefile, run.sh); git, npm, make and script commands are decided against
// it. Every host reported must be canonical; any crash, sanitizer report or
// hang is a finding. Links tollgate_action.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "action/action.h"
#include "analyze/url.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tollgate::action;
  const std::string config(reinterpret_cast<const char*>(data), size);
  Environment env{"/r/src", "/home/dev", false, {}, {}};
  env.read_script = [&](const std::string& path) {
    ScriptFile f;
    if (path == "/r/.git") {
      f.state = ScriptFile::State::Directory;
    } else if (path == "/r/.git/config" || path == "/home/dev/.gitconfig" || path == "/r/src/package.json" ||
               path == "/r/src/Makefile" || path == "/r/src/run.sh") {
      f.state = ScriptFile::State::Text;
      f.text = config;
    } else if (path == "/r/.git/HEAD") {
      f.state = ScriptFile::State::Text;
      f.text = "ref: refs/heads/main\n";
    }
    return f;
  };
  for (const char* cmd :
       {"git push", "git push origin", "git fetch backup", "npm test", "yarn build", "make", "make test",
        "make CC=clang OPTS='a | b' all", "X='$(y)' ./run.sh", "./run.sh", "python3 run.sh"}) {
    for (const auto& a : shell_actions(cmd, "Bash", env)) {
      if (a.kind == Kind::NetFetch && !tollgate::analyze::valid_host(a.host)) {
        std::fprintf(stderr, "invariant broken: non-canonical host %s\n", a.host.c_str());
        std::abort();
      }
    }
  }
  return 0;
}
