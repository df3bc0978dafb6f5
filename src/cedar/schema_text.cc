// The human-readable `.cedarschema` format: a hand-written lexer and
// recursive-descent parser producing the raw schema form, which the shared
// resolver (schema.cc) checks and resolves. A syntax error abandons the
// current declaration and parsing resumes at the next one, so every syntax
// error is reported; resolution runs only on syntactically valid input.
#include <algorithm>
#include <cstdio>
#include <set>

#include "cedar/schema_internal.h"

namespace tollgate::cedar {
namespace {

using namespace schema_detail;

constexpr size_t kMaxErrors = 100;

// Length of the UTF-8 sequence starting at s[i] (0 if invalid), and its code point.
size_t decode_utf8(std::string_view s, size_t i, char32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = len == 1 ? c : c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_unicode_space(char32_t c) {
  return (c >= 0x9 && c <= 0xD) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Cedar string escapes: \n \r \t \\ \0 \' \" \xHH (at most 7F), \u{H..H} and a
// backslash before a newline, which skips the line break and the indentation
// that follows. Returns an error message, or "" on success.
std::string unescape(std::string_view raw, std::string& out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\r') return "a string literal cannot contain a bare carriage return";
    if (c != '\\') {
      out += c;
      continue;
    }
    char e = ++i < raw.size() ? raw[i] : '\0';
    switch (e) {
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case '\\':
      case '\'':
      case '"': out += e; break;
      case '\n':
        while (i + 1 < raw.size() &&
               (raw[i + 1] == ' ' || raw[i + 1] == '\t' || raw[i + 1] == '\n' || raw[i + 1] == '\r'))
          ++i;
        break;
      case 'x': {
        int hi = i + 1 < raw.size() ? hex_value(raw[i + 1]) : -1;
        int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
        if (hi < 0 || lo < 0) return "`\\x` must be followed by two hexadecimal digits";
        if (hi > 7) return "`\\x` escapes only go up to `\\x7F`; use `\\u{...}` instead";
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      case 'u': {
        if (i + 1 >= raw.size() || raw[i + 1] != '{') return "`\\u` must be followed by `{`, hex digits and `}`";
        i += 2;
        char32_t cp = 0;
        int digits = 0;
        for (; i < raw.size() && raw[i] != '}'; ++i) {
          if (raw[i] == '_' && digits > 0) continue;
          int h = hex_value(raw[i]);
          if (h < 0) return "invalid character in a `\\u{...}` escape";
          if (++digits > 6) return "a `\\u{...}` escape has at most six hex digits";
          cp = cp * 16 + static_cast<char32_t>(h);
        }
        if (i >= raw.size()) return "unterminated `\\u{...}` escape";
        if (digits == 0) return "empty `\\u{}` escape";
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "`\\u{...}` escape is not a Unicode scalar value";
        append_utf8(out, cp);
        break;
      }
      default: return "invalid escape sequence in string literal";
    }
  }
  return "";
}

enum class Tok { End, Ident, Number, String, Punct, Bad };

struct Token {
  Tok kind = Tok::End;
  std::string_view text;  // String: with its quotes
  SourceLoc loc;
  size_t offset = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {
    if (src_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a byte order mark
  }

  Token next() {
    skip_trivia();
    Token t{Tok::End, {}, {line_, col_}, pos_};
    if (pos_ >= src_.size()) return t;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    char c = src_[pos_];
    size_t len = 1;
    if (alpha(c)) {
      t.kind = Tok::Ident;
      while (pos_ + len < src_.size() && (alpha(src_[pos_ + len]) || digit(src_[pos_ + len]))) ++len;
    } else if (digit(c)) {
      t.kind = Tok::Number;
      while (pos_ + len < src_.size() && digit(src_[pos_ + len])) ++len;
    } else if (c == '"') {
      t.kind = Tok::String;
      while (pos_ + len < src_.size() && src_[pos_ + len] != '"') len += src_[pos_ + len] == '\\' ? 2 : 1;
      if (pos_ + len >= src_.size()) {
        t.kind = Tok::Bad;  // unterminated
        len = src_.size() - pos_;
      } else {
        ++len;
      }
    } else if (c == ':' && src_.substr(pos_, 2) == "::") {
      t.kind = Tok::Punct;
      len = 2;
    } else if (std::string_view(",;:{}[]<>=?@()").find(c) != std::string_view::npos) {
      t.kind = Tok::Punct;
    } else {
      t.kind = Tok::Bad;
      char32_t cp;
      len = std::max<size_t>(1, decode_utf8(src_, pos_, cp));
    }
    t.text = src_.substr(pos_, len);
    advance(len);
    return t;
  }

 private:
  void advance(size_t n) {
    for (size_t end = std::min(src_.size(), pos_ + n); pos_ < end; ++pos_) {
      unsigned char b = static_cast<unsigned char>(src_[pos_]);
      if (b == '\n') {
        ++line_;
        col_ = 1;
      } else if ((b & 0xC0) != 0x80) {
        ++col_;
      }
    }
  }

  void skip_trivia() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '/' && src_.substr(pos_, 2) == "//") {
        size_t eol = src_.find('\n', pos_);
        advance((eol == std::string_view::npos ? src_.size() : eol) - pos_);
        continue;
      }
      char32_t cp = 0;
      size_t len = static_cast<unsigned char>(c) < 0x80 ? 1 : decode_utf8(src_, pos_, cp);
      if (len == 1) cp = static_cast<unsigned char>(c);
      if (len == 0 || !is_unicode_space(cp)) return;
      advance(len);
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::End: return "end of input";
    case Tok::String: return "a string literal";
    case Tok::Number: return "number `" + std::string(t.text) + "`";
    case Tok::Bad: break;
    default: return "`" + std::string(t.text) + "`";
  }
  if (t.text.front() == '"') return "an unterminated string literal";
  unsigned char c = static_cast<unsigned char>(t.text.front());
  if (c < 0x20 || c == 0x7F) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", c);
    return "unexpected character " + std::string(buf);
  }
  return "unexpected character `" + std::string(t.text) + "`";
}

class TextParser {
 public:
  TextParser(std::string_view text, std::string_view file) : lex_(text), file_(file) { tok_ = lex_.next(); }

