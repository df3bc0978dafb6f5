// Tollgate's own encrypted store for static secrets (docs/tasks.md,
// "The secret store"): what a `static` credential with `"store": NAME`
// hands out. Each secret is sealed with AES-256-GCM under a 256-bit key
// kept apart from the store (DATA/keys/secret-store.key, 0600, created on
// first use), with the secret's name as associated data, so a sealed value
// cannot be moved to another name; the store names its key by a digest, so
// a store opened with the wrong key says so instead of failing later.
//
// DATA/secrets.json (0600, replaced atomically on each change):
//   {"version": 1, "key_id": "<16 hex>", "secrets": {"db": {"sealed": "<base64>",
//    "bytes": 12, "updated_ms": 1780000000000}}}
//
// The file is input Tollgate did not write if someone edited it: parsing
// is depth-capped and every malformed part is a clear error naming the file.
// Values are what `static` credentials may hold (printable ASCII, tab and
// newline, at most 64 KiB); at most 1,024 secrets. Not thread-safe: the
// Service holds its lock around every call.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace tollgate::server {

class SecretStore {
 public:
  static constexpr size_t kMaxSecrets = 1024;
  struct Entry {
    std::string name;
    size_t bytes = 0;
    int64_t updated_ms = 0;
  };

  // Opens the store at `path` with the key at `key_path`; neither needs to
  // exist yet (the first put() creates both).
  static Result<SecretStore> open(std::string path, std::string key_path);

  Status put(const std::string& name, const std::string& value, int64_t now_ms);
  Result<std::string> get(const std::string& name);
  // false when there was no such secret.
  Result<bool> remove(const std::string& name);
  std::vector<Entry> list() const;

 private:
  struct Sealed {
    std::string sealed;  // nonce ‖ ciphertext ‖ tag
    size_t bytes = 0;
    int64_t updated_ms = 0;
  };
  Status load_key(bool create);
  Status save() const;
  std::string path_, key_path_;
  std::string key_;     // empty until loaded
  std::string key_id_;  // of the file, or of key_ once loaded
  std::map<std::string, Sealed> secrets_;
};

}  // namespace tollgate::server
