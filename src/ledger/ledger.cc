#include "ledger/ledger.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "crypto/crypto.h"

namespace tollgate::ledger {

namespace {

std::string key_id_of(const crypto::EcKey& k) { return crypto::sha256_hex(k.public_der()).substr(0, 16); }

}  // namespace

VerifyReport verify(const std::vector<Row>& rows, const Checkpoint* cp) {
  Verifier v(cp);
  for (const auto& row : rows)
    if (!v.add(row.seq, row.bytes, row.leaf_hex, row.root_hex)) break;
  return v.finish();
}

void Verifier::fail(int64_t seq, std::string problem) {
  r_.ok = false;
  r_.first_bad_seq = seq;
  r_.problem = std::move(problem);
}

bool Verifier::add(int64_t seq, std::string_view bytes, std::string_view leaf_hex, std::string_view root_hex) {
  if (!r_.ok) return false;
  if (seq != expect_seq_) {
    if (expect_seq_ == 1 && seq > 1)
      fail(1, "records 1 to " + std::to_string(seq - 1) + " were removed");
    else if (seq > expect_seq_)
      fail(expect_seq_,
           "record " + std::to_string(expect_seq_) + " was removed (the next record is " + std::to_string(seq) + ")");
    else
      fail(expect_seq_,
           "record " + std::to_string(seq) + " appears out of order after record " + std::to_string(expect_seq_ - 1));
    return false;
  }
  expect_seq_ = seq + 1;
  Hash leaf = leaf_hash(bytes);
  char hex[64];
  to_hex(leaf, hex);
  if (leaf_hex != std::string_view(hex, 64)) {
    fail(seq, "record " + std::to_string(seq) + " was modified: its bytes no longer match its leaf hash");
    return false;
  }
  f_.push(leaf);
  Hash head = f_.root();
  if (cp_ && f_.size() == cp_->size && head != cp_->root) {
    fail(seq, "the tree of the first " + std::to_string(cp_->size) +
                  " records does not match the checkpoint: records up to " + std::to_string(seq) +
                  " were modified, inserted, removed or reordered");
    return false;
  }
  to_hex(head, hex);
  if (root_hex != std::string_view(hex, 64)) {
    fail(seq, "record " + std::to_string(seq) +
                  " does not follow its predecessors: a record before it was inserted, removed or reordered");
    return false;
  }
  return true;
}

VerifyReport Verifier::finish() {
  r_.size = f_.size();
  r_.root = f_.root();
  if (r_.ok && cp_ && f_.size() < cp_->size)
    fail(static_cast<int64_t>(f_.size()) + 1, "the ledger was truncated: it has " + std::to_string(f_.size()) +
                                                  " records, the checkpoint " + std::to_string(cp_->size));
  return r_;
}

Result<Signer> load_or_create_key(const std::string& path, bool create) {
  namespace fs = std::filesystem;
  std::error_code ec;
  Signer s;
  if (!fs::exists(path, ec)) {
    if (!create) return Error("no key at `" + path + "`");
    fs::create_directories(fs::path(path).parent_path(), ec);
    ::chmod(fs::path(path).parent_path().c_str(), 0700);
    auto k = crypto::EcKey::generate();
    if (!k) return Error("cannot generate a signing key");
    if (auto st = crypto::write_private_file(path, k->private_pem()); !st)
      return Error("cannot write the signing key `" + path + "`");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("cannot read the key `" + path + "`");
  s.pem.assign(16384, '\0');
  in.read(s.pem.data(), static_cast<std::streamsize>(s.pem.size()));
  s.pem.resize(static_cast<size_t>(in.gcount()));
  auto k = crypto::EcKey::from_private_pem(s.pem);
  if (!k) return Error("`" + path + "` is not a PEM P-256 private key");
  s.key_id = key_id_of(*k);
  s.public_pem = k->public_pem();
  return s;
}

std::string checkpoint_body(const Checkpoint& c) {
  return "tollgate checkpoint v1\nsize " + std::to_string(c.size) + "\nroot " + to_hex(c.root) + "\ntime " + c.time +
         "\nkey " + c.key_id + "\n";
}

Result<Checkpoint> sign_checkpoint(uint64_t size, const Hash& root, const std::string& time, const Signer& key) {
  Checkpoint c{size, root, time, key.key_id, ""};
  auto k = crypto::EcKey::from_private_pem(key.pem);
  if (!k) return Error("the signing key does not load");
  auto sig = k->sign_der(checkpoint_body(c));
  if (!sig) return std::move(sig).error();
  c.signature = crypto::base64_encode(*sig);
  return c;
}

std::string format_checkpoint(const Checkpoint& c) { return checkpoint_body(c) + "sig " + c.signature + "\n"; }

Result<Checkpoint> parse_checkpoint(std::string_view text) {
  if (text.size() > 4096) return Error("checkpoint: larger than 4 KiB");
  Checkpoint c;
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    lines.emplace_back(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  auto field = [&](size_t i, std::string_view key) -> Result<std::string> {
    if (i >= lines.size() || lines[i].rfind(std::string(key) + " ", 0) != 0)
      return Error("checkpoint: line " + std::to_string(i + 1) + " should start with `" + std::string(key) + " `");
    return lines[i].substr(key.size() + 1);
  };
  if (lines.empty() || lines[0] != "tollgate checkpoint v1")
    return Error("checkpoint: line 1 should be `tollgate checkpoint v1`");
  auto size = field(1, "size");
  auto root = field(2, "root");
  auto time = field(3, "time");
  auto key = field(4, "key");
  auto sig = field(5, "sig");
  for (auto* f : {&size, &root, &time, &key, &sig})
    if (!*f) return f->error();
  char* end = nullptr;
  c.size = std::strtoull(size->c_str(), &end, 10);
  if (size->empty() || *end) return Error("checkpoint: line 2: bad size");
  if (!from_hex(*root, c.root)) return Error("checkpoint: line 3: the root is not 64 hex digits");
  c.time = *time;
  c.key_id = *key;
  c.signature = *sig;
  return c;
}

Status verify_checkpoint_signature(const Checkpoint& c, const std::string& public_pem) {
  auto k = crypto::EcKey::from_public_pem(public_pem);
  if (!k) return Error("the public key does not load");
  if (key_id_of(*k) != c.key_id) return Error("the checkpoint was signed with another key (" + c.key_id + ")");
  auto sig = crypto::base64_decode(c.signature);
  if (!sig) return Error("the checkpoint's signature is not base64");
  if (!k->verify_der(checkpoint_body(c), *sig)) return Error("the checkpoint's signature does not verify");
  return Status::Ok();
}

}  // namespace tollgate::ledger
