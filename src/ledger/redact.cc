// Credentials kept out of the ledger (redact.h). One pass over the text:
// at the start of each word, the shapes of credentials are tried in turn;
// what a try reads is never read again by another, so the pass is linear.
#include "ledger/redact.h"

#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace tollgate::ledger {

namespace {

constexpr std::string_view kMark = "[redacted]";
// The longest quoted value taken whole (`PASSWORD="…"`).
constexpr size_t kMaxQuoted = 1024;

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool word_char(char c) { return alnum(c) || c == '_'; }

enum class Chars { Alnum, AlnumUnderscore, AlnumDash, Base64Url, UpperDigit };

bool in(Chars set, char c) {
  switch (set) {
    case Chars::Alnum: return alnum(c);
    case Chars::AlnumUnderscore: return word_char(c);
    case Chars::AlnumDash: return alnum(c) || c == '-';
    case Chars::Base64Url: return word_char(c) || c == '-';
    case Chars::UpperDigit:
      return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
  }
  return false;
}

// Tokens of a known shape: a prefix, then at least `min` (exactly `exact`)
// characters of a set.
struct Shape {
  std::string_view prefix;
  Chars chars;
  size_t min;
  size_t exact;  // 0: any length from min
};
constexpr std::array<Shape, 21> kShapes = {{
    {"github_pat_", Chars::AlnumUnderscore, 20, 0},
    {"ghp_", Chars::Alnum, 20, 0},
    {"gho_", Chars::Alnum, 20, 0},
    {"ghu_", Chars::Alnum, 20, 0},
    {"ghs_", Chars::Alnum, 20, 0},
    {"ghr_", Chars::Alnum, 20, 0},
    {"glpat-", Chars::Base64Url, 20, 0},
    {"xoxb-", Chars::AlnumDash, 10, 0},
    {"xoxp-", Chars::AlnumDash, 10, 0},
    {"xoxa-", Chars::AlnumDash, 10, 0},
    {"xoxr-", Chars::AlnumDash, 10, 0},
    {"xoxs-", Chars::AlnumDash, 10, 0},
    {"sk-", Chars::Base64Url, 20, 0},  // OpenAI, Anthropic (sk-ant-…), sk-proj-…
    {"sk_live_", Chars::Alnum, 16, 0},
    {"rk_live_", Chars::Alnum, 16, 0},
    {"AKIA", Chars::UpperDigit, 16, 16},
    {"ASIA", Chars::UpperDigit, 16, 16},
    {"AIza", Chars::Base64Url, 35, 35},
    {"npm_", Chars::Alnum, 36, 36},
    {"pypi-", Chars::Base64Url, 50, 0},
    {"hf_", Chars::Alnum, 30, 0},
}};

size_t run(std::string_view t, size_t at, Chars set) {
  size_t e = at;
  while (e < t.size() && in(set, t[e])) ++e;
  return e - at;
}

bool starts_ci(std::string_view t, size_t at, std::string_view lower) {
  if (t.size() - at < lower.size()) return false;
  for (size_t k = 0; k < lower.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(t[at + k])) != lower[k]) return false;
  return true;
}

// A name that says its value is a credential: `PASSWORD`, `PGPASSWORD`,
// `GITHUB_TOKEN`, `--api-key`, `client_secret`, `AWS_SECRET_ACCESS_KEY` —
// by its last part; `secret_sha256` and `secrets_read` are not.
bool secret_name(std::string_view name) {
  std::string n;
  for (char c : name) n += c == '-' || c == '.' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!n.empty() && n.back() == '_') n.pop_back();
  size_t cut = n.rfind('_');
  std::string_view last = std::string_view(n).substr(cut == std::string::npos ? 0 : cut + 1);
  std::string_view before = std::string_view(n).substr(0, cut == std::string::npos ? 0 : cut);
  auto ends = [&](std::string_view e) { return last.size() >= e.size() && last.substr(last.size() - e.size()) == e; };
  for (std::string_view e : {"password", "passwd", "passphrase", "secret", "token", "apikey"})
    if (ends(e)) return true;
  if (last == "auth" || last == "pat" || last == "pass") return true;
  if (last == "key") {
    for (std::string_view k : {"secret", "private", "api", "access", "signing", "encryption", "master", "client"})
      if (before.find(k) != std::string_view::npos) return true;
  }
  return false;
}

