#include "crypto/crypto.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace tollgate::crypto {
namespace {

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto std_dec = base64_decode(base64_encode(bytes));
    auto url_dec = base64url_decode(base64url_encode(bytes));
    ASSERT_TRUE(std_dec.ok() && url_dec.ok()) << i;
    EXPECT_EQ(*std_dec, bytes);
    EXPECT_EQ(*url_dec, bytes);
    EXPECT_EQ(base64url_encode(bytes).find('='), std::string::npos);
    bytes += static_cast<char>(i * 37 + 250);
  }
  EXPECT_EQ(base64_encode("any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw==");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
}

TEST(Base64, DecodersRefuseNonCanonicalInput) {
  EXPECT_FALSE(base64url_decode("YQ==").ok());  // padding in base64url
  EXPECT_FALSE(base64url_decode("Y").ok());     // truncated
  EXPECT_FALSE(base64url_decode("YR").ok());    // trailing bits set: "YQ" is the one encoding of "a"
  EXPECT_FALSE(base64url_decode("a+b/").ok());  // the standard alphabet
  EXPECT_FALSE(base64url_decode("ab c").ok());
  EXPECT_FALSE(base64_decode("YQ=").ok());
  EXPECT_FALSE(base64_decode("Y===").ok());
  EXPECT_FALSE(base64_decode("YQ=A").ok());
  EXPECT_FALSE(base64_decode("a-b_").ok());
  EXPECT_TRUE(base64url_decode("").ok());
}

TEST(Sha256, KnownAnswer) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256("abc").size(), 32u);
}

TEST(EcKey, SignsAndVerifiesInBothSignatureForms) {
  auto k = EcKey::generate();
  ASSERT_TRUE(k.ok());
  auto raw = k->sign_raw("message");
  auto der = k->sign_der("message");
  ASSERT_TRUE(raw.ok() && der.ok());
  EXPECT_EQ(raw->size(), 64u);
  EXPECT_TRUE(k->verify_raw("message", *raw));
  EXPECT_TRUE(k->verify_der("message", *der));
  EXPECT_FALSE(k->verify_raw("messagf", *raw));
  EXPECT_FALSE(k->verify_raw("message", *der));  // DER where R||S belongs
  EXPECT_FALSE(k->verify_raw("message", raw->substr(0, 63)));
  std::string flipped = *raw;
  flipped[10] ^= 1;
  EXPECT_FALSE(k->verify_raw("message", flipped));
  EXPECT_FALSE(k->verify_raw("message", std::string(64, '\0')));
}

TEST(EcKey, PublicFormsAgree) {
  auto k = EcKey::generate();
  ASSERT_TRUE(k.ok());
  auto sig = k->sign_raw("m");
  ASSERT_TRUE(sig.ok());
  auto from_pem = EcKey::from_public_pem(k->public_pem());
  auto from_xy = EcKey::from_coordinates(k->x(), k->y());
  auto priv = EcKey::from_private_pem(k->private_pem());
  ASSERT_TRUE(from_pem.ok() && from_xy.ok() && priv.ok());
  EXPECT_TRUE(from_pem->verify_raw("m", *sig));
  EXPECT_TRUE(from_xy->verify_raw("m", *sig));
  EXPECT_FALSE(from_xy->has_private());
  EXPECT_FALSE(from_xy->sign_raw("m").ok());
  EXPECT_EQ(priv->public_der(), k->public_der());
  EXPECT_EQ(from_xy->x(), k->x());
}

TEST(EcKey, RefusesPointsOffTheCurveAndOtherCurves) {
  auto k = EcKey::generate();
  ASSERT_TRUE(k.ok());
  std::string y = k->y();
  y[31] ^= 1;
  EXPECT_FALSE(EcKey::from_coordinates(k->x(), y).ok());
  EXPECT_FALSE(EcKey::from_coordinates(k->x(), y.substr(1)).ok());
  EXPECT_FALSE(EcKey::from_private_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").ok());
  EXPECT_FALSE(EcKey::from_public_pem("").ok());
}

TEST(PrivateFile, IsWrittenWithMode0600) {
  namespace fs = std::filesystem;
  char tmpl[] = "/tmp/tollgate-crypto-XXXXXX";
  fs::path dir = ::mkdtemp(tmpl);
  std::string path = (dir / "key.pem").string();
  ASSERT_TRUE(write_private_file(path, "secret").ok());
  ASSERT_TRUE(write_private_file(path, "secret2").ok());  // replaced atomically
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "secret2");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace tollgate::crypto

namespace tollgate::crypto {
namespace {

TEST(Aead, SealsAndOpensBoundToItsAssociatedData) {
  auto key = random_bytes(kAeadKeyBytes);
  ASSERT_TRUE(key.ok());
  auto sealed = aead_seal(*key, "hunter2", "db");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 12u + 7u + 16u);
  EXPECT_EQ(sealed->find("hunter2"), std::string::npos);
  auto opened = aead_open(*key, *sealed, "db");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "hunter2");
  // Another name, another key, a flipped byte or a cut tag: it does not open.
  EXPECT_FALSE(aead_open(*key, *sealed, "other").ok());
  auto other = random_bytes(kAeadKeyBytes);
  EXPECT_FALSE(aead_open(*other, *sealed, "db").ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string bad = *sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(aead_open(*key, bad, "db").ok()) << "byte " << i;
  }
  EXPECT_FALSE(aead_open(*key, sealed->substr(0, sealed->size() - 1), "db").ok());
  EXPECT_FALSE(aead_open(*key, "", "db").ok());
  // Two seals of one value differ (a fresh nonce each time).
  EXPECT_NE(*aead_seal(*key, "hunter2", "db"), *sealed);
  // The empty value seals too.
  auto empty = aead_seal(*key, "", "db");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*aead_open(*key, *empty, "db"), "");
  EXPECT_FALSE(aead_seal("short", "x", "").ok());
}

}  // namespace
}  // namespace tollgate::crypto
