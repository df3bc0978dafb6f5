// The shell analyser: walks tree-sitter-bash's syntax tree, evaluates words
// statically, peels wrappers, follows nested scripts and tracks what flows
// through pipes, redirections and files written earlier in the same command
// line. src/analyze/README.md is the user-facing description of the rules.
#include "analyze/shell.h"

#include <tree_sitter/api.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analyze/paths.h"
#include "analyze/ts_guard.h"
#include "analyze/url.h"

extern "C" const TSLanguage* tree_sitter_bash(void);

namespace tollgate::analyze {
namespace {

using Sv = std::string_view;
constexpr size_t kNpos = std::string::npos;

constexpr size_t kMaxCommandBytes = size_t{1} << 20;  // longer command lines are opaque unread
constexpr size_t kMaxParsedBytes = size_t{4} << 20;   // all text parsed, nested scripts included
constexpr int kMaxNesting = 8;                        // nested scripts: -c, eval, $(…), here-docs …
constexpr int kMaxSyntaxDepth = 256;                  // syntax nesting within one script
constexpr size_t kMaxCommands = 10000;
constexpr size_t kMaxReasons = 64;
// Files a command line runs as scripts, listed for the caller to read.
constexpr size_t kMaxScripts = 16;
constexpr size_t kMaxUnrolled = 64;  // loop bodies analysed once per literal word, per command line
constexpr int kMaxPeel = 32;         // wrappers peeled from one command
// Wall-clock budget for all parsing of one command line (tree-sitter parses
// ~0.5 MB/s here: the generated lexer is built without optimisation), so a
// hostile command cannot stall the decision path; past it the result is
// opaque.
constexpr int64_t kParseBudgetMicros = 1'500'000;
constexpr size_t kMaxParseMemory = size_t{128} << 20;  // live tree-sitter memory during one parse
// tree-sitter 0.20.7 corrupts its heap when ~65 535 tokens are still on its
// stack at error recovery; texts that could have that many are not parsed.
constexpr size_t kMaxTokens = 60000;

// ---------------------------------------------------------------------------
// Small string helpers.

bool one_of(Sv x, std::initializer_list<Sv> set) {
  for (Sv s : set) {
    if (s == x) return true;
  }
  return false;
}

// Whether `w` is one of the space-separated entries of `list`.
bool listed(Sv list, Sv w) {
  if (w.empty()) return false;
  size_t pos = 0;
  while ((pos = list.find(w, pos)) != kNpos) {
    bool left = pos == 0 || list[pos - 1] == ' ';
    bool right = pos + w.size() == list.size() || list[pos + w.size()] == ' ';
    if (left && right) return true;
    pos += 1;
  }
  return false;
}

std::string lower(Sv s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool starts_with(Sv s, Sv p) { return s.substr(0, p.size()) == p; }
// Whether `text` holds `word` delimited by what cannot be part of a name.
bool has_word(Sv text, Sv word) {
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
  for (size_t at = text.find(word); at != Sv::npos; at = text.find(word, at + 1)) {
    size_t end = at + word.size();
    if ((at == 0 || !name_char(text[at - 1])) && (end >= text.size() || !name_char(text[end]))) return true;
  }
  return false;
}

bool ends_with(Sv s, Sv p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }

std::string basename_of(Sv p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  size_t slash = p.rfind('/');
  return std::string(slash == kNpos ? p : p.substr(slash + 1));
}

// The name used to classify a program: basename, lowercased (case-insensitive
// file systems run `CURL` as curl), without a Windows ".exe".
std::string class_name(Sv program) {
  std::string n = lower(basename_of(program));
  if (ends_with(n, ".exe")) n.resize(n.size() - 4);
  return n;
}

std::string clip(Sv s, size_t n = 80) {
  std::string out;
  for (char c : s.substr(0, n)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  if (s.size() > n) out += "…";
  return out;
}

bool all_digits(Sv s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool valid_var_name(Sv s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x110000) {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int digit_value(char c, int base) {
  int v = hex_value(c);
  return v >= 0 && v < base ? v : -1;
}

// Reads up to `max` digits in `base` following s[i], advancing i past them.
uint32_t read_digits(Sv s, size_t& i, int max, int base, int& count) {
  uint32_t v = 0;
  count = 0;
  while (count < max && i + 1 < s.size() && digit_value(s[i + 1], base) >= 0) {
    v = v * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit_value(s[++i], base));
    ++count;
  }
  return v;
}

// Backslash escapes as bash's $'…' and `echo -e` read them. Stops at a NUL
// (bash truncates the word there) and, for echo, at `\c`.
std::string decode_escapes(Sv s, bool echo_mode, bool* stop = nullptr) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 >= s.size()) {
      out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'e':
      case 'E': out += '\x1b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case '\'': out += echo_mode ? "\\'" : "'"; break;
      case '"': out += echo_mode ? "\\\"" : "\""; break;
      case '?': out += echo_mode ? "\\?" : "?"; break;
      case 'c':
        if (echo_mode) {
          if (stop) *stop = true;
          return out;
        }
        if (i + 1 < s.size()) {
          out += static_cast<char>(s[++i] & 0x1f);
        } else {
          out += "\\c";
        }
        break;
      case 'x': {
        int n = 0;
        uint32_t v = read_digits(s, i, 2, 16, n);
        if (n == 0) {
          out += "\\x";
        } else {
          if (v == 0) return out;
          out += static_cast<char>(v);
        }
        break;
      }
      case 'u':
      case 'U': {
        int n = 0;
        uint32_t v = read_digits(s, i, e == 'u' ? 4 : 8, 16, n);
        if (n == 0) {
          out += '\\';
          out += e;
        } else {
          if (v == 0) return out;
          append_utf8(out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          // $'\NNN' takes up to three octal digits; echo -e takes \0NNN.
          uint32_t v = 0;
          int n = 0;
          if (echo_mode && e == '0') {
            v = read_digits(s, i, 3, 8, n);
          } else if (!echo_mode) {
            --i;  // the first digit is part of the number
            v = read_digits(s, i, 3, 8, n);
          } else {
            out += '\\';
            out += e;
            break;
          }
          if ((v & 0xff) == 0) return out;
          out += static_cast<char>(v & 0xff);
        } else {
          out += '\\';
          out += e;
        }
    }
  }
  return out;
}

// Length of the escape at s[i] == '\\' as printf's format and $'…' read it.
size_t escape_length(Sv s, size_t i) {
  if (i + 1 >= s.size()) return 1;
  char e = s[i + 1];
  auto count = [&](size_t limit, bool hex) {
    size_t n = 0;
    while (n < limit && i + 2 + n < s.size() &&
           (hex ? hex_value(s[i + 2 + n]) >= 0 : (s[i + 2 + n] >= '0' && s[i + 2 + n] <= '7')))
      ++n;
    return n;
  };
  if (e == 'x') return 2 + count(2, true);
  if (e == 'u') return 2 + count(4, true);
  if (e == 'U') return 2 + count(8, true);
  if (e >= '0' && e <= '7') return 2 + count(2, false);
  if (e == 'c') return std::min<size_t>(s.size() - i, 3);
  return 2;
}

std::optional<std::string> base64_decode(Sv s) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  bool pad = false;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '=') {
      pad = true;
      continue;
    } else if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
      continue;
    } else {
      return std::nullopt;
    }
    if (pad) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// What a statement writes to stdout, or what a shell reads as its script.

struct Stream {
  enum class Kind { Unknown, Text, Download };
  Kind kind = Kind::Unknown;
  std::string text;         // Text: the bytes (as written when dynamic)
  bool dynamic = false;     // Text: holds expansions, so the real bytes differ
  bool obfuscated = false;  // passed through a decoder or transformer (base64 -d, xxd -r, gunzip, rev …)
  std::string decoder;      // the first such program, for the reason text
  std::string file;         // Unknown: the content of this file (`< f`, `cat f |`), which the caller may read

  static Stream unknown() { return {}; }
  static Stream download() {
    Stream s;
    s.kind = Kind::Download;
    return s;
  }
  static Stream text_of(std::string t, bool dyn) {
    Stream s;
    s.kind = Kind::Text;
    s.text = std::move(t);
    s.dynamic = dyn;
    return s;
  }
  static Stream empty() { return text_of("", false); }
  bool is_download() const { return kind == Kind::Download; }
  bool is_text() const { return kind == Kind::Text; }
};

// Appends the output of a statement run after `a` to it. Text is capped:
// past kMaxCommandBytes it is kept as "computed", never copied again.
void append(Stream& a, const Stream& b) {
  a.file.clear();
  a.obfuscated = a.obfuscated || b.obfuscated;
  if (a.decoder.empty()) a.decoder = b.decoder;
  if (a.is_download() || b.is_download()) {
    a.kind = Stream::Kind::Download;
  } else if (a.is_text() && b.is_text()) {
    if (a.text.size() + b.text.size() > kMaxCommandBytes) {
      a.dynamic = true;
    } else {
      a.text += b.text;
      a.dynamic = a.dynamic || b.dynamic;
    }
    return;
  } else if (a.is_text() && a.text.empty() && !a.dynamic) {
    a.kind = b.kind;
  } else if (b.is_text() && b.text.empty() && !b.dynamic) {
    return;
  } else {
    a.kind = Stream::Kind::Unknown;
  }
  if (a.kind != Stream::Kind::Text) a.text.clear();
}

// Where a statement's stdout goes besides the pipe: files (path, append; an
// empty path for a device or computed target) and `>(…)` substitutions.
struct Outputs {
  std::vector<std::pair<std::string, bool>> files;
  std::vector<TSNode> procs;
};

// ---------------------------------------------------------------------------
// A shell word after static evaluation.

// Bash's brace expansion of `s`, a word in glob form (quoted characters
// escaped with `\`): `x{a,b}y` → xay xby, nested and repeated braces,
// `{1..10..3}`, `{01..10}`, `{a..e}`. A `{` that opens no brace
// expression is a character. Nullopt past `cap` words, or on a sequence
// this does not reproduce exactly (mixed letters, padded negatives): the
// caller keeps the word unknown.
std::optional<std::vector<std::string>> expand_braces(std::string_view s, size_t cap, int depth = 0) {
  if (depth > 16) return std::nullopt;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] != '{') continue;
    int level = 0;
    size_t close = std::string_view::npos;
    std::vector<size_t> commas;
    for (size_t j = i; j < s.size(); ++j) {
      if (s[j] == '\\') {
        ++j;
        continue;
      }
      if (s[j] == '{') {
        ++level;
      } else if (s[j] == '}') {
        if (--level == 0) {
          close = j;
          break;
        }
      } else if (s[j] == ',' && level == 1) {
        commas.push_back(j);
      }
    }
    if (close == std::string_view::npos) continue;
    std::string_view amble = s.substr(i + 1, close - i - 1);
    std::vector<std::string> alts;
    if (!commas.empty()) {
      size_t from = i + 1;
      for (size_t c : commas) {
        alts.emplace_back(s.substr(from, c - from));
        from = c + 1;
      }
      alts.emplace_back(s.substr(from, close - from));
    } else if (amble.find("..") != std::string_view::npos) {
      // A sequence: {X..Y} or {X..Y..STEP}, integers or single letters.
      std::vector<std::string_view> parts;
      for (size_t from = 0;;) {
        size_t dots = amble.find("..", from);
        parts.push_back(amble.substr(from, dots == std::string_view::npos ? amble.npos : dots - from));
        if (dots == std::string_view::npos) break;
        from = dots + 2;
      }
      auto integer = [](std::string_view t) -> std::optional<long long> {
        size_t k = t.size() > 1 && (t[0] == '-' || t[0] == '+') ? 1 : 0;
        if (k == t.size() || t.size() - k > 9) return std::nullopt;
        long long v = 0;
        for (size_t m = k; m < t.size(); ++m) {
          if (t[m] < '0' || t[m] > '9') return std::nullopt;
          v = v * 10 + (t[m] - '0');
        }
        return t[0] == '-' ? -v : v;
      };
      if (parts.size() != 2 && parts.size() != 3) continue;  // not a brace expression: literal text
      long long step = 1;
      if (parts.size() == 3) {
        auto st = integer(parts[2]);
        if (!st) continue;
        step = *st < 0 ? -*st : *st;
        if (step == 0) step = 1;
      }
      auto x = integer(parts[0]), y = integer(parts[1]);
      auto letter = [](std::string_view t) {
        return t.size() == 1 && ((t[0] >= 'a' && t[0] <= 'z') || (t[0] >= 'A' && t[0] <= 'Z'));
      };
      if (x && y) {
        auto padded = [](std::string_view t) {
          size_t k = !t.empty() && (t[0] == '-' || t[0] == '+') ? 1 : 0;
          return t.size() > k + 1 && t[k] == '0';
        };
        size_t width = 0;
        if (padded(parts[0]) || padded(parts[1])) {
          if (*x < 0 || *y < 0 || parts[0][0] == '+' || parts[1][0] == '+') return std::nullopt;
          width = std::max(parts[0].size(), parts[1].size());
        }
        long long n = (*x > *y ? *x - *y : *y - *x) / step + 1;
        if (static_cast<unsigned long long>(n) > cap) return std::nullopt;
        for (long long v = *x, k = 0; k < n; ++k, v += (*x > *y ? -step : step)) {
          std::string t = std::to_string(v);
          if (t.size() < width) t.insert(0, width - t.size(), '0');
          alts.push_back(std::move(t));
        }
      } else if (letter(parts[0]) && letter(parts[1])) {
        char a = parts[0][0], b = parts[1][0];
        if ((a >= 'a') != (b >= 'a')) return std::nullopt;  // crosses [\]^_` as bash does: not reproduced
        for (long long v = a; a <= b ? v <= b : v >= b; v += (a <= b ? step : -step)) {
          std::string t(1, static_cast<char>(v));
          if (t == "\\" || t == "*" || t == "?" || t == "[" || t == "]") t.insert(0, 1, '\\');
          alts.push_back(std::move(t));
        }
      } else {
        continue;
      }
    } else {
      continue;  // {} or {x}: literal text
    }
    auto post = expand_braces(s.substr(close + 1), cap, depth + 1);
    if (!post) return std::nullopt;
    std::vector<std::string> out;
    const std::string pre(s.substr(0, i));
    for (const auto& alt : alts) {
      auto inner = expand_braces(alt, cap, depth + 1);
      if (!inner) return std::nullopt;
      for (const auto& a : *inner) {
        for (const auto& p : *post) {
          if (out.size() >= cap) return std::nullopt;
          out.push_back(pre + a + p);
        }
      }
    }
    return out;
  }
  return std::vector<std::string>{std::string(s)};
}

struct Word {
  std::string value;           // quotes and escapes removed; dynamic parts as written
  std::string raw;             // the source text
  bool dynamic = false;        // holds an expansion or substitution
  bool pattern = false;        // unquoted glob or brace expansion
  bool brace = false;          // unquoted brace expansion ({a,b}, {1..3})
  bool extglob = false;        // an unquoted ( ) or |: an extended-glob operator, which fnmatch does not read
  bool risky = false;          // an expansion that evaluates text as code (note_expansion)
  bool split = false;          // an unquoted known value with blanks, to be split into words
  std::string glob;            // the word as a glob(7) pattern: quoted metacharacters escaped
  bool download = false;       // holds the output of a download ($(curl …), <(curl …))
  bool substituted = false;    // a "$(…)" whose output was static text stands in its place
  std::optional<Stream> proc;  // the word is exactly `<(…)`: what reading it yields
  bool unknown() const { return dynamic || pattern; }
};

using Words = std::vector<Word>;

class WordBuilder {
 public:
  Word w;

  void quoted(char c) {
    w.value += c;
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || c == '{' || c == '}' || c == ',') w.glob += '\\';
    w.glob += c;
  }
  void quoted(Sv s) {
    for (char c : s) quoted(c);
  }
  void unquoted(char c) {
    switch (c) {
      case '*':
      case '?':
      case '[': w.pattern = true; break;
      case '(':
      case ')':
      case '|': w.extglob = true; break;
      case '{': ++braces_; break;
      case ',':
        if (braces_ > 0) brace_sep_ = true;
        break;
      case '.':
        if (braces_ > 0 && !w.value.empty() && w.value.back() == '.') brace_sep_ = true;
        break;
      case '}':
        if (braces_ > 0) {
          --braces_;
          if (brace_sep_) w.pattern = w.brace = true;
        }
        break;
      default: break;
    }
    w.value += c;
    w.glob += c;
  }
  // Unquoted source text: backslash quotes the next character, backslash-
  // newline is a line continuation.
  void unquoted_text(Sv s) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        ++i;
        if (s[i] == '\n') continue;
        quoted(s[i]);
      } else if (s[i] == '\\') {
        quoted('\\');
      } else {
        unquoted(s[i]);
      }
    }
  }
  // Text inside double quotes (or an unquoted here-document body): backslash
  // only escapes $ ` " \ and newline.
  void double_quoted_text(Sv s, bool heredoc) {
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        char n = s[i + 1];
        if (n == '\n') {
          ++i;
          continue;
        }
        if (n == '$' || n == '`' || n == '\\' || (n == '"' && !heredoc)) {
          quoted(n);
          ++i;
          continue;
        }
      }
      quoted(s[i]);
    }
  }
  void dynamic(Sv raw) {
    w.dynamic = true;
    w.value += raw;
    w.glob += raw;
  }

 private:
  int braces_ = 0;
  bool brace_sep_ = false;
};

// ---------------------------------------------------------------------------
// Options, getopt-style.

struct OptSpec {
  Sv short_arg;       // short options that take a value ("o" for -o FILE)
  Sv long_arg;        // space-separated long options that take a value ("output header")
  Sv short_optional;  // short options whose value may only be attached (xargs -i[R])
};

struct Opt {
  std::string name;  // "-o", "--output"
  std::string value;
  bool has_value = false;
  size_t word = kNpos;  // the word holding the value
  bool dynamic = false;
  bool download = false;
};

struct Args {
  std::vector<Opt> opts;
  std::vector<size_t> operands;
  bool dynamic_option = false;  // a computed word where an option could be

  const Opt* find(std::initializer_list<Sv> names) const {
    for (const auto& o : opts) {
      if (one_of(o.name, names)) return &o;
    }
    return nullptr;
  }
  bool has(std::initializer_list<Sv> names) const { return find(names) != nullptr; }
};

Args parse_args(const Words& w, size_t begin, const OptSpec& spec, bool permute) {
  Args a;
  size_t n = w.size();
  auto rest_operands = [&](size_t from) {
    for (size_t k = from; k < n; ++k) a.operands.push_back(k);
  };
  for (size_t i = begin; i < n; ++i) {
    const Word& x = w[i];
    Sv v = x.value;
    if (x.dynamic) {
      if (starts_with(v, "-") || starts_with(x.raw, "$")) a.dynamic_option = true;
      a.operands.push_back(i);
      if (!permute) {
        rest_operands(i + 1);
        break;
      }
      continue;
    }
    if (v == "--") {
      rest_operands(i + 1);
      break;
    }
    if (v.size() > 2 && starts_with(v, "--")) {
      size_t eq = v.find('=');
      Opt o;
      o.name = std::string(v.substr(0, eq));
      if (eq != kNpos) {
        o.value = std::string(v.substr(eq + 1));
        o.has_value = true;
        o.word = i;
        o.download = x.download;
      } else if (listed(spec.long_arg, v.substr(2)) && i + 1 < n) {
        o.value = w[i + 1].value;
        o.has_value = true;
        o.word = i + 1;
        o.dynamic = w[i + 1].unknown();
        o.download = w[i + 1].download;
        ++i;
      }
      a.opts.push_back(std::move(o));
      continue;
    }
    if (v.size() > 1 && (v[0] == '-' || v[0] == '+')) {
      for (size_t j = 1; j < v.size(); ++j) {
        char c = v[j];
        Opt o;
        o.name = std::string{v[0], c};
        if (spec.short_arg.find(c) != kNpos) {
          o.has_value = true;
          if (j + 1 < v.size()) {
            o.value = std::string(v.substr(j + 1));
            o.word = i;
          } else if (i + 1 < n) {
            o.value = w[i + 1].value;
            o.word = i + 1;
            o.dynamic = w[i + 1].unknown();
            o.download = w[i + 1].download;
            ++i;
          } else {
            o.has_value = false;
          }
          a.opts.push_back(std::move(o));
          break;
        }
        if (spec.short_optional.find(c) != kNpos) {
          if (j + 1 < v.size()) {
            o.value = std::string(v.substr(j + 1));
            o.has_value = true;
            o.word = i;
          }
          a.opts.push_back(std::move(o));
          break;
        }
        a.opts.push_back(std::move(o));
      }
      continue;
    }
    a.operands.push_back(i);
    if (!permute) {
      rest_operands(i + 1);
      break;
    }
  }
  return a;
}

// ---------------------------------------------------------------------------
// Program classes.

bool is_shell(Sv n) {
  return one_of(n, {"sh", "bash", "zsh", "dash", "ksh", "ksh93", "mksh", "pdksh", "ash", "yash", "fish", "rbash",
                    "posh", "bosh", "oksh", "loksh", "csh", "tcsh"});
}

// A bare file name with an extension (`package.json`, `notes.txt`): in
// code given on the command line, a file it opens.
// Whether a call that opens or reads a file (`open(`, `readFileSync(`,
// `File.read(`, `Path(` …) in inline code is given a path it computes: its
// first argument is anything but one plain string literal (`'.en' + 'v'`,
// `''.join(…)`, `'%s' % x`, an f-string, a variable, a literal with
// escapes). `lc` is `code` in lower case (same length).
bool file_call_computes_path(Sv lc, Sv code) {
  static constexpr Sv kCalls[] = {
      "open",     "opensync",  "readfilesync", "readfile",          "createreadstream", "path",         "posixpath",
      "purepath", "file.read", "file.open",    "io.read",           "file.readlines",   "file.foreach", "io.readlines",
      "copyfile", "readlines", "fopen",        "file_get_contents", "read_file",        "file.new",     "binread",
      "fileio"};
  auto blank = [&](size_t i) {
    return i < code.size() && (code[i] == ' ' || code[i] == '\t' || code[i] == '\n' || code[i] == '\r');
  };
  for (Sv call : kCalls) {
    for (size_t at = lc.find(call); at != Sv::npos; at = lc.find(call, at + 1)) {
      // A word of its own: `reopen(` is not `open(`; `os.open(` and
      // `fs.readFileSync (` are.
      if (at > 0 && (std::isalnum(static_cast<unsigned char>(lc[at - 1])) || lc[at - 1] == '_')) continue;
      size_t p = at + call.size();
      if (p < lc.size() && (std::isalnum(static_cast<unsigned char>(lc[p])) || lc[p] == '_')) continue;
      while (blank(p)) ++p;
      if (p >= code.size() || code[p] != '(') continue;  // not called here
      ++p;
      while (blank(p)) ++p;
      if (p >= code.size()) return true;
      if (code[p] == ')') continue;  // no argument
      // A descriptor (`readFileSync(0, …)`: standard input) names no file.
      if (std::isdigit(static_cast<unsigned char>(code[p])) && p + 1 < code.size() &&
          (code[p + 1] == ',' || code[p + 1] == ')'))
        continue;
      if ((code[p] == 'r' || code[p] == 'b' || code[p] == 'R' || code[p] == 'B') && p + 1 < code.size() &&
          (code[p + 1] == '\'' || code[p + 1] == '"'))
        ++p;  // a raw or bytes literal is a literal
      const char q = code[p];
      if (q != '\'' && q != '"' && q != '`') return true;
      size_t e = p + 1;
      while (e < code.size() && code[e] != q) {
        if (code[e] == '\\') return true;  // escapes spell what the text does not show
        ++e;
      }
      if (e >= code.size()) return true;
      if (q == '`' && code.substr(p, e - p).find("${") != Sv::npos) return true;
      size_t n = e + 1;
      while (blank(n)) ++n;
      if (n >= code.size() || (code[n] != ',' && code[n] != ')')) return true;
    }
  }
  return false;
}

bool file_name_like(Sv s) {
  size_t dot = s.rfind('.');
  if (dot == Sv::npos || dot == 0 || s.size() - dot - 1 < 1 || s.size() - dot - 1 > 8 || s.size() > 255) return false;
  bool letter = false;
  for (size_t i = dot + 1; i < s.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(s[i]))) return false;
    letter = letter || std::isalpha(static_cast<unsigned char>(s[i]));
  }
  return letter && std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(dot), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
         });
}

bool is_python(Sv n) {
  if (starts_with(n, "pypy")) return true;
  if (!starts_with(n, "python")) return false;
  for (char c : n.substr(6)) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  return true;
}

// Interpreters of non-shell code: their code flags, and whether they read a
// script from stdin when given no script operand.
bool is_interpreter(Sv n) {
  return is_python(n) ||
         one_of(n, {"perl", "ruby",      "node",    "nodejs",  "php",        "lua",       "luajit", "tclsh",
                    "wish", "osascript", "rscript", "pwsh",    "powershell", "jshell",    "irb",    "groovy",
                    "bun",  "deno",      "tsx",     "ts-node", "esno",       "vite-node", "jiti"});
}

// Programs whose stdout is data fetched from the network.
bool is_fetcher(Sv n) {
  return one_of(n, {"curl",  "wget",   "wget2",  "fetch", "http", "https", "xh",     "xhs",        "aria2c",
                    "lynx",  "links",  "elinks", "w3m",   "nc",   "ncat",  "netcat", "nc.openbsd", "nc.traditional",
                    "socat", "telnet", "ssh",    "tftp",  "ftp",  "lftp",  "curlie"});
}

// Programs whose output is a transformed copy of their input: piping their
// output into a shell hides the script from review.
bool is_transformer(Sv n) {
  return one_of(n, {"base64", "base32",     "basenc", "xxd",     "od",      "openssl",  "gzip", "gunzip",
                    "zcat",   "gzcat",      "bzip2",  "bunzip2", "bzcat",   "xz",       "unxz", "xzcat",
                    "lzma",   "unlzma",     "zstd",   "unzstd",  "zstdcat", "uudecode", "rev",  "tr",
                    "iconv",  "uncompress", "brotli", "lz4",     "unlz4",   "gpg",      "age"});
}

// Programs that copy stdin to stdout unchanged (for our purposes).
bool is_passthrough(Sv n) { return one_of(n, {"tee", "pv", "buffer", "mbuffer", "head", "tail", "dd", "stdbuf"}); }

bool is_network(Sv n) {
  return is_fetcher(n) || one_of(n, {"git",
                                     "scp",
                                     "sftp",
                                     "rsync",
                                     "mosh",
                                     "ssh-copy-id",
                                     "ssh-keyscan",
                                     "npm",
                                     "npx",
                                     "pnpm",
                                     "pnpx",
                                     "yarn",
                                     "bun",
                                     "bunx",
                                     "pip",
                                     "pip3",
                                     "pipx",
                                     "uv",
                                     "uvx",
                                     "poetry",
                                     "pdm",
                                     "conda",
                                     "mamba",
                                     "cargo",
                                     "go",
                                     "gem",
                                     "bundle",
                                     "composer",
                                     "apt",
                                     "apt-get",
                                     "add-apt-repository",
                                     "brew",
                                     "docker",
                                     "podman",
                                     "nerdctl",
                                     "helm",
                                     "ping",
                                     "ping6",
                                     "traceroute",
                                     "traceroute6",
                                     "tracepath",
                                     "mtr",
                                     "whois",
                                     "nmap",
                                     "dig",
                                     "host",
                                     "nslookup",
                                     "drill",
                                     "psql",
                                     "pg_dump",
                                     "mysql",
                                     "mariadb",
                                     "mysqldump",
                                     "redis-cli",
                                     "mongo",
                                     "mongosh",
                                     "deno",
                                     "gh",
                                     "glab",
                                     "mail",
                                     "mailx",
                                     "bsd-mailx",
                                     "s-nail",
                                     "mutt",
                                     "neomutt",
                                     "sendmail",
                                     "msmtp",
                                     "ssmtp",
                                     "swaks",
                                     "getent",
                                     "xdg-open",
                                     "open",
                                     "sensible-browser",
                                     "x-www-browser",
                                     "firefox",
                                     "chromium",
                                     "chromium-browser",
                                     "google-chrome",
                                     "google-chrome-stable",
                                     "kubectl",
                                     "yt-dlp",
                                     "youtube-dl",
                                     "svn",
                                     "hg",
                                     "openssl",
                                     "smbclient",
                                     "rclone",
                                     "s3cmd",
                                     "mvn",
                                     "gradle"});
}

