// Shell command analysis: what a command line given to an agent's shell
// tool would actually do. The command is parsed with tree-sitter's bash
// grammar; every simple command is found wherever it hides (lists,
// pipelines, subshells, `{ }` groups, if/while/for/case bodies, function
// bodies, command and process substitutions, backticks, `bash -c`, `eval`,
// here-documents and strings fed to a shell, and wrappers such as `env`,
// `sudo`, `xargs`, `nohup`, `timeout`), with the files it redirects to and
// from, the URLs and hosts it names, and the patterns that matter to policy
// (download-and-execute). src/analyze/README.md describes every rule.
//
// The agent is the adversary: anything the analyser cannot resolve with
// confidence (unknown expansions in a program position, a script for a
// nested shell that is computed, unparsable text, nesting deeper than the
// cap, an encoded script piped to a shell) marks the result opaque, with
// reasons, so a policy can ask a human instead of guessing. Work is bounded:
// 1 MiB of command, 1.5 s and 128 MiB of parsing, nesting depth 8; past any
// limit the result is opaque. Pure functions (the parser's memory goes
// through a tracking allocator installed into tree-sitter on first use);
// thread-safe; never throws.
//
// Words. Quotes and escapes are resolved (`'a b'`, `"a\"b"`, `$'\x41'`,
// `a\ b`, `c\url`, line continuations). A word holding an expansion
// (`$X`, `${X}`, `$(…)`, backticks, `$((…))`, `<(…)`) is kept with its
// static parts unquoted and its dynamic parts as written (`"$HOME/a b"` →
// `$HOME/a b`) and its index is listed in dynamic_args; so is a word with an
// unquoted glob (`*`, `?`, `[`), whose real value depends on the file
// system. Brace expansion (`f{,.bak}`, `{1..3}`) is done as bash does it,
// except in the program word. In the program position an expansion, glob or
// brace makes the command opaque ("program is computed: $X").
//
// Wrappers are peeled and the command they run is reported in their place,
// with the wrapper named in `wrappers`: sudo, doas, pkexec, su -c, runuser,
// env, nohup, setsid, timeout, nice, ionice, chrt, taskset, time, command,
// builtin, exec, stdbuf, unbuffer, xargs, chroot, flock, watch, script -c,
// busybox, gosu, su-exec, proxychains, torsocks, firejail; `bash|sh|zsh|
// dash|ksh|mksh|ash|yash|fish -c` and `eval` (their script is parsed as
// commands, labelled "bash -c", "eval"). Scripts a command defines or runs
// later are analysed too, labelled by their source: `trap '…'`, `alias
// x='…'`, `find -exec`, `git rebase --exec`, `git submodule foreach`, `ssh
// -o ProxyCommand=…`, `rsync -e …`, `nc -e/-c`, `socat EXEC:/SYSTEM:`, and
// a script fed to a shell on stdin ("sh stdin": `echo … | sh`, here-docs,
// here-strings) or as a file ("bash script": `bash <(…)`, `sh x` after
// `cat > x <<EOF`).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tollgate::analyze {

// An argument whose only unknown part is an unquoted file-name glob (`*`,
// `?`, `[…]`; no expansion, no brace expansion): bash replaces it with the
// names it matches, or leaves it as written when none does. The caller may
// expand it against the file system (action/shell_actions.cc does).
struct GlobArg {
  std::size_t arg = 0;  // index into SimpleCommand::args
  std::string pattern;  // glob(7)/fnmatch(3) syntax: quoted metacharacters escaped with `\`
};

struct SimpleCommand {
  std::string program;                    // as written after unwrapping ("git", "/usr/bin/curl")
  std::string name;                       // basename of program ("curl" for "/usr/bin/curl"); what policy should match
  std::vector<std::string> args;          // words after the program, quotes removed where static
  std::vector<std::size_t> dynamic_args;  // indices into args of words holding expansions or globs
  std::vector<GlobArg> globs;             // those of dynamic_args that are plain globs
  bool opaque_beyond_args = false;        // opaque for more than its words: a computed program, input to xargs
  bool risky_args = false;  // a word evaluates a value as code: arithmetic, `${X@P}`, `${!X}` (no program is inert)
  std::vector<std::string> assignments;  // NAME=value prefixes (also those given to env/sudo)
  std::vector<std::string> wrappers;     // wrappers peeled off, outermost first ("sudo", "bash -c")
  bool opaque = false;                   // program or arguments not statically known (dynamic words, xargs input)
  bool stdin_seen = false;               // its standard input is text the analysis read, or a file it names
  std::string stdin_code;                // that text (the first 64 KiB), when it is text
  // Run by `find … -exec`: the files `{}` stands for — `ROOT/**` (any file
  // beneath ROOT) and `ROOT/NAME` (the -name patterns); empty: unknown.
  std::vector<std::string> found;
};

// A file the command line reads or writes: redirection targets, and the
// files named to tee, dd (if=/of=), curl (-o, -O, -T, -d @f, -F x=@f …) and
// wget (-O, the saved name, -i …).
struct Redirection {
  std::string path;      // as written (not yet normalised)
  bool write = false;    // >, >>, &>, &>>, >|, >&file, tee, curl -o … (false: <, curl -T …)
  bool append = false;   // >>, &>>, tee -a
  bool dynamic = false;  // the target holds expansions: path is as written, the result is opaque
};

