// ES256 JSON Web Tokens (RFC 7519) in JWS compact serialisation (RFC 7515
// §7.1), the form of Tollgate's task tokens (docs/tasks.md, "Task tokens").
//
//   token   = b64url(header) "." b64url(payload) "." b64url(signature)
//   header  = {"alg":"ES256","kid":<key id>,"typ":"JWT"}   (`typ` optional;
//             no other member is accepted: no `jku`, `x5u`, `jwk`, `crit`)
//   payload = a JSON object of claims; `exp` required; `nbf`, `iat` integers
//   signature = the 64-byte R||S of ECDSA P-256 over SHA-256 of
//             b64url(header) "." b64url(payload)   (RFC 7518 §3.4; not DER)
//
// Tokens come from the adversary (the agent holds its token), so
// verification is strict and fails closed: at most kMaxTokenBytes, strict
// base64url, JSON nested at most 8 deep with no duplicate member names,
// `alg` exactly "ES256" (never "none", never an HMAC keyed with a public
// key), a `kid` the caller's key lookup knows, the signature checked before
// the payload is parsed, then `exp`/`nbf`/`iat` against the caller's clock
// with a small skew, and the audience and issuer when the caller names them.
//
// Pure functions; thread-safe when the key lookup is; never throw.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "crypto/crypto.h"

namespace tollgate::identity {

inline constexpr size_t kMaxTokenBytes = 8192;
inline constexpr int kMaxClaimsDepth = 8;

// Signs `claims_json` (one JSON object) with `key` under `kid`.
Result<std::string> sign_jwt(std::string_view claims_json, const crypto::EcKey& key, std::string_view kid);

// Why a token is not valid. Revoked and Inactive are decided by the
// token's issuer (server/tokens.h), not by this file.
enum class TokenStatus { Valid, Malformed, Forged, Expired, NotYetValid, WrongAudience, WrongIssuer, Revoked };
std::string_view token_status_name(TokenStatus s);  // "valid", "malformed", "forged", "expired" …

struct Claims {
  std::string kid;  // from the header
  std::string iss, sub, jti;
  std::vector<std::string> aud;
  int64_t iat = 0, nbf = 0, exp = 0;  // seconds; 0 = absent (exp is required)
  std::string json;                   // the whole payload, as signed
};

struct VerifyOptions {
  int64_t now_s = 0;
  int64_t skew_s = 60;   // tolerance for exp, nbf and iat
  std::string audience;  // empty: any audience
  std::string issuer;    // empty: any issuer
};

struct Verification {
  TokenStatus status = TokenStatus::Malformed;
  std::string reason;  // one sentence for people, without the token
  Claims claims;       // filled once the signature verified
  bool ok() const { return status == TokenStatus::Valid; }
};

// The public key for a key id, or null when unknown. The pointer must stay
// valid for the duration of the verify_jwt call.
using KeyLookup = std::function<const crypto::EcKey*(std::string_view kid)>;

Verification verify_jwt(std::string_view token, const KeyLookup& keys, const VerifyOptions& opts);

}  // namespace tollgate::identity
