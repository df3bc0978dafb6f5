// The keys that sign ledger checkpoints, and their rotation (docs/ledger.md,
// "Checkpoint keys and rotation").
//
// One key is active and signs new checkpoints. Every key that ever signed
// keeps its public half, by key id, so a checkpoint signed before a rotation
// stays verifiable after it: `audit verify --checkpoint` picks the key named
// on the checkpoint's `key` line. A retired key's private half is deleted.
//
// On disk, in the key directory (DATA/keys, mode 0700):
//   ledger-keys.json   {"v":1,"active":"<id>","keys":[{"id","created","retired","public_pem"}]}
//                      (seconds since the epoch; retired 0 for the active key)
//   ledger-<id>.pem    the active key's private half, mode 0600
//   ledger.pem         the single key of a data directory from before
//                      rotation: adopted as the first key of the manifest
// Files are written atomically (temporary file, fsync, rename). A rotation
// writes the new private key first and then the manifest, so a crash leaves
// either the old key active or the new one, never neither.
//
// Hostile input: a manifest or key file that does not parse, names keys
// whose public half does not hash to their id, or lacks the active private
// key is refused with a message naming the file.
//
// Not thread-safe: the owner serialises calls. Time comes from the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ledger/ledger.h"

namespace tollgate::ledger {

// The key id of a public key in PEM: 16 hex digits of SHA-256 of its DER.
Result<std::string> key_id_of_public_pem(std::string_view pem);

class CheckpointKeys {
 public:
  // Loads the key directory; with `create`, makes it and a first key when
  // there is none.
  static Result<std::unique_ptr<CheckpointKeys>> open(const std::string& dir, int64_t now_s, bool create = true);
  // Public keys only, for verification: a manifest (ledger-keys.json) or
  // one public (or private) key in PEM.
  static Result<std::unique_ptr<CheckpointKeys>> from_text(std::string_view text);

  // The active signer; null for a set of public keys.
  const Signer* active() const { return active_.pem.empty() ? nullptr : &active_; }
  int64_t active_since() const;  // seconds; 0 when unknown
  // A new active key now; the previous one keeps only its public half.
  // Returns the new key's id.
  // `handover_size`: the ledger size the old key's last checkpoint will
  // cover, saved with the rotation itself (0: not known).
  Result<std::string> rotate(int64_t now_s, uint64_t handover_size = 0);
  // The ledger size the retired key `key_id` vouched for last (its handover
  // checkpoint): checkpoints it signs of a larger size are not accepted.
  Status set_retired_size(const std::string& key_id, uint64_t size);

  // The public key in PEM for `key_id`; null when this set does not have it.
  const std::string* public_pem(std::string_view key_id) const;
  // Checks a checkpoint's signature with the key its `key` line names.
  Status verify(const Checkpoint& c) const;
  std::string manifest_json() const;
  size_t size() const { return keys_.size(); }

 private:
  struct Entry {
    std::string id, public_pem;
    int64_t created = 0, retired = 0;
    uint64_t retired_size = 0;  // 0: not known (a manifest from before it was kept)
  };
  CheckpointKeys() = default;
  Status save() const;
  std::string dir_;  // empty: not on disk
  Signer active_;
  std::vector<Entry> keys_;
};

}  // namespace tollgate::ledger
