// Random identifiers and secrets from the kernel's CSPRNG (getrandom).
// Thread-safe; returns an empty string only if the kernel refuses.
#pragma once

#include <sys/random.h>

#include <string>

namespace tollgate {

// `bytes` random bytes as lower-case hex.
inline std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(raw.data() + got, bytes - got, 0);
    if (n <= 0) return {};
    got += static_cast<size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : raw) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace tollgate
