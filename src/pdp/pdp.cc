#include "pdp/pdp.h"

#include <regex.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <utility>

#include "analyze/paths.h"
#include "analyze/url.h"
#include "cedar/authorizer.h"
#include "cedar/entities.h"
#include "cedar/extensions.h"

namespace tollgate::pdp {

using action::Action;
using action::Kind;
using cedar::EntityUID;
using cedar::Value;

std::string_view effect_name(Effect e) {
  switch (e) {
    case Effect::Allow: return "allow";
    case Effect::Deny: return "deny";
    case Effect::Ask: return "ask";
  }
  return "deny";
}

namespace {

// Whether `kill ARGS` names this process (the daemon) or its process group.
bool signals_this_process(const std::vector<std::string>& args) {
  const std::string pid = std::to_string(::getpid()), group = "-" + std::to_string(::getpgrp());
  for (const auto& a : args)
    if (a == pid || a == group || a == "-" + pid) return true;
  return false;
}

// This process's name and command line, as pkill and killall match them.
const std::pair<std::string, std::string>& this_process() {
  static const std::pair<std::string, std::string> self = [] {
    std::pair<std::string, std::string> out;
    std::ifstream comm("/proc/self/comm");
    std::getline(comm, out.first);
    std::ifstream cmd("/proc/self/cmdline", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    std::replace(all.begin(), all.end(), '\0', ' ');
    out.second = all;
    return out;
  }();
  return self;
}

// Whether the POSIX extended regular expression `pattern` — what pkill,
// pgrep and `killall -r` take, compiled by the same C library they use —
// matches any of `texts`. One that cannot be compiled, or whose cost the C
// library does not bound (back-references, a very long pattern), counts as
// matching.
bool ere_may_match(const std::string& pattern, bool icase, const std::vector<std::string_view>& texts) {
  if (pattern.size() > 256) return true;
  for (size_t i = 0; i + 1 < pattern.size(); ++i)
    if (pattern[i] == '\\' && pattern[i + 1] >= '1' && pattern[i + 1] <= '9') return true;
  regex_t re;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) != 0) return true;
  bool hit = false;
  for (std::string_view t : texts) hit = hit || regexec(&re, std::string(t).c_str(), 0, nullptr, 0) == 0;
  regfree(&re);
  return hit;
}

// Whether the patterns of `pkill`/`killall` may select this process (or
// another of Tollgate's: the daemon, hooks, MCP wrappers). pkill's
// patterns are regular expressions matched against the name (with -f the
// command line); killall's are names (regular expressions with -r). A
// negated match (`-v`), an empty pattern, or processes chosen by owner,
// group, parent, session or terminal with no pattern to narrow them select
// it as far as Tollgate can tell.
bool pattern_may_match_this_process(const action::CommandInfo& c) {
  const auto& [comm, cmdline] = this_process();
  const bool killall = c.name == "killall";
  bool full = false, icase = false, regex = !killall, by_owner = false;
  std::vector<std::string> patterns;
  // Options whose value is the next word (or the rest of the word), and
  // those that select processes on their own (procps pkill; psmisc killall).
  const std::string_view valued = killall ? "uoysn" : "dgGPstuUFqrO";
  const std::string_view selecting = killall ? "uoy" : "gGPstuUFrOH";
  bool options_done = false;
  for (size_t i = 0; i < c.args.size(); ++i) {
    const std::string& a = c.args[i];
    if (options_done || a.empty() || a[0] != '-' || a == "-") {
      patterns.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a[1] == '-') {
      std::string name = a.substr(0, a.find('='));
      if (name == "--full") full = true;
      if (name == "--ignore-case") icase = true;
      if (name == "--regexp") regex = true;
      if (name == "--inverse") return true;
      static const std::set<std::string_view> selects = {
          "--euid",       "--uid",          "--group",     "--pgroup", "--parent", "--session",
          "--terminal",   "--user",         "--pidfile",   "--ns",     "--nslist", "--older",
          "--older-than", "--younger-than", "--runstates", "--cgroup", "--env",    "--require-handler"};
      const bool owner = selects.count(name) != 0;
      by_owner = by_owner || owner;
      if ((owner || name == "--signal" || name == "--delimiter" || name == "--queue") && name != "--require-handler" &&
          a.find('=') == std::string::npos)
        ++i;
      continue;
    }
    // A signal: -9, -KILL, -SIGTERM (by its name: `-FPID` is -F PID).
    static const std::set<std::string_view> signals = {
        "HUP",  "INT",  "QUIT", "ILL",    "TRAP",   "ABRT",  "BUS",  "FPE",  "KILL", "USR1", "SEGV",
        "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD",  "CONT", "STOP", "TSTP", "TTIN", "TTOU",
        "URG",  "XCPU", "XFSZ", "VTALRM", "PROF",   "WINCH", "IO",   "POLL", "PWR",  "SYS",  "IOT"};
    std::string_view sig = std::string_view(a).substr(1);
    if (sig.substr(0, 3) == "SIG") sig.remove_prefix(3);
    if (std::all_of(a.begin() + 1, a.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }) ||
        signals.count(sig))
      continue;
    for (size_t k = 1; k < a.size(); ++k) {
      char f = a[k];
      if (f == 'f' && !killall) full = true;
      if ((f == 'i' && !killall) || (f == 'I' && killall)) icase = true;
      if (f == 'r' && killall) regex = true;
      if (f == 'v' && !killall) return true;
      by_owner = by_owner || selecting.find(f) != std::string_view::npos;
      if (valued.find(f) != std::string_view::npos) {
        if (k + 1 == a.size()) ++i;  // the value is the next word
        break;
      }
    }
  }
  if (patterns.empty()) return by_owner || killall;
  std::vector<std::string_view> texts = {comm, "tollgate"};
  if (full) texts.insert(texts.end(), {cmdline, "tollgate serve", "tollgate mcp", "tollgate hook"});
  for (const auto& p : patterns) {
    if (p.empty()) return true;  // matches every process
    if (regex) {
      if (ere_may_match(p, icase, texts)) return true;
      continue;
    }
    auto lower = [](std::string v) {
      for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return v;
    };
    const std::string name = icase ? lower(p) : p;
    if ((icase ? lower(comm) : comm).find(name) != std::string::npos ||
        std::string("tollgate").find(name) != std::string::npos)
      return true;
  }
  return false;
}

