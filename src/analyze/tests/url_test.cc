// parse_url and host_ancestors: the URL shapes agents use, and the ones an
// adversary would use to confuse a host check.
#include "analyze/url.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tollgate::analyze {
namespace {

using V = std::vector<std::string>;

TEST(ParseUrl, ParsesSchemeUserHostPortPath) {
  auto u = parse_url("HTTPS://bob:secret@API.Example.com:8443/v1/x?q=1#f");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->user, "bob");
  EXPECT_EQ(u->host, "api.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/v1/x?q=1#f");
}

TEST(ParseUrl, AcceptsEveryNetworkScheme) {
  for (const char* s : {"http://a.example", "ftp://a.example/f", "ssh://git@a.example:22/r.git", "git://a.example/r",
                        "rsync://a.example/mod", "sftp://a.example", "wss://a.example/s"}) {
    auto u = parse_url(s);
    ASSERT_TRUE(u) << s;
    EXPECT_EQ(u->host, "a.example") << s;
  }
}

TEST(ParseUrl, ParsesIpv6Literal) {
  auto u = parse_url("http://[2001:DB8::1]:8080/x");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "2001:db8::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_FALSE(parse_url("http://[zz::1]/"));
  EXPECT_FALSE(parse_url("http://[::1/"));
}

TEST(ParseUrl, ParsesScpLikeForm) {
  auto u = parse_url("git@GitHub.com:org/repo.git");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "ssh");
  EXPECT_EQ(u->user, "git");
  EXPECT_EQ(u->host, "github.com");
  EXPECT_EQ(u->path, "org/repo.git");
  EXPECT_FALSE(parse_url("./dir/a@b:c")) << "a slash before the colon makes it a local path";
}

TEST(ParseUrl, WithoutSchemeIsNotAUrl) {
  for (const char* s :
       {"example.com", "example.com/path", "localhost:8080", "/etc/passwd", "", "mailto:a@b.c", "://x"}) {
    EXPECT_FALSE(parse_url(s)) << s;
  }
}

TEST(ParseUrl, RejectsAuthoritiesResolversReadDifferently) {
  for (const char* s :
       {"http://evil.example\\@good.example/", "http://a b.example/", "http://%65vil.example/",
        "http://a.example:99999/", "http://a.example:8x/", "http:///path", "http://999.1.1.1/", "http://a..example/"}) {
    EXPECT_FALSE(parse_url(s)) << s;
  }
}

TEST(ParseUrl, CanonicalisesHosts) {
  EXPECT_EQ(parse_url("http://Example.COM./")->host, "example.com");
  EXPECT_EQ(parse_url("http://2130706433/")->host, "127.0.0.1");
  EXPECT_EQ(parse_url("http://0x7f.1/")->host, "127.0.0.1");
  EXPECT_EQ(parse_url("http://0177.0.0.1/")->host, "127.0.0.1");
  EXPECT_EQ(parse_url("http://10.1/")->host, "10.0.0.1");
  EXPECT_EQ(parse_url("http://user@evil.example@good.example/")->host, "good.example");
}

TEST(ParseUrl, FileUrlMayHaveNoHost) {
  auto u = parse_url("file:///etc/passwd");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "");
  EXPECT_EQ(u->path, "/etc/passwd");
}

TEST(HostAncestors, ListsParentDomainsNearestFirst) {
  EXPECT_EQ(host_ancestors("api.github.com"), (V{"github.com", "com"}));
  EXPECT_EQ(host_ancestors("a.b.c.d"), (V{"b.c.d", "c.d", "d"}));
  EXPECT_TRUE(host_ancestors("localhost").empty());
}

TEST(HostAncestors, IpLiteralsHaveNone) {
  EXPECT_TRUE(host_ancestors("10.0.0.1").empty());
  EXPECT_TRUE(host_ancestors("2001:db8::1").empty());
}

TEST(ValidHost, AcceptsCanonicalHostsOnly) {
  EXPECT_TRUE(valid_host("a.example"));
  EXPECT_TRUE(valid_host("::1"));
  EXPECT_TRUE(valid_host("10.0.0.1"));
  EXPECT_FALSE(valid_host("A.example"));
  EXPECT_FALSE(valid_host("a..example"));
  EXPECT_FALSE(valid_host(""));
}

}  // namespace
}  // namespace tollgate::analyze
