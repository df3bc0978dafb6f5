// Wall-clock times as people and formats read them.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace tollgate {

// Milliseconds since the Unix epoch as RFC 3339 UTC to the second:
// "2026-11-22T17:04:00Z".
inline std::string rfc3339_utc(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace tollgate