bool value_char(char c) {
  return !(std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '\\' || c == '&' || c == ';' ||
           c == ',' || c == '}' || c == ']' || c == ')' || c == '|' || c == '<' || c == '>' || c == '`');
}

// A value that is no credential: a variable, a placeholder, a literal.
bool no_credential(std::string_view v) {
  if (v.empty() || v[0] == '$' || v[0] == '<' || v[0] == '{' || v[0] == '*' || v[0] == '[' || v[0] == '%' ||
      v[0] == '@')
    return true;
  for (std::string_view w : {"true", "false", "null", "none", "yes", "no"})
    if (v.size() == w.size() && starts_ci(v, 0, w)) return true;
  return false;
}

class Redactor {
 public:
  explicit Redactor(std::string_view t) : t_(t) { out_.reserve(t.size()); }

  Redacted run_all() {
    while (i_ < t_.size()) {
      if (word_start() && (key_block() || token() || scheme() || named())) continue;
      if (t_[i_] == ':' && url_password()) continue;
      out_ += t_[i_++];
    }
    return {std::move(out_), count_};
  }

 private:
  // Backslashes right before `at` (up to 16: past that, the parity is
  // guessed; a guess only moves where words start, never what is kept).
  size_t backslashes_before(size_t at) const {
    size_t n = 0;
    while (n < 16 && n < at && t_[at - 1 - n] == '\\') ++n;
    return n;
  }
  // Where a word starts: after a character that is no part of one, after an
  // escape (`\n`, `\t` in JSON text: the line a key or token begins), never
  // at an escaped character itself.
  bool word_start() const {
    if (i_ == 0) return true;
    if (backslashes_before(i_) % 2 == 1) return false;
    const char p = t_[i_ - 1];
    return p == '\\' || !word_char(p) || (i_ >= 2 && backslashes_before(i_ - 1) % 2 == 1);
  }

  // Copies [i_, to) and moves there.
  void copy_to(size_t to) {
    out_.append(t_.substr(i_, to - i_));
    i_ = to;
  }
  void mark(size_t skip_to) {
    out_ += kMark;
    ++count_;
    i_ = skip_to;
  }

  // `-----BEGIN … PRIVATE KEY-----` and its body, up to `-----END`.
  bool key_block() {
    if (t_.compare(i_, 11, "-----BEGIN ") != 0) return false;
    size_t close = t_.substr(i_ + 11, 80).find("-----");  // (bounded: linear in the text)
    if (close == std::string_view::npos) return false;
    close += i_ + 11;
    std::string_view head = t_.substr(i_, close - i_);
    if (head.find("PRIVATE KEY") == std::string_view::npos) return false;
    const size_t body = close + 5;
    size_t e = body;
    while (e < t_.size() && t_.compare(e, 8, "-----END") != 0) {
      char c = t_[e];
      if (c == '\\' && e + 1 < t_.size() && (t_[e + 1] == 'n' || t_[e + 1] == 'r')) {
        e += 2;
      } else if (alnum(c) || c == '+' || c == '/' || c == '=' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
                 c == ':' || c == ',' || c == '-') {
        ++e;
      } else {
        break;
      }
    }
    copy_to(body);
    if (e > body) mark(e);
    return true;
  }