// Files that are no file of the user's: /dev/null and the like, and the
// standard streams through /dev/fd/0-2. Judged on the path with `..`
// resolved: /dev/fd/../../home/x is /home/x.
bool is_special_device(Sv p) {
  if (!starts_with(p, "/dev/") && !starts_with(p, "/proc/")) return false;
  std::string n = normalize_path(p, "/", "/", false);
  return one_of(n, {"/dev/null", "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero", "/dev/random",
                    "/dev/urandom", "/dev/full", "/dev/fd/0", "/dev/fd/1", "/dev/fd/2", "/proc/self/fd/0",
                    "/proc/self/fd/1", "/proc/self/fd/2"});
}

// A path that opens an open descriptor again (/dev/fd/3, /proc/self/fd/5,
// /proc/123/fd/4): which file is behind it is not known here — an earlier
// `exec 3< file` may have opened any.
bool reopens_descriptor(Sv p) {
  if (!starts_with(p, "/dev/") && !starts_with(p, "/proc/")) return false;
  std::string n = normalize_path(p, "/", "/", false);
  bool fd_dir = starts_with(n, "/dev/fd/") || (starts_with(n, "/proc/") && n.find("/fd/") != std::string::npos);
  return fd_dir && !is_special_device(n);
}

// Whether a sed script runs commands (`e`, the `e` flag of `s`) or reads or
// writes files (`r`, `R`, `w`, `W`, the `w` flag): each command's address is
// skipped, then its letter looked at; `s`'s flags follow its third
// delimiter. Conservative on what it cannot follow (`{` groups are opened).
bool sed_script_touches(Sv script) {
  size_t i = 0;
  while (i < script.size()) {
    while (i < script.size() && Sv(" \t\n;{}!").find(script[i]) != Sv::npos) ++i;
    // The address: numbers, `$`, `/re/`, `\cREc`, `,`, `~`, `+`.
    while (i < script.size()) {
      char c = script[i];
      if (std::isdigit(static_cast<unsigned char>(c)) || c == '$' || c == ',' || c == '~' || c == '+' || c == ' ') {
        ++i;
      } else if (c == '/' || c == '\\') {
        char d = c == '\\' && i + 1 < script.size() ? script[++i] : '/';
        ++i;
        while (i < script.size() && script[i] != d) i += script[i] == '\\' ? 2 : 1;
        ++i;
        while (i < script.size() && (script[i] == 'I' || script[i] == 'M')) ++i;
      } else {
        break;
      }
    }
    while (i < script.size() && (script[i] == '!' || script[i] == ' ')) ++i;
    if (i >= script.size()) break;
    if (script[i] == '{' || script[i] == '}' || script[i] == ';' || script[i] == '\n') {
      ++i;  // a block opens: its commands follow
      continue;
    }
    char cmd = script[i++];
    if (Sv("erRwWF").find(cmd) != Sv::npos && cmd != 'F') return true;
    if (cmd == 's' || cmd == 'y') {
      if (i >= script.size()) break;
      char d = script[i++];
      for (int parts = 0; parts < 2 && i < script.size(); ++i) {
        if (script[i] == '\\') {
          ++i;
          continue;
        }
        if (script[i] == d) ++parts;
      }
      if (cmd == 's') {
        while (i < script.size() && Sv(";\n}").find(script[i]) == Sv::npos) {
          if (script[i] == 'e' || script[i] == 'w' || script[i] == 'W') return true;
          ++i;
        }
      }
      continue;
    }
    if (cmd == 'a' || cmd == 'i' || cmd == 'c' || cmd == 'b' || cmd == 't' || cmd == 'T' || cmd == ':') {
      // Text or a label runs to the end of the line.
      while (i < script.size() && script[i] != '\n') ++i;
      continue;
    }
    while (i < script.size() && Sv(";\n}").find(script[i]) == Sv::npos) ++i;
  }
  return false;
}

// A value that is one arithmetic expansion (`$((i+1))`): a number, whatever
// it evaluated.
bool arithmetic_result(Sv v) {
  return starts_with(v, "$((") && v.size() > 5 && v.substr(v.size() - 2) == "))" && v.find("$(", 1) == Sv::npos &&
         v.find('`') == Sv::npos;
}

// `a[$(cmd)]` or `` a[`cmd`] ``: a subscript that runs a command wherever
// bash evaluates it as arithmetic (let, declare, unset, test -v, $((…))).
bool runs_in_subscript(Sv s) {
  size_t open = s.find('[');
  return open != Sv::npos && (s.find("$(", open) != Sv::npos || s.find('`', open) != Sv::npos);
}

// Variables whose assignment changes which program runs or what it executes.
bool is_hijack_variable(Sv name) {
  return one_of(name,
                {"PATH", "IFS", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES",
                 "DYLD_LIBRARY_PATH", "BASH_ENV", "ENV", "PROMPT_COMMAND", "GIT_SSH", "GIT_SSH_COMMAND",
                 "GIT_PROXY_COMMAND", "GIT_EXEC_PATH", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_GLOBAL", "PYTHONSTARTUP",
                 "PERL5OPT", "NODE_OPTIONS", "RUBYOPT", "SHELLOPTS", "BASHOPTS",
                 // What Tollgate takes `~`, `$HOME`, `$PWD` and a relative
                 // `cd` to mean.
                 "HOME", "PWD", "OLDPWD", "CDPATH", "GNUMAKEFLAGS",
                 // Where Python and Node find the modules they load.
                 "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONPLATLIBDIR", "NODE_PATH",
                 // Where git, make, npm and the forges' clients take
                 // their configuration, remotes and hosts from.
                 "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CONFIG", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT",
                 "MAKEFILES", "MAKEFLAGS", "MFLAGS", "GH_HOST", "GH_REPO", "GITLAB_HOST", "GITLAB_URI",
                 // Commands other programs run: git's external diff,
                 // editors, pagers and credential prompts, less's input
                 // filters, tar's default options.
                 "GIT_EXTERNAL_DIFF", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "GIT_PAGER", "GIT_ASKPASS", "SSH_ASKPASS",
                 "SUDO_ASKPASS", "EDITOR", "VISUAL", "PAGER", "MANPAGER", "LESSOPEN", "LESSCLOSE", "TAR_OPTIONS",
                 "BROWSER", "FCEDIT"}) ||
         starts_with(name, "BASH_FUNC_") || starts_with(name, "GIT_CONFIG_KEY_") ||
         starts_with(name, "GIT_CONFIG_VALUE_") || starts_with(name, "npm_config_") || starts_with(name, "NPM_CONFIG_");
}

// An editor or pager that runs nothing the agent chose: `GIT_EDITOR=true`,
// `PAGER=cat`, `git -c core.pager=less`.
bool harmless_viewer(Sv v) {
  return one_of(v, {"", "true", ":", "cat", "less", "less -R", "less -FR", "less -FRX", "less -RFX", "more"});
}

// An assignment to a hijack variable that cannot change what runs: an
// editor or pager that runs nothing, Node options that load no code, PATH
// extended (`$PATH` kept once) with the system's and the home's tool
// directories, which the agent cannot write without asking (a directory in
// the workspace, first, would let a file the agent wrote stand for `git`;
// last, for a command found nowhere else).
bool harmless_hijack(Sv name, Sv value, Sv home) {
  if (one_of(name,
             {"EDITOR", "VISUAL", "GIT_EDITOR", "GIT_SEQUENCE_EDITOR", "PAGER", "GIT_PAGER", "MANPAGER", "FCEDIT"}))
    return harmless_viewer(value);
  if (name == "NODE_OPTIONS") {
    for (size_t at = 0; at < value.size();) {
      size_t end = std::min(value.find(' ', at), value.size());
      Sv opt = value.substr(at, end - at);
      at = end + 1;
      if (opt.empty()) continue;
      if (!one_of(
              opt.substr(0, opt.find('=')),
              {"--max-old-space-size", "--max-semi-space-size", "--stack-size", "--no-warnings", "--no-deprecation",
               "--trace-warnings", "--trace-deprecation", "--enable-source-maps", "--unhandled-rejections",
               "--openssl-legacy-provider", "--experimental-vm-modules", "--dns-result-order", "--max-http-header-size",
               "--expose-gc", "--stack-trace-limit", "--trace-uncaught", "--no-experimental-fetch"}))
        return false;
    }
    return true;
  }
  if (name != "PATH") return false;
  auto tool_dir = [&](Sv d) {
    if (starts_with(d, "/usr/") || starts_with(d, "/opt/") || d == "/bin" || d == "/sbin") return true;
    if (home.empty() || !starts_with(d, home) || d.size() <= home.size() || d[home.size()] != '/') return false;
    Sv rest = d.substr(home.size());
    return one_of(rest, {"/.local/bin", "/.cargo/bin", "/go/bin", "/.bun/bin", "/.deno/bin", "/.volta/bin",
                         "/.npm-global/bin", "/.pyenv/shims", "/.pyenv/bin", "/.rbenv/shims", "/.poetry/bin",
                         "/.dotnet/tools", "/.yarn/bin", "/bin"});
  };
  bool kept = false;
  for (size_t at = 0; at <= value.size();) {
    size_t end = std::min(value.find(':', at), value.size());
    Sv e = value.substr(at, end - at);
    at = end + 1;
    if (e == "$PATH" || e == "${PATH}") {
      if (kept) return false;
      kept = true;
      continue;
    }
    if (e.empty() || e.find_first_of("$`") != Sv::npos || e.find("..") != Sv::npos) return false;
    // Appended too: a command not found before it would run from there.
    if (!tool_dir(e)) return false;
  }
  return kept;
}

// `KEY=VALUE` naming an editor or pager that runs nothing
// (`core.pager=cat`, `sequence.editor=:`).
bool harmless_git_setting(Sv setting) {
  size_t eq = setting.find('=');
  if (eq == Sv::npos) return false;
  std::string key = lower(setting.substr(0, eq));
  return (one_of(key, {"core.pager", "core.editor", "sequence.editor"}) || starts_with(key, "pager.")) &&
         harmless_viewer(setting.substr(eq + 1));
}

// Git configuration keys that run commands or redirect traffic.
bool is_risky_git_key(Sv key_in) {
  std::string key = lower(key_in);
  return starts_with(key, "alias.") || starts_with(key, "url.") || starts_with(key, "protocol.") ||
         starts_with(key, "filter.") ||
         // diff.external and a driver's command or textconv run programs; diff.noprefix … do not.
         (starts_with(key, "diff.") && (key == "diff.external" || ends_with(key, ".command") ||
                                        ends_with(key, ".textconv") || std::count(key.begin(), key.end(), '.') > 1)) ||
         starts_with(key, "merge.") || starts_with(key, "difftool.") || starts_with(key, "mergetool.") ||
         key == "diff.tool" || key == "diff.guitool" || starts_with(key, "http.") || starts_with(key, "https.") ||
         starts_with(key, "credential") || starts_with(key, "remote.") || starts_with(key, "submodule.") ||
         starts_with(key, "pager.") || starts_with(key, "gpg.") || starts_with(key, "includeif.") ||
         starts_with(key, "trailer.") || starts_with(key, "interactive.") ||
         one_of(key,
                {"core.sshcommand", "core.gitproxy", "core.pager", "core.editor", "core.hookspath", "core.fsmonitor",
                 "core.askpass", "core.worktree", "sequence.editor", "include.path", "uploadpack.packobjectshook"});
}

// ---------------------------------------------------------------------------
// Tree helpers.

Sv type_of(TSNode n) { return ts_node_type(n); }
bool named(TSNode n) { return ts_node_is_named(n); }

std::vector<TSNode> kids(TSNode n) {
  std::vector<TSNode> out;
  uint32_t c = ts_node_child_count(n);
  if (c == 0) return out;
  out.reserve(c);
  TSTreeCursor cur = ts_tree_cursor_new(n);
  if (ts_tree_cursor_goto_first_child(&cur)) {
    do {
      out.push_back(ts_tree_cursor_current_node(&cur));
    } while (ts_tree_cursor_goto_next_sibling(&cur));
  }
  ts_tree_cursor_delete(&cur);
  return out;
}

bool is_statement(Sv t) {
  return one_of(t, {"command",
                    "redirected_statement",
                    "pipeline",
                    "list",
                    "subshell",
                    "compound_statement",
                    "if_statement",
                    "while_statement",
                    "for_statement",
                    "c_style_for_statement",
                    "case_statement",
                    "function_definition",
                    "declaration_command",
                    "unset_command",
                    "test_command",
                    "negated_command",
                    "variable_assignment",
                    "variable_assignments",
                    "do_group",
                    "elif_clause",
                    "else_clause",
                    "case_item",
                    "program",
                    "ERROR"});
}

bool is_redirect(Sv t) { return t == "file_redirect" || t == "heredoc_redirect" || t == "herestring_redirect"; }

struct TreeDeleter {
  void operator()(TSTree* t) const { ts_tree_delete(t); }
};

// Whether the grammar's ABI is one this tree-sitter runtime can load.
bool language_compatible(uint32_t* version) {
  uint32_t v = ts_language_version(tree_sitter_bash());
  *version = v;
  return v >= TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION && v <= TREE_SITTER_LANGUAGE_VERSION;
}

// ---------------------------------------------------------------------------

class Analyzer {
 public:
  Analyzer() = default;
  Analyzer(std::string home, std::string pwd, KnownVariables known = {})
      : home_(std::move(home)), pwd_(std::move(pwd)), known_(std::move(known)) {}

  ShellAnalysis run(Sv command, std::chrono::steady_clock::time_point deadline) {
    deadline_ = deadline;
    parse_and_visit(command, Stream::unknown(), "");
    // `X='a[$(id)]'`: used in arithmetic (`$((X))`, `((X))`, `let`,
    // `[[ X -eq 1 ]]`, a subscript) the value's subscript runs the command.
    for (const auto& a : out_.assignments) {
      size_t open = a.find('[', a.find('=') == std::string::npos ? 0 : a.find('=') + 1);
      if (open != std::string::npos && a.find('=') != std::string::npos &&
          (a.find("$(", open) != std::string::npos || a.find('`', open) != std::string::npos)) {
        opaque("a value that runs a command when evaluated as arithmetic: " + clip(a));
        break;
      }
      // A value Tollgate does not know (read, printf -v, a substitution,
      // pieces appended) used in arithmetic may hold such a subscript.
      size_t eq = a.find('=');
      Sv value = eq == std::string::npos ? Sv() : Sv(a).substr(eq + 1);
      if (arithmetic_ && eq != std::string::npos && !arithmetic_result(value) &&
          (value.find_first_of("$`[") != Sv::npos || appended_)) {
        opaque("arithmetic on a value Tollgate does not know: " + clip(a));
        break;
      }
    }
    return std::move(out_);
  }

  ShellAnalysis run_code(const std::string& interpreter, Sv code) {
    inline_code(interpreter, code, true);
    return std::move(out_);
  }

  void opaque(std::string reason) {
    out_.opaque = true;
    if (out_.opaque_reasons.size() >= kMaxReasons) return;
    for (const auto& r : out_.opaque_reasons) {
      if (r == reason) return;
    }
    out_.opaque_reasons.push_back(std::move(reason));
  }

 private:
  // -------------------------------------------------------------------------
  // Parsing and nesting.

  // Parses `text` and visits it with `in` on stdin. `label` names the nested
  // script in reasons ("" for the command line itself).
  Stream parse_and_visit(Sv text, const Stream& in, const std::string& label) {
    parsed_bytes_ += text.size();
    if (parsed_bytes_ > kMaxParsedBytes) {
      opaque("too much nested script text to analyse");
      return Stream::unknown();
    }
    if (text.size() > kMaxCommandBytes) {
      opaque("command longer than " + std::to_string(kMaxCommandBytes) + " bytes");
      return Stream::unknown();
    }
    if (text.size() >= kMaxTokens && detail::token_upper_bound(text) >= kMaxTokens) {
      opaque("too many shell tokens to parse safely");
      return Stream::unknown();
    }
    detail::GuardedParse parsed = detail::guarded_parse(tree_sitter_bash(), text, deadline_, kMaxParseMemory);
    if (parsed.status != detail::ParseStatus::Ok) {
      opaque(parsed.status == detail::ParseStatus::OutOfMemory ? "shell parser gave up (memory limit)"
             : parsed.status == detail::ParseStatus::Refused   ? "tree-sitter refused the bash grammar"
                                                             : "shell parser gave up (analysis time budget exhausted)");
      return Stream::unknown();
    }
    std::unique_ptr<TSTree, TreeDeleter> tree(parsed.tree);
    Sv saved_src = src_;
    src_ = text;
    TSNode root = ts_tree_root_node(tree.get());
    if (ts_node_has_error(root)) report_parse_error(root, label);
    Stream s = visit(root, in);
    src_ = saved_src;
    return s;
  }

  void report_parse_error(TSNode root, const std::string& label) {
    // Depth-first search for the first ERROR or MISSING node.
    TSTreeCursor cur = ts_tree_cursor_new(root);
    TSNode found = root;
    bool have = false;
    while (true) {
      TSNode n = ts_tree_cursor_current_node(&cur);
      if (ts_node_is_missing(n) || type_of(n) == "ERROR") {
        found = n;
        have = true;
        break;
      }
      if (ts_node_has_error(n) && ts_tree_cursor_goto_first_child(&cur)) continue;
      bool moved = false;
      while (!moved) {
        if (ts_tree_cursor_goto_next_sibling(&cur)) {
          moved = true;
        } else if (!ts_tree_cursor_goto_parent(&cur)) {
          break;
        }
      }
      if (!moved) break;
    }
    ts_tree_cursor_delete(&cur);
    TSPoint p = ts_node_start_point(found);
    std::string where = std::to_string(p.row + 1) + ":" + std::to_string(p.column + 1);
    std::string what;
    if (have && ts_node_is_missing(found)) {
      what = "missing '" + std::string(type_of(found)) + "'";
    } else {
      uint32_t s = ts_node_start_byte(found);
      what = "unexpected '" + clip(src_.substr(s, std::min<size_t>(20, src_.size() - s)), 20) + "'";
    }
    opaque("parse error" + (label.empty() ? std::string() : " in " + label + " script") + " at " + where + ": " + what);
  }

  // Runs a nested script (the string of `bash -c`, eval's text, a here-doc
  // fed to a shell …) with `label` pushed onto the wrapper stack.
  Stream nested(Sv text, const Stream& in, const std::string& label) {
    if (nesting_ >= kMaxNesting) {
      opaque("nesting deeper than " + std::to_string(kMaxNesting) + " levels (" + label + ")");
      return Stream::unknown();
    }
    ++nesting_;
    wrappers_.push_back(label);
    std::string copy(text);  // src_ must outlive the tree walk
    Stream s = parse_and_visit(copy, in, label);
    wrappers_.pop_back();
    --nesting_;
    return s;
  }

  // A script about to be run by `label` (a shell reading it from stdin, a
  // file, a -c string …).
  Stream run_script(const Stream& script, const Stream& in, const std::string& label) {
    if (script.is_download()) {
      out_.download_exec = true;
      return Stream::unknown();
    }
    if (script.obfuscated) {
      opaque("script run by " + label + " is decoded or transformed first (" +
             (script.decoder.empty() ? std::string("decoder") : script.decoder) + ")");
    }
    if (!script.is_text()) return Stream::unknown();
    if (script.dynamic) opaque(label + " script is computed: " + clip(script.text));
    return nested(script.text, in, label);
  }

  Stream run_script_word(const Word& w, const Stream& in, const std::string& label) {
    if (w.proc) return run_script(*w.proc, in, label);
    if (w.download) {
      // The script is (partly) a download: that alone decides. The
      // substitution's own commands were analysed when the word was.
      out_.download_exec = true;
      return Stream::unknown();
    }
    if (w.unknown()) opaque(label + " script is computed: " + clip(w.raw));
    return nested(w.value, in, label);
  }

  // -------------------------------------------------------------------------
  // Statements.

  Sv text(TSNode n) const {
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    if (s > src_.size()) return {};
    return src_.substr(s, std::min<size_t>(e, src_.size()) - s);
  }

  Stream visit(TSNode n, const Stream& in) {
    if (syntax_depth_ >= kMaxSyntaxDepth) {
      opaque("syntax nested deeper than " + std::to_string(kMaxSyntaxDepth) + " levels");
      return Stream::unknown();
    }
    ++syntax_depth_;
    Stream s = visit_inner(n, in);
    --syntax_depth_;
    return s;
  }

  Stream visit_inner(TSNode n, const Stream& in) {
    Sv t = type_of(n);
    if (t == "command") return visit_command(n, in);
    if (t == "redirected_statement") return visit_redirected(n, in);
    if (t == "list") return visit_list(n, in);
    if (t == "pipeline") return visit_pipeline(n, in);
    if (t == "function_definition") {
      for (TSNode c : kids(n)) {
        if (!named(c) || type_of(c) == "word") continue;
        if (is_statement(type_of(c))) {
          visit(c, Stream::unknown());
        } else if (is_redirect(type_of(c))) {
          Stream dummy;
          Outputs files;
          apply_redirect(c, dummy, files);
        }
      }
      return Stream::empty();
    }
    if (t == "declaration_command" || t == "unset_command") return visit_declaration(n);
    if (t == "variable_assignment") {
      std::string a = assignment(n);
      if (!a.empty()) out_.assignments.push_back(a);
      return Stream::empty();
    }
    if (t == "comment") return Stream::empty();
    if (!is_statement(t) && !named(n)) return Stream::empty();
    if (!is_statement(t)) {
      // A word-like node in statement position (inside ERROR, conditions of
      // c-style for loops, test expressions): only its substitutions run.
      scan_substitutions(n);
      return Stream::unknown();
    }
    // Compound statements: every statement inside shares stdin; outputs add up.
    Stream out = Stream::empty();
    // `(( … ))`, `for (( … ))` and `[[ x -eq y ]]` evaluate variables as
    // arithmetic: one not set on this line to a plain value (an argument,
    // the environment's) may hold a subscript that runs a command.
    Sv nt = text(n);
    bool arith = (t == "compound_statement" && starts_with(nt, "((")) || t == "c_style_for_statement";
    if (t == "test_command" &&
        (nt.find(" -eq ") != Sv::npos || nt.find(" -ne ") != Sv::npos || nt.find(" -lt ") != Sv::npos ||
         nt.find(" -le ") != Sv::npos || nt.find(" -gt ") != Sv::npos || nt.find(" -ge ") != Sv::npos ||
         nt.find("-v ") != Sv::npos)) {
      arithmetic_ = true;
      arith = arith || starts_with(nt, "[[");
    }
    if (arith) {
      arithmetic_ = true;
      Sv head = t == "c_style_for_statement" ? nt.substr(0, nt.find("))") == Sv::npos ? nt.size() : nt.find("))")) : nt;
      if (std::string unknown = unknown_in_arithmetic(head); !unknown.empty())
        opaque("arithmetic on a value Tollgate does not know: " + clip(unknown));
    }
    if (t == "for_statement" || t == "select_statement") {
      TSNode var = ts_node_child_by_field_name(n, "variable", 8);
      // A loop over plain static words (`for i in 1 2 3`, `for f in a b`)
      // sets known values; anything else is unknown.
      bool plain_words = true;
      std::vector<std::string> values;
      for (TSNode c : kids(n)) {
        if (!named(c) || ts_node_eq(c, var) || is_statement(type_of(c)) || type_of(c) == "do_group") continue;
        if (type_of(c) != "word" && type_of(c) != "number") plain_words = false;
        if (text(c).find_first_of("[$`") != Sv::npos) plain_words = false;
        values.emplace_back(text(c));
      }
      if (!ts_node_is_null(var)) {
        if (plain_words)
          bound_known(std::string(text(var)));
        else
          bound(std::string(text(var)), false);
      }
      // A `for` over a few literal words, none of which the shell would
      // expand (globs, braces, `~`, escapes), runs its body once with each:
      // analysed so (`for pkg in core api; do (cd packages/$pkg && npm
      // test); done`), within a budget for the whole line.
      TSNode body = ts_node_child_by_field_name(n, "body", 4);
      const bool literal = t == "for_statement" && plain_words && !values.empty() && values.size() <= 8 &&
                           !ts_node_is_null(var) && !ts_node_is_null(body) &&
                           std::none_of(values.begin(), values.end(), [](const std::string& v) {
                             return v.find_first_of("*?{}~\\'\"") != std::string::npos;
                           });
      // Not when the body could change or drop the variable other than by
      // an assignment this analysis follows (`unset`, `eval`, `read`,
      // functions, traps, `declare` …): its value would be stale.
      bool stable = !ts_node_is_null(body);
      if (stable) {
        Sv bt = text(body);
        for (Sv w : {"unset", "eval", "trap", "read", "declare", "local", "typeset", "mapfile", "readarray", "getopts",
                     "source", "export", "readonly", "let", "function", "for", "select", "."})
          if (has_word(bt, w)) stable = false;
        if (bt.find("()") != Sv::npos || bt.find("printf -v") != Sv::npos) stable = false;
      }
      if (literal && stable && unrolled_ + values.size() <= kMaxUnrolled) {
        unrolled_ += values.size();
        const std::string name(text(var));
        for (const auto& v : values) {
          known_.insert(known_.begin(), {name, v});  // first: it hides a value the caller gave
          append(out, visit(body, in));
          auto it = std::find_if(known_.begin(), known_.end(), [&](const auto& kv) { return kv.first == name; });
          if (it != known_.end()) known_.erase(it);
        }
        for (TSNode c : kids(n))
          if (named(c) && !ts_node_eq(c, body) && !ts_node_eq(c, var) && type_of(c) != "comment") scan_substitutions(c);
        return out;
      }
    }
    for (TSNode c : kids(n)) {
      if (!named(c)) continue;
      Sv ct = type_of(c);
      if (ct == "comment") continue;
      if (is_statement(ct)) {
        append(out, visit(c, in));
      } else if (is_redirect(ct)) {
        Stream dummy = in;
        Outputs files;
        apply_redirect(c, dummy, files);
      } else {
        scan_substitutions(c);
      }
    }
    if (t == "test_command") return Stream::empty();
    return out;
  }

  Stream visit_list(TSNode n, const Stream& in) {
    // `a && b && c` nests to the left; flatten it without recursion.
    std::vector<TSNode> items;
    TSNode cur = n;
    while (type_of(cur) == "list") {
      std::vector<TSNode> parts;
      for (TSNode c : kids(cur)) {
        if (named(c) && type_of(c) != "comment") parts.push_back(c);
      }
      if (parts.empty()) break;
      for (size_t i = parts.size(); i-- > 1;) items.push_back(parts[i]);
      cur = parts[0];
      if (type_of(cur) != "list") {
        items.push_back(cur);
        break;
      }
    }
    std::reverse(items.begin(), items.end());
    Stream out = Stream::empty();
    for (TSNode c : items) append(out, visit(c, in));
    return out;
  }

  Stream visit_pipeline(TSNode n, const Stream& in) {
    Stream cur = in;
    for (TSNode c : kids(n)) {
      if (!named(c) || type_of(c) == "comment") continue;
      cur = visit(c, cur);
    }
    return cur;
  }

  Stream visit_redirected(TSNode n, const Stream& in) {
    std::vector<TSNode> bodies, heredocs;
    Stream body_in = in;
    Outputs files;  // stdout goes to these (path, append)
    std::vector<TSNode> redirects;
    for (TSNode c : kids(n)) {
      if (!named(c)) continue;
      Sv ct = type_of(c);
      if (ct == "heredoc_redirect") {
        heredocs.push_back(c);
      } else if (is_redirect(ct)) {
        redirects.push_back(c);
      } else if (ct != "comment") {
        bodies.push_back(c);
      }
    }
    for (TSNode h : heredocs) body_in = heredoc_stream(h, files);
    for (TSNode r : redirects) apply_redirect(r, body_in, files);
    Stream out = Stream::empty();
    for (TSNode b : bodies) {
      append(out, is_statement(type_of(b)) ? visit(b, body_in) : (scan_substitutions(b), Stream::unknown()));
    }
    out = write_stdout(out, files);
    // What follows the here-doc's delimiter on its line: `| sh`, `&& next`.
    for (TSNode h : heredocs) {
      for (TSNode c : kids(h)) {
        if (!named(c)) continue;
        Sv ct = type_of(c);
        if (ct == "pipeline") {
          Stream cur = out;
          for (TSNode s : kids(c)) {
            if (named(s) && is_statement(type_of(s))) cur = visit(s, cur);
          }
          out = cur;
        } else if (is_statement(ct)) {
          append(out, visit(c, in));
        } else if (!one_of(ct, {"heredoc_start", "heredoc_body", "heredoc_end", "file_redirect", "herestring_redirect",
                                "file_descriptor"})) {
          scan_substitutions(c);
        }
      }
    }
    return out;
  }