constexpr std::string_view kNs = "Tollgate::";

EntityUID uid(std::string_view type, std::string id) {
  return EntityUID(std::string(kNs) + std::string(type), std::move(id));
}

Value str_set(const std::vector<std::string>& v) {
  cedar::SetElems e;
  e.reserve(v.size());
  for (const auto& s : v) e.emplace_back(s);
  return Value::set(std::move(e));
}

template <class C>
Value str_set_of(const C& c) {
  cedar::SetElems e;
  for (const auto& s : c) e.emplace_back(s);
  return Value::set(std::move(e));
}

bool has(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

bool is_temp(std::string_view path) {
  for (std::string_view d : {"/tmp", "/var/tmp", "/dev/shm"})
    if (session::path_within(path, d)) return true;
  return false;
}

// Paths whose wholesale deletion or permission change wrecks a machine or
// an account: "/", top-level directories, "/home", the home directory.
bool is_broad(std::string_view path, std::string_view home) {
  if (path == "/" || path == home) return true;
  if (path.size() > 1 && path.find('/', 1) == std::string_view::npos) return true;  // "/usr", "/etc", "/home"
  return false;
}

// Whether a session's directory can stand for its workspace: not `/`, not
// one that holds the home directory (a harness started in `~` or with a
// cwd of its own choosing, as Codex reports it), not a top-level system
// directory. Otherwise nothing is "in the workspace".
bool is_workspace(std::string_view cwd, std::string_view home) {
  if (cwd.empty() || cwd == "/") return false;
  if (!home.empty() && session::path_within(home, cwd)) return false;
  static const std::set<std::string_view> system = {"/etc",   "/usr",  "/bin",  "/sbin", "/lib", "/lib32",
                                                    "/lib64", "/boot", "/var",  "/proc", "/sys", "/dev",
                                                    "/root",  "/run",  "/home", "/opt",  "/snap"};
  return !system.count(cwd);
}

Value command_value(const Action& a) {
  const action::CommandInfo empty;
  const action::CommandInfo& c = a.command ? *a.command : empty;
  return Value::record({{"program", Value(c.program)},
                        {"name", Value(c.name)},
                        {"args", str_set(c.args)},
                        {"line", Value(c.line)},
                        {"subcommand", Value(c.subcommand)},
                        {"flags", str_set(c.flags)},
                        {"wrappers", str_set(c.wrappers)},
                        {"full", Value(a.full_command)}});
}

std::string_view target_kind(Kind k) {
  switch (k) {
    case Kind::ShellExec: return "command";
    case Kind::FileRead:
    case Kind::FileWrite:
    case Kind::FileDelete: return "path";
    case Kind::NetFetch: return "host";
    case Kind::McpCall:
    case Kind::McpList: return "mcp";
    case Kind::CredRequest: return "credential";
    case Kind::AgentSpawn: return "subagent";
    case Kind::ToolUse: return "tool";
  }
  return "tool";
}

bool is_file(Kind k) { return k == Kind::FileRead || k == Kind::FileWrite || k == Kind::FileDelete; }

std::string quote_summary(const Action& a) {
  std::string s = a.summary.empty() ? std::string(action::action_name(a.kind)) + " " + a.resource : a.summary;
  if (s.size() > 160) s = s.substr(0, 160) + "…";
  return "`" + s + "`";
}

}  // namespace