  Result<Schema> parse() {
    try {
      while (tok_.kind != Tok::End) guarded([&] { top_level_item(); });
    } catch (const TooManyErrors&) {
    }
    if (!diags_.empty()) return schema_error(std::move(diags_));
    return resolve_schema(namespaces_, file_);
  }

 private:
  struct SyntaxError {};    // abandons the current declaration
  struct TooManyErrors {};  // abandons the whole parse

  void error(SourceLoc loc, std::string message) {
    diags_.push_back({file_, loc, std::move(message)});
    if (diags_.size() >= kMaxErrors) {
      diags_.push_back({file_, loc, "too many errors; giving up"});
      throw TooManyErrors{};
    }
  }

  [[noreturn]] void fail(const std::string& expected) {
    error(tok_.loc, "expected " + expected + ", found " + describe(tok_));
    throw SyntaxError{};
  }

  // Runs one declaration; after a syntax error skips to the end of it: past a
  // `;` or up to the `}` closing the enclosing block or the next declaration.
  template <class F>
  void guarded(F&& parse_one) {
    int depth = depth_;
    size_t start = tok_.offset;
    try {
      parse_one();
      return;
    } catch (const SyntaxError&) {
    }
    for (; tok_.kind != Tok::End; bump()) {
      if (depth_ != depth) continue;
      if (is(";")) return bump();
      bool decl_start = is("@") || is_kw("entity") || is_kw("action") || is_kw("type") || is_kw("namespace");
      if (is("}") || (decl_start && tok_.offset > start)) break;
    }
    if (tok_.offset == start && tok_.kind != Tok::End) bump();  // always make progress
  }

  void bump() {
    if (is("{")) ++depth_;
    if (is("}")) --depth_;
    tok_ = lex_.next();
  }
  bool is(std::string_view punct) const { return tok_.kind == Tok::Punct && tok_.text == punct; }
  bool is_kw(std::string_view word) const { return tok_.kind == Tok::Ident && tok_.text == word; }
  void expect(std::string_view punct) {
    if (!is(punct)) fail("`" + std::string(punct) + "`");
    bump();
  }

  void top_level_item() {
    annotations();
    if (!is_kw("namespace")) return declaration(empty_namespace(), true);
    bump();
    RawName name = path();
    expect("{");
    namespaces_.push_back({name.name, name.loc, {}, {}, {}});
    size_t ns = namespaces_.size() - 1;
    while (!is("}") && tok_.kind != Tok::End)
      guarded([&] {
        annotations();
        if (is_kw("namespace")) fail("a declaration (namespaces cannot be nested)");
        declaration(ns, false);
      });
    expect("}");
  }

