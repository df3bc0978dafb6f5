#include "session/session.h"

#include <gtest/gtest.h>

namespace tollgate::session {
namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Glob, StarStaysInASegmentDoubleStarCrosses) {
  EXPECT_TRUE(glob_match("*.pem", "server.pem"));
  EXPECT_FALSE(glob_match("*.pem", "dir/server.pem"));
  EXPECT_TRUE(glob_match("/home/dev/.ssh/**", "/home/dev/.ssh/id_rsa"));
  EXPECT_TRUE(glob_match("/home/dev/.ssh/**", "/home/dev/.ssh/keys/deep/k"));
  EXPECT_FALSE(glob_match("/home/dev/.ssh/**", "/home/dev/.sshx/id_rsa"));
  EXPECT_TRUE(glob_match("**/.github/workflows/**", "/r/.github/workflows/ci.yml"));
  EXPECT_TRUE(glob_match("id_rsa*", "id_rsa.pub"));
  EXPECT_TRUE(glob_match("?.txt", "a.txt"));
  EXPECT_FALSE(glob_match("?.txt", "/.txt"));
  EXPECT_TRUE(glob_match("*.github.com", "api.github.com"));
  EXPECT_FALSE(glob_match("*.github.com", "github.com"));
  // Many stars against a long text stay linear enough to be instant.
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(5000, 'a')));
}

