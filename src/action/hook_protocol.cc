#include "action/hook_protocol.h"

#include "base/json.h"

namespace tollgate::action {

using nlohmann::json;

namespace {

std::string line(const json& j) { return dump_json(j) + "\n"; }

// Cursor names its events itself; pick the answer shape by event.
HookAnswer cursor_answer(std::string_view event_name, EventKind kind, Verdict v, std::string_view reason) {
  HookAnswer a;
  if (kind == EventKind::Prompt) {
    json j = {{"continue", v != Verdict::Deny}};
    if (v == Verdict::Deny) j["user_message"] = reason;
    a.out = line(j);
    return a;
  }
  if (kind == EventKind::PreTool) {
    std::string perm = v == Verdict::Allow ? "allow" : v == Verdict::Ask ? "ask" : "deny";
    if (event_name == "beforeReadFile" && perm == "ask") perm = "deny";  // beforeReadFile knows allow/deny only
    json j = {{"permission", perm}};
    if (v != Verdict::Allow) {
      j["user_message"] = reason;
      j["agent_message"] = reason;
    }
    a.out = line(j);
    return a;
  }
  a.out = "{}\n";
  return a;
}

}  // namespace

HookAnswer render_answer(Harness h, EventKind kind, std::string_view event_name, Verdict v, std::string_view reason,
                         std::string_view notice) {
  HookAnswer a;
  switch (h) {
    case Harness::ClaudeCode:
    case Harness::Codex:
      if (h == Harness::Codex && kind == EventKind::PreTool && v == Verdict::Ask) {
        // Codex does not support "ask" (it would run the command): a
        // question becomes a deny that says approval is needed.
        a.out =
            line({{"hookSpecificOutput",
                   {{"hookEventName", "PreToolUse"},
                    {"permissionDecision", "deny"},
                    {"permissionDecisionReason", "approval needed, and Codex cannot ask: " + std::string(reason)}}}});
      } else if (kind == EventKind::PreTool && (v == Verdict::Deny || v == Verdict::Ask)) {
        a.out = line({{"hookSpecificOutput",
                       {{"hookEventName", "PreToolUse"},
                        {"permissionDecision", v == Verdict::Deny ? "deny" : "ask"},
                        {"permissionDecisionReason", reason}}}});
      } else if (kind == EventKind::Prompt && v == Verdict::Deny) {
        a.out = line({{"decision", "block"}, {"reason", reason}});
      } else if (kind == EventKind::SessionStart && !notice.empty() && h == Harness::ClaudeCode) {
        a.out = line({{"systemMessage", notice}});
      }
      return a;
    case Harness::Cursor: return cursor_answer(event_name, kind, v, reason);
    case Harness::Gemini:
      if ((kind == EventKind::PreTool || kind == EventKind::Prompt) && (v == Verdict::Deny || v == Verdict::Ask)) {
        // Gemini CLI's hooks have no "ask": a question becomes a deny that says so.
        a.out =
            line({{"decision", "deny"},
                  {"reason", v == Verdict::Ask ? "approval needed, and Gemini CLI cannot ask: " + std::string(reason)
                                               : std::string(reason)}});
      } else if (kind == EventKind::SessionStart && !notice.empty()) {
        a.out = line({{"systemMessage", notice}});
      } else {
        a.out = "{}\n";
      }
      return a;
    case Harness::Mcp: return a;
  }
  return a;
}

HookAnswer render_failure(Harness h, std::string_view event_name, std::string_view reason) {
  EventKind kind = EventKind::Other;
  if (!event_name.empty()) {
    // Reuse the event classification of parse_hook_event.
    auto ev = parse_hook_event(h, dump_json(json{{"hook_event_name", event_name}, {"tool_name", "?"}}));
    if (ev) kind = ev->kind;
  }
  if (kind == EventKind::PreTool || kind == EventKind::Prompt) {
    HookAnswer a = render_answer(h, kind, event_name, Verdict::Deny, reason);
    a.err = std::string(reason) + "\n";
    return a;
  }
  if (kind == EventKind::Other && event_name.empty()) {
    // Not even the event could be read: block in the way every harness understands.
    return HookAnswer{"", std::string(reason) + "\n", 2};
  }
  // Lifecycle and outcome events cannot be blocked; say what is wrong.
  HookAnswer a = render_answer(h, kind, event_name, Verdict::Record, "", reason);
  a.err = std::string(reason) + "\n";
  return a;
}

}  // namespace tollgate::action
