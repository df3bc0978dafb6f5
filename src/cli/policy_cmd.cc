// `tollgate policy check|fmt|explain` — the policy author's tools
// (docs/policy-tools.md). `policy test` lives in policy_test_cmd.cc.
//
//   tollgate policy check DIR [--json]
//       Loads the pack (policy/pack.h), then lints it (policy/lint.h).
//       Every error and warning as `file:line:col: message`, the source line
//       with the span underlined, and `help: …` when there is a suggestion;
//       with --json, `[{"file","line","col","severity","message","help"}]` on
//       stdout instead. Exit 0 valid (warnings allowed), 1 errors, 2 the
//       pack could not be read.
//   tollgate policy fmt [--check | --write] FILE|DIR|- …
//       Canonical layout (policy/format.h). Prints the formatted text; with
//       --check lists the files that are not formatted (exit 1 if any); with
//       --write rewrites them in place. Directories mean their *.cedar files.
//       Exit 2 when a file cannot be read or does not parse.
//   tollgate policy explain --pack DIR --request R.json [--entities E.json] [--json]
//       How the pack decides one request (policy/explain.h). Exit 0 whatever
//       the decision; 2 when the pack, request or entities cannot be used.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "cedar/cedar.h"
#include "cedar/validator.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "policy/explain.h"
#include "policy/format.h"
#include "policy/lint.h"
#include "policy/pack.h"

