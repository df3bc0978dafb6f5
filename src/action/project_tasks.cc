// The commands a project task runs (analyze::TaskRun): package.json's
// scripts for npm, pnpm, yarn and bun, a Makefile's recipes for make. The
// project file is found from the command's directory and read through
// Environment::read_script; the caller analyses what comes back as shell.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "action/action_internal.h"
#include "analyze/paths.h"
#include "base/json.h"

namespace tollgate::action {

namespace {

constexpr size_t kMaxTargets = 64;
// Where the recipes of all pattern rules are kept (no target has this name).
const std::string kPatterns = "%\n";

std::string join(const std::string& dir, std::string_view name) {
  return (dir == "/" ? std::string() : dir) + "/" + std::string(name);
}

// package.json's scripts, from the nearest package.json at or above `dir`.
void package_scripts(const analyze::TaskRun& t, const std::string& dir, const Environment& env, TaskScripts& out) {
  std::string at = dir;
  for (int up = 0; up < 64; ++up) {
    std::string path = join(at, "package.json");
    ScriptFile f = env.read_script(path);
    if (f.state == ScriptFile::State::Text || f.state == ScriptFile::State::Unreadable ||
        f.state == ScriptFile::State::Binary) {
      out.recent = f.recent;
      out.dir = at;
      if (f.state != ScriptFile::State::Text) {
        out.opaque = true;
        return;
      }
      auto j = parse_json(f.text, path, 32);
      if (!j || !j->is_object()) {
        out.opaque = true;
        return;
      }
      auto scripts = j->find("scripts");
      const bool listed = scripts != j->end() && scripts->is_object();
      for (const auto& name : t.names) {
        if (!listed || scripts->find(name) == scripts->end()) {
          // `npm start` with no start script runs server.js.
          if (name == "start" && t.tool == "npm")
            out.scripts.push_back({"npm start (" + path + ": no start script)", "node server.js"});
          continue;
        }
        auto s = scripts->find(name);
        if (!s->is_string()) {
          out.opaque = true;
          continue;
        }
        out.scripts.push_back({t.tool + " script `" + name + "` (" + path + ")", s->get<std::string>()});
      }
      return;
    }
    if (at == "/") return;
    at = parent_dir(at);
  }
}

// Make's variables, as far as Tollgate evaluates them: a variable the
// makefile sets with `=`, `:=`, `::=`, `?=` or `+=` outside conditionals has
// its value; the automatic variables of an explicit rule (`$@ $< $^ $+ $?`
// and their D/F forms) theirs; variables the agent gives on make's command
// line or in its environment theirs, with make's precedence (command line
// over the makefile unless `override`; the makefile over the environment
// unless `make -e`). Anything else — the user's environment, make's built-in
// defaults (`$(CC)` unset is `cc` or whatever the user exported), functions
// other than `$(shell …)`, substitution references, computed names — is an
// unknown, written `${MAKE_VALUE}` for the shell analysis.
class MakeVars {
 public:
  struct FileVar {
    std::string value;
    bool known = true;
    bool simple = false;  // := and ::=: expanded when set
    bool overridden = false;
    bool only_default = false;  // set by ?= only: a value in the environment wins
    bool appends = false;       // set by += first: appends to the environment's value
  };
  std::map<std::string, FileVar> file;
  std::map<std::string, std::string> cmdline, env;  // what the agent gave
  bool env_overrides = false;
  bool computed_names = false;  // `$(X) = …`: any variable may be set
  // An agent value with shell syntax, quotes, globs or expansions reached a
  // recipe; or an agent variable is used where Tollgate does not evaluate.
  // Either way the task is held to the standard of the agent's own work.
  bool agent_unplain = false;
  bool agent_hidden = false;
  const std::map<std::string, std::string>* autos = nullptr;

  static bool plain(std::string_view v) { return plain_value(v); }

  // Whether `text` names one of the agent's variables as a word.
  bool mentions_agent(std::string_view text) const {
    for (const auto* m : {&cmdline, &env}) {
      for (const auto& [name, value] : *m) {
        if (mentions_word(text, name)) return true;
      }
    }
    return false;
  }

