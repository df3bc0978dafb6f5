// Tokenizer for Cedar policy text. Internal to the cedar library, and used by
// the policy formatter (src/policy/format.cc), which asks for comments too.
// The lexer works over a borrowed string_view that must outlive it; it never
// fails: malformed input becomes an Error token carrying a message.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tollgate::cedar {

enum class Tok : uint8_t {
  End,
  Error,
  Ident,
  Int,
  Str,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  Comma,
  Semi,
  Colon,
  ColonColon,
  Dot,
  At,
  Question,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  And,
  Or,
  Not,
  Plus,
  Minus,
  Star,
  Assign,
  Comment,  // `// …` up to the end of the line; only with KeepComments
};

struct Token {
  Tok kind = Tok::End;
  std::string_view text;  // raw text (for Str: including the quotes)
  SourceLoc loc;
  std::string error;  // Error tokens
};

// Whether comments come back as Comment tokens (for tools that rewrite the
// text) or are skipped like whitespace (for parsing).
enum class KeepComments : bool { No, Yes };

class Lexer {
 public:
  explicit Lexer(std::string_view src, KeepComments comments = KeepComments::No)
      : src_(src), comments_(comments == KeepComments::Yes) {}
  Token next();

 private:
  void skip_space_and_comments();
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  bool at_end() const { return pos_ >= src_.size(); }
  void advance(size_t n = 1);

  std::string_view src_;
  bool comments_ = false;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  uint32_t col_ = 1;
};

// Decodes the escapes of a Cedar string literal body (the text between the
// quotes). With `pattern` set, `\*` decodes to a literal star marker that
// the caller handles: the function then returns the pattern elements split
// on unescaped `*` via `stars` (true where the byte is a wildcard).
// Returns std::nullopt-like failure through `err` on a bad escape.
bool unescape(std::string_view body, std::string& out, std::string& err, std::vector<bool>* stars = nullptr);

}  // namespace tollgate::cedar
