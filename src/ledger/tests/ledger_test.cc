#include "ledger/ledger.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "ledger/merkle.h"

namespace tollgate::ledger {
namespace {

// The test vectors of the Certificate Transparency reference implementations.
const std::vector<std::string> kLeaves = {
    std::string(""),
    std::string("\x00", 1),
    std::string("\x10", 1),
    std::string("\x20\x21", 2),
    std::string("\x30\x31", 2),
    std::string("\x40\x41\x42\x43", 4),
    std::string("\x50\x51\x52\x53\x54\x55\x56\x57", 8),
    std::string("\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16),
};
const char* kRoots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

std::vector<Hash> hashes(size_t n) {
  std::vector<Hash> v;
  for (size_t i = 0; i < n; ++i) v.push_back(leaf_hash("record " + std::to_string(i)));
  return v;
}

TEST(Merkle, RootsMatchTheReferenceVectors) {
  std::vector<Hash> leaves;
  Frontier f;
  for (size_t i = 0; i < kLeaves.size(); ++i) {
    leaves.push_back(leaf_hash(kLeaves[i]));
    f.push(leaves.back());
    EXPECT_EQ(to_hex(root(leaves)), kRoots[i]) << "size " << i + 1;
    EXPECT_EQ(to_hex(f.root()), kRoots[i]) << "frontier size " << i + 1;
  }
  EXPECT_EQ(to_hex(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, InclusionProofsVerifyAndTamperingFails) {
  auto leaves = hashes(37);
  for (size_t size = 1; size <= leaves.size(); ++size) {
    Hash r = root(leaves, 0, size);
    for (size_t i = 0; i < size; ++i) {
      auto proof = inclusion_proof(leaves, i, size);
      ASSERT_TRUE(verify_inclusion(leaves[i], i, size, proof, r)) << i << "/" << size;
      if (size > 1) {
        EXPECT_FALSE(verify_inclusion(leaves[(i + 1) % size], i, size, proof, r));
        auto bad = proof;
        bad[0][0] ^= 1;
        EXPECT_FALSE(verify_inclusion(leaves[i], i, size, bad, r));
      }
    }
  }
  EXPECT_FALSE(verify_inclusion(leaves[0], 5, 5, {}, root(leaves, 0, 5)));
}

TEST(Merkle, ConsistencyProofsVerifyAndDetectRewrites) {
  auto leaves = hashes(29);
  for (size_t n = 1; n <= leaves.size(); ++n) {
    for (size_t m = 1; m <= n; ++m) {
      auto proof = consistency_proof(leaves, m, n);
      ASSERT_TRUE(verify_consistency(m, n, root(leaves, 0, m), root(leaves, 0, n), proof)) << m << "→" << n;
      if (m < n) {
        auto other = leaves;
        other[m - 1][3] ^= 0x40;  // rewrite the old tree's last record
        EXPECT_FALSE(verify_consistency(m, n, root(other, 0, m), root(leaves, 0, n), proof));
      }
    }
  }
}

std::vector<Row> rows_of(const std::vector<std::string>& records) {
  std::vector<Row> rows;
  Frontier f;
  for (size_t i = 0; i < records.size(); ++i) {
    Hash h = leaf_hash(records[i]);
    f.push(h);
    rows.push_back({static_cast<int64_t>(i + 1), records[i], to_hex(h), to_hex(f.root())});
  }
  return rows;
}

TEST(Ledger, DetectsModifiedRemovedAndReorderedRecords) {
  std::vector<std::string> recs;
  for (int i = 0; i < 10; ++i) recs.push_back("{\"n\":" + std::to_string(i) + "}");
  auto rows = rows_of(recs);
  EXPECT_TRUE(verify(rows).ok);
  auto mod = rows;
  mod[4].bytes = "{\"n\":400}";
  auto r = verify(mod);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 5);
  EXPECT_NE(r.problem.find("modified"), std::string::npos);
  auto removed = rows;
  removed.erase(removed.begin() + 6);
  r = verify(removed);
  EXPECT_EQ(r.first_bad_seq, 7);
  EXPECT_NE(r.problem.find("removed"), std::string::npos);
  auto swapped = rows;
  std::swap(swapped[2].bytes, swapped[3].bytes);
  std::swap(swapped[2].leaf_hex, swapped[3].leaf_hex);
  r = verify(swapped);
  EXPECT_EQ(r.first_bad_seq, 3);
  // A rewrite that recomputes every hash is caught by an earlier checkpoint.
  Checkpoint cp{8, root([&] {
                  std::vector<Hash> v;
                  for (int i = 0; i < 8; ++i) v.push_back(leaf_hash(recs[i]));
                  return v;
                }()),
                "", "", ""};
  EXPECT_TRUE(verify(rows, &cp).ok);
  auto recs2 = recs;
  recs2[1] = "{\"n\":\"forged\"}";
  r = verify(rows_of(recs2), &cp);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("checkpoint"), std::string::npos);
  r = verify(std::vector<Row>(rows.begin(), rows.begin() + 5), &cp);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos);
}

TEST(Ledger, SignedCheckpointsRoundTripAndRejectForgeries) {
  auto dir = std::filesystem::temp_directory_path() / ("tollgate-ledger-" + std::to_string(::getpid()));
  auto key = load_or_create_key((dir / "keys" / "ledger.pem").string());
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->key_id.size(), 16u);
  auto again = load_or_create_key((dir / "keys" / "ledger.pem").string());
  EXPECT_EQ(again->key_id, key->key_id);  // loaded, not regenerated
  auto cp = sign_checkpoint(42, leaf_hash("x"), "2026-11-22T05:00:00Z", *key);
  ASSERT_TRUE(cp.ok());
  std::string text = format_checkpoint(*cp);
  auto parsed = parse_checkpoint(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->size, 42u);
  EXPECT_TRUE(verify_checkpoint_signature(*parsed, key->public_pem).ok());
  auto forged = *parsed;
  forged.size = 41;
  EXPECT_FALSE(verify_checkpoint_signature(forged, key->public_pem).ok());
  EXPECT_FALSE(parse_checkpoint("tollgate checkpoint v1\nsize x\n").ok());
  EXPECT_FALSE(parse_checkpoint("garbage").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::ledger
