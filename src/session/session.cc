#include "session/session.h"

#include <algorithm>

#include "base/json.h"

namespace tollgate::session {

namespace {

// Iterative glob matcher with single backtracking points for `*` and `**`.
bool match_segment_glob(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0;
  size_t star_p = std::string_view::npos, star_t = 0;
  size_t dstar_p = std::string_view::npos, dstar_t = 0;
  while (ti < t.size()) {
    if (pi + 1 < p.size() && p[pi] == '*' && p[pi + 1] == '*') {
      // `**` (and `**/`) matches any run of characters, slashes included.
      pi += 2;
      if (pi < p.size() && p[pi] == '/') ++pi;
      dstar_p = pi;
      dstar_t = ti;
      star_p = std::string_view::npos;
      continue;
    }
    if (pi < p.size() && p[pi] == '*') {
      star_p = ++pi;
      star_t = ti;
      continue;
    }
    if (pi < p.size() && (p[pi] == t[ti] || (p[pi] == '?' && t[ti] != '/'))) {
      ++pi;
      ++ti;
      continue;
    }
    if (star_p != std::string_view::npos && t[star_t] != '/') {
      pi = star_p;
      ti = ++star_t;
      continue;
    }
    if (dstar_p != std::string_view::npos) {
      pi = dstar_p;
      ti = ++dstar_t;
      star_p = std::string_view::npos;
      continue;
    }
    return false;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) { return match_segment_glob(pattern, text); }

bool path_within(std::string_view path, std::string_view dir) {
  if (dir.empty()) return false;
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path == dir || (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

LabelTable LabelTable::defaults(const std::string& home) {
  LabelTable t;
  t.home_ = home;
  auto path = [&](std::string p, std::vector<std::string> labels) {
    t.add({std::move(p), std::move(labels), false, false});
  };
  auto host = [&](std::string p, std::vector<std::string> labels) {
    t.add({std::move(p), std::move(labels), true, false});
  };
  // Secrets anywhere.
  for (const char* p : {".env",
                        ".env.*",
                        "*.pem",
                        "*.key",
                        "*.p12",
                        "*.pfx",
                        "*.jks",
                        "*.keystore",
                        "id_rsa*",
                        "id_dsa*",
                        "id_ecdsa*",
                        "id_ed25519*",
                        ".netrc",
                        ".pgpass",
                        "*.kdbx",
                        ".git-credentials",
                        "credentials.json",
                        "service-account*.json",
                        "*.tfstate",
                        "*.tfstate.backup",
                        ".htpasswd",
                        ".env-*",
                        "*.env",
                        "*.ppk",
                        "secrets.yaml",
                        "secrets.yml",
                        "secrets.json",
                        "secrets.toml"})
    path(p, {"secret"});
  for (const char* p : {".env.example", ".env.sample", ".env.template", ".env.dist", "*.pub", "example.env",
                        "sample.env", "*.example.env", "*.sample.env", ".env-example", ".env-sample", ".env.*.example",
                        ".env.*.sample", ".env.*.template", ".env.*.dist",
                        // Code and types named after the environment (`.env.d.ts`,
                        // `.env.mjs`), a schema of its names, Helm's templates.
                        ".env*.ts", ".env*.js", ".env*.mjs", ".env*.cjs", ".env*.py", ".env.schema",
                        "templates/secrets.yaml", "templates/secrets.yml"})
    t.add({p, {"secret"}, false, true});
  // Other tools' credential stores.
  for (const char* p : {"~/.ssh/**",
                        "~/.aws/**",
                        "~/.config/gcloud/**",
                        "~/.azure/**",
                        "~/.kube/**",
                        "~/.docker/config.json",
                        "~/.config/gh/hosts.yml",
                        "~/.npmrc",
                        "~/.pypirc",
                        "~/.netrc",
                        "~/.git-credentials",
                        "~/.cargo/credentials*",
                        "~/.gnupg/**",
                        "~/.terraform.d/credentials*",
                        "~/.config/hub",
                        "~/.vault-token",
                        "~/.password-store/**",
                        "~/.config/glab-cli/**",
                        "~/.config/op/**",
                        "~/Library/Keychains/**",
                        "~/.yarnrc.yml",
                        "~/.claude/.credentials.json",
                        "~/.codex/auth.json",
                        "~/.gemini/oauth_creds.json",
                        "~/.config/git/credentials",
                        "~/.config/rclone/rclone.conf",
                        "~/.terraformrc",
                        "~/.gem/credentials",
                        "~/.local/share/keyrings/**",
                        "~/.m2/settings.xml",
                        "~/.bash_history",
                        "~/.zsh_history",
                        "~/.python_history",
                        "~/.psql_history",
                        "~/.mysql_history",
                        "~/.node_repl_history",
                        "~/.claude.json",
                        "~/.cursor/mcp.json",
                        "/var/run/secrets/**",
                        "/run/secrets/**",
                        "/etc/shadow",
                        "/etc/gshadow",
                        "/etc/ssh/ssh_host_*_key"})
    path(p, {"credentials", "secret"});
  t.add({"~/.ssh/*.pub", {"credentials", "secret"}, false, true});
  t.add({"~/.ssh/known_hosts", {"credentials", "secret"}, false, true});
  t.add({"~/.ssh/config", {"secret"}, false, true});
  // CI/CD configuration.
  for (const char* p : {".github/workflows/**", ".github/actions/**", ".gitlab-ci.yml", ".gitlab-ci/**", ".circleci/**",
                        "Jenkinsfile", ".buildkite/**", "azure-pipelines.yml", ".travis.yml", "bitbucket-pipelines.yml",
                        ".drone.yml", "cloudbuild.yaml", ".woodpecker.yml"})
    path(p, {"ci-config"});
  // Configuration other tools run as commands: git's (aliases, sshCommand,
  // filters, remotes' upload-pack) and its hooks, commit-hook managers,
  // direnv's .envrc.
  // Submodules keep theirs under .git/modules; `.mcp.json` and the
  // harnesses' MCP lists start the servers they name.
  for (const char* p : {".git/config",
                        ".git/config.worktree",
                        ".git/hooks/**",
                        ".git/info/attributes",
                        ".git/commondir",
                        ".git/worktrees/**",
                        ".git/modules/**/hooks/**",
                        ".git/modules/**/config",
                        ".git/modules/**/config.worktree",
                        "~/.gitconfig",
                        "~/.config/git/config",
                        ".husky/**",
                        ".pre-commit-config.yaml",
                        ".envrc",
                        ".npmrc",
                        ".yarnrc",
                        ".yarnrc.yml",
                        ".pnpmfile.cjs",
                        ".pnpmfile.mjs",
                        ".mcp.json",
                        ".cursor/mcp.json",
                        "~/.cursor/mcp.json",
                        ".vscode/mcp.json"})
    path(p, {"exec-config"});
  // Agent harness settings (where hooks live).
  for (const char* p : {".claude/settings.json", ".claude/settings.local.json", "~/.claude/settings.json",
                        "~/.claude/settings.local.json", ".codex/hooks.json", ".codex/config.toml",
                        "~/.codex/hooks.json", "~/.codex/config.toml", ".cursor/hooks.json", "~/.cursor/hooks.json",
                        ".gemini/settings.json", "~/.gemini/settings.json", "/etc/claude-code/managed-settings.json"})
    path(p, {"agent-config"});
  // Caches other tools rebuild: deleting them loses nothing.
  for (const char* p :
       {"~/.cache/**", "~/.npm/_cacache/**", "~/.gradle/caches/**", "~/.m2/repository/**", "~/.cargo/registry/**",
        "~/.cargo/git/**", "~/go/pkg/mod/**", "~/.yarn/berry/cache/**", "~/.local/share/pnpm/store/**",
        "~/Library/Caches/**", "~/Library/Developer/Xcode/DerivedData/**"})
    path(p, {"cache"});
  // What a harness writes for itself with its own file tools (Claude
  // Code's plan files).
  path("~/.claude/plans/**", {"agent-scratch"});
  // A process's environment: where tokens and keys are often kept.
  for (const char* p : {"/proc/self/environ", "/proc/*/environ", "/proc/*/task/*/environ"}) path(p, {"environment"});
  // Personal data, by the usual names.
  for (const char* p : {"**/pii/**", "*.pii.*", "customers*.csv", "users*.csv", "*.sql.gz", "*dump*.sql"})
    path(p, {"pii"});
  // Code that handles such data (`src/pii/redact.ts`) and schema dumps hold none.
  for (const char* p : {"*.ts", "*.tsx",  "*.js",  "*.jsx",   "*.mjs",   "*.cjs", "*.py",        "*.go",
                        "*.rs", "*.java", "*.kt",  "*.rb",    "*.php",   "*.cs",  "*.c",         "*.h",
                        "*.cc", "*.cpp",  "*.hpp", "*.swift", "*.scala", "*.md",  "*schema*.sql"})
    t.add({p, {"pii"}, false, true});
  // Hosts: package registries and source forges (the egress allowlist of the baseline).
  for (const char* h : {"registry.npmjs.org",
                        "registry.yarnpkg.com",
                        "pypi.org",
                        "files.pythonhosted.org",
                        "crates.io",
                        "index.crates.io",
                        "static.crates.io",
                        "proxy.golang.org",
                        "sum.golang.org",
                        "rubygems.org",
                        "repo.maven.apache.org",
                        "repo1.maven.org",
                        "plugins.gradle.org",
                        "api.nuget.org",
                        "deb.debian.org",
                        "security.debian.org",
                        "archive.ubuntu.com",
                        "dl-cdn.alpinelinux.org",
                        "registry-1.docker.io",
                        "docker.io",
                        "auth.docker.io",
                        "production.cloudflare.docker.com",
                        "hub.docker.com",
                        "quay.io",
                        "mcr.microsoft.com",
                        "public.ecr.aws",
                        "gcr.io",
                        "registry.k8s.io",
                        "download.pytorch.org",
                        "conda.anaconda.org",
                        "repo.anaconda.com",
                        "jsr.io",
                        "deno.land",
                        "ghcr.io",
                        "packagist.org",
                        "repo.packagist.org",
                        "hex.pm",
                        "pub.dev",
                        "cocoapods.org"})
    host(h, {"registry"});
  for (const char* h : {"github.com", "*.github.com", "*.githubusercontent.com", "gitlab.com", "*.gitlab.com",
                        "bitbucket.org", "codeberg.org", "sr.ht", "*.sr.ht"})
    host(h, {"forge"});
  // Places data is commonly exfiltrated to.
  for (const char* h : {"pastebin.com",
                        "*.pastebin.com",
                        "paste.ee",
                        "hastebin.com",
                        "transfer.sh",
                        "0x0.st",
                        "webhook.site",
                        "*.requestbin.net",
                        "*.pipedream.net",
                        "*.ngrok.io",
                        "*.ngrok-free.app",
                        "termbin.com",
                        "ix.io",
                        "file.io",
                        "*.interact.sh",
                        "*.oast.fun",
                        "*.burpcollaborator.net",
                        "requestbin.net",
                        "pipedream.net",
                        "*.oast.pro",
                        "*.oast.live",
                        "*.oast.site",
                        "*.oast.online",
                        "*.oast.me",
                        "*.oastify.com",
                        "*.trycloudflare.com",
                        "*.ngrok.app",
                        "*.ngrok.dev",
                        "*.ngrok-free.dev",
                        "*.loca.lt",
                        "serveo.net",
                        "*.serveo.net",
                        "*.localtunnel.me",
                        "*.pinggy.link",
                        "*.pinggy.io",
                        "*.devtunnels.ms",
                        "*.beeceptor.com",
                        "*.requestcatcher.com",
                        "dpaste.org",
                        "dpaste.com",
                        "rentry.co",
                        "paste.rs",
                        "bpa.st",
                        "catbox.moe",
                        "litterbox.catbox.moe",
                        "tmpfiles.org",
                        "paste.sr.ht",
                        "hooks.slack.com",
                        "*.webhook.office.com"})
    host(h, {"paste"});
  // This machine: a local server's answers are the developer's own, and
  // sending to it sends nothing off the machine.
  for (const char* h : {"localhost", "*.localhost", "127.0.0.1", "::1", "0.0.0.0"}) host(h, {"local"});
  return t;
}

void LabelTable::add(LabelRule rule) {
  if (!rule.host && rule.pattern.size() >= 2 && rule.pattern[0] == '~' && rule.pattern[1] == '/')
    rule.pattern = home_ + rule.pattern.substr(1);
  const bool sensitive = std::any_of(rule.labels.begin(), rule.labels.end(), [](const std::string& l) {
    return l == "secret" || l == "credentials" || l == "pii" || l == "environment";
  });
  if (sensitive && !rule.host && !rule.exclude && !rule.pattern.empty()) {
    // How the quick test of sensitive_labels() matches it: the pattern, and
    // for `dir/**` the directory's own name too (path_labels matches both).
    auto quick = [&](const std::string& p) {
      Quick q;
      const size_t wild = p.find_first_of("*?[");
      if (p[0] == '/') {
        q.kind = Quick::kPathPrefix;  // anchored: the text before its first wildcard
        q.text = p.substr(0, wild);
      } else if (p.find('/') != std::string::npos) {
        q.kind = Quick::kPathGlob;
        q.text = "**/" + p;
        // Its longest run of text without wildcards, which a match holds.
        for (size_t at = 0; at < q.text.size();) {
          size_t end = std::min(q.text.find_first_of("*?[", at), q.text.size());
          if (end - at > q.literal.size()) q.literal = q.text.substr(at, end - at);
          at = end + 1;
        }
      } else if (wild == std::string::npos) {
        q.kind = Quick::kName;
        q.text = p;
      } else if (wild == 0 && p.find_first_of("*?[", 1) == std::string::npos) {
        q.kind = Quick::kNameSuffix;
        q.text = p.substr(1);
      } else if (wild == p.size() - 1 && p.back() == '*') {
        q.kind = Quick::kNamePrefix;
        q.text = p.substr(0, wild);
      } else {
        q.kind = Quick::kNameGlob;
        q.text = p;
      }
      quick_.push_back(std::move(q));
    };
    quick(rule.pattern);
    const std::string& p = rule.pattern;
    if (p.size() > 3 && p.compare(p.size() - 3, 3, "/**") == 0) quick(p.substr(0, p.size() - 3));
  }
  rules_.push_back(std::move(rule));
}

std::string LabelTable::sensitive_labels(std::string_view path) const {
  const std::string_view name = basename(path);
  bool maybe = false;
  for (const auto& q : quick_) {
    switch (q.kind) {
      case Quick::kName: maybe = name == q.text; break;
      case Quick::kNamePrefix: maybe = name.substr(0, q.text.size()) == q.text; break;
      case Quick::kNameSuffix:
        maybe = name.size() >= q.text.size() && name.substr(name.size() - q.text.size()) == q.text;
        break;
      case Quick::kNameGlob: maybe = glob_match(q.text, name); break;
      case Quick::kPathPrefix:
        // (The last character first: most paths differ there.)
        maybe = path.size() >= q.text.size() && (q.text.empty() || path[q.text.size() - 1] == q.text.back()) &&
                path.substr(0, q.text.size()) == q.text;
        break;
      case Quick::kPathGlob: maybe = path.find(q.literal) != std::string_view::npos && glob_match(q.text, path); break;
    }
    if (maybe) break;
  }
  if (!maybe) return {};
  std::string out;
  for (const auto& l : path_labels(path))  // (sorted)
    if (l == "secret" || l == "credentials" || l == "pii" || l == "environment") out += (out.empty() ? "" : ",") + l;
  return out;
}

namespace {

// Adds (or, for an exclusion, removes) a matching rule's labels.
void apply_rule(const LabelRule& r, std::vector<std::string>& out) {
  for (const auto& l : r.labels) {
    if (r.exclude) {
      out.erase(std::remove(out.begin(), out.end(), l), out.end());
    } else {
      add_unique(out, l);
    }
  }
}

}  // namespace

namespace {

// Where the bracket expression that opens at `open` closes (its `]`), as
// fnmatch(3) reads it: a leading `!`/`^` and `]` are members, and
// `[:class:]`, `[.x.]`, `[=x=]` are units. npos when it does not close.
size_t bracket_end(const std::string& n, size_t open) {
  size_t j = open + 1;
  if (j < n.size() && (n[j] == '!' || n[j] == '^')) ++j;
  if (j < n.size() && n[j] == ']') ++j;
  while (j < n.size() && n[j] != ']') {
    if (n[j] == '[' && j + 1 < n.size() && (n[j + 1] == ':' || n[j + 1] == '.' || n[j + 1] == '=')) {
      const char kind = n[j + 1];
      size_t close = n.find(std::string{kind, ']'}, j + 2);
      if (close == std::string::npos) return std::string::npos;
      j = close + 2;
      continue;
    }
    ++j;
  }
  return j < n.size() ? j : std::string::npos;
}

// The names a name pattern can stand for, as label rules can match them:
// braces expanded (`*.{pem,key}`, at most 32 names), a bracket expression
// (`[.]env`) taken as any one character, and each in lower case too (a
// search may ignore case).
std::vector<std::string> name_variants(std::string_view name) {
  std::vector<std::string> out, todo = {std::string(name)};
  while (!todo.empty() && out.size() < 32) {
    std::string n = std::move(todo.back());
    todo.pop_back();
    size_t open = n.find('{'), close = open == std::string::npos ? open : n.find('}', open);
    if (close == std::string::npos) {
      std::string flat;
      for (size_t i = 0; i < n.size(); ++i) {
        if (n[i] == '\\' && i + 1 < n.size()) {  // an escaped character is itself
          flat += n[++i];
          continue;
        }
        size_t end = n[i] == '[' ? bracket_end(n, i) : std::string::npos;
        if (end != std::string::npos) {
          flat += '?';
          i = end;
        } else {
          flat += n[i];
        }
      }
      std::string folded = flat;
      std::transform(folded.begin(), folded.end(), folded.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.push_back(flat);
      if (folded != flat) out.push_back(folded);
      continue;
    }
    std::string_view alts = std::string_view(n).substr(open + 1, close - open - 1);
    for (size_t at = 0; at <= alts.size() && todo.size() < 64;) {
      size_t comma = std::min(alts.find(',', at), alts.size());
      todo.push_back(n.substr(0, open) + std::string(alts.substr(at, comma - at)) + n.substr(close + 1));
      at = comma + 1;
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> LabelTable::path_labels(std::string_view path) const {
  // A name that is a pattern with braces or brackets: the labels of every
  // name it can stand for.
  if (std::string_view base = basename(path);
      base.find_first_of("{[\\") != std::string_view::npos && base.find_first_of("*?[{\\") != std::string_view::npos) {
    std::string_view dir = path.substr(0, path.size() - base.size());
    std::vector<std::string> all;
    for (const auto& v : name_variants(base)) {
      if (v.find_first_of("{[\\") != std::string::npos) continue;  // unbalanced: as written below
      for (auto& l : path_labels(std::string(dir) + v)) add_unique(all, l);
    }
    std::sort(all.begin(), all.end());
    if (!all.empty()) return all;
  }
  std::vector<std::string> out;
  // A name that is itself a pattern (`.env*` in `grep -r --include=.env*`,
  // a glob not expanded) carries the labels of the names it can match:
  // those of each rule whose name it matches as text. Not for exclusions
  // (`.env*` matches `.env.example` too), nor for patterns that match
  // nearly any name (`*`, `.*`, `*.*`).
  std::string_view name = basename(path);
  const bool name_pattern =
      name.find_first_of("*?[") != std::string_view::npos &&
      std::count_if(name.begin(), name.end(), [](char c) { return c != '*' && c != '?' && c != '.'; }) >= 1;
  // `*.json` names a kind of file, most of them no secret: it carries the
  // labels of rules for that kind (`*.pem`, `*.env`), not of single names
  // that happen to have it (`credentials.json`, `secrets.yaml`).
  const bool any_of_kind = name_pattern && name.size() > 2 && name[0] == '*' && name[1] == '.' &&
                           name.find_first_of("*?[", 1) == std::string_view::npos;
  std::string name_lower(name_pattern ? name : std::string_view());
  std::transform(name_lower.begin(), name_lower.end(), name_lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto matches = [&](const std::string& pattern, bool exclude) {
    if (!pattern.empty() && pattern[0] == '/') return glob_match(pattern, path);
    if (pattern.find('/') == std::string::npos)  // a file name anywhere
      return glob_match(pattern, name) || (name_pattern && !exclude && (!any_of_kind || pattern[0] == '*') &&
                                           (glob_match(name, pattern) || glob_match(name_lower, pattern)));
    return glob_match("**/" + pattern, path);  // a relative path anywhere
  };
  for (const auto& r : rules_) {
    if (r.host) continue;
    // `dir/**` labels the directory itself too: reading it whole (grep -r,
    // tar, cp -r, a search tool rooted there) reads what is in it.
    bool m = matches(r.pattern, r.exclude);
    if (!m && r.pattern.size() > 3 && r.pattern.compare(r.pattern.size() - 3, 3, "/**") == 0)
      m = matches(r.pattern.substr(0, r.pattern.size() - 3), r.exclude);
    if (m) apply_rule(r, out);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> LabelTable::tree_labels(std::string_view path) const {
  std::vector<std::string> out = path_labels(path);
  std::string_view root = path;
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  for (const auto& r : rules_) {
    if (r.host || r.exclude || r.pattern.empty() || r.pattern[0] != '/') continue;
    // The directories the rule names before its first wildcard: the rule
    // can match beneath `path` when they lie at or below it.
    std::string_view fixed = r.pattern;
    size_t wild = fixed.find_first_of("*?[");
    if (wild != std::string_view::npos) {
      size_t slash = fixed.rfind('/', wild);
      fixed = fixed.substr(0, slash == 0 ? 1 : slash);
    }
    bool beneath =
        root == "/" || fixed == root ||
        (fixed.size() > root.size() && fixed.compare(0, root.size(), root) == 0 && fixed[root.size()] == '/');
    if (beneath) apply_rule(r, out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> LabelTable::top_write_labels() const {
  std::vector<std::string> out;
  for (const auto& r : rules_) {
    if (r.host || r.exclude || r.pattern.empty() || r.pattern[0] == '/') continue;
    for (const auto& l : r.labels)
      if (l == "exec-config" || l == "ci-config" || l == "agent-config") out.push_back(l);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> LabelTable::host_labels(std::string_view host) const {
  std::vector<std::string> out;
  for (const auto& r : rules_)
    if (r.host && glob_match(r.pattern, host)) apply_rule(r, out);
  std::sort(out.begin(), out.end());
  return out;
}

void apply(Session& s, const Effects& e) {
  for (const auto& l : e.labels_read) s.labels_read.insert(l);
  if (e.secret_read) ++s.secrets_read;
  // Bounded: a session that contacts thousands of hosts keeps the first 1,000.
  for (const auto& h : e.hosts)
    if (s.hosts_contacted.size() < 1000) s.hosts_contacted.insert(h);
  if (e.untrusted) s.untrusted_input = true;
}

std::string state_json(const Session& s) {
  nlohmann::json j = {
      {"labels_read", s.labels_read},         {"secrets_read", s.secrets_read}, {"hosts_contacted", s.hosts_contacted},
      {"untrusted_input", s.untrusted_input}, {"denials", s.denials},           {"decisions", s.decisions}};
  return dump_json(j);
}

Status load_state_json(Session& s, std::string_view text) {
  auto parsed = parse_json(text, "session state", 8);
  if (!parsed) return std::move(parsed).error();
  const auto& j = *parsed;
  if (!j.is_object()) return Error("session state: expected an object");
  try {
    s.labels_read = j.value("labels_read", std::set<std::string>{});
    s.secrets_read = j.value("secrets_read", int64_t{0});
    s.hosts_contacted = j.value("hosts_contacted", std::set<std::string>{});
    s.untrusted_input = j.value("untrusted_input", false);
    s.denials = j.value("denials", int64_t{0});
    s.decisions = j.value("decisions", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return Error(std::string("session state: ") + e.what());
  }
  return Status::Ok();
}

std::string agent_json(const Agent& a) {
  nlohmann::json j = {{"id", a.id},
                      {"name", a.name},
                      {"harness", a.harness},
                      {"owner", a.owner},
                      {"team", a.team},
                      {"account", a.account},
                      {"host", a.host},
                      {"status", a.status},
                      {"mcp_servers", a.mcp_servers},
                      {"first_seen_ms", a.first_seen_ms},
                      {"last_seen_ms", a.last_seen_ms},
                      {"registered", a.registered}};
  return dump_json(j);
}

Status load_agent_json(Agent& a, std::string_view text) {
  auto parsed = parse_json(text, "agent", 8);
  if (!parsed) return std::move(parsed).error();
  const auto& j = *parsed;
  if (!j.is_object()) return Error("agent: expected an object");
  try {
    a.id = j.value("id", std::string());
    a.name = j.value("name", std::string());
    a.harness = j.value("harness", std::string());
    a.owner = j.value("owner", std::string());
    a.team = j.value("team", std::string());
    a.account = j.value("account", std::string());
    a.host = j.value("host", std::string());
    a.status = j.value("status", std::string("active"));
    a.mcp_servers = j.value("mcp_servers", std::vector<std::string>{});
    a.first_seen_ms = j.value("first_seen_ms", int64_t{0});
    a.last_seen_ms = j.value("last_seen_ms", int64_t{0});
    a.registered = j.value("registered", false);
  } catch (const nlohmann::json::exception& e) {
    return Error(std::string("agent: ") + e.what());
  }
  return Status::Ok();
}

std::string task_json(const Task& t, bool with_digest) {
  nlohmann::json j = {{"id", t.id},
                      {"ticket", t.ticket},
                      {"repos", t.repos},
                      {"environment", t.environment},
                      {"window_start_ms", t.window_start_ms},
                      {"window_end_ms", t.window_end_ms},
                      {"expires_ms", t.expires_ms},
                      {"grants", t.grants},
                      {"agent", t.agent},
                      {"created_ms", t.created_ms},
                      {"ended", t.ended}};
  if (!t.jti.empty()) j["jti"] = t.jti;
  if (!t.audience.empty()) j["audience"] = t.audience;
  if (t.token_exp_s) j["token_exp"] = t.token_exp_s;
  if (with_digest) j["token_sha256"] = t.token_sha256;
  return dump_json(j);
}

Status load_task_json(Task& t, std::string_view text) {
  auto parsed = parse_json(text, "task", 8);
  if (!parsed) return std::move(parsed).error();
  const auto& j = *parsed;
  if (!j.is_object()) return Error("task: expected an object");
  try {
    t.id = j.value("id", std::string());
    t.ticket = j.value("ticket", std::string());
    t.repos = j.value("repos", std::vector<std::string>{});
    t.environment = j.value("environment", std::string());
    t.window_start_ms = j.value("window_start_ms", int64_t{0});
    t.window_end_ms = j.value("window_end_ms", int64_t{0});
    t.expires_ms = j.value("expires_ms", int64_t{0});
    t.grants = j.value("grants", std::vector<std::string>{});
    t.agent = j.value("agent", std::string());
    t.created_ms = j.value("created_ms", int64_t{0});
    t.ended = j.value("ended", false);
    t.token_sha256 = j.value("token_sha256", std::string());
    t.jti = j.value("jti", std::string());
    t.audience = j.value("audience", std::vector<std::string>{});
    t.token_exp_s = j.value("token_exp", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return Error(std::string("task: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace tollgate::session
