#include "policy/pack.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "base/suggest.h"
#include "cedar/cedar.h"
#include "cedar/validator.h"

namespace tollgate::policy {

namespace fs = std::filesystem;

namespace {

constexpr uintmax_t kMaxFileBytes = 4u << 20;
constexpr size_t kMaxFiles = 4096;

bool is_schema_file(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return name == "schema.cedarschema" || name == "schema.cedarschema.json";
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Files a pack consists of; anything else in the directory (README, tests,
// editor droppings) is ignored and does not change the hash.
bool is_pack_file(std::string_view path) {
  return ends_with(path, ".cedar") || is_schema_file(path) || path == "links.json";
}

std::string join_path(const std::string& root, const std::string& rel) {
  if (root.empty() || root == ".") return rel;
  return root.back() == '/' ? root + rel : root + "/" + rel;
}

void check_annotations(const cedar::Policy& p, const std::string& file, PolicyMeta& meta,
                       std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings) {
  auto diag = [&](std::string msg, bool warning) {
    (warning ? warnings : errors).push_back(Diagnostic{file, p.loc, std::move(msg), warning});
  };
  std::set<std::string> seen;
  for (const auto& a : p.annotations) {
    if (!seen.insert(a.key).second) diag("annotation `@" + a.key + "` appears twice", false);
    bool known =
        std::find(std::begin(kKnownAnnotations), std::end(kKnownAnnotations), a.key) != std::end(kKnownAnnotations);
    if (!known) {
      std::string msg = "unknown annotation `@" + a.key + "`; Tollgate ignores it";
      if (auto s = nearest(a.key, kKnownAnnotations, [](std::string_view k) { return k; }))
        msg += "; did you mean `@" + *s + "`?";
      diag(std::move(msg), true);
      continue;
    }
    const std::string value = a.value.value_or("");
    if (a.key == "mode") {
      if (value == "log-only") {
        meta.log_only = true;
      } else if (value != "enforce") {
        std::string msg = "`@mode` must be \"log-only\" or \"enforce\", not \"" + value + "\"";
        if (auto s = nearest(value, std::vector<std::string_view>{"log-only", "enforce"},
                             [](std::string_view k) { return k; }))
          msg += "; did you mean \"" + *s + "\"?";
        diag(std::move(msg), false);
      }
    } else if (a.key == "ask") {
      if (p.effect != cedar::Effect::Forbid) {
        diag("`@ask` only has an effect on a forbid policy; this one is a permit", false);
      } else {
        meta.ask = value.empty() ? std::string("a human must approve this action") : value;
      }
    } else if (a.key == "reason") {
      if (value.empty()) diag("`@reason` needs a text: @reason(\"why this rule exists\")", false);
      meta.reason = value;
    } else if (a.key == "control") {
      if (value.empty()) diag("`@control` needs control ids: @control(\"ASI02, NHI5\")", false);
      meta.control = value;
    }
  }
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned i = 0; i < len; ++i) {
    out[2 * i] = hex[md[i] >> 4];
    out[2 * i + 1] = hex[md[i] & 15];
  }
  return out;
}

std::string pack_hash(const std::vector<PackFile>& files) {
  // Length-prefixed so that no two different packs serialise alike.
  std::string buf;
  for (const auto& f : files) {
    buf += std::to_string(f.path.size()) + ':' + f.path + std::to_string(f.text.size()) + ':';
    buf += f.text;
  }
  return "sha256:" + sha256_hex(buf);
}

Result<std::vector<PackFile>> read_pack_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Error("policy pack `" + dir.string() + "` is not a directory");
  std::vector<PackFile> files;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return Error("cannot read policy pack `" + dir.string() + "`: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return Error("cannot read policy pack `" + dir.string() + "`: " + ec.message());
    if (it.depth() > 16) return Error("policy pack `" + dir.string() + "` nests directories too deeply");
    const auto& entry = *it;
    if (!entry.is_regular_file(ec)) continue;
    std::string rel = fs::relative(entry.path(), dir, ec).generic_string();
    if (ec || !is_pack_file(rel)) continue;
    if (files.size() >= kMaxFiles) return Error("policy pack `" + dir.string() + "` has too many files");
    if (entry.file_size(ec) > kMaxFileBytes) return Error(join_path(dir.string(), rel) + ": file is larger than 4 MiB");
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (!in) return Error(join_path(dir.string(), rel) + ": cannot read file");
    files.push_back({std::move(rel), ss.str()});
  }
  std::sort(files.begin(), files.end(), [](const PackFile& a, const PackFile& b) { return a.path < b.path; });
  return files;
}

Result<std::shared_ptr<const Pack>> load_pack_files(std::vector<PackFile> files, std::string root,
                                                    const LoadOptions& opts) {
  auto pack = std::make_shared<Pack>();
  pack->root = root;
  pack->hash = pack_hash(files);
  std::vector<Diagnostic> errors;

  const PackFile* schema_file = nullptr;
  const PackFile* links_file = nullptr;
  for (const auto& f : files) {
    if (is_schema_file(f.path)) {
      if (schema_file) {
        errors.push_back({join_path(root, f.path),
                          {},
                          "a pack has one schema; `" + schema_file->path + "` is already the schema",
                          false});
        continue;
      }
      schema_file = &f;
    } else if (f.path == "links.json") {
      links_file = &f;
    }
  }
  if (schema_file) {
    auto s = cedar::parse_schema(schema_file->text, join_path(root, schema_file->path));
    if (!s) {
      auto& e = s.error();
      if (e.diagnostics.empty()) errors.push_back({join_path(root, schema_file->path), {}, e.message, false});
      errors.insert(errors.end(), e.diagnostics.begin(), e.diagnostics.end());
    } else {
      pack->schema = std::make_shared<const cedar::Schema>(std::move(*s));
    }
  } else if (opts.validate) {
    errors.push_back({root, {}, "the pack has no schema (schema.cedarschema); Tollgate validates every pack", false});
  }

  cedar::PolicySet all;  // both modes together, for validation
  size_t policy_files = 0;
  for (const auto& f : files) {
    if (!ends_with(f.path, ".cedar")) continue;
    ++policy_files;
    std::string file = join_path(root, f.path);
    auto parsed = cedar::parse_policy_list(f.text, file);
    if (!parsed) {
      auto& e = parsed.error();
      if (e.diagnostics.empty()) errors.push_back({file, {}, e.message, false});
      errors.insert(errors.end(), e.diagnostics.begin(), e.diagnostics.end());
      continue;
    }
    size_t n = 0;
    for (auto& copy : *parsed) {
      const cedar::Policy* p = copy.get();
      const std::string* id_ann = p->annotation("id");
      copy->id = id_ann && !id_ann->empty() ? *id_ann : f.path + "#" + std::to_string(n);
      ++n;
      PolicyMeta meta;
      meta.id = copy->id;
      meta.file = f.path;
      meta.loc = p->loc;
      meta.forbid = p->effect == cedar::Effect::Forbid;
      check_annotations(*p, file, meta, errors, pack->warnings);
      if (pack->meta.count(copy->id)) {
        errors.push_back(
            {file, p->loc, "policy id `" + copy->id + "` is already used in " + pack->meta[copy->id].file, false});
        continue;
      }
      bool log_only = meta.log_only;
      pack->meta.emplace(copy->id, std::move(meta));
      std::shared_ptr<const cedar::Policy> shared = std::move(copy);
      if (auto st = all.add(shared); !st) {
        errors.push_back({file, p->loc, st.error().message, false});
        continue;
      }
      auto st = (log_only ? pack->log_only : pack->enforced).add(shared);
      if (!st) errors.push_back({file, p->loc, st.error().message, false});
    }
  }
  if (policy_files == 0) errors.push_back({root, {}, "the pack has no policy files (*.cedar)", false});

  if (links_file) {
    std::string file = join_path(root, links_file->path);
    auto links = cedar::parse_links(links_file->text, file);
    if (!links) {
      errors.push_back({file, {}, links.error().message, false});
    } else {
      for (const auto& l : *links) {
        const PolicyMeta* m = pack->find(l.template_id);
        Status st = all.link(l.template_id, l.new_id, l.principal, l.resource);
        if (st && m) {
          st = (m->log_only ? pack->log_only : pack->enforced).link(l.template_id, l.new_id, l.principal, l.resource);
          PolicyMeta lm = *m;
          lm.id = l.new_id;
          pack->meta.emplace(l.new_id, std::move(lm));
        }
        if (!st) errors.push_back({file, {}, st.error().message, false});
      }
    }
  }

  // Validate whatever parsed, even when other problems were found, so that
  // one run reports every problem (policy check).
  if (opts.validate && pack->schema) {
    auto v = cedar::validate(all, *pack->schema);
    errors.insert(errors.end(), v.errors.begin(), v.errors.end());
    pack->warnings.insert(pack->warnings.end(), v.warnings.begin(), v.warnings.end());
  }
  if (!errors.empty()) {
    std::string msg = "policy pack `" + root + "` was refused: " + std::to_string(errors.size()) +
                      (errors.size() == 1 ? " error" : " errors");
    // The warnings travel along (marked as such), so a refused pack still
    // shows every problem.
    errors.insert(errors.end(), pack->warnings.begin(), pack->warnings.end());
    return Error(std::move(msg), std::move(errors));
  }
  return std::shared_ptr<const Pack>(std::move(pack));
}

Result<std::shared_ptr<const Pack>> load_pack(const fs::path& dir, const LoadOptions& opts) {
  auto files = read_pack_files(dir);
  if (!files) return std::move(files).error();
  return load_pack_files(std::move(*files), dir.string(), opts);
}

Status write_baseline_pack(const fs::path& dir) {
  std::error_code ec;
  for (const auto& f : baseline_pack_files()) {
    fs::path p = dir / f.path;
    fs::create_directories(p.parent_path(), ec);
    if (ec) return Error("cannot create `" + p.parent_path().string() + "`: " + ec.message());
    if (fs::exists(p, ec)) continue;
    std::ofstream out(p, std::ios::binary);
    out << f.text;
    out.close();
    if (!out) return Error("cannot write `" + p.string() + "`");
  }
  return Status::Ok();
}

}  // namespace tollgate::policy
