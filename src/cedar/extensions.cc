#include "cedar/extensions.h"

#include <charconv>
#include <cstddef>
#include <limits>

namespace tollgate::cedar::ext {

namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerMinute = 60 * kMsPerSecond;
constexpr int64_t kMsPerHour = 60 * kMsPerMinute;
constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// A decimal holds four fractional digits.
constexpr int kDecimalDigits = 4;
constexpr int64_t kDecimalScale = 10000;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Value of a hexadecimal digit, or -1.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads a run of ASCII digits starting at s[i] into `out`, advancing `i` past
// the run. Returns false when the run is empty or its value exceeds uint64.
// Leading zeros are allowed and never overflow.
bool read_u64(std::string_view s, size_t& i, uint64_t& out) {
  size_t start = i;
  uint64_t v = 0;
  bool overflow = false;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    overflow |= __builtin_mul_overflow(v, uint64_t{10}, &v);
    overflow |= __builtin_add_overflow(v, static_cast<uint64_t>(s[i] - '0'), &v);
  }
  out = v;
  return i != start && !overflow;
}

// Exactly `n` ASCII digits at s[i..i+n) as a number, or -1.
int fixed_digits(std::string_view s, size_t i, size_t n) {
  if (i + n > s.size()) return -1;
  int v = 0;
  for (size_t k = i; k < i + n; ++k) {
    if (!is_digit(s[k])) return -1;
    v = v * 10 + (s[k] - '0');
  }
  return v;
}

void append_uint(std::string& out, uint64_t v, int min_width = 1) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  for (int w = static_cast<int>(end - buf); w < min_width; ++w) out.push_back('0');
  out.append(buf, end);
}

// ---- ipaddr --------------------------------------------------------------

// No accepted address text is longer than
// "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128".
constexpr size_t kMaxIpTextLen = 43;

// Dotted quad: four decimal octets of 1 to 3 digits, no leading zero except a
// lone "0", each at most 255; nothing else.
bool parse_ipv4(std::string_view s, uint8_t out[4]) {
  size_t i = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (i - start == 3) return false;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
    out[octet] = static_cast<uint8_t>(v);
  }
  return i == s.size();
}

// Colon-separated groups of 1 to 4 hex digits (either case, leading zeros
// allowed): eight of them, or at most seven with one "::" standing for the
// missing zero groups. No dotted IPv4 tail, no zone id.
bool parse_ipv6(std::string_view s, uint8_t out[16]) {
  uint16_t groups[8] = {};
  int n = 0;
  int gap = -1;  // index in `groups` where "::" appeared
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  }
  while (i < s.size()) {
    if (n == 8) return false;
    size_t start = i;
    unsigned v = 0;
    for (int h; i < s.size() && (h = hex_value(s[i])) >= 0; ++i) {
      if (i - start == 4) return false;
      v = v * 16 + static_cast<unsigned>(h);
    }
    if (i == start) return false;
    groups[n++] = static_cast<uint16_t>(v);
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    if (++i == s.size()) return false;  // a single trailing ':'
    if (s[i] == ':') {
      if (gap >= 0) return false;
      gap = n;
      ++i;
    }
  }
  if (gap < 0 ? n != 8 : n > 7) return false;
  uint16_t full[8] = {};
  int tail = gap < 0 ? 0 : n - gap;
  for (int k = 0; k < n - tail; ++k) full[k] = groups[k];
  for (int k = 0; k < tail; ++k) full[8 - tail + k] = groups[n - tail + k];
  for (size_t k = 0; k < 8; ++k) {
    out[2 * k] = static_cast<uint8_t>(full[k] >> 8);
    out[2 * k + 1] = static_cast<uint8_t>(full[k] & 0xff);
  }
  return true;
}

