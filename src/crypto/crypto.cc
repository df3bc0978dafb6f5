#include "crypto/crypto.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <vector>

#include "base/random.h"

namespace tollgate::crypto {

namespace {

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using Bn = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using EcSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

constexpr size_t kCoord = 32;  // P-256 field element

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string encode(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<unsigned>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
  }
  size_t rest = in.size() - i;
  if (rest) {
    unsigned v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(3 - rest, '=');
  }
  return out;
}

// Strict decoding: every character in the alphabet, canonical trailing bits.
Result<std::string> decode(std::string_view in, bool url) {
  std::string_view body = in;
  if (!url) {
    if (in.size() % 4) return Error("base64: the length is not a multiple of 4");
    size_t pad = 0;
    while (pad < 2 && pad < body.size() && body[body.size() - 1 - pad] == '=') ++pad;
    body = body.substr(0, body.size() - pad);
  }
  if (body.size() % 4 == 1) return Error("base64: truncated");
  std::string out;
  out.reserve(body.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (char c : body) {
    int v = c >= 'A' && c <= 'Z'     ? c - 'A'
            : c >= 'a' && c <= 'z'   ? c - 'a' + 26
            : c >= '0' && c <= '9'   ? c - '0' + 52
            : c == (url ? '-' : '+') ? 62
            : c == (url ? '_' : '/') ? 63
                                     : -1;
    if (v < 0) return Error(std::string("base64: unexpected character") + (c == '=' ? " `=` (padding)" : ""));
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits && (acc & ((1u << bits) - 1))) return Error("base64: non-canonical trailing bits");
  if (!url && (out.size() + 2) / 3 * 4 != in.size()) return Error("base64: bad padding");
  return out;
}

bool is_p256(EVP_PKEY* k) {
  if (!k || !EVP_PKEY_is_a(k, "EC")) return false;
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) != 1) return false;
  return std::string_view(name, len) == "prime256v1" || std::string_view(name, len) == "P-256";
}

std::string coordinate(EVP_PKEY* k, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(k, param, &raw) != 1) return {};
  Bn bn(raw);
  std::string out(kCoord, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), kCoord) != static_cast<int>(kCoord))
    return {};
  return out;
}

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string sha256(std::string_view bytes) {
  std::string out(kCoord, '\0');
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &len, EVP_sha256(), nullptr);
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : sha256(bytes)) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}
Result<std::string> base64_decode(std::string_view text) { return decode(text, false); }
std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}
Result<std::string> base64url_decode(std::string_view text) { return decode(text, true); }

Result<EcKey> EcKey::generate() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  if (!k) return Error("cannot generate a P-256 key");
  return EcKey(k, true);
}

Result<EcKey> EcKey::from_private_pem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKey k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!k) return Error("not a PEM private key");
  if (!is_p256(k.get())) return Error("not an EC P-256 key");
  return EcKey(k.release(), true);
}

Result<EcKey> EcKey::from_public_pem(std::string_view pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PKey k(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!k) return Error("not a PEM public key");
  if (!is_p256(k.get())) return Error("not an EC P-256 key");
  return EcKey(k.release(), false);
}

Result<EcKey> EcKey::from_coordinates(std::string_view x, std::string_view y) {
  if (x.size() != kCoord || y.size() != kCoord) return Error("an EC P-256 coordinate is 32 bytes");
  std::string point = "\x04" + std::string(x) + std::string(y);  // uncompressed (SEC 1 §2.3.3)
  ParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return Error("cannot build the key");
  Params params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return Error("the point is not on the P-256 curve");
  PKey k(raw);
  PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return Error("the point is not a valid P-256 public key");
  return EcKey(k.release(), false);
}

EcKey::EcKey(EcKey&& o) noexcept : key_(o.key_), private_(o.private_) { o.key_ = nullptr; }
EcKey& EcKey::operator=(EcKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(key_);
    key_ = o.key_;
    private_ = o.private_;
    o.key_ = nullptr;
  }
  return *this;
}
EcKey::~EcKey() { EVP_PKEY_free(key_); }

std::string EcKey::private_pem() const {
  if (!private_ || !key_) return {};
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr, nullptr) != 1) return {};
  return bio_string(bio.get());
}

std::string EcKey::public_pem() const {
  if (!key_) return {};
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), key_) != 1) return {};
  return bio_string(bio.get());
}

