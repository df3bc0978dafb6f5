// An agent's risk tier: the most sensitive action the active pack lets it
// reach, computed by deciding a fixed set of probe actions through the real
// decision point (builtins and pack alike), never typed in (docs/tasks.md,
// "Risk tier").
//
// Each probe is a canonical action — or, for a shell command, the actions
// the command parser makes of it — with a tier of its own: reading an SSH
// key is critical, a force push high, an ordinary write in the workspace
// low. assess_risk() decides every probe for the agent with no task, and
// again under each of its live tasks (their grants, repositories and
// environment), in a fresh session of its own (the egress probe's session
// has read a secret). A probe is reachable when it is allowed, or asks (a
// human can approve it). The tier is the highest tier of an allowed probe,
// where an ask counts one tier lower (it still needs a human each time);
// `approved_tier` is the tier if every ask were approved. An agent that
// reaches nothing — a suspended or offboarded one — is `none`.
//
// Pure: reads the Pdp and its inputs, keeps nothing, thread-safe as
// Pdp::decide is. The caller keeps the inputs alive for the call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pdp/pdp.h"
#include "session/session.h"

namespace tollgate::pdp {

enum class RiskTier : uint8_t { None, Low, Moderate, High, Critical };
std::string_view risk_tier_name(RiskTier t);  // "none", "low", "moderate", "high", "critical"

struct RiskInput {
  const session::Agent* agent = nullptr;    // required
  std::vector<const session::Task*> tasks;  // its live tasks
  std::vector<std::string> credentials;     // configured credential names (cred.request probes)
  std::vector<std::string> mcp_tools;       // "server/tool" from its inventory (mcp.call probes)
  std::string home;                         // the user's home directory
  std::string workspace;                    // the probe session's cwd when a task names no repository
  int64_t now_ms = 0;
};

// One probe that was reachable in one context.
struct ProbeResult {
  std::string probe;  // "read-ssh-key", "cred-request:github", …
  RiskTier tier = RiskTier::None;
  Effect effect = Effect::Deny;       // Allow or Ask
  std::string task;                   // the task whose context reached it; empty: no task
  std::string summary;                // what was probed: "rm -rf ~"
  std::vector<std::string> policies;  // the policies that decided its actions
};

struct RiskReport {
  RiskTier tier = RiskTier::None;           // allowed probes; an ask counts one tier lower
  RiskTier approved_tier = RiskTier::None;  // if every ask were approved
  std::vector<ProbeResult> reachable;       // allowed or asking probes, highest tier first
  int decisions = 0;                        // probe decisions made
};

// The probes' ids, tiers and summaries, for the documentation and the API.
struct ProbeInfo {
  std::string_view id;
  RiskTier tier;
  std::string_view summary;
};
const std::vector<ProbeInfo>& risk_probes();

RiskReport assess_risk(const Pdp& pdp, const RiskInput& in);

}  // namespace tollgate::pdp