// Prefix length: 1 to `max_len` decimal digits, no leading zero except "0",
// value at most `max`.
std::optional<uint8_t> parse_prefix(std::string_view s, size_t max_len, unsigned max) {
  if (s.empty() || s.size() > max_len || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return std::nullopt;
  return static_cast<uint8_t>(v);
}

// Whether the first `bits` bits of `a` and `b` agree.
bool same_leading_bits(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, unsigned bits) {
  unsigned full = bits / 8;
  for (unsigned k = 0; k < full; ++k)
    if (a[k] != b[k]) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return ((a[full] ^ b[full]) & mask) == 0;
}

void append_ipv4(std::string& out, const uint8_t* b) {
  for (int k = 0; k < 4; ++k) {
    if (k > 0) out.push_back('.');
    append_uint(out, b[k]);
  }
}

void append_hex(std::string& out, unsigned v) {
  char buf[8];
  auto end = std::to_chars(buf, buf + sizeof buf, v, 16).ptr;
  out.append(buf, end);
}

// ---- datetime ------------------------------------------------------------

constexpr bool is_leap_year(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr int days_in_month(int64_t y, int m) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

constexpr int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a % b < 0) != (b < 0)); }

// Days from 1970-01-01 to the given proleptic Gregorian date (month 1..12).
constexpr int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;                                    // [0, 399]
  int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

// Inverse of days_from_civil; exact over the whole int64 millisecond range.
constexpr Civil civil_from_days(int64_t z) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;                                       // [0, 146096]
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(days_from_civil(0, 1, 1) == -719528);

// Milliseconds since midnight, in [0, kMsPerDay).
constexpr int64_t ms_of_day(int64_t ms) {
  int64_t r = ms % kMsPerDay;
  return r < 0 ? r + kMsPerDay : r;
}

}  // namespace

// ---- decimal ---------------------------------------------------------------

std::optional<Decimal> parse_decimal(std::string_view s) {
  size_t i = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) ++i;
  uint64_t whole;
  if (!read_u64(s, i, whole) || whole > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  if (i == s.size() || s[i] != '.') return std::nullopt;
  size_t frac_start = ++i;
  while (i < s.size() && is_digit(s[i])) ++i;
  size_t frac_len = i - frac_start;
  if (i != s.size() || frac_len == 0 || frac_len > kDecimalDigits) return std::nullopt;
  int64_t frac = 0;
  for (size_t k = frac_start; k < frac_start + kDecimalDigits; ++k) frac = frac * 10 + (k < i ? s[k] - '0' : 0);
  int64_t scaled;
  if (__builtin_mul_overflow(static_cast<int64_t>(whole), kDecimalScale, &scaled)) return std::nullopt;
  int64_t raw;
  if (neg ? __builtin_sub_overflow(-scaled, frac, &raw) : __builtin_add_overflow(scaled, frac, &raw))
    return std::nullopt;
  return Decimal{raw};
}

std::string decimal_to_string(Decimal d) {
  std::string out;
  uint64_t mag = static_cast<uint64_t>(d.raw);
  if (d.raw < 0) {
    out.push_back('-');
    mag = 0 - mag;
  }
  append_uint(out, mag / kDecimalScale);
  out.push_back('.');
  append_uint(out, mag % kDecimalScale, kDecimalDigits);
  return out;
}

// ---- ipaddr ----------------------------------------------------------------

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (s.size() > kMaxIpTextLen) return std::nullopt;
  size_t colons = 0, dots = 0;
  for (char c : s) {
    colons += c == ':';
    dots += c == '.';
  }
  // IPv4 embedded in IPv6 text ("::ffff:1.2.3.4") is refused outright.
  if (colons >= 2 && dots >= 2) return std::nullopt;

  size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  IpAddr out;
  if (parse_ipv4(addr, out.bytes.data())) {
    out.v6 = false;
    out.prefix = 32;
  } else if (parse_ipv6(addr, out.bytes.data())) {
    out.v6 = true;
    out.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    auto prefix = parse_prefix(s.substr(slash + 1), out.v6 ? 3 : 2, out.v6 ? 128 : 32);
    if (!prefix) return std::nullopt;
    out.prefix = *prefix;
  }
  return out;
}