Pdp::Pdp(std::shared_ptr<const policy::Pack> pack, session::LabelTable labels, Protected prot)
    : pack_(std::move(pack)), labels_(std::move(labels)), prot_(std::move(prot)) {}

namespace {

// A word as text that names paths, with `//`, `/./`, `dir/..` and a
// trailing `/.` or `/` taken out (`/data/./keys`, `~/.claude/.`,
// `/pack/x/../10-files.cedar`), so that a protected path it names shows
// as a substring.
std::string squash_path_text(std::string_view w) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= w.size()) {
    size_t slash = w.find('/', start);
    std::string_view part = w.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "." || (part.empty() && !parts.empty())) {
      // dropped
    } else if (part == ".." && !parts.empty() && !parts.back().empty() && parts.back() != ".." &&
               parts.back().find('=') == std::string_view::npos) {
      parts.pop_back();
    } else {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  if (out.empty() && !w.empty() && w[0] == '/') out = "/";
  return out;
}

}  // namespace

std::string Pdp::names_protected(const action::CommandInfo& c, std::string_view home) const {
  static const std::set<std::string_view> readers = {
      "cat",     "ls",       "ll",   "head",   "tail",      "less",  "more",   "bat",      "grep",
      "egrep",   "fgrep",    "rg",   "stat",   "file",      "wc",    "du",     "tree",     "diff",
      "cmp",     "jq",       "yq",   "md5sum", "sha256sum", "echo",  "printf", "realpath", "readlink",
      "dirname", "basename", "test", "[",      "tollgate",  "pgrep", "ps",     "lsof"};
  if (readers.count(c.name)) return {};
  static const std::vector<std::string_view> settings = {".claude/settings.json", ".claude/settings.local.json",
                                                         ".codex/hooks.json",     ".codex/config.toml",
                                                         ".cursor/hooks.json",    ".gemini/settings.json"};
  std::vector<std::string> texts;  // each word as written and squashed
  for (const auto& word : c.args) {
    texts.push_back(word);
    if (std::string sq = squash_path_text(word); sq != word) texts.push_back(std::move(sq));
  }
  for (const auto& arg : texts) {
    for (const auto& p : prot_.paths) {
      std::string_view pv = p;
      if (arg.find(pv) != std::string::npos) return "Tollgate's own files (" + p + ")";
      // The same under ~ or $HOME.
      for (const char* var : {"~", "$HOME", "${HOME}"}) {
        if (home.empty() || pv.substr(0, home.size()) != home || pv.size() <= home.size()) continue;
        if (arg.find(std::string(var) + std::string(pv.substr(home.size()))) != std::string::npos)
          return "Tollgate's own files (" + p + ")";
      }
    }
    for (auto s : settings)
      if (arg.find(s) != std::string::npos)
        return "the harness settings that hold Tollgate's hooks (" + std::string(s) + ")";
    // Or the directory that holds them (unzip -d .claude, cp -r x/ .codex).
    std::string_view dir = arg;
    while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
    std::string_view last = dir.substr(dir.rfind('/') == std::string_view::npos ? 0 : dir.rfind('/') + 1);
    if (last == ".claude" || last == ".codex" || last == ".cursor" || last == ".gemini")
      return "the directory of harness settings that hold Tollgate's hooks (" + std::string(arg) + ")";
  }
  return {};
}

