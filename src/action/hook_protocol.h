// What `tollgate hook <harness>` prints and how it exits, per harness
// (docs/hooks.md). Each harness has its own answer format and exit-code
// rules:
//
//   Claude Code, Codex  PreToolUse: {"hookSpecificOutput":{"hookEventName":"PreToolUse",
//                       "permissionDecision":"deny"|"ask","permissionDecisionReason":…}};
//                       UserPromptSubmit: {"decision":"block","reason":…}
//   Cursor              {"permission":"allow"|"deny"|"ask","user_message":…,"agent_message":…};
//                       beforeSubmitPrompt: {"continue":false,"user_message":…}
//   Gemini CLI          {"decision":"deny","reason":…}
//
// Codex has no "ask" (it runs the command), so an ask is a deny there that
// says approval is needed. An allow prints nothing where the harness would otherwise skip its own
// permission prompts (Claude Code, Codex, Gemini CLI): Tollgate allowing an
// action does not override the user's own settings. When the event itself
// cannot be understood, the answer is exit code 2 with the reason on stderr,
// which every one of these harnesses treats as a block.
#pragma once

#include <string>
#include <string_view>

#include "action/action.h"

namespace tollgate::action {

enum class Verdict : uint8_t { Allow, Deny, Ask, Record };

struct HookAnswer {
  std::string out;  // stdout
  std::string err;  // stderr
  int exit_code = 0;
};

// The answer to an event the daemon decided (Verdict::Record for events
// that are only recorded). `notice` is shown to the user where the harness
// has a place for it (session start).
HookAnswer render_answer(Harness h, EventKind kind, std::string_view event_name, Verdict v, std::string_view reason,
                         std::string_view notice = {});

// The fail-closed answer when no decision could be had (daemon down,
// garbage, timeout). `event_name` may be empty when the event was not even
// readable.
HookAnswer render_failure(Harness h, std::string_view event_name, std::string_view reason);

}  // namespace tollgate::action
