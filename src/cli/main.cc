// The `tollgate` command.
#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

#include "cli/commands.h"

int main(int argc, char** argv) {
  // The hook runs once per agent event: skip building the whole CLI.
  if (argc == 3 && std::string_view(argv[1]) == "hook") return tollgate::cli::run_hook(argv[2]);
  CLI::App app{"Tollgate: runtime governance for AI coding agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("tollgate 0.1.0"));
  int exit_code = 0;
  tollgate::cli::add_cedar_commands(app, exit_code);
  tollgate::cli::add_policy_commands(app, exit_code);
  tollgate::cli::add_serve_command(app, exit_code);
  tollgate::cli::add_install_commands(app, exit_code);
  tollgate::cli::add_audit_commands(app, exit_code);
  tollgate::cli::add_task_commands(app, exit_code);
  tollgate::cli::add_agent_commands(app, exit_code);
  tollgate::cli::add_mcp_commands(app, exit_code);
  tollgate::cli::add_token_commands(app, exit_code);
  tollgate::cli::add_cred_commands(app, exit_code);
  tollgate::cli::add_contain_commands(app, exit_code);
  tollgate::cli::add_detect_commands(app, exit_code);
  tollgate::cli::add_secret_commands(app, exit_code);
  auto* hook = app.add_subcommand("hook", "Run by a harness for each hook event (reads the event on stdin)");
  std::string harness;
  hook->add_option("harness", harness, "claude-code, codex, cursor or gemini")->required();
  hook->callback([&] { exit_code = tollgate::cli::run_hook(harness); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
