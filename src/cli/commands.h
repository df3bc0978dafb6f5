// Registration of the `tollgate` subcommands. Each family lives in its own
// file and adds itself to the CLI11 app; the callbacks set `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

#include <string_view>

namespace tollgate::cli {

void add_cedar_commands(CLI::App& app, int& exit_code);
// `tollgate cedar validate`, added under the `cedar` subcommand.
void add_cedar_validate_command(CLI::App& cedar, int& exit_code);

// `tollgate policy check|fmt|explain` (policy_cmd.cc) and `policy test`
// (policy_test_cmd.cc), added under one `policy` subcommand.
void add_policy_commands(CLI::App& app, int& exit_code);
void add_policy_test_command(CLI::App& policy, int& exit_code);

// `tollgate serve`, `status` and `reload` (serve_cmd.cc).
void add_serve_command(CLI::App& app, int& exit_code);
// `tollgate install`, `uninstall` and `doctor` (install_cmd.cc).
void add_install_commands(CLI::App& app, int& exit_code);
// `tollgate audit …` (audit_cmd.cc): the ledger.
void add_audit_commands(CLI::App& app, int& exit_code);
// `tollgate agent …` (agent_cmd.cc).
void add_agent_commands(CLI::App& app, int& exit_code);
// `tollgate task …` (task_cmd.cc).
void add_task_commands(CLI::App& app, int& exit_code);
// `tollgate mcp …` (mcp_cmd.cc): the MCP gateway.
void add_mcp_commands(CLI::App& app, int& exit_code);
// `tollgate token …` (token_cmd.cc).
void add_token_commands(CLI::App& app, int& exit_code);
// `tollgate cred …` (cred_cmd.cc): the credential broker.
void add_cred_commands(CLI::App& app, int& exit_code);
// `tollgate contain …` and `tollgate detect list` (contain_cmd.cc).
void add_contain_commands(CLI::App& app, int& exit_code);
void add_detect_commands(CLI::App& app, int& exit_code);
// secret_cmd.cc
void add_secret_commands(CLI::App& app, int& exit_code);
// `tollgate hook <harness>` (hook_cmd.cc): returns the process exit code.
int run_hook(std::string_view harness);

}  // namespace tollgate::cli
