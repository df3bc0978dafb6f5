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

}  // namespace tollgate::cli
