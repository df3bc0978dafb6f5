// `tollgate serve [--data DIR] [--policies DIR] [--config FILE]`: the
// decision daemon (server/daemon.h), in the foreground until SIGINT/SIGTERM.
#include <limits.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "server/daemon.h"
#include "server/protocol.h"

namespace tollgate::cli {

std::string self_binary() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "tollgate";
  return std::string(buf, static_cast<size_t>(n));
}

void add_serve_command(CLI::App& app, int& exit_code) {
  struct Args {
    server::DaemonOptions opts;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("serve", "Run the decision daemon (hooks connect to its unix socket)");
  cmd->add_option("--data", args->opts.data_dir,
                  "Data directory (default: $TOLLGATE_DATA, $XDG_STATE_HOME/tollgate or ~/.local/state/tollgate)");
  cmd->add_option("--policies", args->opts.policies_dir,
                  "Policy pack directory (default: DATA/policies, seeded with the baseline)");
  cmd->add_option("--config", args->opts.config_file, "Configuration file (default: DATA/config.json if present)");
  cmd->add_option("--socket", args->opts.socket_path, "Unix socket path (default: DATA/tollgate.sock)");
  cmd->add_option("--http", args->opts.http,
                  "Also serve the HTTP API on HOST:PORT, loopback only (e.g. 127.0.0.1:8420; docs/hooks.md)");
  cmd->add_option("--mcp-config", args->opts.mcp_config,
                  "Remote MCP servers behind the gateway at /mcp/<name> (default: DATA/mcp.json if present; "
                  "docs/mcp.md)");
  auto rotation = std::make_shared<std::string>("24h");
  cmd->add_option("--issuer", args->opts.tokens.issuer,
                  "The `iss` of task tokens (default: the --http URL, else urn:tollgate:<trust domain>)");
  cmd->add_option("--trust-domain", args->opts.tokens.trust_domain,
                  "Trust domain of the tokens' SPIFFE subjects (default: tollgate.local)");
  cmd->add_option("--token-audience", args->opts.tokens.audience,
                  "The `aud` of tasks started without --audience (default: tollgate)");
  cmd->add_option("--key-rotation", *rotation, "Rotate the token signing key this often (default: 24h; 0: never)");
  struct CheckpointArgs {
    std::string every = "1h", timeout = "10s", rotation = "30d";
    std::vector<std::string> commands;
  };
  auto cpa = std::make_shared<CheckpointArgs>();
  cmd->add_option("--checkpoint-every", cpa->every,
                  "Sign a checkpoint of the ledger this often when it grew (default: 1h; 0: not on a schedule)");
  cmd->add_option("--checkpoint-records", args->opts.checkpoints.every_records,
                  "Also sign one after this many records (default: 0, off)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--checkpoint-dir", args->opts.checkpoints.dirs,
                  "Write each checkpoint to this directory (repeatable; e.g. one the agent cannot write)");
  cmd->add_option("--checkpoint-command", cpa->commands,
                  "Run this command with each checkpoint on stdin, without a shell (repeatable; e.g. "
                  "\"ssh audit@vault tollgate audit receive --dir /srv/ledger\")");
  cmd->add_option("--checkpoint-timeout", cpa->timeout, "Kill a checkpoint command after this long (default: 10s)");
  cmd->add_option("--checkpoint-key-rotation", cpa->rotation,
                  "Rotate the checkpoint signing key this often (default: 30d; 0: on demand only)");
  cmd->add_option("--durability", args->opts.durability,
                  "When an answer leaves: disk (its record is flushed to the disk: it survives a power cut; the "
                  "default) or process (written to the operating system: it survives a crash of the daemon, not a "
                  "power cut; lower latency)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, store::Store::Durability>{
          {"disk", store::Store::Durability::kDisk}, {"process", store::Store::Durability::kProcess}}));
  cmd->add_option("--reload-interval-ms", args->opts.reload_poll_ms,
                  "How often the policy directory is checked for changes")
      ->check(CLI::Range(50, 3600000));
  cmd->callback([args, rotation, cpa, &exit_code] {
    args->opts.binary = self_binary();
    auto duration = [&](const std::string& flag, const std::string& v, int64_t min_ms) -> std::optional<int64_t> {
      int64_t ms = v == "0" ? 0 : parse_duration_ms(v);
      if (ms < 0 || (ms && ms < min_ms)) {
        std::cerr << "tollgate serve: " << flag << " `" << v << "`: expected a duration (30s, 5m, 24h, 7d) or 0\n";
        exit_code = 2;
        return std::nullopt;
      }
      return ms;
    };
    auto cp_every = duration("--checkpoint-every", cpa->every, 1000);
    auto timeout = duration("--checkpoint-timeout", cpa->timeout, 1000);
    auto key_every = duration("--checkpoint-key-rotation", cpa->rotation, 60000);
    if (!cp_every || !timeout || !key_every) return;
    auto& co = args->opts.checkpoints;
    co.every_ms = *cp_every;
    co.command_timeout_ms = *timeout ? *timeout : 10000;
    co.key_rotate_every_s = *key_every / 1000;
    co.commands.clear();
    for (const auto& c : cpa->commands) {
      auto argv = server::split_command(c);
      if (!argv) {
        std::cerr << "tollgate serve: --checkpoint-command: " << argv.error().message << "\n";
        exit_code = 2;
        return;
      }
      co.commands.push_back(std::move(*argv));
    }
    int64_t every = *rotation == "0" ? 0 : parse_duration_ms(*rotation);
    if (every < 0 || (every && every < 60000)) {
      std::cerr << "tollgate serve: --key-rotation `" << *rotation
                << "`: expected a duration of 1m or more (24h, 7d) or 0\n";
      exit_code = 2;
      return;
    }
    args->opts.tokens.rotate_every_s = every / 1000;
    auto d = server::Daemon::create(args->opts);
    if (!d) {
      std::cerr << "tollgate serve: ";
      print_error(d.error());
      exit_code = 1;
      return;
    }
    exit_code = (*d)->run();
  });

  auto* status = app.add_subcommand("status", "Ask the daemon whether it runs and which policy pack it enforces");
  auto socket = std::make_shared<std::string>();
  status->add_option("--socket", *socket,
                     "Unix socket path (default: $TOLLGATE_SOCKET or the default data directory's)");
  status->callback([socket, &exit_code] {
    std::string path = socket->empty() ? server::default_socket() : *socket;
    auto r = server::call_daemon(path, R"({"v":1,"op":"status","bytes":0})", "", 2000);
    if (!r) {
      std::cerr << "tollgate status: " << r.error().message << "\n";
      exit_code = 1;
      return;
    }
    std::cout << *r << "\n";
  });

  auto* reload =
      app.add_subcommand("reload", "Make the daemon reload its policy pack and MCP upstreams (mcp.json) now");
  reload->add_option("--socket", *socket, "Unix socket path");
  reload->callback([socket, &exit_code] {
    std::string path = socket->empty() ? server::default_socket() : *socket;
    auto r = server::call_daemon(path, R"({"v":1,"op":"reload","bytes":0})", "", 10000);
    if (!r) {
      std::cerr << "tollgate reload: " << r.error().message << "\n";
      exit_code = 1;
      return;
    }
    auto j = parse_json(*r, "reply", 8);
    if (!j || !j->is_object() || !j->value("ok", false)) {
      std::string why = j && j->is_object() ? j->value("error", std::string()) : std::string();
      std::cerr << "tollgate reload: refused, the previous configuration stays active" << (why.empty() ? "" : ": ")
                << why << "\n";
      if (j && j->is_object() && j->contains("diagnostics"))
        for (const auto& d : (*j)["diagnostics"]) std::cerr << "  " << d.get<std::string>() << "\n";
      else
        std::cerr << *r << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "policy pack " << j->value("pack", std::string()) << " active\n";
  });
}

}  // namespace tollgate::cli
