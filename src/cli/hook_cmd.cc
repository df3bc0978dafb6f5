// `tollgate hook <harness>`: what a harness runs for every hook event. It
// reads the event on stdin, asks the daemon over its unix socket, and
// answers in the harness's protocol (action/hook_protocol.h). It is on the
// agent's critical path, so it starts without the CLI parser (main.cc calls
// run_hook directly) and does no work the daemon can do.
//
// Fail closed: if the daemon cannot be reached, does not answer within
// TOLLGATE_HOOK_TIMEOUT_MS (default 2000), or answers garbage, the event is
// denied with a message that says how to fix it.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "action/action.h"
#include "action/hook_protocol.h"
#include "base/json.h"
#include "cli/commands.h"
#include "server/protocol.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

int emit(const action::HookAnswer& a) {
  if (!a.out.empty()) std::cout << a.out << std::flush;
  if (!a.err.empty()) std::cerr << a.err << std::flush;
  return a.exit_code;
}

std::string event_name_of(std::string_view input) {
  auto j = parse_json(input, "event", action::kMaxEventDepth);
  if (!j || !j->is_object()) return {};
  auto it = j->find("hook_event_name");
  return it != j->end() && it->is_string() ? it->get<std::string>() : std::string();
}

int timeout_ms() {
  const char* t = std::getenv("TOLLGATE_HOOK_TIMEOUT_MS");
  if (!t || !*t) return 2000;
  char* end = nullptr;
  long v = std::strtol(t, &end, 10);
  if (*end != '\0' || v < 10 || v > 600000) return 2000;
  return static_cast<int>(v);
}

// The project directory the harness exports to its hooks, if any.
std::string project_dir(action::Harness h) {
  const char* names[] = {"CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR", "CURSOR_PROJECT_DIR"};
  const char* v = nullptr;
  switch (h) {
    case action::Harness::ClaudeCode: v = std::getenv(names[0]); break;
    case action::Harness::Gemini: v = std::getenv(names[1]); break;
    case action::Harness::Cursor: v = std::getenv(names[2]); break;
    default: break;
  }
  return v ? v : "";
}

}  // namespace

int run_hook(std::string_view harness_name) {
  auto h = action::parse_harness(harness_name);
  if (!h || *h == action::Harness::Mcp) {
    std::cerr << "tollgate hook: unknown harness `" << harness_name
              << "`; expected claude-code, codex, cursor or gemini. Tollgate denies this event.\n";
    return 2;
  }
  std::string input;
  {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(0, buf, sizeof(buf))) > 0) {
      input.append(buf, static_cast<size_t>(n));
      if (input.size() > server::kMaxPayloadBytes) {
        return emit(action::render_failure(*h, event_name_of(input.substr(0, 4096)),
                                           "Tollgate denied this action: the hook event is larger than 16 MiB"));
      }
    }
  }
  std::string socket = server::default_socket();
  json header = {{"v", 1}, {"op", "hook"}, {"harness", harness_name}, {"bytes", input.size()}};
  if (std::string pd = project_dir(*h); !pd.empty()) header["project_dir"] = pd;
  if (const char* tok = std::getenv("TOLLGATE_TASK_TOKEN"); tok && *tok) header["task_token"] = tok;
  if (const char* agent = std::getenv("TOLLGATE_AGENT"); agent && *agent) header["agent"] = agent;
  auto reply = server::call_daemon(socket, dump_json(header), input, timeout_ms());
  if (!reply) {
    return emit(action::render_failure(
        *h, event_name_of(input),
        "Tollgate denied this action because its daemon could not be asked: " + reply.error().message +
            ". Start it with `tollgate serve` (or point TOLLGATE_SOCKET at its socket), then retry; `tollgate doctor` "
            "checks the set-up"));
  }
  auto j = parse_json(*reply, "daemon reply", 8);
  if (!j || !j->is_object() || !j->value("ok", false) || !j->contains("verdict")) {
    std::string why = j && j->is_object() && j->contains("error") && (*j)["error"].is_string()
                          ? (*j)["error"].get<std::string>()
                          : std::string("the daemon's answer was not understood");
    return emit(action::render_failure(*h, event_name_of(input), "Tollgate denied this action: " + why));
  }
  std::string verdict = j->value("verdict", std::string());
  std::string kind_name = j->value("kind", std::string());
  std::string event = j->value("event", std::string());
  std::string reason = j->value("reason", std::string());
  std::string notice = j->value("notice", std::string());
  action::Verdict v = verdict == "allow"    ? action::Verdict::Allow
                      : verdict == "ask"    ? action::Verdict::Ask
                      : verdict == "record" ? action::Verdict::Record
                                            : action::Verdict::Deny;
  action::EventKind kind = action::EventKind::Other;
  for (auto k : {action::EventKind::SessionStart, action::EventKind::SessionEnd, action::EventKind::Prompt,
                 action::EventKind::PreTool, action::EventKind::PostTool, action::EventKind::Stop})
    if (action::event_kind_name(k) == kind_name) kind = k;
  if (v == action::Verdict::Deny && kind == action::EventKind::Other) {
    // A deny for an event the daemon could not classify: block in the
    // universal way.
    return emit(action::render_failure(*h, "", reason));
  }
  return emit(action::render_answer(*h, kind, event, v, reason, notice));
}

}  // namespace tollgate::cli
