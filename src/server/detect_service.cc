// Service: detection and containment (docs/detect.md; detect/detect.h).
//
// Every decision, outcome, MCP pin change and credential request is fed to
// the detectors; each detection is a `detection` ledger record, and each of
// its containment responses a `containment` record:
//
//   revoke            the task ends (its token dies with it) and its leases are revoked
//   quarantine        every further action of the session (or agent) is denied
//   quarantine-agent  every further action of every session of the agent is denied
//   kill              the kill switch: every action of every agent is denied
//
// Quarantines and the kill switch are decided as built-in denials in the PDP
// (pdp::Request::quarantine, kill_switch), kept in the store, and lifted only
// by a person (`tollgate contain release …`, `contain kill-switch off`),
// whose requests pass the operator guard like `agent suspend`.
//
// No record here holds a secret: detections carry counts, ids, paths and
// hashes, never command lines, tool output or credentials.
#include <algorithm>

#include "base/json.h"
#include "base/random.h"
#include "server/daemon.h"
#include "server/service_internal.h"

namespace tollgate::server {

using nlohmann::json;

namespace {

constexpr size_t kMaxReasonBytes = 512;
constexpr size_t kMaxListed = 1000;

json containment_json(const store::Containment& c) {
  json j = {{"scope", c.scope}, {"reason", c.reason}, {"by", c.by}, {"since_ms", c.since_ms}};
  if (!c.id.empty()) j["id"] = c.id;
  if (!c.detection.empty()) j["detection"] = c.detection;
  return j;
}

// What an agent is told when a containment denies its action.
std::string containment_message(const store::Containment& c) {
  std::string cause =
      c.detection.empty() ? "by " + c.by + ": " + c.reason : "by detection " + c.detection + " (" + c.reason + ")";
  if (c.scope == "global")
    return "the kill switch is on (set " + cause +
           "); every action of every agent is denied until a person runs `tollgate contain kill-switch off`";
  return "the " + c.scope + " `" + c.id + "` is quarantined " + cause +
         "; a person can lift it with `tollgate contain release " + c.scope + " " + c.id + "`";
}

bool containment_denial(const pdp::Decision& d) {
  // Denials that Tollgate's own state made, not the pack: they say nothing
  // new about the agent and must not set detectors off again.
  static const std::vector<std::string> state = {"builtin:kill-switch",     "builtin:quarantined",
                                                 "builtin:agent-suspended", "builtin:agent-offboarded",
                                                 "builtin:task-ended",      "builtin:task-expired"};
  for (const auto& ad : d.actions)
    if (ad.effect == pdp::Effect::Deny && !ad.policies.empty() &&
        std::find(state.begin(), state.end(), ad.policies.front()) != state.end())
      return true;
  return false;
}

}  // namespace

void Service::apply_containment(pdp::Request& req) const {
  if (kill_switch_) req.kill_switch = containment_message(*kill_switch_);
  if (!req.session) return;
  if (auto it = quarantined_sessions_.find(req.session->id); it != quarantined_sessions_.end()) {
    req.quarantine = containment_message(it->second);
    return;
  }
  const std::string& agent = req.agent ? req.agent->id : req.session->agent;
  if (auto it = quarantined_agents_.find(agent); it != quarantined_agents_.end())
    req.quarantine = containment_message(it->second);
}

void Service::observe(detect::Event e) {
  if (!detector_) return;
  int64_t now = opts_.now();
  for (const auto& d : detector_->observe(e)) respond(d, now);
}

void Service::detect_decision(const session::Session& s, const std::string& tool_use_id, const std::string& tool,
                              const pdp::Decision& d) {
  detect::Event e;
  e.kind = detect::EventKind::Decision;
  e.session = s.id;
  e.agent = s.agent;
  e.task = s.task_id;
  e.tool_use_id = tool_use_id;
  e.tool = tool;
  e.effect = pdp::effect_name(d.effect);
  e.contained = containment_denial(d);
  for (const auto& ad : d.actions) {
    const auto& a = ad.action;
    std::string text = a.full_command.empty() ? a.resource : a.full_command;
    e.targets.push_back({std::string(action::action_name(a.kind)), a.path, std::move(text)});
  }
  if (const session::Task* t = task_of(s)) {
    e.task_repos = t->repos;
    e.task_environment = t->environment;
  }
  e.secrets_read = s.secrets_read > 0;
  e.untrusted_input = s.untrusted_input;
  if (!s.task_id.empty())
    e.credentials_held =
        std::count_if(leases_.begin(), leases_.end(), [&](const auto& kv) { return kv.second.task == s.task_id; });
  observe(std::move(e));
}

void Service::detect_outcome(const session::Session& s, const std::string& tool_use_id, const std::string& tool,
                             bool success, bool unpaired) {
  detect::Event e;
  e.kind = detect::EventKind::Outcome;
  e.session = s.id;
  e.agent = s.agent;
  e.task = s.task_id;
  e.tool_use_id = tool_use_id;
  e.tool = tool;
  e.success = success;
  e.unpaired = unpaired;
  e.secrets_read = s.secrets_read > 0;
  e.untrusted_input = s.untrusted_input;
  if (!s.task_id.empty())
    e.credentials_held =
        std::count_if(leases_.begin(), leases_.end(), [&](const auto& kv) { return kv.second.task == s.task_id; });
  observe(std::move(e));
}

void Service::detect_pin(const std::string& sid, const mcp::Pin& after, const mcp::Pin* before,
                         const std::string& change) {
  detect::Event e;
  e.kind = detect::EventKind::McpPin;
  e.session = sid;
  if (auto it = sessions_.find(sid); it != sessions_.end()) {
    e.agent = it->second.agent;
    e.task = it->second.task_id;
  }
  e.server = after.server;
  e.tool = after.tool;
  e.change = change;
  e.status = after.status;
  e.reason = after.reason;
  e.flags = after.flags;
  e.before_hash = before ? before->hash : std::string();
  e.after_hash = after.pending_hash.empty() ? after.hash : after.pending_hash;
  observe(std::move(e));
}

void Service::detect_cred_request(const session::Task& task, const std::string& credential, bool allowed) {
  detect::Event e;
  e.kind = detect::EventKind::CredRequest;
  e.agent = task.agent;
  e.task = task.id;
  e.credential = credential;
  e.allowed = allowed;
  observe(std::move(e));
}

bool Service::contain(store::Containment c, int64_t now, std::string* error) {
  if (c.scope == "global" && kill_switch_) return false;
  auto* map = c.scope == "session" ? &quarantined_sessions_ : c.scope == "agent" ? &quarantined_agents_ : nullptr;
  if (map && map->count(c.id)) return false;
  c.since_ms = now;
  if (auto st = store_->put_containment(c); !st && error) *error = st.error().message;
  // In force even when the store failed: containment fails closed.
  if (map)
    (*map)[c.id] = c;
  else
    kill_switch_ = c;
  json rec = {{"type", "containment"},
              {"action", c.scope == "global" ? "kill-switch" : "quarantine"},
              {"scope", c.scope},
              {"reason", c.reason},
              {"by", c.by},
              {"ts", now}};
  if (!c.id.empty()) rec["target"] = c.id;
  if (!c.detection.empty()) rec["detection"] = c.detection;
  std::string err;
  std::string action = c.scope == "global" ? "kill-switch" : "quarantine";
  record(c.scope == "session" ? c.id : std::string(), "containment", "", action, dump_json(rec), &err);
  if (!err.empty() && error && error->empty()) *error = err;
  return true;
}

std::vector<std::string> Service::end_task(const std::string& id, const std::string& lease_why,
                                           const std::string& reason, int64_t now, std::string* error) {
  std::vector<std::string> revoked;
  auto t = store_->get_task(id);
  if (!t || !t->has_value()) {
    if (error) *error = t ? "no task `" + id + "`" : t.error().message;
    return revoked;
  }
  session::Task task = std::move(**t);
  if (!task.ended) {
    task.ended = true;
    if (auto st = store_->put_task(task); !st && error) *error = st.error().message;
    json rec = {{"type", "task_end"}, {"task", id}, {"ts", now}};
    if (!reason.empty()) rec["reason"] = reason;
    std::string err;
    record("", "task_end", "", "", dump_json(rec), &err);
  }
  tasks_[task.id] = task;
  for (const auto& [lid, l] : leases_)
    if (l.task == id) revoked.push_back(lid);
  std::sort(revoked.begin(), revoked.end());
  revoke_leases([&](const store::Lease& l) { return l.task == id; }, lease_why, now);
  return revoked;
}

void Service::respond(const detect::Detection& d, int64_t now) {
  std::string id = "det-" + random_hex(8);
  if (id.size() != 20) id = "det-" + std::to_string(now);  // no random bytes: still unique enough to name
  json rec = detect::detection_json(d);
  rec["type"] = "detection";
  rec["detection"] = id;
  rec["ts"] = now;
  std::string err;
  record(d.session, "detection", "", d.detector, dump_json(rec), &err);
  std::string why = d.detector + ": " + d.summary;
  if (why.size() > kMaxReasonBytes) why = why.substr(0, kMaxReasonBytes) + "…";
  bool session_level = !d.session.empty() && d.level != "agent";
  for (auto r : d.responses) {
    switch (r) {
      case detect::Response::Alert: break;
      case detect::Response::Revoke: {
        // The detection's task, or for an agent-level one every live task of the agent.
        std::vector<std::string> tasks;
        if (!d.task.empty()) {
          tasks.push_back(d.task);
        } else if (d.level == "agent" && !d.agent.empty()) {
          if (auto all = store_->list_tasks(100000))
            for (const auto& t : *all)
              if (t.agent == d.agent && !t.ended && (!t.expires_ms || t.expires_ms > now)) tasks.push_back(t.id);
        }
        json leases = json::array();
        for (const auto& t : tasks) {
          std::string e;
          for (auto& l : end_task(t, "detection " + id, "detection " + id + " (" + d.detector + ")", now, &e))
            leases.push_back(std::move(l));
        }
        json c = {{"type", "containment"}, {"action", "revoke"}, {"scope", "task"},
                  {"tasks", tasks},        {"leases", leases},   {"detection", id},
                  {"by", "detector"},      {"reason", why},      {"ts", now}};
        if (tasks.empty()) c["result"] = "nothing to revoke: no task is bound";
        record(d.session, "containment", "", "revoke", dump_json(c), &err);
        break;
      }
      case detect::Response::Quarantine:
      case detect::Response::QuarantineAgent: {
        bool agent = r == detect::Response::QuarantineAgent || !session_level;
        std::string target = agent ? d.agent : d.session;
        if (target.empty()) break;
        std::string e;
        contain({agent ? "agent" : "session", target, why, id, "detector", 0}, now, &e);
        break;
      }
      case detect::Response::Kill: {
        std::string e;
        contain({"global", "", why, id, "detector", 0}, now, &e);
        break;
      }
    }
  }
}

std::string Service::handle_contain(const std::string& op, const json& h) {
  std::lock_guard lock(mu_);
  int64_t now = opts_.now();
  std::string by = h.value("by", std::string());
  if (by.empty()) by = "operator";
  by = by.substr(0, 64);
  std::string reason = h.value("reason", std::string()).substr(0, kMaxReasonBytes);
  std::string err;
  auto listing = [&] {
    json q = json::array();
    std::vector<const store::Containment*> all;
    for (const auto& [id, c] : quarantined_sessions_) all.push_back(&c);
    for (const auto& [id, c] : quarantined_agents_) all.push_back(&c);
    std::sort(all.begin(), all.end(), [](const auto* a, const auto* b) {
      return a->since_ms != b->since_ms ? a->since_ms < b->since_ms : a->id < b->id;
    });
    for (const auto* c : all) q.push_back(containment_json(*c));
    return json{{"ok", true},
                {"kill_switch", kill_switch_ ? containment_json(*kill_switch_) : json(nullptr)},
                {"quarantined", std::move(q)}};
  };
  if (op == "contain_list") return dump_json(listing());
  if (op == "detect_list") {
    int64_t limit = h.value("limit", int64_t{20});
    limit = std::clamp<int64_t>(limit, 1, kMaxListed);
    auto events = store_->recent_events("detection", static_cast<size_t>(limit));
    if (!events) return reply_error(events.error().message);
    json arr = json::array();
    for (const auto& e : *events) {
      auto r = parse_json(e.record, "detection", 16);
      if (r && r->is_object()) {
        (*r)["seq"] = e.seq;
        arr.push_back(std::move(*r));
      }
    }
    return dump_json(json{{"ok", true}, {"detections", std::move(arr)}});
  }
  if (op == "contain_kill_switch") {
    bool on = h.value("on", false);
    if (on) {
      if (kill_switch_) return dump_json(json{{"ok", true}, {"kill_switch", true}, {"already", true}});
      contain({"global", "", reason.empty() ? "no reason given" : reason, "", by, 0}, now, &err);
      if (!err.empty()) return reply_error("the kill switch is on, but could not be stored (" + err + ")");
      return dump_json(json{{"ok", true}, {"kill_switch", true}});
    }
    if (!kill_switch_) return reply_error("the kill switch is off");
    if (auto st = store_->delete_containment("global", ""); !st) return reply_error(st.error().message);
    json rec = {{"type", "containment"},
                {"action", "release"},
                {"scope", "global"},
                {"by", by},
                {"reason", reason},
                {"released", containment_json(*kill_switch_)},
                {"ts", now}};
    kill_switch_.reset();
    record("", "containment", "", "release", dump_json(rec), &err);
    return dump_json(json{{"ok", true}, {"kill_switch", false}});
  }
  if (op == "contain_session" || op == "contain_agent") {
    bool agent = op == "contain_agent";
    std::string id = h.value(agent ? "agent" : "session", std::string());
    if (id.empty()) return reply_error(agent ? "name the agent" : "name the session");
    if (agent) {
      if (!agent_for(id)) return reply_error("no agent `" + id.substr(0, 128) + "`");
    } else if (!sessions_.count(id)) {
      auto s = store_->get_session(id);
      if (!s) return reply_error(s.error().message);
      if (!s->has_value()) return reply_error("no session `" + id.substr(0, 128) + "`");
    }
    bool fresh =
        contain({agent ? "agent" : "session", id, reason.empty() ? "no reason given" : reason, "", by, 0}, now, &err);
    if (!err.empty()) return reply_error("quarantined, but not stored (" + err + ")");
    const auto& c = (agent ? quarantined_agents_ : quarantined_sessions_)[id];
    json j = {{"ok", true}, {"containment", containment_json(c)}};
    if (!fresh) j["already"] = true;
    return dump_json(j);
  }
  if (op == "contain_release") {
    std::string scope = h.value("scope", std::string());
    std::string id = h.value("id", std::string());
    if (scope != "session" && scope != "agent") return reply_error("release a `session` or an `agent`");
    auto& map = scope == "session" ? quarantined_sessions_ : quarantined_agents_;
    auto it = map.find(id);
    if (it == map.end()) return reply_error("the " + scope + " `" + id.substr(0, 128) + "` is not quarantined");
    if (auto st = store_->delete_containment(scope, id); !st) return reply_error(st.error().message);
    json rec = {{"type", "containment"},
                {"action", "release"},
                {"scope", scope},
                {"target", id},
                {"by", by},
                {"reason", reason},
                {"released", containment_json(it->second)},
                {"ts", now}};
    map.erase(it);
    record(scope == "session" ? id : std::string(), "containment", "", "release", dump_json(rec), &err);
    return dump_json(json{{"ok", true}, {"released", json{{"scope", scope}, {"id", id}}}});
  }
  return reply_error("unknown op `" + op + "`");
}

}  // namespace tollgate::server
