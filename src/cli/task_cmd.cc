// `tollgate task start|end|list|show`: tasks bind an agent's work to intent
// (ticket, repositories, environment, change window, TTL, grants). The
// daemon owns them; these commands ask it over its socket. A session is
// bound to a task when its harness runs with TOLLGATE_TASK_TOKEN set to the
// token `task start` prints.
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"
#include "cli/io.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

// RFC 3339 in UTC ("2026-11-22T09:00:00Z", seconds optional) → ms; -1 when malformed.
int64_t parse_time(const std::string& s) {
  std::tm tm{};
  int y, mo, d, h, mi, sec = 0;
  char z = 0;
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z);
  if (n != 7 || z != 'Z') {
    n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%c", &y, &mo, &d, &h, &mi, &z);
    if (n != 6 || z != 'Z') return -1;
    sec = 0;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

void add_task_commands(CLI::App& app, int& exit_code) {
  auto* task =
      app.add_subcommand("task", "Tasks: bind an agent's work to a ticket, repositories, environment and window");
  task->require_subcommand(1);
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate task: " << msg << "\n";
    exit_code = 1;
  };

  struct StartArgs {
    std::string agent, ticket, env = "dev", window, ttl = "30m";
    std::vector<std::string> repos, grants, audience;
    bool json = false;
  };
  auto sa = std::make_shared<StartArgs>();
  auto* start = task->add_subcommand("start", "Start a task; prints its id and token");
  start->add_option("--agent", sa->agent, "The agent that works on it")->required();
  start->add_option("--ticket", sa->ticket, "The ticket it serves")->required();
  start->add_option("--repo", sa->repos, "A repository it may change (repeatable)");
  start->add_option("--env", sa->env, "dev, staging or prod")->check(CLI::IsMember({"dev", "staging", "prod"}));
  start->add_option("--window", sa->window, "Change window START..END in UTC (2026-11-22T09:00Z..2026-11-22T17:00Z)");
  start->add_option("--ttl", sa->ttl, "How long it lives (30m, 2h, 1d; default 30m)");
  start->add_option("--allow-label", sa->grants,
                    "A data label or capability it grants (secret, pii, infra; repeatable)");
  start->add_option("--audience", sa->audience,
                    "Who the task token is for: its `aud` (repeatable; default: the daemon's --token-audience)");
  start->add_flag("--json", sa->json, "Print {\"task\": …, \"token\": …}");
  start->callback([sa, fail] {
    int64_t ttl = parse_duration_ms(sa->ttl);
    if (ttl < 0) return fail("--ttl `" + sa->ttl + "`: expected a duration such as 30m, 2h or 1d");
    json h = {{"v", 1},
              {"op", "task_start"},
              {"bytes", 0},
              {"agent", sa->agent},
              {"ticket", sa->ticket},
              {"repos", sa->repos},
              {"environment", sa->env},
              {"ttl_ms", ttl},
              {"grants", sa->grants},
              {"audience", sa->audience}};
    if (!sa->window.empty()) {
      auto dots = sa->window.find("..");
      int64_t a = dots == std::string::npos ? -1 : parse_time(sa->window.substr(0, dots));
      int64_t b = dots == std::string::npos ? -1 : parse_time(sa->window.substr(dots + 2));
      if (a < 0 || b < 0 || b <= a)
        return fail("--window `" + sa->window + "`: expected START..END in UTC, START before END");
      h["window_start_ms"] = a;
      h["window_end_ms"] = b;
    }
    auto r = ask_daemon(h);
    if (!r) return fail(r.error().message);
    if (sa->json) {
      std::cout << dump_json(json{{"task", (*r)["task"]}, {"token", (*r)["token"]}}) << "\n";
    } else {
      std::cout << "task  " << (*r)["task"].get<std::string>() << "\ntoken " << (*r)["token"].get<std::string>()
                << "\n\nrun the agent with TOLLGATE_TASK_TOKEN set to the token to bind its sessions to the task\n";
    }
  });

  auto id = std::make_shared<std::string>();
  auto* end = task->add_subcommand("end", "End a task: its sessions are denied from now on");
  end->add_option("id", *id, "The task id")->required();
  end->callback([id, fail] {
    auto r = ask_daemon({{"v", 1}, {"op", "task_end"}, {"bytes", 0}, {"task", *id}});
    if (!r) return fail(r.error().message);
    std::cout << "task " << *id << " ended\n";
  });
  auto* show = task->add_subcommand("show", "Show one task");
  show->add_option("id", *id, "The task id")->required();
  show->callback([id, fail] {
    auto r = ask_daemon({{"v", 1}, {"op", "task_show"}, {"bytes", 0}, {"task", *id}});
    if (!r) return fail(r.error().message);
    std::cout << (*r)["task"].dump(2) << "\n";
  });
  auto* list = task->add_subcommand("list", "List tasks, newest first");
  list->callback([fail] {
    auto r = ask_daemon({{"v", 1}, {"op", "task_list"}, {"bytes", 0}});
    if (!r) return fail(r.error().message);
    for (const auto& t : (*r)["tasks"])
      std::cout << t.value("id", "") << "  " << t.value("ticket", "") << "  " << t.value("agent", "") << "  "
                << t.value("environment", "") << (t.value("ended", false) ? "  ended" : "") << "\n";
  });
}

}  // namespace tollgate::cli
