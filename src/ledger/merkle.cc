#include "ledger/merkle.h"

#include <openssl/evp.h>

namespace tollgate::ledger {

namespace {

// SHA-256 with the digest fetched once and one context per thread: the
// implicit fetch and the context allocation of a plain EVP_DigestInit_ex
// cost more than hashing a 65-byte node.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return m ? m : EVP_sha256();
  }();
  return md;
}

struct DigestCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
};

Hash sha256_parts(std::initializer_list<std::string_view> parts) {
  thread_local DigestCtx holder;
  Hash out{};
  EVP_MD_CTX* ctx = holder.ctx;
  EVP_DigestInit_ex2(ctx, sha256_md(), nullptr);
  for (auto p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out.data(), &len);
  return out;
}

std::string_view view(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

// The largest power of two strictly smaller than n (n > 1).
size_t split(size_t n) {
  size_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

void path(const std::vector<Hash>& leaves, size_t m, size_t begin, size_t end, std::vector<Hash>& out) {
  size_t n = end - begin;
  if (n <= 1) return;
  size_t k = split(n);
  if (m < k) {
    path(leaves, m, begin, begin + k, out);
    out.push_back(root(leaves, begin + k, end));
  } else {
    path(leaves, m - k, begin + k, end, out);
    out.push_back(root(leaves, begin, begin + k));
  }
}

// SUBPROOF(m, D[begin:end], b) of RFC 9162 §2.1.4.1.
void subproof(const std::vector<Hash>& leaves, size_t m, size_t begin, size_t end, bool b, std::vector<Hash>& out) {
  size_t n = end - begin;
  if (m == n) {
    if (!b) out.push_back(root(leaves, begin, end));
    return;
  }
  size_t k = split(n);
  if (m <= k) {
    subproof(leaves, m, begin, begin + k, b, out);
    out.push_back(root(leaves, begin + k, end));
  } else {
    subproof(leaves, m - k, begin + k, end, false, out);
    out.push_back(root(leaves, begin, begin + k));
  }
}

}  // namespace

Hash leaf_hash(std::string_view bytes) { return sha256_parts({std::string_view("\x00", 1), bytes}); }
Hash node_hash(const Hash& l, const Hash& r) { return sha256_parts({std::string_view("\x01", 1), view(l), view(r)}); }
Hash empty_root() { return sha256_parts({}); }

Hash root(const std::vector<Hash>& leaves, size_t begin, size_t end) {
  size_t n = end - begin;
  if (n == 0) return empty_root();
  if (n == 1) return leaves[begin];
  size_t k = split(n);
  return node_hash(root(leaves, begin, begin + k), root(leaves, begin + k, end));
}

std::vector<Hash> inclusion_proof(const std::vector<Hash>& leaves, size_t index, size_t size) {
  std::vector<Hash> out;
  if (index < size && size <= leaves.size()) path(leaves, index, 0, size, out);
  return out;
}

std::vector<Hash> consistency_proof(const std::vector<Hash>& leaves, size_t old_size, size_t new_size) {
  std::vector<Hash> out;
  if (old_size == 0 || old_size > new_size || new_size > leaves.size()) return out;
  subproof(leaves, old_size, 0, new_size, true, out);
  return out;
}

bool verify_inclusion(const Hash& leaf, size_t index, size_t size, const std::vector<Hash>& proof,
                      const Hash& root_hash) {
  if (index >= size) return false;
  size_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = node_hash(p, r);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root_hash;
}

bool verify_consistency(size_t old_size, size_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof) {
  if (old_size > new_size || old_size == 0) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  std::vector<Hash> p = proof;
  // If old_size is a power of two, the old root is the first node.
  if ((old_size & (old_size - 1)) == 0) p.insert(p.begin(), old_root);
  if (p.empty()) return false;
  size_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = p[0], sr = p[0];
  for (size_t i = 1; i < p.size(); ++i) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = node_hash(p[i], fr);
      sr = node_hash(p[i], sr);
      if (!(fn & 1)) {
        while (fn != 0 && !(fn & 1)) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      sr = node_hash(sr, p[i]);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && fr == old_root && sr == new_root;
}

void Frontier::push(const Hash& leaf) {
  stack_.emplace_back(leaf, 1);
  while (stack_.size() >= 2 && stack_[stack_.size() - 2].second == stack_.back().second) {
    auto right = stack_.back();
    stack_.pop_back();
    stack_.back() = {node_hash(stack_.back().first, right.first), right.second * 2};
  }
  ++size_;
}

Hash Frontier::root() const {
  if (stack_.empty()) return empty_root();
  Hash r = stack_.back().first;
  for (size_t i = stack_.size() - 1; i-- > 0;) r = node_hash(stack_[i].first, r);
  return r;
}

void to_hex(const Hash& h, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < 32; ++i) {
    out[2 * i] = kHex[h[i] >> 4];
    out[2 * i + 1] = kHex[h[i] & 15];
  }
}

std::string to_hex(const Hash& h) {
  std::string s(64, '0');
  to_hex(h, s.data());
  return s;
}

bool from_hex(std::string_view hex, Hash& out) {
  if (hex.size() != 64) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace tollgate::ledger