bool Pdp::builtin(const Action& a, const Request& req, ActionDecision& out) const {
  auto deny = [&](std::string name, std::string reason) {
    out.effect = Effect::Deny;
    out.policies = {"builtin:" + std::move(name)};
    out.reason = std::move(reason);
    return true;
  };
  // Containment first: the kill switch stops every agent, a quarantine one
  // session or agent, and no policy lifts either.
  if (!req.kill_switch.empty()) return deny("kill-switch", req.kill_switch);
  if (!req.quarantine.empty()) return deny("quarantined", req.quarantine);
  if (req.agent && req.agent->status == "offboarded")
    return deny("agent-offboarded", "the agent `" + req.agent->id + "` has been offboarded");
  if (req.agent && req.agent->status == "suspended")
    return deny("agent-suspended",
                "the agent `" + req.agent->id + "` is suspended; its owner can run `tollgate agent resume`");
  if (req.task && req.task->ended)
    return deny("task-ended", "the task `" + req.task->id + "` has ended; everything issued under it is revoked");
  if (req.task && req.task->expires_ms && req.now_ms >= req.task->expires_ms)
    return deny("task-expired", "the task `" + req.task->id + "` has expired; start a new task to continue");
  if (a.kind == Kind::FileRead) {
    for (const auto& p : prot_.unreadable) {
      // A file beneath it (or the file itself), or the directory taken
      // whole; listing the directory's names is no read of its files.
      // So is a directory above it taken whole (`grep -r x ~/.local/state`,
      // `cp -r ~/.local /tmp/x`) — but `/` and the home directory, which
      // hold the secrets that need a task's grant anyway.
      const bool above = a.tree && a.path != "/" && a.path != req.home && session::path_within(p, a.path);
      if ((a.path != p && session::path_within(a.path, p)) || above)
        return deny("self-protection", "Tollgate's own data (" + p +
                                           ": keys, tokens, sealed secrets, the ledger) cannot be read by an agent");
    }
  }
  if (a.kind == Kind::FileWrite || a.kind == Kind::FileDelete) {
    for (const auto& p : prot_.paths) {
      // The file or directory itself, or one that holds it (rm -rf
      // ~/.local/state); `/` and the home directory are the baseline's
      // broad destruction, which says so.
      bool holds = a.path != "/" && a.path != req.home && session::path_within(p, a.path);
      if (session::path_within(a.path, p) || holds)
        return deny("self-protection", "Tollgate's own files (" + p + ") cannot be changed by an agent");
    }
    // The directories that hold harness settings: removing, moving or
    // emptying one removes the hooks in it.
    std::string_view base = std::string_view(a.path).substr(a.path.rfind('/') + 1);
    if (base == ".claude" || base == ".codex" || base == ".cursor" || base == ".gemini")
      return deny("hook-settings", "the directory " + a.path +
                                       " holds harness settings with Tollgate's hooks; an agent may not change it "
                                       "whole (a human can run `tollgate install`/`uninstall`)");
    // (Taken whole, `/` and the home directory hold them too; that is the
    // baseline's broad destruction, which says so.)
    if (has(out.labels, "agent-config") && !(a.tree && (a.path == "/" || a.path == req.home)))
      return deny("hook-settings",
                  "the harness settings that hold Tollgate's hooks (" + a.path +
                      ") cannot be changed by an agent; a human can run `tollgate install`/`uninstall`");
  }
  if (a.kind == Kind::ShellExec && a.command) {
    const auto& c = *a.command;
    // A program Tollgate does not know to only read, given Tollgate's own
    // files or the hook settings by name (sqlite3 on the ledger, tar -C or
    // git -C into the data directory, sort -o, an interpreter's code …):
    // what it does with them is not known, so it is not done.
    if (std::string why = names_protected(c, req.home); !why.empty())
      return deny("self-protection", "`" + c.name + "` is given " + why +
                                         ", and Tollgate cannot tell that it only reads it; an agent may not run it");
    auto names_tollgate = [&] {
      for (const auto& arg : c.args) {
        for (const auto& n : prot_.names)
          if (arg.find(n) != std::string::npos) return true;
      }
      return false;
    };
    if ((c.name == "kill" || c.name == "pkill" || c.name == "killall" || c.name == "skill") && names_tollgate())
      return deny("self-protection", "stopping Tollgate's daemon from an agent is not allowed");
    if (c.name == "kill" && signals_this_process(c.args))
      return deny("self-protection", "stopping Tollgate's daemon from an agent is not allowed");
    if ((c.name == "pkill" || c.name == "killall") && pattern_may_match_this_process(c))
      return deny("self-protection",
                  "this pattern may select Tollgate's daemon (or cannot be checked against it); stopping the daemon "
                  "from an agent is not allowed");
    // `-1` as a process (`kill -1` alone, or after a signal or `--`: `kill
    // -9 -1 123`) is every process; first with more after it, a signal.
    if (c.name == "kill" && !c.args.empty() &&
        (c.args.back() == "-1" || std::find(c.args.begin() + 1, c.args.end(), "-1") != c.args.end()))
      return deny("self-protection", "signalling every process (`kill -1`) would stop Tollgate's daemon");
    // skill and snice pick processes by user, terminal or process id.
    if ((c.name == "skill" || c.name == "snice") && !(c.args.size() == 1 && (c.args[0] == "-l" || c.args[0] == "-L")))
      return deny("self-protection", "`" + c.name +
                                         "` may select Tollgate's daemon; stopping it from an agent is not "
                                         "allowed");
    if ((c.name == "systemctl" || c.name == "service") && names_tollgate())
      return deny("self-protection", "managing Tollgate's service from an agent is not allowed");
    for (const auto& n : prot_.names) {
      if (c.name != n) continue;
      if (c.subcommand == "uninstall" || c.subcommand == "install")
        return deny("self-protection", "changing Tollgate's hook installation from an agent is not allowed");
      // A daemon the agent starts would answer its own hooks.
      if (c.subcommand == "serve")
        return deny("self-protection", "running Tollgate's daemon from an agent is not allowed");
      if (c.subcommand == "secret")  // the secret store is read only by the broker, for a task
        return deny("self-protection",
                    "`tollgate secret` is for people; an agent gets a secret with `tollgate cred get`");
      // Operator commands: an agent may not approve its own MCP tools, start
      // its own tasks (with their grants), or change agents' status.
      std::string second;
      bool past_sub = false;
      for (const auto& arg : c.args) {
        if (arg.empty() || arg[0] == '-') continue;
        if (past_sub) {
          second = arg;
          break;
        }
        past_sub = arg == c.subcommand;
      }
      bool reading = second == "list" || second == "show" || second == "pins";
      // A hook event is the harness's to send: one from the agent's shell
      // could speak for another session.
      if (c.subcommand == "hook")
        return deny("self-protection", "`tollgate hook` is run by the harness; an agent may not send hook events");
      // The ledger's evidence: receiving, signing or exporting checkpoints
      // and rotating their key are for people; verifying and reading are not.
      // The records themselves (every session's commands and output
      // excerpts) are Tollgate's data, which no agent reads.
      static const std::set<std::string_view> audit_reads = {"verify", "prove", "consistency", "keys"};
      if (c.subcommand == "audit" && !audit_reads.count(second))
        return deny("self-protection",
                    "`tollgate audit " + second +
                        "` is for people (the ledger's records and checkpoints); an agent may not run it");
      // `contain` sets and releases quarantines and the kill switch: all of
      // it is for people but `contain list`; `detect list` only reads.
      if ((c.subcommand == "mcp" && second == "approve") ||
          ((c.subcommand == "task" || c.subcommand == "agent" || c.subcommand == "contain") && !reading) ||
          c.subcommand == "reload")
        return deny("self-protection", "`tollgate " + c.subcommand + (second.empty() ? "" : " " + second) +
                                           "` is for people; an agent may not run it");
    }
  }
  return false;
}

