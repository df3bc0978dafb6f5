// The detectors (detect/detect.h, docs/detect.md).
#include "detect/detect.h"

#include <algorithm>
#include <cctype>

#include "session/session.h"

namespace tollgate::detect {

using nlohmann::json;

std::string_view response_name(Response r) {
  switch (r) {
    case Response::Alert: return "alert";
    case Response::Revoke: return "revoke";
    case Response::Quarantine: return "quarantine";
    case Response::QuarantineAgent: return "quarantine-agent";
    case Response::Kill: return "kill";
  }
  return "alert";
}

Config::Config() {
  // Containment by default only where the signal is strong and the effect
  // stays with the offender: a probing session is quarantined and its task's
  // credentials revoked; a session holding the ingredients of exfiltration
  // loses its credentials. Agent-level rules only alert (every unregistered
  // session of one harness and user shares an agent). Nothing kills by default.
  probing = {true, 10, 300'000, 50, {Response::Quarantine, Response::Revoke}, {Response::Alert}};
  burst = {true, 120, 60'000, 600, {Response::Alert}, {Response::Alert}};
  scope_deviation = {true, 5, 600'000, 0, {Response::Alert}, {}};
  privilege_accumulation = {true, 10, 600'000, 0, {Response::Revoke}, {}};
  rug_pull = {true, 1, 60'000, 0, {Response::Alert}, {}};
  missing_enforcement = {true, 1, 60'000, 0, {Response::Alert}, {}};
}

namespace {

constexpr size_t kMaxExamples = 5;
constexpr size_t kMaxIdInEvidence = 128;

std::string bounded(std::string_view s, size_t n = kMaxIdInEvidence) {
  return std::string(s.substr(0, n)) + (s.size() > n ? "…" : "");
}

// How sensitive an environment name is: 0 development, 1 staging, 2
// production; -1 for a word that names no environment.
int env_rank(std::string_view w) {
  for (std::string_view d : {"dev", "development", "local", "test", "testing", "sandbox"})
    if (w == d) return 0;
  for (std::string_view s : {"staging", "preprod", "uat"})
    if (w == s) return 1;
  for (std::string_view p : {"prod", "production"})
    if (w == p) return 2;
  return -1;
}

// The most sensitive environment word in `text` (split at anything but
// letters and digits, lowercased), and its rank; rank -1 when none.
std::pair<int, std::string> most_sensitive_env(std::string_view text) {
  std::pair<int, std::string> best{-1, {}};
  std::string word;
  auto flush = [&] {
    if (word.empty() || word.size() > 16) {
      word.clear();
      return;
    }
    int r = env_rank(word);
    if (r > best.first) best = {r, word};
    word.clear();
  };
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else
      flush();
  }
  flush();
  return best;
}

bool in_temp(std::string_view path) {
  for (std::string_view d : {"/tmp", "/var/tmp", "/dev/shm"})
    if (session::path_within(path, d)) return true;
  return false;
}

// Why one target of a task's session is out of the task's scope; empty
// when it is not.
std::string out_of_scope(const Target& t, const std::vector<std::string>& repos, int task_rank) {
  if ((t.action == "file.write" || t.action == "file.delete") && !repos.empty() && !t.path.empty() &&
      !in_temp(t.path)) {
    bool inside =
        std::any_of(repos.begin(), repos.end(), [&](const std::string& r) { return session::path_within(t.path, r); });
    if (!inside) return t.action + " " + bounded(t.path, 256) + " (outside the task's repositories)";
  }
  auto env = most_sensitive_env(t.text + " " + t.path);
  if (env.first > task_rank) return t.action + " naming the environment `" + env.second + "`";
  return {};
}

std::string seconds(int64_t ms) { return std::to_string(ms / 1000) + " s"; }

}  // namespace

struct Detector::SessionState {
  Window denials, actions, scope;
  std::deque<std::string> scope_examples;
  std::unordered_map<std::string, std::string> decisions;  // tool-use id → effect
  std::deque<std::string> decision_order;                  // oldest first, for eviction
  bool privilege_fired = false;
  int64_t last_seen = 0;
};

Detector::Detector(Config cfg, Clock now) : cfg_(std::move(cfg)), now_(std::move(now)) {}
Detector::~Detector() = default;

Detector::SessionState& Detector::session(const std::string& id) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) return *it->second;
  if (sessions_.size() >= kMaxTracked) {
    auto oldest = sessions_.begin();
    for (auto i = sessions_.begin(); i != sessions_.end(); ++i)
      if (i->second->last_seen < oldest->second->last_seen) oldest = i;
    sessions_.erase(oldest);
  }
  return *(sessions_[id] = std::make_unique<SessionState>());
}

Detector::Window& Detector::agent_window(std::unordered_map<std::string, Window>& m, const std::string& id) {
  auto it = m.find(id);
  if (it != m.end()) return it->second;
  if (m.size() >= kMaxTracked) {
    auto oldest = m.begin();
    for (auto i = m.begin(); i != m.end(); ++i)
      if (i->second.last_seen < oldest->second.last_seen) oldest = i;
    m.erase(oldest);
  }
  return m[id];
}

bool Detector::cooling(const std::string& key, int64_t window_ms) {
  int64_t now = now_();
  auto it = fired_.find(key);
  if (it != fired_.end() && now - it->second < window_ms) return true;
  if (fired_.size() >= 4 * kMaxTracked) {
    // Forget what fired longer ago than any window can be (a week).
    for (auto i = fired_.begin(); i != fired_.end();)
      i = now - i->second >= 7 * 24 * 3600 * 1000LL ? fired_.erase(i) : std::next(i);
    if (fired_.size() >= 4 * kMaxTracked) fired_.clear();
  }
  fired_[key] = now;
  return false;
}

namespace {

// Adds `now` to `w` within `window_ms`; true when that makes `threshold`.
bool tally(std::deque<int64_t>& w, int64_t now, int64_t window_ms, int64_t threshold) {
  while (!w.empty() && w.front() <= now - window_ms) w.pop_front();
  w.push_back(now);
  while (static_cast<int64_t>(w.size()) > threshold) w.pop_front();
  return static_cast<int64_t>(w.size()) >= threshold;
}

Detection make(std::string detector, std::string level, const Event& e, const std::vector<Response>& responses) {
  Detection d;
  d.detector = std::move(detector);
  d.level = std::move(level);
  if (d.level != "agent") d.session = e.session;
  d.agent = e.agent;
  d.task = e.task;
  d.responses = responses;
  return d;
}

}  // namespace

std::vector<Detection> Detector::observe(const Event& e) {
  std::vector<Detection> out;
  switch (e.kind) {
    case EventKind::Decision: decision(e, out); break;
    case EventKind::Outcome: outcome(e, out); break;
    case EventKind::McpPin: pin(e, out); break;
    case EventKind::CredRequest: cred(e, out); break;
  }
  return out;
}

void Detector::decision(const Event& e, std::vector<Detection>& out) {
  int64_t now = now_();
  SessionState& st = session(e.session);
  st.last_seen = now;
  if (!e.tool_use_id.empty()) {
    auto [it, fresh] = st.decisions.try_emplace(e.tool_use_id, e.effect);
    if (!fresh) {
      it->second = e.effect;
    } else {
      st.decision_order.push_back(e.tool_use_id);
      if (st.decision_order.size() > kMaxDecisionsPerSession) {
        st.decisions.erase(st.decision_order.front());
        st.decision_order.pop_front();
      }
    }
  }
  if (!e.contained) {
    // Counting one session's (and one agent's) denials and decisions.
    auto counted = [&](const char* name, const Rule& r, Window& sw, std::unordered_map<std::string, Window>& agents,
                       const char* what) {
      if (!r.enabled) return;
      sw.last_seen = now;
      if (tally(sw.times, now, r.window_ms, r.threshold) &&
          !cooling(std::string(name) + "\x1fsession\x1f" + e.session, r.window_ms)) {
        sw.times.clear();
        Detection d = make(name, "session", e, r.responses);
        d.summary = "the session `" + bounded(e.session) + "` made " + std::to_string(r.threshold) + " " + what +
                    " within " + seconds(r.window_ms);
        d.evidence = {
            {"count", r.threshold}, {"window_s", r.window_ms / 1000}, {"tool_use_id", bounded(e.tool_use_id)}};
        out.push_back(std::move(d));
      }
      if (r.agent_threshold > 0 && !e.agent.empty()) {
        Window& aw = agent_window(agents, e.agent);
        aw.last_seen = now;
        if (tally(aw.times, now, r.window_ms, r.agent_threshold) &&
            !cooling(std::string(name) + "\x1f" + "agent\x1f" + e.agent, r.window_ms)) {
          aw.times.clear();
          Detection d = make(name, "agent", e, r.agent_responses);
          d.summary = "the agent `" + bounded(e.agent) + "` made " + std::to_string(r.agent_threshold) + " " + what +
                      " within " + seconds(r.window_ms) + " across its sessions";
          d.evidence = {
              {"count", r.agent_threshold}, {"window_s", r.window_ms / 1000}, {"last_session", bounded(e.session)}};
          out.push_back(std::move(d));
        }
      }
    };
    if (e.effect == "deny") counted("probing", cfg_.probing, st.denials, agent_denials_, "denied calls");
    counted("burst", cfg_.burst, st.actions, agent_actions_, "calls");

    const Rule& sr = cfg_.scope_deviation;
    if (sr.enabled && !e.task.empty()) {
      int task_rank = std::max(0, most_sensitive_env(e.task_environment).first);
      std::string why;
      for (const auto& t : e.targets)
        if (why.empty()) why = out_of_scope(t, e.task_repos, task_rank);
      if (!why.empty()) {
        st.scope_examples.push_back(why);
        if (st.scope_examples.size() > kMaxExamples) st.scope_examples.pop_front();
        st.scope.last_seen = now;
        if (tally(st.scope.times, now, sr.window_ms, sr.threshold) &&
            !cooling("scope_deviation\x1fsession\x1f" + e.session, sr.window_ms)) {
          st.scope.times.clear();
          Detection d = make("scope_deviation", "session", e, sr.responses);
          d.summary = "the session `" + bounded(e.session) + "` of task `" + bounded(e.task) + "` made " +
                      std::to_string(sr.threshold) + " calls outside the task's scope within " + seconds(sr.window_ms);
          d.evidence = {{"count", sr.threshold},
                        {"window_s", sr.window_ms / 1000},
                        {"environment", bounded(e.task_environment, 64)},
                        {"examples", std::vector<std::string>(st.scope_examples.begin(), st.scope_examples.end())}};
          st.scope_examples.clear();
          out.push_back(std::move(d));
        }
      }
    }
  }
  privilege(e, st, out);
}

void Detector::privilege(const Event& e, SessionState& st, std::vector<Detection>& out) {
  const Rule& r = cfg_.privilege_accumulation;
  if (!r.enabled || st.privilege_fired) return;
  if (!(e.secrets_read && e.untrusted_input && e.credentials_held > 0)) return;
  st.privilege_fired = true;
  Detection d = make("privilege_accumulation", "session", e, r.responses);
  d.summary = "the session `" + bounded(e.session) + "` has read a secret, seen untrusted input and holds " +
              std::to_string(e.credentials_held) + " credential lease(s) of its task";
  d.evidence = {{"secrets_read", true}, {"untrusted_input", true}, {"credentials_held", e.credentials_held}};
  out.push_back(std::move(d));
}

void Detector::outcome(const Event& e, std::vector<Detection>& out) {
  int64_t now = now_();
  SessionState& st = session(e.session);
  st.last_seen = now;
  const Rule& r = cfg_.missing_enforcement;
  std::string key = "missing_enforcement\x1fsession\x1f" + e.session;
  auto fired = fired_.find(key);
  bool quiet = fired != fired_.end() && now - fired->second < r.window_ms;
  // While the session is quiet there is nothing to find out: a flood of
  // outcomes costs no ledger lookups.
  if (r.enabled && !quiet && !e.unpaired && !e.tool_use_id.empty()) {
    std::optional<std::string> effect;
    if (auto it = st.decisions.find(e.tool_use_id); it != st.decisions.end())
      effect = it->second;
    else if (lookup_)
      effect = lookup_(e.session, e.tool_use_id);
    std::string why;
    if (!effect)
      why = "no decision was made for it: the call did not go through the hook";
    else if (*effect == "deny" && e.success)
      why = "it was denied and ran anyway";
    if (!why.empty() && !cooling(key, r.window_ms)) {
      Detection d = make("missing_enforcement", "session", e, r.responses);
      d.summary = "the session `" + bounded(e.session) + "` reported the outcome of tool use `" +
                  bounded(e.tool_use_id) + "`, but " + why;
      d.evidence = {{"tool_use_id", bounded(e.tool_use_id)},
                    {"tool", bounded(e.tool)},
                    {"decision", effect ? json(*effect) : json(nullptr)},
                    {"success", e.success}};
      out.push_back(std::move(d));
    }
  }
  privilege(e, st, out);
}

void Detector::pin(const Event& e, std::vector<Detection>& out) {
  const Rule& r = cfg_.rug_pull;
  if (!r.enabled || e.status != "quarantined") return;
  std::string what = e.tool.empty() ? "the MCP server `" + bounded(e.server) + "`"
                                    : "the MCP tool `" + bounded(e.server) + "/" + bounded(e.tool) + "`";
  Detection d = make("rug_pull", "server", e, r.responses);
  d.summary = what + " was quarantined (" + e.change + "): " + bounded(e.reason, 256);
  d.evidence = {{"server", bounded(e.server)},  {"tool", bounded(e.tool)},
                {"change", bounded(e.change)},  {"flags", e.flags},
                {"before_hash", e.before_hash}, {"after_hash", e.after_hash}};
  out.push_back(std::move(d));
}

void Detector::cred(const Event& e, std::vector<Detection>& out) {
  const Rule& r = cfg_.privilege_accumulation;
  if (!r.enabled || e.task.empty()) return;
  int64_t now = now_();
  Window& w = agent_window(task_creds_, e.task);
  w.last_seen = now;
  if (!tally(w.times, now, r.window_ms, r.threshold) ||
      cooling("privilege_accumulation\x1ftask\x1f" + e.task, r.window_ms))
    return;
  w.times.clear();
  Detection d = make("privilege_accumulation", "task", e, r.responses);
  d.summary = "the task `" + bounded(e.task) + "` asked for " + std::to_string(r.threshold) + " credentials within " +
              seconds(r.window_ms);
  d.evidence = {{"count", r.threshold}, {"window_s", r.window_ms / 1000}, {"credential", bounded(e.credential, 64)}};
  out.push_back(std::move(d));
}

json detection_json(const Detection& d) {
  json responses = json::array();
  for (auto r : d.responses) responses.push_back(response_name(r));
  json j = {{"detector", d.detector}, {"level", d.level},       {"agent", d.agent},
            {"summary", d.summary},   {"evidence", d.evidence}, {"responses", std::move(responses)}};
  if (!d.session.empty()) j["session"] = d.session;
  if (!d.task.empty()) j["task"] = d.task;
  return j;
}

}  // namespace tollgate::detect
