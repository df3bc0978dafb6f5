// The issuer's signing keys (docs/tasks.md, "Signing keys and rotation").
//
// One key is active and signs new tokens; retired keys keep only their
// public half and stay published (JWKS) until every token they signed has
// expired, then they are dropped. Each key's id is its RFC 7638 JWK
// thumbprint (base64url SHA-256 of {"crv","kty","x","y"}), so anyone can
// recompute it from the published key.
//
// On disk, in the key directory (mode 0700):
//   keys.json    {"v":1,"keys":[{"kid","x","y","created","retired","max_exp"}]}
//                (seconds since the epoch; retired 0 = the active key;
//                max_exp = the latest `exp` the key signed)
//   <kid>.pem    the active key's private half, mode 0600; deleted when the
//                key retires
// Both are written atomically (temporary file + rename). A KeySet opened
// without a directory keeps its keys in memory only (tests, fuzzing).
//
// Rotation: on schedule, when the active key is `rotate_every_s` old
// (checked by maybe_rotate(), which mint() calls), and on demand (rotate()).
// Time comes from the caller (seconds), never from a clock of its own.
//
// Not thread-safe: the daemon calls it under its own lock. Pointers from
// find() stay valid until the next call that rotates or prunes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/crypto.h"

namespace tollgate::identity {

struct KeySetOptions {
  std::string dir;                 // empty: in memory only
  int64_t rotate_every_s = 86400;  // 0: only on demand
  int64_t skew_s = 60;             // retired keys stay this much longer than their last token
  bool read_only = false;          // never create, rotate or write (offline verification)
};

// RFC 7638 thumbprint of an EC P-256 public key.
std::string jwk_thumbprint(const crypto::EcKey& key);

class KeySet {
 public:
  // Loads the key directory, creating it and a first key when empty (unless
  // read_only). Refuses a manifest it cannot read or whose active key has no
  // private half.
  static Result<std::unique_ptr<KeySet>> open(KeySetOptions opts, int64_t now_s);

  // Signs `claims_json` with the active key (rotating first when due), and
  // remembers that this key must stay published until `exp_s`.
  Result<std::string> mint(std::string_view claims_json, int64_t exp_s, int64_t now_s);
  // A new active key now; the previous one retires.
  Result<std::string> rotate(int64_t now_s);  // returns the new kid
  // Rotates when the active key is due, and drops retired keys whose last
  // token expired. Returns whether anything changed.
  Result<bool> maybe_rotate(int64_t now_s);

  const crypto::EcKey* find(std::string_view kid) const;
  std::string active_kid() const;
  // {"keys":[{"kty":"EC","crv":"P-256","x","y","kid","use":"sig","alg":"ES256"}…]}
  std::string jwks_json() const;
  size_t size() const { return keys_.size(); }

 private:
  struct Entry {
    std::string kid;
    crypto::EcKey key;  // with its private half while active
    int64_t created = 0, retired = 0, max_exp = 0;
  };
  explicit KeySet(KeySetOptions opts) : opts_(std::move(opts)) {}
  Status save() const;
  Status add_new_key(int64_t now_s);
  KeySetOptions opts_;
  std::vector<Entry> keys_;  // the active key last
};

}  // namespace tollgate::identity