bool Pdp::counts(const Action& a) const { return !a.incidental || has(labels_.path_labels(a.path), "credentials"); }

session::Effects Pdp::effects(const Action& a, std::vector<std::string>* labels_out) const {
  std::vector<std::string> labels;
  if (!counts(a)) {
    if (labels_out) labels_out->clear();
    return {};
  }
  if (is_file(a.kind)) labels = a.tree ? labels_.tree_labels(a.path) : labels_.path_labels(a.path);
  if (a.kind == Kind::NetFetch) labels = labels_.host_labels(a.host);
  session::Effects e;
  if (a.kind == Kind::FileRead) {
    e.labels_read = labels;
    // An environment printed holds whatever tokens it holds: counted as a secret.
    e.secret_read = has(labels, "secret") || has(labels, "environment");
  } else if (a.kind == Kind::NetFetch) {
    // Content from anywhere but a package registry or this machine is untrusted input.
    e.hosts = {a.host};
    e.untrusted = !has(labels, "registry") && !has(labels, "local");
  } else if (a.kind == Kind::McpCall) {
    e.untrusted = true;  // MCP results are untrusted input
  }
  if (labels_out) *labels_out = std::move(labels);
  return e;
}

ActionDecision Pdp::decide_one(const Action& a, const Request& req) const {
  ActionDecision out;
  out.action = a;
  const session::Session& s = *req.session;
  out.effects = effects(a, &out.labels);

  if (builtin(a, req, out)) return out;
  // A tree written at the top of the workspace or of a task's repository
  // (or above it: `tar x`, `unzip`, `cp -r x/. .`, `git apply`, `rsync -a
  // x/ ./`) may create the git hooks, CI workflows, harness settings and
  // shell configuration there: it carries their labels, so the policies
  // that govern those edits decide it.
  if (a.kind == Kind::FileWrite && a.tree) {
    bool top = session::path_within(s.cwd, a.path);
    if (req.task) {
      for (const auto& r : req.task->repos) top = top || session::path_within(r, a.path);
    }
    if (top) {
      for (auto& l : labels_.top_write_labels()) out.labels.push_back(std::move(l));
      std::sort(out.labels.begin(), out.labels.end());
      out.labels.erase(std::unique(out.labels.begin(), out.labels.end()), out.labels.end());
    }
  }

  // Entities: the principal with its task and agent, the action with its
  // groups, the resource with its ancestors.
  cedar::Entities ents;
  std::string agent_id = s.agent.empty() ? "unknown" : s.agent;
  EntityUID principal = uid("Session", s.id);
  {
    cedar::Entity e;
    e.uid = principal;
    e.parents.push_back(uid("Agent", agent_id));
    if (req.task) e.parents.push_back(uid("Task", req.task->id));
    (void)ents.add(std::move(e));
    cedar::Entity ag;
    ag.uid = uid("Agent", agent_id);
    ag.attrs = Value::record({{"harness", Value(req.harness)}, {"owner", Value(std::string())}});
    (void)ents.add(std::move(ag));
  }
  EntityUID act = uid("Action", std::string(action::action_name(a.kind)));
  if (pack_->schema) {
    // The action and its groups, transitively.
    std::vector<EntityUID> todo = {act};
    while (!todo.empty()) {
      EntityUID cur = todo.back();
      todo.pop_back();
      if (ents.find(cur)) continue;
      cedar::Entity e;
      e.uid = cur;
      if (const auto* decl = pack_->schema->action(cur)) {
        e.parents = decl->member_of;
        for (const auto& p : decl->member_of) todo.push_back(p);
      }
      (void)ents.add(std::move(e));
    }
  }
  EntityUID resource = uid(action::resource_type(a.kind), a.resource);
  {
    cedar::Entity e;
    e.uid = resource;
    if (is_file(a.kind)) {
      for (auto& p : analyze::path_ancestors(a.path)) e.parents.push_back(uid("Path", std::move(p)));
    } else if (a.kind == Kind::NetFetch) {
      for (auto& h : analyze::host_ancestors(a.host)) e.parents.push_back(uid("Host", std::move(h)));
    } else if (a.kind == Kind::McpCall || a.kind == Kind::McpList) {
      e.parents.push_back(uid("McpServer", a.mcp_server));
      // The call's arguments: `resource.hasTag("repo") && resource.getTag("repo") == "acme/web"`.
      if (!a.mcp_args.empty()) {
        cedar::RecordFields tags;
        for (const auto& [k, v] : a.mcp_args) tags.emplace_back(k, Value(v));
        e.tags = Value::record(std::move(tags));
      }
    } else if (a.kind == Kind::CredRequest) {
      // `context.task.grants.contains(resource.grant)`: the grant that lets a task have it.
      e.attrs = Value::record({{"name", Value(a.resource)}, {"grant", Value("cred:" + a.resource)}});
    }
    e.parents.erase(std::remove(e.parents.begin(), e.parents.end(), resource), e.parents.end());
    (void)ents.add(std::move(e));
  }
  (void)ents.finalize();

  // Context.
  bool in_workspace = is_file(a.kind) && is_workspace(s.cwd, req.home) && session::path_within(a.path, s.cwd);
  bool in_task_repo = false;
  if (req.task && is_file(a.kind)) {
    for (const auto& r : req.task->repos) in_task_repo = in_task_repo || session::path_within(a.path, r);
  }
  const session::Task no_task;
  const session::Task& t = req.task ? *req.task : no_task;
  bool in_window = !t.window_start_ms || (req.now_ms >= t.window_start_ms && req.now_ms < t.window_end_ms);
  Value task = Value::record({{"bound", Value(req.task != nullptr)},
                              {"id", Value(t.id)},
                              {"ticket", Value(t.ticket)},
                              {"repos", str_set(t.repos)},
                              {"environment", Value(t.environment)},
                              {"in_window", Value(in_window)},
                              {"grants", str_set(t.grants)}});
  Value sess = Value::record({{"id", Value(s.id)},
                              {"cwd", Value(s.cwd)},
                              {"labels_read", str_set_of(s.labels_read)},
                              {"secrets_read", Value(s.secrets_read)},
                              {"hosts_contacted", str_set_of(s.hosts_contacted)},
                              {"untrusted_input", Value(s.untrusted_input)},
                              {"denials", Value(s.denials)}});
  Value target =
      Value::record({{"kind", Value(std::string(target_kind(a.kind)))},
                     {"tool", Value(a.tool)},
                     {"opaque", Value(a.opaque)},
                     {"download_exec", Value(a.download_exec)},
                     {"internal", Value(a.internal)},
                     {"labels", str_set(out.labels)},
                     {"path", Value(a.path)},
                     {"in_workspace", Value(in_workspace)},
                     {"in_task_repo", Value(in_task_repo)},
                     {"in_temp", Value(is_file(a.kind) && is_temp(a.path))},
                     {"in_home", Value(is_file(a.kind) && !req.home.empty() && session::path_within(a.path, req.home))},
                     // A temporary directory, or a workspace at the top (`/app`), is no
                     // system directory (but `/` and home stay broad whatever the workspace).
                     // (Writing into /tmp whole is extracting there; deleting it whole is not.)
                     {"broad", Value(is_file(a.kind) && is_broad(a.path, req.home) &&
                                     !(is_temp(a.path) && a.kind != Kind::FileDelete) &&
                                     !(a.path == s.cwd && a.path != "/" && a.path != req.home) &&
                                     !(req.task && std::find(req.task->repos.begin(), req.task->repos.end(), a.path) !=
                                                       req.task->repos.end()))},
                     {"host", Value(a.host)},
                     {"url", Value(a.url)},
                     {"command", command_value(a)},
                     {"mcp", Value::record({{"server", Value(a.mcp_server)}, {"method", Value(a.mcp_method)}})}});
  cedar::Request creq;
  creq.principal = principal;
  creq.action = act;
  creq.resource = resource;
  creq.context = Value::record({{"now", Value(cedar::Datetime{req.now_ms})},
                                {"harness", Value(req.harness)},
                                {"task", std::move(task)},
                                {"session", std::move(sess)},
                                {"target", std::move(target)},
                                {"approved", Value(req.approved)}});

  cedar::Response r = cedar::authorize(pack_->enforced, creq, ents);
  out.cedar = creq;
  for (auto& e : r.errors) out.errors.push_back({std::move(e.policy), std::move(e.message)});
  out.policies = r.reason;
  if (r.allow) {
    out.effect = Effect::Allow;
    const auto* m = r.reason.empty() ? nullptr : pack_->find(r.reason.front());
    out.reason = m && !m->reason.empty() ? m->reason : "allowed by policy";
  } else if (r.reason.empty()) {
    out.effect = Effect::Deny;
    out.reason = "no policy permits " + quote_summary(a) + " (default deny)";
  } else {
    bool all_ask = true;
    std::string ask, reason;
    for (const auto& id : r.reason) {
      const auto* m = pack_->find(id);
      if (!m || !m->ask) {
        all_ask = false;
        if (reason.empty() && m && !m->reason.empty()) reason = m->reason;
      } else if (ask.empty()) {
        ask = *m->ask;
      }
    }
    if (all_ask && !req.approved) {
      out.effect = Effect::Ask;
      out.reason = ask;
    } else if (all_ask) {
      out.effect = Effect::Allow;  // a human approved exactly this request
      out.reason = "approved: " + ask;
    } else {
      out.effect = Effect::Deny;
      if (reason.empty()) {
        // A deny without @reason: name the policy at least.
        reason = "denied by policy `" + r.reason.front() + "`";
      }
      out.reason = reason;
    }
  }
  if (!pack_->log_only.instances().empty()) {
    cedar::Response shadow = cedar::authorize(pack_->log_only, creq, ents);
    for (const auto& id : shadow.reason) {
      const auto* m = pack_->find(id);
      out.log_only.push_back(std::string(m && m->forbid ? (m->ask ? "would ask: " : "would deny: ") : "would allow: ") +
                             id);
    }
    for (auto& e : shadow.errors) out.errors.push_back({std::move(e.policy), std::move(e.message)});
  }
  return out;
}

