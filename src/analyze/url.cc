#include "analyze/url.h"

#include <arpa/inet.h>

#include <cstring>

namespace tollgate::analyze {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// One label of a numeric IPv4 shorthand: decimal, 0x-hex or 0-octal.
std::optional<uint64_t> ipv4_part(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
    if (s.empty()) return 0;  // "0x" alone is zero, as inet_aton reads it
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (is_digit(c)) {
      d = c - '0';
    } else if (base == 16 && lower(c) >= 'a' && lower(c) <= 'f') {
      d = lower(c) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
    if (v > 0xffffffffULL) return std::nullopt;
  }
  return v;
}

bool looks_numeric_label(std::string_view s) {
  if (s.empty()) return false;
  if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return true;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// When every label of `host` is numeric, resolvers read it as an IPv4
// address (inet_aton rules). Returns the dotted quad, an empty string when
// the host is not numeric at all, and nullopt when it is numeric but invalid.
std::optional<std::string> numeric_ipv4(std::string_view host) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    parts.push_back(host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (auto p : parts) {
    if (!looks_numeric_label(p)) return std::string();
  }
  if (parts.size() > 4) return std::nullopt;
  std::vector<uint64_t> v;
  for (auto p : parts) {
    auto n = ipv4_part(p);
    if (!n) return std::nullopt;
    v.push_back(*n);
  }
  uint64_t addr = 0;
  size_t k = v.size();
  for (size_t i = 0; i + 1 < k; ++i) {
    if (v[i] > 0xff) return std::nullopt;
    addr |= v[i] << (8 * (3 - i));
  }
  uint64_t last_max = 0xffffffffULL >> (8 * (k - 1));
  if (v[k - 1] > last_max) return std::nullopt;
  addr |= v[k - 1];
  return std::to_string((addr >> 24) & 0xff) + "." + std::to_string((addr >> 16) & 0xff) + "." +
         std::to_string((addr >> 8) & 0xff) + "." + std::to_string(addr & 0xff);
}

bool valid_dns_name(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    char c = h[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
    if (!ok) return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

bool valid_ipv6(std::string_view h) {
  if (h.empty() || h.size() > 63) return false;
  std::string s(h);
  // A zone id (fe80::1%eth0) is allowed; only the address part is checked.
  size_t pct = s.find('%');
  std::string addr = s.substr(0, pct);
  if (pct != std::string::npos) {
    std::string zone = s.substr(pct + 1);
    if (zone.empty()) return false;
    for (char c : zone) {
      if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_')) return false;
    }
  }
  unsigned char buf[16];
  return inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

// Lowercases and validates a host as it appears in an authority; handles
// brackets, a trailing dot and numeric IPv4 shorthands.
std::optional<std::string> canonical_host(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == '[' && raw.back() == ']') {
    std::string h = to_lower(raw.substr(1, raw.size() - 2));
    if (!valid_ipv6(h)) return std::nullopt;
    return h;
  }
  std::string h = to_lower(raw);
  if (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty()) return std::nullopt;
  auto ip = numeric_ipv4(h);
  if (!ip) return std::nullopt;
  if (!ip->empty()) return *ip;
  if (!valid_dns_name(h)) return std::nullopt;
  return h;
}

bool parse_port(std::string_view s, uint16_t& port) {
  if (s.empty()) {
    port = 0;
    return true;
  }
  if (s.size() > 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

// Splits "host[:port]" or "[v6][:port]".
bool split_host_port(std::string_view hp, std::string_view& host, uint16_t& port) {
  if (!hp.empty() && hp.front() == '[') {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) return false;
    host = hp.substr(0, close + 1);
    std::string_view rest = hp.substr(close + 1);
    if (rest.empty()) {
      port = 0;
      return true;
    }
    if (rest.front() != ':') return false;
    return parse_port(rest.substr(1), port);
  }
  size_t colon = hp.rfind(':');
  if (colon == std::string_view::npos) {
    host = hp;
    port = 0;
    return true;
  }
  host = hp.substr(0, colon);
  return parse_port(hp.substr(colon + 1), port);
}

bool has_bad_bytes(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '\\') return true;
  }
  return false;
}

}  // namespace

bool valid_host(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return valid_ipv6(host);
  auto h = canonical_host(host);
  return h && *h == host;
}

std::optional<Url> parse_url(std::string_view text) {
  size_t sep = text.find("://");
  if (sep != std::string_view::npos && sep > 0) {
    std::string_view scheme = text.substr(0, sep);
    if (!is_alpha(scheme[0])) return std::nullopt;
    for (char c : scheme) {
      if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.')) return std::nullopt;
    }
    Url u;
    u.scheme = to_lower(scheme);
    std::string_view rest = text.substr(sep + 3);
    size_t auth_end = rest.find_first_of("/?#");
    std::string_view auth = rest.substr(0, auth_end);
    if (has_bad_bytes(auth)) return std::nullopt;
    u.path = auth_end == std::string_view::npos ? std::string() : std::string(rest.substr(auth_end));
    size_t at = auth.rfind('@');
    std::string_view hostport = auth;
    if (at != std::string_view::npos) {
      std::string_view userinfo = auth.substr(0, at);
      u.user = std::string(userinfo.substr(0, userinfo.find(':')));
      hostport = auth.substr(at + 1);
    }
    std::string_view host;
    if (!split_host_port(hostport, host, u.port)) return std::nullopt;
    if (host.empty()) {
      if (u.scheme != "file") return std::nullopt;
      return u;
    }
    auto h = canonical_host(host);
    if (!h) return std::nullopt;
    u.host = std::move(*h);
    return u;
  }
  if (sep != std::string_view::npos) return std::nullopt;
  // scp-like: user@host:path, with no slash before the colon.
  size_t colon = std::string_view::npos;
  if (!text.empty()) {
    size_t at0 = text.find('@');
    if (at0 == std::string_view::npos) return std::nullopt;
    size_t from = at0 + 1;
    if (from < text.size() && text[from] == '[') {
      size_t close = text.find(']', from);
      if (close == std::string_view::npos) return std::nullopt;
      colon = text.find(':', close);
      if (colon != close + 1) return std::nullopt;
    } else {
      colon = text.find(':', from);
    }
  }
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view before = text.substr(0, colon);
  if (before.find('/') != std::string_view::npos || has_bad_bytes(before)) return std::nullopt;
  size_t at = before.rfind('@');
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  auto h = canonical_host(before.substr(at + 1));
  if (!h) return std::nullopt;
  Url u;
  u.scheme = "ssh";
  u.user = std::string(before.substr(0, at));
  u.host = std::move(*h);
  u.path = std::string(text.substr(colon + 1));
  return u;
}

std::vector<std::string> host_ancestors(std::string_view host) {
  std::vector<std::string> out;
  if (host.empty() || host.find(':') != std::string_view::npos) return out;
  auto ip = numeric_ipv4(host);
  if (!ip || !ip->empty()) return out;  // an IP literal (or numeric junk) has no parent domains
  size_t pos = host.find('.');
  while (pos != std::string_view::npos && pos + 1 < host.size()) {
    out.emplace_back(host.substr(pos + 1));
    pos = host.find('.', pos + 1);
  }
  return out;
}

}  // namespace tollgate::analyze