namespace tollgate::cli {

namespace {

namespace fs = std::filesystem;

// ---- check ------------------------------------------------------------

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Byte offset of 1-based code-point column `col` in `line`.
size_t byte_of_col(std::string_view line, uint32_t col) {
  size_t i = 0;
  for (uint32_t c = 1; c < col && i < line.size(); ++c) {
    ++i;
    while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// Length in bytes of the token starting at `at`: a word (with a leading `@`
// for annotations), a string literal, or one character.
size_t span_at(std::string_view line, size_t at) {
  if (at >= line.size()) return 1;
  size_t i = at;
  if (line[i] == '@' || line[i] == '.') ++i;  // an annotation, an attribute access
  if (i < line.size() && ident_char(line[i])) {
    while (i < line.size() && ident_char(line[i])) ++i;
    return i - at;
  }
  if (line[at] == '"') {
    for (i = at + 1; i < line.size(); ++i) {
      if (line[i] == '\\') {
        ++i;
      } else if (line[i] == '"') {
        return i + 1 - at;
      }
    }
    return line.size() - at;
  }
  return 1;
}

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

class SourceCache {
 public:
  // The text of line `n` of `file`, if the file can be read and has it.
  std::optional<std::string> line(const std::string& file, uint32_t n) {
    auto it = files_.find(file);
    if (it == files_.end()) {
      std::string text;
      std::vector<std::string> lines;
      if (!file.empty() && read_file(file, text)) {
        size_t start = 0;
        while (start <= text.size()) {
          size_t nl = text.find('\n', start);
          std::string l = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
          if (!l.empty() && l.back() == '\r') l.pop_back();
          lines.push_back(std::move(l));
          if (nl == std::string::npos) break;
          start = nl + 1;
        }
      }
      it = files_.emplace(file, std::move(lines)).first;
    }
    if (n == 0 || n > it->second.size()) return std::nullopt;
    return it->second[n - 1];
  }

 private:
  std::map<std::string, std::vector<std::string>> files_;
};

// The loader reports annotation problems at the policy's start; point at
// the annotation itself when it can be found in the next lines.
void relocate_annotation(Diagnostic& d, SourceCache& sources) {
  if (d.loc.line == 0 || d.message.find("`@") == std::string::npos) return;
  size_t at = d.message.find("`@");
  size_t end = d.message.find('`', at + 1);
  if (end == std::string::npos) return;
  std::string name = d.message.substr(at + 1, end - at - 1);  // "@key"
  for (uint32_t n = d.loc.line; n < d.loc.line + 64; ++n) {
    auto text = sources.line(d.file, n);
    if (!text) return;
    for (size_t i = (n == d.loc.line ? byte_of_col(*text, d.loc.col) : 0);
         (i = text->find(name, i)) != std::string::npos; ++i) {
      size_t after = i + name.size();
      if (after < text->size() && ident_char((*text)[after])) continue;
      d.loc = {n, static_cast<uint32_t>(code_points(std::string_view(*text).substr(0, i)) + 1)};
      return;
    }
    // Stop at the policy's effect: annotations come before it.
    if (text->find("permit") != std::string::npos || text->find("forbid") != std::string::npos) return;
  }
}

// The validator checks a policy once per request environment and repeats a
// problem for each action it meets it in; one line per problem reads
// better: "(context of actions `A`, `B` and 3 more)".
std::vector<Diagnostic> merge_actions(const std::vector<Diagnostic>& ds) {
  auto split = [](const std::string& m, std::string& action) {
    size_t at = m.find("action `");
    if (at == std::string::npos) return m;
    size_t start = at + 8;
    // The uid may hold backquotes only inside its quoted id; find the
    // closing backquote after the id's closing quote.
    size_t q = m.find('"', start);
    size_t q2 = q == std::string::npos ? q : m.find('"', q + 1);
    size_t end = m.find('`', q2 == std::string::npos ? start : q2);
    if (end == std::string::npos) return m;
    action = m.substr(start, end - start);
    return m.substr(0, at) + "action `*" + m.substr(end);
  };
  std::vector<Diagnostic> out;
  std::map<std::tuple<std::string, uint32_t, uint32_t, bool, std::string>, std::pair<size_t, std::vector<std::string>>>
      groups;
  for (const auto& d : ds) {
    std::string action;
    std::string key = split(d.message, action);
    if (action.empty()) {
      out.push_back(d);
      continue;
    }
    auto k = std::make_tuple(d.file, d.loc.line, d.loc.col, d.warning, key);
    auto it = groups.find(k);
    if (it == groups.end()) {
      groups.emplace(k, std::make_pair(out.size(), std::vector<std::string>{action}));
      out.push_back(d);
    } else {
      it->second.second.push_back(action);
    }
  }
  for (const auto& [k, g] : groups) {
    const auto& actions = g.second;
    if (actions.size() < 2) continue;
    std::string list;
    size_t shown = std::min<size_t>(actions.size(), 3);
    for (size_t i = 0; i < shown; ++i) list += (i ? ", `" : "`") + actions[i] + "`";
    if (actions.size() > shown) list += " and " + std::to_string(actions.size() - shown) + " more";
    std::string& m = out[g.first].message;
    size_t at = m.find("action `" + actions[0] + "`");
    m.replace(at, 9 + actions[0].size(), "actions " + list);
  }
  return out;
}

std::string render(const Diagnostic& d, SourceCache& sources) {
  auto [message, help] = cedar::split_help(d.message);
  Diagnostic shown = d;
  shown.message = std::string(message);
  std::string out = shown.str() + "\n";
  if (d.loc.line > 0) {
    if (auto text = sources.line(d.file, d.loc.line)) {
      std::string num = std::to_string(d.loc.line);
      std::string pad(num.size(), ' ');
      size_t at = byte_of_col(*text, d.loc.col);
      size_t len = span_at(*text, at);
      // Keep tabs so the marker lines up under the span.
      std::string lead;
      for (size_t i = 0; i < at; ++i) {
        if ((static_cast<unsigned char>((*text)[i]) & 0xC0) == 0x80) continue;
        lead += (*text)[i] == '\t' ? '\t' : ' ';
      }
      size_t width = std::max<size_t>(1, code_points(std::string_view(*text).substr(at, len)));
      out += " " + num + " | " + *text + "\n";
      out += " " + pad + " | " + lead + "^" + std::string(width - 1, '~') + "\n";
    }
  }
  if (!help.empty()) out += "help: " + std::string(help) + "\n";
  return out;
}

std::string diagnostics_json(const std::vector<Diagnostic>& ds) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& d : ds) {
    auto [message, help] = cedar::split_help(d.message);
    arr.push_back({{"file", d.file},
                   {"line", d.loc.line ? d.loc.line : 1},
                   {"col", d.loc.col ? d.loc.col : 1},
                   {"severity", d.warning ? "warning" : "error"},
                   {"message", std::string(message)},
                   {"help", std::string(help)}});
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct CheckArgs {
  std::string dir;
  bool json = false;
};

int run_check(const CheckArgs& a) {
  auto files = policy::read_pack_files(a.dir);
  if (!files) {
    Diagnostic d{a.dir, {}, files.error().message, false};
    if (a.json) {
      std::cout << diagnostics_json({d}) << "\n";
    } else {
      std::cerr << d.str() << "\n";
    }
    return 2;
  }
  size_t policy_files = std::count_if(files->begin(), files->end(), [](const policy::PackFile& f) {
    return f.path.size() > 6 && f.path.compare(f.path.size() - 6, 6, ".cedar") == 0;
  });
  std::vector<policy::PackFile> kept = *files;
  auto pack = policy::load_pack_files(std::move(*files), a.dir);
  std::vector<Diagnostic> ds;
  size_t policies = 0;
  if (!pack) {
    ds = pack.error().diagnostics;
    if (ds.empty()) ds.push_back({a.dir, {}, pack.error().message, false});
    // Lint needs no types: when the pack loads without validation (the
    // errors are type errors), lint that, so one run shows everything.
    if (auto unvalidated = policy::load_pack_files(std::move(kept), a.dir, {.validate = false})) {
      auto lint = policy::lint_pack(**unvalidated);
      for (auto& l : lint) {
        // The validator's "policy is impossible" already covers this spot.
        bool dup = std::any_of(ds.begin(), ds.end(), [&](const Diagnostic& d) {
          return d.file == l.file && d.loc.line == l.loc.line && d.loc.col == l.loc.col && d.warning &&
                 d.message.rfind("policy is impossible", 0) == 0;
        });
        if (!dup || l.message.find("can never apply") == std::string::npos) ds.push_back(std::move(l));
      }
    }
  } else {
    const auto& p = **pack;
    policies = p.enforced.instances().size() + p.log_only.instances().size();
    ds = p.warnings;
    auto lint = policy::lint_pack(p);
    ds.insert(ds.end(), lint.begin(), lint.end());
  }
  SourceCache sources;
  for (auto& d : ds) relocate_annotation(d, sources);
  ds = merge_actions(ds);
  std::stable_sort(ds.begin(), ds.end(), [](const Diagnostic& x, const Diagnostic& y) {
    return std::tie(x.file, x.loc.line, x.loc.col) < std::tie(y.file, y.loc.line, y.loc.col);
  });
  size_t errors = std::count_if(ds.begin(), ds.end(), [](const Diagnostic& d) { return !d.warning; });
  size_t warnings = ds.size() - errors;
  if (a.json) {
    std::cout << diagnostics_json(ds) << "\n";
  } else {
    std::string out;
    for (const auto& d : ds) out += render(d, sources);
    auto plural = [](size_t n, const char* one, const char* many) {
      return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    if (errors) {
      out += a.dir + ": " + plural(errors, "error", "errors") + ", " + plural(warnings, "warning", "warnings") + "\n";
    } else {
      out += a.dir + ": ok, " + plural(policies, "policy", "policies") + " in " +
             plural(policy_files, "file", "files") + ", " + plural(warnings, "warning", "warnings") + " (pack " +
             (*pack)->short_hash() + ")\n";
    }
    std::cerr << out;
  }
  return errors ? 1 : 0;
}

// ---- fmt --------------------------------------------------------------

struct FmtArgs {
  std::vector<std::string> files;
  bool check = false;
  bool write = false;
};

// Files named on the command line, directories expanded to their *.cedar
// files (sorted). Unreadable directories are reported and skipped.
std::vector<std::string> expand(const std::vector<std::string>& args, int& rc) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (a != "-" && fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (fs::recursive_directory_iterator it(a, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec) && it->path().extension() == ".cedar") found.push_back(it->path().string());
      }
      if (ec) {
        std::cerr << a << ": cannot read directory: " << ec.message() << "\n";
        rc = 2;
      }
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(a);
    }
  }
  return out;
}

// Replaces `path` with `text` through a temporary file and a rename, so a
// crash never leaves half a policy file.
bool write_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tollgate-fmt.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  fs::permissions(tmp, fs::status(path, ec).permissions(), ec);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  return true;
}

int run_fmt(const FmtArgs& a) {
  int rc = 0;
  size_t changed = 0;
  for (const auto& path : expand(a.files, rc)) {
    std::string text;
    if (!read_file(path, text)) {
      std::cerr << path << ":1:1: cannot read file\n";
      rc = 2;
      continue;
    }
    std::string name = path == "-" ? "<stdin>" : path;
    auto out = policy::format_policies(text, name);
    if (!out) {
      print_error(out.error());
      rc = 2;
      continue;
    }
    bool same = *out == text;
    if (a.check) {
      if (!same) {
        std::cerr << name << ": not formatted (run `tollgate policy fmt --write " << name << "`)\n";
        rc = std::max(rc, 1);
        ++changed;
      }
    } else if (a.write && path != "-") {
      if (!same) {
        if (!write_atomically(path, *out)) {
          std::cerr << path << ": cannot write the formatted file\n";
          rc = 2;
        } else {
          std::cerr << "formatted " << path << "\n";
          ++changed;
        }
      }
    } else {
      std::cout << *out;
    }
  }
  return rc;
}

// ---- explain ----------------------------------------------------------

struct ExplainArgs {
  std::string pack, request, entities;
  bool json = false;
};

int run_explain(const ExplainArgs& a) {
  auto pack = policy::load_pack(a.pack);
  if (!pack) {
    print_error(pack.error());
    if (!pack.error().diagnostics.empty()) std::cerr << "error: " << pack.error().message << "\n";
    return 2;
  }
  const cedar::Schema* schema = (*pack)->schema.get();
  std::string text;
  if (!read_file(a.request, text)) {
    std::cerr << a.request << ":1:1: cannot read request file\n";
    return 2;
  }
  auto req = cedar::parse_request(text, schema);
  if (!req) {
    std::cerr << a.request << ": " << req.error().message << "\n";
    for (const auto& d : req.error().diagnostics) std::cerr << d.str() << "\n";
    return 2;
  }
  std::string ents_text = "[]";
  if (!a.entities.empty() && !read_file(a.entities, ents_text)) {
    std::cerr << a.entities << ":1:1: cannot read entities file\n";
    return 2;
  }
  auto ents = cedar::parse_entities(ents_text, a.entities.empty() ? "<no entities>" : a.entities, schema);
  if (!ents) {
    print_error(ents.error());
    return 2;
  }
  auto e = policy::explain(**pack, *req, *ents);
  if (a.json) {
    std::cout << policy::explanation_json(e) << "\n";
  } else {
    std::cout << policy::explanation_text(e);
  }
  return 0;
}

}  // namespace

