#include "identity/keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "identity/jwt.h"

namespace tollgate::identity {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int64_t kDay = 86400;
constexpr int64_t kT0 = 1'780'000'000;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/tollgate-keys-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

KeySetOptions in(const fs::path& dir) {
  KeySetOptions o;
  o.dir = (dir / "keys").string();
  o.rotate_every_s = kDay;
  o.skew_s = 60;
  return o;
}

Verification check(const KeySet& ks, const std::string& token, int64_t now) {
  VerifyOptions o;
  o.now_s = now;
  return verify_jwt(
      token, [&](std::string_view kid) { return ks.find(kid); }, o);
}

std::vector<std::string> published(const KeySet& ks) {
  std::vector<std::string> kids;
  json jwks = json::parse(ks.jwks_json());
  for (const auto& k : jwks["keys"]) kids.push_back(k["kid"]);
  return kids;
}

TEST(KeySet, CreatesAPrivateKeyOnFirstOpenAndReloadsIt) {
  TempDir d;
  std::string kid;
  {
    auto ks = KeySet::open(in(d.path), kT0);
    ASSERT_TRUE(ks.ok()) << ks.error().message;
    kid = (*ks)->active_kid();
    EXPECT_EQ(kid.size(), 43u);  // base64url of a SHA-256 thumbprint
  }
  struct stat st {};
  ASSERT_EQ(::stat((d.path / "keys" / (kid + ".pem")).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((d.path / "keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto again = KeySet::open(in(d.path), kT0 + 10);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->active_kid(), kid);
  auto token = (*again)->mint(R"({"exp":)" + std::to_string(kT0 + 600) + "}", kT0 + 600, kT0 + 10);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(check(**again, *token, kT0 + 20).ok());
}

TEST(KeySet, RotatesOnScheduleAndKeepsRetiredKeysUntilTheirTokensExpire) {
  TempDir d;
  auto ks = std::move(*KeySet::open(in(d.path), kT0));
  std::string first = ks->active_kid();
  int64_t exp = kT0 + 2 * kDay;  // a long task
  auto old_token = ks->mint(R"({"exp":)" + std::to_string(exp) + "}", exp, kT0);
  ASSERT_TRUE(old_token.ok());

  // A day later the next mint rotates first.
  int64_t t1 = kT0 + kDay;
  auto new_token = ks->mint(R"({"exp":)" + std::to_string(t1 + 600) + "}", t1 + 600, t1);
  ASSERT_TRUE(new_token.ok());
  std::string second = ks->active_kid();
  EXPECT_NE(second, first);
  EXPECT_EQ(published(*ks), (std::vector<std::string>{second, first}));  // the active key first
  EXPECT_TRUE(check(*ks, *old_token, t1 + 1).ok());                      // still verifies
  EXPECT_FALSE(fs::exists(d.path / "keys" / (first + ".pem")));          // its private half is gone
  EXPECT_TRUE(fs::exists(d.path / "keys" / (second + ".pem")));

  // Until the old token expires (plus skew), the retired key stays published, across a restart.
  ks.reset();
  ks = std::move(*KeySet::open(in(d.path), exp));
  // Rotated again on open (the second key is a day old) and the second key,
  // whose only token expired, is gone; the first still has a live token.
  auto now_published = published(*ks);
  ASSERT_EQ(now_published.size(), 2u);
  EXPECT_EQ(now_published[1], first);
  EXPECT_NE(now_published[0], second);
  ASSERT_TRUE(ks->maybe_rotate(exp + 61).ok());
  auto kids = published(*ks);
  EXPECT_EQ(std::count(kids.begin(), kids.end(), first), 0);
  EXPECT_FALSE(check(*ks, *old_token, exp + 61).ok());
}

TEST(KeySet, RotatesOnDemand) {
  TempDir d;
  auto ks = std::move(*KeySet::open(in(d.path), kT0));
  std::string first = ks->active_kid();
  auto token = ks->mint(R"({"exp":)" + std::to_string(kT0 + 600) + "}", kT0 + 600, kT0);
  ASSERT_TRUE(token.ok());
  auto kid = ks->rotate(kT0 + 5);
  ASSERT_TRUE(kid.ok());
  EXPECT_NE(*kid, first);
  EXPECT_EQ(ks->active_kid(), *kid);
  EXPECT_TRUE(check(*ks, *token, kT0 + 6).ok());
  // A key that signed nothing is dropped at once when it retires.
  ASSERT_TRUE(ks->rotate(kT0 + 7).ok());
  EXPECT_EQ(published(*ks).size(), 2u);
}

TEST(KeySet, ReadOnlyOpenVerifiesWithoutPrivateKeysOrWrites) {
  TempDir d;
  auto ks = std::move(*KeySet::open(in(d.path), kT0));
  auto token = ks->mint(R"({"exp":)" + std::to_string(kT0 + 600) + "}", kT0 + 600, kT0);
  KeySetOptions ro = in(d.path);
  ro.read_only = true;
  auto reader = KeySet::open(ro, kT0 + 3 * kDay);  // would be due for rotation: read-only never rotates
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE(check(**reader, *token, kT0 + 1).ok());
  EXPECT_FALSE((*reader)->mint("{}", kT0, kT0).ok());
  KeySetOptions missing = ro;
  missing.dir = (d.path / "nowhere").string();
  EXPECT_FALSE(KeySet::open(missing, kT0).ok());
}

TEST(KeySet, RefusesATamperedManifest) {
  TempDir d;
  { ASSERT_TRUE(KeySet::open(in(d.path), kT0).ok()); }
  fs::path manifest = d.path / "keys" / "keys.json";
  std::ifstream f(manifest);
  json m = json::parse(f);
  f.close();
  auto other = crypto::EcKey::generate();
  m["keys"][0]["x"] = crypto::base64url_encode(other->x());  // a key that does not match its kid
  m["keys"][0]["y"] = crypto::base64url_encode(other->y());
  std::ofstream(manifest) << m.dump();
  auto ks = KeySet::open(in(d.path), kT0);
  ASSERT_FALSE(ks.ok());
  EXPECT_NE(ks.error().message.find("does not match"), std::string::npos);
  std::ofstream(manifest) << "{\"keys\":7}";
  EXPECT_FALSE(KeySet::open(in(d.path), kT0).ok());
}

TEST(KeySet, InMemoryKeysWorkWithoutADirectory) {
  auto ks = KeySet::open(KeySetOptions{}, kT0);
  ASSERT_TRUE(ks.ok());
  auto token = (*ks)->mint(R"({"exp":)" + std::to_string(kT0 + 60) + "}", kT0 + 60, kT0);
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(check(**ks, *token, kT0).ok());
  EXPECT_EQ(jwk_thumbprint(*(*ks)->find((*ks)->active_kid())), (*ks)->active_kid());
}

}  // namespace
}  // namespace tollgate::identity
