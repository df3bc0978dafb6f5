// `tollgate mcp [--name NAME] -- COMMAND ARGS…`: the MCP gateway as a stdio
// wrapper (docs/mcp.md). An MCP configuration entry changes from
// `npx some-server` to `tollgate mcp --name some -- npx some-server`.
// `tollgate mcp approve SERVER [TOOL]` and `tollgate mcp pins [SERVER]` are
// for people: approving quarantined definitions and reviewing the pins.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/random.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "mcp/gateway.h"
#include "server/protocol.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

std::string env_or(const char* name, std::string fallback = {}) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

// A server name from its command: `npx -y @modelcontextprotocol/server-filesystem /p`
// → "server-filesystem"; `/usr/bin/my-server` → "my-server". Another npm
// scope stays in the name (`@acme/server-filesystem` → "acme~server-filesystem"),
// so that a package of another publisher does not take on the official
// one's pins and policies.
std::string name_from_command(const std::vector<std::string>& cmd) {
  size_t i = 0;
  auto base = [](std::string s) {
    std::string scope;
    if (s.size() > 1 && s[0] == '@' && s.find('/') != std::string::npos) {
      scope = s.substr(1, s.find('/') - 1);
      s = s.substr(s.find('/') + 1);
    }
    if (auto slash = s.rfind('/'); slash != std::string::npos) s = s.substr(slash + 1);
    if (auto at = s.find('@', 1); at != std::string::npos) s = s.substr(0, at);  // pkg@1.2.3
    if (!scope.empty() && scope != "modelcontextprotocol") s = scope + "~" + s;  // `~` is in no npm name
    return s;
  };
  std::string prog = base(cmd[0]);
  if ((prog == "npx" || prog == "node" || prog == "uvx" || prog == "python3" || prog == "python" || prog == "bunx" ||
       prog == "deno" || prog == "pnpm") &&
      cmd.size() > 1) {
    for (i = 1; i < cmd.size() && !cmd[i].empty() && cmd[i][0] == '-'; ++i) {
    }
    if (i < cmd.size()) prog = base(cmd[i]);
  }
  std::string out;
  for (char c : prog) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '~';
    out += ok ? c : '-';
  }
  if (auto dot = out.rfind('.'); dot != std::string::npos && dot > 0) out = out.substr(0, dot);  // server.js
  return out.empty() ? "mcp" : out.substr(0, 128);
}

}  // namespace

void add_mcp_commands(CLI::App& app, int& exit_code) {
  auto* mcp = app.add_subcommand("mcp", "Put an MCP server behind Tollgate: tollgate mcp --name NAME -- COMMAND ARGS…");
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate mcp: " << msg << "\n";
    exit_code = 1;
  };
  struct Args {
    std::string name, session, tool, server;
    std::vector<std::string> command;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  mcp->add_option("--name", a->name,
                  "The server's name in policies (McpTool::\"NAME/tool\"); default: from the command");
  mcp->add_option("--session", a->session, "The session its requests belong to (default: $TOLLGATE_SESSION, else new)");
  mcp->add_option("command", a->command, "The MCP server's command and arguments, after `--`");
  mcp->callback([a, fail, &exit_code, mcp] {
    if (!mcp->get_subcommands().empty()) return;
    if (a->command.empty()) return fail("name the MCP server's command after `--`: tollgate mcp --name fs -- npx …");
    mcp::StdioOptions o;
    o.command = a->command;
    o.gateway.server = a->name.empty() ? name_from_command(a->command) : a->name;
    std::string sid = a->session.empty() ? env_or("TOLLGATE_SESSION") : a->session;
    if (sid.empty()) sid = "mcp-" + o.gateway.server + "-" + random_hex(6);
    o.gateway.session = sid;
    char cwd[4096];
    o.gateway.cwd = ::getcwd(cwd, sizeof cwd) ? cwd : "/";
    o.gateway.task_token = env_or("TOLLGATE_TASK_TOKEN");
    o.gateway.agent = env_or("TOLLGATE_AGENT");
    int timeout = std::atoi(env_or("TOLLGATE_HOOK_TIMEOUT_MS", "2000").c_str());
    if (timeout <= 0) timeout = 2000;
    std::string socket = server::default_socket();
    if (auto ping = server::call_daemon(socket, R"({"v":1,"op":"ping","bytes":0})", "", timeout); !ping) {
      std::cerr << "tollgate mcp: the daemon does not answer at " << socket << " (" << ping.error().message
                << "); every tool call will be refused until `tollgate serve` runs\n";
    }
    // One connection for the gateway's whole life: no connect per call, and
    // an outcome posted on it commits together with the next decision.
    auto link = std::make_shared<server::DaemonLink>(socket, timeout);
    mcp::Decider decider = [link](std::string_view h, std::string_view p) { return link->call(h, p); };
    mcp::Poster poster = [link](std::string_view h, std::string_view p, int) { return link->post(h, p); };
    exit_code = mcp::run_stdio(o, decider, poster);
    // The last outcomes were posted: they are on disk before the gateway ends.
    if (auto st = link->flush(); !st)
      std::cerr << "tollgate mcp: the last outcomes may not be recorded: " << st.error().message << "\n";
  });

  auto* approve = mcp->add_subcommand("approve", "Approve the quarantined definitions of a server (or one tool)");
  approve->add_option("server", a->server, "The server's name")->required();
  approve->add_option("tool", a->tool, "One tool; without it every quarantined definition of the server");
  approve->callback([a, fail] {
    auto r = ask_daemon({{"op", "mcp"},
                         {"kind", "approve"},
                         {"server", a->server},
                         {"tool", a->tool},
                         {"by", env_or("USER", "unknown")}});
    if (!r) return fail(r.error().message);
    for (const auto& t : (*r)["approved"]) std::cout << "approved " << a->server << "/" << t.get<std::string>() << "\n";
  });

  auto* pins = mcp->add_subcommand("pins", "The pinned MCP tool definitions and what is quarantined");
  pins->add_option("server", a->server, "One server");
  pins->add_flag("--json", a->json, "JSON output");
  pins->callback([a, fail] {
    auto r = ask_daemon({{"op", "mcp"}, {"kind", "pins"}, {"server", a->server}});
    if (!r) return fail(r.error().message);
    if (a->json) {
      std::cout << (*r)["pins"].dump(2) << "\n";
      return;
    }
    for (const auto& p : (*r)["pins"]) {
      std::string tool = p.value("tool", "");
      std::cout << p.value("server", "") << "/" << (tool.empty() ? "(instructions)" : tool) << "  "
                << p.value("status", "") << "  " << p.value("hash", "").substr(0, 16);
      if (p.value("status", "") != "approved") std::cout << "  " << p.value("reason", "");
      std::cout << "\n";
    }
  });
}

}  // namespace tollgate::cli
