// Cedar runtime values: Bool, Long, String, entity references, Sets,
// Records and the four extension types (decimal, ipaddr, datetime,
// duration). Values are immutable and cheap to copy: strings, sets and
// records are shared, never mutated after construction, so a Value may be
// read from many threads at once. Sets and records are kept canonical
// (sets sorted and deduplicated under the total order `compare`, records
// sorted by key), which makes structural equality equal to Cedar equality.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tollgate::cedar {

// decimal: a fixed-point number with four fractional digits, stored scaled
// by 10^4 ("1.5" is 15000).
struct Decimal {
  int64_t raw = 0;
  friend auto operator<=>(const Decimal&, const Decimal&) = default;
};

// datetime: milliseconds since the Unix epoch, UTC.
struct Datetime {
  int64_t ms = 0;
  friend auto operator<=>(const Datetime&, const Datetime&) = default;
};

// duration: a signed count of milliseconds.
struct Duration {
  int64_t ms = 0;
  friend auto operator<=>(const Duration&, const Duration&) = default;
};

// ipaddr: an address with a prefix length. IPv4 uses bytes[0..3] and a
// prefix of at most 32; host bits are kept as written, so
// ip("10.0.0.1/24") != ip("10.0.0.0/24"), as in Cedar.
struct IpAddr {
  std::array<uint8_t, 16> bytes{};
  uint8_t prefix = 0;
  bool v6 = false;
  friend auto operator<=>(const IpAddr& a, const IpAddr& b) {
    if (auto c = a.v6 <=> b.v6; c != 0) return c;
    if (auto c = a.bytes <=> b.bytes; c != 0) return c;
    return a.prefix <=> b.prefix;
  }
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
};

// An entity reference `Type::"id"`. The type is the fully qualified name
// (`NS::Sub::Type`). Uids are interned: every EntityUID with the same type
// and id shares one representation for as long as any of them lives, so
// equality and hashing are a pointer comparison and a stored hash (the
// evaluator compares uids constantly; comparing strings was a tenth of its
// time). Constructing a uid takes a lock on one shard of the intern table;
// copying, comparing and destroying uids is thread-safe like a shared_ptr.
class EntityUID {
 public:
  EntityUID();
  EntityUID(std::string type, std::string id);
  // The same from views: copies the strings only for a uid not yet live.
  static EntityUID of(std::string_view type, std::string_view id);

  const std::string& type() const { return rep_->type; }
  const std::string& id() const { return rep_->id; }
  // Derived from the contents only (stable across runs and processes).
  size_t hash() const { return rep_->hash; }
  // The identity of the interned representation: equal uids, equal keys.
  // Valid while this uid (or an equal one) is alive.
  const void* key() const { return rep_.get(); }

  // `Type::"id"` with the id escaped as Cedar prints strings.
  std::string str() const;

  friend bool operator==(const EntityUID& a, const EntityUID& b) { return a.rep_ == b.rep_; }
  // By type, then id (a content order, the same in every run).
  friend std::strong_ordering operator<=>(const EntityUID& a, const EntityUID& b);

 private:
  friend class UidInterner;
  struct Rep {
    std::string type;
    std::string id;
    size_t hash;
  };
  std::shared_ptr<const Rep> rep_;
};

struct EntityUIDHash {
  size_t operator()(const EntityUID& u) const { return u.hash(); }
};

class Value;
// Canonical set: sorted by `compare`, no duplicates.
using SetElems = std::vector<Value>;
// Canonical record: sorted by key, unique keys.
using RecordFields = std::vector<std::pair<std::string, Value>>;

enum class Kind : uint8_t { Bool, Long, String, Entity, Set, Record, Decimal, IpAddr, Datetime, Duration };

// The name Cedar uses for a kind in messages ("bool", "long", "ipaddr" …).
std::string_view kind_name(Kind k);

class Value {
 public:
  Value() : v_(false) {}
  Value(bool b) : v_(b) {}                         // NOLINT: implicit by design
  Value(int64_t i) : v_(i) {}                      // NOLINT
  Value(std::string s);                            // NOLINT
  Value(const char* s) : Value(std::string(s)) {}  // NOLINT
  Value(EntityUID e) : v_(std::move(e)) {}         // NOLINT
  Value(Decimal d) : v_(d) {}                      // NOLINT
  Value(IpAddr a) : v_(a) {}                       // NOLINT
  Value(Datetime d) : v_(d) {}                     // NOLINT
  Value(Duration d) : v_(d) {}                     // NOLINT

  // Builds a canonical set (sorts and removes duplicates).
  static Value set(SetElems elems);
  // Builds a record; `fields` must not repeat a key (the last one wins).
  static Value record(RecordFields fields);
  static Value string_shared(std::shared_ptr<const std::string> s);

  Kind kind() const { return static_cast<Kind>(v_.index()); }

  bool as_bool() const { return std::get<0>(v_); }
  int64_t as_long() const { return std::get<1>(v_); }
  const std::string& as_string() const { return *std::get<2>(v_); }
  const EntityUID& as_entity() const { return std::get<3>(v_); }
  const SetElems& as_set() const { return *std::get<4>(v_); }
  const RecordFields& as_record() const { return *std::get<5>(v_); }
  Decimal as_decimal() const { return std::get<6>(v_); }
  const IpAddr& as_ip() const { return std::get<7>(v_); }
  Datetime as_datetime() const { return std::get<8>(v_); }
  Duration as_duration() const { return std::get<9>(v_); }

  // Looks up a record field; nullptr when absent. Requires kind() == Record.
  const Value* field(std::string_view key) const;
  // Set membership. Requires kind() == Set.
  bool set_contains(const Value& v) const;

  friend bool operator==(const Value& a, const Value& b);

  // Cedar-like text, for messages and the explain output.
  std::string str() const;

 private:
  std::variant<bool, int64_t, std::shared_ptr<const std::string>, EntityUID, std::shared_ptr<const SetElems>,
               std::shared_ptr<const RecordFields>, Decimal, IpAddr, Datetime, Duration>
      v_;
};

// A total order over all values: by kind, then by content. Used to keep sets
// canonical; it is not Cedar's `<` (which is defined on Long and a few
// extension types only).
int compare(const Value& a, const Value& b);

// Escapes a string the way Cedar prints string literals (without quotes).
std::string escape_string(std::string_view s);

}  // namespace tollgate::cedar

template <>
struct std::hash<tollgate::cedar::EntityUID> {
  size_t operator()(const tollgate::cedar::EntityUID& u) const noexcept { return u.hash(); }
};