namespace {

nlohmann::json uid_json(const cedar::EntityUID& u) { return {{"type", u.type()}, {"id", u.id()}}; }

nlohmann::json value_json(const cedar::Value& v) {
  using cedar::Kind;
  auto extn = [](const char* fn, std::string arg) {
    return nlohmann::json{{"__extn", {{"fn", fn}, {"arg", std::move(arg)}}}};
  };
  switch (v.kind()) {
    case Kind::Bool: return v.as_bool();
    case Kind::Long: return v.as_long();
    case Kind::String: return v.as_string();
    case Kind::Entity: return {{"__entity", uid_json(v.as_entity())}};
    case Kind::Set: {
      auto arr = nlohmann::json::array();
      for (const auto& e : v.as_set()) arr.push_back(value_json(e));
      return arr;
    }
    case Kind::Record: {
      auto obj = nlohmann::json::object();
      for (const auto& [k, f] : v.as_record()) obj[k] = value_json(f);
      return obj;
    }
    case Kind::Decimal: return extn("decimal", cedar::ext::decimal_to_string(v.as_decimal()));
    case Kind::IpAddr: return extn("ip", cedar::ext::ip_to_string(v.as_ip()));
    case Kind::Datetime: return extn("datetime", cedar::ext::datetime_to_string(v.as_datetime()));
    case Kind::Duration: return extn("duration", cedar::ext::duration_to_string(v.as_duration()));
  }
  return nullptr;
}

}  // namespace

