#include "cedar/lexer.h"

#include <vector>

namespace tollgate::cedar {

namespace {
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, uint32_t cp) {
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

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

void Lexer::advance(size_t n) {
  for (size_t i = 0; i < n && pos_ < src_.size(); ++i) {
    char c = src_[pos_++];
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++col_;  // count code points, not bytes
    }
  }
}

void Lexer::skip_space_and_comments() {
  for (;;) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance();
    } else if (c == '/' && peek(1) == '/' && !comments_) {
      while (!at_end() && peek() != '\n') advance();
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skip_space_and_comments();
  Token t;
  t.loc = {line_, col_};
  size_t start = pos_;
  if (at_end()) {
    t.kind = Tok::End;
    return t;
  }
  char c = peek();
  if (c == '/' && peek(1) == '/') {  // only reached with comments_ set
    while (!at_end() && peek() != '\n') advance();
    t.kind = Tok::Comment;
    t.text = src_.substr(start, pos_ - start);
    return t;
  }
  auto single = [&](Tok k, size_t n = 1) {
    advance(n);
    t.kind = k;
    t.text = src_.substr(start, n);
    return t;
  };
  if (is_ident_start(c)) {
    while (is_ident_char(peek())) advance();
    t.kind = Tok::Ident;
    t.text = src_.substr(start, pos_ - start);
    return t;
  }
  if (is_digit(c)) {
    while (is_digit(peek())) advance();
    t.kind = Tok::Int;
    t.text = src_.substr(start, pos_ - start);
    return t;
  }
  if (c == '"') {
    advance();
    while (!at_end() && peek() != '"') {
      if (peek() == '\\') advance();
      advance();
    }
    if (at_end()) {
      t.kind = Tok::Error;
      t.error = "unterminated string literal";
      return t;
    }
    advance();
    t.kind = Tok::Str;
    t.text = src_.substr(start, pos_ - start);
    return t;
  }
  switch (c) {
    case '(': return single(Tok::LParen);
    case ')': return single(Tok::RParen);
    case '{': return single(Tok::LBrace);
    case '}': return single(Tok::RBrace);
    case '[': return single(Tok::LBracket);
    case ']': return single(Tok::RBracket);
    case ',': return single(Tok::Comma);
    case ';': return single(Tok::Semi);
    case '.': return single(Tok::Dot);
    case '@': return single(Tok::At);
    case '?': return single(Tok::Question);
    case '+': return single(Tok::Plus);
    case '-': return single(Tok::Minus);
    case '*': return single(Tok::Star);
    case ':': return peek(1) == ':' ? single(Tok::ColonColon, 2) : single(Tok::Colon);
    case '=': return peek(1) == '=' ? single(Tok::Eq, 2) : single(Tok::Assign);
    case '!': return peek(1) == '=' ? single(Tok::Ne, 2) : single(Tok::Not);
    case '<': return peek(1) == '=' ? single(Tok::Le, 2) : single(Tok::Lt);
    case '>': return peek(1) == '=' ? single(Tok::Ge, 2) : single(Tok::Gt);
    case '&':
      if (peek(1) == '&') return single(Tok::And, 2);
      break;
    case '|':
      if (peek(1) == '|') return single(Tok::Or, 2);
      break;
    default: break;
  }
  t.kind = Tok::Error;
  unsigned char uc = static_cast<unsigned char>(c);
  if (uc < 0x20 || uc >= 0x7f) {
    static const char* hex = "0123456789abcdef";
    t.error = std::string("unexpected byte 0x") + hex[uc >> 4] + hex[uc & 0xf];
  } else {
    t.error = std::string("unexpected character `") + c + "`";
  }
  advance();
  return t;
}

bool unescape(std::string_view body, std::string& out, std::string& err, std::vector<bool>* stars) {
  out.clear();
  if (stars) stars->clear();
  auto push = [&](char ch, bool star) {
    out += ch;
    if (stars) stars->push_back(star);
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '*' && stars) {
      push('*', true);
      continue;
    }
    if (c != '\\') {
      push(c, false);
      continue;
    }
    if (++i >= body.size()) {
      err = "string ends in a backslash";
      return false;
    }
    char e = body[i];
    switch (e) {
      case 'n': push('\n', false); break;
      case 'r': push('\r', false); break;
      case 't': push('\t', false); break;
      case '\\': push('\\', false); break;
      case '0': push('\0', false); break;
      case '\'': push('\'', false); break;
      case '"': push('"', false); break;
      case '*':
        if (!stars) {
          err = "invalid escape `\\*` (only allowed in `like` patterns)";
          return false;
        }
        push('*', false);
        break;
      case 'x': {
        int h = i + 1 < body.size() ? hex_val(body[i + 1]) : -1;
        int l = i + 2 < body.size() ? hex_val(body[i + 2]) : -1;
        if (h < 0 || l < 0) {
          err = "invalid `\\x` escape: expected two hex digits";
          return false;
        }
        int v = h * 16 + l;
        if (v > 0x7f) {
          err = "invalid `\\x` escape: value above 0x7f";
          return false;
        }
        push(static_cast<char>(v), false);
        i += 2;
        break;
      }
      case 'u': {
        if (i + 1 >= body.size() || body[i + 1] != '{') {
          err = "invalid `\\u` escape: expected `{`";
          return false;
        }
        size_t j = i + 2;
        uint32_t cp = 0;
        int digits = 0;
        while (j < body.size() && body[j] != '}') {
          int h = hex_val(body[j]);
          if (h < 0 || digits >= 6) {
            err = "invalid `\\u{…}` escape";
            return false;
          }
          cp = cp * 16 + static_cast<uint32_t>(h);
          ++digits;
          ++j;
        }
        if (j >= body.size() || digits == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          err = "invalid `\\u{…}` escape";
          return false;
        }
        std::string enc;
        append_utf8(enc, cp);
        for (char ch : enc) push(ch, false);
        i = j;
        break;
      }
      default: err = std::string("invalid escape `\\") + e + "`"; return false;
    }
  }
  return true;
}

}  // namespace tollgate::cedar