std::string EcKey::public_der() const {
  if (!key_) return {};
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key_, &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string EcKey::x() const { return key_ ? coordinate(key_, OSSL_PKEY_PARAM_EC_PUB_X) : std::string(); }
std::string EcKey::y() const { return key_ ? coordinate(key_, OSSL_PKEY_PARAM_EC_PUB_Y) : std::string(); }

Result<EcKey> EcKey::public_key() const { return from_coordinates(x(), y()); }

Result<std::string> EcKey::sign_der(std::string_view message) const {
  if (!private_ || !key_) return Error("signing needs a private key");
  MdCtx ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes_of(message), message.size()) != 1)
    return Error("signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes_of(message),
                     message.size()) != 1)
    return Error("signing failed");
  sig.resize(len);
  return sig;
}

Result<std::string> EcKey::sign_raw(std::string_view message) const {
  auto der = sign_der(message);
  if (!der) return der;
  const unsigned char* p = bytes_of(*der);
  EcSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der->size())));
  if (!sig) return Error("signing failed: the signature does not decode");
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * kCoord, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kCoord) != static_cast<int>(kCoord) ||
      BN_bn2binpad(s, o + kCoord, kCoord) != static_cast<int>(kCoord))
    return Error("signing failed: a signature half is too long");
  return out;
}

bool EcKey::verify_der(std::string_view message, std::string_view signature) const {
  if (!key_ || signature.empty()) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_) == 1 &&
         EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(message), message.size()) == 1;
}

bool EcKey::verify_raw(std::string_view message, std::string_view signature) const {
  if (signature.size() != 2 * kCoord) return false;
  EcSig sig(ECDSA_SIG_new());
  Bn r(BN_bin2bn(bytes_of(signature), kCoord, nullptr));
  Bn s(BN_bin2bn(bytes_of(signature) + kCoord, kCoord, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  r.release();  // owned by sig now
  s.release();
  unsigned char* der = nullptr;
  int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return false;
  std::string d(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return verify_der(message, d);
}

Result<std::string> random_bytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    return Error("the system's random number generator failed");
  return out;
}

namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CipherCtx {
  EVP_CIPHER_CTX* p = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(p); }
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<std::string> aead_seal(std::string_view key, std::string_view plaintext, std::string_view aad) {
  if (key.size() != kAeadKeyBytes) return Error("an AES-256-GCM key is 32 bytes");
  if (plaintext.size() > (1u << 30)) return Error("too large to seal");
  auto nonce = random_bytes(kNonceBytes);
  if (!nonce) return std::move(nonce).error();
  CipherCtx c;
  std::string out = *nonce;
  out.resize(kNonceBytes + plaintext.size() + kTagBytes);
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + kNonceBytes;
  int len = 0, fin = 0;
  if (!c.p || EVP_EncryptInit_ex(c.p, EVP_aes_256_gcm(), nullptr, bytes(key), bytes(*nonce)) != 1 ||
      (!aad.empty() && EVP_EncryptUpdate(c.p, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(c.p, ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(c.p, ct + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.p, EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) != 1)
    return Error("AES-256-GCM sealing failed");
  return out;
}

Result<std::string> aead_open(std::string_view key, std::string_view sealed, std::string_view aad) {
  if (key.size() != kAeadKeyBytes) return Error("an AES-256-GCM key is 32 bytes");
  if (sealed.size() < kNonceBytes + kTagBytes) return Error("the sealed value does not open");
  size_t n = sealed.size() - kNonceBytes - kTagBytes;
  std::string out(n, '\0');
  std::string tag(sealed.substr(kNonceBytes + n));
  CipherCtx c;
  int len = 0, fin = 0;
  auto* pt = reinterpret_cast<unsigned char*>(out.data());
  if (!c.p || EVP_DecryptInit_ex(c.p, EVP_aes_256_gcm(), nullptr, bytes(key), bytes(sealed)) != 1 ||
      (!aad.empty() && EVP_DecryptUpdate(c.p, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(c.p, pt, &len, bytes(sealed) + kNonceBytes, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.p, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(c.p, pt + len, &fin) != 1)
    return Error("the sealed value does not open");
  return out;
}

Status write_private_file(const std::string& path, std::string_view data) {
  namespace fs = std::filesystem;
  std::string tmp = path + ".tmp-" + random_hex(6);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error("cannot create `" + tmp + "`: " + std::strerror(errno));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  bool ok = off == data.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Error("cannot write `" + path + "`");
  }
  // The rename reaches the disk with its directory.
  std::string dir = fs::path(path).parent_path().string();
  if (int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

}  // namespace tollgate::crypto
