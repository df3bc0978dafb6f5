// libFuzzer target: task-token verification (identity/jwt.h), the one
// parser the agent feeds directly (it holds its token). The first byte
// picks what the rest is:
//   even  a token, verified against a fixed key set (seeds in corpus/jwt/
//         are signed with the fixed key below, so mutations reach the
//         claims parser); a verdict must be one of the statuses, and a
//         Valid one needs the fixed key's kid, an exp and a sub-checked clock
//   odd   a claims payload, signed with the fixed key and verified back: it
//         is never reported forged, and a valid one returns the same bytes
// Also: base64url decoding round-trips through encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/crypto.h"
#include "identity/jwt.h"
#include "identity/keys.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using namespace tollgate;

// A fixed P-256 key for fuzzing only; it signs nothing outside this target.
constexpr const char* kFuzzKey =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguzOjhaGAtmYSE+Cy\n"
    "6BkxgeNBFVEwg95nibqJkUsZiKWhRANCAAS8JBRGAvavIhY80ENQeF3si8KOepCZ\n"
    "jSCGCW3G6L2Rk0r82xR41MyiTLPpSdHJXl5A9ff7CzHr63VKeGf4BmAs\n"
    "-----END PRIVATE KEY-----\n";

struct Fixed {
  crypto::EcKey key = std::move(*crypto::EcKey::from_private_pem(kFuzzKey));
  std::string kid = identity::jwk_thumbprint(key);
};

const Fixed& fixed() {
  static const Fixed f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Fixed& f = fixed();
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  identity::KeyLookup lookup = [&](std::string_view kid) { return kid == f.kid ? &f.key : nullptr; };
  identity::VerifyOptions opts;
  opts.now_s = 1'780'000'000;
  opts.skew_s = 60;
  if (data[0] % 2 == 0) {
    auto v = identity::verify_jwt(in, lookup, opts);
    if (v.ok() && (v.claims.kid != f.kid || v.claims.exp == 0 || opts.now_s >= v.claims.exp + opts.skew_s))
      std::abort();
    if (!v.ok() && v.reason.empty()) std::abort();
    if (v.ok() && in.size() > identity::kMaxTokenBytes) std::abort();
  } else {
    auto token = identity::sign_jwt(in, f.key, f.kid);
    if (token) {
      auto v = identity::verify_jwt(*token, lookup, opts);
      if (v.status == identity::TokenStatus::Forged) std::abort();
      if (v.ok() && v.claims.json != in) std::abort();
    }
  }
  if (auto d = crypto::base64url_decode(in); d && crypto::base64url_encode(*d) != in) std::abort();
  return 0;
}
