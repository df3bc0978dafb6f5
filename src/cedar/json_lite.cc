#include "cedar/json_lite.h"

#include "cedar/cedar.h"

#include <algorithm>
#include <array>

namespace tollgate::cedar::detail {

// A recursive-descent parser over the bytes of the text. Every "return
// false" means "not plain JSON, let nlohmann read it", never "invalid".
// Each value parsed is pushed on stack_; a container, when it closes,
// moves its children from the stack to the document in one block.
class LiteParser {
 public:
  LiteParser(std::string_view text, LiteDoc& doc)
      : text_(text), p_(text.data()), end_(text.data() + text.size()), doc_(doc), stack_(doc.stack_) {
    doc_.nodes_.clear();
    stack_.clear();
  }

  bool document() {
    ws();
    if (!value(0)) return false;
    ws();
    if (p_ != end_) return false;
    doc_.nodes_.push_back(stack_.back());
    // The node array no longer moves: turn child indices into pointers.
    for (auto& n : doc_.nodes_) n.kids_ = doc_.nodes_.data() + n.first_;
    return true;
  }

 private:
  // Far below kMaxJsonDepth, so the hardened parser sees every deep input.
  static constexpr int kMaxDepth = 64;
  using value_t = LiteJson::value_t;

  void ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool word(std::string_view w) {
    if (static_cast<size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }

  LiteJson& push(value_t t) {
    LiteJson& n = stack_.emplace_back();
    n.type_ = t;
    n.uint_ = 0;
    return n;
  }

  bool value(int depth) {
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(depth + 1);
      case '[': return array(depth + 1);
      case '"': {
        std::string_view sv;
        if (!string(sv)) return false;
        push(value_t::string).str_ = sv;
        return true;
      }
      case 't': push(value_t::boolean).bool_ = true; return word("true");
      case 'f': push(value_t::boolean).bool_ = false; return word("false");
      case 'n': push(value_t::null); return word("null");
      default: return number();
    }
  }

