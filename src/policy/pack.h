// A Tollgate policy pack: a directory of Cedar policy files (`*.cedar`, read
// recursively in path order) with one schema (`schema.cedarschema` or
// `schema.cedarschema.json`) and optional template links (`links.json`).
// Loading parses every file, gives each policy a pack-wide id, reads
// Tollgate's annotations (docs/policies.md), validates the policies against
// the schema in strict mode, and splits them into the enforced set and the
// log-only (shadow) set. A pack is identified by a SHA-256 over its files, so
// every decision can name the exact pack that made it.
//
// Policy ids: `@id("…")` when present (must be unique in the pack), else
// `<relative file path>#<n>` with n counting the file's policies from 0.
//
// Tollgate's annotations: @ask("why") on a forbid turns a deny into a
// question for a human; @mode("log-only") evaluates without enforcing
// (@mode("enforce") is the default); @reason("…") is shown to the agent and
// the user; @control("ASI02, NHI5") ties the policy to framework controls;
// @id names it. Any other annotation is reported as a warning, with the
// nearest known key as a suggestion.
//
// Thread-safety: a loaded Pack is immutable and may be shared across
// threads (the daemon hands out shared_ptr<const Pack>).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cedar/authorizer.h"
#include "cedar/schema.h"

namespace tollgate::policy {

// Tollgate's reading of one policy's annotations.
struct PolicyMeta {
  std::string id;
  std::string file;  // path relative to the pack root
  SourceLoc loc;
  bool forbid = false;
  bool log_only = false;
  std::optional<std::string> ask;  // set on forbids that ask instead of deny
  std::string reason;              // empty when the policy has no @reason
  std::string control;             // empty when the policy has no @control
};

// The known annotation keys, for checks and suggestions.
inline constexpr std::string_view kKnownAnnotations[] = {"id", "ask", "mode", "reason", "control"};

struct Pack {
  std::string root;  // the directory it was loaded from ("<embedded>" for built-ins)
  std::string hash;  // "sha256:<64 hex>" over every file's path and bytes
  std::shared_ptr<const cedar::Schema> schema;
  cedar::PolicySet enforced;
  cedar::PolicySet log_only;
  std::unordered_map<std::string, PolicyMeta> meta;  // by policy id
  std::vector<Diagnostic> warnings;                  // validator and annotation warnings

  const PolicyMeta* find(const std::string& id) const {
    auto it = meta.find(id);
    return it == meta.end() ? nullptr : &it->second;
  }
  // Twelve hex digits of the hash, for people.
  std::string short_hash() const { return hash.size() > 19 ? hash.substr(7, 12) : hash; }
};

// One file of a pack held in memory (the embedded baseline, tests).
struct PackFile {
  std::string path;  // relative, with '/' separators
  std::string text;
};

struct LoadOptions {
  // Validate against the schema (strict). Without it a pack with no schema
  // loads too; with it a missing schema is an error.
  bool validate = true;
};

// Loads the pack under `dir`. On failure the Error lists every problem found
// (parse errors, validation errors, bad annotations, duplicate ids) as
// file:line:col diagnostics, with paths relative to the current directory
// as given in `dir`.
Result<std::shared_ptr<const Pack>> load_pack(const std::filesystem::path& dir, const LoadOptions& opts = {});

// The same from files in memory; `root` names the pack in diagnostics.
Result<std::shared_ptr<const Pack>> load_pack_files(std::vector<PackFile> files, std::string root,
                                                    const LoadOptions& opts = {});

// Reads a pack directory's files (sorted, relative paths), refusing files
// over 4 MiB and packs over 4,096 files.
Result<std::vector<PackFile>> read_pack_files(const std::filesystem::path& dir);

// The pack shipped inside the binary (policies/baseline/ at build time).
const std::vector<PackFile>& baseline_pack_files();

// Writes the baseline pack's files into `dir` (created if needed); existing
// files are left alone.
Status write_baseline_pack(const std::filesystem::path& dir);

// "sha256:<hex>" of the files, in the order given.
std::string pack_hash(const std::vector<PackFile>& files);

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace tollgate::policy