  bool token() {
    // (The shapes' first letters, before trying each.)
    if (std::string_view("gxsrAnphe").find(t_[i_]) == std::string_view::npos) return false;
    for (const auto& s : kShapes) {
      if (t_.compare(i_, s.prefix.size(), s.prefix) != 0) continue;
      size_t n = run(t_, i_ + s.prefix.size(), s.chars);
      if (n < s.min || (s.exact && n != s.exact)) continue;
      // `sk-` begins kebab-case words too: a key has digits.
      std::string_view body = t_.substr(i_ + s.prefix.size(), n);
      if (s.prefix == "sk-" && body.find_first_of("0123456789") == std::string_view::npos) continue;
      // A JSON Web Token is found below; a longer word is not this token.
      size_t end = i_ + s.prefix.size() + n;
      if (s.exact && end < t_.size() && word_char(t_[end])) continue;
      copy_to(i_ + s.prefix.size());
      mark(end);
      return true;
    }
    // A JSON Web Token: three base64url parts, the first two JSON objects (`eyJ`).
    if (t_.compare(i_, 3, "eyJ") == 0) {
      size_t a = run(t_, i_, Chars::Base64Url);
      size_t dot = i_ + a;
      if (a >= 10 && dot < t_.size() && t_[dot] == '.') {
        size_t b = run(t_, dot + 1, Chars::Base64Url);
        if (b >= 10) {
          size_t end = dot + 1 + b;
          if (end < t_.size() && t_[end] == '.') end += 1 + run(t_, end + 1, Chars::Base64Url);
          copy_to(i_ + 3);
          mark(end);
          return true;
        }
      }
    }
    return false;
  }

  // `Bearer CREDENTIAL`, `Basic CREDENTIAL` (with a digit: not prose).
  bool scheme() {
    size_t len = starts_ci(t_, i_, "bearer ") ? 7 : starts_ci(t_, i_, "basic ") ? 6 : 0;
    if (!len) return false;
    size_t v = i_ + len;
    while (v < t_.size() && t_[v] == ' ') ++v;
    size_t e = v;
    bool digit = false;
    while (e < t_.size() && (alnum(t_[e]) || t_[e] == '.' || t_[e] == '_' || t_[e] == '~' || t_[e] == '+' ||
                             t_[e] == '/' || t_[e] == '=' || t_[e] == '-')) {
      digit = digit || std::isdigit(static_cast<unsigned char>(t_[e]));
      ++e;
    }
    if (e - v < 8 || !digit) return false;
    copy_to(v);
    mark(e);
    return true;
  }

  // `NAME=VALUE`, `NAME: VALUE`, `"NAME":"VALUE"` (escaped in JSON text
  // too), `--NAME VALUE`.
  bool named() {
    size_t e = i_;
    while (e < t_.size() && (word_char(t_[e]) || t_[e] == '-')) ++e;
    if (e == i_) return false;
    std::string_view name = t_.substr(i_, e - i_);
    if (!secret_name(name)) {
      copy_to(e);  // (the name is read once)
      return true;
    }
    size_t v = e;
    auto skip_quote = [&] {
      if (v + 1 < t_.size() && t_[v] == '\\' && t_[v + 1] == '"') {
        v += 2;
        return true;
      }
      if (v < t_.size() && (t_[v] == '"' || t_[v] == '\'')) {
        ++v;
        return true;
      }
      return false;
    };
    // A JSON member's name: its value is a credential only as a string
    // (`"secrets_read":0` is a count).
    const bool json_name = i_ > 0 && t_[i_ - 1] == '"' && v < t_.size() && (t_[v] == '"' || t_[v] == '\\');
    skip_quote();
    // (`aws_secret_access_key = …`, `password = "…"`: spaces before the sign.)
    size_t sign = v;
    while (sign < t_.size() && sign - v < 8 && (t_[sign] == ' ' || t_[sign] == '\t')) ++sign;
    if (sign < t_.size() && (t_[sign] == '=' || t_[sign] == ':')) v = sign;
    if (v < t_.size() && (t_[v] == '=' || t_[v] == ':')) {
      ++v;
      while (v < t_.size() && t_[v] == ' ') ++v;
    } else if (name[0] == '-' && v == e && v < t_.size() && t_[v] == ' ') {
      ++v;  // a flag and its value
    } else {
      copy_to(e);
      return true;
    }
    const size_t opened = v;
    const bool quoted = skip_quote();
    if (!quoted && json_name) {
      copy_to(e);
      return true;
    }
    size_t end = v;
    if (quoted && v - opened == 2) {
      // Quoted as `\"…\"` inside JSON text: up to the closing one, by whole
      // escapes (`PASSWORD=\"two words\"`).
      while (end + 1 < t_.size() && end - v < kMaxQuoted && !(t_[end] == '\\' && t_[end + 1] == '"'))
        end += t_[end] == '\\' ? 2 : 1;
      const bool closed = end + 1 < t_.size() && t_[end] == '\\' && t_[end + 1] == '"';
      if (!closed && end - v < kMaxQuoted) end = v;  // not closed: as unquoted, below (past the cap: up to it)
    } else if (quoted) {
      // Quoted as `"…"` or `'…'`: up to the same quote, never across a
      // backslash or a line.
      const char q = t_[opened];
      while (end < t_.size() && end - v < kMaxQuoted && t_[end] != q && t_[end] != '\\' && t_[end] != '\n') ++end;
      if ((end >= t_.size() || t_[end] != q) && end - v < kMaxQuoted) end = v;
    }
    if (end == v)
      while (end < t_.size() && value_char(t_[end])) ++end;
    if (no_credential(t_.substr(v, end - v))) {
      copy_to(e);
      return true;
    }
    copy_to(v);
    mark(end);
    return true;
  }

