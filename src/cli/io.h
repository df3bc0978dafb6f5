// Small helpers shared by the `tollgate` subcommands: reading an input file
// (or standard input for "-") and printing an Error's diagnostics to stderr
// as `file:line:col: message`.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace tollgate::cli {

bool read_file(const std::string& path, std::string& out);
void print_error(const Error& e);
// "30m", "2h", "1d", "90s", "1h30m" → milliseconds; -1 when malformed.
int64_t parse_duration_ms(const std::string& s);

}  // namespace tollgate::cli