  // The stdin a here-document gives; also applies redirections written after
  // the delimiter (`cat <<EOF > file`).
  Stream heredoc_stream(TSNode h, Outputs& files) {
    bool quoted_delim = false;
    TSNode body{};
    bool have_body = false;
    for (TSNode c : kids(h)) {
      Sv ct = type_of(c);
      if (ct == "heredoc_start") {
        Sv d = text(c);
        quoted_delim = d.find_first_of("'\"\\") != kNpos;
      } else if (ct == "heredoc_body") {
        body = c;
        have_body = true;
      } else if (ct == "file_redirect" || ct == "herestring_redirect") {
        Stream dummy;
        apply_redirect(c, dummy, files);
      }
    }
    if (!have_body) return Stream::empty();
    Sv b = text(body);
    if (quoted_delim) return Stream::text_of(std::string(b), false);
    // Unquoted delimiter: the outer shell expands $…, $(…) and `…` first.
    WordBuilder wb;
    uint32_t pos = ts_node_start_byte(body);
    bool download = false;
    auto gap = [&](uint32_t upto) {
      if (upto > pos) heredoc_text(src_.substr(pos, upto - pos), wb, download);
    };
    for (TSNode c : kids(body)) {
      gap(ts_node_start_byte(c));
      Sv ct = type_of(c);
      if (ct == "heredoc_content") {
        heredoc_text(text(c), wb, download);
      } else {
        wb.dynamic(text(c));
        if (scan_substitutions(c).is_download()) download = true;
      }
      pos = ts_node_end_byte(c);
    }
    gap(ts_node_end_byte(body));
    if (download) return Stream::download();
    return Stream::text_of(wb.w.value, wb.w.dynamic);
  }

  // Literal here-document text; tree-sitter leaves backticks inside it
  // unparsed, so they are found and analysed here.
  void heredoc_text(Sv s, WordBuilder& wb, bool& download) {
    size_t i = 0;
    while (i < s.size()) {
      size_t tick = kNpos;
      for (size_t k = i; k < s.size(); ++k) {
        if (s[k] == '\\') {
          ++k;
          continue;
        }
        if (s[k] == '`') {
          tick = k;
          break;
        }
      }
      if (tick == kNpos) {
        wb.double_quoted_text(s.substr(i), true);
        return;
      }
      wb.double_quoted_text(s.substr(i, tick - i), true);
      size_t end = s.find('`', tick + 1);
      if (end == kNpos) end = s.size();
      Sv inner = s.substr(tick + 1, end - tick - 1);
      wb.dynamic(s.substr(tick, std::min(end + 1, s.size()) - tick));
      if (substitution_script(inner).is_download()) download = true;
      i = end + 1;
    }
  }

  Stream substitution_script(Sv inner) {
    if (nesting_ >= kMaxNesting) {
      opaque("nesting deeper than " + std::to_string(kMaxNesting) + " levels (command substitution)");
      return Stream::unknown();
    }
    ++nesting_;
    std::string copy(inner);
    Stream s = parse_and_visit(copy, Stream::unknown(), "command substitution");
    --nesting_;
    return s;
  }

  // Redirections. Records files; adjusts `in` for stdin redirections; adds
  // stdout targets to `files`.
  void apply_redirect(TSNode r, Stream& in, Outputs& files) {
    Sv rt = type_of(r);
    if (rt == "heredoc_redirect") {
      in = heredoc_stream(r, files);
      return;
    }
    std::vector<TSNode> dest;
    int fd = -1;
    std::string op;
    for (TSNode c : kids(r)) {
      Sv ct = type_of(c);
      if (ct == "file_descriptor") {
        Sv d = text(c);
        fd = all_digits(d) && d.size() < 6 ? std::stoi(std::string(d)) : 99;
      } else if (!named(c) && op.empty() && dest.empty()) {
        op = std::string(ct);
      } else if (ct != "comment") {
        dest.push_back(c);
      }
    }
    if (rt == "herestring_redirect") {
      if (dest.empty()) return;
      Word w = eval_group(dest);
      if (w.download) {
        in = Stream::download();
      } else {
        in = Stream::text_of(w.value + "\n", w.dynamic);
      }
      return;
    }
    if (dest.empty() || op.empty()) return;
    bool write = op.find('>') != kNpos;
    bool read = op.find('<') != kNpos;
    bool append = op == ">>" || op == "&>>";
    bool to_stdout = write && (fd == -1 || fd == 1 || op[0] == '&' || op == ">&");
    bool from_stdin = read && (fd == -1 || fd == 0);
    // Output into a process substitution: `cmd > >(sh)`.
    if (dest.size() == 1 && type_of(dest[0]) == "process_substitution") {
      Sv open = text(dest[0]).substr(0, 2);
      if (open == ">(" && write) {
        files.procs.push_back(dest[0]);
        return;
      }
      Word w = eval_group(dest);
      if (from_stdin && w.proc) in = *w.proc;
      return;
    }
    Word w = eval_group(dest);
    if ((op == ">&" || op == "<&") && !w.unknown() && (all_digits(w.value) || w.value == "-")) return;  // fd dup
    if (op == ">&" || op == "<&") {
      if (!w.unknown() && ends_with(w.value, "-") && all_digits(w.value.substr(0, w.value.size() - 1))) return;
    }
    if (w.unknown()) {
      Redirection rd{w.value, write, append, true};
      out_.redirections.push_back(rd);
      opaque("redirection target is computed: " + clip(w.raw));
      if (to_stdout) files.files.emplace_back("", append);
      if (from_stdin) in = w.download ? Stream::download() : Stream::unknown();
      return;
    }
    const std::string& p = w.value;
    if (starts_with(p, "/dev/tcp/") || starts_with(p, "/dev/udp/")) {
      Sv rest = Sv(p).substr(9);
      std::string host(rest.substr(0, rest.find('/')));
      if (!host.empty()) add_host_loose(host);
      if (from_stdin) in = Stream::download();
      if (write) socket_redirect_ = true;
      return;
    }
    if (is_special_device(p)) {
      if (from_stdin) in = p == "/dev/null" ? Stream::empty() : Stream::unknown();
      if (to_stdout) files.files.emplace_back("", false);
      return;
    }
    if (reopens_descriptor(p)) {
      out_.redirections.push_back({p, write, append, true});
      opaque("a redirection reopens a file descriptor, whose file is not known: " + clip(w.raw));
      if (from_stdin) in = Stream::unknown();
      if (to_stdout) files.files.emplace_back("", false);
      return;
    }
    if (write && read) {
      out_.redirections.push_back({p, false, false, false});
      out_.redirections.push_back({p, true, false, false});
    } else {
      out_.redirections.push_back({p, write, append, false});
    }
    if (to_stdout) files.files.emplace_back(p, append);
    if (from_stdin && !write) {
      auto known = written_file(p);
      in = known ? *known : Stream::unknown();
      if (!known) in.file = p;
    }
  }

  // Applies stdout redirections to a statement's output: what was written is
  // remembered per file (a download saved to `x` makes `sh x` download-exec).
  Stream write_stdout(const Stream& out, const Outputs& files) {
    Stream result = out;
    if (!files.files.empty() || !files.procs.empty()) {
      for (const auto& [path, append] : files.files) {
        if (!path.empty()) remember_file(path, out, append);
      }
      result = Stream::empty();
    }
    for (TSNode p : files.procs) visit_process_substitution(p, out);
    return result;
  }

  // A file a program's options name (curl -o, wget -O, dd of=, tee …),
  // recorded alongside redirections.
  void file_access(Sv path, Sv raw, bool write, bool append, bool dynamic) {
    if (path.empty() || path == "-") return;
    if (dynamic) {
      out_.redirections.push_back({std::string(path), write, append, true});
      opaque(std::string(write ? "file written" : "file read") + " is computed: " + clip(raw));
      return;
    }
    if (is_special_device(path)) return;
    if (reopens_descriptor(path)) {
      out_.redirections.push_back({std::string(path), write, append, true});
      opaque("a file named by a file descriptor, whose file is not known: " + clip(raw));
      return;
    }
    out_.redirections.push_back({std::string(path), write, append, false});
  }

  // One name per file for what the command line writes and later runs:
  // `~/x`, `$HOME/x` (given as its value) and the home's own path agree, as
  // do `x`, `$PWD/x` and the working directory's own path.
  std::string file_key(Sv p) const {
    std::string key = normalize_path(p, "/.cwd", "/.home", false);
    // The longer of the two first: a working directory inside the home.
    std::pair<const std::string*, Sv> known[2] = {{&pwd_, "/.cwd"}, {&home_, "/.home"}};
    if (pwd_.size() < home_.size()) std::swap(known[0], known[1]);
    for (const auto& [value, stand_in] : known) {
      if (value->empty() || (*value)[0] != '/') continue;
      std::string dir = normalize_path(*value, "/", "/", false);
      if (dir.size() > 1 && (key == dir || (starts_with(key, dir) && key[dir.size()] == '/'))) {
        key = std::string(stand_in) + key.substr(dir.size());
        break;
      }
    }
    return key;
  }

  void remember_file(Sv path, const Stream& content, bool append_to) {
    std::string key = file_key(path);
    if (key.empty()) return;
    auto it = files_.find(key);
    if (append_to && it != files_.end()) {
      append(it->second, content);
    } else {
      files_[key] = content;
    }
    if (content.is_download()) {
      downloaded_names_.insert(basename_of(key));
      // Saved into a directory on the usual PATH: running it by name runs it.
      std::string dir = key.substr(0, key.rfind('/'));
      if (one_of(dir,
                 {"/usr/local/bin", "/usr/local/sbin", "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/opt/homebrew/bin",
                  "/.home/bin", "/.home/.local/bin", "/.home/.cargo/bin", "/.home/go/bin", "/.home/.npm-global/bin"})) {
        downloaded_programs_.insert(basename_of(key));
      }
    }
  }

  // What an earlier part of this command line wrote to `path`, if anything.
  std::optional<Stream> written_file(Sv path) const {
    if (files_.empty()) return std::nullopt;
    std::string key = file_key(path);
    auto it = files_.find(key);
    if (it != files_.end()) return it->second;
    // The directory may have changed in between (`cd`); a download saved
    // under the same file name still counts.
    if (downloaded_names_.count(basename_of(key))) return Stream::download();
    return std::nullopt;
  }

  Stream visit_declaration(TSNode n) {
    size_t slot = reserve();
    SimpleCommand sc;
    bool first = true;
    for (TSNode c : kids(n)) {
      Sv ct = type_of(c);
      if (first && !named(c)) {
        sc.program = std::string(text(c));
        first = false;
        continue;
      }
      first = false;
      if (!named(c) || ct == "comment") continue;
      if (ct == "variable_assignment") {
        std::string a = assignment(c);
        sc.args.push_back(a);
        if (sc.program != "unset") out_.assignments.push_back(a);
        // `declare -n r=HOME`: r is another name for HOME from here on.
        bool nameref = std::any_of(sc.args.begin(), sc.args.end(), [](const std::string& x) {
          return x.size() > 1 && x[0] == '-' && x.find('n') != std::string::npos;
        });
        if (nameref && a.find('=') != std::string::npos) bound(a.substr(a.find('=') + 1), a.find('$') != kNpos);
        continue;
      }
      if (is_redirect(ct)) continue;
      Word w = eval_group({c});
      if (w.unknown()) sc.dynamic_args.push_back(sc.args.size()), sc.opaque = true;
      // `declare 'a[$(cmd)]=1'`, `unset -v 'a[$(cmd)]'`: the subscript runs.
      if (runs_in_subscript(w.value))
        opaque(sc.program + " evaluates a subscript that runs a command: " + clip(w.value));
      if (sc.program != "unset" && w.value.find('=') != std::string::npos) out_.assignments.push_back(w.value);
      sc.args.push_back(w.value);
    }
    sc.name = sc.program;
    if (std::any_of(sc.args.begin(), sc.args.end(), [](const std::string& x) {
          return x.size() > 1 && x[0] == '-' && x.find('i') != std::string::npos;
        }))
      arithmetic_ = true;  // declare -i: assignments are evaluated
    sc.wrappers = wrappers_;
    fill(slot, std::move(sc));
    return Stream::empty();
  }

  // NAME=value (or NAME+=value) with the value evaluated; flags variables
  // that change what runs.
  std::string assignment(TSNode n) {
    std::string name, op = "=";
    std::vector<TSNode> value;
    bool seen_op = false;
    for (TSNode c : kids(n)) {
      Sv ct = type_of(c);
      if (!seen_op && (ct == "variable_name" || ct == "subscript")) {
        name = std::string(text(c));
      } else if (!seen_op && !named(c)) {
        op = std::string(ct);
        seen_op = true;
      } else {
        value.push_back(c);
      }
    }
    std::string v;
    bool dynamic = false;
    if (!value.empty()) {
      Word w = eval_group(value);
      v = w.value;
      dynamic = w.dynamic;
    }
    std::string base = name.substr(0, name.find('['));
    if (runs_in_subscript(name)) opaque("assignment to a subscript that runs a command: " + clip(name));
    if (op == "+=") appended_ = true;
    if (is_hijack_variable(base) && !(base == "IFS" && ifs_harmless_) &&
        !(name == base && op == "=" && harmless_hijack(base, v, home_)))
      opaque("assignment to " + base + " changes what programs run");
    // A plain value, or a number computed by arithmetic, is safe to evaluate.
    forget_known(base);
    if (op == "=" && name == base && (arithmetic_result(v) || (!dynamic && v.find('[') == std::string::npos)))
      plain_vars_.insert(base);
    else
      plain_vars_.erase(base);
    endpoint_assignment(base, v, dynamic);
    return name + op + v;
  }

  // -------------------------------------------------------------------------
  // Words.

  // Evaluates adjacent nodes that form one shell word.
  Word eval_group(const std::vector<TSNode>& nodes) {
    WordBuilder b;
    if (nodes.empty()) return b.w;
    for (size_t i = 0; i < nodes.size(); ++i) {
      TSNode n = nodes[i];
      if (!named(n) && type_of(n) == "$" && i + 1 < nodes.size() && type_of(nodes[i + 1]) == "string") continue;
      eval_into(n, b);
    }
    uint32_t s = ts_node_start_byte(nodes.front()), e = ts_node_end_byte(nodes.back());
    b.w.raw = std::string(src_.substr(s, e - s));
    if (nodes.size() == 1 && type_of(nodes[0]) == "process_substitution" && last_proc_) {
      b.w.proc = std::move(last_proc_);
    }
    last_proc_.reset();
    return std::move(b.w);
  }

  void eval_children(TSNode n, WordBuilder& b, uint32_t from, uint32_t to) {
    uint32_t pos = from;
    std::vector<TSNode> ks = kids(n);
    for (size_t i = 0; i < ks.size(); ++i) {
      TSNode c = ks[i];
      uint32_t cs = ts_node_start_byte(c);
      if (cs < from || ts_node_end_byte(c) > to) continue;
      if (cs > pos) b.unquoted_text(src_.substr(pos, cs - pos));
      if (!named(c) && type_of(c) == "$" && i + 1 < ks.size() && type_of(ks[i + 1]) == "string") {
        pos = ts_node_end_byte(c);
        continue;
      }
      eval_into(c, b);
      pos = ts_node_end_byte(c);
    }
    if (to > pos) b.unquoted_text(src_.substr(pos, to - pos));
  }

  void eval_into(TSNode n, WordBuilder& b) {
    Sv t = type_of(n);
    Sv s = text(n);
    if (t == "word" || t == "variable_name" || t == "file_descriptor" || t == "special_variable_name" ||
        t == "extglob_pattern" || t == "regex" || t == "test_operator" || !named(n)) {
      b.unquoted_text(s);
      return;
    }
    if (t == "brace_expression") {  // {1..3}: literal characters, expanded with the word's other braces
      b.unquoted_text(s);
      return;
    }
    if (t == "number") {
      if (ts_node_named_child_count(n) > 0) {
        b.dynamic(s);
        if (scan_substitutions(n).is_download()) b.w.download = true;
      } else {
        b.unquoted_text(s);
      }
      return;
    }
    if (t == "raw_string") {
      Sv inner =
          s.size() >= 2 && s.back() == '\'' ? s.substr(1, s.size() - 2) : s.substr(std::min<size_t>(1, s.size()));
      b.quoted(inner);
      return;
    }
    if (t == "ansi_c_string") {
      Sv inner = s.size() >= 2 ? s.substr(2) : Sv();
      if (!inner.empty() && inner.back() == '\'') inner.remove_suffix(1);
      b.quoted(decode_escapes(inner, false));
      return;
    }
    if (t == "string") {
      eval_string(n, b);
      return;
    }
    if (t == "translated_string" || t == "concatenation" || t == "command_name") {
      eval_children(n, b, ts_node_start_byte(n), ts_node_end_byte(n));
      return;
    }
    if (t == "process_substitution") {
      b.dynamic(s);
      Stream out = visit_process_substitution(n, proc_in_);
      if (out.is_download()) b.w.download = true;
      last_proc_ = out;
      return;
    }
    if (counts_cpus(n)) {
      b.quoted("1");
      return;
    }
    // Unquoted, a value with blanks or glob characters would be split or
    // matched: left unknown.
    if (const std::string* v = known_variable(n); v && v->find_first_of(" \t\n*?[") == std::string::npos) {
      if (t == "command_substitution") scan_substitutions(n);  // `$(pwd)`: `pwd` is a command like any
      b.quoted(*v);
      return;
    } else if (v && v->find_first_of("*?[") == std::string::npos) {
      // Split at blanks if it is the whole word (visit_command does).
      b.quoted(*v);
      b.w.split = true;
      return;
    }
    // Expansions, substitutions, arithmetic, brace ranges, arrays, ERROR …
    note_expansion(n, b);
    b.dynamic(s);
    if (scan_substitutions(n).is_download()) b.w.download = true;
  }

  // `$(nproc)` and `$(getconf _NPROCESSORS_ONLN)` print a number (`make
  // -j$(nproc)`): taken as one, after their command is analysed like any.
  bool counts_cpus(TSNode n) {
    if (type_of(n) != "command_substitution") return false;
    Sv s = text(n);
    if (s != "$(nproc)" && s != "`nproc`" && s != "$(getconf _NPROCESSORS_ONLN)" && s != "$(nproc --all)") return false;
    scan_substitutions(n);
    return true;
  }

  // What an expansion does beyond producing text: `${NAME:=word}` sets
  // NAME; arithmetic (`$((X))`, `$[X]`, a subscript, an offset) evaluates
  // variables as expressions, and `${X@P}` as a prompt, and either runs a
  // command named in X's value (`X='a[$(id)]'`); `${!X}` names a variable
  // by X's value. Such a word is `risky`: no program is harmless with it.
  void note_expansion(TSNode n, WordBuilder& b) {
    Sv t = type_of(n);
    Sv s = text(n);
    if (t == "arithmetic_expansion" || starts_with(s, "$((") || starts_with(s, "$[")) {
      arithmetic_ = true;
      // Risky unless every variable it names was set on this line to a
      // plain value (`for i in 1 2 3; do echo $((i*2)); done`): one from
      // elsewhere may hold a subscript that runs a command.
      for (size_t k = 0; k < s.size();) {
        if (std::isalpha(static_cast<unsigned char>(s[k])) || s[k] == '_') {
          size_t e = k;
          while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
          bool in_number = k > 0 && std::isdigit(static_cast<unsigned char>(s[k - 1]));  // 0x1f, 16#ff
          if (!in_number && !plain_vars_.count(std::string(s.substr(k, e - k)))) b.w.risky = true;
          k = e;
        } else {
          ++k;
        }
      }
      return;
    }
    if (t != "expansion" || !starts_with(s, "${")) return;
    size_t i = 2;
    if (i < s.size() && (s[i] == '!' || s[i] == '#')) {
      if (s[i] == '!') b.w.risky = true;
      ++i;
    }
    size_t j = i;
    while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
    Sv rest = s.substr(j);
    if (starts_with(rest, ":=") || starts_with(rest, "=")) bound(std::string(s.substr(i, j - i)), false);
    // `${X}`, `${X:-w}`, `${X-w}`, `${X:+w}`, `${X:?w}`, `${X#p}`, `${X%p}`,
    // `${X/p/r}`, `${X^}`, `${X,}` only read X.
    bool plain = rest == "}" || starts_with(rest, ":-") || starts_with(rest, ":+") || starts_with(rest, ":?") ||
                 starts_with(rest, ":=") || (!rest.empty() && Sv("-+?=#%/^,").find(rest[0]) != Sv::npos);
    if (!plain || j == i) {
      b.w.risky = true;
      arithmetic_ = true;  // a subscript or offset is arithmetic
    }
  }

  // `$HOME`, `$PWD` (and their `${…}` forms) when the caller gave their
  // values (assigning either makes the command opaque, so they cannot
  // change within it; the caller gives no `$PWD` to a command that changes
  // directory).
  const std::string* known_variable(TSNode n) const {
    Sv t = type_of(n);
    Sv s = text(n);
    // `$(pwd)` prints what `$PWD` holds.
    if (t == "command_substitution" && !pwd_.empty() && (s == "$(pwd)" || s == "`pwd`")) return &pwd_;
    if (t != "simple_expansion" && t != "expansion") return nullptr;
    if (!home_.empty() && (s == "$HOME" || s == "${HOME}")) return &home_;
    if (!pwd_.empty() && (s == "$PWD" || s == "${PWD}")) return &pwd_;
    if (!known_.empty() && s.size() > 1) {
      Sv name = s[1] == '{' && s.back() == '}' ? s.substr(2, s.size() - 3) : s.substr(1);
      for (const auto& [k, v] : known_)
        if (k == name) return &v;
    }
    return nullptr;
  }

  void eval_string(TSNode n, WordBuilder& b) {
    uint32_t start = ts_node_start_byte(n), end = ts_node_end_byte(n);
    uint32_t pos = start + 1;  // past the opening quote
    for (TSNode c : kids(n)) {
      uint32_t cs = ts_node_start_byte(c), ce = ts_node_end_byte(c);
      if (!named(c)) {
        if (cs > pos) b.double_quoted_text(src_.substr(pos, cs - pos), false);
        if (cs >= pos && type_of(c) != "\"") b.double_quoted_text(text(c), false);  // a bare `$`
        pos = std::max(pos, ce);
        continue;
      }
      if (cs > pos) b.double_quoted_text(src_.substr(pos, cs - pos), false);
      if (type_of(c) == "string_content") {
        b.double_quoted_text(text(c), false);
      } else if (counts_cpus(c)) {
        b.quoted("1");
      } else if (const std::string* cwd = type_of(c) == "command_substitution" ? known_variable(c) : nullptr) {
        scan_substitutions(c);  // `pwd` is a command like any
        b.quoted(*cwd);
      } else if (type_of(c) == "command_substitution") {
        // "$(cat <<'EOF' … EOF)", "$(echo x)": when the output is known text
        // it is the value (trailing newlines removed, as bash does); inside
        // double quotes it is not split or globbed.
        Stream o = scan_substitutions(c);
        if (o.is_text() && !o.dynamic && !o.obfuscated) {
          std::string t = o.text;
          while (!t.empty() && t.back() == '\n') t.pop_back();
          b.quoted(t);
          b.w.substituted = true;
        } else {
          b.dynamic(text(c));
          if (o.is_download()) b.w.download = true;
        }
      } else if (const std::string* v = known_variable(c)) {
        b.quoted(*v);
        // "$@" is one word per argument (the caller gives them only when
        // none holds a blank).
        if (text(c) == "$@" || text(c) == "${@}") b.w.split = true;
      } else {
        note_expansion(c, b);
        b.dynamic(text(c));
        if (scan_substitutions(c).is_download()) b.w.download = true;
      }
      pos = ce;
    }
    if (end > pos + 1) b.double_quoted_text(src_.substr(pos, end - 1 - pos), false);
  }

  // Visits the statements inside every command or process substitution in
  // `n` (not inside nested substitutions: visit handles those). Returns what
  // they output together.
  Stream scan_substitutions(TSNode n) {
    Sv t = type_of(n);
    if (t == "command_substitution") return visit_substitution_body(n, Stream::unknown(), "command substitution");
    if (t == "process_substitution") return visit_process_substitution(n, proc_in_);
    Stream out = Stream::empty();
    bool any = false;
    std::vector<TSNode> stack;
    for (TSNode c : kids(n)) stack.push_back(c);
    std::reverse(stack.begin(), stack.end());
    while (!stack.empty()) {
      TSNode c = stack.back();
      stack.pop_back();
      Sv ct = type_of(c);
      if (ct == "command_substitution" || ct == "process_substitution") {
        any = true;
        append(out, ct == "command_substitution" ? visit_substitution_body(c, Stream::unknown(), "command substitution")
                                                 : visit_process_substitution(c, proc_in_));
        continue;
      }
      std::vector<TSNode> ks = kids(c);
      for (size_t i = ks.size(); i-- > 0;) stack.push_back(ks[i]);
    }
    return any ? out : Stream::unknown();
  }

  Stream visit_process_substitution(TSNode n, const Stream& in) {
    bool output = starts_with(text(n), ">(");
    return visit_substitution_body(n, output ? in : Stream::unknown(), "process substitution");
  }

  Stream visit_substitution_body(TSNode n, const Stream& in, const char* what) {
    if (nesting_ >= kMaxNesting) {
      opaque("nesting deeper than " + std::to_string(kMaxNesting) + " levels (" + what + ")");
      return Stream::unknown();
    }
    ++nesting_;
    Stream out = Stream::empty();
    bool statements = false;
    for (TSNode c : kids(n)) {
      if (!named(c)) continue;
      Sv ct = type_of(c);
      if (is_statement(ct)) {
        statements = true;
        append(out, visit(c, in));
      } else if (is_redirect(ct)) {
        // `$(< file)` is the file's content.
        Stream read = Stream::unknown();
        Outputs files;
        apply_redirect(c, read, files);
        if (!statements) out = read;
      }
    }
    --nesting_;
    return out;
  }

  // -------------------------------------------------------------------------
  // Simple commands.

  size_t reserve() {
    out_.commands.emplace_back();
    reserved_.push_back(true);
    return out_.commands.size() - 1;
  }

  void fill(size_t slot, SimpleCommand sc) {
    if (slot < out_.commands.size() && reserved_[slot]) {
      out_.commands[slot] = std::move(sc);
      reserved_[slot] = false;
    } else {
      push(std::move(sc));
    }
  }

  void push(SimpleCommand sc) {
    out_.commands.push_back(std::move(sc));
    reserved_.push_back(false);
  }

  void release(size_t slot) {
    if (slot < out_.commands.size() && reserved_[slot]) {
      out_.commands.erase(out_.commands.begin() + static_cast<std::ptrdiff_t>(slot));
      reserved_.erase(reserved_.begin() + static_cast<std::ptrdiff_t>(slot));
    }
  }

  // Whether only line continuations separate two nodes (`c\<newline>url`
  // is one word to bash, two to tree-sitter).
  bool adjacent(TSNode a, TSNode b) const {
    uint32_t e = ts_node_end_byte(a), s = ts_node_start_byte(b);
    if (s < e) return false;
    Sv gap = src_.substr(e, s - e);
    while (!gap.empty()) {
      if (starts_with(gap, "\\\n")) {
        gap.remove_prefix(2);
      } else if (starts_with(gap, "\\\r\n")) {
        gap.remove_prefix(3);
      } else {
        return false;
      }
    }
    return true;
  }