  size_t empty_namespace() {
    if (empty_ns_ == SIZE_MAX) {
      empty_ns_ = namespaces_.size();
      namespaces_.push_back({"", tok_.loc, {}, {}, {}});
    }
    return empty_ns_;
  }

  void declaration(size_t ns, bool top_level) {
    if (is_kw("entity")) return entity(ns);
    if (is_kw("action")) return action(ns);
    if (is_kw("type")) return common_type(ns);
    fail(top_level ? "`entity`, `action`, `type` or `namespace`" : "`entity`, `action` or `type`");
  }

  // `@name` or `@name("value")`, before namespaces, declarations and attributes.
  void annotations() {
    std::set<std::string_view> seen;
    while (is("@")) {
      bump();
      if (tok_.kind != Tok::Ident) fail("an annotation name");
      Token key = tok_;
      bump();
      if (is("(")) {
        bump();
        string_literal();
        expect(")");
      }
      if (!seen.insert(key.text).second) error(key.loc, "duplicate annotation `@" + std::string(key.text) + "`");
    }
  }

  RawName string_literal() {
    if (tok_.kind != Tok::String) fail("a string literal");
    RawName out{{}, tok_.loc};
    std::string err = unescape(tok_.text.substr(1, tok_.text.size() - 2), out.name);
    if (!err.empty()) error(tok_.loc, err);
    bump();
    return out;
  }

  RawName ident() {
    if (tok_.kind != Tok::Ident) fail("an identifier");
    if (is_reserved_word(tok_.text))
      error(tok_.loc, "`" + std::string(tok_.text) + "` is a reserved identifier and cannot be used here");
    RawName out{std::string(tok_.text), tok_.loc};
    bump();
    return out;
  }

  // An identifier or a string literal: attribute and action names.
  RawName name() { return tok_.kind == Tok::String ? string_literal() : ident(); }

  RawName path() { return path_from(ident()); }
  RawName path_from(RawName first) {
    while (is("::")) {
      bump();
      first.name += "::" + ident().name;
    }
    return first;
  }

  // `A` or `[A, NS::B, ...]`
  std::vector<RawName> entity_types() {
    std::vector<RawName> out;
    if (!is("[")) return {path()};
    bump();
    if (!is("]")) {
      out.push_back(path());
      while (is(",")) {
        bump();
        out.push_back(path());
      }
    }
    expect("]");
    return out;
  }

  void entity(size_t ns) {
    bump();
    std::vector<RawName> names{ident()};
    while (is(",")) {
      bump();
      names.push_back(ident());
    }
    RawEntity proto;
    if (is_kw("enum")) {
      bump();
      expect("[");
      proto.enum_ids.emplace();
      proto.enum_ids->push_back(string_literal().name);
      while (is(",")) {
        bump();
        proto.enum_ids->push_back(string_literal().name);
      }
      expect("]");
    } else {
      if (is_kw("in")) {
        bump();
        proto.member_of = entity_types();
      }
      if (is("=")) {
        bump();
        if (!is("{")) fail("`{`");
      }
      if (is("{")) proto.shape = record(0);
      if (is_kw("tags")) {
        bump();
        proto.tags = type(0);
      }
    }
    expect(";");
    for (RawName& n : names) {
      proto.name = std::move(n);
      namespaces_[ns].entities.push_back(proto);
    }
  }

  // `"name"`, `name`, `Action::"name"` or `NS::Action::"name"`.
  RawActionRef action_ref() {
    if (tok_.kind == Tok::String) {
      RawName s = string_literal();
      return {std::nullopt, std::move(s.name), s.loc};
    }
    RawName first = ident();
    std::string type = first.name;
    while (is("::")) {
      bump();
      if (tok_.kind == Tok::String) return {type, string_literal().name, first.loc};
      type += "::" + ident().name;
    }
    if (type != first.name) fail("`::` and a quoted action name");
    return {std::nullopt, std::move(type), first.loc};
  }

  void action(size_t ns) {
    bump();
    std::vector<RawName> names{name()};
    while (is(",")) {
      bump();
      names.push_back(name());
    }
    RawAction proto;
    if (is_kw("in")) {
      bump();
      if (!is("[")) {
        proto.member_of.push_back(action_ref());
      } else {
        bump();
        proto.member_of.push_back(action_ref());
        while (is(",")) {
          bump();
          proto.member_of.push_back(action_ref());
        }
        expect("]");
      }
    }
    if (is_kw("appliesTo")) {
      bump();
      expect("{");
      applies_to(proto, names.front());
      expect("}");
    }
    if (is_kw("attributes")) {  // accepted only empty, as a placeholder
      bump();
      expect("{");
      expect("}");
    }
    expect(";");
    for (RawName& n : names) {
      proto.name = std::move(n.name);
      proto.loc = n.loc;
      namespaces_[ns].actions.push_back(proto);
    }
  }