// A file the command runs as a script or program whose text the analyser
// has not seen (it was not written earlier on the same command line): the
// caller may read it and analyse it (action/shell_actions.cc does, with
// analyze_shell for shell scripts and analyze_code for other interpreters).
struct ScriptRun {
  std::string path;      // as written
  std::string runner;    // the shell or interpreter named ("bash", "python3", "source"); empty: run as a program
  bool dynamic = false;  // the path holds expansions: as written
};

// A git command that contacts a remote it names only by name (`git push
// attacker`) or not at all (`git pull`: the branch's remote): its URL is in
// the repository's configuration, which the caller may read
// (action/git_remotes.cc does).
struct GitRemote {
  std::string name;  // empty: the current branch's remote
  std::string dir;   // `git -C DIR`, as written; empty: the working directory
  bool dir_dynamic = false;
  bool push = false;  // push (pushurl, pushInsteadOf) rather than fetch
};

// A task a build tool runs from its project file: `npm test`, `npm run
// build`, `yarn lint`, `pnpm run x`, `bun run x` (package.json's scripts),
// `npm install` with no packages (the project's own install scripts),
// `make [target…]` (a Makefile's recipes). The caller may read the file
// (action/project_tasks.cc does).
struct TaskRun {
  std::string tool;                // "npm", "pnpm", "yarn", "bun", "make"
  std::vector<std::string> names;  // scripts or targets; make: empty is the default goal
  std::string file;                // make -f FILE; empty: the tool's default
  std::string dir;                 // -C DIR, --prefix DIR, --cwd DIR; empty: the working directory
  bool dynamic = false;            // a name, the file or the directory is computed
  // make: variables given on its command line (`make CC=clang V=1`), as
  // written; and the NAME=value assignments of the command line that may
  // reach its environment (prefixes, env, export, earlier assignments).
  std::vector<std::string> variables;
  std::vector<std::string> environment;
  bool environment_overrides = false;  // make -e: the environment beats the makefile
};

struct ShellAnalysis {
  std::vector<SimpleCommand> commands;  // in source order, innermost commands included
  std::vector<Redirection> redirections;
  std::vector<std::string> urls;   // every URL found in arguments of network programs (deduplicated)
  std::vector<std::string> hosts;  // hosts of those URLs and of ssh/scp/rsync/nc/git remotes, lowercased (deduplicated)
  std::vector<std::string> assignments;  // NAME=value that outlive one command: bare, export/declare/local/readonly
  bool download_exec = false;  // e.g. `curl … | sh`, `bash <(curl …)`, `sh -c "$(wget -O- …)"`, `curl -o x … && sh x`
  std::vector<ScriptRun> scripts;      // files run as scripts or programs (deduplicated)
  std::vector<GitRemote> git_remotes;  // remotes named, not spelled out (at most 16)
  std::vector<TaskRun> tasks;          // project tasks run (at most 16)
  // analyze_code: the modules the code loads that may be local files, as
  // written: Python's dotted names (`pkg.mod`, `.sibling`, and for `from X
  // import a` both `X` and `X.a`), Node's and Ruby's relative specifiers
  // (`./lib/x`). At most 256; more is opaque.
  std::vector<std::string> imports;
  bool opaque = false;
  std::vector<std::string> opaque_reasons;
  bool known_overridden = false;  // the text sets a variable the caller gave (KnownVariables): later uses are unknown
};

// Whether a program of this name runs shell scripts (sh, bash, zsh …), or
// code analyze_code reads (python3, node, perl, ruby, php …).
bool runs_shell_code(std::string_view program);
bool runs_other_code(std::string_view program);

// Analyses one command line. Never fails: malformed input yields an opaque
// result with a reason.
ShellAnalysis analyze_shell(std::string_view command);
// The same with the parsing time bounded by `deadline` instead (a command
// and the scripts it runs share one budget).
ShellAnalysis analyze_shell(std::string_view command, std::chrono::steady_clock::time_point deadline);
// The same with the values of `$HOME` and `$PWD` known (empty: unknown):
// `$HOME`, `${HOME}`, `$PWD`, `${PWD}` stand for them wherever they appear
// (unquoted, only when the value has no blanks or glob characters). `pwd`
// is the directory the command starts in: a caller must not pass it for a
// command that changes directory (cd, pushd, popd), where `$PWD` moves.
ShellAnalysis analyze_shell(std::string_view command, std::chrono::steady_clock::time_point deadline,
                            std::string_view home, std::string_view pwd = {});
// Variables whose values the caller knows for this text: what a command line
// gives a script it runs (its environment's NAME=value, its arguments as
// "1", "2" …). `$NAME`, `${NAME}` stand for them; unquoted and alone in a
// word, a value is split into words at blanks, as bash does (one holding
// glob characters stays unknown).
using KnownVariables = std::vector<std::pair<std::string, std::string>>;
ShellAnalysis analyze_shell(std::string_view command, std::chrono::steady_clock::time_point deadline,
                            std::string_view home, std::string_view pwd, const KnownVariables& known);

// The code of a script file run by `interpreter` (python3, node, perl …):
// Tollgate does not follow another language, but what the code names is
// taken as named — every URL in it is a network target (urls, hosts), every
// quoted string that looks like a path a file it may read (redirections,
// reads only) — and code that uses the network or runs programs with no
// URL in it is opaque. Bounded like analyze_shell; never fails.
ShellAnalysis analyze_code(std::string_view interpreter, std::string_view code);

}  // namespace tollgate::analyze