void add_policy_commands(CLI::App& app, int& exit_code) {
  auto* policy = app.add_subcommand("policy", "Check, format, test and explain Tollgate policy packs");
  policy->require_subcommand(1);

  auto check = std::make_shared<CheckArgs>();
  auto* c = policy->add_subcommand("check", "Validate and lint a policy pack directory");
  c->add_option("DIR", check->dir, "Policy pack directory (*.cedar and schema.cedarschema)")->required();
  c->add_flag("--json", check->json, "Print the diagnostics as JSON on stdout");
  c->callback([check, &exit_code] { exit_code = run_check(*check); });

  auto fmt = std::make_shared<FmtArgs>();
  auto* f = policy->add_subcommand("fmt", "Format Cedar policy files in the canonical layout");
  f->add_option("FILES", fmt->files, "Policy files or directories ('-' for stdin)")->required();
  auto* chk = f->add_flag("--check", fmt->check, "List files that are not formatted; exit 1 if any");
  auto* wr = f->add_flag("--write", fmt->write, "Rewrite files in place");
  chk->excludes(wr);
  f->callback([fmt, &exit_code] { exit_code = run_fmt(*fmt); });

  auto ex = std::make_shared<ExplainArgs>();
  auto* e = policy->add_subcommand("explain", "Explain how a policy pack decides one request");
  e->add_option("--pack", ex->pack, "Policy pack directory")->required();
  e->add_option("--request", ex->request, "Request JSON file ('-' for stdin)")->required();
  e->add_option("--entities", ex->entities, "Entities JSON file");
  e->add_flag("--json", ex->json, "Print the explanation as JSON");
  e->callback([ex, &exit_code] { exit_code = run_explain(*ex); });

  add_policy_test_command(*policy, exit_code);
}

}  // namespace tollgate::cli