  // The value of variable `name`, nullopt when unknown.
  std::optional<std::string> lookup(const std::string& name, int depth) {
    if (depth > 16) return std::nullopt;
    static const std::set<std::string_view> automatic = {"@",  "<",  "^",  "+",  "?",  "*",  "|",  "@D", "@F", "<D",
                                                         "<F", "^D", "^F", "+D", "+F", "?D", "?F", "*D", "*F", "%"};
    if (automatic.count(name)) {
      if (autos) {
        auto it = autos->find(name);
        if (it != autos->end()) return it->second;
      }
      return std::nullopt;
    }
    auto agent = [&](const std::string& value) -> std::optional<std::string> {
      if (!plain(value)) agent_unplain = true;
      return expand(value, depth + 1);
    };
    auto f = file.find(name);
    auto c = cmdline.find(name);
    if (c != cmdline.end() && (f == file.end() || !f->second.overridden)) return agent(c->second);
    auto e = env.find(name);
    if (f != file.end()) {
      const FileVar& v = f->second;
      if (e != env.end() && (env_overrides || v.only_default) && !v.overridden) return agent(e->second);
      if (computed_names || !v.known) return std::nullopt;
      std::string own = v.simple ? v.value : expand(v.value, depth + 1);
      if (e != env.end() && v.appends) {
        auto before = agent(e->second);
        return *before + " " + own;
      }
      return own;
    }
    if (e != env.end()) return agent(e->second);
    return std::nullopt;
  }

  // `text` with make's references expanded: `$$` is `$`, `$(shell cmd)` a
  // command substitution, unknowns `${MAKE_VALUE}`.
  std::string expand(std::string_view text, int depth = 0) {
    std::string out = expand_once(text, depth);
    work_ += out.size() + text.size();
    return out;
  }

 private:
  // Characters produced over all expansions: `A = $(B)$(B)`, `B = $(C)$(C)`
  // … doubles at every level, so past a budget every value is unknown.
  size_t work_ = 0;