  Stream visit_command(TSNode n, const Stream& in) {
    if (out_.commands.size() >= kMaxCommands) {
      opaque("more than " + std::to_string(kMaxCommands) + " commands");
      return Stream::unknown();
    }
    size_t slot = reserve();
    std::vector<std::string> assigns;
    std::vector<TSNode> word_nodes, redirects;
    bool seen_name = false;
    for (TSNode c : kids(n)) {
      Sv ct = type_of(c);
      if (ct == "comment") continue;
      if (!seen_name && ct == "variable_assignment") {
        // `IFS= read -r line`: IFS only changes how read splits its input.
        TSNode name_node = ts_node_child_by_field_name(n, "name", 4);
        Sv program = ts_node_is_null(name_node) ? Sv() : text(name_node);
        ifs_harmless_ = one_of(program, {"read", "mapfile", "readarray"});
        assigns.push_back(assignment(c));
        ifs_harmless_ = false;
      } else if (ct == "file_redirect" || ct == "herestring_redirect") {
        redirects.push_back(c);
      } else if (ct == "command_name") {
        seen_name = true;
        word_nodes.push_back(c);
      } else if (seen_name) {
        word_nodes.push_back(c);
      } else if (named(c)) {
        if (is_statement(ct)) {
          visit(c, Stream::unknown());
        } else {
          scan_substitutions(c);
        }
      }
    }
    Stream cmd_in = in;
    Outputs files;
    Stream saved_proc_in = proc_in_;
    proc_in_ = in;
    for (TSNode r : redirects) apply_redirect(r, cmd_in, files);
    // Group nodes into shell words.
    Words words;
    std::vector<TSNode> group;
    for (TSNode c : word_nodes) {
      if (!group.empty() && !adjacent(group.back(), c)) {
        // `{a,b}\ c` is one word to bash; the grammar ends the word at the
        // escaped blank. What it stands for is not worked out here.
        uint32_t e = ts_node_end_byte(group.back()), st = ts_node_start_byte(c);
        if (st > e && src_[e] == '\\') opaque("a word split at an escaped blank: " + clip(src_.substr(e, st - e + 16)));
        words.push_back(eval_group(group));
        group.clear();
      }
      group.push_back(c);
    }
    if (!group.empty()) words.push_back(eval_group(group));
    split_known_words(words);
    expand_brace_words(words);
    proc_in_ = saved_proc_in;
    if (socket_redirect_) {
      socket_redirect_ = false;
      if (!words.empty() && !words[0].unknown() &&
          (is_shell(class_name(words[0].value)) || is_interpreter(class_name(words[0].value)))) {
        out_.download_exec = true;  // a shell wired to a /dev/tcp socket runs what the peer sends
      }
    }
    Stream out = run_words(std::move(words), std::move(assigns), cmd_in, slot, {});
    release(slot);
    return write_stdout(out, files);
  }

