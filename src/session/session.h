// Sessions, tasks and data labels: the state a decision depends on beyond
// the action itself (shared/DESIGN.md, "Context and session state").
//
// A Session is one run of one agent. It accumulates what the agent has
// touched — data labels read, secrets read, hosts contacted, untrusted
// content ingested, denials — and that state feeds every later decision
// ("no egress after this session read a secret"). Outcomes update it: a
// read counts once the harness reports the tool succeeded.
//
// A Task binds work to intent (ticket, repositories, environment, change
// window, expiry, grants). Until the task issue's registry exists, a session
// without a task gets the default "no task" context.
//
// LabelTable maps paths and hosts to data labels (`secret`, `credentials`,
// `ci-config`, `agent-config`, `pii`, `registry`, `forge`, `paste` …) from
// glob rules; the defaults are in labels.cc and docs/policies.md, and a
// configuration file can add rules.
//
// Thread-safety: plain values and an immutable table after construction;
// the daemon serialises access to sessions.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tollgate::session {

// Glob match for label rules: `*` and `?` within one path segment, `**`
// across segments, `[…]` not supported (matched literally).
bool glob_match(std::string_view pattern, std::string_view text);

struct LabelRule {
  std::string pattern;  // path glob (`~/.ssh/**`, `*.pem`, `.github/workflows/**`) or host glob (`*.npmjs.org`)
  std::vector<std::string> labels;
  bool host = false;     // a host rule rather than a path rule
  bool exclude = false;  // removes `labels` again (`.env.example` is not a secret)
};

class LabelTable {
 public:
  // The shipped defaults, with `~` expanded against `home`.
  static LabelTable defaults(const std::string& home);
  // Adds a rule; rules apply in order, later exclusions win.
  void add(LabelRule rule);
  // Labels of an absolute, normalised path / of a lowercase host.
  std::vector<std::string> path_labels(std::string_view path) const;
  // Labels of a path taken whole (a recursive search, archive, copy or
  // removal of it): its own, and those of every rule anchored at a place
  // beneath it (`grep -r … ~` reads `~/.ssh/**`). Rules that name a file
  // anywhere (`.env`, `*.pem`) count only for the path itself: what lies
  // beneath a directory is not known without looking.
  std::vector<std::string> tree_labels(std::string_view path) const;
  // What a tree written at the top of a workspace or repository may create:
  // the configuration other programs run or obey, named relative to such a
  // top (`.git/hooks/**`, `.github/workflows/**`, `.claude/settings.json`,
  // `.envrc`) — the labels exec-config, ci-config and agent-config of the
  // rules that are not anchored.
  std::vector<std::string> top_write_labels() const;
  std::vector<std::string> host_labels(std::string_view host) const;
  // The sensitive labels of a file (an absolute, normalised path): secret,
  // credentials, pii, environment, sorted and joined by commas; "" for none. What a
  // directory read whole is looked through for, entry by entry: a quick test
  // of the names first.
  std::string sensitive_labels(std::string_view path) const;
  const std::vector<LabelRule>& rules() const { return rules_; }

 private:
  // A rule with a sensitive label, as sensitive_labels() tests it before
  // path_labels() decides: never false where the rule matches.
  struct Quick {
    enum Kind { kName, kNamePrefix, kNameSuffix, kNameGlob, kPathPrefix, kPathGlob } kind = kName;
    std::string text;
    std::string literal;  // kPathGlob: text the path must hold
  };
  std::string home_;
  std::vector<LabelRule> rules_;
  std::vector<Quick> quick_;
};

struct Task {
  std::string id;
  std::string ticket;
  std::vector<std::string> repos;  // absolute, normalised
  std::string environment;         // dev, staging, prod
  int64_t window_start_ms = 0;     // 0: no window
  int64_t window_end_ms = 0;
  int64_t expires_ms = 0;  // 0: no expiry
  std::vector<std::string> grants;
  std::string agent;         // the agent it was started for
  std::string token_sha256;  // hex digest of the task token (the token itself is never stored)
  std::string jti;           // the task token's id (docs/tasks.md, "Task tokens")
  std::vector<std::string> audience;
  int64_t token_exp_s = 0;  // the token's `exp`
  int64_t created_ms = 0;
  bool ended = false;
};

// An agent: a governed non-human identity. Registered by a person
// (`tollgate agent register`) or on first sight of one of its sessions.
struct Agent {
  std::string id;  // registered name, or "<harness>:<user>@<host>" when first seen
  std::string name;
  std::string harness;
  std::string owner;  // the human accountable for it; empty is flagged
  std::string team;
  std::string account;  // the OS account it runs as
  std::string host;
  std::string status = "active";         // active, suspended, offboarded
  std::vector<std::string> mcp_servers;  // tool connections seen
  int64_t first_seen_ms = 0, last_seen_ms = 0;
  bool registered = false;  // provisioned by a person before first use
};
std::string agent_json(const Agent& a);
Status load_agent_json(Agent& a, std::string_view json);

// A task as JSON for the API and the CLI (without the token digest), and
// the store's full form.
std::string task_json(const Task& t, bool with_digest = false);
Status load_task_json(Task& t, std::string_view json);

struct Session {
  std::string id;
  std::string harness;
  std::string agent;    // agent id ("<harness>@<user>@<host>" until registered)
  std::string cwd;      // the workspace: absolute, normalised
  std::string task_id;  // empty: no task
  int64_t started_ms = 0, last_seen_ms = 0;
  bool ended = false;

  std::set<std::string> labels_read;
  int64_t secrets_read = 0;
  std::set<std::string> hosts_contacted;
  bool untrusted_input = false;
  int64_t denials = 0;
  int64_t decisions = 0;
};

// What an allowed action would change in its session once it succeeds.
struct Effects {
  std::vector<std::string> labels_read;
  bool secret_read = false;
  std::vector<std::string> hosts;
  bool untrusted = false;
  bool empty() const { return labels_read.empty() && !secret_read && hosts.empty() && !untrusted; }
};

// Applies the effects of a successful action to the session.
void apply(Session& s, const Effects& e);

// Compact JSON of a session's accumulated state (for the store and
// `tollgate session show`), and back.
std::string state_json(const Session& s);
Status load_state_json(Session& s, std::string_view json);

// Is `path` equal to or under `dir` (both absolute, normalised)?
bool path_within(std::string_view path, std::string_view dir);

}  // namespace tollgate::session
