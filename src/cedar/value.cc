#include "cedar/value.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "cedar/extensions.h"

namespace tollgate::cedar {

namespace {

size_t hash_uid(std::string_view type, std::string_view id) {
  // std::hash of a string and of its view agree, so this is the hash the
  // uids always had.
  size_t h = std::hash<std::string_view>{}(type);
  return h ^ (std::hash<std::string_view>{}(id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

const std::shared_ptr<const std::string>& empty_string() {
  static const auto s = std::make_shared<const std::string>();
  return s;
}

// Attribute names are short: comparing them in line beats calling memcmp.
bool same_bytes(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

template <class T>
int cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

// The intern table behind EntityUID: shards of content-keyed hash sets of
// live representations. A representation removes itself from its shard when
// its last uid dies; a lookup that finds one already dying (use count zero,
// removal pending) replaces the entry with a fresh representation, and the
// dying one then leaves the new entry alone. The table is never destroyed,
// so uids in static storage may outlive everything else.
class UidInterner {
 public:
  using Rep = EntityUID::Rep;

  // `S` is std::string (moved in when new) or std::string_view (copied).
  template <class S>
  static std::shared_ptr<const Rep> intern(S&& type, S&& id) {
    size_t h = hash_uid(type, id);
    Shard& sh = shard(h);
    std::lock_guard<std::mutex> lock(sh.mu);
    auto it = sh.map.find(Probe{type, id, h});
    if (it != sh.map.end()) {
      if (auto live = it->second.lock()) return live;
      sh.map.erase(it);
    }
    auto* raw = new Rep{std::string(std::forward<S>(type)), std::string(std::forward<S>(id)), h};
    std::shared_ptr<const Rep> rep(raw, &release);
    sh.map.emplace(raw, rep);
    return rep;
  }

  static const std::shared_ptr<const Rep>& empty() {
    static const auto* e = new std::shared_ptr<const Rep>(intern(std::string_view(), std::string_view()));
    return *e;
  }

 private:
  struct Probe {
    std::string_view type, id;
    size_t hash;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(const Rep* r) const { return r->hash; }
    size_t operator()(const Probe& p) const { return p.hash; }
  };
  struct Eq {
    using is_transparent = void;
    static bool same(const Rep* r, const Probe& p) { return r->hash == p.hash && r->type == p.type && r->id == p.id; }
    bool operator()(const Rep* a, const Rep* b) const { return a == b || same(a, Probe{b->type, b->id, b->hash}); }
    bool operator()(const Rep* a, const Probe& p) const { return same(a, p); }
    bool operator()(const Probe& p, const Rep* a) const { return same(a, p); }
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<const Rep*, std::weak_ptr<const Rep>, Hash, Eq> map;
  };
  static constexpr size_t kShards = 16;

  static Shard& shard(size_t hash) {
    static Shard* shards = new Shard[kShards];
    return shards[(hash >> 7) % kShards];
  }

  static void release(const Rep* r) {
    {
      Shard& sh = shard(r->hash);
      std::lock_guard<std::mutex> lock(sh.mu);
      auto it = sh.map.find(r);
      if (it != sh.map.end() && it->first == r) sh.map.erase(it);
    }
    delete r;
  }
};

EntityUID::EntityUID() : rep_(UidInterner::empty()) {}

EntityUID::EntityUID(std::string type, std::string id) : rep_(UidInterner::intern(std::move(type), std::move(id))) {}

EntityUID EntityUID::of(std::string_view type, std::string_view id) {
  EntityUID u;
  u.rep_ = UidInterner::intern(std::move(type), std::move(id));
  return u;
}

std::string EntityUID::str() const { return type() + "::\"" + escape_string(id()) + "\""; }

std::strong_ordering operator<=>(const EntityUID& a, const EntityUID& b) {
  if (a.rep_ == b.rep_) return std::strong_ordering::equal;
  if (auto c = a.type().compare(b.type()); c != 0)
    return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
  auto c = a.id().compare(b.id());
  return c < 0 ? std::strong_ordering::less : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Bool: return "bool";
    case Kind::Long: return "long";
    case Kind::String: return "string";
    case Kind::Entity: return "(entity of type `...`)";
    case Kind::Set: return "set";
    case Kind::Record: return "record";
    case Kind::Decimal: return "decimal";
    case Kind::IpAddr: return "ipaddr";
    case Kind::Datetime: return "datetime";
    case Kind::Duration: return "duration";
  }
  return "?";
}

Value::Value(std::string s) : v_(s.empty() ? empty_string() : std::make_shared<const std::string>(std::move(s))) {}

Value Value::string_shared(std::shared_ptr<const std::string> s) {
  Value v;
  v.v_ = std::move(s);
  return v;
}

Value Value::set(SetElems elems) {
  std::sort(elems.begin(), elems.end(), [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  elems.erase(
      std::unique(elems.begin(), elems.end(), [](const Value& a, const Value& b) { return compare(a, b) == 0; }),
      elems.end());
  Value v;
  v.v_ = std::make_shared<const SetElems>(std::move(elems));
  return v;
}

Value Value::record(RecordFields fields) {
  std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Keep the last of equal keys.
  RecordFields out;
  out.reserve(fields.size());
  for (auto& f : fields) {
    if (!out.empty() && out.back().first == f.first) {
      out.back().second = std::move(f.second);
    } else {
      out.push_back(std::move(f));
    }
  }
  Value v;
  v.v_ = std::make_shared<const RecordFields>(std::move(out));
  return v;
}

const Value* Value::field(std::string_view key) const {
  const auto& fs = as_record();
  // Records are small (a context, an entity's attributes): a scan that
  // rejects most keys on their length beats a binary search whose every
  // step is a string comparison.
  if (fs.size() <= 16) {
    for (const auto& f : fs) {
      if (f.first.size() == key.size() && same_bytes(f.first.data(), key.data(), key.size())) return &f.second;
    }
    return nullptr;
  }
  auto it = std::lower_bound(fs.begin(), fs.end(), key, [](const auto& f, std::string_view k) { return f.first < k; });
  if (it != fs.end() && it->first == key) return &it->second;
  return nullptr;
}

bool Value::set_contains(const Value& v) const {
  const auto& es = as_set();
  auto it = std::lower_bound(es.begin(), es.end(), v, [](const Value& a, const Value& b) { return compare(a, b) < 0; });
  return it != es.end() && compare(*it, v) == 0;
}

bool operator==(const Value& a, const Value& b) {
  if (a.v_.index() != b.v_.index()) return false;
  switch (a.kind()) {
    case Kind::Bool: return a.as_bool() == b.as_bool();
    case Kind::Long: return a.as_long() == b.as_long();
    case Kind::String: return a.as_string() == b.as_string();
    case Kind::Entity: return a.as_entity() == b.as_entity();
    case Kind::Decimal: return a.as_decimal() == b.as_decimal();
    case Kind::IpAddr: return a.as_ip() == b.as_ip();
    case Kind::Datetime: return a.as_datetime() == b.as_datetime();
    case Kind::Duration: return a.as_duration() == b.as_duration();
    default: return compare(a, b) == 0;
  }
}

int compare(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return cmp3(static_cast<int>(a.kind()), static_cast<int>(b.kind()));
  switch (a.kind()) {
    case Kind::Bool: return cmp3(a.as_bool(), b.as_bool());
    case Kind::Long: return cmp3(a.as_long(), b.as_long());
    case Kind::String: {
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::Entity: {
      auto c = a.as_entity() <=> b.as_entity();
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::Set: {
      const auto& x = a.as_set();
      const auto& y = b.as_set();
      if (&x == &y) return 0;
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = compare(x[i], y[i]); c != 0) return c;
      }
      return cmp3(x.size(), y.size());
    }
    case Kind::Record: {
      const auto& x = a.as_record();
      const auto& y = b.as_record();
      if (&x == &y) return 0;
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        int c = x[i].first.compare(y[i].first);
        if (c != 0) return c < 0 ? -1 : 1;
        if (int d = compare(x[i].second, y[i].second); d != 0) return d;
      }
      return cmp3(x.size(), y.size());
    }
    case Kind::Decimal: return cmp3(a.as_decimal().raw, b.as_decimal().raw);
    case Kind::IpAddr: {
      auto c = a.as_ip() <=> b.as_ip();
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::Datetime: return cmp3(a.as_datetime().ms, b.as_datetime().ms);
    case Kind::Duration: return cmp3(a.as_duration().ms, b.as_duration().ms);
  }
  return 0;
}

std::string escape_string(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\0': out += "\\0"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u{";
          if (c >= 0x10) out += hex[c >> 4];
          out += hex[c & 0xf];
          out += '}';
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::string Value::str() const {
  switch (kind()) {
    case Kind::Bool: return as_bool() ? "true" : "false";
    case Kind::Long: return std::to_string(as_long());
    case Kind::String: return "\"" + escape_string(as_string()) + "\"";
    case Kind::Entity: return as_entity().str();
    case Kind::Set: {
      std::string out = "[";
      bool first = true;
      for (const auto& e : as_set()) {
        if (!first) out += ", ";
        first = false;
        out += e.str();
      }
      return out + "]";
    }
    case Kind::Record: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : as_record()) {
        if (!first) out += ", ";
        first = false;
        out += "\"" + escape_string(k) + "\": " + v.str();
      }
      return out + "}";
    }
    case Kind::Decimal: return "decimal(\"" + ext::decimal_to_string(as_decimal()) + "\")";
    case Kind::IpAddr: return "ip(\"" + ext::ip_to_string(as_ip()) + "\")";
    case Kind::Datetime: return "datetime(\"" + ext::datetime_to_string(as_datetime()) + "\")";
    case Kind::Duration: return "duration(\"" + ext::duration_to_string(as_duration()) + "\")";
  }
  return "?";
}

}  // namespace tollgate::cedar