  // Word splitting of an unquoted known value (`$CMD` with CMD="curl -s
  // x"): into words when the expansion is the whole word; otherwise the
  // word is left unknown.
  void split_known_words(Words& words) {
    for (size_t k = 0; k < words.size(); ++k) {
      if (!words[k].split) continue;
      const Word w = words[k];
      Sv raw = w.raw;
      bool alone = (starts_with(raw, "$") && raw.find_first_of(" \t'\"\\", 1) == Sv::npos) || raw == "\"$@\"" ||
                   raw == "\"${@}\"";
      if (!alone) {
        words[k].dynamic = true;
        words[k].value = w.raw;
        continue;
      }
      Words made;
      std::string cur;
      for (char ch : w.value + " ") {
        if (ch == ' ' || ch == '\t' || ch == '\n') {
          if (!cur.empty()) {
            Word x;
            x.value = x.glob = cur;
            x.raw = w.raw;
            made.push_back(std::move(x));
            cur.clear();
          }
        } else {
          cur += ch;
        }
      }
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(k));
      words.insert(words.begin() + static_cast<std::ptrdiff_t>(k), made.begin(), made.end());
      k += made.empty() ? 0 : made.size() - 1;
      if (made.empty()) --k;
    }
  }

  // Brace expansion, as bash does it before anything runs: `cp f{,.bak}`
  // is `cp f f.bak`, `mkdir -p src/{a,b}` two directories. The program word
  // is left as written (a brace there is an obfuscation and stays one); a
  // word with an expansion in it, or past 256 words, stays unknown.
  void expand_brace_words(Words& words) {
    size_t total = words.size();
    for (size_t k = 1; k < words.size(); ++k) {
      const Word& w = words[k];
      // (Past 4 KiB the quadratic search for matching braces is not worth it.
      // A quoted blank in the word is left alone: `{a,b}\ c` is "a c" "b c".)
      if (!w.brace || w.dynamic || w.extglob || w.substituted || w.proc || w.glob.find('$') != std::string::npos ||
          w.glob.find_first_of(" \t\n") != std::string::npos || w.glob.size() > 4096)
        continue;
      auto ex = expand_braces(w.glob, 256);
      // An empty result (`{,}`) is dropped by bash unless quoted: left unknown.
      if (!ex || total + ex->size() - 1 > 1024 || std::find(ex->begin(), ex->end(), "") != ex->end()) continue;
      total += ex->size() - 1;
      Words made;
      for (const auto& g : *ex) {
        Word x;
        x.raw = w.raw;
        x.glob = g;
        for (size_t m = 0; m < g.size(); ++m) {
          if (g[m] == '\\' && m + 1 < g.size()) {
            x.value += g[++m];
            continue;
          }
          if (g[m] == '*' || g[m] == '?' || g[m] == '[') x.pattern = true;
          x.value += g[m];
        }
        x.download = w.download;
        made.push_back(std::move(x));
      }
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(k));
      words.insert(words.begin() + static_cast<std::ptrdiff_t>(k), made.begin(), made.end());
      k += made.size() - 1;
    }
  }

  // Peels wrappers off `w` and analyses the command that remains. `slot`
  // receives the final command (if any). Returns the command's stdout.
  Stream run_words(Words w, std::vector<std::string> assigns, const Stream& in, size_t slot,
                   std::vector<std::string> local) {
    size_t i = 0;
    bool from_xargs = false;
    for (int round = 0; round < kMaxPeel; ++round) {
      if (i >= w.size()) {
        // Only assignments (through env/sudo) or a wrapper with nothing left.
        return Stream::unknown();
      }
      const Word& p = w[i];
      if (p.download) out_.download_exec = true;
      if (p.unknown() || p.substituted) {
        // Even a substitution that evaluates statically ("$(printf cu%s rl)")
        // is an obfuscation in the program position.
        Words shown = w;
        shown[i].value = shown[i].raw;
        shown[i].dynamic = true;
        SimpleCommand sc = make_command(shown, i, assigns, local, true);
        fill(slot, std::move(sc));
        opaque((p.pattern && !p.dynamic && !p.substituted ? "program is a pattern: " : "program is computed: ") +
               clip(p.raw));
        return Stream::unknown();
      }
      std::string name = class_name(p.value);
      size_t next = kNpos;
      std::string label = name;
      // ---- wrappers that run the rest of the words as a command ----
      if (name == "sudo") {
        Args a = parse_args(
            w, i + 1,
            {"CDgpRrTtUu", "close-from chdir group host prompt role type command-timeout other-user user chroot", ""},
            false);
        if (a.dynamic_option) opaque("sudo options are computed");
        // The command's paths are taken where the command line is, not in
        // the directory named: not worked out here.
        if (a.has({"-D", "--chdir"})) opaque("sudo runs the command in another directory");
        // -e edits files and -l lists rights: neither runs the operands.
        bool runs = !a.has({"-e", "--edit", "-l", "--list"});
        next = runs && !a.operands.empty() ? a.operands[0] : kNpos;
        next = skip_assignments(w, next, assigns);
      } else if (name == "doas") {
        Args a = parse_args(w, i + 1, {"uC", "", ""}, false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "pkexec") {
        Args a = parse_args(w, i + 1, {"", "user", ""}, false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "su" || name == "runuser") {
        Args a = parse_args(
            w, i + 1, {"cCsugwG", "command session-command shell group supp-group whitelist-environment user", ""},
            true);
        const Opt* c = a.find({"-c", "--command", "-C", "--session-command"});
        if (c && c->has_value) {
          local.push_back(name);
          return script_option(w, *c, in, local, name + " -c");
        }
        if (name == "runuser" && a.has({"-u", "--user"}) && !a.operands.empty()) next = a.operands[0];
      } else if (name == "env") {
        Args a = parse_args(
            w, i + 1, {"uCPSa", "unset chdir split-string argv0 default-signal ignore-signal block-signal", ""}, false);
        const Opt* split = a.find({"-S", "--split-string"});
        if (a.has({"-C", "--chdir"})) opaque("env runs the command in another directory");
        if (split && split->has_value && split->word != kNpos && split->word > i) {
          // env -S "prog args": the string is split into words (env's own
          // quoting inside it is not interpreted).
          if (split->dynamic) opaque("env -S string is computed: " + clip(split->value));
          Words repl(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(i + 1));
          std::string cur;
          for (char ch : split->value + " ") {
            if (ch == ' ' || ch == '\t' || ch == '\n') {
              if (!cur.empty()) {
                Word x;
                x.value = x.raw = cur;
                x.dynamic = split->dynamic;
                repl.push_back(std::move(x));
                cur.clear();
              }
            } else {
              cur += ch;
            }
          }
          repl.insert(repl.end(), w.begin() + static_cast<std::ptrdiff_t>(split->word + 1), w.end());
          w = std::move(repl);
          Args b2 = parse_args(w, i + 1, {"uCPa", "unset chdir argv0", ""}, false);
          next = b2.operands.empty() ? kNpos : b2.operands[0];
        } else {
          next = a.operands.empty() ? kNpos : a.operands[0];
        }
        next = skip_assignments(w, next, assigns);
      } else if (one_of(name, {"nohup", "setsid", "unbuffer", "catchsegv", "proxychains", "proxychains4", "torsocks",
                               "firejail", "caffeinate", "rlwrap", "dbus-run-session"})) {
        Args a = parse_args(w, i + 1,
                            {name == "proxychains" || name == "proxychains4" ? "f"
                             : name == "caffeinate"                          ? "tw"
                                                                             : "",
                             "", ""},
                            false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if ((one_of(name, {"uv", "poetry", "pipenv", "pdm", "hatch", "rye"}) && i + 1 < w.size() &&
                  w[i + 1].value == "run") ||
                 (name == "bundle" && i + 1 < w.size() && w[i + 1].value == "exec") ||
                 (one_of(name, {"npm", "pnpm", "yarn", "bun"}) && i + 1 < w.size() &&
                  one_of(w[i + 1].value, {"exec", "dlx", "x"}))) {
        // Project runners: the command runs in the project's environment.
        label = name + " " + w[i + 1].value;
        Args a = parse_args(w, i + 2,
                            {"pcw",
                             "with with-requirements with-editable python project directory package env-file extra "
                             "group index index-url extra-index-url find-links package call workspace filter",
                             ""},
                            false);
        if (const Opt* c = a.find({"-c", "--call"}); c && c->has_value) {
          local.push_back(label);
          return script_option(w, *c, in, local, label + " -c");
        }
        if (const Opt* e = a.find({"--env-file"}); e && e->has_value)
          out_.redirections.push_back({e->value, false, false, e->dynamic});
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (one_of(name, {"npx", "pnpx", "bunx", "uvx"}) ||
                 (name == "pipx" && i + 1 < w.size() && w[i + 1].value == "run")) {
        // Registry tool runners: the tool is fetched if missing, then run.
        Args a = parse_args(w, name == "pipx" ? i + 2 : i + 1,
                            {"pcw", "package call from with python index-url spec", ""}, false);
        if (const Opt* c = a.find({"-c", "--call"}); c && c->has_value) {
          local.push_back(name);
          return script_option(w, *c, in, local, name + " -c");
        }
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "strace" || name == "ltrace") {
        Args a = parse_args(w, i + 1,
                            {"abeEIoOpPsSuUX",
                             "trace signal status abbrev verbose raw read write output user env attach string-limit "
                             "summary-sort-by summary-columns decode-fds quiet absolute-timestamps",
                             ""},
                            false);
        next = a.has({"-p"}) || a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "unshare" || name == "nsenter") {
        Args a = parse_args(
            w, i + 1,
            {name == "nsenter" ? "tSGrw" : "SGRw",
             "target setuid setgid root wd map-user map-group map-users map-groups propagation setgroups", "mnuipUCT"},
            false);
        if (a.operands.empty()) {
          opaque(name + " starts a shell Tollgate does not see");
        } else {
          next = a.operands[0];
        }
      } else if (name == "systemd-run" || name == "run0") {
        Args a = parse_args(w, i + 1,
                            {"upEMH",
                             "unit property description slice setenv machine host uid gid nice working-directory "
                             "on-active on-boot on-startup on-unit-active on-unit-inactive on-calendar timer-property "
                             "path-property socket-property service-type",
                             ""},
                            false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "sg") {
        Args a = parse_args(w, i + 1, {"c", "", ""}, true);
        if (const Opt* c = a.find({"-c"}); c && c->has_value) {
          local.push_back(name);
          return script_option(w, *c, in, local, "sg -c");
        }
        if (a.operands.size() >= 2) {
          local.push_back(name);
          return joined_script(w, a.operands[1], in, local, "sg");
        }
      } else if (name == "parallel") {
        // GNU parallel: the command, then its arguments after ::: (or
        // from stdin), substituted for {}: like xargs.
        Args a = parse_args(w, i + 1, {"jSdaI", "jobs sshlogin delimiter arg-file max-args tag-string", ""}, false);
        if (a.has({"-S", "--sshlogin"})) opaque("parallel runs commands on other machines");
        next = a.operands.empty() ? kNpos : a.operands[0];
        if (next != kNpos) {
          size_t end = next;
          while (end < w.size() && w[end].value != ":::" && w[end].value != "::::" && w[end].value != ":::+") ++end;
          w.resize(end);
          for (size_t k = next; k < w.size(); ++k)
            if (w[k].value.find('{') != kNpos) w[k].dynamic = true;
          if (next >= w.size()) next = kNpos;
        }
        if (next == kNpos) opaque("parallel runs commands it reads from its input");
        from_xargs = true;
      } else if (name == "timeout") {
        Args a = parse_args(w, i + 1, {"sk", "signal kill-after", ""}, false);
        next = a.operands.size() >= 2 ? a.operands[1] : kNpos;
      } else if (name == "nice") {
        Args a = parse_args(w, i + 1, {"n", "adjustment", ""}, false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "ionice") {
        Args a = parse_args(w, i + 1, {"cnpPu", "class classdata pid pgid uid", ""}, false);
        next = a.has({"-p", "-P", "-u", "--pid", "--pgid", "--uid"}) || a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "chrt") {
        Args a = parse_args(w, i + 1, {"TPD", "sched-runtime sched-period sched-deadline", ""}, false);
        next = a.has({"-p", "--pid"}) || a.operands.size() < 2 ? kNpos : a.operands[1];
      } else if (name == "taskset") {
        Args a = parse_args(w, i + 1, {"", "", ""}, false);
        next = a.has({"-p", "--pid"}) || a.operands.size() < 2 ? kNpos : a.operands[1];
      } else if (name == "time") {
        Args a = parse_args(w, i + 1, {"fo", "format output", ""}, false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "command") {
        Args a = parse_args(w, i + 1, {"", "", ""}, false);
        next = a.has({"-v", "-V"}) || a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "builtin") {
        next = i + 1 < w.size() ? i + 1 : kNpos;
      } else if (name == "exec") {
        Args a = parse_args(w, i + 1, {"a", "", ""}, false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "stdbuf") {
        Args a = parse_args(w, i + 1, {"ioe", "input output error", ""}, false);
        next = a.operands.empty() ? kNpos : a.operands[0];
      } else if (name == "chroot") {
        Args a = parse_args(w, i + 1, {"", "userspec groups", ""}, false);
        next = a.operands.size() >= 2 ? a.operands[1] : kNpos;
      } else if (name == "gosu" || name == "su-exec") {
        next = i + 2 < w.size() ? i + 2 : kNpos;
      } else if (name == "busybox") {
        next = i + 1 < w.size() && !starts_with(w[i + 1].value, "-") ? i + 1 : kNpos;
      } else if (name == "xargs") {
        Args a = parse_args(
            w, i + 1,
            {"aEdILnPs", "arg-file delimiter eof max-lines max-args max-procs max-chars process-slot-var", "iel"},
            false);
        next = a.operands.empty() ? kNpos : a.operands[0];
        if (a.find({"-a", "--arg-file"})) opaque("xargs takes its arguments from a file Tollgate does not read");
        std::string replace;
        if (const Opt* o = a.find({"-I"})) replace = o->value;
        if (const Opt* o = a.find({"-i", "--replace"})) replace = o->has_value ? o->value : "{}";
        if (next == kNpos) {
          // xargs alone runs echo.
          Word echo;
          echo.value = echo.raw = "echo";
          w.push_back(echo);
          next = w.size() - 1;
        }
        if (!replace.empty()) {
          for (size_t k = next; k < w.size(); ++k) {
            if (w[k].value.find(replace) != kNpos) w[k].dynamic = true;
          }
        }
        from_xargs = true;
        if (in.is_download()) {
          // Downloaded lines become arguments of a shell or interpreter.
          for (size_t k = next; k < w.size(); ++k) {
            std::string c = class_name(w[k].value);
            if (!w[k].unknown() && (is_shell(c) || is_interpreter(c) || c == "eval")) out_.download_exec = true;
          }
        }
      } else if (name == "flock") {
        Args a = parse_args(w, i + 1, {"wEc", "timeout conflict-exit-code command", ""}, true);
        if (const Opt* c = a.find({"-c", "--command"}); c && c->has_value) {
          local.push_back(name);
          return script_option(w, *c, in, local, "flock -c");
        }
        // flock FILE CMD ARGS…: the command starts at the second operand.
        Args b = parse_args(w, i + 1, {"wE", "timeout conflict-exit-code", ""}, false);
        next = b.operands.size() >= 2 ? b.operands[1] : kNpos;
      } else if (name == "watch") {
        Args a = parse_args(w, i + 1, {"nq", "interval equexit", "d"}, false);
        if (!a.operands.empty()) {
          if (a.has({"-x", "--exec"})) {
            next = a.operands[0];
          } else {
            local.push_back(name);
            return joined_script(w, a.operands[0], in, local, "watch");
          }
        }
      } else if (name == "script") {
        Args a = parse_args(w, i + 1, {"cEIOBT", "command echo log-in log-out log-io log-timing", ""}, true);
        if (const Opt* c = a.find({"-c", "--command"}); c && c->has_value) {
          local.push_back(name);
          return script_option(w, *c, in, local, "script -c");
        }
      } else if (name == "eval") {
        if (i + 1 < w.size()) {
          local.push_back(name);
          return joined_script(w, i + 1, in, local, "eval");
        }
      } else if (is_shell(name)) {
        // sh -c 'script' [name [args…]]
        Args a = parse_args(w, i + 1, {"oO", "rcfile init-file", ""}, false);
        bool dash_c = false;
        for (const auto& o : a.opts) {
          if (o.name.size() == 2 && o.name[0] == '-' && o.name[1] == 'c') dash_c = true;
        }
        if (dash_c && !a.operands.empty()) {
          local.push_back(name + " -c");
          std::vector<std::string> saved = wrappers_;
          wrappers_.insert(wrappers_.end(), local.begin(), local.end());
          wrappers_.pop_back();
          Stream s = run_script_word(w[a.operands[0]], in, name + " -c");
          wrappers_ = std::move(saved);
          return s;
        }
      }
      if (next == kNpos || next >= w.size()) break;
      local.push_back(label);
      i = next;
    }
    return final_command(w, i, assigns, local, in, slot, from_xargs);
  }

  // A variable set other than by NAME=value (`read NAME`, `printf -v NAME`,
  // `for NAME in`, `mapfile NAME`, `getopts … NAME`, `declare -n`,
  // `${NAME:=…}`): recorded as an assignment of a value Tollgate does not
  // know; one that changes what runs or what `~`/`$PWD` mean is opaque, as
  // its assignment would be. A computed name may be any variable (or an
  // array element whose subscript runs a command): opaque.
  void bound(const std::string& name, bool computed) {
    if (computed || name.empty() || !valid_var_name(Sv(name).substr(0, name.find('[')))) {
      opaque("sets a variable whose name is computed: " + clip(name));
      return;
    }
    std::string base = name.substr(0, name.find('['));
    if (name.find('[') != std::string::npos && name.find_first_of("$`", name.find('[')) != std::string::npos)
      opaque("sets an array element whose subscript is computed: " + clip(name));
    if (is_hijack_variable(base)) opaque("assignment to " + base + " changes what programs run");
    plain_vars_.erase(base);
    forget_known(base);
    if (out_.assignments.size() < 1024) out_.assignments.push_back(base + "=$(…)");
  }

  // A name in arithmetic text (`i < RETRIES`, `$1 -gt 3`) that is not a
  // variable set on this line to a plain value, nor `$#`, `$?`, a number or
  // an operator word: empty when there is none.
  std::string unknown_in_arithmetic(Sv s) const {
    // Names the text itself assigns (`i=0` in `for ((i=0; i<10; i++))`).
    std::set<std::string> assigned;
    for (size_t k = 0; k < s.size(); ++k) {
      if (!(std::isalpha(static_cast<unsigned char>(s[k])) || s[k] == '_') ||
          (k > 0 && (std::isalnum(static_cast<unsigned char>(s[k - 1])) || s[k - 1] == '_')))
        continue;
      size_t e = k;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
      size_t o = e;
      while (o < s.size() && s[o] == ' ') ++o;
      if (o < s.size() && s[o] == '=' && (o + 1 >= s.size() || s[o + 1] != '=')) {
        // Assigned a plain number (or a name known plain) only.
        size_t v = o + 1;
        while (v < s.size() && s[v] == ' ') ++v;
        if (v < s.size() && std::isdigit(static_cast<unsigned char>(s[v])))
          assigned.insert(std::string(s.substr(k, e - k)));
      }
    }
    for (size_t k = 0; k < s.size();) {
      char c = s[k];
      if (c == '$' && k + 1 < s.size() &&
          (std::isdigit(static_cast<unsigned char>(s[k + 1])) || s[k + 1] == '@' || s[k + 1] == '*'))
        return std::string(s.substr(k, 2));
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t e = k;
        while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
        std::string id(s.substr(k, e - k));
        bool operator_word = k > 0 && s[k - 1] == '-';  // -eq, -lt, -v
        bool in_number = k > 0 && std::isdigit(static_cast<unsigned char>(s[k - 1]));
        if (!operator_word && !in_number && !plain_vars_.count(id) && !assigned.count(id) && id != "for") return id;
        k = e;
      } else {
        ++k;
      }
    }
    return {};
  }

  // The text sets a variable the caller gave a value for: from here on the
  // caller's value is not what the text sees.
  void forget_known(const std::string& name) {
    auto it = std::find_if(known_.begin(), known_.end(), [&](const auto& kv) { return kv.first == name; });
    if (it == known_.end()) return;
    known_.erase(it);
    out_.known_overridden = true;
  }

  // A variable set to plain values the analysis has seen (`for i in 1 2`).
  void bound_known(const std::string& name) {
    std::string base = name.substr(0, name.find('['));
    if (is_hijack_variable(base)) opaque("assignment to " + base + " changes what programs run");
    plain_vars_.insert(name);
  }

  // Records NAME=value words (after env or sudo) as assignments; returns the
  // first word that is not one.
  size_t skip_assignments(const Words& w, size_t i, std::vector<std::string>& assigns) {
    while (i != kNpos && i < w.size()) {
      const Word& x = w[i];
      size_t eq = x.value.find('=');
      if (eq == kNpos || eq == 0 || !valid_var_name(Sv(x.value).substr(0, eq))) break;
      std::string nm = x.value.substr(0, eq);
      if (is_hijack_variable(nm) && !harmless_hijack(nm, Sv(x.value).substr(eq + 1), home_))
        opaque("assignment to " + nm + " changes what programs run");
      endpoint_assignment(nm, x.value.substr(eq + 1), x.dynamic);
      assigns.push_back(x.value);
      ++i;
    }
    return i < w.size() ? i : kNpos;
  }

  Stream script_option(const Words& w, const Opt& o, const Stream& in, const std::vector<std::string>& local,
                       const std::string& label) {
    Word x;
    if (o.word != kNpos && o.word < w.size() && w[o.word].value == o.value) {
      x = w[o.word];
    } else {
      x.value = x.raw = o.value;
      x.dynamic = o.dynamic;
      x.download = o.download;
    }
    std::vector<std::string> saved = wrappers_;
    wrappers_.insert(wrappers_.end(), local.begin(), local.end());
    wrappers_.pop_back();
    Stream s = run_script_word(x, in, label);
    wrappers_ = std::move(saved);
    return s;
  }

  // eval and watch join their words with spaces and run the result.
  Stream joined_script(const Words& w, size_t from, const Stream& in, const std::vector<std::string>& local,
                       const std::string& label) {
    Word x;
    for (size_t k = from; k < w.size(); ++k) {
      if (k > from) {
        x.value += ' ';
        x.raw += ' ';
      }
      x.value += w[k].value;
      x.raw += w[k].raw;
      x.dynamic = x.dynamic || w[k].dynamic;
      x.download = x.download || w[k].download;
    }
    std::vector<std::string> saved = wrappers_;
    wrappers_.insert(wrappers_.end(), local.begin(), local.end());
    wrappers_.pop_back();
    Stream s = run_script_word(x, in, label);
    wrappers_ = std::move(saved);
    return s;
  }

  SimpleCommand make_command(const Words& w, size_t i, const std::vector<std::string>& assigns,
                             const std::vector<std::string>& local, bool opaque_cmd) {
    SimpleCommand sc;
    sc.program = w[i].value;
    sc.name = w[i].unknown() ? w[i].value : basename_of(w[i].value);
    sc.assignments = assigns;
    sc.wrappers = wrappers_;
    sc.wrappers.insert(sc.wrappers.end(), local.begin(), local.end());
    sc.opaque = opaque_cmd;
    sc.opaque_beyond_args = opaque_cmd;
    for (size_t k = i + 1; k < w.size(); ++k) {
      if (w[k].unknown()) {
        if (w[k].pattern && !w[k].dynamic && !w[k].brace && !w[k].extglob && !w[k].substituted)
          sc.globs.push_back({sc.args.size(), w[k].glob});
        if (w[k].risky) sc.risky_args = true;
        sc.dynamic_args.push_back(sc.args.size());
        sc.opaque = true;
      }
      sc.args.push_back(w[k].value);
    }
    return sc;
  }

  // The command that remains after unwrapping: record it and work out what
  // it does with its stdin, its arguments and the network.
  Stream final_command(const Words& w, size_t i, const std::vector<std::string>& assigns,
                       const std::vector<std::string>& local, const Stream& in, size_t slot, bool from_xargs) {
    SimpleCommand sc = make_command(w, i, assigns, local, from_xargs);
    // What it reads on stdin is text this analysis sees, or a file it
    // names (`python3 <<'EOF' …`, `bash < setup.sh`, `cat <<'EOF' | node`).
    // Not text with expansions in it (`python3 <<< "$CODE"`), nor a file
    // written earlier on the line, whose content is read too early.
    sc.stdin_seen = (in.is_text() && !in.dynamic && !in.obfuscated) ||
                    (in.kind == Stream::Kind::Unknown && !in.file.empty() && !written_file(in.file));
    if (sc.stdin_seen && in.is_text()) sc.stdin_code = in.text.substr(0, 64 * 1024);
    sc.found = std::move(pending_found_);
    pending_found_.clear();
    std::string name = class_name(w[i].value);
    fill(slot, std::move(sc));
    size_t b = i + 1;  // first argument
    std::vector<std::string> saved = wrappers_;
    wrappers_.insert(wrappers_.end(), local.begin(), local.end());
    // By default a program's output is derived from its input: a download
    // filtered through grep, jq or sed is still a download, and an encoded
    // payload stays suspect.
    Stream out = Stream::unknown();
    if (in.is_download()) out = Stream::download();
    out.obfuscated = in.obfuscated;
    out.decoder = in.decoder;

    // Running a file written earlier in this command line.
    if (auto f = written_file(w[i].value); f && w[i].value.find('/') != kNpos) {
      run_script(*f, in, name + " script");
      if (f->kind == Stream::Kind::Unknown && !w[i].unknown()) add_script(w[i], "");
    } else if (w[i].value.find('/') != kNpos && !w[i].unknown() && !w[i].download) {
      add_script(w[i], "");  // a file run as a program: its `#!` line says by what
    }
    if (w[i].value.find('/') == kNpos && downloaded_programs_.count(w[i].value)) out_.download_exec = true;
    if (from_xargs && is_network(name)) opaque(name + " gets its targets from xargs input");

    // Builtins that make a name run another program later in the same
    // shell: what runs under that name is not followed.
    if (name == "hash") {
      for (size_t k = b; k < w.size(); ++k)
        if (starts_with(w[k].value, "-") && w[k].value.find('p') != kNpos)
          opaque("hash -p gives a program another name");
    } else if (name == "alias") {
      for (size_t k = b; k < w.size(); ++k)
        if (w[k].value.find('=') != kNpos)
          opaque("alias defines a command Tollgate does not follow: " + clip(w[k].raw));
    } else if (name == "coproc" || name == "enable") {
      opaque(name + " runs or loads a command Tollgate does not follow");
    }
    other_runners(w, b, name, in);

    if (is_shell(name)) {
      shell_stdin(w, b, name, in);
    } else if (is_interpreter(name)) {
      interpreter(w, b, name, in);
    } else if (name == "source" || name == ".") {
      if (b < w.size()) script_file(w[b], in, name + " script", true, name);
    } else if (name == "let" || name == "test" || name == "[") {
      // let evaluates its arguments as arithmetic; test -v a subscript.
      if (name == "let") arithmetic_ = true;
      for (size_t k = b; k < w.size(); ++k)
        if (runs_in_subscript(w[k].value))
          opaque(name + " evaluates a subscript that runs a command: " + clip(w[k].value));
    } else if (name == "read" || name == "mapfile" || name == "readarray" || name == "getopts") {
      // The names it sets: read's operands and -a, mapfile's operand (or
      // MAPFILE), getopts' second operand.
      Args a = parse_args(w, b, {"adinNptuCcsO", "", ""}, true);
      for (const auto& o : a.opts)
        if (name == "read" && o.name == "-a" && o.has_value) bound(o.value, o.dynamic);
      size_t from = name == "getopts" ? 1 : 0;
      for (size_t k = from; k < a.operands.size(); ++k) bound(w[a.operands[k]].value, w[a.operands[k]].unknown());
    } else if (name == "echo") {
      out = echo_output(w, b);
    } else if (name == "printf") {
      for (size_t k = b; k + 1 < w.size(); ++k) {
        if (w[k].value == "--") break;
        if (w[k].value == "-v") bound(w[k + 1].value, w[k + 1].unknown());
      }
      out = printf_output(w, b);
    } else if (name == "cat" || name == "tac") {
      Args a = parse_args(w, b, {"", "", ""}, true);
      if (a.operands.empty()) {
        out = in;
      } else {
        out = Stream::empty();
        for (size_t k : a.operands) {
          if (w[k].value == "-") {
            append(out, in);
          } else if (w[k].proc) {
            append(out, *w[k].proc);
          } else if (auto f = written_file(w[k].value); f && !w[k].unknown()) {
            append(out, *f);
          } else {
            append(out, Stream::unknown());
          }
        }
        // One file, as it is: `cat s.sh | sh` runs that file.
        if (a.operands.size() == 1 && name == "cat" && out.kind == Stream::Kind::Unknown &&
            !w[a.operands[0]].unknown() && !w[a.operands[0]].proc && w[a.operands[0]].value != "-")
          out.file = w[a.operands[0]].value;
      }
    } else if (name == "tee") {
      Args a = parse_args(w, b, {"", "output-error", ""}, true);
      bool appends = a.has({"-a", "--append"});
      for (size_t k : a.operands) {
        if (w[k].proc) continue;
        if (w[k].unknown()) {
          out_.redirections.push_back({w[k].value, true, appends, true});
          opaque("tee target is computed: " + clip(w[k].raw));
          continue;
        }
        if (is_special_device(w[k].value)) continue;
        if (reopens_descriptor(w[k].value)) {
          out_.redirections.push_back({w[k].value, true, appends, true});
          opaque("tee writes through a file descriptor, whose file is not known: " + clip(w[k].raw));
          continue;
        }
        out_.redirections.push_back({w[k].value, true, appends, false});
        remember_file(w[k].value, in, appends);
      }
      out = in;
    } else if (name == "dd") {
      // dd copies if= (stdin by default) to of= (stdout by default).
      Stream copied = in;
      for (size_t k = b; k < w.size(); ++k) {
        if (!starts_with(w[k].value, "if=")) continue;
        file_access(Sv(w[k].value).substr(3), w[k].raw, false, false, w[k].dynamic);
        auto known = w[k].dynamic ? std::nullopt : written_file(Sv(w[k].value).substr(3));
        copied = known ? *known : Stream::unknown();
      }
      out = copied;
      for (size_t k = b; k < w.size(); ++k) {
        if (!starts_with(w[k].value, "of=")) continue;
        file_access(Sv(w[k].value).substr(3), w[k].raw, true, false, w[k].dynamic);
        if (!w[k].dynamic) remember_file(Sv(w[k].value).substr(3), copied, false);
        out = Stream::empty();
      }
    } else if (is_passthrough(name)) {
      out = in;
    } else if (is_transformer(name)) {
      out = transform(w, b, name, in);
    } else if (name == "find") {
      find_exec(w, b);
    } else if (name == "trap") {
      Args a = parse_args(w, b, {"", "", ""}, false);
      if (!a.has({"-l", "-p"}) && a.operands.size() >= 2) run_script_word(w[a.operands[0]], Stream::unknown(), "trap");
    } else if (name == "alias") {
      for (size_t k = b; k < w.size(); ++k) {
        size_t eq = w[k].value.find('=');
        if (eq == kNpos) continue;
        Word x = w[k];
        x.value = x.value.substr(eq + 1);
        run_script_word(x, Stream::unknown(), "alias");
      }
    }
    if (one_of(name, {"npm", "pnpm", "yarn", "bun", "make", "gmake"})) task_runner(w, b, name, assigns);
    if (is_network(name)) network(w, b, name);
    if (is_fetcher(name)) {
      if (!(name == "ssh" && !ssh_has_remote_command(w, b))) out = Stream::download();
    }
    wrappers_ = std::move(saved);
    return out;
  }

  // -------------------------------------------------------------------------
  // What programs do with their input.

  void shell_stdin(const Words& w, size_t b, const std::string& name, const Stream& in) {
    Args a = parse_args(w, b, {"oO", "rcfile init-file", ""}, false);
    bool s_flag = false;
    for (const auto& o : a.opts) {
      if (o.name == "-s") s_flag = true;
    }
    if (a.dynamic_option) opaque(name + " arguments are computed (they could be options or a script)");
    if (s_flag || a.operands.empty()) {
      script_on_stdin(in, name);
      run_script(in, Stream::unknown(), name + " stdin");
      return;
    }
    script_file(w[a.operands[0]], in, name + " script", true, name);
  }

  // Programs that run commands they are given in a language of their own,
  // later or elsewhere: what they run is analysed where it can be read, and
  // otherwise not understood.
  void other_runners(const Words& w, size_t b, const std::string& name, const Stream& in) {
    if (name == "at" || name == "batch") {
      Args a = parse_args(w, b, {"fqtM", "", "lrdc"}, true);
      if (a.has({"-l", "-r", "-d", "-c"})) return;  // list, remove, show
      if (const Opt* f = a.find({"-f"}); f && f->has_value) {
        Word x;
        x.value = x.raw = f->value;
        x.dynamic = f->dynamic;
        script_file(x, in, name + " script", true, "sh");
      } else {
        script_on_stdin(in, "sh");
        run_script(in, Stream::unknown(), name + " stdin");
      }
    } else if (name == "crontab") {
      Args a = parse_args(w, b, {"u", "", "lrie"}, true);
      if (!a.has({"-l", "-r"})) opaque("crontab installs commands that run later, outside the session");
    } else if (name == "tmux") {
      for (size_t k = b; k < w.size(); ++k) {
        if (one_of(w[k].value, {"new",
                                "new-session",
                                "new-window",
                                "neww",
                                "split-window",
                                "splitw",
                                "send-keys",
                                "send",
                                "run-shell",
                                "run",
                                "respawn-pane",
                                "respawnp",
                                "respawn-window",
                                "respawnw",
                                "pipe-pane",
                                "pipep",
                                "if-shell",
                                "if",
                                "display-popup",
                                "popup",
                                "source-file",
                                "source"})) {
          opaque("tmux runs commands in a terminal Tollgate does not see");
          return;
        }
      }
    } else if (name == "screen") {
      Args a = parse_args(w, b, {"cSpXehsTtU", "", ""}, false);
      if (!a.operands.empty() || a.has({"-X"})) opaque("screen runs commands in a terminal Tollgate does not see");
    } else if (one_of(name, {"awk", "gawk", "mawk", "nawk", "busybox-awk"})) {
      Args a = parse_args(w, b, {"fFvW", "file field-separator assign", ""}, false);
      if (a.has({"-f", "--file"})) {
        opaque(name + " runs a program file Tollgate does not read");
        return;
      }
      if (a.operands.empty()) return;
      const Word& prog = w[a.operands[0]];
      std::string p = lower(prog.value);
      bool runs = p.find("system") != std::string::npos || p.find("|&") != std::string::npos;
      for (size_t k = p.find('|'); k != std::string::npos && !runs; k = p.find('|', k + 1)) {
        if (k + 1 < p.size() && p[k + 1] == '|') {
          ++k;
          continue;
        }
        size_t after = p.find_first_not_of(" \t", k + 1);
        if (after != std::string::npos && (p[after] == '"' || p.compare(after, 7, "getline") == 0)) runs = true;
      }
      if (runs) opaque(name + " program runs commands: " + clip(prog.raw));
      // `getline < file` and `print > file` read and write files the
      // program names, which Tollgate does not take out of it.
      bool files = false;
      for (size_t k = p.find("getline"); k != std::string::npos && !files; k = p.find("getline", k + 1))
        files = p.find('<', k) != std::string::npos;
      for (size_t k = p.find("print"); k != std::string::npos && !files; k = p.find("print", k + 1)) {
        size_t end = p.find_first_of(";}\n", k);
        size_t gt = p.find('>', k);
        files = gt != std::string::npos && (end == std::string::npos || gt < end);
      }
      if (files) opaque(name + " program reads or writes files it names: " + clip(prog.raw));
    } else if (name == "sed" || name == "gsed") {
      // GNU sed's `e` runs commands; `r`/`R`/`w`/`W` and the `w` and `e`
      // flags of `s` read and write files named in the script.
      Args a = parse_args(w, b, {"efl", "expression file line-length", ""}, true);
      std::vector<std::string> scripts;
      for (const auto& o : a.opts) {
        if ((o.name == "-e" || o.name == "--expression") && o.has_value) scripts.push_back(o.value);
        if (o.name == "-f" || o.name == "--file") opaque("sed runs a script file Tollgate does not read");
      }
      if (scripts.empty() && !a.operands.empty()) scripts.push_back(w[a.operands[0]].value);
      for (const auto& sc : scripts)
        if (sed_script_touches(sc)) opaque("sed script runs commands or reads or writes files: " + clip(sc));
    } else if (name == "tar" || name == "bsdtar" || name == "gtar") {
      for (size_t k = b; k < w.size(); ++k) {
        const std::string& v = w[k].value;
        if (starts_with(v, "--checkpoint-action") || starts_with(v, "--to-command") ||
            starts_with(v, "--use-compress") || starts_with(v, "--info-script") ||
            starts_with(v, "--new-volume-script") || starts_with(v, "--rsh-command") ||
            starts_with(v, "--rmt-command") || v == "-I" || v == "-F" ||
            (v.size() > 1 && v[0] == '-' && v[1] != '-' && v.find_first_of("IF") != std::string::npos))
          opaque("tar runs a program given to it: " + clip(v));
      }
    } else if (name == "sort") {
      for (size_t k = b; k < w.size(); ++k)
        if (starts_with(w[k].value, "--compress-program")) opaque("sort runs a program given to it");
    } else if (name == "split" || name == "csplit") {
      for (size_t k = b; k < w.size(); ++k)
        if (starts_with(w[k].value, "--filter")) opaque("split runs a command given to it: " + clip(w[k].raw));
    } else if (name == "zip") {
      for (size_t k = b; k < w.size(); ++k)
        if (w[k].value == "-TT" || starts_with(w[k].value, "--unzip-command"))
          opaque("zip runs a command given to it to test the archive");
    } else if (name == "rsync") {
      // The remote shell (`-e ssh …`) is ssh or it is a command of its own;
      // `--rsync-path` runs on the other end, and may be a local shell.
      for (size_t k = b; k < w.size(); ++k) {
        const std::string& v = w[k].value;
        std::string shell;
        bool cluster_e = v.size() > 1 && v[0] == '-' && v[1] != '-' && v.back() == 'e';
        if (starts_with(v, "--rsh=")) {
          shell = v.substr(6);
        } else if ((v == "--rsh" || cluster_e) && k + 1 < w.size()) {
          shell = w[k + 1].dynamic ? "?" : w[k + 1].value;
        }
        std::string first = shell.substr(0, shell.find(' '));
        if ((!shell.empty() && first != "ssh" && !ends_with(first, "/ssh")) || starts_with(v, "--rsync-path"))
          opaque("rsync runs a command given to it: " + clip(v));
      }
    } else if (name == "sqlite3") {
      // Dot-commands run programs (.shell, .system) and read or write files
      // (.read, .output, .import …); readfile()/writefile()/edit() do in SQL.
      // Those that only show the database or set how it is shown are fine.
      auto harmless_dot = [](Sv v) {
        if (v.find_first_of("\n\r;") != Sv::npos) return false;
        Sv cmd = v.substr(0, v.find_first_of(" \t"));
        return one_of(cmd, {".tables",  ".table",     ".schema",    ".fullschema", ".indexes", ".indices", ".mode",
                            ".headers", ".header",    ".dump",      ".databases",  ".show",    ".help",    ".timer",
                            ".width",   ".nullvalue", ".separator", ".quit",       ".exit",    ".print",   ".echo",
                            ".stats",   ".changes",   ".eqp",       ".bail",       ".dbinfo",  ".lint"});
      };
      for (size_t k = b; k < w.size(); ++k) {
        const std::string& v = w[k].value;
        if (w[k].dynamic || (starts_with(v, ".") && !harmless_dot(v)) || v.find("readfile") != kNpos ||
            v.find("writefile") != kNpos || v.find("edit(") != kNpos || v.find("load_extension") != kNpos) {
          opaque("sqlite3 is given commands that may run programs or touch files: " + clip(w[k].raw));
          break;
        }
      }
    } else if (name == "ed" || name == "red") {
      opaque(name + " runs the commands it reads, `!` commands included");
    } else if (one_of(name, {"vim", "vi", "nvim", "ex", "view", "gvim", "vimdiff", "emacs"})) {
      for (size_t k = b; k < w.size(); ++k) {
        const std::string& v = w[k].value;
        bool line_number = v.size() > 1 && v[0] == '+' && v.find_first_not_of("0123456789", 1) == std::string::npos;
        if (one_of(v, {"-c", "--cmd", "-S", "-u", "-U", "--eval", "-l", "--load", "-f", "--funcall", "--batch",
                       "--script"}) ||
            (v.size() > 1 && v[0] == '+' && !line_number) || starts_with(v, "--eval=")) {
          opaque(name + " runs editor commands given to it");
          return;
        }
      }
    } else if (one_of(name, {"docker", "podman", "nerdctl"})) {
      container_mounts(w, b);
    } else if (name == "pytest" || name == "py.test") {
      pytest_plugins();
    } else if (name == "touch") {
      // A file's time set back makes a script written now look like the
      // workspace's own (action/shell_actions.cc trusts older scripts more).
      for (size_t k = b; k < w.size(); ++k) {
        const std::string& v = w[k].value;
        if (v == "--") break;
        if (one_of(v, {"-d", "-t", "-r", "--date", "--reference", "-B", "-F"}) || starts_with(v, "--date=") ||
            starts_with(v, "--reference=") ||
            (v.size() > 1 && v[0] == '-' && v[1] != '-' && v.find_first_of("dtr", 1) != kNpos)) {
          opaque("touch sets a file's time, which Tollgate reads as its age");
          break;
        }
      }
    }
  }

  // pytest imports the conftest.py files of the directories it collects:
  // the usual ones are read as the scripts they are.
  void pytest_plugins() {
    for (const char* f : {"conftest.py", "tests/conftest.py", "test/conftest.py"}) {
      Word x;
      x.value = x.raw = f;
      add_script(x, "python3");
    }
  }

  // `docker run -v SRC:DST` and `--mount type=bind,source=SRC`: the
  // container reads (and unless read-only writes) the host's SRC.
  void container_mounts(const Words& w, size_t b) {
    // Global options (some with values), then `run`/`create`, `container
    // run`, or `compose [options] run`.
    size_t sub = b;
    auto skip_options = [&](std::initializer_list<Sv> with_value) {
      while (sub < w.size() && starts_with(w[sub].value, "-")) {
        bool takes = false;
        for (Sv o : with_value) takes = takes || w[sub].value == o;
        sub += takes ? 2 : 1;
      }
    };
    skip_options({"--context", "-c", "-H", "--host", "--config", "-l", "--log-level", "--tlscacert", "--tlscert",
                  "--tlskey", "--url", "--connection", "--root", "--runroot"});
    if (sub < w.size() && w[sub].value == "container") ++sub;
    if (sub < w.size() && w[sub].value == "compose") {
      ++sub;
      // `--env-file F` puts F's values into the containers (and `config`
      // prints them), as `docker run --env-file` does.
      for (size_t k = sub; k + 1 < w.size(); ++k) {
        if (w[k].value == "--env-file") out_.redirections.push_back({w[k + 1].value, false, false, w[k + 1].unknown()});
        if (starts_with(w[k].value, "--env-file="))
          out_.redirections.push_back({w[k].value.substr(11), false, false, w[k].unknown()});
      }
      skip_options({"-f", "--file", "-p", "--project-name", "--env-file", "--profile", "--project-directory"});
    }
    if (sub >= w.size() || !one_of(w[sub].value, {"run", "create"})) return;
    for (size_t k = sub + 1; k < w.size(); ++k) {
      const std::string& v = w[k].value;
      if (!starts_with(v, "-")) break;  // the image: the container's own command follows
      if (one_of(v, {"--env-file", "--label-file", "--cidfile"}) && k + 1 < w.size()) {
        ++k;
        if (v != "--cidfile") out_.redirections.push_back({w[k].value, false, false, w[k].unknown()});
        continue;
      }
      if (one_of(v, {"-e",
                     "--env",
                     "--name",
                     "-p",
                     "--publish",
                     "-w",
                     "--workdir",
                     "-u",
                     "--user",
                     "--network",
                     "--net",
                     "-h",
                     "--hostname",
                     "--entrypoint",
                     "-l",
                     "--label",
                     "--add-host",
                     "--cpus",
                     "-m",
                     "--memory",
                     "--platform",
                     "--pull",
                     "--restart",
                     "--log-driver",
                     "--log-opt",
                     "--cap-add",
                     "--cap-drop",
                     "--device",
                     "--dns",
                     "--security-opt",
                     "--tmpfs",
                     "--ulimit",
                     "--gpus",
                     "--ipc",
                     "--pid",
                     "--shm-size",
                     "--stop-signal",
                     "--runtime",
                     "--expose",
                     "--group-add",
                     "--uts",
                     "--userns",
                     "--cgroupns",
                     "--health-cmd",
                     "--volumes-from",
                     "--link",
                     "--mac-address",
                     "--ip",
                     "--stop-timeout",
                     "--memory-swap",
                     "--cpu-shares",
                     "-c",
                     "--cpuset-cpus",
                     "--attach",
                     "-a"})) {
        ++k;  // its value
        continue;
      }
      std::string value;
      bool mount = false, dynamic = w[k].unknown();
      if (one_of(v, {"-v", "--volume", "--mount"}) && k + 1 < w.size()) {
        mount = v == "--mount";
        value = w[++k].value;
        dynamic = w[k].unknown();
      } else if (starts_with(v, "--volume=") || starts_with(v, "--mount=")) {
        mount = starts_with(v, "--mount=");
        value = v.substr(v.find('=') + 1);
      } else if (v.size() > 2 && v[1] != '-' && v.find('v') != kNpos) {
        // Short flags together: `-itv SRC:DST`, `-dv`, `-vSRC:DST`, `-v=SRC:DST`.
        size_t at = v.find('v');
        if (at + 1 < v.size()) {
          value = v.substr(at + 1);
          if (!value.empty() && value[0] == '=') value.erase(0, 1);
        } else if (k + 1 < w.size()) {
          value = w[++k].value;
          dynamic = w[k].unknown();
        }
      } else {
        continue;
      }
      std::string src;
      bool ro = false;
      if (mount) {
        for (Sv part : split_commas(value)) {
          if (starts_with(part, "source=") || starts_with(part, "src="))
            src = std::string(part.substr(part.find('=') + 1));
          if (part == "readonly" || part == "ro" || part == "readonly=true" || part == "ro=true") ro = true;
        }
      } else {
        size_t colon = value.find(':');
        src = value.substr(0, colon);
        if (colon != std::string::npos) {
          std::string opts = value.substr(value.rfind(':') + 1);
          ro = value.find(':', colon + 1) != std::string::npos && opts.find("ro") != std::string::npos;
        }
      }
      // A named volume is no host path.
      if (src.empty() || (src[0] != '/' && src[0] != '~' && src[0] != '.' && src[0] != '$')) continue;
      // Computed: the action is opaque unless the action layer knows the
      // value ($HOME, $PWD).
      out_.redirections.push_back({src, false, false, dynamic});
      if (!ro) out_.redirections.push_back({src, true, false, dynamic});
    }
  }

  static std::vector<Sv> split_commas(Sv s) {
    std::vector<Sv> out;
    size_t from = 0;
    while (from <= s.size()) {
      size_t c = s.find(',', from);
      out.push_back(s.substr(from, c == Sv::npos ? Sv::npos : c - from));
      if (c == Sv::npos) break;
      from = c + 1;
    }
    return out;
  }

  // Build tools that run commands from a project file (TaskRun).
  void task_runner(const Words& w, size_t b, const std::string& name, const std::vector<std::string>& assigns) {
    if (out_.tasks.size() >= kMaxScripts) return opaque("runs more project tasks than Tollgate reads");
    TaskRun t;
    t.tool = name == "gmake" ? "make" : name;
    auto note = [&](const Word& x) {
      t.dynamic = t.dynamic || x.unknown();
      return x.value;
    };
    if (t.tool == "make") {
      // GNU make takes any unambiguous prefix of a long option (`--fi=x` is
      // `--file=x`, `--eva` is `--eval`): spelled out before reading them.
      static constexpr Sv kLong[] = {"always-make",
                                     "directory",
                                     "debug",
                                     "environment-overrides",
                                     "eval",
                                     "file",
                                     "makefile",
                                     "help",
                                     "ignore-errors",
                                     "include-dir",
                                     "jobs",
                                     "jobserver-auth",
                                     "jobserver-style",
                                     "keep-going",
                                     "load-average",
                                     "max-load",
                                     "check-symlink-times",
                                     "just-print",
                                     "dry-run",
                                     "recon",
                                     "no-builtin-rules",
                                     "no-builtin-variables",
                                     "no-keep-going",
                                     "no-print-directory",
                                     "no-silent",
                                     "old-file",
                                     "assume-old",
                                     "output-sync",
                                     "print-data-base",
                                     "print-directory",
                                     "question",
                                     "silent",
                                     "quiet",
                                     "stop",
                                     "touch",
                                     "trace",
                                     "version",
                                     "warn-undefined-variables",
                                     "what-if",
                                     "new-file",
                                     "assume-new",
                                     "shuffle"};
      Words mw = w;
      for (size_t k = b; k < mw.size(); ++k) {
        std::string& v = mw[k].value;
        if (v == "--") break;
        if (!starts_with(v, "--") || v.size() < 3) continue;
        size_t eq = v.find('=');
        Sv given = Sv(v).substr(2, eq == std::string::npos ? Sv::npos : eq - 2);
        Sv full;
        int count = 0;
        for (Sv o : kLong) {
          if (o == given) {
            full = o;
            count = 1;
            break;
          }
          if (starts_with(o, given)) {
            full = o;
            ++count;
          }
        }
        if (count == 1) v = "--" + std::string(full) + (eq == std::string::npos ? "" : v.substr(eq));
      }
      const Words& w = mw;
      Args a = parse_args(
          w, b, {"CfIjloW", "directory file makefile include-dir jobs load-average old-file what-if", ""}, true);
      int dirs = 0, files = 0;
      for (const auto& o : a.opts) {
        if (one_of(o.name, {"--eval", "-E"})) opaque("make --eval runs text given on the command line");
        if (one_of(o.name, {"-e", "--environment-overrides"})) t.environment_overrides = true;
        if (!o.has_value) continue;
        if (one_of(o.name, {"-C", "--directory"})) {
          t.dir = o.value;
          t.dynamic = t.dynamic || o.dynamic;
          ++dirs;
        } else if (one_of(o.name, {"-f", "--file", "--makefile"})) {
          t.file = o.value;
          t.dynamic = t.dynamic || o.dynamic;
          ++files;
          if (o.value == "-" || o.value == "/dev/stdin" || starts_with(o.value, "/dev/fd/") ||
              starts_with(o.value, "/proc/"))
            opaque("make reads its makefile from stdin or a descriptor");
        }
      }
      if (dirs > 1 || files > 1) opaque("make is given several directories or makefiles");
      for (size_t k : a.operands) {
        size_t eq = w[k].value.find('=');
        if (eq != kNpos) {  // VAR=value: these change what runs
          std::string var = w[k].value.substr(0, eq);
          while (!var.empty() && (var.back() == ':' || var.back() == '+' || var.back() == '?')) var.pop_back();
          if (one_of(var, {"SHELL", ".SHELLFLAGS", "MAKEFLAGS", "MFLAGS", "MAKEFILES", ".RECIPEPREFIX", "MAKE"}))
            opaque("make " + var + "= changes how recipes run");
          if (eq > 0 && w[k].value[eq - 1] == '!') opaque("make " + var + " != runs a command as make starts");
          for (Sv f : {Sv("shell"), Sv("file"), Sv("eval"), Sv("guile")}) {
            Sv v = Sv(w[k].value).substr(eq + 1);
            if (v.find("$(" + std::string(f)) != Sv::npos || v.find("${" + std::string(f)) != Sv::npos)
              opaque("make " + var + "= calls $(" + std::string(f) + " …) given on the command line");
          }
          // A computed value is written as it is: its expansion is unknown where used.
          t.variables.push_back(w[k].value);
          continue;
        }
        t.names.push_back(note(w[k]));
      }
      t.environment = assigns;
      t.environment.insert(t.environment.end(), out_.assignments.begin(), out_.assignments.end());
      out_.tasks.push_back(std::move(t));
      return;
    }
    Args a = parse_args(w, b, {"C", "prefix cwd dir filter workspace w", ""}, true);
    for (const auto& o : a.opts) {
      if (o.has_value && one_of(o.name, {"-C", "--prefix", "--cwd", "--dir"})) {
        t.dir = o.value;
        t.dynamic = t.dynamic || o.dynamic;
      }
      if (one_of(o.name, {"--filter", "--workspace", "-w", "--workspaces", "-ws", "-r", "--recursive"}))
        t.dynamic = true;  // other packages' scripts: not followed
      if (starts_with(o.name, "--script-shell") || starts_with(o.name, "--node-options"))
        opaque(name + " " + o.name + " changes how scripts run");
      if (o.name == "--ignore-scripts") return;
    }
    if (a.operands.empty()) {
      if (t.tool == "yarn") {  // bare `yarn` installs
        t.names = {"preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"};
        out_.tasks.push_back(std::move(t));
      }
      return;
    }
    const Word& sub = w[a.operands[0]];
    if (sub.unknown()) return;
    const std::string& s = sub.value;
    auto script_after = [&](size_t at) {
      if (at < a.operands.size()) t.names.push_back(note(w[a.operands[at]]));
    };
    if (one_of(s, {"run", "run-script", "rum", "urn"})) {
      script_after(1);
      if (!t.names.empty() && t.tool == "npm") {
        t.names.insert(t.names.begin(), "pre" + t.names.front());
        t.names.push_back("post" + t.names[1]);
      }
    } else if (one_of(s, {"test", "t", "tst", "start", "stop", "restart"}) && !(t.tool == "bun" && s == "test")) {
      std::string n = s == "t" || s == "tst" ? "test" : s;
      t.names = {"pre" + n, n, "post" + n};
    } else if (one_of(s,
                      {"install",       "i",       "ci",     "in",      "ins", "inst", "insta",         "instal",
                       "isnt",          "isnta",   "isntal", "isntall", "add", "ic",   "clean-install", "install-clean",
                       "isntall-clean", "rebuild", "rb",     "link",    "ln"}) &&
               a.operands.size() == 1) {
      t.names = {"preinstall", "install", "postinstall", "preprepare", "prepare", "postprepare"};
    } else if (one_of(s, {"it", "install-test", "cit", "sit", "clean-install-test", "install-ci-test"}) &&
               a.operands.size() == 1) {
      t.names = {"preinstall",  "install", "postinstall", "preprepare", "prepare",
                 "postprepare", "pretest", "test",        "posttest"};
    } else if (s == "version" && t.tool == "npm") {
      t.names = {"preversion", "version", "postversion"};
    } else if (one_of(s, {"pack", "publish"})) {
      t.names = {"prepack", "prepare", "postpack"};
      if (s == "publish") t.names.insert(t.names.end(), {"prepublishOnly", "publish", "postpublish"});
    } else if (t.tool != "npm") {
      // `yarn lint`, `pnpm dev`: a script by name, unless a command of the tool's own.
      static constexpr Sv kBuiltins[] = {"install",
                                         "i",
                                         "add",
                                         "remove",
                                         "rm",
                                         "upgrade",
                                         "update",
                                         "up",
                                         "dlx",
                                         "exec",
                                         "x",
                                         "create",
                                         "init",
                                         "publish",
                                         "pack",
                                         "link",
                                         "unlink",
                                         "info",
                                         "why",
                                         "list",
                                         "ls",
                                         "outdated",
                                         "audit",
                                         "config",
                                         "cache",
                                         "store",
                                         "login",
                                         "logout",
                                         "help",
                                         "version",
                                         "--version",
                                         "set",
                                         "workspaces",
                                         "workspace",
                                         "global",
                                         "import",
                                         "patch",
                                         "pm",
                                         "build",
                                         "test",
                                         "upgrade-interactive",
                                         "dedupe",
                                         "explain",
                                         "node",
                                         "plugin",
                                         "constraints",
                                         "npm",
                                         "rebuild",
                                         "prune",
                                         "fetch",
                                         "deploy",
                                         "env",
                                         "setup",
                                         "licenses",
                                         "bin",
                                         "root"};
      bool builtin = false;
      for (Sv k : kBuiltins) builtin = builtin || s == k;
      if (s == "build" && t.tool != "bun") builtin = false;  // only bun has a build command of its own
      if (!builtin) t.names.push_back(note(sub));
    }
    if (!t.names.empty()) out_.tasks.push_back(std::move(t));
  }

  // A script named as a file operand: `-`/`/dev/stdin` read stdin,
  // `<(…)` and files written earlier are known; any other file is listed
  // in `scripts` for the caller to read. `runner` is the shell or
  // interpreter that runs it.
  void script_file(const Word& f, const Stream& in, const std::string& label, bool shell, Sv runner) {
    if (f.download) out_.download_exec = true;
    Stream script;
    if (f.proc) {
      script = *f.proc;
    } else if (!f.unknown() && one_of(f.value, {"-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"})) {
      script = in;
      if (shell) script_on_stdin(in, runner);
    } else if (auto known = written_file(f.value); known && !f.unknown()) {
      script = *known;
      // Written earlier on this line with content Tollgate does not know
      // (`cat x > s.sh && sh s.sh`): the caller sees that it changed.
      if (script.kind == Stream::Kind::Unknown) add_script(f, runner);
    } else {
      if (!f.download) add_script(f, runner);
      return;
    }
    if (!shell) {
      interpreted(script, runner, label);
      return;
    }
    run_script(script, Stream::unknown(), label);
  }

  // A script read from a file on stdin (`sh < s.sh`, `cat s.sh | bash`):
  // the caller reads the file.
  void script_on_stdin(const Stream& in, Sv runner) {
    if (in.kind != Stream::Kind::Unknown || in.file.empty()) return;
    Word x;
    x.value = x.raw = in.file;
    add_script(x, runner);
  }

  // Code of another language, given to its interpreter as a stream.
  void interpreted(const Stream& script, Sv runner, const std::string& label) {
    script_on_stdin(script, runner);
    if (script.is_download()) out_.download_exec = true;
    if (script.obfuscated) opaque("script run by " + label + " is decoded or transformed first");
    if (script.is_text() && !script.text.empty()) inline_code(std::string(runner), script.text, false);
  }

  void add_script(const Word& f, Sv runner) {
    if (f.value.empty()) return;
    for (const auto& s : out_.scripts)
      if (s.path == f.value && s.runner == runner) return;
    if (out_.scripts.size() >= kMaxScripts) return opaque("runs more script files than Tollgate reads");
    out_.scripts.push_back({f.value, std::string(runner), f.unknown()});
  }

  void interpreter(const Words& w, size_t b, const std::string& name, const Stream& in) {
    if (name == "deno") {
      if (b < w.size() && one_of(w[b].value, {"run", "eval", "x"})) {
        Args a = parse_args(w, b + 1, {"", "config import-map location seed v8-flags cert lock", ""}, false);
        if (!a.operands.empty()) {
          const Word& target = w[a.operands[0]];
          if (w[b].value == "eval" && target.download) out_.download_exec = true;
          if (w[b].value != "eval" && (starts_with(lower(target.value), "http://") ||
                                       starts_with(lower(target.value), "https://") || target.download)) {
            out_.download_exec = true;
          }
          if (w[b].value != "eval" && target.proc) script_file(target, in, "deno script", false, "deno");
        }
      }
      return;
    }
    Sv code_flags = "";
    Sv arg_flags = "";
    if (is_python(name)) {
      code_flags = "c";
      arg_flags = "cmWXQ";
    } else if (name == "perl") {
      code_flags = "eE";
      arg_flags = "eEIMmx";
    } else if (name == "ruby" || name == "irb") {
      code_flags = "e";
      arg_flags = "erICEF";
    } else if (name == "node" || name == "nodejs" || name == "bun") {
      code_flags = "ep";
      arg_flags = "eprC";
    } else if (name == "php") {
      code_flags = "rBRE";
      arg_flags = "rBREFfcdz";
    } else if (name == "lua" || name == "luajit") {
      code_flags = "e";
      arg_flags = "el";
    } else if (name == "osascript" || name == "rscript") {
      code_flags = "e";
      arg_flags = "el";
    } else if (name == "pwsh" || name == "powershell") {
      // -EncodedCommand takes base64; -Command takes the rest of the line.
      for (size_t k = b; k < w.size(); ++k) {
        std::string o = lower(w[k].value);
        if (o.size() >= 2 && (o[0] == '-' || o[0] == '/') &&
            (Sv("-encodedcommand").substr(0, o.size()) == o || o == "-ec" || o == "-enc" || o == "-e")) {
          opaque(name + " runs an encoded command");
        }
        if (w[k].download) out_.download_exec = true;
      }
      Args a = parse_args(w, b, {"cfFC", "command file", ""}, false);
      if (a.operands.empty() && a.opts.empty())
        run_script(in.is_download() ? in : Stream::unknown(), Stream::unknown(), name + " stdin");
      return;
    }
    std::string longs = name == "node" || name == "nodejs" || name == "bun" ? "eval print require import loader" : "";
    Args a = parse_args(w, b, {arg_flags, longs, ""}, false);
    // Files node loads before the script (`-r ./pre.js`, `--import`,
    // `--loader`) run like it.
    for (const auto& o : a.opts) {
      if (longs.empty() || !o.has_value ||
          !(o.name == "-r" || o.name == "--require" || o.name == "--import" || o.name == "--loader"))
        continue;
      if (o.dynamic) {
        opaque(name + " preloads a module it computes: " + clip(o.value));
      } else if (starts_with(o.value, "./") || starts_with(o.value, "../") || starts_with(o.value, "/")) {
        Word x;
        x.value = x.raw = o.value;
        add_script(x, name);
      }
    }
    bool has_code = false;
    for (const auto& o : a.opts) {
      bool code =
          (o.name.size() == 2 && code_flags.find(o.name[1]) != kNpos) || o.name == "--eval" || o.name == "--print";
      if (!code) continue;
      has_code = true;
      if (o.download) out_.download_exec = true;
      if (o.dynamic && !o.download) opaque(name + " code is computed: " + clip(o.value));
      if (!o.dynamic) inline_code(name, o.value, false);
    }
    if (const Opt* m = a.find({"-m"}); m && m->has_value && !has_code && is_python(name)) {
      // A module run by name: the working directory's own module (or
      // package) is a script like any other; installed ones are not there.
      std::string mod = m->value;
      bool plain = !m->dynamic && !mod.empty() && std::all_of(mod.begin(), mod.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
      });
      if (m->value == "pytest") pytest_plugins();
      if (plain) {
        std::replace(mod.begin(), mod.end(), '.', '/');
        for (const std::string& file : {mod + ".py", mod + "/__main__.py"}) {
          Word x;
          x.value = x.raw = file;
          add_script(x, name);
        }
      }
    }
    if (has_code || a.has({"-m"})) return;
    if (a.operands.empty()) {
      interpreted(in, name, name + " stdin");
      return;
    }
    script_file(w[a.operands[0]], in, name + " script", false, name);
  }

  // The local modules `code` may load (ShellAnalysis::imports).
  void collect_imports(const std::string& name, Sv code) {
    auto add = [&](std::string m) {
      if (m.empty() || std::find(out_.imports.begin(), out_.imports.end(), m) != out_.imports.end()) return;
      if (out_.imports.size() >= 256) return opaque(name + " code loads more than 256 modules");
      out_.imports.push_back(std::move(m));
    };
    auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
    // A string literal at `at` (after blanks and an opening parenthesis).
    auto literal_at = [&](size_t at, bool* computed) -> std::string {
      while (at < code.size() && (code[at] == ' ' || code[at] == '\t' || code[at] == '(')) ++at;
      if (at >= code.size() || (code[at] != '"' && code[at] != '\'' && code[at] != '`')) {
        if (computed) *computed = true;
        return {};
      }
      size_t end = code.find(code[at], at + 1);
      if (end == Sv::npos || end - at > 512) return {};
      return std::string(code.substr(at + 1, end - at - 1));
    };
    if (is_python(name)) {
      // Statements, joined across parentheses: `from x import (a,\n b)`.
      std::string stmt;
      int parens = 0;
      auto statement = [&](Sv st) {
        size_t i = 0;
        while (i < st.size() && (st[i] == ' ' || st[i] == '\t')) ++i;
        st = st.substr(i);
        auto names = [&](Sv list, const std::string& base) {
          size_t k = 0;
          while (k < list.size()) {
            while (k < list.size() && !ident(list[k])) ++k;
            size_t j = k;
            while (j < list.size() && ident(list[j])) ++j;
            std::string n(list.substr(k, j - k));
            k = j;
            // `a as b`: skip the alias.
            size_t after = k;
            while (after < list.size() && (list[after] == ' ' || list[after] == '\t')) ++after;
            if (list.substr(after, 3) == "as " || list.substr(after, 3) == "as\t") {
              k = after + 3;
              while (k < list.size() && (list[k] == ' ' || list[k] == '\t')) ++k;
              while (k < list.size() && ident(list[k])) ++k;
            }
            if (n.empty()) continue;
            add(base.empty() ? n : (base.back() == '.' ? base + n : base + "." + n));
          }
        };
        if (starts_with(st, "import ") || starts_with(st, "import\t")) {
          names(st.substr(7), "");
        } else if (starts_with(st, "from ") || starts_with(st, "from\t")) {
          Sv rest = st.substr(5);
          size_t k = 0;
          while (k < rest.size() && (rest[k] == ' ' || rest[k] == '\t')) ++k;
          size_t j = k;
          while (j < rest.size() && ident(rest[j])) ++j;
          std::string base(rest.substr(k, j - k));
          size_t imp = rest.find("import", j);
          if (base.empty() || imp == Sv::npos) return;
          if (base.find_first_not_of('.') != std::string::npos) add(base);
          names(rest.substr(imp + 6), base);
        }
      };
      for (size_t i = 0; i <= code.size(); ++i) {
        char c = i < code.size() ? code[i] : '\n';
        if (c == '#') {
          while (i < code.size() && code[i] != '\n') ++i;
          c = '\n';
        }
        if (c == '(') ++parens;
        if (c == ')' && parens > 0) --parens;
        if ((c == '\n' && parens == 0) || c == ';') {
          statement(stmt);
          stmt.clear();
          if (c == '\n') parens = 0;
          continue;
        }
        if (stmt.size() < 4096) stmt += c;
      }
      for (Sv call : {Sv("__import__("), Sv("import_module(")}) {
        for (size_t at = code.find(call); at != Sv::npos; at = code.find(call, at + 1)) {
          bool computed = false;
          std::string m = literal_at(at + call.size(), &computed);
          if (computed) opaque(name + " code imports a module it computes");
          add(m);
        }
      }
      return;
    }
    const bool node = one_of(name, {"node", "nodejs", "bun", "deno", "tsx", "ts-node", "esno", "vite-node", "jiti"});
    const bool ruby = name == "ruby" || name == "irb";
    if (!node && !ruby) return;
    auto relative = [](const std::string& m) { return starts_with(m, "./") || starts_with(m, "../"); };
    for (Sv call : node ? std::vector<Sv>{"require(", "import(", "from ", "import "}
                        : std::vector<Sv>{"require_relative ", "require_relative(", "load "}) {
      for (size_t at = code.find(call); at != Sv::npos; at = code.find(call, at + 1)) {
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(code[at - 1])) || code[at - 1] == '_')) continue;
        bool computed = false;
        std::string m = literal_at(at + call.size(), &computed);
        if (computed && (call == "require(" || call == "import(" || ruby))
          opaque(name + " code loads a module it computes");
        if (ruby && call != "load " && !m.empty() && !relative(m)) m = "./" + m;
        if (relative(m)) {
          add(m);
        } else if (
            node && !m.empty() && m.find(':') == std::string::npos && m[0] != '/' &&
            m.find("..") == std::string::npos &&
            !one_of(
                Sv(m).substr(0, m.find('/')),
                {"fs",         "path",           "os",  "http",        "https",         "http2",    "net",
                 "tls",        "dgram",          "dns", "crypto",      "child_process", "cluster",  "util",
                 "events",     "stream",         "url", "querystring", "zlib",          "buffer",   "assert",
                 "readline",   "worker_threads", "vm",  "module",      "process",       "timers",   "string_decoder",
                 "perf_hooks", "async_hooks",    "v8",  "tty",         "constants",     "inspector"})) {
          // A package: `node_modules/<name>` (its entry point), written
          // with the `node_modules/` prefix so the caller can tell.
          std::string pkg = m.substr(0, m[0] == '@' ? m.find('/', m.find('/') + 1) : m.find('/'));
          add("node_modules/" + pkg);
        }
      }
    }
  }

  // Code given on the command line (`python3 -c`, `node -e`, `perl -e` …)
  // is a program of its own: Tollgate does not follow it, but what it
  // names is taken as named. Every URL in it is a network target; every
  // quoted string that looks like a path is a file it may read and write
  // (so a secret or Tollgate's own files named there are seen); and code
  // that uses the network, or touches files, with nothing Tollgate can
  // name is not understood, so a person is asked. The code of a whole
  // script file (`file`) is read the same way, except that its path-like
  // strings count as reads only (a program's strings name routes, MIME
  // types and formats as often as files) and file access without a name
  // is not asked about: that is most programs.
  void inline_code(const std::string& name, Sv code, bool file) {
    collect_imports(name, code);
    static constexpr Sv kNetwork[] = {
        "urlopen", "urllib", "requests.", "http.client", "httpx", "aiohttp", "socket", "fetch(", "http.get",
        "https.get", "http.request", "https.request", "net.connect", "axios", "xmlhttprequest", "websocket", "lwp",
        "http::tiny", "io::socket", "net::http", "open-uri", "open_uri", "net/http", "curl_", "fsockopen",
        "stream_socket", "file_get_contents(\"http", "file_get_contents('http", "smtplib", "ftplib", "telnetlib",
        "dns.resolver", "getaddrinfo", "gethostbyname",
        // Node's modules, however they are loaded.
        "'net'", "\"net\"", "'tls'", "\"tls\"", "'http'", "\"http\"", "'https'", "\"https\"", "'dgram'", "\"dgram\"",
        "node:net", "node:tls", "node:http", "node:dgram", "node:dns"};
    // Ways code runs programs: opaque whatever URLs it names (`system "…"`,
    // `qx{…}`, `%x(…)` take a command line the analysis does not read).
    static constexpr Sv kRuns[] = {"child_process",
                                   "subprocess",
                                   "os.system",
                                   "os.popen",
                                   "os.exec",
                                   "os.spawn",
                                   "spawn(",
                                   "popen(",
                                   "execvp",
                                   "execl",
                                   "os.execute",
                                   "io.popen",
                                   "passthru",
                                   "shell_exec",
                                   "proc_open",
                                   "pcntl_exec",
                                   "runtime.getruntime",
                                   "process.spawn",
                                   "kernel.system",
                                   "open3",
                                   "pty.spawn"};
    static constexpr Sv kFiles[] = {"open(",
                                    "remove(",
                                    "unlink",
                                    "rmtree",
                                    "rename",
                                    "writefile",
                                    "readfile",
                                    "copyfile",
                                    "shutil",
                                    "pathlib",
                                    "fs.",
                                    "chmod",
                                    "symlink",
                                    "truncate",
                                    "mkdir",
                                    "rmdir",
                                    "file_put_contents",
                                    "write_text",
                                    "write_bytes",
                                    "read_text",
                                    "read_bytes",
                                    ".touch(",
                                    "file.read",
                                    "file.open",
                                    "file.write",
                                    "file.foreach",
                                    "io.read",
                                    "io.foreach",
                                    "io.write"};
    std::string lc = lower(code);
    // What imports, version checks and a few inert calls mention is no use
    // of the network or of files (`import requests; print(requests.__version__)`,
    // `shutil.which("node")`, `platform.system()`, `socket.gethostname()`).
    std::string used = lc;
    auto blank = [&](size_t at, size_t n) {
      std::fill(used.begin() + at, used.begin() + std::min(at + n, used.size()), ' ');
    };
    for (Sv inert : {".__version__", "shutil.which", "platform.system(", "socket.gethostname", "path.cwd("})
      for (size_t at = used.find(inert); at != std::string::npos; at = used.find(inert, at + 1)) {
        // The module path before it goes too (`pathlib.Path.cwd()`).
        size_t from = at;
        while (from > 0 && (std::isalnum(static_cast<unsigned char>(used[from - 1])) || used[from - 1] == '_' ||
                            used[from - 1] == '.'))
          --from;
        blank(from, at - from + inert.size());
      }
    // `import m` (no alias, no `from`) of a module the code then mentions
    // nowhere else (its version check gone above) uses nothing of it.
    for (size_t line = 0; line < used.size();) {
      size_t end = used.find_first_of("\n;", line);
      if (end == std::string::npos) end = used.size();
      size_t first = used.find_first_not_of(" \t", line);
      if (first < end && used.compare(first, 7, "import ") == 0) {
        std::string stmt = used.substr(first, end - first);
        if (stmt.find(" as ") == std::string::npos) {
          std::string rest = used;
          std::fill(rest.begin() + first, rest.begin() + end, ' ');
          bool unused = true;
          for (size_t at = 7; at < stmt.size() && unused;) {
            size_t comma = std::min(stmt.find(',', at), stmt.size());
            std::string m = stmt.substr(at, comma - at);
            m.erase(0, m.find_first_not_of(' '));
            m.erase(m.find_last_not_of(' ') + 1);
            if (!m.empty() && rest.find(m) != std::string::npos) unused = false;
            at = comma + 1;
          }
          if (unused) blank(first, end - first);
        }
      }
      line = end + 1;
    }
    bool url_named = false, path_named = false;
    // URLs, as written.
    int urls = 0;
    for (size_t at = lc.find("://"); at != std::string::npos; at = lc.find("://", at + 3)) {
      if (++urls > 256) {
        opaque(name + " code names more than 256 URLs");
        break;
      }
      size_t from = at;
      while (from > 0 && std::isalpha(static_cast<unsigned char>(lc[from - 1]))) --from;
      size_t to = code.find_first_of(" \t\r\n\"'`<>(){}[],;\\", at + 3);
      Sv url = code.substr(from, to == Sv::npos ? Sv::npos : to - from);
      if (from == at) continue;
      if (add_target_value(url, url, false, false)) url_named = true;
    }
    // Quoted strings that name files. Perl opens a file it names by an
    // expression without parentheses (`open F, ".e" . "nv"`): a path-like
    // piece joined to another there names a file none of its pieces does.
    bool built = false;
    int strings = 0, paths = 0;
    const int max_strings = file ? 8192 : 64, max_paths = file ? 256 : 64;
    size_t scanned_to = 0;
    for (size_t i = 0; i < code.size() && strings < max_strings && paths < max_paths; ++i) {
      char q = code[i];
      if (q != '"' && q != '\'') continue;
      // The closing quote, past escaped ones (`'\''` is one quote).
      size_t end = i + 1;
      while (end < code.size() && code[end] != q) end += code[end] == '\\' ? 2 : 1;
      if (end >= code.size()) {
        built = true;  // a quote that does not close: the strings cannot be told apart
        break;
      }
      Sv lit = code.substr(i + 1, end - i - 1);
      i = end;
      scanned_to = end + 1;
      ++strings;
      // A path-like piece joined to another names a file neither does:
      // `'.e' + 'nv'`, `".e" << "nv"`, adjacent `'.e' 'nv'`, and Perl's
      // `".e" . "nv"` (its open takes an expression without parentheses).
      if (!lit.empty() && (lit[0] == '.' || lit[0] == '/' || lit[0] == '~' || file_name_like(lit))) {
        size_t after = i + 1, before = i - lit.size() - 1;
        while (after < code.size() && (code[after] == ' ' || code[after] == '\t')) ++after;
        while (before > 0 && (code[before - 1] == ' ' || code[before - 1] == '\t')) --before;
        const char next = after < code.size() ? code[after] : '\0', prev = before > 0 ? code[before - 1] : '\0';
        if (next == '+' || next == '<' || next == '"' || next == '\'' || prev == '+' ||
            (name == "perl" && (next == '.' || next == 'x' || prev == '.')))
          built = true;
      }
      if (lit.empty() || lit.size() > 4096 || lit.find("://") != Sv::npos || lit.find('\n') != Sv::npos) continue;
      // The argument of a call that takes a path (`Path('src')`,
      // `rmtree('build')`, `readdirSync('src')`) is one, however it looks.
      bool path_argument = false;
      {
        size_t b = i - lit.size() - 1;  // the opening quote (i is at the closing one)
        while (b > 0 && code[b - 1] == ' ') --b;
        if (b > 0 && code[b - 1] == '(') {
          size_t e = b - 1, f = e;
          while (f > 0 && (std::isalnum(static_cast<unsigned char>(code[f - 1])) || code[f - 1] == '_')) --f;
          std::string fn = lower(code.substr(f, e - f));
          path_argument = one_of(
              fn, {"path",       "open",   "listdir",   "scandir",  "walk",  "rmtree",       "readdirsync", "readdir",
                   "exists",     "isdir",  "isfile",    "glob",     "iglob", "readfilesync", "statsync",    "stat",
                   "existssync", "rmsync", "mkdirsync", "makedirs", "mkdir", "copytree",     "rm"});
        }
      }
      bool pathlike = path_argument || lit[0] == '/' || lit[0] == '~' || starts_with(lit, "./") ||
                      starts_with(lit, "../") || (lit[0] == '.' && lit.size() > 1 && lit.find(' ') == Sv::npos) ||
                      (lit.find('/') != Sv::npos && lit.find(' ') == Sv::npos) || (!file && file_name_like(lit));
      if (!pathlike) continue;
      ++paths;
      out_.redirections.push_back({std::string(lit), false, false, false});
      if (!file) out_.redirections.push_back({std::string(lit), true, false, false});
      path_named = true;
    }
    // Backquotes run shell commands in Perl, Ruby and PHP.
    bool shell_quotes = (name == "perl" || name == "ruby" || name == "php") && code.find('`') != Sv::npos;
    bool runs = shell_quotes;
    for (Sv k : kRuns) runs = runs || used.find(k) != std::string::npos;
    // `system(`, `exec(` however they are reached (`os.system(`,
    // `o.system(`, `Kernel.exec(`, `os .system (`), Perl's and Ruby's without
    // parentheses — but JavaScript's `exec(` is a regular expression's (its
    // child_process is named above). `platform.system()` is gone above.
    const bool js = name == "node" || name == "nodejs" || name == "bun" || name == "deno" || name == "tsx";
    for (Sv k : {"system", "exec"}) {
      if (js && k == "exec") continue;
      for (size_t at = used.find(k); at != std::string::npos && !runs; at = used.find(k, at + 1)) {
        size_t after = at + k.size();
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(used[at - 1])) || used[at - 1] == '_')) continue;
        if (after < used.size() && (std::isalnum(static_cast<unsigned char>(used[after])) || used[after] == '_'))
          continue;
        while (after < used.size() && used[after] == ' ') ++after;
        if (after < used.size() && (used[after] == '(' || used[after] == '"' || used[after] == '\'' ||
                                    used[after] == '{' || used[after] == '['))
          runs = true;
      }
    }
    if ((name == "perl" || name == "ruby") &&
        (used.find("qx") != std::string::npos || used.find("%x") != std::string::npos))
      runs = true;
    if (runs) return opaque(name + " code runs programs: " + clip(code));
    bool network = false;
    for (Sv k : kNetwork) network = network || used.find(k) != std::string::npos;
    if (network && !url_named) return opaque(name + " code uses the network: " + clip(code));
    if (file) return;
    bool files = false;
    for (Sv k : kFiles) files = files || used.find(k) != std::string::npos;
    for (Sv k : {"file_get_contents", "binread", "fileinput", "linecache", "fileio", "readstream", "file.new", "file(",
                 "file::read", "getattr(", "eval(", "__builtins__", "__import__"})
      files = files || used.find(k) != std::string::npos;
    // Perl's `open F, "…"` and `open(my $f, …)`, `-e $x` file tests aside.
    if (name == "perl") {
      for (size_t at = used.find("open"); at != std::string::npos && !files; at = used.find("open", at + 1)) {
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(used[at - 1])) || used[at - 1] == '_')) continue;
        size_t p = at + 4;
        while (p < used.size() && used[p] == ' ') ++p;
        // `open F, …`, `open(my $f, …)`, `open $fh, …` — not the word in a pattern.
        files = p > at + 4 || (p < used.size() && used[p] == '(')
                    ? p < used.size() &&
                          (std::isalpha(static_cast<unsigned char>(used[p])) || used[p] == '$' || used[p] == '(')
                    : false;
      }
    }
    // A path computed in the code (`expanduser`, `Path.home()`, `chr(126)`)
    // is one it does not name, whatever else it names.
    bool computed_path = built || file_call_computes_path(lc, code);
    for (Sv k : {"expanduser", ".home(", "homedir(", "chr(", "fromhex", "b64decode", "unhexlify", "fromcharcode",
                 "getenv(", "environ[", "codecs.", "rot13"})
      computed_path = computed_path || used.find(k) != std::string::npos;
    // Past the strings it reads, what the code names is not known whole.
    if (strings >= max_strings && code.find_first_of("'\"", scanned_to) != Sv::npos) computed_path = true;
    if (files && (!path_named || computed_path))
      opaque(name + " code touches files Tollgate cannot name: " + clip(code));
  }

  Stream echo_output(const Words& w, size_t b) {
    bool newline = true, escapes = false;
    size_t k = b;
    for (; k < w.size(); ++k) {
      const std::string& v = w[k].value;
      if (w[k].unknown()) break;
      if (v.size() < 2 || v[0] != '-' || v.find_first_not_of("neE", 1) != kNpos) break;
      for (char c : v.substr(1)) {
        if (c == 'n') newline = false;
        if (c == 'e') escapes = true;
        if (c == 'E') escapes = false;
      }
    }
    std::string body;
    bool dyn = false, download = false;
    bool stop = false;
    for (size_t j = k; j < w.size() && !stop; ++j) {
      if (j > k) body += ' ';
      body += escapes ? decode_escapes(w[j].value, true, &stop) : w[j].value;
      dyn = dyn || w[j].unknown();
      download = download || w[j].download;
    }
    if (download) return Stream::download();
    if (newline && !stop) body += '\n';
    return Stream::text_of(body, dyn);
  }

  Stream printf_output(const Words& w, size_t b) {
    size_t k = b;
    if (k < w.size() && w[k].value == "--") ++k;
    if (k < w.size() && starts_with(w[k].value, "-v")) return Stream::empty();
    if (k >= w.size()) return Stream::empty();
    bool download = false, dyn = false;
    for (size_t j = k; j < w.size(); ++j) {
      download = download || w[j].download;
      dyn = dyn || w[j].unknown();
    }
    if (download) return Stream::download();
    Sv fmt = w[k].value;
    size_t arg = k + 1;
    std::string out;
    for (int pass = 0; pass < 64 && out.size() <= kMaxCommandBytes; ++pass) {
      size_t arg_before = arg;
      for (size_t i = 0; i < fmt.size(); ++i) {
        char c = fmt[i];
        if (c == '\\') {
          size_t len = escape_length(fmt, i);
          out += decode_escapes(fmt.substr(i, len), false);
          i += len - 1;
          continue;
        }
        if (c != '%') {
          out += c;
          continue;
        }
        if (i + 1 >= fmt.size()) {
          out += c;
          continue;
        }
        char conv = fmt[++i];
        if (conv == '%') {
          out += '%';
        } else if (conv == 's' || conv == 'b') {
          std::string v = arg < w.size() ? w[arg].value : "";
          ++arg;
          out += conv == 'b' ? decode_escapes(v, true) : v;
        } else if (conv == 'c') {
          std::string v = arg < w.size() ? w[arg].value : "";
          ++arg;
          if (!v.empty()) out += v[0];
        } else {
          dyn = true;  // numeric and padded conversions are not evaluated
          out += '%';
          out += conv;
          ++arg;
        }
      }
      if (arg >= w.size() || arg == arg_before) break;  // bash reuses the format only while arguments remain
    }
    return Stream::text_of(out, dyn);
  }

  Stream transform(const Words& w, size_t b, const std::string& name, const Stream& in) {
    if (in.is_download()) return Stream::download();
    Stream out = Stream::unknown();
    out.obfuscated = true;
    out.decoder = name;
    bool decode = false;
    for (size_t k = b; k < w.size(); ++k) {
      Sv v = w[k].value;
      if (v == "-d" || v == "--decode" || v == "-D" ||
          (starts_with(v, "-") && !starts_with(v, "--") && v.find('d') != kNpos))
        decode = true;
    }
    if (decode) out.decoder = name + " -d";
    if (name == "base64" && decode && in.is_text() && !in.dynamic) {
      bool has_file = false;
      for (size_t k = b; k < w.size(); ++k) {
        if (!starts_with(w[k].value, "-")) has_file = true;
      }
      if (!has_file) {
        if (auto dec = base64_decode(in.text)) {
          out.kind = Stream::Kind::Text;
          out.text = *dec;
        }
      }
    }
    return out;
  }

  // What find's `{}` stands for (SimpleCommand::found): every file beneath
  // each root, and files of the names `-name`/`-iname`/`-path` select (in
  // lower case too for -iname). Unknown when a root is computed or read
  // from a file (`-files0-from`), a test is negated, or a regular
  // expression selects.
  std::vector<std::string> found_files(const Words& w, size_t b) const {
    size_t k = b;
    while (k < w.size() && !w[k].unknown() && (one_of(w[k].value, {"-H", "-L", "-P"}) || starts_with(w[k].value, "-O")))
      ++k;
    if (k < w.size() && !w[k].unknown() && w[k].value == "-D") k += 2;
    std::vector<std::string> roots, names;
    for (; k < w.size(); ++k) {
      const Word& x = w[k];
      if (!x.unknown() && (starts_with(x.value, "-") || one_of(x.value, {"(", "!", ","}))) break;
      if (x.unknown() || x.value.empty()) return {};
      roots.push_back(x.value);
    }
    if (roots.empty()) roots.push_back(".");
    // With alternatives (`-o`, `,`, `-prune`), a name test may not be what
    // selects the files `-exec` is given: then any name may be (`*`).
    bool alternatives = false;
    for (; k < w.size(); ++k) {
      const Word& x = w[k];
      if (x.unknown()) return {};
      if (one_of(x.value, {"-o", "-or", ",", "-prune"})) alternatives = true;
      if (one_of(x.value, {"-exec", "-execdir", "-ok", "-okdir"})) {
        // The command's words are its own, up to `;` or `+`.
        while (k + 1 < w.size() && !(!w[k + 1].unknown() && (w[k + 1].value == ";" || w[k + 1].value == "+"))) ++k;
        ++k;
        continue;
      }
      if (one_of(x.value, {"!", "-not", "-regex", "-iregex", "-files0-from"})) return {};
      if (one_of(x.value, {"-name", "-iname", "-path", "-ipath", "-wholename", "-iwholename"}) && k + 1 < w.size()) {
        if (w[k + 1].dynamic) return {};
        std::string n = w[k + 1].value;
        n = n.substr(n.rfind('/') == std::string::npos ? 0 : n.rfind('/') + 1);  // a path's last name
        if (n.empty()) return {};
        names.push_back(n);
        if (x.value[1] == 'i') {
          std::string lower_n = lower(n);
          if (lower_n != n) names.push_back(lower_n);
        }
        ++k;
      }
    }
    if (alternatives) names.push_back("*");
    std::vector<std::string> out;
    for (const auto& r : roots) {
      std::string root = r.size() > 1 && r.back() == '/' ? r.substr(0, r.size() - 1) : r;
      out.push_back(root + "/**");
      for (const auto& n : names) out.push_back(root + "/" + n);
    }
    return out;
  }

  void find_exec(const Words& w, size_t b) {
    const std::vector<std::string> found = found_files(w, b);
    for (size_t k = b; k < w.size(); ++k) {
      if (w[k].unknown() || !one_of(w[k].value, {"-exec", "-execdir", "-ok", "-okdir"})) continue;
      std::string label = "find " + w[k].value;
      Words inner;
      size_t j = k + 1;
      for (; j < w.size(); ++j) {
        if (!w[j].unknown() && (w[j].value == ";" || w[j].value == "+")) break;
        Word x = w[j];
        if (x.value.find("{}") != kNpos) x.dynamic = true;
        inner.push_back(std::move(x));
      }
      if (!inner.empty()) {
        if (nesting_ >= kMaxNesting) {
          opaque("nesting deeper than " + std::to_string(kMaxNesting) + " levels (" + label + ")");
        } else {
          ++nesting_;
          size_t slot = reserve();
          pending_found_ = found;  // for the command -exec runs (final_command)
          run_words(std::move(inner), {}, Stream::unknown(), slot, {label});
          pending_found_.clear();
          release(slot);
          --nesting_;
        }
      }
      k = j;
    }
  }

  bool ssh_has_remote_command(const Words& w, size_t b) const {
    Args a = parse_args(w, b, {"BbcDEeFIiJLlmOopQRSWw", "", ""}, false);
    return a.operands.size() >= 2;
  }

  // -------------------------------------------------------------------------
  // Network targets.

  // A variable that sends the programs after it through another host: a
  // proxy (http_proxy, HTTPS_PROXY, ALL_PROXY …) or a package index or
  // registry. That host is a network target like a URL in an argument.
  void endpoint_assignment(const std::string& name, Sv value, bool dynamic) {
    std::string n = lower(name);
    bool proxy = n.size() > 6 && n.compare(n.size() - 6, 6, "_proxy") == 0 && n != "no_proxy";
    bool index = one_of(
        n, {"pip_index_url", "pip_extra_index_url", "npm_config_registry", "yarn_registry", "yarn_npm_registry_server",
            "goproxy", "uv_index_url", "uv_extra_index_url", "uv_default_index", "poetry_repositories_url",
            "cargo_registry", "bundle_mirror", "gem_host", "composer_repo", "nuget_source", "maven_repo_url"});
    if ((!proxy && !index) || value.empty()) return;
    if (dynamic) return opaque("the proxy or registry in " + name + " is computed");
    size_t pos = 0;
    while (pos <= value.size()) {
      size_t end = value.find_first_of(",| ", pos);
      Sv one = value.substr(pos, end == Sv::npos ? Sv::npos : end - pos);
      if (!one.empty() && one != "direct" && one != "off") add_target_value(one, one, false, true);
      if (end == Sv::npos) break;
      pos = end + 1;
    }
  }

  void add_host(const std::string& h) {
    if (!h.empty() && seen_hosts_.insert(h).second) out_.hosts.push_back(h);
  }
  void add_url(const std::string& u) {
    if (seen_urls_.insert(u).second) out_.urls.push_back(u);
  }

  // A host as written ("Example.COM", "[::1]", "host:22"): validated and
  // canonicalised through parse_url.
  bool add_host_loose(Sv h) {
    if (h.empty()) return false;
    auto u = parse_url("ssh://" + std::string(h));
    if (!u || u->host.empty() || !u->path.empty()) {
      opaque("network host is not a plain host name: " + clip(h));
      return false;
    }
    add_host(u->host);
    return true;
  }

  // `value` as a URL; with schemeless, also `host[:port][/path]` as curl and
  // wget read it. Returns whether it named a target.
  // Only expansions make a target unknown: an unquoted `?` or `*` in a URL
  // is a glob bash leaves alone unless a file matches, and odd host bytes
  // fail parse_url and are reported anyway.
  bool add_target(const Word& w, bool schemeless) { return add_target_value(w.value, w.raw, w.dynamic, schemeless); }

  bool add_target_value(Sv value, Sv raw, bool unknown, bool schemeless) {
    std::string v(value);
    for (Sv pre : {"git+", "svn+", "hg+", "bzr+"}) {
      if (starts_with(lower(v), pre) && v.find("://") != kNpos) v = v.substr(pre.size());
    }
    if (unknown) {
      // Computed: the host is known only if the part before the first
      // expansion already holds a whole authority.
      size_t sep = v.find("://");
      size_t dollar = v.find_first_of("$`*?[{");
      if (sep != kNpos && dollar != kNpos && dollar > sep + 3) {
        size_t auth_end = v.find_first_of("/?#", sep + 3);
        if (auth_end != kNpos && auth_end < dollar) {
          if (auto u = parse_url(v.substr(0, auth_end))) {
            add_host(u->host);
            add_url(std::string(raw));
            return true;
          }
        }
      }
      opaque("network target is computed: " + clip(raw));
      return true;
    }
    if (auto u = parse_url(v)) {
      if (u->scheme == "file") return true;
      add_url(std::string(value));
      add_host(u->host);
      return true;
    }
    if (v.find("://") != kNpos) {
      opaque("network target is not a plain URL: " + clip(value));
      return true;
    }
    // curl reads `http:/host` and `http:host` as http://host, and `@host`
    // as a URL with an empty user: each is a target.
    for (Sv scheme : {"http:", "https:", "ftp:", "ftps:"}) {
      if (!starts_with(lower(v), scheme)) continue;
      size_t host = v.find_first_not_of("/\\", scheme.size());
      if (host != kNpos) return add_target_value(std::string(scheme) + "//" + v.substr(host), raw, false, false);
    }
    if (schemeless && v.size() > 1 && v[0] == '@' && v[1] != '@')
      return add_target_value(Sv(v).substr(1), raw, false, true);
    if (!schemeless || v.empty() || v[0] == '-' || v[0] == '@' || v[0] == '/' || v[0] == '.') return false;
    auto u = parse_url("http://" + v);
    if (!u) return false;
    bool hosty = u->host.find('.') != kNpos || u->host == "localhost" || u->host.find(':') != kNpos;
    if (!hosty) return false;
    add_url("http://" + v);
    add_host(u->host);
    return true;
  }

  // Generic scan: every argument (or --opt=value, key=value) that is a URL.
  void scan_urls(const Words& w, size_t b) {
    for (size_t k = b; k < w.size(); ++k) {
      const Word& x = w[k];
      if (x.dynamic) continue;
      size_t eq = x.value.find('=');
      size_t sep = x.value.find("://");
      if (sep == kNpos) continue;
      if (eq != kNpos && eq < sep) {
        add_target_value(x.value.substr(eq + 1), x.raw, false, false);  // --index-url=URL, registry=URL
      } else if (x.value[0] != '-') {
        add_target_value(x.value, x.raw, false, false);
      }
    }
  }

  // An ssh-style destination: [user@]host, ssh://…
  void ssh_destination(const Word& x) {
    if (x.dynamic) {
      opaque("network target is computed: " + clip(x.raw));
      return;
    }
    if (x.value.find("://") != kNpos) {
      add_target(x, false);
      return;
    }
    Sv v = x.value;
    size_t at = v.rfind('@');
    Sv host = at == kNpos ? v : v.substr(at + 1);
    add_host_loose(host);
  }

  // scp/rsync operand: remote if it has a colon before any slash
  // (`[user@]host:path`, rsync's `host::module`).
  void remote_path(const Word& x) {
    if (x.dynamic) {
      if (x.value.find(':') != kNpos || x.value.find('@') != kNpos)
        opaque("network target is computed: " + clip(x.raw));
      return;
    }
    Sv v = x.value;
    if (v.find("://") != kNpos) {
      add_target(x, false);
      return;
    }
    size_t colon = v.find(':');
    if (colon == kNpos || colon == 0) return;
    if (v.substr(0, colon).find('/') != kNpos) return;
    Sv userhost = v.substr(0, colon);
    size_t at = userhost.rfind('@');
    Sv host = at == kNpos ? userhost : userhost.substr(at + 1);
    if (host.empty()) return;
    if (host.front() == '[' && host.back() != ']') return;
    if (add_host_loose(host)) add_url(std::string(v));
  }

  void ssh_options(const Args& a) {
    for (const auto& o : a.opts) {
      // Forwarded ports relay to hosts the remote end contacts (`-L
      // 8080:evil.example:80 localhost`): not decided on the ssh host.
      if (one_of(o.name, {"-L", "-R", "-D", "-w"})) opaque("ssh " + o.name + " forwards connections elsewhere");
      if (o.name == "-J" && o.has_value) {
        size_t start = 0;
        Sv v = o.value;
        while (start <= v.size()) {
          size_t comma = v.find(',', start);
          Sv part = v.substr(start, comma == kNpos ? kNpos : comma - start);
          if (!part.empty()) {
            Word x;
            x.value = x.raw = std::string(part);
            x.dynamic = o.dynamic;
            std::string hp = x.value;
            size_t at = hp.rfind('@');
            if (at != kNpos) hp = hp.substr(at + 1);
            if (!hp.empty() && hp[0] != '[') hp = hp.substr(0, hp.find(':'));
            x.value = hp;
            ssh_destination(x);
          }
          if (comma == kNpos) break;
          start = comma + 1;
        }
      } else if (o.name == "-o" && o.has_value) {
        std::string v = o.value;
        size_t sep = v.find_first_of("= \t");
        std::string key = lower(v.substr(0, sep));
        std::string val =
            sep == kNpos
                ? ""
                : v.substr(v.find_first_not_of("= \t", sep) == kNpos ? v.size() : v.find_first_not_of("= \t", sep));
        if (one_of(key, {"localforward", "remoteforward", "dynamicforward", "tunnel"}))
          opaque("ssh -o " + key + " forwards connections elsewhere");
        if (one_of(key, {"proxycommand", "localcommand", "knownhostscommand", "remotecommand"})) {
          if (key == "remotecommand") continue;
          Word x;
          x.value = val;
          x.raw = v;
          x.dynamic = o.dynamic;
          run_script_word(x, Stream::unknown(), "ssh " + key);
        } else if (one_of(key, {"hostname", "proxyjump"})) {
          Word x;
          x.value = x.raw = val;
          x.dynamic = o.dynamic;
          size_t at = x.value.rfind('@');
          if (at != kNpos) x.value = x.value.substr(at + 1);
          if (!x.value.empty() && x.value[0] != '[') x.value = x.value.substr(0, x.value.find(':'));
          if (key == "proxyjump" && val == "none") continue;
          ssh_destination(x);
        }
      } else if (o.name == "-F" && o.has_value) {
        opaque("ssh reads configuration from " + clip(o.value));
      } else if (o.name == "-W" && o.has_value) {
        std::string hp = o.value;
        if (!hp.empty() && hp[0] != '[') hp = hp.substr(0, hp.find(':'));
        Word x;
        x.value = hp;
        x.raw = o.value;
        x.dynamic = o.dynamic;
        ssh_destination(x);
      }
    }
  }

  void network(const Words& w, size_t b, const std::string& name) {
    if (one_of(name,
               {"mail", "mailx", "bsd-mailx", "s-nail", "mutt", "neomutt", "sendmail", "msmtp", "ssmtp", "swaks"})) {
      // Mail leaves for the recipients' domains (through whatever relay
      // is configured); recipients read from the message are unknown.
      bool named = false;
      for (size_t k = b; k < w.size(); ++k) {
        const Word& x = w[k];
        if (one_of(x.value, {"-t", "--read-recipients"}) && name != "swaks") {
          opaque(name + " takes its recipients from the message");
          return;
        }
        if (starts_with(x.value, "-") && !starts_with(x.value, "--to=")) continue;
        Sv v = x.value;
        if (starts_with(v, "--to=")) v.remove_prefix(5);
        if (mail_recipient(v, x)) named = true;
      }
      if (!named && name != "sendmail" && name != "msmtp" && name != "ssmtp")
        opaque(name + " sends to recipients Tollgate cannot name");
      return;
    }
    if (name == "getent") {
      // A name look-up reaches the DNS: data can leave in the name itself.
      if (b < w.size() && one_of(w[b].value, {"hosts", "ahosts", "ahostsv4", "ahostsv6"})) {
        for (size_t k = b + 1; k < w.size(); ++k) {
          if (w[k].unknown()) {
            opaque("name looked up is computed: " + clip(w[k].raw));
          } else {
            add_host_loose(w[k].value);
          }
        }
      }
      return;
    }
    if (name == "gh" || name == "glab") {
      // The forges' own clients reach their API without naming it; what
      // they bring back (issues, pull requests, comments) is someone
      // else's text.
      Args a = parse_args(w, b, {"R", "hostname repo", ""}, true);
      scan_urls(w, b);
      if (const Opt* r = a.find({"-R", "--repo"}); r && r->has_value) {
        // HOST/OWNER/REPO names another host.
        if (r->dynamic) return opaque("repository is computed: " + clip(r->value));
        if (std::count(r->value.begin(), r->value.end(), '/') >= 2) {
          add_host_loose(r->value.substr(0, r->value.find('/')));
          return;
        }
      }
      if (a.operands.empty() || w[a.operands[0]].unknown()) return;
      if (one_of(w[a.operands[0]].value, {"help", "version", "completion", "config", "alias", "--version"})) return;
      if (const Opt* h = a.find({"--hostname"}); h && h->has_value) {
        if (h->dynamic) {
          opaque("network target is computed: " + clip(h->value));
        } else {
          add_host_loose(h->value);
        }
        return;
      }
      add_host(name == "gh" ? "api.github.com" : "gitlab.com");
      return;
    }
    if (name == "curl" || name == "curlie") {
      Args a = parse_args(
          w, b,
          {"AbcCdDeEFHKmoPQrtTuUwxXyYz",
           "data data-ascii data-binary data-raw data-urlencode header output user-agent user proxy request referer "
           "cookie cookie-jar form form-string upload-file config max-time connect-timeout retry write-out resolve "
           "connect-to cacert capath cert key output-dir json url proxy-user range continue-at dump-header interface "
           "limit-rate max-filesize noproxy oauth2-bearer pass preproxy socks4 socks4a socks5 socks5-hostname "
           "unix-socket abstract-unix-socket variable retry-delay retry-max-time expect100-timeout keepalive-time "
           "max-redirs proxy-header proto proto-redir proto-default cert-type key-type ciphers engine hostpubmd5 "
           "hostpubsha256 krb local-port login-options mail-auth mail-from mail-rcpt netrc-file proxy-cacert "
           "proxy-cert proxy-key quote random-file speed-limit speed-time stderr telnet-option time-cond tls-max "
           "tlsuser tlspassword trace trace-ascii url-query aws-sigv4 doh-url dns-servers dns-interface "
           "dns-ipv4-addr dns-ipv6-addr etag-compare etag-save haproxy-clientip happy-eyeballs-timeout-ms ftp-port "
           "ftp-account ftp-alternative-to-user create-file-mode parallel-max proxy-service-name service-name "
           "sasl-authzid socks5-gssapi-service delegation ech ip-tos mptcp vlan-priority",
           ""},
          true);
      for (size_t k : a.operands) add_target(w[k], true);
      if (a.dynamic_option) opaque("curl options are computed");
      for (const auto& o : a.opts) {
        if (!o.has_value) continue;
        if (one_of(o.name, {"--url"})) {
          add_target_value(o.value, o.value, o.dynamic, true);
        } else if (one_of(o.name, {"-x", "--proxy", "--preproxy", "--socks4", "--socks4a", "--socks5",
                                   "--socks5-hostname", "--doh-url"})) {
          if (o.dynamic || o.value.find("://") != kNpos) {
            add_target_value(o.value, o.value, o.dynamic, false);
          } else {
            add_host_loose(o.value);
          }
        } else if (one_of(o.name,
                          {"--resolve", "--connect-to", "--dns-servers", "--unix-socket", "--abstract-unix-socket"})) {
          // A socket (`--unix-socket /var/run/docker.sock`) reaches whatever
          // serves it, whatever host the URL names.
          opaque("curl " + o.name + " changes which address a host name reaches");
        } else if (one_of(o.name, {"-K", "--config"})) {
          opaque("curl reads options from " + clip(o.value));
        } else if (one_of(o.name, {"-o", "--output"}) && o.value != "-") {
          file_access(output_dir(a) + o.value, o.value, true, false, o.dynamic);
          remember_file(output_dir(a) + o.value, Stream::download(), false);
        } else if (one_of(o.name, {"-c", "--cookie-jar", "-D", "--dump-header", "--etag-save", "--trace",
                                   "--trace-ascii", "--stderr"}) &&
                   o.value != "-") {
          file_access(o.value, o.value, true, false, o.dynamic);
        } else if (one_of(o.name, {"-T", "--upload-file", "--netrc-file", "--etag-compare"})) {
          file_access(o.value, o.value, false, false, o.dynamic);
        } else if (one_of(o.name, {"-d", "--data", "--data-binary", "--data-ascii", "--data-urlencode", "--json"})) {
          // @file sends a file's contents (--data-urlencode: name@file).
          size_t at = o.value.find('@');
          bool whole = at == 0;
          if (o.name == "--data-urlencode" && at != kNpos && o.value.substr(0, at).find('=') == kNpos) whole = true;
          if (whole && at + 1 < o.value.size())
            file_access(Sv(o.value).substr(at + 1), o.value, false, false, o.dynamic);
        } else if (one_of(o.name, {"-F", "--form"})) {
          // name=@file uploads a file; name=<file sends its contents.
          size_t eq = o.value.find('=');
          if (eq != kNpos && eq + 1 < o.value.size() && (o.value[eq + 1] == '@' || o.value[eq + 1] == '<')) {
            std::string f = o.value.substr(eq + 2);
            f = f.substr(0, f.find(';'));
            file_access(f, o.value, false, false, o.dynamic);
          }
        } else if (one_of(o.name, {"-b", "--cookie"}) && o.value.find('=') == kNpos) {
          file_access(o.value, o.value, false, false, o.dynamic);
        }
      }
      if (a.has({"-O", "--remote-name", "--remote-name-all"})) {
        for (size_t k : a.operands) {
          if (w[k].dynamic) continue;
          file_access(output_dir(a) + remote_name(w[k].value), w[k].raw, true, false, false);
          remember_file(output_dir(a) + remote_name(w[k].value), Stream::download(), false);
        }
      }
      return;
    }
    if (name == "wget" || name == "wget2") {
      Args a = parse_args(w, b,
                          {"oaeOiBtTwQPUlARDXIFhn",
                           "output-file append-output execute output-document input-file base tries timeout wait "
                           "quota directory-prefix user-agent level accept reject domains exclude-directories "
                           "include-directories header post-data post-file user password method body-data "
                           "body-file referer load-cookies save-cookies ca-certificate certificate private-key "
                           "bind-address dns-timeout connect-timeout read-timeout limit-rate http-user "
                           "http-password proxy-user proxy-password ftp-user ftp-password cut-dirs "
                           "default-page restrict-file-names config e-robots",
                           ""},
                          true);
      for (size_t k : a.operands) add_target(w[k], true);
      if (a.dynamic_option) opaque("wget options are computed");
      std::string prefix;
      if (const Opt* p = a.find({"-P", "--directory-prefix"}); p && p->has_value) prefix = p->value + "/";
      const Opt* doc = a.find({"-O", "--output-document"});
      for (const auto& o : a.opts) {
        if (one_of(o.name, {"-i", "--input-file"})) opaque("wget reads its URLs from " + clip(o.value));
        if (one_of(o.name, {"-e", "--execute"}) && o.has_value) {
          std::string v = lower(o.value);
          size_t eq = v.find('=');
          if (eq != kNpos && v.find("proxy") != kNpos && v.find("use_proxy") == kNpos) {
            add_target_value(Sv(o.value).substr(eq + 1), o.value, o.dynamic, true);
          }
        }
      }
      for (const auto& o : a.opts) {
        if (!o.has_value) continue;
        if (one_of(o.name, {"-o", "--output-file", "-a", "--append-output", "--save-cookies"})) {
          file_access(o.value, o.value, true, o.name == "-a" || o.name == "--append-output", o.dynamic);
        } else if (one_of(o.name, {"-i", "--input-file", "--post-file", "--body-file", "--load-cookies"})) {
          file_access(o.value, o.value, false, false, o.dynamic);
        }
      }
      if (doc && doc->has_value) {
        if (doc->value != "-") {
          file_access(doc->value, doc->value, true, false, doc->dynamic);
          remember_file(doc->value, Stream::download(), false);
        }
      } else {
        for (size_t k : a.operands) {
          if (w[k].dynamic) continue;
          file_access(prefix + remote_name(w[k].value), w[k].raw, true, false, false);
          remember_file(prefix + remote_name(w[k].value), Stream::download(), false);
        }
      }
      return;
    }
    if (one_of(name, {"http", "https", "xh", "xhs"})) {
      Args a = parse_args(
          w, b, {"aAopvFs", "auth auth-type output print verify cert cert-key session session-read-only proxy", ""},
          false);
      size_t k = 0;
      if (k < a.operands.size() && !w[a.operands[k]].dynamic &&
          w[a.operands[k]].value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == kNpos)
        ++k;
      if (k < a.operands.size()) {
        const Word& u = w[a.operands[k]];
        if (!u.dynamic && starts_with(u.value, ":")) {
          add_host("localhost");
          add_url("http://localhost" + u.value);
        } else {
          add_target(u, true);
        }
      }
      for (const auto& o : a.opts) {
        if (o.name == "--proxy" && o.has_value) {
          size_t colon = o.value.find(':');
          if (colon != kNpos) add_target_value(Sv(o.value).substr(colon + 1), o.value, o.dynamic, false);
        }
      }
      return;
    }
    if (name == "aria2c") {
      Args a = parse_args(
          w, b,
          {"odsxjiUlcp",
           "out dir split max-connection-per-server input-file user-agent log all-proxy http-proxy https-proxy", ""},
          true);
      for (size_t k : a.operands) add_target(w[k], false);
      if (a.has({"-i", "--input-file"})) opaque("aria2c reads its URLs from a file");
      if (const Opt* o = a.find({"-o", "--out"}); o && o->has_value) {
        remember_file(o->value, Stream::download(), false);
      } else {
        for (size_t k : a.operands) {
          if (!w[k].dynamic) remember_file(remote_name(w[k].value), Stream::download(), false);
        }
      }
      return;
    }
    if (one_of(name, {"ssh", "mosh", "ssh-copy-id"})) {
      Args a = parse_args(w, b, {"BbcDEeFIiJLlmOopQRSWwt", "ssh port", ""}, false);
      if (a.dynamic_option) opaque(name + " options are computed");
      ssh_options(a);
      if (!a.operands.empty()) {
        ssh_destination(w[a.operands[0]]);
        // OpenSSH reads options again right after the destination
        // (`ssh host -o ProxyCommand=…`): those count as well.
        if (a.operands[0] + 1 < w.size() && w[a.operands[0]].value != "--") {
          Args after = parse_args(w, a.operands[0] + 1, {"BbcDEeFIiJLlmOopQRSWwt", "ssh port", ""}, false);
          if (after.dynamic_option) opaque(name + " options are computed");
          ssh_options(after);
        }
      }
      return;
    }
    if (name == "ssh-keyscan") {
      Args a = parse_args(w, b, {"fpTt", "", ""}, true);
      for (size_t k : a.operands) ssh_destination(w[k]);
      return;
    }
    if (name == "scp") {
      Args a = parse_args(w, b, {"cFiJloPSDX", "", ""}, true);
      ssh_options(a);
      for (size_t k : a.operands) remote_path(w[k]);
      if (const Opt* s = a.find({"-S"}); s && s->has_value) opaque("scp runs " + clip(s->value) + " as its transport");
      return;
    }
    if (name == "sftp") {
      Args a = parse_args(w, b, {"BbcDFiJloPRSs", "", ""}, false);
      ssh_options(a);
      if (!a.operands.empty()) {
        const Word& d = w[a.operands[0]];
        if (d.value.find("://") != kNpos || d.dynamic) {
          add_target(d, false);
        } else {
          Word x = d;
          x.value = x.value.substr(0, x.value.find(':'));
          ssh_destination(x);
        }
      }
      return;
    }
    if (name == "rsync") {
      Args a = parse_args(
          w, b,
          {"eBfTM",
           "rsh rsync-path exclude include filter files-from exclude-from include-from password-file port log-file "
           "backup-dir suffix chmod chown compare-dest copy-dest link-dest temp-dir partial-dir max-size min-size "
           "bwlimit timeout contimeout address sockopts out-format log-file-format usermap groupmap iconv "
           "checksum-choice compress-choice block-size max-delete modify-window info debug skip-compress outbuf "
           "remote-option write-batch only-write-batch read-batch protocol checksum-seed stop-after stop-at",
           ""},
          true);
      for (size_t k : a.operands) remote_path(w[k]);
      if (const Opt* e = a.find({"-e", "--rsh"}); e && e->has_value) {
        Word x;
        x.value = e->value;
        x.raw = e->value;
        x.dynamic = e->dynamic;
        run_script_word(x, Stream::unknown(), "rsync -e");
      }
      return;
    }
    if (one_of(name, {"nc", "ncat", "netcat", "nc.openbsd", "nc.traditional"})) {
      Args a = parse_args(w, b,
                          {"bcegGiImMoOpPqsTVwWxXd",
                           "exec sh-exec lua-exec proxy proxy-type proxy-auth source-port source wait idle-timeout "
                           "output hex-dump allow allowfile deny denyfile max-conns ssl-cert ssl-key ssl-trustfile "
                           "ssl-ciphers ssl-servername ssl-alpn append-output",
                           ""},
                          true);
      bool listen = a.has({"-l", "--listen"});
      if (!listen && !a.operands.empty()) {
        const Word& h = w[a.operands[0]];
        if (h.dynamic) {
          opaque("network target is computed: " + clip(h.raw));
        } else if (!all_digits(h.value)) {
          add_host_loose(h.value);
        }
      }
      for (const auto& o : a.opts) {
        if (!o.has_value) continue;
        if (one_of(o.name, {"-x", "--proxy"})) {
          std::string hp = o.value;
          if (!hp.empty() && hp[0] != '[') hp = hp.substr(0, hp.find(':'));
          add_host_loose(hp);
        } else if (one_of(o.name, {"-e", "--exec"})) {
          Words inner;
          Word x;
          x.value = x.raw = o.value;
          x.dynamic = o.dynamic;
          inner.push_back(x);
          size_t slot = reserve();
          run_words(std::move(inner), {}, Stream::download(), slot, {name + " -e"});
          release(slot);
        } else if (one_of(o.name, {"-c", "--sh-exec"})) {
          Word x;
          x.value = x.raw = o.value;
          x.dynamic = o.dynamic;
          run_script_word(x, Stream::download(), name + " -c");
        } else if (o.name == "--lua-exec") {
          opaque(name + " runs a Lua script for each connection");
        }
      }
      return;
    }
    if (name == "socat") {
      Args a = parse_args(w, b, {"dDlLvhxT", "", ""}, true);
      for (size_t k : a.operands) socat_address(w[k]);
      return;
    }
    if (one_of(name, {"telnet", "ftp", "tftp", "lftp"})) {
      Args a = parse_args(w, b, {name == "lftp" ? "epuU" : "lbenXk", "", ""}, false);
      if (!a.operands.empty()) {
        const Word& h = w[a.operands[0]];
        if (h.value.find("://") != kNpos || h.dynamic) {
          add_target(h, false);
        } else {
          Word x = h;
          ssh_destination(x);
        }
      }
      return;
    }
    if (one_of(name, {"ping", "ping6", "traceroute", "traceroute6", "tracepath", "mtr", "whois", "nmap", "dig", "host",
                      "nslookup", "drill"})) {
      Args a = parse_args(w, b,
                          {name == "dig"    ? "bcfkpqtxy"
                           : name == "nmap" ? "iopeDgS"
                                            : "cfiIlmMpQsStTwWhF",
                           "", ""},
                          true);
      for (size_t k : a.operands) {
        const Word& x = w[k];
        if (x.dynamic) {
          opaque("network target is computed: " + clip(x.raw));
          continue;
        }
        Sv v = x.value;
        if (name == "dig" && starts_with(v, "@")) v.remove_prefix(1);
        if (name == "dig" && (starts_with(v, "+") || one_of(lower(v), {"a", "aaaa", "mx", "txt", "ns", "cname", "soa",
                                                                       "any", "ptr", "srv", "in"})))
          continue;
        auto u = parse_url("ssh://" + std::string(v));
        if (u && u->path.empty() &&
            (u->host.find('.') != kNpos || u->host.find(':') != kNpos || u->host == "localhost"))
          add_host(u->host);
      }
      return;
    }
    if (name == "git") {
      // difftool's -x/--extcmd runs a command for each file.
      bool difftool = false;
      for (size_t k = b; k < w.size(); ++k) {
        const std::string& v = w[k].value;
        difftool = difftool || v == "difftool";
        if (difftool && (v == "-x" || v == "--extcmd" || starts_with(v, "--extcmd=")))
          opaque("git difftool runs a command given to it");
        if (starts_with(v, "--template")) opaque("git installs hooks from a template directory");
      }
      git(w, b);
      return;
    }
    if (one_of(name, {"docker", "podman", "nerdctl"})) {
      Args a = parse_args(w, b, {"Hcl", "host context config log-level tlscacert tlscert tlskey", ""}, false);
      if (const Opt* h = a.find({"-H", "--host"}); h && h->has_value)
        add_target_value(h->value, h->value, h->dynamic, false);
      if (a.operands.empty()) return;
      size_t sub = a.operands[0];
      std::string cmd = w[sub].value;
      if (cmd == "image" && sub + 1 < w.size()) cmd = w[++sub].value;
      if (one_of(cmd, {"pull", "push"})) {
        Args p = parse_args(w, sub + 1, {"a", "platform", ""}, true);
        if (!p.operands.empty()) image_registry(w[p.operands[0]]);
      } else if (cmd == "login" || cmd == "logout") {
        Args p = parse_args(w, sub + 1, {"up", "username password", ""}, true);
        if (p.operands.empty()) {
          add_host("docker.io");
        } else {
          const Word& r = w[p.operands[0]];
          if (r.dynamic || r.value.find("://") != kNpos) {
            add_target(r, false);
          } else {
            add_host_loose(r.value);
          }
        }
      } else {
        scan_urls(w, sub + 1);
      }
      return;
    }
    if (name == "openssl") {
      // openssl options are single-dash words: -connect host:port.
      if (b < w.size() && w[b].value == "s_client") {
        for (size_t k = b + 1; k + 1 < w.size(); ++k) {
          if (!one_of(w[k].value, {"-connect", "-proxy", "-host"})) continue;
          const Word& v = w[++k];
          if (v.dynamic) {
            opaque("network target is computed: " + clip(v.raw));
          } else {
            add_host_loose(v.value);
          }
        }
      }
      return;
    }
    // Package managers and other clients: explicit URLs only.
    scan_urls(w, b);
    if (one_of(name, {"psql", "pg_dump", "mysql", "mariadb", "mysqldump", "redis-cli", "mongo", "mongosh"})) {
      Args a = parse_args(w, b, {"hUpdPuSaonF", "host", ""}, true);
      if (const Opt* h = a.find({"-h", "--host"}); h && h->has_value) {
        if (h->dynamic) {
          opaque("network target is computed: " + clip(h->value));
        } else if (!starts_with(h->value, "/")) {
          add_host_loose(h->value);
        }
      }
    }
  }

  std::string output_dir(const Args& a) const {
    if (const Opt* d = a.find({"--output-dir"}); d && d->has_value) return d->value + "/";
    return "";
  }

  static std::string remote_name(Sv url) {
    auto u = parse_url(url);
    std::string path = u ? u->path : std::string(url);
    path = path.substr(0, path.find_first_of("?#"));
    std::string base = basename_of(path);
    if (base.empty() || base == "/" || path.empty() || path.back() == '/') return "index.html";
    return base;
  }

  void socat_address(const Word& x) {
    if (x.unknown()) {
      opaque("socat address is computed: " + clip(x.raw));
      return;
    }
    Sv v = x.value;
    size_t colon = v.find(':');
    std::string kind = lower(v.substr(0, colon == kNpos ? v.find(',') : colon));
    Sv rest = colon == kNpos ? Sv() : v.substr(colon + 1);
    if (kind == "exec" || kind == "system") {
      std::string cmd(rest.substr(0, rest.find(',')));
      Word c;
      c.value = c.raw = cmd;
      run_script_word(c, Stream::download(), "socat " + kind);
      return;
    }
    static constexpr Sv kNet[] = {"tcp",
                                  "tcp4",
                                  "tcp6",
                                  "tcp-connect",
                                  "udp",
                                  "udp4",
                                  "udp6",
                                  "udp-connect",
                                  "udp-sendto",
                                  "openssl",
                                  "openssl-connect",
                                  "ssl",
                                  "sctp",
                                  "sctp-connect",
                                  "dccp",
                                  "dccp-connect",
                                  "socks",
                                  "socks4",
                                  "socks4a",
                                  "socks5",
                                  "proxy",
                                  "proxy-connect",
                                  "go-tcp",
                                  "sctp4",
                                  "sctp6"};
    bool net = false;
    for (Sv k : kNet) net = net || kind == k;
    if (!net) return;
    // TYPE:host:port[,opts]; SOCKS/PROXY: TYPE:proxy:host:port.
    std::string fields(rest.substr(0, rest.find(',')));
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      if (start < fields.size() && fields[start] == '[') {
        size_t close = fields.find(']', start);
        if (close == kNpos) break;
        parts.push_back(fields.substr(start, close - start + 1));
        start = close + 2;
        if (start > fields.size()) break;
        continue;
      }
      size_t c = fields.find(':', start);
      parts.push_back(fields.substr(start, c == kNpos ? kNpos : c - start));
      if (c == kNpos) break;
      start = c + 1;
    }
    size_t hosts = starts_with(kind, "socks") || starts_with(kind, "proxy") ? 2 : 1;
    for (size_t k = 0; k < hosts && k < parts.size(); ++k) {
      if (!parts[k].empty() && !all_digits(parts[k])) add_host_loose(parts[k]);
    }
  }

  void image_registry(const Word& x) {
    if (x.unknown()) {
      opaque("image reference is computed: " + clip(x.raw));
      return;
    }
    Sv v = x.value;
    size_t slash = v.find('/');
    if (slash != kNpos) {
      Sv first = v.substr(0, slash);
      if (first.find('.') != kNpos || first.find(':') != kNpos || first == "localhost") {
        add_host_loose(first);
        return;
      }
    }
    add_host("docker.io");
  }

  void git(const Words& w, size_t b) {
    Args g = parse_args(w, b, {"Cc", "git-dir work-tree namespace exec-path super-prefix config-env", ""}, false);
    for (const auto& o : g.opts) {
      if (o.name == "-c" && o.has_value) {
        std::string key = o.value.substr(0, o.value.find('='));
        if (o.dynamic || (is_risky_git_key(key) && !harmless_git_setting(o.value)))
          opaque("git -c " + clip(key) + " can run commands or redirect traffic");
      } else if (o.name == "--config-env" || o.name == "--exec-path") {
        opaque("git " + o.name + " can run commands or redirect traffic");
      }
    }
    if (g.operands.empty()) return;
    size_t sub = g.operands[0];
    if (w[sub].unknown()) {
      opaque("git subcommand is computed: " + clip(w[sub].raw));
      return;
    }
    const std::string& cmd = w[sub].value;
    auto remote_arg = [&](const Word& x, bool must_be_remote) {
      if (x.dynamic) {
        if (must_be_remote) opaque("git remote is computed: " + clip(x.raw));
        return;
      }
      Sv v = x.value;
      if (starts_with(lower(v), "ext::")) {
        opaque("git ext:: transport runs a command: " + clip(v));
        return;
      }
      if (v.find("://") != kNpos || parse_url(v)) add_target(x, false);
    };
    if (one_of(cmd, {"clone", "fetch", "pull", "push", "ls-remote", "archive"})) {
      // `push -u` is --set-upstream (a flag); elsewhere `-u` is --upload-pack.
      Args a = parse_args(w, sub + 1,
                          {cmd == "push" ? "oc" : "obujc",
                           "origin branch upload-pack template reference reference-if-able separate-git-dir depth "
                           "shallow-since shallow-exclude jobs filter config server-option receive-pack repo "
                           "push-option exec format prefix output remote recurse-submodules",
                           ""},
                          true);
      for (const auto& o : a.opts) {
        if (one_of(o.name, {"--upload-pack", "--receive-pack", "--exec"}) || (o.name == "-u" && cmd != "push")) {
          opaque("git " + o.name + " runs " + clip(o.value));
        } else if (one_of(o.name, {"-c", "--config"}) && o.has_value) {
          std::string key = o.value.substr(0, o.value.find('='));
          if (is_risky_git_key(key)) opaque("git -c " + clip(key) + " can run commands or redirect traffic");
        } else if (o.name == "--remote" && o.has_value) {
          Word x;
          x.value = x.raw = o.value;
          x.dynamic = o.dynamic;
          remote_arg(x, true);
        } else if (o.name == "--repo" && o.has_value) {
          Word x;
          x.value = x.raw = o.value;
          x.dynamic = o.dynamic;
          remote_arg(x, false);
        }
      }
      for (size_t k = 0; k < a.operands.size(); ++k) remote_arg(w[a.operands[k]], k == 0 && cmd != "archive");
      // A remote given by name, or none (the branch's): its URL is in the
      // repository's configuration.
      bool by_name = a.operands.empty() && !a.has({"--remote", "--repo"}) && cmd != "archive" && cmd != "clone";
      if (!a.operands.empty() && cmd != "clone" && cmd != "archive") {
        const Word& r = w[a.operands[0]];
        Sv v = r.value;
        by_name = !r.dynamic && !v.empty() && v.find("://") == kNpos && v.find('/') == kNpos && v.find(':') == kNpos &&
                  v[0] != '.' && v[0] != '-';
      }
      // `fetch --all` (and `--multiple`): every remote.
      bool all = cmd == "fetch" && a.has({"--all", "--multiple"});
      if (all) by_name = true;
      if (by_name)
        git_remote(g, all ? "*" : a.operands.empty() ? std::string() : w[a.operands[0]].value, cmd == "push");
    } else if (cmd == "remote") {
      Args a = parse_args(w, sub + 1, {"tm", "", ""}, true);
      if (a.operands.size() >= 3 && one_of(w[a.operands[0]].value, {"add", "set-url"})) {
        remote_arg(w[a.operands.back()], true);
      } else if (!a.operands.empty() && w[a.operands[0]].value == "update") {
        git_remote(g, "*", false);
      }
    } else if (cmd == "submodule") {
      Args a = parse_args(w, sub + 1, {"b", "branch name reference depth", ""}, true);
      if (!a.operands.empty() && w[a.operands[0]].value == "add" && a.operands.size() >= 2) {
        remote_arg(w[a.operands[1]], true);
      } else if (!a.operands.empty() && w[a.operands[0]].value == "foreach" && a.operands.size() >= 2) {
        run_joined(w, a.operands[1], "git submodule foreach");
      }
    } else if (cmd == "rebase") {
      Args a = parse_args(w, sub + 1, {"xsX", "exec strategy strategy-option onto", ""}, true);
      for (const auto& o : a.opts) {
        if (one_of(o.name, {"-x", "--exec"}) && o.has_value) {
          Word x;
          x.value = x.raw = o.value;
          x.dynamic = o.dynamic;
          x.download = o.download;
          run_script_word(x, Stream::unknown(), "git rebase --exec");
        }
      }
    } else if (cmd == "bisect") {
      if (sub + 2 < w.size() && w[sub + 1].value == "run") {
        Words inner(w.begin() + static_cast<std::ptrdiff_t>(sub + 2), w.end());
        size_t slot = reserve();
        run_words(std::move(inner), {}, Stream::unknown(), slot, {"git bisect run"});
        release(slot);
      }
    } else if (cmd == "config") {
      Args a = parse_args(w, sub + 1, {"f", "file blob type default comment", ""}, false);
      bool reads = a.has({"--get", "--get-all", "--get-regexp", "--get-urlmatch", "--list", "-l", "--show-origin"}) ||
                   (!a.operands.empty() && one_of(w[a.operands[0]].value, {"get", "list"}));
      if (const Opt* f = a.find({"-f", "--file"}); f && f->has_value && !reads) {
        // Setting a value in a named file is writing that file.
        out_.redirections.push_back({f->value, true, false, f->dynamic});
        if (f->dynamic) opaque("git config file is computed: " + clip(f->value));
      }
      size_t key = 0;
      if (!a.operands.empty() &&
          one_of(w[a.operands[0]].value, {"set", "unset", "get", "list", "rename-section", "remove-section", "edit"}))
        key = 1;
      if (const Opt* f = a.find({"-f", "--file"}); f && f->has_value && reads)
        out_.redirections.push_back({f->value, false, false, f->dynamic});  // reading a named file
      // Reading a value runs nothing, whatever the key. Setting one that
      // runs commands or redirects traffic is an edit of the configuration
      // file it lands in (git's config is exec-config, docs/policies.md);
      // an editor or pager that is a known program runs nothing new.
      if (key < a.operands.size() && !reads) {
        const Word& k = w[a.operands[key]];
        const Word* value = key + 1 < a.operands.size() ? &w[a.operands[key + 1]] : nullptr;
        std::string lk = lower(k.value);
        const bool viewer_key =
            one_of(lk, {"core.pager", "core.editor", "sequence.editor"}) || starts_with(lk, "pager.");
        const bool known_viewer =
            value && !value->unknown() &&
            (harmless_viewer(value->value) ||
             one_of(value->value, {"vi", "vim", "nvim", "nano", "emacs", "emacs -nw", "micro", "hx", "ed",
                                   "code --wait", "code -w", "subl -w", "subl --wait", "less -S"}));
        bool elsewhere = false;  // git -C / --git-dir / --work-tree: the file is not where it seems
        for (size_t g = 1; g < sub; ++g)
          elsewhere = elsewhere || one_of(w[g].value, {"-C", "--git-dir", "--work-tree"}) ||
                      starts_with(w[g].value, "--git-dir=") || starts_with(w[g].value, "--work-tree=");
        // Renaming or removing a section moves its keys under another name
        // (`foo.sshCommand` becomes `core.sshCommand`): risky, whatever
        // the section.
        const bool section_op =
            a.has({"--rename-section", "--remove-section"}) ||
            (!a.operands.empty() && one_of(w[a.operands[0]].value, {"rename-section", "remove-section"}));
        const bool risky = section_op || is_risky_git_key(k.value);
        if (k.unknown() || elsewhere || a.find({"-f", "--file"})) {
          if (k.unknown() || risky) opaque("git config " + clip(k.raw) + " can run commands or redirect traffic");
        } else if (risky && !(viewer_key && known_viewer)) {
          Sv file = a.has({"--global"})   ? Sv("~/.gitconfig")
                    : a.has({"--system"}) ? Sv("/etc/gitconfig")
                                          : Sv(".git/config");
          out_.redirections.push_back({std::string(file), true, false, false});
        }
      }
    } else if (cmd == "send-email" || cmd == "imap-send") {
      // Mail leaves for the recipients' domains.
      bool named = false;
      for (size_t k = sub + 1; k < w.size(); ++k) {
        Sv v = w[k].value;
        for (Sv pre : {"--to=", "--cc=", "--bcc=", "--to-cmd=", "--cc-cmd="}) {
          if (starts_with(v, pre)) {
            if (pre == "--to-cmd=" || pre == "--cc-cmd=") opaque("git send-email runs " + clip(v));
            v.remove_prefix(pre.size());
          }
        }
        if (!starts_with(v, "-") && mail_recipient(v, w[k])) named = true;
      }
      if (!named) opaque("git " + cmd + " sends to recipients Tollgate cannot name");
    } else if (cmd == "daemon" || cmd == "instaweb") {
      // serves, does not fetch
    } else {
      scan_urls(w, sub + 1);
    }
  }

  // A mail address (`user@domain`, `Name <user@domain>,`) in `v`, the text of
  // `x`: its domain is where the mail goes. Whether one was named.
  bool mail_recipient(Sv v, const Word& x) {
    size_t at = v.rfind('@');
    if (at == kNpos) return false;
    if (x.unknown()) {
      opaque("mail recipient is computed: " + clip(x.raw));
      return false;
    }
    Sv domain = v.substr(at + 1);
    while (!domain.empty() && (domain.back() == '>' || domain.back() == ',')) domain.remove_suffix(1);
    return add_host_loose(domain);
  }

  // A remote git reaches through the repository's configuration.
  void git_remote(const Args& g, std::string name, bool push) {
    if (out_.git_remotes.size() >= kMaxScripts) return opaque("names more git remotes than Tollgate reads");
    if (g.has({"--git-dir", "--work-tree"}))
      return opaque("git --git-dir/--work-tree: the remote's configuration is elsewhere");
    GitRemote gr;
    gr.name = std::move(name);
    gr.push = push;
    for (const auto& o : g.opts) {
      if (o.name != "-C" || !o.has_value) continue;
      // Each -C is taken relative to the one before.
      gr.dir = gr.dir.empty() || (!o.value.empty() && (o.value[0] == '/' || o.value[0] == '~'))
                   ? o.value
                   : gr.dir + "/" + o.value;
      gr.dir_dynamic = gr.dir_dynamic || o.dynamic;
    }
    out_.git_remotes.push_back(std::move(gr));
  }

  void run_joined(const Words& w, size_t from, const std::string& label) {
    Word x;
    for (size_t k = from; k < w.size(); ++k) {
      if (k > from) {
        x.value += ' ';
        x.raw += ' ';
      }
      x.value += w[k].value;
      x.raw += w[k].raw;
      x.dynamic = x.dynamic || w[k].unknown();
      x.download = x.download || w[k].download;
    }
    run_script_word(x, Stream::unknown(), label);
  }

  // -------------------------------------------------------------------------

  ShellAnalysis out_;
  std::vector<bool> reserved_;  // parallel to out_.commands: a slot not yet filled
  std::vector<std::string> wrappers_;
  std::map<std::string, Stream> files_;        // files written earlier in this command line
  std::set<std::string> downloaded_names_;     // file names of the downloads among them
  std::set<std::string> downloaded_programs_;  // … of those saved into a PATH directory
  std::set<std::string> seen_hosts_, seen_urls_;
  std::optional<Stream> last_proc_;  // what the last evaluated `<(…)` yields
  Stream proc_in_;                   // stdin of the command whose words are being evaluated
  Sv src_;
  std::chrono::steady_clock::time_point deadline_;
  size_t parsed_bytes_ = 0;
  int nesting_ = 0;
  int syntax_depth_ = 0;
  bool socket_redirect_ = false;
  std::string home_;                        // the value of $HOME, when the caller knows it
  std::string pwd_;                         // the value of $PWD, when the caller knows it
  KnownVariables known_;                    // values the caller gave (a script's environment and arguments)
  bool ifs_harmless_ = false;               // the prefix assignments of a read/mapfile
  bool arithmetic_ = false;                 // the line evaluates variables as arithmetic somewhere
  std::set<std::string> plain_vars_;        // set on this line, so far, to plain values
  bool appended_ = false;                   // a value was built with +=
  size_t unrolled_ = 0;                     // loop bodies analysed once per literal word, for the whole line
  std::vector<std::string> pending_found_;  // what `{}` stands for in the command find -exec runs next
};

}  // namespace

