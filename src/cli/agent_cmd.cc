// `tollgate agent register|list|show|set-owner|suspend|resume|offboard`:
// agents as governed identities (docs/tasks.md, "Agents"). The daemon owns
// the registry; these commands ask it over its socket. Sessions attach to a
// registered agent through TOLLGATE_AGENT in the harness's environment.
#include <iostream>
#include <string>
#include <tuple>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

void print_agent(const json& a) {
  std::cout << a.value("id", "") << "  " << a.value("status", "") << "  harness " << a.value("harness", "")
            << "  owner "
            << (a.value("owner", "").empty() ? std::string("(NONE: an agent without an owner)") : a.value("owner", ""))
            << (a.value("team", "").empty() ? "" : "  team " + a.value("team", ""))
            << (a.contains("risk_tier") ? "  risk " + a.value("risk_tier", "") + " (" +
                                              a.value("risk_tier_if_approved", "") + " if approved)"
                                        : "")
            << (a.value("registered", false) ? "" : "  (seen, not registered)") << "\n";
}

}  // namespace

void add_agent_commands(CLI::App& app, int& exit_code) {
  auto* agent = app.add_subcommand("agent", "Agents as governed identities: register, list, suspend, offboard");
  agent->require_subcommand(1);
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate agent: " << msg << "\n";
    exit_code = 1;
  };
  struct Args {
    std::string name, harness, owner, team;
  };
  auto a = std::make_shared<Args>();
  auto* reg = agent->add_subcommand("register", "Provision an agent before first use");
  reg->add_option("--name", a->name, "Its id")->required();
  reg->add_option("--harness", a->harness, "claude-code, codex, cursor or gemini")
      ->required()
      ->check(CLI::IsMember({"claude-code", "codex", "cursor", "gemini"}));
  reg->add_option("--owner", a->owner, "The person accountable for it")->required();
  reg->add_option("--team", a->team, "Its team");
  reg->callback([a, fail] {
    auto r = ask_daemon({{"op", "agent_register"},
                         {"agent", a->name},
                         {"harness", a->harness},
                         {"owner", a->owner},
                         {"team", a->team}});
    if (!r) return fail(r.error().message);
    print_agent((*r)["agent"]);
    std::cout << "run its harness with TOLLGATE_AGENT=" << a->name << " to attach its sessions\n";
  });
  agent->add_subcommand("list", "Every agent, registered or seen")->callback([fail] {
    auto r = ask_daemon({{"op", "agent_list"}});
    if (!r) return fail(r.error().message);
    for (const auto& x : (*r)["agents"]) print_agent(x);
  });
  for (auto [name, op, help] : {std::tuple{"show", "agent_show", "Show one agent"},
                                std::tuple{"suspend", "agent_suspend", "Deny everything the agent does until resumed"},
                                std::tuple{"resume", "agent_resume", "Lift a suspension"},
                                std::tuple{"offboard", "agent_offboard",
                                           "Retire the agent for good: its tasks end, its id cannot come back"}}) {
    auto* cmd = agent->add_subcommand(name, help);
    auto id = std::make_shared<std::string>();
    cmd->add_option("id", *id, "The agent")->required();
    std::string o = op;
    cmd->callback([id, o, fail] {
      auto r = ask_daemon({{"op", o}, {"agent", *id}});
      if (!r) return fail(r.error().message);
      if (o == "agent_show") {
        std::cout << (*r)["agent"].dump(2) << "\n";
      } else {
        print_agent((*r)["agent"]);
      }
    });
  }
  auto* owner = agent->add_subcommand("set-owner", "Name the person accountable for an agent");
  auto oid = std::make_shared<std::string>();
  auto who = std::make_shared<std::string>();
  owner->add_option("id", *oid, "The agent")->required();
  owner->add_option("owner", *who, "The person")->required();
  owner->callback([oid, who, fail] {
    auto r = ask_daemon({{"op", "agent_set_owner"}, {"agent", *oid}, {"owner", *who}});
    if (!r) return fail(r.error().message);
    print_agent((*r)["agent"]);
  });
}

}  // namespace tollgate::cli
