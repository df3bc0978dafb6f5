#include "cedar/value.h"

#include <algorithm>
#include <functional>

#include "cedar/extensions.h"

namespace tollgate::cedar {

namespace {

size_t hash_uid(const std::string& type, const std::string& id) {
  size_t h = std::hash<std::string>{}(type);
  return h ^ (std::hash<std::string>{}(id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

const std::shared_ptr<const std::string>& empty_string() {
  static const auto s = std::make_shared<const std::string>();
  return s;
}

template <class T>
int cmp3(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

EntityUID::EntityUID() : EntityUID(std::string(), std::string()) {}

EntityUID::EntityUID(std::string type, std::string id) {
  size_t h = hash_uid(type, id);
  rep_ = std::make_shared<const Rep>(Rep{std::move(type), std::move(id), h});
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
