// Small helpers shared by the `tollgate` subcommands: reading an input file
// (or standard input for "-") and printing an Error's diagnostics to stderr
// as `file:line:col: message`.
#pragma once

#include <string>

#include "base/result.h"

namespace tollgate::cli {

bool read_file(const std::string& path, std::string& out);
void print_error(const Error& e);

}  // namespace tollgate::cli