  std::string expand_once(std::string_view text, int depth) {
    std::string out;
    if (depth > 16 || work_ > 16 * 1024 * 1024) return "${MAKE_VALUE}";
    size_t i = 0;
    while (i < text.size()) {
      if (out.size() > 256 * 1024) return out + "${MAKE_VALUE}";
      char c = text[i];
      if (c != '$' || i + 1 >= text.size()) {
        out += c;
        ++i;
        continue;
      }
      char n = text[i + 1];
      if (n == '$') {
        out += '$';
        i += 2;
        continue;
      }
      if (n != '(' && n != '{') {
        auto v = lookup(std::string(1, n), depth);
        out += v ? *v : "${MAKE_VALUE}";
        i += 2;
        continue;
      }
      char close = n == '(' ? ')' : '}';
      int level = 0;
      size_t k = i + 1;
      for (; k < text.size(); ++k) {
        if (text[k] == n) ++level;
        if (text[k] == close && --level == 0) break;
      }
      std::string_view inner = text.substr(i + 2, (k < text.size() ? k : text.size()) - i - 2);
      i = k < text.size() ? k + 1 : text.size();
      size_t blank = inner.find_first_of(" \t");
      std::string_view head = inner.substr(0, blank);
      if (head == "shell" && blank != std::string_view::npos) {
        out += "$(" + expand(inner.substr(blank + 1), depth + 1) + ")";
        continue;
      }
      if (blank == std::string_view::npos && inner.find('$') != std::string_view::npos &&
          inner.find_first_of(":=") == std::string_view::npos) {
        // A computed name (`$($(ENV)_DEPLOY)`): the variable it names.
        std::string name = expand(inner, depth + 1);
        if (name.find("${MAKE_VALUE}") == std::string::npos && name.find_first_of(" \t$") == std::string::npos) {
          auto v = lookup(name, depth);
          out += v ? *v : "${MAKE_VALUE}";
          continue;
        }
        if (!cmdline.empty() || !env.empty()) agent_hidden = true;  // it may name one the agent set
        out += "${MAKE_VALUE}";
        continue;
      }
      if (blank != std::string_view::npos || inner.find_first_of("$:=") != std::string_view::npos) {
        // A function, a substitution reference or a computed name.
        if (mentions_agent(inner)) agent_hidden = true;
        out += "${MAKE_VALUE}";
        continue;
      }
      auto v = lookup(std::string(inner), depth);
      out += v ? *v : "${MAKE_VALUE}";
    }
    return out;
  }
};

// A recipe line as the shell gets it: the prefixes make reads (@ - +)
// removed and make's references expanded.
std::string shell_of_recipe(std::string_view line, MakeVars& vars) {
  size_t i = 0;
  while (i < line.size() && (line[i] == '\t' || line[i] == ' ' || line[i] == '@' || line[i] == '-' || line[i] == '+'))
    ++i;
  return vars.expand(line.substr(i));
}

// NAME=value pairs as the analyser lists them.
std::map<std::string, std::string> assignments_of(const std::vector<std::string>& list) {
  std::map<std::string, std::string> out;
  for (const auto& a : list) {
    size_t eq = a.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = a.substr(0, eq);
    while (!name.empty() && (name.back() == ':' || name.back() == '+' || name.back() == '?')) name.pop_back();
    out[name] = a.substr(eq + 1);
  }
  return out;
}

// The variables make's built-in rules use to build a target with no rule
// of its own (`make hello` next to hello.c, with no makefile at all).
bool builtin_rule_variable(std::string_view v) {
  static const std::set<std::string_view> names = {
      "AR",       "ARFLAGS", "AS",          "ASFLAGS",     "CC",           "CFLAGS", "CO",   "COFLAGS",  "CPP",
      "CPPFLAGS", "CTANGLE", "CWEAVE",      "CXX",         "CXXFLAGS",     "F77",    "FC",   "FFLAGS",   "GET",
      "GFLAGS",   "LD",      "LDFLAGS",     "LDLIBS",      "LEX",          "LFLAGS", "LINT", "M2C",      "MAKEINFO",
      "OBJC",     "PC",      "PFLAGS",      "RFLAGS",      "RM",           "TANGLE", "TEX",  "TEXI2DVI", "WEAVE",
      "YACC",     "YFLAGS",  "TARGET_ARCH", "TARGET_MACH", "OUTPUT_OPTION"};
  return names.count(v) || v.substr(0, 8) == "COMPILE." || v.substr(0, 5) == "LINK." ||
         v.substr(0, 11) == "PREPROCESS.";
}

struct Rule {
  std::vector<std::string> prerequisites;
  std::vector<std::string> recipe;
};

// The recipes of the requested targets and of the targets they depend on.
void makefile_recipes(const analyze::TaskRun& t, const std::string& dir, const Environment& env, TaskScripts& out) {
  MakeVars vars;
  vars.cmdline = assignments_of(t.variables);
  vars.env = assignments_of(t.environment);
  vars.env_overrides = t.environment_overrides;
  // make -e lets whatever the shell exported, earlier too, beat the makefile.
  if (vars.env_overrides) vars.agent_hidden = vars.computed_names = true;
  // What the agent gives a built-in rule's variable reaches a recipe
  // Tollgate does not see (make's own rules): only plain values pass.
  for (const auto* m : {&vars.cmdline, &vars.env}) {
    for (const auto& [name, value] : *m) {
      // (Plain, and no path either: `CC=./evil.sh`, `CFLAGS=-B/tmp/x` run
      // programs the agent chose.)
      if (builtin_rule_variable(name) && (!MakeVars::plain(value) || value.find('/') != std::string::npos))
        out.recent = out.opaque = true;
    }
  }
  std::string path;
  ScriptFile f;
  for (std::string_view name : t.file.empty() ? std::vector<std::string_view>{"GNUmakefile", "makefile", "Makefile"}
                                              : std::vector<std::string_view>{t.file}) {
    path = t.file.empty() ? join(dir, name) : analyze::normalize_path(t.file, dir, env.home, env.resolve_symlinks);
    f = env.read_script(path);
    if (f.state != ScriptFile::State::Missing && f.state != ScriptFile::State::Directory) break;
  }
  if (f.state == ScriptFile::State::Missing || f.state == ScriptFile::State::Directory) return;
  out.recent = out.recent || f.recent;
  out.dir = dir;
  if (f.state != ScriptFile::State::Text) {
    out.opaque = true;
    return;
  }
  std::map<std::string, Rule> rules;
  std::string default_goal;
  bool default_unknown = false;
  std::vector<std::string> current;     // the targets whose recipe follows
  std::vector<std::string> parse_time;  // $(shell …) and `!=` assignments: run as the file is read
  std::string_view text = f.text;
  bool in_define = false;
  int conditional = 0;  // depth of ifeq/ifdef blocks: what they assign depends on the test
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    // Continuations join lines (recipes keep them: the shell reads them).
    while (!line.empty() && line.back() == '\\' && pos < text.size()) {
      end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      line += "\n" + std::string(text.substr(pos, end - pos));
      pos = end + 1;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find("$(shell ") != std::string::npos) parse_time.push_back(line);
    if (!line.empty() && line[0] == '\t' && !current.empty() && !in_define) {
      for (const auto& target : current) rules[target].recipe.push_back(line);
      continue;
    }
    std::string_view l = line;
    // A rule's recipe after `;` goes to the shell as written, `#` and all;
    // a `#` before the `;` starts a comment.
    std::optional<std::string> raw_inline;
    if (auto semi = l.find(';');
        semi != std::string_view::npos && l.find('#') > semi && l.find(':') < semi && !in_define) {
      raw_inline = std::string(l.substr(semi + 1));
      l = l.substr(0, semi);
    }
    if (auto hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    if (l.empty()) continue;  // blank lines do not end a recipe
    if (in_define) {
      if (l.substr(0, 6) == "endef") in_define = false;
      if (vars.mentions_agent(line)) vars.agent_hidden = true;  // a multi-line value is not evaluated
      continue;
    }
    current.clear();
    auto directive = [&](std::string_view d) {
      return l.substr(0, d.size()) == d &&
             (l.size() == d.size() || l[d.size()] == ' ' || l[d.size()] == '\t' || l[d.size()] == '(');
    };
    if (directive("ifeq") || directive("ifneq") || directive("ifdef") || directive("ifndef") || directive("else") ||
        directive("endif")) {
      if (vars.mentions_agent(l)) vars.agent_hidden = true;  // the agent picks the branch
      if (directive("endif")) {
        conditional = std::max(0, conditional - 1);
      } else if (!directive("else")) {
        ++conditional;
      }
      continue;
    }
    if (directive("define") || directive("undefine") || directive("override define")) {
      // A multi-line value, or none: not evaluated.
      std::string_view name = l.substr(l.find("define") + 6);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      name = name.substr(0, name.find_first_of(" \t:?+!="));
      vars.file[std::string(name)].known = false;
      if (name.find('$') != std::string_view::npos) vars.computed_names = true;
      in_define = !directive("undefine");
      continue;
    }
    if (vars.mentions_agent(l) && (directive("include") || directive("-include") || directive("sinclude") ||
                                   directive("vpath") || directive("export") || directive("unexport")))
      vars.agent_hidden = true;
    if (l.substr(0, 8) == "include " || l.substr(0, 9) == "-include " || l.substr(0, 9) == "sinclude ") {
      // Another makefile: not read, so not understood when this one or it
      // changed during the session (`-include local.mk`, written by the agent).
      std::string_view rest = l.substr(l.find(' ') + 1);
      size_t i = 0;
      while (i < rest.size() && !out.opaque) {
        while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
        size_t j = i;
        while (j < rest.size() && rest[j] != ' ' && rest[j] != '\t') ++j;
        std::string_view name = rest.substr(i, j - i);
        i = j;
        if (name.empty()) continue;
        if (name.find_first_of("$%*?[") != std::string_view::npos) {
          out.opaque = out.opaque || out.recent;
          continue;
        }
        ScriptFile inc = env.read_script(analyze::normalize_path(name, dir, env.home, env.resolve_symlinks));
        if (inc.state != ScriptFile::State::Missing && inc.recent) {
          out.recent = true;
          out.opaque = true;
        }
      }
      if (out.recent) out.opaque = true;
      continue;
    }
    // An assignment: `=`, `:=`, `::=`, `?=`, `+=`, `!=` before any rule colon.
    size_t colon = std::string_view::npos, eq = l.find('=');
    int depth = 0;
    for (size_t k = 0; k < l.size(); ++k) {
      if (l[k] == '(' || l[k] == '{') ++depth;
      if ((l[k] == ')' || l[k] == '}') && depth > 0) --depth;
      if (l[k] == ':' && depth == 0 && (k + 1 >= l.size() || l[k + 1] != '=')) {
        colon = k;
        break;
      }
    }
    if (eq != std::string_view::npos && (colon == std::string_view::npos || eq < colon)) {
      if (eq > 0 && l[eq - 1] == '!') parse_time.push_back("$(shell " + std::string(l.substr(eq + 1)) + ")");
      // Variables that change how every recipe runs.
      std::string_view var = l.substr(0, eq);
      while (!var.empty() && (var.back() == ':' || var.back() == '+' || var.back() == '?' || var.back() == '!' ||
                              var.back() == ' ' || var.back() == '\t'))
        var.remove_suffix(1);
      bool overridden = false;
      for (bool again = true; again;) {
        again = false;
        for (std::string_view prefix : {"override ", "export ", "private "}) {
          if (var.substr(0, prefix.size()) == prefix) {
            overridden = overridden || prefix == "override ";
            var.remove_prefix(prefix.size());
            while (!var.empty() && (var.front() == ' ' || var.front() == '\t')) var.remove_prefix(1);
            again = true;
          }
        }
      }
      if ((var == "SHELL" || var == ".SHELLFLAGS" || var == ".RECIPEPREFIX" || var == "MAKEFLAGS" ||
           var == "MAKEFILES") &&
          out.recent)
        out.opaque = true;
      // Its value, for the recipes.
      std::string_view op = l.substr(var.data() + var.size() - l.data(), eq + 1 - (var.data() + var.size() - l.data()));
      while (!op.empty() && (op.front() == ' ' || op.front() == '\t')) op.remove_prefix(1);
      std::string_view value = l.substr(eq + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      if (var.find_first_of("$ \t") != std::string_view::npos) {
        vars.computed_names = true;
        continue;
      }
      MakeVars::FileVar& fv = vars.file[std::string(var)];
      const bool was_set = !fv.value.empty() || !fv.known || fv.simple;
      fv.overridden = fv.overridden || overridden;
      if (conditional > 0 || op == "!=" || op == ":::=") {
        fv.known = false;
      } else if (op == "=" || op == "?=") {
        if (op == "=" || !was_set) {
          fv.value = std::string(value);
          fv.simple = false;
          fv.only_default = op == "?=";
          fv.appends = false;
        }
      } else if (op == ":=" || op == "::=") {
        fv.simple = false;  // expanded with its old value, if it names itself
        std::string v = vars.expand(value);
        fv.value = std::move(v);
        fv.simple = true;
        fv.only_default = fv.appends = false;
      } else if (op == "+=") {
        if (!was_set) fv.appends = true;
        std::string add = fv.simple ? vars.expand(value) : std::string(value);
        fv.value = fv.value.empty() ? add : fv.value + " " + add;
      }
      continue;
    }
    if (colon == std::string_view::npos) continue;  // a directive or something else
    std::string_view targets = l.substr(0, colon);
    std::string_view rest = l.substr(colon + 1);
    if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);  // `::` rules
    if (vars.mentions_agent(targets)) vars.agent_hidden = true;
    if (auto teq = rest.find('='); teq != std::string_view::npos) {
      // A target-specific variable: its value differs by target.
      if (vars.mentions_agent(rest)) vars.agent_hidden = true;
      std::string_view tv = rest.substr(0, teq);
      while (!tv.empty() && (tv.back() == ':' || tv.back() == '+' || tv.back() == '?' || tv.back() == '!' ||
                             tv.back() == ' ' || tv.back() == '\t'))
        tv.remove_suffix(1);
      size_t last = tv.find_last_of(" \t");
      if (last != std::string_view::npos) tv.remove_prefix(last + 1);
      vars.file[std::string(tv)].known = false;
      continue;
    }
    std::string inline_recipe = raw_inline.value_or("");
    auto words = [](std::string_view s) {
      std::vector<std::string> w;
      size_t i = 0;
      while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
        size_t j = i;
        while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
        if (j > i) w.emplace_back(s.substr(i, j - i));
        i = j;
      }
      return w;
    };
    // Make expands a rule's targets and prerequisites as it reads them.
    std::string expanded_targets = vars.expand(targets);
    if (expanded_targets.find("${MAKE_VALUE}") != std::string::npos && default_goal.empty()) {
      default_unknown = true;  // the first target, which may be the default goal, is not known
    }
    std::string expanded_rest = vars.expand(rest);
    rest = expanded_rest.find("${MAKE_VALUE}") == std::string::npos ? std::string_view(expanded_rest) : rest;
    for (auto& target : words(expanded_targets)) {
      if (target.find("${MAKE_VALUE}") != std::string::npos) continue;
      if (default_goal.empty() && !default_unknown && target[0] != '.' && target.find('%') == std::string::npos)
        default_goal = target;
      if (target.find('%') != std::string::npos) {
        // A pattern rule: its recipe may build any target without one of its own.
        current.push_back(kPatterns);
        if (!inline_recipe.empty()) rules[kPatterns].recipe.push_back(inline_recipe);
        continue;
      }
      Rule& r = rules[target];
      for (auto& p : words(rest)) r.prerequisites.push_back(p);
      if (!inline_recipe.empty()) r.recipe.push_back(inline_recipe);
      current.push_back(target);
    }
    if (rules.size() > 4096) break;
  }

