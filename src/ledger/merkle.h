// RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing over the
// ledger's records (docs/ledger.md): leaf hash SHA-256(0x00 ‖ bytes), node
// hash SHA-256(0x01 ‖ left ‖ right), the tree head of the first n leaves as
// MTH(D[0:n]) with the largest power of two smaller than n as the split, and
// the inclusion and consistency proofs of §2.1.3 and §2.1.4 with their
// verification algorithms. Anyone can check a proof with these definitions
// alone; nothing here is specific to Tollgate.
//
// Pure functions over hashes; thread-safe. Root computation is O(n) time
// and O(log n) stack space.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::ledger {

using Hash = std::array<uint8_t, 32>;

Hash leaf_hash(std::string_view bytes);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();  // SHA-256 of the empty string

// MTH over leaves[begin, end).
Hash root(const std::vector<Hash>& leaves, size_t begin, size_t end);
inline Hash root(const std::vector<Hash>& leaves) { return root(leaves, 0, leaves.size()); }

// The audit path for leaf `index` in the tree of the first `size` leaves.
std::vector<Hash> inclusion_proof(const std::vector<Hash>& leaves, size_t index, size_t size);
// The consistency proof between the trees of the first `old_size` and
// `new_size` leaves (0 < old_size <= new_size).
std::vector<Hash> consistency_proof(const std::vector<Hash>& leaves, size_t old_size, size_t new_size);

// RFC 9162 §2.1.3.2.
bool verify_inclusion(const Hash& leaf, size_t index, size_t size, const std::vector<Hash>& proof, const Hash& root);
// RFC 9162 §2.1.4.2.
bool verify_consistency(size_t old_size, size_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof);

// The tree head of a growing list of leaves in O(log n) space: the
// perfect subtrees of the binary decomposition of n, largest first.
class Frontier {
 public:
  void push(const Hash& leaf);
  Hash root() const;
  uint64_t size() const { return size_; }

 private:
  std::vector<std::pair<Hash, uint64_t>> stack_;  // (subtree root, leaf count)
  uint64_t size_ = 0;
};

std::string to_hex(const Hash& h);
// Writes the 64 hex digits to out[0..63] (no terminator).
void to_hex(const Hash& h, char* out);
bool from_hex(std::string_view hex, Hash& out);

}  // namespace tollgate::ledger
