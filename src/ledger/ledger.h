// The ledger's checks and checkpoints (docs/ledger.md). The records
// themselves live in the store (store.h: each event's canonical bytes, leaf
// hash and the tree head after it); this header verifies them, signs tree
// heads, and checks signed checkpoints.
//
// Checkpoint text (signed with ES256 over every line before `sig`):
//
//   tollgate checkpoint v1
//   size 1234
//   root <64 hex>
//   time 2026-11-22T05:00:00Z
//   key <key id: 16 hex of SHA-256 of the public key's DER>
//   sig <base64 DER ECDSA signature>
//
// Pure functions apart from key files; thread-safe; never throw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ledger/merkle.h"

namespace tollgate::ledger {

// One stored record as the verifier sees it.
struct Row {
  int64_t seq = 0;
  std::string bytes;
  std::string leaf_hex;
  std::string root_hex;
};

struct Checkpoint {
  uint64_t size = 0;
  Hash root{};
  std::string time;  // RFC 3339, UTC
  std::string key_id;
  std::string signature;  // base64
};

struct VerifyReport {
  bool ok = true;
  uint64_t size = 0;
  Hash root{};
  int64_t first_bad_seq = 0;  // 0: none
  std::string problem;        // one sentence
};

// Recomputes every leaf and tree head. Reports the first record that was
// modified (its bytes no longer match its leaf), removed (a gap in the
// sequence), inserted or reordered (the stored tree head after it no longer
// matches). With a checkpoint: the tree of its size must have its root, and
// a ledger shorter than the checkpoint was truncated.
VerifyReport verify(const std::vector<Row>& rows, const Checkpoint* checkpoint = nullptr);

// The same check fed one record at a time, in ledger order, so a ledger of
// any size is verified in O(log n) memory. add() returns false once a
// problem was found (later records cannot change the report). The views
// need to live only for the call.
class Verifier {
 public:
  explicit Verifier(const Checkpoint* checkpoint = nullptr) : cp_(checkpoint) {}
  bool add(int64_t seq, std::string_view bytes, std::string_view leaf_hex, std::string_view root_hex);
  VerifyReport finish();

 private:
  void fail(int64_t seq, std::string problem);
  const Checkpoint* cp_;
  VerifyReport r_;
  Frontier f_;
  int64_t expect_seq_ = 1;
};

// A signing key: an EC P-256 private key in PEM, created (mode 0600) when
// the file does not exist and `create` is set.
struct Signer {
  std::string pem;
  std::string key_id;
  std::string public_pem;
};
Result<Signer> load_or_create_key(const std::string& path, bool create = true);

std::string checkpoint_body(const Checkpoint& c);
Result<Checkpoint> sign_checkpoint(uint64_t size, const Hash& root, const std::string& time, const Signer& key);
std::string format_checkpoint(const Checkpoint& c);
Result<Checkpoint> parse_checkpoint(std::string_view text);
// Checks the signature with a public key in PEM.
Status verify_checkpoint_signature(const Checkpoint& c, const std::string& public_pem);

}  // namespace tollgate::ledger