  std::vector<std::string> queue = t.names;
  if (queue.empty()) {
    // `.DEFAULT_GOAL`, set in the makefile or on the command line, names it.
    if (vars.file.count(".DEFAULT_GOAL") || vars.cmdline.count(".DEFAULT_GOAL") || vars.env.count(".DEFAULT_GOAL")) {
      auto goal = vars.lookup(".DEFAULT_GOAL", 0);
      if (goal && goal->find("${MAKE_VALUE}") == std::string::npos) {
        std::string g = *goal;
        while (!g.empty() && (g.back() == ' ' || g.back() == '\t')) g.pop_back();
        while (!g.empty() && (g.front() == ' ' || g.front() == '\t')) g.erase(0, 1);
        default_goal = g;
        default_unknown = g.empty() || g.find_first_of(" \t") != std::string::npos;
      } else {
        default_unknown = true;
      }
    }
    if (default_unknown) {
      // Which recipes run is not known: held to the agent's standard when
      // the agent could have chosen it.
      out.opaque = true;
      if (vars.agent_unplain || vars.agent_hidden || !vars.cmdline.empty()) out.recent = true;
      return;
    }
    if (default_goal.empty()) return;
    queue.push_back(default_goal);
  }
  std::set<std::string> seen;
  for (size_t q = 0; q < queue.size() && seen.size() < kMaxTargets; ++q) {
    const std::string target = queue[q];
    if (!seen.insert(target).second) continue;
    auto it = rules.find(target);
    if (it == rules.end()) {
      // A file, or a target made by a pattern rule (whose recipes are all
      // taken then) or by one of make's built-in rules.
      if (rules.count(kPatterns)) {
        queue.push_back(kPatterns);
      } else if (q < t.names.size() && out.recent) {
        out.opaque = true;
      }
      continue;
    }
    // The prerequisites as make sees them once variables are expanded
    // (`app: $(OBJS)`), and the rule's automatic variables.
    std::vector<std::string> prereqs;
    bool prereqs_known = true;
    std::map<std::string, std::string> autos;
    if (target != kPatterns) {
      vars.autos = nullptr;
      std::string expanded;
      for (const auto& p : it->second.prerequisites) expanded += vars.expand(p) + " ";
      std::vector<std::string> normal, order_only;
      bool after_bar = false;
      for (size_t i = 0; i < expanded.size();) {
        while (i < expanded.size() && (expanded[i] == ' ' || expanded[i] == '\t' || expanded[i] == '\n')) ++i;
        size_t j = i;
        while (j < expanded.size() && expanded[j] != ' ' && expanded[j] != '\t' && expanded[j] != '\n') ++j;
        std::string w = expanded.substr(i, j - i);
        i = j;
        if (w.empty()) continue;
        if (w == "|") {
          after_bar = true;
          continue;
        }
        if (w.find("${MAKE_VALUE}") != std::string::npos) {
          prereqs_known = false;
          continue;
        }
        prereqs.push_back(w);
        (after_bar ? order_only : normal).push_back(std::move(w));
      }
      auto join_words = [](const std::vector<std::string>& ws, int part) {  // 0 whole, 1 D, 2 F
        std::string out;
        for (const auto& w : ws) {
          size_t slash = w.rfind('/');
          std::string x = part == 0   ? w
                          : part == 1 ? (slash == std::string::npos ? "."
                                         : slash == 0               ? "/"
                                                                    : w.substr(0, slash))
                                      : (slash == std::string::npos ? w : w.substr(slash + 1));
          out += (out.empty() ? "" : " ") + x;
        }
        return out;
      };
      std::vector<std::string> unique;
      for (const auto& w : normal)
        if (std::find(unique.begin(), unique.end(), w) == unique.end()) unique.push_back(w);
      std::vector<std::string> first(normal.begin(), normal.begin() + std::min<size_t>(1, normal.size()));
      for (int part = 0; part < 3; ++part) {
        std::string suffix = part == 0 ? "" : part == 1 ? "D" : "F";
        autos["@" + suffix] = join_words({target}, part);
        if (prereqs_known) {
          autos["<" + suffix] = join_words(first, part);
          autos["^" + suffix] = join_words(unique, part);
          autos["+" + suffix] = join_words(normal, part);
          autos["?" + suffix] = join_words(unique, part);  // those newer than the target: at most all of them
        }
      }
      if (prereqs_known) autos["|"] = join_words(order_only, 0);
      vars.autos = &autos;
    } else {
      vars.autos = nullptr;
    }
    std::string script;
    for (const auto& line : it->second.recipe) script += shell_of_recipe(line, vars) + "\n";
    vars.autos = nullptr;
    if (!script.empty())
      out.scripts.push_back(
          {(target == kPatterns ? std::string("make pattern rules") : "make target `" + target + "`") + " (" + path +
               ")",
           script});
    for (const auto& p : prereqs) queue.push_back(p);
    for (const auto& p : it->second.prerequisites) queue.push_back(p);  // as written: unknown ones find no rule
  }
  if (seen.size() >= kMaxTargets && out.recent) out.opaque = true;
  std::string at_parse;
  for (const auto& line : parse_time) {
    // Only the $(shell …) parts run: each becomes one command substitution.
    for (size_t at = line.find("$(shell "); at != std::string::npos; at = line.find("$(shell ", at + 1))
      at_parse += "echo " + shell_of_recipe(line.substr(at), vars) + "\n";
  }
  if (!at_parse.empty()) out.scripts.push_back({"make $(shell …) (" + path + ")", at_parse});
  // What the agent gave make is the agent's own work, wherever it lands.
  if (vars.agent_unplain || vars.agent_hidden) out.recent = true;
}

}  // namespace

bool plain_value(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view(" ._+=,:@%/-").find(c) != std::string_view::npos;
  });
}

bool mentions_word(std::string_view text, std::string_view word) {
  if (word.empty()) return false;
  auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !ident(text[at - 1]);
    bool right = at + word.size() >= text.size() || !ident(text[at + word.size()]);
    if (left && right) return true;
  }
  return false;
}

TaskScripts project_task_scripts(const analyze::TaskRun& t, const std::string& cwd, const Environment& env) {
  TaskScripts out;
  if (!env.read_script) return out;
  std::string dir = cwd;
  if (!t.dir.empty()) dir = analyze::normalize_path(t.dir, cwd, env.home, env.resolve_symlinks);
  if (t.tool == "make") {
    makefile_recipes(t, dir, env, out);
  } else {
    package_scripts(t, dir, env, out);
  }
  if (t.dynamic && out.recent) out.opaque = true;
  return out;
}

}  // namespace tollgate::action