std::string ip_to_string(const IpAddr& a) {
  std::string out;
  const uint8_t* b = a.bytes.data();
  if (!a.v6) {
    append_ipv4(out, b);
  } else {
    bool mapped = b[10] == 0xff && b[11] == 0xff;
    for (int k = 0; k < 10 && mapped; ++k) mapped = b[k] == 0;
    if (mapped) {
      out += "::ffff:";
      append_ipv4(out, b + 12);
    } else {
      unsigned g[8];
      for (size_t k = 0; k < 8; ++k) g[k] = (unsigned{b[2 * k]} << 8) | b[2 * k + 1];
      // The first longest run of two or more zero groups becomes "::".
      int best = -1, best_len = 1;
      for (int k = 0; k < 8;) {
        if (g[k] != 0) {
          ++k;
          continue;
        }
        int start = k;
        while (k < 8 && g[k] == 0) ++k;
        if (k - start > best_len) best = start, best_len = k - start;
      }
      for (int k = 0; k < 8; ++k) {
        if (k == best) {
          out += "::";
          k += best_len - 1;
          continue;
        }
        if (k > 0 && k != best + best_len) out.push_back(':');
        append_hex(out, g[k]);
      }
    }
  }
  out.push_back('/');
  append_uint(out, a.prefix);
  return out;
}

bool ip_is_ipv4(const IpAddr& a) { return !a.v6; }

bool ip_is_ipv6(const IpAddr& a) { return a.v6; }

// The whole range must lie in 127.0.0.0/8, or be exactly ::1/128.
bool ip_is_loopback(const IpAddr& a) {
  if (!a.v6) return a.bytes[0] == 127 && a.prefix >= 8;
  for (size_t k = 0; k < 15; ++k)
    if (a.bytes[k] != 0) return false;
  return a.bytes[15] == 1 && a.prefix == 128;
}

// The whole range must lie in 224.0.0.0/4 or ff00::/8.
bool ip_is_multicast(const IpAddr& a) {
  if (!a.v6) return (a.bytes[0] & 0xf0) == 0xe0 && a.prefix >= 4;
  return a.bytes[0] == 0xff && a.prefix >= 8;
}

// CIDR blocks are nested or disjoint, so a's block lies in range's block
// exactly when it is no wider and shares range's network bits.
bool ip_is_in_range(const IpAddr& a, const IpAddr& range) {
  return a.v6 == range.v6 && a.prefix >= range.prefix && same_leading_bits(a.bytes, range.bytes, range.prefix);
}

// ---- datetime --------------------------------------------------------------

std::optional<Datetime> parse_datetime(std::string_view s) {
  // YYYY-MM-DD
  int year = fixed_digits(s, 0, 4), month = fixed_digits(s, 5, 2), day = fixed_digits(s, 8, 2);
  if (year < 0 || month < 0 || day < 0 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  int64_t ms = days_from_civil(year, month, day) * kMsPerDay;
  if (s.size() == 10) return Datetime{ms};

  // Thh:mm:ss
  int hh = fixed_digits(s, 11, 2), mm = fixed_digits(s, 14, 2), ss = fixed_digits(s, 17, 2);
  if (s[10] != 'T' || hh < 0 || mm < 0 || ss < 0 || s[13] != ':' || s[16] != ':') return std::nullopt;
  if (hh > 23 || mm > 59 || ss > 59) return std::nullopt;  // no leap second
  ms += hh * kMsPerHour + mm * kMsPerMinute + ss * kMsPerSecond;

  // [.SSS](Z|(+|-)hhmm)
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    int millis = fixed_digits(s, i + 1, 3);
    if (millis < 0) return std::nullopt;
    ms += millis;
    i += 4;
  }
  if (i < s.size() && s[i] == 'Z') return i + 1 == s.size() ? std::optional<Datetime>(Datetime{ms}) : std::nullopt;
  if (i + 5 != s.size() || (s[i] != '+' && s[i] != '-')) return std::nullopt;
  int off_h = fixed_digits(s, i + 1, 2), off_m = fixed_digits(s, i + 3, 2);
  if (off_h < 0 || off_m < 0 || off_h > 23 || off_m > 59) return std::nullopt;
  int64_t offset = off_h * kMsPerHour + off_m * kMsPerMinute;
  // Local time minus its offset from UTC.
  return Datetime{s[i] == '+' ? ms - offset : ms + offset};
}

