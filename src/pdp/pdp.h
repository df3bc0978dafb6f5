// The policy decision point: canonical actions + session state → a Cedar
// request per action → allow / deny / ask (shared/DESIGN.md, "Decisions").
//
// For each action, decide() first applies the built-in protections that no
// policy can lift (Tollgate's own files, the harness hook settings, killing
// or uninstalling Tollgate, the kill switch, a quarantine, an ended session
// or expired task), then builds
// the entities (Session in its Task and Agent; the resource with its
// directory chain or parent domains) and the context (now, harness, task,
// session, target) of policies/baseline/schema.cedarschema and evaluates the
// pack's enforced policies: a satisfied forbid denies — or asks, when every
// satisfied forbid carries @ask; otherwise a satisfied permit allows;
// otherwise the default is deny. Log-only policies are evaluated too and
// reported as what they would have decided, never enforced. A tool call is
// allowed only when every one of its actions is: any deny denies, else any
// ask asks.
//
// Errors inside a policy skip that policy (Cedar semantics) and are listed
// in the decision. Pdp is immutable after construction and decide() is
// thread-safe; the caller keeps the Pack alive (shared_ptr).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "action/action.h"
#include "cedar/authorizer.h"
#include "policy/pack.h"
#include "session/session.h"

namespace tollgate::pdp {

enum class Effect : uint8_t { Allow, Deny, Ask };
std::string_view effect_name(Effect e);

struct PolicyError {
  std::string policy;
  std::string message;
};

// The decision on one action.
struct ActionDecision {
  action::Action action;
  Effect effect = Effect::Deny;
  std::vector<std::string> policies;  // determining policies (or "builtin:<name>")
  std::string reason;
  std::vector<PolicyError> errors;
  std::vector<std::string> log_only;  // "would deny: <policy>" for shadow policies that fired
  std::vector<std::string> labels;    // data labels of the target
  session::Effects effects;           // what success would add to the session
  // The Cedar request the pack evaluated; absent for a built-in decision
  // (suspended agent, protected path …) that no policy took part in.
  std::optional<cedar::Request> cedar;
};

// A Cedar request in Cedar's own JSON request format — principal, action
// and resource as {"type","id"}, the context with `__entity` and `__extn`
// escapes — which `tollgate cedar authorize --request` reads back.
nlohmann::json cedar_request_json(const cedar::Request& r);

// The decision on a whole tool call.
struct Decision {
  Effect effect = Effect::Deny;
  std::string reason;  // one sentence for the agent and the user
  std::vector<ActionDecision> actions;
  std::string pack;  // the pack hash
};

// What the PDP knows about the deployment, for the built-in protections.
struct Protected {
  std::vector<std::string> paths;  // absolute: data dir, config file, policy dir, the binary
  std::vector<std::string> names;  // process names that must not be killed ("tollgate")
  // Absolute: what no agent reads, whatever its task grants (the data
  // directory with its keys and tokens, the broker's credential files).
  std::vector<std::string> unreadable;
};

struct Request {
  const session::Session* session = nullptr;  // required
  const session::Task* task = nullptr;        // null: no task
  const session::Agent* agent = nullptr;      // null: unknown (treated as active)
  std::string harness;
  std::string home;
  int64_t now_ms = 0;
  bool approved = false;
  // Containment in force (docs/detect.md), set by the daemon: non-empty
  // denies every action with this reason, whatever the pack says.
  std::string kill_switch;  // the global kill switch
  std::string quarantine;   // this session or its agent is quarantined
};

class Pdp {
 public:
  Pdp(std::shared_ptr<const policy::Pack> pack, session::LabelTable labels, Protected prot);

  Decision decide(const std::vector<action::Action>& actions, const Request& req) const;
  ActionDecision decide_one(const action::Action& a, const Request& req) const;
  // The data labels of an action's target and what its success adds to a
  // session (no policy is evaluated).
  session::Effects effects(const action::Action& a, std::vector<std::string>* labels = nullptr) const;
  // Whether an action counts at all: an incidental read (a path given to a
  // program whose arguments are not modelled) counts only where the path
  // holds credentials; decide() leaves out the rest, effects() adds nothing.
  bool counts(const action::Action& a) const;

  const policy::Pack& pack() const { return *pack_; }
  const std::shared_ptr<const policy::Pack>& pack_ptr() const { return pack_; }
  const session::LabelTable& labels() const { return labels_; }

 private:
  bool builtin(const action::Action& a, const Request& req, ActionDecision& out) const;
  // What of Tollgate's own files or the hook settings a command that is not
  // known to only read names in its arguments; empty when none.
  std::string names_protected(const action::CommandInfo& c, std::string_view home) const;
  std::shared_ptr<const policy::Pack> pack_;
  session::LabelTable labels_;
  Protected prot_;
};

}  // namespace tollgate::pdp