ShellAnalysis analyze_shell(std::string_view command) {
  return analyze_shell(command, std::chrono::steady_clock::now() + std::chrono::microseconds(kParseBudgetMicros));
}

ShellAnalysis analyze_shell(std::string_view command, std::chrono::steady_clock::time_point deadline) {
  return analyze_shell(command, deadline, {});
}

ShellAnalysis analyze_shell(std::string_view command, std::chrono::steady_clock::time_point deadline,
                            std::string_view home, std::string_view pwd) {
  return analyze_shell(command, deadline, home, pwd, KnownVariables{});
}

ShellAnalysis analyze_shell(std::string_view command, std::chrono::steady_clock::time_point deadline,
                            std::string_view home, std::string_view pwd, const KnownVariables& known) {
  try {
    ShellAnalysis result;
    uint32_t version = 0;
    if (!language_compatible(&version)) {
      result.opaque = true;
      result.opaque_reasons.push_back("bash grammar ABI " + std::to_string(version) +
                                      " is outside this tree-sitter runtime's range " +
                                      std::to_string(TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION) + ".." +
                                      std::to_string(TREE_SITTER_LANGUAGE_VERSION));
      return result;
    }
    if (command.size() > kMaxCommandBytes) {
      result.opaque = true;
      result.opaque_reasons.push_back("command longer than " + std::to_string(kMaxCommandBytes) + " bytes");
      return result;
    }
    Analyzer a{std::string(home), std::string(pwd), known};
    return a.run(command, deadline);
  } catch (...) {
    ShellAnalysis result;
    result.opaque = true;
    result.opaque_reasons.push_back("internal error while analysing the command");
    return result;
  }
}

bool runs_shell_code(std::string_view program) { return is_shell(program); }

bool runs_other_code(std::string_view program) {
  return is_interpreter(program) && !one_of(program, {"pwsh", "powershell", "osascript", "jshell", "deno"});
}

ShellAnalysis analyze_code(std::string_view interpreter, std::string_view code) {
  try {
    if (code.size() > kMaxCommandBytes) {
      ShellAnalysis result;
      result.opaque = true;
      result.opaque_reasons.push_back(std::string(interpreter) + " script longer than " +
                                      std::to_string(kMaxCommandBytes) + " bytes");
      return result;
    }
    Analyzer a{{}, {}};
    return a.run_code(std::string(interpreter), code);
  } catch (...) {
    ShellAnalysis result;
    result.opaque = true;
    result.opaque_reasons.push_back("internal error while analysing the script");
    return result;
  }
}

}  // namespace tollgate::analyze
