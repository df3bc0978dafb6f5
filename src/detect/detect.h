// Detectors over the daemon's event stream (docs/detect.md).
//
// The daemon feeds a Detector every decision, outcome, MCP pin change and
// credential request as an Event; observe() returns the Detections that
// event set off, each with the responses the configuration names for it.
// The detector only decides *that* something happened; the daemon records
// the detection and carries out the responses (revoke, quarantine, kill
// switch). Detectors:
//
//   probing                 N denials of one session (or one agent) within a window
//   burst                   N decisions of one session (or one agent) within a window
//   scope_deviation         N decisions of a task's session that write outside the task's
//                           repositories or name a more sensitive environment than the task's
//   privilege_accumulation  a session that has read a secret, holds credentials and has seen
//                           untrusted input; or N credential requests of one task within a window
//   rug_pull                an MCP tool definition (or server) changed or was quarantined
//   missing_enforcement     an outcome for a tool use with no decision, or a denied tool use
//                           that ran anyway: something bypassed the hook
//
// Windows slide on the injected clock; a detector that fired for a session
// (agent, task) stays quiet for that key for one window, so a loop cannot
// flood the ledger. Decisions that a containment itself denied (`contained`)
// count for nothing: a quarantined session does not keep setting off probing.
// Memory is bounded: at most kMaxTracked sessions, agents and tasks (the
// least recently seen is forgotten) and kMaxDecisionsPerSession tool-use ids
// per session (older ones are asked of the lookup set with
// set_decision_lookup, which the daemon answers from its ledger).
//
// Thread-safety: none; the daemon calls it under its own lock. Never throws
// on the event path; parse_config reports every bad value as an Error that
// names the file and the member.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tollgate::detect {

using Clock = std::function<int64_t()>;  // milliseconds since the Unix epoch

// What the daemon does when a detector fires. A detection is always
// recorded (that is `alert`); the others add containment.
enum class Response : uint8_t {
  Alert,            // record only
  Revoke,           // end the task (its token) and revoke every lease of it
  Quarantine,       // deny everything the session does (the agent, for agent-level detections)
  QuarantineAgent,  // deny everything every session of the agent does
  Kill,             // the global kill switch: every action of every agent denied
};
std::string_view response_name(Response r);  // "alert", "revoke", "quarantine", "quarantine-agent", "kill"

// One detector's settings. `threshold` and `agent_threshold` count events
// within `window_ms`; 0 for agent_threshold turns the agent-level rule off.
struct Rule {
  bool enabled = true;
  int64_t threshold = 1;
  int64_t window_ms = 60'000;
  int64_t agent_threshold = 0;
  std::vector<Response> responses;        // for the session-, task- or server-level detection
  std::vector<Response> agent_responses;  // for the agent-level detection
};

// Every detector's rule; the default constructor gives the documented
// defaults (docs/detect.md, "Defaults"). No default response is `kill`.
struct Config {
  Rule probing, burst, scope_deviation, privilege_accumulation, rug_pull, missing_enforcement;
  Config();
};

// Parses the configuration's "detect" member over the defaults: an object
// of detector name → {"enabled", the threshold's own name ("denials",
// "actions", "credential_requests", "outcomes"), "window" (whole seconds),
// "agent_…", "response", "agent_response"}. Unknown names, wrong types and
// out-of-range values are errors naming `path` and the member.
Result<Config> parse_config(const nlohmann::json& detect, const std::string& path);

enum class EventKind : uint8_t { Decision, Outcome, McpPin, CredRequest };

// One action of a decided tool call, as much as the detectors need.
struct Target {
  std::string action;  // "file.write", "shell.exec", "net.fetch" …
  std::string path;    // file actions: absolute, normalised
  std::string text;    // what else the action names (command line, host, MCP tool) — scanned, never recorded
};

struct Event {
  EventKind kind = EventKind::Decision;
  std::string session, agent, task;  // task: empty when the session has none
  std::string tool_use_id;           // Decision, Outcome
  // Decision
  std::string effect;      // "allow", "deny", "ask"
  bool contained = false;  // denied by a containment (quarantine, kill switch)
  std::vector<Target> targets;
  std::vector<std::string> task_repos;  // the bound task's repositories
  std::string task_environment;         // and environment
  // Outcome
  bool success = true;
  bool unpaired = false;  // the harness has no event before this one (Cursor's afterFileEdit)
  // The session's state after the event (Decision, Outcome)
  bool secrets_read = false;
  bool untrusted_input = false;
  int64_t credentials_held = 0;  // live leases of the session's task
  // McpPin: the pin after the change
  std::string server, tool, change, status, reason;  // change: "pinned", "definition changed" …
  std::vector<std::string> flags;
  std::string before_hash, after_hash;
  // CredRequest
  std::string credential;
  bool allowed = false;
};

struct Detection {
  std::string detector;  // "probing", "burst", "scope_deviation", …
  std::string level;     // "session", "agent", "task" or "server"
  std::string session, agent, task;
  std::string summary;  // one sentence; never a secret or a command line
  nlohmann::json evidence = nlohmann::json::object();
  std::vector<Response> responses;
};

class Detector {
 public:
  static constexpr size_t kMaxTracked = 10000;
  static constexpr size_t kMaxDecisionsPerSession = 512;

  Detector(Config cfg, Clock now);
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // For outcomes whose decision this detector has not seen (made before a
  // restart, or forgotten): the decision's effect, nullopt when there was
  // none.
  using DecisionLookup =
      std::function<std::optional<std::string>(const std::string& session, const std::string& tool_use_id)>;
  void set_decision_lookup(DecisionLookup f) { lookup_ = std::move(f); }

  // Feeds one event; returns what it set off (usually nothing).
  std::vector<Detection> observe(const Event& e);

  const Config& config() const { return cfg_; }

 private:
  // Times of the events counted for one key, oldest first.
  struct Window {
    std::deque<int64_t> times;
    int64_t last_seen = 0;
  };
  struct SessionState;
  void decision(const Event& e, std::vector<Detection>& out);
  void outcome(const Event& e, std::vector<Detection>& out);
  void pin(const Event& e, std::vector<Detection>& out);
  void cred(const Event& e, std::vector<Detection>& out);
  void privilege(const Event& e, SessionState& st, std::vector<Detection>& out);
  SessionState& session(const std::string& id);
  Window& agent_window(std::unordered_map<std::string, Window>& m, const std::string& id);
  // True when `key` fired less than a window ago; otherwise remembers now.
  bool cooling(const std::string& key, int64_t window_ms);

  Config cfg_;
  Clock now_;
  DecisionLookup lookup_;
  std::unordered_map<std::string, std::unique_ptr<SessionState>> sessions_;
  std::unordered_map<std::string, Window> agent_denials_, agent_actions_, task_creds_;
  std::unordered_map<std::string, int64_t> fired_;  // key → when it last fired
};

// A detection as the body of a `detection` ledger record (without id and
// time, which the daemon adds).
nlohmann::json detection_json(const Detection& d);

}  // namespace tollgate::detect
