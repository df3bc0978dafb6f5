#include "ledger/ledger.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

namespace tollgate::ledger {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;

std::string b64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

bool unb64(const std::string& in, std::string& out) {
  if (in.empty() || in.size() % 4) return false;
  out.assign(3 * in.size() / 4 + 1, '\0');
  int len = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (len < 0) return false;
  size_t pad = (in.end()[-1] == '=') + (in.end()[-2] == '=');
  out.resize(static_cast<size_t>(len) - pad);
  return true;
}

PKey read_private(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PKey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string public_pem_of(EVP_PKEY* k) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), k);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string key_id_of(EVP_PKEY* k) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(k, &der);
  Hash h{};
  unsigned int len = 0;
  EVP_Digest(der, static_cast<size_t>(n), h.data(), &len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  return to_hex(h).substr(0, 16);
}

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
    PKey k(EVP_EC_gen("P-256"));
    if (!k) return Error("cannot generate a signing key");
    Bio bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(bio.get(), k.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    std::string pem(data, static_cast<size_t>(n));
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, pem.data(), pem.size()) != static_cast<ssize_t>(pem.size()) || ::fsync(fd) != 0) {
      if (fd >= 0) ::close(fd);
      return Error("cannot write the signing key `" + path + "`");
    }
    ::close(fd);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  s.pem = ss.str();
  PKey k = read_private(s.pem);
  if (!k) return Error("`" + path + "` is not a PEM private key");
  s.key_id = key_id_of(k.get());
  s.public_pem = public_pem_of(k.get());
  return s;
}

std::string checkpoint_body(const Checkpoint& c) {
  return "tollgate checkpoint v1\nsize " + std::to_string(c.size) + "\nroot " + to_hex(c.root) + "\ntime " + c.time +
         "\nkey " + c.key_id + "\n";
}

Result<Checkpoint> sign_checkpoint(uint64_t size, const Hash& root, const std::string& time, const Signer& key) {
  Checkpoint c{size, root, time, key.key_id, ""};
  PKey k = read_private(key.pem);
  if (!k) return Error("the signing key does not load");
  std::string body = checkpoint_body(c);
  MdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(body.data()), body.size()) != 1)
    return Error("signing failed");
  std::vector<unsigned char> sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, reinterpret_cast<const unsigned char*>(body.data()), body.size()) !=
      1)
    return Error("signing failed");
  c.signature = b64(sig.data(), len);
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
  Bio bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
  PKey k(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!k) return Error("the public key does not load");
  if (key_id_of(k.get()) != c.key_id) return Error("the checkpoint was signed with another key (" + c.key_id + ")");
  std::string sig;
  if (!unb64(c.signature, sig)) return Error("the checkpoint's signature is not base64");
  std::string body = checkpoint_body(c);
  MdCtx ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(body.data()), body.size()) != 1)
    return Error("the checkpoint's signature does not verify");
  return Status::Ok();
}

}  // namespace tollgate::ledger
