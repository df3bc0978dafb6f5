// The commands a project task runs (analyze::TaskRun): package.json's
// scripts for npm, pnpm, yarn and bun, a Makefile's recipes for make. The
// project file is found from the command's directory and read through
// Environment::read_script; the caller analyses what comes back as shell.
#include <algorithm>
#include <map>
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

// A recipe line as the shell gets it: the prefixes make reads (@ - +)
// removed, `$$` as `$`, `$(shell cmd)` as a command substitution, and every
// other make reference (`$(CC)`, `${X}`, `$@`, `$<`) as a shell expansion,
// whose value Tollgate does not know.
std::string shell_of_recipe(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && (line[i] == '\t' || line[i] == ' ' || line[i] == '@' || line[i] == '-' || line[i] == '+'))
    ++i;
  std::string out;
  while (i < line.size()) {
    char c = line[i];
    if (c != '$' || i + 1 >= line.size()) {
      out += c;
      ++i;
      continue;
    }
    char n = line[i + 1];
    if (n == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (n == '(' || n == '{') {
      char close = n == '(' ? ')' : '}';
      int depth = 0;
      size_t k = i + 1;
      for (; k < line.size(); ++k) {
        if (line[k] == n) ++depth;
        if (line[k] == close && --depth == 0) break;
      }
      std::string_view inner = line.substr(i + 2, (k < line.size() ? k : line.size()) - i - 2);
      if (inner.substr(0, 6) == "shell ") {
        out += "$(" + shell_of_recipe(inner.substr(6)) + ")";
      } else {
        out += "${MAKE_VALUE}";
      }
      i = k < line.size() ? k + 1 : line.size();
      continue;
    }
    out += "${MAKE_VALUE}";  // $@, $<, $X
    i += 2;
  }
  return out;
}

struct Rule {
  std::vector<std::string> prerequisites;
  std::vector<std::string> recipe;
};

// The recipes of the requested targets and of the targets they depend on.
void makefile_recipes(const analyze::TaskRun& t, const std::string& dir, const Environment& env, TaskScripts& out) {
  std::string path;
  ScriptFile f;
  for (std::string_view name : t.file.empty() ? std::vector<std::string_view>{"GNUmakefile", "makefile", "Makefile"}
                                              : std::vector<std::string_view>{t.file}) {
    path = t.file.empty() ? join(dir, name) : analyze::normalize_path(t.file, dir, env.home, env.resolve_symlinks);
    f = env.read_script(path);
    if (f.state != ScriptFile::State::Missing && f.state != ScriptFile::State::Directory) break;
  }
  if (f.state == ScriptFile::State::Missing || f.state == ScriptFile::State::Directory) return;
  out.recent = f.recent;
  out.dir = dir;
  if (f.state != ScriptFile::State::Text) {
    out.opaque = true;
    return;
  }
  std::map<std::string, Rule> rules;
  std::string default_goal;
  std::vector<std::string> current;     // the targets whose recipe follows
  std::vector<std::string> parse_time;  // $(shell …) and `!=` assignments: run as the file is read
  std::string_view text = f.text;
  bool in_define = false;
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
    if (auto hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
    while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    if (l.empty()) continue;  // blank lines do not end a recipe
    if (in_define) {
      if (l.substr(0, 6) == "endef") in_define = false;
      continue;
    }
    current.clear();
    if (l.substr(0, 7) == "define " || l == "define") {
      in_define = true;
      continue;
    }
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
      if (var.substr(0, 9) == "override ") var.remove_prefix(9);
      if (var.substr(0, 7) == "export ") var.remove_prefix(7);
      if ((var == "SHELL" || var == ".SHELLFLAGS" || var == ".RECIPEPREFIX" || var == "MAKEFLAGS" ||
           var == "MAKEFILES") &&
          out.recent)
        out.opaque = true;
      continue;
    }
    if (colon == std::string_view::npos) continue;  // a directive or something else
    std::string_view targets = l.substr(0, colon);
    std::string_view rest = l.substr(colon + 1);
    if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);  // `::` rules
    if (rest.find('=') != std::string_view::npos) continue;           // target-specific variable
    std::string inline_recipe;
    if (auto semi = rest.find(';'); semi != std::string_view::npos) {
      inline_recipe = std::string(rest.substr(semi + 1));
      rest = rest.substr(0, semi);
    }
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
    for (auto& target : words(targets)) {
      if (default_goal.empty() && target[0] != '.' && target.find('%') == std::string::npos &&
          target.find('$') == std::string::npos)
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
    std::string script;
    for (const auto& line : it->second.recipe) script += shell_of_recipe(line) + "\n";
    if (!script.empty())
      out.scripts.push_back(
          {(target == kPatterns ? std::string("make pattern rules") : "make target `" + target + "`") + " (" + path +
               ")",
           script});
    for (const auto& p : it->second.prerequisites) queue.push_back(p);
  }
  if (seen.size() >= kMaxTargets && out.recent) out.opaque = true;
  std::string at_parse;
  for (const auto& line : parse_time) {
    // Only the $(shell …) parts run: each becomes one command substitution.
    for (size_t at = line.find("$(shell "); at != std::string::npos; at = line.find("$(shell ", at + 1))
      at_parse += "echo " + shell_of_recipe(line.substr(at)) + "\n";
  }
  if (!at_parse.empty()) out.scripts.push_back({"make $(shell …) (" + path + ")", at_parse});
}

}  // namespace

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
