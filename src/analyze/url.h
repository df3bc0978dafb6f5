// URL and host parsing for network targets found in shell commands and tool
// calls. parse_url accepts `scheme://[user[:password]@]host[:port][/path…]`
// (the password is dropped) and the scp-like `user@host:path` form that git,
// scp and rsync use (reported with scheme "ssh"); anything without a scheme
// or the scp-like shape is not a URL. Hosts come back lowercased, without a
// trailing dot; IPv6 literals are written in brackets in the input and
// returned without them; IPv4 literals in the numeric shorthands resolvers
// accept (`2130706433`, `0x7f.1`, `0177.0.0.1`) are rewritten to dotted
// quads so that a policy naming 127.0.0.1 sees them. Inputs a resolver could
// read two ways (a backslash or whitespace in the authority, percent-encoded
// or otherwise odd host bytes, a port over 65535) are rejected so the caller
// can treat them as unknown rather than guess. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::analyze {

struct Url {
  std::string scheme;  // lowercased: "https", "ssh" (also for scp-like forms) …
  std::string user;    // empty when absent; never the password
  std::string host;    // lowercased; IPv6 without brackets; empty only for file:// URLs
  uint16_t port = 0;   // 0 when absent
  std::string path;    // everything after the authority as written: "/a/b?q=1#f" ("org/repo.git" for scp-like)
};

// Parses an absolute URL or an scp-like `user@host:path`; nullopt otherwise.
std::optional<Url> parse_url(std::string_view text);

// The parent domains of a host name, nearest first: "api.github.com" →
// {"github.com", "com"}. IP literals and single labels have none.
std::vector<std::string> host_ancestors(std::string_view host);

// Whether `host` (already lowercased, no brackets) is a syntactically valid
// DNS name or IP literal as parse_url would return it.
bool valid_host(std::string_view host);

}  // namespace tollgate::analyze
