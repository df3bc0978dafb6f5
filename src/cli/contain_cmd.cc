// `tollgate contain …` and `tollgate detect list` (docs/detect.md): the kill
// switch, quarantines of sessions and agents, their release, and the
// detections the daemon made. Containment requests are operator requests:
// the daemon refuses them from a governed agent's process tree, and the
// decision point denies an agent's shell running them (`contain list` and
// `detect list` only read).
#include <ctime>
#include <iostream>
#include <memory>
#include <string>

#include "base/json.h"
#include "base/time.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "server/protocol.h"
#include "store/store.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

std::string who() {
  const char* u = std::getenv("USER");
  return u && *u ? u : "operator";
}

void print_containment(const json& c) {
  std::string scope = c.value("scope", "");
  std::cout << (scope == "global" ? std::string("kill switch") : scope + " " + c.value("id", "")) << "  since "
            << rfc3339_utc(c.value("since_ms", int64_t{0})) << "  by "
            << (c.contains("detection") ? "detection " + c.value("detection", "") : c.value("by", "")) << "  "
            << c.value("reason", "") << "\n";
}

}  // namespace

void add_contain_commands(CLI::App& app, int& exit_code) {
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate contain: " << msg << "\n";
    exit_code = 1;
  };
  auto* contain =
      app.add_subcommand("contain", "Containment: the kill switch, quarantined sessions and agents, and their release");
  contain->require_subcommand(1);

  auto list_json = std::make_shared<bool>(false);
  auto* list = contain->add_subcommand("list", "The kill switch and every quarantine in force");
  list->add_flag("--json", *list_json, "Print the daemon's answer as JSON");
  list->callback([list_json, fail] {
    auto r = ask_daemon({{"op", "contain_list"}});
    if (!r) return fail(r.error().message);
    if (*list_json) {
      r->erase("ok");
      std::cout << dump_json(*r) << "\n";
      return;
    }
    const json& ks = (*r)["kill_switch"];
    if (ks.is_object())
      print_containment(ks);
    else
      std::cout << "kill switch off\n";
    for (const auto& c : (*r)["quarantined"]) print_containment(c);
  });

  struct Args {
    std::string state, id, scope, reason;
  };
  auto ks = std::make_shared<Args>();
  auto* kill = contain->add_subcommand("kill-switch", "Deny every action of every agent (on) until turned off");
  kill->add_option("state", ks->state, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  kill->add_option("--reason", ks->reason, "Why (recorded, and shown to every agent it denies)");
  kill->callback([ks, fail] {
    auto r =
        ask_daemon({{"op", "contain_kill_switch"}, {"on", ks->state == "on"}, {"reason", ks->reason}, {"by", who()}});
    if (!r) return fail(r.error().message);
    std::cout << "kill switch " << ks->state << (r->value("already", false) ? " (already)" : "") << "\n";
  });

  for (const char* scope : {"session", "agent"}) {
    auto a = std::make_shared<Args>();
    a->scope = scope;
    auto* cmd = contain->add_subcommand(
        scope, std::string("Quarantine ") + (a->scope == "session" ? "one session" : "every session of an agent") +
                   ": every further action is denied until released");
    cmd->add_option("id", a->id, std::string("The ") + scope)->required();
    cmd->add_option("--reason", a->reason, "Why (recorded, and shown to the agent)");
    cmd->callback([a, fail] {
      auto r = ask_daemon({{"op", "contain_" + a->scope}, {a->scope, a->id}, {"reason", a->reason}, {"by", who()}});
      if (!r) return fail(r.error().message);
      std::cout << a->scope << " " << a->id << " quarantined" << (r->value("already", false) ? " (already)" : "")
                << "\n";
    });
  }

  auto rel = std::make_shared<Args>();
  auto* release = contain->add_subcommand("release", "Lift the quarantine of a session or an agent");
  release->add_option("scope", rel->scope, "session or agent")->required()->check(CLI::IsMember({"session", "agent"}));
  release->add_option("id", rel->id, "The session or agent")->required();
  release->add_option("--reason", rel->reason, "Why (recorded)");
  release->callback([rel, fail] {
    auto r = ask_daemon(
        {{"op", "contain_release"}, {"scope", rel->scope}, {"id", rel->id}, {"reason", rel->reason}, {"by", who()}});
    if (!r) return fail(r.error().message);
    std::cout << rel->scope << " " << rel->id << " released\n";
  });
}

void add_detect_commands(CLI::App& app, int& exit_code) {
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate detect: " << msg << "\n";
    exit_code = 1;
  };
  auto* detect = app.add_subcommand("detect", "What the detectors found");
  detect->require_subcommand(1);
  struct Args {
    int64_t n = 20;
    bool json = false;
    std::string data;
  };
  auto a = std::make_shared<Args>();
  auto* list = detect->add_subcommand("list", "The most recent detections, newest first");
  list->add_option("-n", a->n, "How many (at most 1000)")->check(CLI::Range(1, 1000));
  list->add_flag("--json", a->json, "One JSON object per line (the ledger records)");
  list->add_option("--data", a->data, "Read the ledger of this data directory instead of asking the daemon");
  list->callback([a, fail] {
    json detections = json::array();
    auto r =
        a->data.empty() ? ask_daemon({{"op", "detect_list"}, {"limit", a->n}}) : Result<json>(Error("no daemon asked"));
    if (r) {
      detections = (*r)["detections"];
    } else {
      // Read-only: without a daemon, straight from the ledger file.
      std::string db = (a->data.empty() ? server::default_data_dir() : a->data) + "/tollgate.db";
      auto st = store::Store::open_sqlite(db, store::Store::Mode::kAudit);
      if (!st) return fail(a->data.empty() ? r.error().message + "; and " + st.error().message : st.error().message);
      auto events = (*st)->recent_events("detection", static_cast<size_t>(a->n));
      if (!events) return fail(events.error().message);
      for (const auto& e : *events) {
        auto j = parse_json(e.record, "detection", 16);
        if (j && j->is_object()) {
          (*j)["seq"] = e.seq;
          detections.push_back(std::move(*j));
        }
      }
    }
    for (const auto& d : detections) {
      if (a->json) {
        std::cout << dump_json(d) << "\n";
        continue;
      }
      std::string target = d.contains("session") ? "session " + d.value("session", "")
                           : d.contains("task")  ? "task " + d.value("task", "")
                                                 : "agent " + d.value("agent", "");
      std::string responses;
      for (const auto& x : d.value("responses", json::array()))
        responses += (responses.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : std::string("?"));
      std::cout << rfc3339_utc(d.value("ts", int64_t{0})) << "  " << d.value("detection", "") << "  "
                << d.value("detector", "") << "  " << target << "  [" << (responses.empty() ? "alert" : responses)
                << "]  " << d.value("summary", "") << "\n";
    }
  });
}

}  // namespace tollgate::cli