nlohmann::json cedar_request_json(const cedar::Request& r) {
  return {{"principal", uid_json(r.principal)},
          {"action", uid_json(r.action)},
          {"resource", uid_json(r.resource)},
          {"context", value_json(r.context)}};
}

Decision Pdp::decide(const std::vector<Action>& actions, const Request& req) const {
  Decision d;
  d.pack = pack_->hash;
  d.effect = Effect::Allow;
  // A secret the call reads is read before the rest of the call can use it:
  // the reads are decided first, and everything else as the session will
  // stand after them (`cat .env && curl -d @.env …` under a task that
  // grants `secret`, `env | curl --data-binary @- …`). A path an unmodelled
  // program was given counts only where it holds credentials
  // (action::Action::incidental).
  std::vector<std::optional<ActionDecision>> decided(actions.size());
  std::optional<session::Session> after_reads;
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].kind != Kind::FileRead || !counts(actions[i])) continue;
    decided[i] = decide_one(actions[i], req);
    if (!decided[i]->effects.secret_read) continue;
    if (!after_reads) after_reads = *req.session;
    session::Effects e = decided[i]->effects;
    e.hosts.clear();
    e.untrusted = false;
    session::apply(*after_reads, e);
  }
  Request with_reads;
  const Request* rest = &req;
  if (after_reads) {
    with_reads = req;
    with_reads.session = &*after_reads;
    rest = &with_reads;
  }
  for (size_t i = 0; i < actions.size(); ++i) {
    if (actions[i].kind == Kind::FileRead || !counts(actions[i])) continue;
    decided[i] = decide_one(actions[i], *rest);
  }
  for (auto& one : decided)
    if (one) d.actions.push_back(std::move(*one));
  if (d.actions.empty()) {
    d.effect = Effect::Deny;
    d.reason = "the tool call names no action Tollgate can decide";
    return d;
  }
  const ActionDecision* first_deny = nullptr;
  const ActionDecision* first_ask = nullptr;
  for (const auto& ad : d.actions) {
    if (ad.effect == Effect::Deny && !first_deny) first_deny = &ad;
    if (ad.effect == Effect::Ask && !first_ask) first_ask = &ad;
  }
  auto describe = [](const ActionDecision& ad) {
    std::string who = ad.policies.empty() ? std::string() : " [" + ad.policies.front() + "]";
    return quote_summary(ad.action) + ": " + ad.reason + who;
  };
  if (first_deny) {
    d.effect = Effect::Deny;
    d.reason = "Tollgate denied " + describe(*first_deny);
  } else if (first_ask) {
    d.effect = Effect::Ask;
    d.reason = "Tollgate asks for approval of " + describe(*first_ask);
  } else {
    d.reason = "allowed";
  }
  return d;
}

}  // namespace tollgate::pdp