  // \u escapes beyond ASCII (UTF-8 to encode, surrogates to pair) and raw
  // control characters are left to nlohmann. A string without
  // escapes is a view of the text; one with escapes is written unescaped to
  // the document's buffer.
  bool string(std::string_view& out) {
    const char* p = p_ + 1;  // past '"'; a local, so the scan stays in registers
    const char* start = p;
    unsigned high = 0;  // any byte >= 0x80 seen: UTF-8 to check
    while (p != end_ && kPlain[static_cast<unsigned char>(*p)]) high |= static_cast<unsigned char>(*p++);
    if (p != end_ && *p == '"') {
      out = std::string_view(start, static_cast<size_t>(p - start));
      p_ = p + 1;
      return !(high & 0x80) || valid_utf8(out);
    }
    if (used_ == 0 && doc_.unescaped_size_ < text_.size()) {
      // Sized to the whole text before the first unescaped string of this
      // parse, never after: earlier views into it must stay valid.
      doc_.unescaped_ = std::make_unique<char[]>(text_.size());
      doc_.unescaped_size_ = text_.size();
    }
    char* w = doc_.unescaped_.get() + used_;
    char* wstart = w;
    p = start;
    while (true) {
      const char* run = p;
      while (p != end_ && kPlain[static_cast<unsigned char>(*p)]) high |= static_cast<unsigned char>(*p++);
      w = std::copy(run, p, w);
      if (p == end_) return false;
      if (*p == '"') break;
      if (*p != '\\') return false;  // a control character
      if (++p == end_) return false;
      switch (*p) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
          // \u0000-\u007f stand for one ASCII byte; anything else needs
          // UTF-8 encoding (and surrogate pairing), left to nlohmann.
          if (end_ - p < 5) return false;
          unsigned v = 0;
          for (int i = 1; i <= 4; ++i) {
            char h = p[i];
            unsigned d = h >= '0' && h <= '9'   ? static_cast<unsigned>(h - '0')
                         : h >= 'a' && h <= 'f' ? static_cast<unsigned>(h - 'a' + 10)
                         : h >= 'A' && h <= 'F' ? static_cast<unsigned>(h - 'A' + 10)
                                                : 16u;
            if (d == 16) return false;
            v = v * 16 + d;
          }
          if (v >= 0x80) return false;
          *w++ = static_cast<char>(v);
          p += 4;
          break;
        }
        default: return false;
      }
      ++p;
    }
    // Unescaped bytes are never more than their source, so the buffer
    // (the size of the text) cannot overflow.
    out = std::string_view(wstart, static_cast<size_t>(w - wstart));
    used_ += static_cast<size_t>(w - wstart);
    p_ = p + 1;  // past '"'
    // Escapes only ever produce ASCII, so the multi-byte sequences of the
    // unescaped string are those of the text, split where they were.
    return !(high & 0x80) || valid_utf8(out);
  }

  // Bytes that stand for themselves inside a string: all but control
  // characters, the quote and the backslash. Bytes >= 0x80 must then form
  // well-formed UTF-8, checked as strictly as nlohmann does (valid_utf8).
  static constexpr auto kPlain = [] {
    std::array<bool, 256> t{};
    for (int c = 0x20; c < 0x100; ++c) t[c] = c != '"' && c != '\\';
    return t;
  }();

  // Integers without a fraction or exponent, without leading zeros, and
  // not "-0", within 64 bits: nlohmann reads these exactly as we do
  // (unsigned when non-negative, signed when negative; beyond that range
  // it makes a floating-point number, which we leave to it).
  bool number() {
    bool neg = *p_ == '-';
    if (neg) ++p_;
    const char* start = p_;
    uint64_t v = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, static_cast<uint64_t>(*p_ - '0'), &v)) {
        return false;
      }
      ++p_;
    }
    size_t digits = static_cast<size_t>(p_ - start);
    if (digits == 0 || (digits > 1 && *start == '0') || (neg && v == 0)) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    if (neg) {
      if (v > uint64_t{1} << 63) return false;
      push(value_t::number_integer).int_ = static_cast<int64_t>(0 - v);
    } else {
      push(value_t::number_unsigned).uint_ = v;
    }
    return true;
  }

  // Moves the children (stack_[mark, end)) to the document and leaves the
  // container on the stack in their place.
  void close(value_t t, size_t mark) {
    LiteJson c;
    c.type_ = t;
    c.uint_ = 0;
    c.first_ = static_cast<uint32_t>(doc_.nodes_.size());
    c.count_ = static_cast<uint32_t>(stack_.size() - mark);
    doc_.nodes_.insert(doc_.nodes_.end(), stack_.begin() + static_cast<ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    stack_.push_back(c);
  }

  bool array(int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '['
    size_t mark = stack_.size();
    ws();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      close(value_t::array, mark);
      return true;
    }
    while (true) {
      if (!value(depth)) return false;
      ws();
      if (p_ == end_) return false;
      if (*p_ == ']') break;
      if (*p_ != ',') return false;
      ++p_;
      ws();
    }
    ++p_;  // ']'
    close(value_t::array, mark);
    return true;
  }

  bool object(int depth) {
    if (depth > kMaxDepth) return false;
    ++p_;  // '{'
    size_t mark = stack_.size();
    ws();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      close(value_t::object, mark);
      return true;
    }
    while (true) {
      if (p_ == end_ || *p_ != '"') return false;
      std::string_view key;
      if (!string(key)) return false;
      ws();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      ws();
      if (!value(depth)) return false;
      stack_.back().key_ = key;
      ws();
      if (p_ == end_) return false;
      if (*p_ == '}') break;
      if (*p_ != ',') return false;
      ++p_;
      ws();
    }
    ++p_;  // '}'
    if (!unique_keys(mark)) return false;
    close(value_t::object, mark);
    return true;
  }

  // A repeated key is an error for nlohmann, so a give-up here. Objects
  // in requests have a dozen keys at most; compare lengths first.
  bool unique_keys(size_t mark) const {
    size_t n = stack_.size() - mark;
    const LiteJson* m = stack_.data() + mark;
    if (n > 32) {
      std::vector<std::string_view> sorted;
      for (size_t i = 0; i < n; ++i) sorted.push_back(m[i].key_);
      std::sort(sorted.begin(), sorted.end());
      return std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
    }
    for (size_t i = 1; i < n; ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (m[i].key_.size() == m[j].key_.size() && m[i].key_ == m[j].key_) return false;
      }
    }
    return true;
  }

  std::string_view text_;
  const char* p_;
  const char* end_;
  LiteDoc& doc_;
  size_t used_ = 0;  // bytes of doc_.unescaped_ written
  std::vector<LiteJson>& stack_;
};

LiteJson::const_iterator LiteJson::find(std::string_view key) const {
  if (type_ != value_t::object) return end();
  for (uint32_t i = 0; i < count_; ++i) {
    if (kids_[i].key_.size() == key.size() && kids_[i].key_ == key) return const_iterator(kids_ + i);
  }
  return end();
}

bool parse_lite(std::string_view text, LiteDoc& doc) { return LiteParser(text, doc).document(); }

}  // namespace tollgate::cedar::detail
