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
  VerifyReport r;
  Frontier f;
  int64_t expect_seq = rows.empty() ? 0 : rows.front().seq;
  if (!rows.empty() && rows.front().seq != 1) {
    r.ok = false;
    r.first_bad_seq = 1;
    r.problem = "records 1 to " + std::to_string(rows.front().seq - 1) + " were removed";
  }
  for (const auto& row : rows) {
    Hash leaf = leaf_hash(row.bytes);
    if (r.ok && row.seq != expect_seq) {
      r.ok = false;
      r.first_bad_seq = expect_seq;
      r.problem =
          "record " + std::to_string(expect_seq) + " was removed (the next record is " + std::to_string(row.seq) + ")";
    }
    if (r.ok && to_hex(leaf) != row.leaf_hex) {
      r.ok = false;
      r.first_bad_seq = row.seq;
      r.problem = "record " + std::to_string(row.seq) + " was modified: its bytes no longer match its leaf hash";
    }
    f.push(leaf);
    if (cp && f.size() == cp->size && f.root() != cp->root && r.ok) {
      r.ok = false;
      r.first_bad_seq = row.seq;
      r.problem = "the tree of the first " + std::to_string(cp->size) +
                  " records does not match the checkpoint: records up to " + std::to_string(row.seq) +
                  " were modified, inserted, removed or reordered";
    }
    if (r.ok && to_hex(f.root()) != row.root_hex) {
      r.ok = false;
      r.first_bad_seq = row.seq;
      r.problem = "record " + std::to_string(row.seq) +
                  " does not follow its predecessors: a record before it was inserted, removed or reordered";
    }
    expect_seq = row.seq + 1;
  }
  r.size = f.size();
  r.root = f.root();
  if (r.ok && cp && f.size() < cp->size) {
    r.ok = false;
    r.first_bad_seq = static_cast<int64_t>(f.size()) + 1;
    r.problem = "the ledger was truncated: it has " + std::to_string(f.size()) + " records, the checkpoint " +
                std::to_string(cp->size);
  }
  return r;
}

Result<Signer> load_or_create_key(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  Signer s;
  if (!fs::exists(path, ec)) {
    fs::create_directories(fs::path(path).parent_path(), ec);
    ::chmod(fs::path(path).parent_path().c_str(), 0700);
    auto k = crypto::EcKey::generate();
    if (!k) return Error("cannot generate a signing key");
    if (auto st = crypto::write_private_file(path, k->private_pem()); !st)
      return Error("cannot write the signing key `" + path + "`");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  s.pem = ss.str();
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