// ISO 8601 in UTC, as short as exact: "2024-10-15" at midnight,
// "2024-10-15T11:35:00Z", or "2024-10-15T11:35:00.123Z". Years outside
// 0000..9999 (reachable only through offset) carry a sign: "+10000-01-01",
// "-0001-12-31".
std::string datetime_to_string(Datetime d) {
  int64_t day_ms = ms_of_day(d.ms);
  Civil c = civil_from_days(floor_div(d.ms, kMsPerDay));
  std::string out;
  if (c.year < 0) {
    out.push_back('-');
    append_uint(out, static_cast<uint64_t>(-c.year), 4);
  } else {
    if (c.year > 9999) out.push_back('+');
    append_uint(out, static_cast<uint64_t>(c.year), 4);
  }
  out.push_back('-');
  append_uint(out, static_cast<uint64_t>(c.month), 2);
  out.push_back('-');
  append_uint(out, static_cast<uint64_t>(c.day), 2);
  if (day_ms == 0) return out;
  out.push_back('T');
  append_uint(out, static_cast<uint64_t>(day_ms / kMsPerHour), 2);
  out.push_back(':');
  append_uint(out, static_cast<uint64_t>(day_ms / kMsPerMinute % 60), 2);
  out.push_back(':');
  append_uint(out, static_cast<uint64_t>(day_ms / kMsPerSecond % 60), 2);
  if (int64_t millis = day_ms % kMsPerSecond; millis != 0) {
    out.push_back('.');
    append_uint(out, static_cast<uint64_t>(millis), 3);
  }
  out.push_back('Z');
  return out;
}

// ---- duration --------------------------------------------------------------

std::optional<Duration> parse_duration(std::string_view s) {
  // Milliseconds per unit, indexed in the only order allowed: d, h, m, s, ms.
  constexpr uint64_t kUnitMs[5] = {kMsPerDay, kMsPerHour, kMsPerMinute, kMsPerSecond, 1};
  constexpr std::string_view kUnits = "dhms";
  size_t i = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) ++i;
  if (i == s.size()) return std::nullopt;
  // Magnitude in ms. Components all share the sign, so the value fits in
  // int64 exactly when the magnitude does (2^63 allowed when negative).
  uint64_t total = 0;
  size_t next_unit = 0;
  while (i < s.size()) {
    uint64_t n;
    if (!read_u64(s, i, n) || i == s.size()) return std::nullopt;
    size_t unit = kUnits.find(s[i++]);
    if (unit == std::string_view::npos) return std::nullopt;
    if (unit == 2 && i < s.size() && s[i] == 's') {  // "ms", not "m"
      ++i;
      unit = 4;
    }
    if (unit < next_unit) return std::nullopt;
    next_unit = unit + 1;
    uint64_t part;
    if (__builtin_mul_overflow(n, kUnitMs[unit], &part) || __builtin_add_overflow(total, part, &total))
      return std::nullopt;
  }
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (total > kMaxPositive + (neg ? 1 : 0)) return std::nullopt;
  return Duration{neg ? static_cast<int64_t>(0 - total) : static_cast<int64_t>(total)};
}

std::string duration_to_string(Duration d) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, d.ms).ptr;
  std::string out(buf, end);
  out += "ms";
  return out;
}

std::optional<Datetime> datetime_offset(Datetime d, Duration by) {
  int64_t r;
  if (__builtin_add_overflow(d.ms, by.ms, &r)) return std::nullopt;
  return Datetime{r};
}

std::optional<Duration> datetime_duration_since(Datetime d, Datetime other) {
  int64_t r;
  if (__builtin_sub_overflow(d.ms, other.ms, &r)) return std::nullopt;
  return Duration{r};
}

std::optional<Datetime> datetime_to_date(Datetime d) {
  int64_t r;
  if (__builtin_sub_overflow(d.ms, ms_of_day(d.ms), &r)) return std::nullopt;
  return Datetime{r};
}

Duration datetime_to_time(Datetime d) { return Duration{ms_of_day(d.ms)}; }

int64_t duration_to_milliseconds(Duration d) { return d.ms; }
int64_t duration_to_seconds(Duration d) { return d.ms / kMsPerSecond; }
int64_t duration_to_minutes(Duration d) { return duration_to_seconds(d) / 60; }
int64_t duration_to_hours(Duration d) { return duration_to_minutes(d) / 60; }
int64_t duration_to_days(Duration d) { return duration_to_hours(d) / 24; }

}  // namespace tollgate::cedar::ext
