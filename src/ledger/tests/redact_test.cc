// Credentials kept out of the ledger (ledger/redact.h).
#include "ledger/redact.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace tollgate::ledger {
namespace {

std::string R(const std::string& s) { return redact_secrets(s).text; }

TEST(Redact, TokensOfAKnownShapeKeepOnlyTheirPrefix) {
  EXPECT_EQ(R("GH=ghp_0123456789abcdefghijABCDEFGHIJ012345 gh pr list"), "GH=ghp_[redacted] gh pr list");
  EXPECT_EQ(R("git clone https://oauth2:glpat-AbCdEfGhIjKlMnOpQrSt12@gitlab.com/x"),
            "git clone https://oauth2:[redacted]@gitlab.com/x");
  EXPECT_EQ(R("export OPENAI=sk-proj-Ab12Cd34Ef56Gh78Ij90KlMn"), "export OPENAI=sk-[redacted]");
  EXPECT_EQ(R("key sk-ant-api03-AAAA1111BBBB2222CCCC3333"), "key sk-[redacted]");
  EXPECT_EQ(R("aws AKIAIOSFODNN7EXAMPLE ok"), "aws AKIA[redacted] ok");
  EXPECT_EQ(R("slack xoxb-1234567890-abcdefghij"), "slack xoxb-[redacted]");
  EXPECT_EQ(R("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end"),
            "jwt eyJ[redacted] end");
  auto r = redact_secrets("a ghp_0123456789abcdefghijABCDEFGHIJ012345 b ghp_0123456789abcdefghijABCDEFGHIJ012345");
  EXPECT_EQ(r.count, 2u);
}

TEST(Redact, OrdinaryWordsAndShortValuesStay) {
  for (const char* s :
       {"git status && npm test", "sk-learn is a package", "risk-assessment-framework-document-x", "AKIA is a prefix",
        "the basic usage of bearer tokens", "echo $GITHUB_TOKEN", "GITHUB_TOKEN=$(gh auth token) gh api /user",
        "max_tokens=100", "PWD=/home/dev", "curl -u \"$USER:$PASS\" https://x", "--password-stdin",
        "password: <your password>", "https://github.com/owner/repo", "ssh://git@github.com:22/x"})
    EXPECT_EQ(R(s), s) << s;
}

TEST(Redact, ValuesOfCredentialNamesAreReplaced) {
  EXPECT_EQ(R("PGPASSWORD=hunter2 psql -h db"), "PGPASSWORD=[redacted] psql -h db");
  EXPECT_EQ(R("mysql --password=s3cr3t -u root"), "mysql --password=[redacted] -u root");
  EXPECT_EQ(R("cli --api-key abc123def login"), "cli --api-key [redacted] login");
  EXPECT_EQ(R("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls"),
            "AWS_SECRET_ACCESS_KEY=[redacted] aws s3 ls");
  EXPECT_EQ(R("spring.datasource.password=pw1 java -jar x"), "spring.datasource.password=[redacted] java -jar x");
  EXPECT_EQ(R("curl -H 'Authorization: Bearer abc.def123.ghi' https://api"),
            "curl -H 'Authorization: Bearer [redacted]' https://api");
  EXPECT_EQ(R("curl -H \"x-api-key: k-9f8e7d\" https://api"), "curl -H \"x-api-key: [redacted]\" https://api");
  EXPECT_EQ(R("psql postgres://app:pa55word@db:5432/app"), "psql postgres://app:[redacted]@db:5432/app");
}

TEST(Redact, CredentialsOnLaterLinesOfJsonTextAreFound) {
  nlohmann::json j = {
      {"summary", "line1\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----"},
      {"a", "x\nghp_0123456789abcdefghijABCDEFGHIJ012345"},
      {"b", "x\tAKIAIOSFODNN7EXAMPLE"},
      {"c", "x\tBearer abcdef123456"},
      {"d", "[default]\naws_secret_access_key = wJalrXUtnFEMIK7MDENG\n"},
      {"github_token", {"abcdef123456", "zz9"}},
      {"max_tokens", {"keep"}}};
  auto r = redact_json(j.dump());
  auto back = nlohmann::json::parse(r.text);
  EXPECT_EQ(back["summary"], "line1\n-----BEGIN OPENSSH PRIVATE KEY-----[redacted]-----END OPENSSH PRIVATE KEY-----");
  EXPECT_EQ(back["a"], "x\nghp_[redacted]");
  EXPECT_EQ(back["b"], "x\tAKIA[redacted]");
  EXPECT_EQ(back["c"], "x\tBearer [redacted]");
  EXPECT_EQ(back["d"], "[default]\naws_secret_access_key = [redacted]\n");
  EXPECT_EQ(back["github_token"], nlohmann::json({"[redacted]", "[redacted]"}));
  EXPECT_EQ(back["max_tokens"], nlohmann::json({"keep"}));
  // An escaped backslash before a word: the word starts after it.
  EXPECT_EQ(R("a\\\\ghp_0123456789abcdefghijABCDEFGHIJ012345"), "a\\\\ghp_[redacted]");
}

TEST(Redact, AQuotedValueGoesWhole) {
  EXPECT_EQ(R("PGPASSWORD='two words' psql"), "PGPASSWORD='[redacted]' psql");
  EXPECT_EQ(R("--password \"a b c\" -u x"), "--password \"[redacted]\" -u x");
  // Not closed, or across a line: up to the first space only.
  EXPECT_EQ(R("PASSWORD='abc def"), "PASSWORD='[redacted] def");
  EXPECT_EQ(R("PASSWORD='abc\ndef'"), "PASSWORD='[redacted]\ndef'");
}

TEST(Redact, PrivateKeyBlocksLoseTheirBody) {
  EXPECT_EQ(
      R("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAA==\n-----END OPENSSH PRIVATE KEY-----"),
      "-----BEGIN OPENSSH PRIVATE KEY-----[redacted]-----END OPENSSH PRIVATE KEY-----");
  // A public certificate is no secret.
  std::string cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
  EXPECT_EQ(R(cert), cert);
}

TEST(Redact, JsonStaysValidAndItsCredentialsGo) {
  nlohmann::json rec = {{"type", "decision"},
                        {"summary", "curl -H \"Authorization: Bearer tok_9f8e7d6c5b4a\" https://api.example.com"},
                        {"arguments", R"({"token":"abc123secret","query":"x"})"},
                        {"output", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----\n"},
                        {"client_secret", "zzz999"},
                        {"secrets_read", 2},
                        {"secret_sha256", "9f86d081884c7d659a2feaa0c55ad015"},
                        {"bypass", "on"},
                        {"api_token", nullptr},
                        {"env", "DB_PASSWORD=\"quoted value\" run"}};
  rec["Bearer abc123def456"] = 1;  // a member's name stays
  std::string text = rec.dump();
  auto r = redact_json(text);
  auto back = nlohmann::json::parse(r.text);  // throws if broken
  EXPECT_EQ(back["summary"], "curl -H \"Authorization: Bearer [redacted]\" https://api.example.com");
  EXPECT_EQ(back["arguments"], R"({"token":"[redacted]","query":"x"})");
  EXPECT_EQ(back["output"], "-----BEGIN RSA PRIVATE KEY-----[redacted]-----END RSA PRIVATE KEY-----\n");
  EXPECT_EQ(back["client_secret"], "[redacted]");
  EXPECT_EQ(back["env"], "DB_PASSWORD=\"[redacted]\" run");
  EXPECT_EQ(back["type"], "decision");
  EXPECT_EQ(back["secrets_read"], 2);
  EXPECT_EQ(back["secret_sha256"], "9f86d081884c7d659a2feaa0c55ad015");
  EXPECT_EQ(back["bypass"], "on");
  EXPECT_TRUE(back["api_token"].is_null());
  EXPECT_EQ(back["Bearer abc123def456"], 1);
  // Not JSON: redacted as text up to where it stops being so.
  EXPECT_EQ(redact_json("x PASSWORD=abc \"unterminated ghp_0123456789abcdefghijABCDEFGHIJ012345").text,
            "x PASSWORD=abc \"unterminated ghp_0123456789abcdefghijABCDEFGHIJ012345");
  EXPECT_EQ(r.count, 5u);
}

TEST(Redact, HostileTextIsHandledInLinearTime) {
  // Many openings with no end, long runs, all the shapes' prefixes at once.
  std::string t;
  for (int i = 0; i < 20000; ++i) t += "-----BEGIN ://a:b PASSWORD= eyJaaaaaaaaaa. ghp_ ";
  t += std::string(1 << 20, 'A');
  auto r = redact_secrets(t);
  EXPECT_GT(r.text.size(), 1u << 20);
}

}  // namespace
}  // namespace tollgate::ledger
