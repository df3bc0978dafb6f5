// The `tollgate` command.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Tollgate: runtime governance for AI coding agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tollgate 0.1.0"));
  int exit_code = 0;
  tollgate::cli::add_cedar_commands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