  // `scheme://user:PASSWORD@host`
  bool url_password() {
    if (t_.compare(i_, 3, "://") != 0) return false;
    auto userinfo = [](char c) {
      return !(std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '@' || c == '"' || c == '\'' ||
               c == '\\' || c == '?' || c == '#');
    };
    size_t u = i_ + 3, e = u;
    while (e < t_.size() && userinfo(t_[e]) && t_[e] != ':') ++e;
    if (e >= t_.size() || t_[e] != ':') return false;
    size_t p = e + 1, q = p;
    while (q < t_.size() && userinfo(t_[q]) && t_[q] != ':') ++q;
    if (q >= t_.size() || t_[q] != '@' || q == p || t_[p] == '$') return false;
    copy_to(p);
    mark(q);
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  std::string out_;
  size_t count_ = 0;
};

}  // namespace

Redacted redact_secrets(std::string_view text) { return Redactor(text).run_all(); }

Redacted redact_json(std::string_view t) {
  Redacted out;
  out.text.reserve(t.size());
  size_t i = 0;
  std::string_view name;   // the member whose value comes next, if any
  std::string_view array;  // the member whose array the values are in (`"tokens":["…"]`)
  int depth = 0;           // brackets open within that array
  while (i < t.size()) {
    if (t[i] != '"') {
      if (t[i] == '[') {
        if (!name.empty() && array.empty()) {
          array = name;
          depth = 0;
        }
        if (!array.empty()) ++depth;
      } else if (t[i] == ']' && !array.empty() && --depth == 0) {
        array = {};
      }
      if (t[i] != ':' && t[i] != ' ' && t[i] != '\n' && t[i] != '\t' && t[i] != '\r') name = {};
      out.text += t[i++];
      continue;
    }
    size_t end = i + 1;
    while (end < t.size() && t[end] != '"') end += t[end] == '\\' ? 2 : 1;
    if (end >= t.size()) break;  // unterminated: copied below
    size_t next = end + 1;
    while (next < t.size() && (t[next] == ' ' || t[next] == '\n' || t[next] == '\t' || t[next] == '\r')) ++next;
    std::string_view body = t.substr(i + 1, end - i - 1);
    out.text += '"';
    if (next < t.size() && t[next] == ':') {
      out.text.append(body);  // a member's name
      name = body;
    } else if (!(name.empty() ? array : name).empty() && secret_name(name.empty() ? array : name) &&
               !no_credential(body)) {
      out.text += kMark;  // `"client_secret":"…"`
      ++out.count;
    } else {
      Redacted r = redact_secrets(body);
      out.text += r.text;
      out.count += r.count;
    }
    out.text += '"';
    if (!(next < t.size() && t[next] == ':')) name = {};
    i = end + 1;
  }
  out.text.append(t.substr(std::min(i, t.size())));
  return out;
}

}  // namespace tollgate::ledger
