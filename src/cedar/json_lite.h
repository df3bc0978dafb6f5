// A fast path for reading small JSON documents (requests), internal to the
// cedar library. LiteJson parses only plain, well-formed JSON — strings
// with escapes up to \u007f, integers that fit in 64 bits, unique keys,
// modest nesting — and gives up (parse_lite returns nullopt) on
// anything else, including every error. The caller then reads the text
// again with the hardened nlohmann path (json_internal.h), which decides
// what the input means and words the error. So the fast path never has to
// agree with nlohmann on a malformed input, only on the plain ones, where
// the two produce the same tree.
//
// The node type mirrors the part of nlohmann::json's read API that
// json_data.cc's converters use (type(), find, contains, get, iteration
// with key() and value()), so the converters are templates instantiated
// for both. Objects keep their members in document order, where
// nlohmann::json sorts them: the converters build records and sets in
// canonical order whatever the input order, and only the wording of an
// error could depend on it — and errors are always worded by nlohmann's
// path. A LiteDoc is a plain value, not synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::cedar::detail {

class LiteDoc;

// One node of a LiteDoc. Nodes are laid out flat: the children of a
// container are consecutive, so iterating one is walking an array.
class LiteJson {
 public:
  using value_t = nlohmann::json::value_t;

  class const_iterator {
   public:
    explicit const_iterator(const LiteJson* p) : p_(p) {}
    const LiteJson& operator*() const { return *p_; }
    const LiteJson* operator->() const { return p_; }
    const_iterator& operator++() {
      ++p_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return p_ == o.p_; }
    bool operator!=(const const_iterator& o) const { return p_ != o.p_; }
    // By value: keys are short, and callers join them into messages.
    std::string key() const { return std::string(p_->key_); }
    const LiteJson& value() const { return *p_; }

   private:
    const LiteJson* p_;
  };

  static LiteJson object() {
    LiteJson j;
    j.type_ = value_t::object;
    return j;
  }

  value_t type() const { return type_; }
  bool is_object() const { return type_ == value_t::object; }
  bool is_array() const { return type_ == value_t::array; }
  bool is_string() const { return type_ == value_t::string; }
  bool is_boolean() const { return type_ == value_t::boolean; }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Only the conversions the converters make on a node of the right type.
  template <class T>
  T get() const;
  std::string_view str() const { return str_; }

  const_iterator begin() const { return const_iterator(kids_); }
  const_iterator end() const { return const_iterator(kids_ + count_); }
  const_iterator find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != end(); }
  // Requires the key to be present, as on a const nlohmann::json.
  const LiteJson& operator[](std::string_view key) const { return *find(key); }

 private:
  friend class LiteParser;
  value_t type_ = value_t::null;
  uint32_t count_ = 0;              // children of a container
  uint32_t first_ = 0;              // index of the first child, while parsing
  const LiteJson* kids_ = nullptr;  // the first child, once parsed
  std::string_view key_;            // as a member of an object
  std::string_view str_;            // string
  union {
    bool bool_;
    int64_t int_;    // number_integer
    uint64_t uint_;  // number_unsigned
  };
};

template <>
inline bool LiteJson::get<bool>() const {
  return bool_;
}
template <>
inline int64_t LiteJson::get<int64_t>() const {
  return type_ == value_t::number_unsigned ? static_cast<int64_t>(uint_) : int_;
}
template <>
inline uint64_t LiteJson::get<uint64_t>() const {
  return type_ == value_t::number_unsigned ? uint_ : static_cast<uint64_t>(int_);
}
template <>
inline std::string LiteJson::get<std::string>() const {
  return std::string(str_);
}

// A parsed document: its nodes, and the bytes of the strings that had
// escapes. Strings without escapes point into the text, which must outlive
// the document's use. A document is meant to be kept (thread_local) and
// refilled, so that reading a request allocates nothing once warm.
class LiteDoc {
 public:
  // Valid after parse_lite returned true, until the next parse_lite.
  const LiteJson& root() const { return nodes_.back(); }

 private:
  friend class LiteParser;
  std::vector<LiteJson> nodes_;  // children before parents; the root last
  std::vector<LiteJson> stack_;  // the parser's work space
  std::unique_ptr<char[]> unescaped_;
  size_t unescaped_size_ = 0;  // never reallocated during a parse: views into it stay valid
};

// Parses `text` into `doc` when it is plain JSON (see above); false
// otherwise (and `doc` holds nothing usable).
bool parse_lite(std::string_view text, LiteDoc& doc);

}  // namespace tollgate::cedar::detail
