#include "identity/jwt.h"

#include <limits>

#include "base/json.h"

namespace tollgate::identity {

using nlohmann::json;

namespace {

Verification fail(TokenStatus s, std::string reason) {
  Verification v;
  v.status = s;
  v.reason = std::move(reason);
  return v;
}

// A NumericDate (RFC 7519 §2) as whole seconds; Tollgate mints integers and
// accepts nothing else.
bool numeric_date(const json& claims, const char* name, int64_t& out, std::string& why) {
  auto it = claims.find(name);
  if (it == claims.end()) return true;
  if (it->is_number_unsigned() && it->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    out = static_cast<int64_t>(it->get<uint64_t>());
  } else if (it->is_number_integer() && !it->is_number_unsigned()) {
    out = it->get<int64_t>();
  } else {
    why = std::string("the claim `") + name + "` is not a whole number of seconds";
    return false;
  }
  if (out <= 0 || out > int64_t{253402300799}) {  // after 9999-12-31: nonsense
    why = std::string("the claim `") + name + "` is out of range";
    return false;
  }
  return true;
}

bool string_claim(const json& claims, const char* name, std::string& out, std::string& why) {
  auto it = claims.find(name);
  if (it == claims.end()) return true;
  if (!it->is_string()) {
    why = std::string("the claim `") + name + "` is not a string";
    return false;
  }
  out = it->get<std::string>();
  return true;
}

}  // namespace

std::string_view token_status_name(TokenStatus s) {
  switch (s) {
    case TokenStatus::Valid: return "valid";
    case TokenStatus::Malformed: return "malformed";
    case TokenStatus::Forged: return "forged";
    case TokenStatus::Expired: return "expired";
    case TokenStatus::NotYetValid: return "not yet valid";
    case TokenStatus::WrongAudience: return "wrong audience";
    case TokenStatus::WrongIssuer: return "wrong issuer";
    case TokenStatus::Revoked: return "revoked";
  }
  return "invalid";
}

Result<std::string> sign_jwt(std::string_view claims_json, const crypto::EcKey& key, std::string_view kid) {
  std::string header = dump_json(json{{"alg", "ES256"}, {"kid", kid}, {"typ", "JWT"}});
  std::string input = crypto::base64url_encode(header) + "." + crypto::base64url_encode(claims_json);
  auto sig = key.sign_raw(input);
  if (!sig) return std::move(sig).error();
  std::string token = input + "." + crypto::base64url_encode(*sig);
  if (token.size() > kMaxTokenBytes)
    return Error("the token would be " + std::to_string(token.size()) + " bytes, more than " +
                 std::to_string(kMaxTokenBytes));
  return token;
}

Verification verify_jwt(std::string_view token, const KeyLookup& keys, const VerifyOptions& opts) {
  using S = TokenStatus;
  if (token.empty()) return fail(S::Malformed, "the token is empty");
  if (token.size() > kMaxTokenBytes)
    return fail(S::Malformed, "the token is longer than " + std::to_string(kMaxTokenBytes) + " bytes");
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return fail(S::Malformed, "a token has three dot-separated parts (JWS compact serialisation)");
  std::string_view h64 = token.substr(0, d1), p64 = token.substr(d1 + 1, d2 - d1 - 1), s64 = token.substr(d2 + 1);
  auto header_bytes = crypto::base64url_decode(h64);
  if (!header_bytes || header_bytes->empty()) return fail(S::Malformed, "the header is not base64url");
  auto header = parse_json_unique_keys(*header_bytes, "the header", 2);
  if (!header) return fail(S::Malformed, header.error().message);
  if (!header->is_object()) return fail(S::Malformed, "the header is not a JSON object");
  for (const auto& [name, value] : header->items()) {
    if (name != "alg" && name != "kid" && name != "typ")
      return fail(S::Malformed, "the header member `" + name + "` is not accepted (only alg, kid and typ)");
    if (!value.is_string()) return fail(S::Malformed, "the header member `" + name + "` is not a string");
  }
  std::string alg = header->value("alg", std::string());
  if (alg.empty()) return fail(S::Malformed, "the header names no algorithm");
  if (alg == "none" || alg == "None" || alg == "NONE")
    return fail(S::Forged, "the token is unsigned (alg none); only ES256 is accepted");
  if (alg != "ES256") return fail(S::Forged, "the algorithm `" + alg.substr(0, 16) + "` is not accepted; only ES256");
  if (auto typ = header->value("typ", std::string("JWT")); typ != "JWT")
    return fail(S::Malformed, "the token type `" + typ.substr(0, 16) + "` is not JWT");
  std::string kid = header->value("kid", std::string());
  if (kid.empty() || kid.size() > 128) return fail(S::Malformed, "the header names no key (kid)");
  const crypto::EcKey* key = keys ? keys(kid) : nullptr;
  if (!key) return fail(S::Forged, "the token was signed with a key this issuer does not know (kid " + kid + ")");
  auto sig = crypto::base64url_decode(s64);
  if (!sig) return fail(S::Malformed, "the signature is not base64url");
  if (sig->size() != 64) return fail(S::Forged, "the signature is not a 64-byte ES256 signature");
  if (!key->verify_raw(token.substr(0, d2), *sig)) return fail(S::Forged, "the signature does not verify");

  // Authentic from here on: the issuer wrote these bytes.
  Verification v;
  v.claims.kid = kid;
  auto payload_bytes = crypto::base64url_decode(p64);
  if (!payload_bytes) return fail(S::Malformed, "the payload is not base64url");
  auto claims = parse_json_unique_keys(*payload_bytes, "the claims", kMaxClaimsDepth);
  if (!claims) return fail(S::Malformed, claims.error().message);
  if (!claims->is_object()) return fail(S::Malformed, "the claims are not a JSON object");
  std::string why;
  Claims& c = v.claims;
  if (!numeric_date(*claims, "exp", c.exp, why) || !numeric_date(*claims, "nbf", c.nbf, why) ||
      !numeric_date(*claims, "iat", c.iat, why) || !string_claim(*claims, "iss", c.iss, why) ||
      !string_claim(*claims, "sub", c.sub, why) || !string_claim(*claims, "jti", c.jti, why))
    return fail(S::Malformed, why);
  if (!c.exp) return fail(S::Malformed, "the token has no expiry (exp)");
  if (auto it = claims->find("aud"); it != claims->end()) {
    if (it->is_string()) {
      c.aud.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& a : *it) {
        if (!a.is_string()) return fail(S::Malformed, "the claim `aud` holds a value that is not a string");
        c.aud.push_back(a.get<std::string>());
      }
    } else {
      return fail(S::Malformed, "the claim `aud` is neither a string nor an array of strings");
    }
  }
  c.json = std::move(*payload_bytes);
  auto keep = [&](S s, std::string reason) {
    v.status = s;
    v.reason = std::move(reason);
    return v;
  };
  if (opts.now_s >= c.exp + opts.skew_s) return keep(S::Expired, "the token expired");
  if (c.nbf && opts.now_s + opts.skew_s < c.nbf) return keep(S::NotYetValid, "the token is not valid yet (nbf)");
  if (c.iat && opts.now_s + opts.skew_s < c.iat)
    return keep(S::NotYetValid, "the token was issued in the future (iat)");
  if (!opts.issuer.empty() && c.iss != opts.issuer)
    return keep(S::WrongIssuer, "the token was issued by `" + c.iss + "`, not `" + opts.issuer + "`");
  if (!opts.audience.empty() && std::find(c.aud.begin(), c.aud.end(), opts.audience) == c.aud.end())
    return keep(S::WrongAudience, "the token is not meant for the audience `" + opts.audience + "`");
  return keep(S::Valid, "");
}

}  // namespace tollgate::identity
