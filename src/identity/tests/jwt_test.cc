#include "identity/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "identity/identity.h"
#include "identity/keys.h"

namespace tollgate::identity {
namespace {

using crypto::base64url_encode;
using nlohmann::json;

constexpr int64_t kNow = 1'780'000'000;

struct Signer {
  crypto::EcKey key = std::move(*crypto::EcKey::generate());
  std::string kid = jwk_thumbprint(key);
  KeyLookup lookup() const {
    return [this](std::string_view k) { return k == kid ? &key : nullptr; };
  }
};

json claims(int64_t exp = kNow + 600) {
  return {{"iss", "https://tollgate.test"},
          {"sub", "spiffe://tollgate.local/agent/a/task/t"},
          {"aud", "api"},
          {"iat", kNow},
          {"nbf", kNow},
          {"exp", exp},
          {"jti", "j1"}};
}

// A token with any header and payload, signed (ES256, R||S) by `key`.
std::string forge(const json& header, const std::string& payload, const crypto::EcKey& key) {
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(*key.sign_raw(input));
}

VerifyOptions at(int64_t now, std::string audience = "") {
  VerifyOptions o;
  o.now_s = now;
  o.skew_s = 30;
  o.audience = std::move(audience);
  return o;
}

TEST(Jwt, AcceptsAValidTokenAndReturnsItsClaims) {
  Signer s;
  auto token = sign_jwt(claims().dump(), s.key, s.kid);
  ASSERT_TRUE(token.ok());
  auto v = verify_jwt(*token, s.lookup(), at(kNow, "api"));
  ASSERT_TRUE(v.ok()) << v.reason;
  EXPECT_EQ(v.claims.sub, "spiffe://tollgate.local/agent/a/task/t");
  EXPECT_EQ(v.claims.aud, std::vector<std::string>{"api"});
  EXPECT_EQ(v.claims.exp, kNow + 600);
  EXPECT_EQ(v.claims.jti, "j1");
  EXPECT_EQ(v.claims.kid, s.kid);
  EXPECT_EQ(json::parse(v.claims.json), claims());
}

TEST(Jwt, ExpiryAndNotBeforeHonourTheSkew) {
  Signer s;
  auto token = *sign_jwt(claims(kNow + 100).dump(), s.key, s.kid);
  EXPECT_TRUE(verify_jwt(token, s.lookup(), at(kNow + 129)).ok());  // within the 30 s skew
  auto v = verify_jwt(token, s.lookup(), at(kNow + 130));
  EXPECT_EQ(v.status, TokenStatus::Expired);
  EXPECT_EQ(v.reason, "the token expired");
  EXPECT_EQ(verify_jwt(token, s.lookup(), at(kNow - 30)).status, TokenStatus::Valid);
  EXPECT_EQ(verify_jwt(token, s.lookup(), at(kNow - 31)).status, TokenStatus::NotYetValid);
  json c = claims();
  c.erase("nbf");
  c["iat"] = kNow + 3600;  // issued in the future
  EXPECT_EQ(verify_jwt(*sign_jwt(c.dump(), s.key, s.kid), s.lookup(), at(kNow)).status, TokenStatus::NotYetValid);
}

TEST(Jwt, RejectsTheWrongAudienceAndIssuer) {
  Signer s;
  auto token = *sign_jwt(claims().dump(), s.key, s.kid);
  EXPECT_EQ(verify_jwt(token, s.lookup(), at(kNow, "other")).status, TokenStatus::WrongAudience);
  VerifyOptions o = at(kNow);
  o.issuer = "https://evil.test";
  EXPECT_EQ(verify_jwt(token, s.lookup(), o).status, TokenStatus::WrongIssuer);
  json c = claims();
  c["aud"] = {"x", "api"};
  EXPECT_TRUE(verify_jwt(*sign_jwt(c.dump(), s.key, s.kid), s.lookup(), at(kNow, "api")).ok());
}

TEST(Jwt, RejectsAForgedSignature) {
  Signer s, other;
  auto token = *sign_jwt(claims().dump(), s.key, s.kid);
  std::string flipped = token;
  flipped[flipped.size() - 5] = flipped[flipped.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_jwt(flipped, s.lookup(), at(kNow)).status, TokenStatus::Forged);
  // Claims changed after signing.
  json c = claims();
  c["sub"] = "spiffe://tollgate.local/agent/root/task/t";
  std::string tampered =
      token.substr(0, token.find('.') + 1) + base64url_encode(c.dump()) + token.substr(token.rfind('.'));
  auto v = verify_jwt(tampered, s.lookup(), at(kNow));
  EXPECT_EQ(v.status, TokenStatus::Forged);
  EXPECT_EQ(v.reason, "the signature does not verify");
  EXPECT_TRUE(v.claims.sub.empty());  // nothing of a forged token is reported as a claim
  // Signed by another key under this key's kid (swapped keys).
  EXPECT_EQ(verify_jwt(*sign_jwt(claims().dump(), other.key, s.kid), s.lookup(), at(kNow)).status, TokenStatus::Forged);
  // A DER signature where JWS wants R||S.
  std::string input = token.substr(0, token.rfind('.'));
  std::string der = input + "." + base64url_encode(*s.key.sign_der(input));
  EXPECT_EQ(verify_jwt(der, s.lookup(), at(kNow)).status, TokenStatus::Forged);
}

TEST(Jwt, RejectsAnUnknownKid) {
  Signer s, other;
  auto v = verify_jwt(*sign_jwt(claims().dump(), other.key, other.kid), s.lookup(), at(kNow));
  EXPECT_EQ(v.status, TokenStatus::Forged);
  EXPECT_NE(v.reason.find("does not know"), std::string::npos);
}

TEST(Jwt, RejectsAlgNone) {
  Signer s;
  std::string input = base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(claims().dump());
  EXPECT_EQ(verify_jwt(input + ".", s.lookup(), at(kNow)).status, TokenStatus::Forged);
  std::string with_kid =
      base64url_encode(json{{"alg", "none"}, {"kid", s.kid}}.dump()) + "." + base64url_encode(claims().dump());
  auto v = verify_jwt(with_kid + ".", s.lookup(), at(kNow));
  EXPECT_EQ(v.status, TokenStatus::Forged);
  EXPECT_NE(v.reason.find("unsigned"), std::string::npos);
}

TEST(Jwt, RejectsHs256KeyedWithThePublicKey) {
  // The classic confusion: an HMAC whose secret is the verifier's public key.
  Signer s;
  std::string input = base64url_encode(json{{"alg", "HS256"}, {"kid", s.kid}, {"typ", "JWT"}}.dump()) + "." +
                      base64url_encode(claims().dump());
  for (const std::string& secret : {s.key.public_pem(), s.key.public_der()}) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    std::string token = input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
    auto v = verify_jwt(token, s.lookup(), at(kNow));
    EXPECT_EQ(v.status, TokenStatus::Forged);
    EXPECT_NE(v.reason.find("HS256"), std::string::npos);
  }
  EXPECT_EQ(verify_jwt(forge({{"alg", "ES384"}, {"kid", s.kid}}, claims().dump(), s.key), s.lookup(), at(kNow)).status,
            TokenStatus::Forged);
}

TEST(Jwt, RejectsHeadersBeyondAlgKidTyp) {
  Signer s;
  for (const json& h : {json{{"alg", "ES256"}, {"kid", s.kid}, {"jku", "https://evil.test/jwks"}},
                        json{{"alg", "ES256"}, {"kid", s.kid}, {"crit", {"exp"}}},
                        json{{"alg", "ES256"}, {"kid", s.kid}, {"typ", "JWE"}}, json{{"alg", "ES256"}, {"kid", 7}},
                        json{{"alg", "ES256"}}, json::array()}) {
    auto v = verify_jwt(forge(h, claims().dump(), s.key), s.lookup(), at(kNow));
    EXPECT_EQ(v.status, TokenStatus::Malformed) << h.dump();
  }
  EXPECT_TRUE(verify_jwt(forge({{"alg", "ES256"}, {"kid", s.kid}}, claims().dump(), s.key), s.lookup(), at(kNow)).ok());
}

TEST(Jwt, RejectsTruncatedOversizedAndBadlyEncodedTokens) {
  Signer s;
  auto token = *sign_jwt(claims().dump(), s.key, s.kid);
  for (std::string bad : {std::string(), token.substr(0, token.rfind('.')), token.substr(0, token.size() - 1),
                          token + ".x", std::string(".."), token.substr(0, token.find('.'))}) {
    auto v = verify_jwt(bad, s.lookup(), at(kNow));
    EXPECT_FALSE(v.ok()) << bad;
    EXPECT_TRUE(v.status == TokenStatus::Malformed || v.status == TokenStatus::Forged) << bad;
  }
  std::string padded = token.substr(0, token.find('.')) + "=" + token.substr(token.find('.'));
  EXPECT_EQ(verify_jwt(padded, s.lookup(), at(kNow)).status, TokenStatus::Malformed);
  std::string std_alphabet = token;
  for (auto& c : std_alphabet)
    if (c == '-') c = '+';
  if (std_alphabet != token) {
    EXPECT_FALSE(verify_jwt(std_alphabet, s.lookup(), at(kNow)).ok());
  }
  json big = claims();
  big["pad"] = std::string(kMaxTokenBytes, 'x');
  EXPECT_FALSE(sign_jwt(big.dump(), s.key, s.kid).ok());  // never minted
  auto v = verify_jwt(forge({{"alg", "ES256"}, {"kid", s.kid}}, big.dump(), s.key), s.lookup(), at(kNow));
  EXPECT_EQ(v.status, TokenStatus::Malformed);
  EXPECT_NE(v.reason.find("longer than"), std::string::npos);
}

TEST(Jwt, RejectsDuplicateMissingAndMistypedClaims) {
  Signer s;
  auto check = [&](const std::string& payload, const std::string& why) {
    auto v = verify_jwt(forge({{"alg", "ES256"}, {"kid", s.kid}}, payload, s.key), s.lookup(), at(kNow));
    EXPECT_EQ(v.status, TokenStatus::Malformed) << payload;
    EXPECT_NE(v.reason.find(why), std::string::npos) << v.reason;
  };
  std::string exp = std::to_string(kNow + 600);
  check(R"({"sub":"a","sub":"b","exp":)" + exp + "}", "appears twice");
  check(R"({"exp":)" + exp + R"(,"exp":)" + std::to_string(kNow + 99999) + "}", "appears twice");
  check(R"({"sub":"a"})", "no expiry");
  check(R"({"exp":"soon"})", "whole number");
  check(R"({"exp":1.5e9})", "whole number");
  check(R"({"exp":-5})", "out of range");
  check(R"({"exp":)" + exp + R"(,"aud":7})", "aud");
  check(R"({"exp":)" + exp + R"(,"sub":["a"]})", "sub");
  check("[1,2]", "not a JSON object");
  check("{\"exp\":" + exp + ",\"a\":" + std::string(20, '[') + std::string(20, ']') + "}", "nested deeper");
  check("{\"exp\":" + exp + ",\"s\":\"\xff\"}", "");  // invalid UTF-8
  // A duplicate in the header too.
  std::string h = R"({"alg":"none","alg":"ES256","kid":")" + s.kid + R"("})";
  std::string input = base64url_encode(h) + "." + base64url_encode(claims().dump());
  EXPECT_EQ(verify_jwt(input + "." + base64url_encode(*s.key.sign_raw(input)), s.lookup(), at(kNow)).status,
            TokenStatus::Malformed);
}

TEST(Identity, SpiffeIdsAreOneToOne) {
  EXPECT_EQ(spiffe_id("tollgate.local", "reviewer", "task-1a"), "spiffe://tollgate.local/agent/reviewer/task/task-1a");
  EXPECT_EQ(spiffe_segment("claude-code:dev@box"), "claude-code_3Adev_40box");
  EXPECT_NE(spiffe_segment("a_b"), spiffe_segment("a:b"));
  EXPECT_EQ(spiffe_segment("a_b"), "a_5Fb");
  EXPECT_EQ(spiffe_segment("../x"), ".._2Fx");
  EXPECT_EQ(spiffe_segment(".."), "_2E_2E");
  EXPECT_TRUE(check_trust_domain("tollgate.local").ok());
  EXPECT_FALSE(check_trust_domain("Tollgate.local").ok());
  EXPECT_FALSE(check_trust_domain("a/b").ok());
}

TEST(Identity, TaskTokenClaimsCarryTheTaskAndTheHuman) {
  TaskTokenClaims c;
  c.issuer = "http://127.0.0.1:8420";
  c.trust_domain = "tollgate.local";
  c.audience = {"api"};
  c.agent = "reviewer";
  c.task = "task-1";
  c.owner = "ana";
  c.ticket = "OPS-7";
  c.environment = "staging";
  c.repos = {"/src/infra"};
  c.labels = {"infra"};
  c.window_start_s = 10;
  c.window_end_s = 20;
  c.iat = 5;
  c.exp = 20;
  c.jti = "j";
  json j = json::parse(task_token_claims(c));
  EXPECT_EQ(j["sub"], "spiffe://tollgate.local/agent/reviewer/task/task-1");
  EXPECT_EQ(j["act"], json({{"sub", "ana"}}));
  EXPECT_EQ(j["aud"], "api");
  EXPECT_EQ(j["window"]["end"], 20);
  EXPECT_EQ(j["repos"], json::array({"/src/infra"}));
  c.audience = {"a", "b"};
  c.window_start_s = c.window_end_s = 0;
  j = json::parse(task_token_claims(c));
  EXPECT_EQ(j["aud"], json::array({"a", "b"}));
  EXPECT_FALSE(j.contains("window"));
}

}  // namespace
}  // namespace tollgate::identity
