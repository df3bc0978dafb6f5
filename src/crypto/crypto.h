// The cryptography Tollgate signs and checks with, on OpenSSL 3: SHA-256,
// base64 (RFC 4648 §4) and base64url without padding (§5, as JWS uses it),
// EC P-256 keys, and ECDSA-SHA-256 signatures both DER-encoded (ledger
// checkpoints) and as the fixed 64-byte R||S of JWS ES256 (RFC 7518 §3.4).
//
// Decoders are strict: they refuse padding where none belongs, characters
// outside the alphabet, and non-canonical trailing bits, so one byte string
// has exactly one encoding (a token's digest then names one token).
//
// EcKey owns an OpenSSL key; it is move-only and immutable after creation,
// so one key may sign and verify from several threads at once. Nothing here
// throws; failures are values (or `false` from the verify functions, which
// treat every malformed signature as not verifying).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

struct evp_pkey_st;

namespace tollgate::crypto {

// Raw 32-byte digest / 64 lower-case hex digits.
std::string sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);
Result<std::string> base64url_decode(std::string_view text);

class EcKey {
 public:
  // A fresh P-256 key pair from the system's CSPRNG.
  static Result<EcKey> generate();
  // A private key in PEM (PKCS#8 or SEC 1); must be on P-256.
  static Result<EcKey> from_private_pem(std::string_view pem);
  // A public key in PEM (SubjectPublicKeyInfo); must be on P-256.
  static Result<EcKey> from_public_pem(std::string_view pem);
  // A public key from its affine coordinates (32 bytes each, big-endian,
  // as in a JWK's `x` and `y`); refused when the point is not on the curve.
  static Result<EcKey> from_coordinates(std::string_view x, std::string_view y);

  EcKey(EcKey&&) noexcept;
  EcKey& operator=(EcKey&&) noexcept;
  ~EcKey();
  EcKey(const EcKey&) = delete;
  EcKey& operator=(const EcKey&) = delete;

  bool has_private() const { return private_; }
  std::string private_pem() const;  // empty for a public key
  std::string public_pem() const;
  std::string public_der() const;  // SubjectPublicKeyInfo
  // The affine coordinates, 32 bytes each.
  std::string x() const;
  std::string y() const;
  // A public-only copy.
  Result<EcKey> public_key() const;

  // ECDSA over SHA-256 of `message`.
  Result<std::string> sign_der(std::string_view message) const;
  Result<std::string> sign_raw(std::string_view message) const;  // 64 bytes R||S
  bool verify_der(std::string_view message, std::string_view signature) const;
  bool verify_raw(std::string_view message, std::string_view signature) const;

 private:
  EcKey(evp_pkey_st* key, bool has_private) : key_(key), private_(has_private) {}
  evp_pkey_st* key_ = nullptr;
  bool private_ = false;
};

// AES-256-GCM with a fresh random 96-bit nonce: `nonce ‖ ciphertext ‖ tag`
// (12 + n + 16 bytes). `aad` is authenticated, not encrypted: binding a
// sealed value to its name means one cannot be swapped for another. `key`
// is 32 bytes. open() fails without saying why beyond "does not open" (a
// wrong key, a changed byte and a wrong aad look the same, by design).
inline constexpr size_t kAeadKeyBytes = 32;
Result<std::string> aead_seal(std::string_view key, std::string_view plaintext, std::string_view aad);
Result<std::string> aead_open(std::string_view key, std::string_view sealed, std::string_view aad);
// `n` bytes from the system's CSPRNG.
Result<std::string> random_bytes(size_t n);

// Writes `data` to `path` with mode 0600, atomically (a temporary file in
// the same directory, fsync, rename), so a reader never sees half a key.
Status write_private_file(const std::string& path, std::string_view data);

}  // namespace tollgate::crypto