TEST(Labels, DefaultsLabelSecretsCredentialsAndCi) {
  auto t = LabelTable::defaults("/home/dev");
  EXPECT_TRUE(has(t.path_labels("/home/dev/project/.env"), "secret"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/project/.env.production"), "secret"));
  EXPECT_FALSE(has(t.path_labels("/home/dev/project/.env.example"), "secret"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/.ssh/id_ed25519"), "credentials"));
  EXPECT_FALSE(has(t.path_labels("/home/dev/.ssh/id_ed25519.pub"), "secret"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/.aws/credentials"), "secret"));
  EXPECT_TRUE(has(t.path_labels("/srv/repo/.github/workflows/release.yml"), "ci-config"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/project/.claude/settings.json"), "agent-config"));
  EXPECT_TRUE(t.path_labels("/home/dev/project/src/main.rs").empty());
  EXPECT_TRUE(has(t.host_labels("registry.npmjs.org"), "registry"));
  EXPECT_TRUE(has(t.host_labels("raw.githubusercontent.com"), "forge"));
  EXPECT_TRUE(has(t.host_labels("webhook.site"), "paste"));
  EXPECT_TRUE(t.host_labels("example.com").empty());
}

TEST(Labels, ACredentialDirectoryIsLabelledAsWhatItHolds) {
  // Reading ~/.ssh whole (grep -r, tar, a search tool rooted there) reads
  // the keys in it.
  auto t = LabelTable::defaults("/home/dev");
  for (const char* dir : {"/home/dev/.ssh", "/home/dev/.aws", "/home/dev/.gnupg", "/home/dev/.config/gcloud",
                          "/home/dev/project/.github/workflows"})
    EXPECT_FALSE(t.path_labels(dir).empty()) << dir;
  EXPECT_TRUE(has(t.path_labels("/home/dev/.ssh"), "credentials"));
  EXPECT_TRUE(t.path_labels("/home/dev/.sshx").empty());
  EXPECT_TRUE(t.path_labels("/home/dev").empty());
}

TEST(Labels, ADirectoryTakenWholeHasTheLabelsOfWhatIsAnchoredBeneathIt) {
  auto t = LabelTable::defaults("/home/dev");
  // Home holds ~/.ssh, ~/.aws …; / and /etc hold /etc/shadow.
  for (const char* dir : {"/home/dev", "/home/dev/", "/", "/etc", "/home"}) {
    EXPECT_TRUE(has(t.tree_labels(dir), "secret")) << dir;
    EXPECT_TRUE(has(t.tree_labels(dir), "credentials")) << dir;
  }
  EXPECT_TRUE(has(t.tree_labels("/home/dev/.config"), "credentials"));  // ~/.config/gcloud
  EXPECT_TRUE(has(t.tree_labels("/etc/ssh"), "secret"));                // ssh_host_*_key
  // Nothing anchored beneath: only the directory's own labels.
  for (const char* dir : {"/home/dev/project", "/etc/nginx", "/home/dev/.sshx", "/home/devx", "/usr/include"})
    EXPECT_FALSE(has(t.tree_labels(dir), "secret")) << dir;
  EXPECT_EQ(t.tree_labels("/home/dev/.ssh"), t.path_labels("/home/dev/.ssh"));
  // Taken as a name (ls), home has no labels.
  EXPECT_TRUE(t.path_labels("/home/dev").empty());
}

TEST(Labels, SensitiveFilesAreThoseLabelledSecretCredentialsOrPii) {
  // The quick test agrees with the labels, rule by rule.
  auto t = LabelTable::defaults("/home/dev");
  t.add({"/srv/vault/**", {"secret"}, false, false});
  t.add({"config/prod/*.yaml", {"secret"}, false, false});
  const std::vector<std::string> paths = {"/w/.env",
                                          "/w/.env.local",
                                          "/w/.env.example",
                                          "/w/a/server.pem",
                                          "/w/a/key.pub",
                                          "/w/id_rsa",
                                          "/w/id_ed25519.pub",
                                          "/w/credentials.json",
                                          "/w/service-account-prod.json",
                                          "/w/tf/x.tfstate.backup",
                                          "/w/customers_2024.csv",
                                          "/w/db/full_dump_1.sql",
                                          "/w/pii/people.txt",
                                          "/w/src/pii/redact.ts",
                                          "/w/x.pii.json",
                                          "/home/dev/.ssh/config",
                                          "/home/dev/.ssh/id_rsa",
                                          "/home/dev/.aws/credentials",
                                          "/etc/ssh/ssh_host_rsa_key",
                                          "/srv/vault/k",
                                          "/w/config/prod/db.yaml",
                                          "/w/config/dev/db.yaml",
                                          "/w/src/app.py",
                                          "/w/README.md",
                                          "/w/.github/workflows/ci.yml",
                                          "/w/.envrc",
                                          "/w/env",
                                          "/w/x.environment",
                                          "/w/pii",
                                          "/w/x/pii",
                                          "/home/dev/.ssh",
                                          "/srv/vault",
                                          "/proc/12/environ"};
  auto sensitive = [&](const std::string& p) {
    auto l = t.path_labels(p);
    return has(l, "secret") || has(l, "credentials") || has(l, "pii") || has(l, "environment");
  };
  int yes = 0;
  for (const auto& p : paths) {
    EXPECT_EQ(!t.sensitive_labels(p).empty(), sensitive(p)) << p;
    yes += t.sensitive_labels(p).empty() ? 0 : 1;
  }
  EXPECT_GE(yes, 15);
  EXPECT_EQ(t.sensitive_labels("/w/src/app.py"), "");
  EXPECT_EQ(t.sensitive_labels("/w/config/prod/db.yaml"), "secret");
  EXPECT_EQ(t.sensitive_labels("/home/dev/.aws/credentials"), "credentials,secret");
  EXPECT_EQ(t.sensitive_labels("/w/users.csv"), "pii");
}

TEST(Labels, ANamePatternHasTheLabelsOfTheNamesItMatches) {
  auto t = LabelTable::defaults("/home/dev");
  // Character classes and escapes as fnmatch(3) reads them.
  for (const char* p :
       {"/w/[[:punct:]]env", "/w/.e[[:alpha:]]v", "/w/.en\\v", "/w/\\.env", "/w/[.]env", "/w/.e[!x]v", "/w/[]a.]env"})
    EXPECT_TRUE(has(t.path_labels(p), "secret")) << p;
  EXPECT_TRUE(t.path_labels("/w/x\\").empty());
  EXPECT_TRUE(t.path_labels("/w/[[:punct:]").empty());
  for (const char* p :
       {"/home/dev/project/.env*", "/home/dev/project/*.pem", "/home/dev/project/id_*", "/home/dev/project/*env*"})
    EXPECT_TRUE(has(t.path_labels(p), "secret")) << p;
  // Not the exclusions it also matches (`.env*` matches `.env.example`),
  // and not patterns that match nearly anything.
  for (const char* p : {"/home/dev/project/*", "/home/dev/project/.*", "/home/dev/project/*.*",
                        "/home/dev/project/*.ts", "/home/dev/project/.env.example"})
    EXPECT_FALSE(has(t.path_labels(p), "secret")) << p;
  // Braces, brackets and case are no way around it.
  for (const char* p : {"/home/dev/project/{.env,x}", "/home/dev/project/*.{pem,key}", "/home/dev/project/[.]env",
                        "/home/dev/project/*.PEM"})
    EXPECT_TRUE(has(t.path_labels(p), "secret")) << p;
  EXPECT_FALSE(has(t.path_labels("/home/dev/project/*.{ts,tsx}"), "secret"));
  // Examples of .env files by any name stay unlabelled; the files are not.
  EXPECT_FALSE(has(t.path_labels("/home/dev/project/.env.test.example"), "secret"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/project/.env.test"), "secret"));
}

TEST(Labels, ThisMachineAndMoreExfiltrationHosts) {
  auto t = LabelTable::defaults("/home/dev");
  for (const char* h : {"localhost", "127.0.0.1", "::1", "app.localhost"})
    EXPECT_TRUE(has(t.host_labels(h), "local")) << h;
  EXPECT_FALSE(has(t.host_labels("localhost.example.com"), "local"));
  for (const char* h : {"abc.oast.pro", "x.trycloudflare.com", "a.ngrok.app", "requestbin.net", "paste.sr.ht"})
    EXPECT_TRUE(has(t.host_labels(h), "paste")) << h;
  EXPECT_TRUE(has(t.host_labels("docker.io"), "registry"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/project/.git/modules/lib/hooks/post-checkout"), "exec-config"));
  EXPECT_TRUE(has(t.path_labels("/home/dev/project/.mcp.json"), "exec-config"));
}

TEST(Labels, ConfiguredRulesAddAndExclude) {
  auto t = LabelTable::defaults("/home/dev");
  t.add({"~/work/customers/**", {"pii"}, false, false});
  t.add({"/home/dev/project/.env", {"secret"}, false, true});
  EXPECT_TRUE(has(t.path_labels("/home/dev/work/customers/a.csv"), "pii"));
  EXPECT_FALSE(has(t.path_labels("/home/dev/project/.env"), "secret"));
}

TEST(SessionState, EffectsAccumulateAndRoundTrip) {
  Session s;
  apply(s, Effects{{"secret"}, true, {"example.com"}, true});
  apply(s, Effects{{"pii"}, false, {}, false});
  EXPECT_EQ(s.secrets_read, 1);
  EXPECT_TRUE(s.untrusted_input);
  EXPECT_EQ(s.labels_read, (std::set<std::string>{"pii", "secret"}));
  Session back;
  ASSERT_TRUE(load_state_json(back, state_json(s)).ok());
  EXPECT_EQ(back.labels_read, s.labels_read);
  EXPECT_EQ(back.hosts_contacted, s.hosts_contacted);
  EXPECT_TRUE(back.untrusted_input);
  EXPECT_FALSE(load_state_json(back, "{\"secrets_read\":\"x\"}").ok());
}

TEST(Paths, WithinIsByComponent) {
  EXPECT_TRUE(path_within("/a/b", "/a"));
  EXPECT_TRUE(path_within("/a", "/a"));
  EXPECT_FALSE(path_within("/ab", "/a"));
  EXPECT_TRUE(path_within("/x", "/"));
  EXPECT_FALSE(path_within("/x", ""));
}

}  // namespace
}  // namespace tollgate::session