  void applies_to(RawAction& action, const RawName& action_name) {
    std::string quoted = "`" + action_name.name + "`";
    bool seen[3] = {false, false, false};
    do {
      if (!is_kw("principal") && !is_kw("resource") && !is_kw("context")) fail("`principal`, `resource` or `context`");
      Token key = tok_;
      int which = key.text == "principal" ? 0 : key.text == "resource" ? 1 : 2;
      bump();
      expect(":");
      if (seen[which]) error(key.loc, "duplicate `" + std::string(key.text) + "` in the appliesTo of action " + quoted);
      seen[which] = true;
      if (which == 2) {
        action.context = is("{") ? record(0) : ref(path(), RawType::RefKind::Common);
        // (a context named by a path must be a common type)
      } else {
        SourceLoc loc = tok_.loc;
        auto& list = which == 0 ? action.principals : action.resources;
        list = entity_types();
        if (list.empty()) error(loc, "the `" + std::string(key.text) + "` list of action " + quoted + " is empty");
      }
      if (!is(",")) break;
      bump();
    } while (!is("}"));
    if (!is("}")) fail("`,` or `}`");
    if (!seen[0]) error(action_name.loc, "the appliesTo of action " + quoted + " has no `principal`");
    if (!seen[1]) error(action_name.loc, "the appliesTo of action " + quoted + " has no `resource`");
    action.has_applies_to = true;
  }

  void common_type(size_t ns) {
    bump();
    RawName n = ident();
    expect("=");
    RawTypePtr t = type(0);
    expect(";");
    namespaces_[ns].common_types.push_back({std::move(n), std::move(t)});
  }

  static RawTypePtr ref(RawName n, RawType::RefKind kind) {
    auto t = std::make_shared<RawType>();
    t->kind = RawType::Kind::Ref;
    t->ref = kind;
    t->name = std::move(n.name);
    t->loc = n.loc;
    return t;
  }

  void check_depth(int depth) {
    if (depth >= kMaxTypeDepth) {
      error(tok_.loc, "type nests sets and records more than " + std::to_string(kMaxTypeDepth) + " levels deep");
      throw SyntaxError{};
    }
  }

  // `depth` counts the sets and records enclosing this type.
  RawTypePtr type(int depth) {
    if (is("{")) return record(depth);
    if (!is_kw("Set")) return ref(path(), RawType::RefKind::CommonOrEntity);
    RawName set = ident();
    if (!is("<")) return ref(path_from(std::move(set)), RawType::RefKind::CommonOrEntity);
    check_depth(depth);
    bump();
    auto t = std::make_shared<RawType>();
    t->kind = RawType::Kind::Set;
    t->loc = set.loc;
    t->element = type(depth + 1);
    expect(">");
    return t;
  }

  RawTypePtr record(int depth) {
    check_depth(depth);
    auto t = std::make_shared<RawType>();
    t->kind = RawType::Kind::Record;
    t->loc = tok_.loc;
    expect("{");
    while (!is("}")) {
      annotations();
      RawAttr attr;
      attr.name = name().name;
      if (is("?")) {
        bump();
        attr.required = false;
      }
      expect(":");
      attr.type = type(depth + 1);
      t->attrs.push_back(std::move(attr));
      if (!is(",")) break;
      bump();
    }
    expect("}");
    return t;
  }

  Lexer lex_;
  Token tok_;
  std::string file_;
  int depth_ = 0;  // `{` minus `}` consumed so far
  std::vector<Diagnostic> diags_;
  std::vector<RawNamespace> namespaces_;
  size_t empty_ns_ = SIZE_MAX;
};

}  // namespace

Result<Schema> parse_schema_text(std::string_view text, std::string_view file) {
  for (size_t i = 0, line = 1, col = 1; i < text.size(); ++col) {
    char32_t cp;
    size_t len = decode_utf8(text, i, cp);
    if (len == 0)
      return schema_detail::schema_error(
          {{std::string(file), {static_cast<uint32_t>(line), static_cast<uint32_t>(col)}, "invalid UTF-8"}});
    if (cp == '\n') {
      ++line;
      col = 0;
    }
    i += len;
  }
  return TextParser(text, file).parse();
}

}  // namespace tollgate::cedar
