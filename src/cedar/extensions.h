// Cedar's extension types: parsing of the constructor strings of
// `decimal`, `ip`, `datetime` and `duration`, their methods, and their
// canonical text. Pure functions over the value structs of value.h; no
// state, safe from any thread. Parse functions return std::nullopt for any
// string the reference implementation rejects; arithmetic that would leave
// the 64-bit range returns std::nullopt too (the evaluator turns that into
// an evaluation error).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cedar/value.h"

namespace tollgate::cedar::ext {

// decimal("12.3456"): optional '-', 1+ ASCII digits (leading zeros allowed),
// '.', 1 to 4 digits; no '+', no exponent, no whitespace. The result must fit
// in i64 when scaled by 10^4 (-922337203685477.5808 ..= 922337203685477.5807).
// "-0.5" is negative; "-0.0" is zero.
std::optional<Decimal> parse_decimal(std::string_view s);
// Canonical text, always four fractional digits: "1.5000", "-0.0001",
// "3.0000".
std::string decimal_to_string(Decimal d);

// ip("192.168.0.1"), ip("10.0.0.0/8"), ip("::1"), ip("fe80::/10"). IPv4:
// exactly four decimal octets <= 255 without leading zeros. IPv6: 1-4 hex
// digits per group, eight groups or fewer with one "::". Rejected: IPv4
// written inside IPv6 ("::ffff:1.2.3.4"; "::ffff:102:304" is fine and is
// IPv6), zone ids, whitespace, prefixes above 32/128 or with a leading zero
// ("/08"), an empty prefix, and any text longer than 43 bytes. Host bits
// after the prefix are kept.
std::optional<IpAddr> parse_ip(std::string_view s);
// "addr/prefix", prefix always present: "10.0.0.1/32", "fe80::/10"; IPv6 in
// RFC 5952 style (lowercase, longest run of 2+ zero groups as "::"), with
// IPv4-mapped addresses shown dotted ("::ffff:1.2.3.4/128", which parse_ip
// itself refuses).
std::string ip_to_string(const IpAddr& a);
bool ip_is_ipv4(const IpAddr& a);
bool ip_is_ipv6(const IpAddr& a);
// The whole range lies in 127.0.0.0/8 (IPv4) or is ::1/128 (IPv6); so
// ip("127.0.0.1/0") is not loopback, nor is ::ffff:7f00:1.
bool ip_is_loopback(const IpAddr& a);
// The whole range lies in 224.0.0.0/4 or ff00::/8.
bool ip_is_multicast(const IpAddr& a);
// a.isInRange(b): every address of a's range lies in b's range (false when
// the families differ).
bool ip_is_in_range(const IpAddr& a, const IpAddr& range);

// datetime("2024-10-15"), "2024-10-15T11:35:00Z", "…T11:35:00.123Z",
// "…T11:35:00+0100", "…T11:35:00.123-0230". Exactly 4-digit years
// (0000..9999, proleptic Gregorian), real calendar days, hh < 24, mm < 60,
// ss < 60 (no leap second), exactly 3 millisecond digits, offset hh < 24 and
// mm < 60; the offset is subtracted to get UTC.
std::optional<Datetime> parse_datetime(std::string_view s);
// ISO 8601 in UTC, as short as exact: "2024-10-15", "2024-10-15T11:35:00Z",
// "2024-10-15T11:35:00.123Z"; years outside 0000..9999 carry a sign.
std::string datetime_to_string(Datetime d);
// duration("1d2h3m4s5ms"), "-3h": one optional leading '-', then one or more
// <digits><unit> with units d, h, m, s, ms in that order, each at most once.
// nullopt when the total leaves i64.
std::optional<Duration> parse_duration(std::string_view s);
// "<milliseconds>ms", e.g. "-3600000ms".
std::string duration_to_string(Duration d);

// dt.offset(dur); nullopt on overflow.
std::optional<Datetime> datetime_offset(Datetime d, Duration by);
// dt.durationSince(other); nullopt on overflow.
std::optional<Duration> datetime_duration_since(Datetime d, Datetime other);
// dt.toDate(): midnight (UTC) of the day, rounding toward negative infinity;
// nullopt on overflow.
std::optional<Datetime> datetime_to_date(Datetime d);
// dt.toTime(): the duration since that midnight (always >= 0).
Duration datetime_to_time(Datetime d);

// toDays/toHours/toMinutes/toSeconds/toMilliseconds: truncating division.
int64_t duration_to_days(Duration d);
int64_t duration_to_hours(Duration d);
int64_t duration_to_minutes(Duration d);
int64_t duration_to_seconds(Duration d);
int64_t duration_to_milliseconds(Duration d);

}  // namespace tollgate::cedar::ext
