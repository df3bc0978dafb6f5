// Registration of the `tollgate` subcommands. Each family lives in its own
// file and adds itself to the CLI11 app; the callbacks set `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace tollgate::cli {

void add_cedar_commands(CLI::App& app, int& exit_code);
// `tollgate cedar validate`, added under the `cedar` subcommand.
void add_cedar_validate_command(CLI::App& cedar, int& exit_code);

}  // namespace tollgate::cli
