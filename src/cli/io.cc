#include "cli/io.h"

#include <fstream>
#include <iostream>
#include <sstream>

namespace tollgate::cli {

bool read_file(const std::string& path, std::string& out) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    ss << in.rdbuf();
  }
  out = ss.str();
  return true;
}

void print_error(const Error& e) {
  if (e.diagnostics.empty()) {
    std::cerr << "error: " << e.message << "\n";
    return;
  }
  for (const auto& d : e.diagnostics) std::cerr << d.str() << "\n";
}

// "30m", "2h", "1d", "90s", "1h30m" → milliseconds; -1 when malformed.
int64_t parse_duration_ms(const std::string& s) {
  int64_t total = 0, n = 0;
  bool digits = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      n = n * 10 + (c - '0');
      digits = true;
      if (n > 100000000) return -1;
      continue;
    }
    if (!digits) return -1;
    int64_t unit = c == 's' ? 1000 : c == 'm' ? 60000 : c == 'h' ? 3600000 : c == 'd' ? 86400000 : -1;
    if (unit < 0) return -1;
    total += n * unit;
    n = 0;
    digits = false;
  }
  return digits || total == 0 ? -1 : total;
}

}  // namespace tollgate::cli
