// The hosts behind a git remote named only by name (`git push attacker`,
// `git pull`): the repository's configuration is found from the command's
// directory (a `.git` directory, or a `.git` file naming one, worktrees'
// `commondir` followed) and read through Environment::read_script, with the
// user's global configuration for `url.<base>.insteadOf` rewriting.
#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "action/action_internal.h"
#include "analyze/paths.h"
#include "analyze/url.h"

namespace tollgate::action {

namespace {

// One `section.subsection.key = value` entry; section and key lowercased,
// the subsection as written.
struct Entry {
  std::string section, subsection, key, value;
};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// git-config(1) syntax: `[section "sub"]` or `[section.sub]` headers,
// `key = value` lines (a bare key is true), `#`/`;` comments outside
// quotes, `\"` `\\` `\n` `\t` escapes and trailing-backslash continuations.
// What it cannot read it skips; the caller only looks for a few keys.
std::vector<Entry> parse_git_config(std::string_view text) {
  std::vector<Entry> out;
  std::string section, subsection;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n')) ++i;
    if (i >= text.size()) break;
    if (text[i] == '#' || text[i] == ';') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    if (text[i] == '[') {
      size_t end = text.find(']', i);
      if (end == std::string_view::npos) break;
      std::string_view head = trim(text.substr(i + 1, end - i - 1));
      i = end + 1;
      subsection.clear();
      size_t q = head.find('"');
      if (q != std::string_view::npos) {
        section = lower(trim(head.substr(0, q)));
        for (size_t k = q + 1; k < head.size() && head[k] != '"'; ++k) {
          if (head[k] == '\\' && k + 1 < head.size()) ++k;
          subsection += head[k];
        }
      } else {
        size_t dot = head.find('.');
        section = lower(head.substr(0, dot));
        if (dot != std::string_view::npos) subsection = lower(head.substr(dot + 1));
      }
      continue;
    }
    // key [= value]
    size_t k = i;
    while (k < text.size() && (std::isalnum(static_cast<unsigned char>(text[k])) || text[k] == '-')) ++k;
    Entry e{section, subsection, lower(text.substr(i, k - i)), ""};
    i = k;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i < text.size() && text[i] == '=') {
      ++i;
      bool quoted = false;
      std::string value;
      size_t kept = 0;  // value's length without trailing unquoted blanks
      for (; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\n' && !quoted) break;
        if (c == '\\' && i + 1 < text.size()) {
          char n = text[++i];
          if (n == '\n') continue;  // continuation
          if (n == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            ++i;
            continue;
          }
          value += n == 'n' ? '\n' : n == 't' ? '\t' : n == 'b' ? '\b' : n;
          kept = value.size();
          continue;
        }
        if (c == '"') {
          quoted = !quoted;
          continue;
        }
        if (!quoted && (c == '#' || c == ';')) {
          while (i < text.size() && text[i] != '\n') ++i;
          break;
        }
        if (!quoted && value.empty() && (c == ' ' || c == '\t')) continue;
        value += c;
        if (quoted || (c != ' ' && c != '\t' && c != '\r')) kept = value.size();
      }
      value.resize(kept);
      e.value = std::move(value);
    } else {
      while (i < text.size() && text[i] != '\n') ++i;
      e.value = "true";
    }
    if (!e.key.empty()) out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> values(const std::vector<Entry>& c, std::string_view section, std::string_view sub,
                                std::string_view key) {
  std::vector<std::string> out;
  for (const auto& e : c)
    if (e.section == section && e.subsection == sub && e.key == key) out.push_back(e.value);
  return out;
}

std::string last_value(const std::vector<Entry>& c, std::string_view section, std::string_view sub,
                       std::string_view key) {
  auto v = values(c, section, sub, key);
  return v.empty() ? std::string() : v.back();
}

// `url.<base>.insteadOf` (or pushInsteadOf) rewriting: the longest match.
std::string rewrite(const std::string& url, const std::vector<Entry>& c, std::string_view key) {
  const Entry* best = nullptr;
  for (const auto& e : c) {
    if (e.section != "url" || e.key != key || e.value.empty()) continue;
    if (url.compare(0, e.value.size(), e.value) != 0) continue;
    if (!best || e.value.size() > best->value.size()) best = &e;
  }
  return best ? best->subsection + url.substr(best->value.size()) : url;
}

std::string text_of(const Environment& env, const std::string& path, ScriptFile::State* state = nullptr) {
  ScriptFile f = env.read_script(path);
  if (state) *state = f.state;
  return f.state == ScriptFile::State::Text ? f.text : std::string();
}

// A configuration file with the files it includes (`[include] path`,
// `[includeIf …] path`, taken whatever the condition: what they may add
// counts), three levels deep.
std::vector<Entry> read_config(const Environment& env, const std::string& path, int depth = 0) {
  std::vector<Entry> out;
  if (depth > 3) return out;
  for (auto& e : parse_git_config(text_of(env, path))) {
    if ((e.section == "include" || e.section == "includeif") && e.key == "path" && !e.value.empty()) {
      std::string inc = analyze::normalize_path(e.value, parent_dir(path), env.home, false);
      auto more = read_config(env, inc, depth + 1);
      out.insert(out.end(), more.begin(), more.end());
      continue;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

RemoteTargets git_remote_targets(const analyze::GitRemote& r, const std::string& cwd, const Environment& env) {
  RemoteTargets out;
  if (!env.read_script) return out;
  // The repository: the nearest `.git` above the command's directory.
  std::string dir = cwd;
  if (!r.dir.empty()) {
    if (r.dir_dynamic) {
      out.opaque = true;
      return out;
    }
    dir = analyze::normalize_path(r.dir, cwd, env.home, env.resolve_symlinks);
  }
  std::string git_dir;
  for (int up = 0; up < 64 && !dir.empty(); ++up) {
    std::string dot_git = (dir == "/" ? "" : dir) + "/.git";
    ScriptFile::State st;
    std::string text = text_of(env, dot_git, &st);
    if (st == ScriptFile::State::Directory) {
      git_dir = dot_git;
      break;
    }
    if (st == ScriptFile::State::Text) {
      std::string_view t = trim(text);
      if (t.substr(0, 7) != "gitdir:") return out;  // not a repository git knows
      git_dir = analyze::normalize_path(trim(t.substr(7)), dir, env.home, false);
      break;
    }
    if (dir == "/") break;
    dir = parent_dir(dir);
  }
  if (git_dir.empty()) return out;
  std::string common = git_dir;
  if (std::string c = std::string(trim(text_of(env, git_dir + "/commondir"))); !c.empty())
    common = analyze::normalize_path(c, git_dir, env.home, false);
  std::vector<Entry> config = read_config(env, common + "/config");
  std::vector<Entry> global = read_config(env, env.home + "/.gitconfig");
  auto more = read_config(env, env.home + "/.config/git/config");
  global.insert(global.end(), more.begin(), more.end());
  std::vector<Entry> all = global;
  all.insert(all.end(), config.begin(), config.end());

  std::string name = r.name;
  if (name.empty()) {
    const std::string head_file = text_of(env, git_dir + "/HEAD");
    std::string_view head = trim(head_file);
    std::string branch;
    if (head.substr(0, 16) == "ref: refs/heads/") branch = std::string(head.substr(16));
    if (r.push && !branch.empty()) name = last_value(all, "branch", branch, "pushremote");
    if (r.push && name.empty()) name = last_value(all, "remote", "", "pushdefault");
    if (name.empty() && !branch.empty()) name = last_value(all, "branch", branch, "remote");
    if (name.empty()) name = "origin";
  }
  if (name == ".") return out;  // the repository itself
  std::vector<std::string> names = {name};
  if (name == "*") {  // every remote
    names.clear();
    for (const auto& e : all)
      if (e.section == "remote" && !e.subsection.empty() &&
          std::find(names.begin(), names.end(), e.subsection) == names.end())
        names.push_back(e.subsection);
  }
  std::vector<std::string> urls;
  bool push_urls = false;
  for (const auto& n : names) {
    std::vector<std::string> these;
    if (r.push) these = values(all, "remote", n, "pushurl");
    push_urls = push_urls || !these.empty();
    if (these.empty()) these = values(all, "remote", n, "url");
    urls.insert(urls.end(), these.begin(), these.end());
  }
  for (std::string url : urls) {
    // insteadOf rewrites url and pushurl alike; pushInsteadOf only a url
    // that is pushed to.
    std::string pushed = r.push && !push_urls ? rewrite(url, all, "pushinsteadof") : url;
    url = pushed != url ? pushed : rewrite(url, all, "insteadof");
    std::string low = lower(url);
    if (low.find("::") != std::string::npos) {  // ext::cmd, fd::, remote helpers
      out.opaque = true;
      continue;
    }
    if (low.find("://") != std::string::npos) {
      if (auto u = analyze::parse_url(url); u && !u->host.empty() && u->scheme != "file") {
        out.hosts.push_back(u->host);
        out.urls.push_back(url);
      } else if (!u) {
        out.opaque = true;
      }
      continue;
    }
    // scp-like: [user@]host:path, the colon before any slash.
    size_t colon = url.find(':');
    size_t slash = url.find('/');
    if (colon == std::string::npos || (slash != std::string::npos && slash < colon) || colon == 0) continue;
    std::string host = url.substr(0, colon);
    if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
    if (auto u = analyze::parse_url("ssh://" + host); u && !u->host.empty()) {
      out.hosts.push_back(u->host);
      out.urls.push_back(url);
    } else {
      out.opaque = true;
    }
  }
  return out;
}

}  // namespace tollgate::action
