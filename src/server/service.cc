// Service: one hook event in, one verdict out (server/daemon.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "action/action.h"
#include "action/hook_protocol.h"
#include "analyze/paths.h"
#include "base/json.h"
#include "base/random.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "identity/keys.h"
#include "ledger/redact.h"
#include "policy/pack.h"
#include "server/daemon.h"
#include "server/peers.h"
#include "server/protocol.h"
#include "server/service_internal.h"
#include "server/tokens.h"

namespace tollgate::server {

using nlohmann::json;

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr size_t kMaxSessionsInMemory = 10000;
constexpr size_t kPromptExcerpt = 512;

}  // namespace

std::string reply_error(std::string_view msg) { return dump_json(json{{"ok", false}, {"error", msg}}); }

std::string reply_verdict(action::Verdict v, action::EventKind kind, std::string_view event, std::string_view reason,
                          std::string_view notice) {
  std::string_view vs = v == action::Verdict::Allow  ? "allow"
                        : v == action::Verdict::Deny ? "deny"
                        : v == action::Verdict::Ask  ? "ask"
                                                     : "record";
  json j = {
      {"ok", true}, {"verdict", vs}, {"kind", action::event_kind_name(kind)}, {"event", event}, {"reason", reason}};
  if (!notice.empty()) j["notice"] = notice;
  return dump_json(j);
}

action::Verdict to_verdict(pdp::Effect e) {
  switch (e) {
    case pdp::Effect::Allow: return action::Verdict::Allow;
    case pdp::Effect::Ask: return action::Verdict::Ask;
    case pdp::Effect::Deny: return action::Verdict::Deny;
  }
  return action::Verdict::Deny;
}

json action_json(const pdp::ActionDecision& ad) {
  const auto& a = ad.action;
  json errors = json::array();
  for (const auto& e : ad.errors) errors.push_back({{"policy", e.policy}, {"message", e.message}});
  json j = {{"action", action::action_name(a.kind)},
            {"resource", std::string(action::resource_type(a.kind)) + "::" + a.resource},
            {"summary", a.summary},
            {"effect", pdp::effect_name(ad.effect)},
            {"policies", ad.policies},
            {"reason", ad.reason},
            {"errors", std::move(errors)},
            {"labels", ad.labels}};
  if (a.opaque) j["opaque"] = true;
  if (a.tree) j["tree"] = true;  // on everything beneath the path
  if (a.download_exec) j["download_exec"] = true;
  if (!ad.log_only.empty()) j["log_only"] = ad.log_only;
  if (ad.cedar) j["request"] = pdp::cedar_request_json(*ad.cedar);
  return j;
}

namespace {

// The event name, when the payload is JSON enough to have one.
std::string best_effort_event_name(std::string_view payload) {
  auto j = parse_json(payload.substr(0, std::min<size_t>(payload.size(), action::kMaxEventBytes)), "event", 64);
  if (!j || !j->is_object()) return {};
  auto it = j->find("hook_event_name");
  return it != j->end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Service::Service(std::unique_ptr<store::Store> store, std::shared_ptr<const pdp::Pdp> pdp, ServiceOptions opts)
    : store_(std::move(store)), pdp_(std::move(pdp)), opts_(std::move(opts)) {
  if (!opts_.now) opts_.now = system_now_ms;
  issuer_ = opts_.tokens.issuer.empty() ? "urn:tollgate:" + opts_.tokens.trust_domain : opts_.tokens.issuer;
  identity::KeySetOptions ko;
  ko.rotate_every_s = opts_.tokens.rotate_every_s;
  ko.skew_s = opts_.tokens.skew_s;
  // In memory until the daemon installs its persisted keys; without keys no task can start.
  if (auto ks = identity::KeySet::open(ko, opts_.now() / 1000)) keys_ = std::move(*ks);
  // Leases issued before a restart are revoked on schedule like any other.
  if (auto live = store_->live_leases())
    for (auto& l : *live) {
      // Its revocation was pending (the daemon stopped before the revoke
      // command ran, or the command failed), or its task ended meanwhile:
      // revoked again at the first tick.
      if (l.revoked_why.rfind(kRevokePending, 0) == 0) {
        unrevoked_at_start_.push_back(l.id);
      } else if (auto t = store_->get_task(l.task); t && *t && (*t)->ended) {
        unrevoked_at_start_.push_back(l.id);
      }
      leases_[l.id] = std::move(l);
    }
  // Detectors, and the containments in force before a restart.
  detector_ = std::make_unique<detect::Detector>(opts_.detect, opts_.now);
  detector_->set_decision_lookup([this](const std::string& sid, const std::string& id) -> std::optional<std::string> {
    auto e = store_->decision_effect(sid, id);
    // A ledger that cannot be read says nothing either way: assume decided.
    if (!e) return std::string("unknown");
    return *e;
  });
  if (auto held = store_->containments()) {
    for (auto& c : *held) {
      if (c.scope == "global")
        kill_switch_ = c;
      else if (c.scope == "session")
        quarantined_sessions_[c.id] = c;
      else if (c.scope == "agent")
        quarantined_agents_[c.id] = c;
    }
  }
}

Service::~Service() {
  {
    std::lock_guard lock(revoke_mu_);
    revoke_stop_ = true;
  }
  revoke_cv_.notify_all();
  if (revoker_.joinable()) revoker_.join();
}

void Service::set_keys(std::unique_ptr<identity::KeySet> keys) {
  std::lock_guard lock(mu_);
  keys_ = std::move(keys);
}

void Service::set_issuer(std::string issuer) {
  std::lock_guard lock(mu_);
  issuer_ = std::move(issuer);
}

std::string Service::issuer() const {
  std::lock_guard lock(mu_);
  return issuer_;
}

std::string Service::jwks() {
  std::lock_guard lock(mu_);
  if (!keys_) return R"({"keys":[]})";
  (void)keys_->maybe_rotate(opts_.now() / 1000);  // never serve a key set that is due
  return keys_->jwks_json();
}

std::string Service::openid_configuration() {
  std::lock_guard lock(mu_);
  json j = {{"issuer", issuer_},
            {"jwks_uri", issuer_ + "/.well-known/jwks.json"},
            {"introspection_endpoint", issuer_ + "/introspect"},
            {"token_endpoint", issuer_ + "/token"},
            {"grant_types_supported", {"urn:ietf:params:oauth:grant-type:token-exchange"}},
            {"introspection_endpoint_auth_methods_supported", {"bearer"}},
            {"id_token_signing_alg_values_supported", {"ES256"}},
            {"response_types_supported", {"id_token"}},
            {"subject_types_supported", {"public"}},
            {"claims_supported",
             {"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "act", "agent", "task", "ticket", "repos", "env",
              "labels", "window"}}};
  return dump_json(j);
}

Status Service::check_bearer(std::string_view token) {
  std::lock_guard lock(mu_);
  if (!keys_) return Error("this daemon has no signing keys");
  identity::VerifyOptions vo;
  vo.skew_s = opts_.tokens.skew_s;
  session::Task task;
  identity::Verification v = check_task_token(token, *keys_, *store_, opts_.now(), vo, &task);
  if (!v.ok()) return Error(v.reason.empty() ? "not a task token" : v.reason);
  if (kill_switch_) return Error("the kill switch is on");
  if (quarantined_agents_.count(task.agent)) return Error("the agent " + task.agent + " is quarantined");
  return {};
}

std::string Service::introspect(std::string_view token) {
  std::lock_guard lock(mu_);
  int64_t now = opts_.now();
  if (keys_) {
    if (auto lease = introspect_lease(token, now)) return *lease;  // a token the broker issued
  }
  identity::Verification v;
  if (keys_) {
    identity::VerifyOptions vo;
    vo.skew_s = opts_.tokens.skew_s;
    session::Task task;
    v = check_task_token(token, *keys_, *store_, now, vo, &task);
    // Containment reaches downstream services too: no task token is active
    // under the kill switch or for a quarantined agent.
    if (v.ok() && (kill_switch_ || quarantined_agents_.count(task.agent))) {
      v.status = identity::TokenStatus::Revoked;
      v.reason = kill_switch_ ? "the kill switch is on" : "the agent " + task.agent + " is quarantined";
    }
  } else {
    v.reason = "this daemon has no signing keys";
  }
  json rec = {{"type", "token_introspect"},
              {"active", v.ok()},
              {"status", identity::token_status_name(v.status)},
              {"token_sha256", crypto::sha256_hex(token)},
              {"ts", now}};
  if (!v.claims.jti.empty()) rec["jti"] = v.claims.jti;
  if (!v.ok()) rec["reason"] = v.reason;
  std::string err;
  record("", "token_introspect", "", v.ok() ? "active" : "inactive", dump_json(rec), &err);
  if (!v.ok()) return R"({"active":false})";
  auto claims = parse_json(v.claims.json, "claims", identity::kMaxClaimsDepth);
  if (!claims || !claims->is_object()) return R"({"active":false})";
  json out = {{"active", true}, {"token_type", "Bearer"}};
  for (auto& [k, val] : claims->items())
    if (k != "active") out[k] = val;
  return dump_json(out);
}

Result<std::string> Service::rotate_keys() {
  std::lock_guard lock(mu_);
  if (!keys_) return Error("this daemon has no signing keys");
  auto kid = keys_->rotate(opts_.now() / 1000);
  if (!kid) return kid;
  std::string err;
  record("", "key_rotate", "", "",
         dump_json(json{{"type", "key_rotate"}, {"kid", *kid}, {"reason", "on demand"}, {"ts", opts_.now()}}), &err);
  return kid;
}

void Service::tick() {
  std::lock_guard lock(mu_);
  int64_t now = opts_.now();
  for (const auto& id : std::exchange(unrevoked_at_start_, {})) {
    auto it = leases_.find(id);
    if (it == leases_.end()) continue;
    std::string why = it->second.revoked_why.rfind(kRevokePending, 0) == 0
                          ? it->second.revoked_why.substr(kRevokePending.size())
                          : std::string("task ended");
    revoke_leases([&](const store::Lease& l) { return l.id == id; }, why, now);
  }
  revoke_leases([&](const store::Lease& l) { return l.expires_ms <= now; }, "expired", now);
  if (!keys_) return;
  std::string before = keys_->active_kid();
  auto changed = keys_->maybe_rotate(opts_.now() / 1000);
  if (changed && *changed && keys_->active_kid() != before) {
    std::string err;
    record("", "key_rotate", "", "",
           dump_json(
               json{{"type", "key_rotate"}, {"kid", keys_->active_kid()}, {"reason", "schedule"}, {"ts", opts_.now()}}),
           &err);
  }
}

void Service::set_pdp(std::shared_ptr<const pdp::Pdp> p) {
  std::string hash = p->pack().hash;
  {
    std::lock_guard lock(mu_);
    pdp_ = std::move(p);
  }
  std::string err;
  record("", "pack", "", "loaded", dump_json(json{{"type", "pack"}, {"pack", hash}}), &err);
}

void Service::record_mcp_config(const std::string& path, const std::string& hash,
                                const std::vector<std::string>& upstreams) {
  std::string err;
  record("", "mcp_config", "", "loaded",
         dump_json(json{
             {"type", "mcp_config"}, {"file", path}, {"sha256", hash}, {"upstreams", upstreams}, {"ts", opts_.now()}}),
         &err);
}

std::shared_ptr<const pdp::Pdp> Service::pdp() const {
  std::lock_guard lock(mu_);
  return pdp_;
}

void Service::record(const std::string& session, std::string kind, std::string tool_use_id, std::string effect,
                     std::string record_json, std::string* error, const session::Session* state) {
  store::Event e;
  e.ts_ms = opts_.now();
  e.session = session;
  e.kind = std::move(kind);
  e.tool_use_id = std::move(tool_use_id);
  e.effect = std::move(effect);
  if (pdp_) e.pack = pdp_->pack().hash;
  // Credentials in a command, an output excerpt, a prompt or an MCP call's
  // arguments are not kept (ledger/redact.h).
  e.record = ledger::redact_json(record_json).text;
  auto r = state ? store_->append_event(e, *state) : store_->append_event(e);
  if (!r && error) *error = r.error().message;
}

session::Session& Service::session_for(const std::string& id, const std::string& harness, const std::string& cwd) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) return it->second;
  if (sessions_.size() >= kMaxSessionsInMemory) {
    // Forget the least recently seen session; it stays in the store.
    auto oldest = sessions_.begin();
    for (auto i = sessions_.begin(); i != sessions_.end(); ++i)
      if (i->second.last_seen_ms < oldest->second.last_seen_ms) oldest = i;
    sessions_.erase(oldest);
  }
  session::Session s;
  if (auto stored = store_->get_session(id); stored && stored->has_value()) {
    s = std::move(**stored);
  } else {
    s.id = id;
    s.harness = harness;
    s.agent = harness + ":" + opts_.user + "@" + opts_.host;
    s.cwd = cwd;
    s.started_ms = opts_.now();
  }
  return sessions_.emplace(id, std::move(s)).first->second;
}

std::string Service::handle(std::string_view header, std::string_view payload, int peer_pid) {
  Peer peer{peer_pid};
  return handle(header, payload, peer);
}

std::string Service::handle(std::string_view header, std::string_view payload, Peer& peer) {
  // A header member of the wrong type (`{"op":5}`) must not take the daemon down.
  try {
    return handle_request(header, payload, peer);
  } catch (const json::exception& e) {
    return reply_error(std::string("request header: ") + e.what());
  }
}

namespace {

// Requests only people may make: they change who may do what.
bool operator_request(const std::string& op, const json& h) {
  if (op == "task_start" || op == "task_end" || op == "reload" || op == "token_rotate" || op == "cred_revoke")
    return true;
  if (op.rfind("secret_", 0) == 0) return true;  // the secret store: even its names are the operator's
  if (op.rfind("agent_", 0) == 0) return op != "agent_list" && op != "agent_show";
  if (op == "mcp") return h.value("kind", std::string()) == "approve";
  if (op.rfind("contain_", 0) == 0) return op != "contain_list";  // quarantines and the kill switch
  return false;
}

}  // namespace

std::string Service::refuse_agent_operator(const std::string& op, int peer_pid) {
  if (peer_pid <= 0) return {};
  auto chain = process_ancestry(peer_pid);
  std::lock_guard lock(mu_);
  const ProcId* harness = descends_from(chain, harnesses_);
  if (!harness) return {};
  std::string why = "`" + op +
                    "` is for people, and this request comes from a process of a governed agent's session (" +
                    harness->comm + ", pid " + std::to_string(harness->pid) + ")";
  std::string err;
  record("", "operator_refused", "", "deny",
         dump_json(json{{"type", "operator_refused"},
                        {"op", op},
                        {"peer_pid", peer_pid},
                        {"harness", harness->comm},
                        {"harness_pid", harness->pid},
                        {"ts", opts_.now()}}),
         &err);
  return why;
}

std::string Service::refuse_under_tollgate(const std::string& op, Peer& peer) {
  // A gateway's reviews and decisions come from the gateway, and people's
  // requests from people: never from a process running under a Tollgate
  // process — an MCP server a stdio gateway started (it inherits the
  // socket) and whatever that server starts, a gateway nested in it
  // included. (The stdio gateway adopts the orphans its server leaves, so a
  // double fork stays beneath it while it runs; a process an agent's
  // harness detaches escapes harness tracing.)
  const int peer_pid = peer.pid;
  if (peer_pid <= 0 || peer.clear_of_tollgate) return {};
  constexpr size_t kMaxLevels = 64;
  bool complete = false;
  auto chain = process_ancestry(peer_pid, static_cast<int>(kMaxLevels), &complete);
  // The refusal is recorded with what it found.
  auto refuse = [&](json found, std::string why) {
    json rec = {{"type", "operator_refused"}, {"op", op}, {"peer_pid", peer_pid}, {"ts", opts_.now()}};
    rec.update(found);
    std::string err;
    std::lock_guard lock(mu_);
    record("", "operator_refused", "", "deny", dump_json(rec), &err);
    return why;
  };
  for (size_t i = 1; i < chain.size(); ++i) {
    if (chain[i].comm != "tollgate") continue;
    return refuse({{"under", chain[i].comm}, {"under_pid", chain[i].pid}},
                  "`" + op + "` is not taken from a process running under a Tollgate gateway (" + chain[0].comm +
                      ", pid " + std::to_string(peer_pid) + ", under pid " + std::to_string(chain[i].pid) +
                      "): an MCP server may not speak for its gateway or for people");
  }
  // A chain deeper than any a harness makes could hide its gateway above the
  // levels read: refused. One cut short otherwise (an ancestor gone while it
  // was read, or hidden from this user by /proc's hidepid) is let through
  // but proves nothing: it is read again on the next request.
  if (!complete && chain.size() >= kMaxLevels)
    return refuse({{"levels", chain.size()}}, "`" + op + "` is not taken from a process more than " +
                                                  std::to_string(kMaxLevels) + " levels below init (" + chain[0].comm +
                                                  ", pid " + std::to_string(peer_pid) +
                                                  "): a Tollgate gateway could be above what was read");
  peer.clear_of_tollgate = complete;
  return {};
}

void Service::trace_harness(int peer_pid, const std::string& sid) {
  // Called with mu_ held, on a session's first event and on each SessionStart.
  if (peer_pid <= 0) return;
  ProcId h = harness_of(process_ancestry(peer_pid, 8));
  if (h.pid <= 0) return;
  if (harnesses_.size() >= 4096) {  // old sessions; traced again on their next start
    harnesses_.clear();
    harness_sessions_.clear();
  }
  harness_sessions_[h] = sid;  // a harness that starts a new session (/clear) moves on to it
  if (harnesses_.insert(std::move(h)).second) harness_generation_.fetch_add(1, std::memory_order_relaxed);
}

int Service::harness_peer(int fd) {
  std::vector<int> roots;
  {
    std::lock_guard lock(mu_);
    for (const auto& h : harnesses_) roots.push_back(h.pid);
  }
  return loopback_peer_pid(fd, roots);
}

std::string Service::harness_session_of_gateway(const std::string& gateway_sid, int peer_pid, bool& fresh) {
  fresh = false;
  if (peer_pid <= 0 || harnesses_.empty()) return {};
  if (gateway_harnesses_.size() >= 4096) gateway_harnesses_.clear();
  // A stdio gateway's session id is random per process, so a reused pid
  // starts a new entry.
  GatewayHarness& g = gateway_harnesses_[std::to_string(peer_pid) + "|" + gateway_sid];
  if (g.harness.pid == 0) {
    // A gateway usually starts before its harness's first hook event: it is
    // looked up again once another harness has been traced, not before.
    uint64_t generation = harness_generation_.load(std::memory_order_relaxed);
    if (g.looked && g.looked_generation == generation) return {};
    g.looked = true;
    g.looked_generation = generation;
    const ProcId* h = descends_from(process_ancestry(peer_pid, 16), harnesses_);
    if (!h) return {};
    g.harness = *h;
  }
  auto it = harness_sessions_.find(g.harness);
  if (it == harness_sessions_.end()) return {};
  fresh = g.linked != it->second;
  g.linked = it->second;
  return it->second;
}

std::string Service::handle_request(std::string_view header, std::string_view payload, Peer& peer) {
  const int peer_pid = peer.pid;
  auto h = parse_json(header, "request header", 4);
  if (!h) return reply_error(h.error().message);
  if (!h->is_object()) return reply_error("request header: expected a JSON object");
  std::string op = h->value("op", std::string());
  if (operator_request(op, *h)) {
    if (std::string why = refuse_agent_operator(op, peer_pid); !why.empty()) return reply_error(why);
  }
  if (op == "mcp" || operator_request(op, *h)) {
    if (std::string why = refuse_under_tollgate(op, peer); !why.empty()) return reply_error(why);
  }
  if (op == "ping" || op == "status") {
    auto p = pdp();
    json j = {{"ok", true},
              {"pid", static_cast<int64_t>(::getpid())},
              {"version", "0.1.0"},
              {"pack", p->pack().hash},
              {"pack_root", p->pack().root}};
    if (op == "status") {
      std::lock_guard lock(mu_);
      j["policies"] = p->pack().meta.size();
      j["sessions_in_memory"] = sessions_.size();
      j["kill_switch"] = kill_switch_.has_value();
      j["quarantined"] = quarantined_sessions_.size() + quarantined_agents_.size();
      if (auto n = store_->event_count()) j["events"] = *n;
      // Proof that hooks fire: which harnesses' sessions reached the daemon, and when.
      if (auto seen = store_->harnesses_seen()) {
        json hs = json::object();
        for (const auto& x : *seen) hs[x.harness] = {{"sessions", x.sessions}, {"last_seen_ms", x.last_seen_ms}};
        j["harnesses"] = std::move(hs);
      }
    }
    return dump_json(j);
  }
  // An operator who ends a task, suspends or offboards an agent or revokes
  // a lease gets the answer once the revoke commands queued so far have run
  // at the provider (the ones this request queued among them).
  auto revoked = [&](std::string reply) {
    drain_revocations(revocations_queued());
    return reply;
  };
  if (op == "task_end") return revoked(handle_task(op, *h));
  if (op == "task_start" || op == "task_list" || op == "task_show") return handle_task(op, *h);
  if (op == "agent_suspend" || op == "agent_offboard") return revoked(handle_agent(op, *h));
  if (op.rfind("agent_", 0) == 0) return handle_agent(op, *h);
  if (op == "cred_revoke") return revoked(handle_cred(*h));
  if (op.rfind("cred_", 0) == 0) return handle_cred(*h);
  if (op.rfind("secret_", 0) == 0) return handle_secret(*h, payload);
  if (op == "token_jwks") return dump_json(json{{"ok", true}, {"jwks", json::parse(jwks())}});
  if (op == "token_introspect") {
    auto tok = h->find("token");
    if (tok == h->end() || !tok->is_string()) return reply_error("token_introspect needs a `token`");
    return dump_json(json{{"ok", true}, {"introspection", json::parse(introspect(tok->get<std::string>()))}});
  }
  if (op == "token_rotate") {
    auto kid = rotate_keys();
    if (!kid) return reply_error(kid.error().message);
    return dump_json(json{{"ok", true}, {"kid", *kid}});
  }
  if (op == "checkpoint" || op == "checkpoint_rotate") {
    if (!checkpoints_) return reply_error("this service does not sign checkpoints");
    return checkpoints_(op);
  }
  if (op == "reload") {
    if (!reloader_) return reply_error("this service cannot reload");
    Status st = reloader_();
    if (!st) {
      json diags = json::array();
      for (const auto& d : st.error().diagnostics) diags.push_back(d.str());
      return dump_json(json{{"ok", false}, {"error", st.error().message}, {"diagnostics", diags}});
    }
    return dump_json(json{{"ok", true}, {"pack", pdp()->pack().hash}});
  }
  if (op == "mcp") return handle_mcp(*h, payload, peer_pid);
  if (op.rfind("contain_", 0) == 0 || op == "detect_list") return handle_contain(op, *h);
  if (op == "hook") {
    std::string harness = h->value("harness", std::string());
    std::string project_dir = h->value("project_dir", std::string());
    std::string task_token = h->value("task_token", std::string());
    std::string agent = h->value("agent", std::string());
    return handle_hook(harness, project_dir, task_token, agent, payload, peer_pid);
  }
  return reply_error("unknown op `" + op + "`; expected hook, mcp, ping or status");
}

std::string Service::handle_task(const std::string& op, const nlohmann::json& h) {
  std::lock_guard lock(mu_);
  int64_t now = opts_.now();
  try {
    if (op == "task_start") {
      session::Task t;
      t.id = "task-" + random_hex(6);
      t.jti = random_hex(16);
      if (t.id.size() < 10 || t.jti.empty()) return reply_error("no random bytes for the task");
      if (!keys_) return reply_error("this daemon has no signing keys; no task token can be issued");
      t.agent = h.value("agent", std::string());
      t.ticket = h.value("ticket", std::string());
      if (t.agent.empty() || t.ticket.empty()) return reply_error("a task needs an agent and a ticket");
      session::Agent* agent = agent_for(t.agent);
      if (agent && agent->status != "active")
        return reply_error("the agent `" + t.agent + "` is " + agent->status + "; no task can start for it");
      for (const auto& r : h.value("repos", std::vector<std::string>{}))
        t.repos.push_back(analyze::normalize_path(r, "/", opts_.home, true));
      t.environment = h.value("environment", std::string("dev"));
      t.window_start_ms = h.value("window_start_ms", int64_t{0});
      t.window_end_ms = h.value("window_end_ms", int64_t{0});
      int64_t ttl = h.value("ttl_ms", int64_t{30 * 60 * 1000});
      if (ttl <= 0 || ttl > int64_t{30} * 24 * 3600 * 1000)
        return reply_error("the TTL must be between 1 ms and 30 days");
      t.expires_ms = now + ttl;
      if (t.window_end_ms && t.window_end_ms < t.expires_ms) t.expires_ms = t.window_end_ms;
      t.grants = h.value("grants", std::vector<std::string>{});
      t.audience = h.value("audience", std::vector<std::string>{});
      if (t.audience.empty()) t.audience.push_back(opts_.tokens.audience);
      if (t.audience.size() > 16) return reply_error("a task token names at most 16 audiences");
      for (const auto& a : t.audience)
        if (a.empty() || a.size() > 256) return reply_error("an audience is 1 to 256 characters");
      t.created_ms = now;
      // The task token: an ES256 JWT that never outlives the task.
      identity::TaskTokenClaims c;
      c.issuer = issuer_;
      c.trust_domain = opts_.tokens.trust_domain;
      c.audience = t.audience;
      c.agent = t.agent;
      c.task = t.id;
      c.owner = agent && !agent->owner.empty() ? agent->owner : opts_.user;
      c.ticket = t.ticket;
      c.environment = t.environment;
      c.repos = t.repos;
      c.labels = t.grants;
      c.window_start_s = t.window_start_ms / 1000;
      c.window_end_s = t.window_end_ms / 1000;
      c.iat = now / 1000;
      c.exp = t.expires_ms / 1000;  // rounded down: never past the task's end
      c.jti = t.jti;
      t.token_exp_s = c.exp;
      auto minted = keys_->mint(identity::task_token_claims(c), c.exp, now / 1000);
      if (!minted) return reply_error("cannot issue the task token: " + minted.error().message);
      std::string token = std::move(*minted);
      t.token_sha256 = crypto::sha256_hex(token);
      if (auto st = store_->put_task(t); !st) return reply_error(st.error().message);
      std::string err;
      record("", "task_start", "", "",
             dump_json(json{{"type", "task_start"}, {"task", json::parse(session::task_json(t))}, {"ts", now}}), &err);
      tasks_[t.id] = t;
      return dump_json(json{{"ok", true}, {"task", t.id}, {"token", token}, {"expires_ms", t.expires_ms}});
    }
    if (op == "task_end") {
      std::string id = h.value("task", std::string());
      auto t = store_->get_task(id);
      if (!t) return reply_error(t.error().message);
      if (!t->has_value()) return reply_error("no task `" + id + "`");
      std::string err;
      (void)end_task(id, "task ended", "", now, &err);
      if (!err.empty()) return reply_error(err);
      return dump_json(json{{"ok", true}, {"task", id}, {"ended", true}});
    }
    if (op == "task_show") {
      auto t = store_->get_task(h.value("task", std::string()));
      if (!t) return reply_error(t.error().message);
      if (!t->has_value()) return reply_error("no such task");
      return dump_json(json{{"ok", true}, {"task", json::parse(session::task_json(**t))}});
    }
    auto list = store_->list_tasks();
    if (!list) return reply_error(list.error().message);
    json arr = json::array();
    for (const auto& t : *list) arr.push_back(json::parse(session::task_json(t)));
    return dump_json(json{{"ok", true}, {"tasks", arr}});
  } catch (const json::exception& e) {
    return reply_error(std::string("task request: ") + e.what());
  }
}

const session::Task* Service::task_of(const session::Session& s) {
  if (s.task_id.empty()) return nullptr;
  auto it = tasks_.find(s.task_id);
  if (it != tasks_.end()) return &it->second;
  auto t = store_->get_task(s.task_id);
  if (!t || !t->has_value()) return nullptr;
  return &(tasks_[s.task_id] = std::move(**t));
}

session::Agent* Service::agent_for(const std::string& id) {
  auto it = agents_.find(id);
  if (it != agents_.end()) return &it->second;
  auto a = store_->get_agent(id);
  if (!a || !a->has_value()) return nullptr;
  return &(agents_[id] = std::move(**a));
}

std::string Service::handle_agent(const std::string& op, const nlohmann::json& h) {
  std::lock_guard lock(mu_);
  int64_t now = opts_.now();
  std::string err;
  try {
    if (op == "agent_list") {
      auto list = store_->list_agents();
      if (!list) return reply_error(list.error().message);
      auto tasks = store_->list_tasks(100000);
      if (!tasks) return reply_error(tasks.error().message);
      json arr = json::array();
      for (const auto& a : *list) arr.push_back(agent_with_risk(agents_.count(a.id) ? agents_[a.id] : a, *tasks, now));
      return dump_json(json{{"ok", true}, {"agents", arr}});
    }
    std::string id = h.value("agent", std::string());
    if (id.empty()) return reply_error("name the agent");
    session::Agent* a = agent_for(id);
    if (op == "agent_register") {
      if (a && a->status == "offboarded")
        return reply_error("the agent `" + id + "` was offboarded and cannot come back under the same id");
      if (a && a->registered) return reply_error("the agent `" + id + "` is already registered");
      session::Agent fresh;
      session::Agent& r = a ? *a : fresh;
      r.id = r.name = id;
      r.harness = h.value("harness", std::string());
      r.owner = h.value("owner", std::string());
      r.team = h.value("team", std::string());
      r.registered = true;
      if (!r.first_seen_ms) r.first_seen_ms = now;
      if (auto st = store_->put_agent(r); !st) return reply_error(st.error().message);
      agents_[id] = r;
      record("", "agent_register", "", "",
             dump_json(json{{"type", "agent_register"}, {"agent", id}, {"owner", r.owner}, {"ts", now}}), &err);
      return dump_json(json{{"ok", true}, {"agent", json::parse(session::agent_json(r))}});
    }
    if (!a) return reply_error("no agent `" + id + "`");
    if (op == "agent_show") {
      auto tasks = store_->list_tasks(100000);
      if (!tasks) return reply_error(tasks.error().message);
      return dump_json(json{{"ok", true}, {"agent", agent_with_risk(*a, *tasks, now)}});
    }
    if (a->status == "offboarded") return reply_error("the agent `" + id + "` was offboarded");
    if (op == "agent_set_owner") {
      a->owner = h.value("owner", std::string());
    } else if (op == "agent_suspend") {
      a->status = "suspended";
    } else if (op == "agent_resume") {
      a->status = "active";
    } else if (op == "agent_offboard") {
      a->status = "offboarded";
      // Everything issued to it dies with it: its tasks end now.
      if (auto tasks = store_->list_tasks(100000)) {
        for (auto t : *tasks) {
          if (t.agent != id || t.ended) continue;
          t.ended = true;
          (void)store_->put_task(t);
          tasks_[t.id] = t;
        }
      }
    } else {
      return reply_error("unknown op `" + op + "`");
    }
    if (auto st = store_->put_agent(*a); !st) return reply_error(st.error().message);
    record("", op, "", "",
           dump_json(json{{"type", op}, {"agent", id}, {"owner", a->owner}, {"status", a->status}, {"ts", now}}), &err);
    if (a->status != "active")
      revoke_leases([&](const store::Lease& l) { return l.agent == id; }, "agent " + a->status, now);
    return dump_json(json{{"ok", true}, {"agent", json::parse(session::agent_json(*a))}});
  } catch (const json::exception& e) {
    return reply_error(std::string("agent request: ") + e.what());
  }
}

Service::Entered Service::enter(const std::string& sid, std::string_view harness_name, const std::string& workspace,
                                const std::string& cwd, std::string_view task_token, std::string_view agent_id,
                                int64_t now) {
  session::Session& s = session_for(sid, std::string(harness_name), workspace);
  s.last_seen_ms = now;
  if (s.cwd.empty()) s.cwd = cwd;
  // The agent: the registered one TOLLGATE_AGENT names, else the one this
  // harness, account and host make (registered on first sight).
  std::string bind_error;
  if (!agent_id.empty()) {
    session::Agent* named = agent_for(std::string(agent_id));
    if (!named || !named->registered) {
      bind_error =
          "the agent `" + std::string(agent_id) + "` in TOLLGATE_AGENT is not registered (tollgate agent register)";
    } else if (s.agent != named->id) {
      // A session takes the agent named on its first event; later it keeps
      // it (a session bound to a task is that task's agent's).
      const std::string implicit = std::string(harness_name) + ":" + opts_.user + "@" + opts_.host;
      if (s.agent == implicit && s.task_id.empty()) {
        s.agent = named->id;
      } else {
        bind_error = "this session is the agent `" + s.agent + "`'s, but TOLLGATE_AGENT names `" + named->id + "`";
      }
    }
  }
  // A session bound to a task hears from its harness with the task's token
  // on every event: one without it comes from somewhere else and does not
  // get to use the task's grants.
  if (task_token.empty() && !s.task_id.empty() && bind_error.empty())
    bind_error = "this session is bound to the task `" + s.task_id +
                 "`, and this event does not carry its token (TOLLGATE_TASK_TOKEN)";
  // A session is bound to the task whose token its harness carries
  // (TOLLGATE_TASK_TOKEN in the agent's environment).
  if (!task_token.empty()) {
    std::string digest = crypto::sha256_hex(task_token);
    auto bound = bound_tokens_.find(sid);
    if (bound == bound_tokens_.end() || bound->second != digest || s.task_id.empty()) {
      std::string implicit_agent = std::string(harness_name) + ":" + opts_.user + "@" + opts_.host;
      // Verified once per bind: signature, expiry, and a live task. Later
      // events of the session meet the task's end and expiry in the PDP.
      identity::VerifyOptions vo;
      vo.skew_s = opts_.tokens.skew_s;
      session::Task task;
      auto v = keys_ ? check_task_token(task_token, *keys_, *store_, now, vo, &task) : identity::Verification{};
      if (!v.ok()) {
        std::string status(identity::token_status_name(v.status));
        bind_error = "the task token in TOLLGATE_TASK_TOKEN is " + status + " (" +
                     (v.reason.empty() ? std::string("no signing keys") : v.reason) + ")";
        std::string e;
        record(sid, "token_rejected", "", "deny",
               dump_json(json{{"type", "token_rejected"},
                              {"session", sid},
                              {"status", status},
                              {"reason", v.reason},
                              {"token_sha256", digest},
                              {"ts", now}}),
               &e);
      } else if (s.agent != task.agent && s.agent != implicit_agent) {
        // Fail closed: a task token binds only its own agent's sessions. A
        // session named for another agent (TOLLGATE_AGENT, or an earlier
        // task) cannot borrow this task's grants and credentials.
        bind_error = "the task token in TOLLGATE_TASK_TOKEN is for the agent `" + task.agent +
                     "`, but this session is `" + s.agent + "`'s; start a task for `" + s.agent +
                     "` or run the agent as `" + task.agent + "`";
        std::string e;
        record(sid, "token_rejected", "", "deny",
               dump_json(json{{"type", "token_rejected"},
                              {"session", sid},
                              {"status", "wrong agent"},
                              {"reason", bind_error},
                              {"token_sha256", digest},
                              {"ts", now}}),
               &e);
      } else {
        // The session is the task's agent from now on (the token names it).
        s.agent = task.agent;
        if (bound_tokens_.size() >= kMaxSessionsInMemory) bound_tokens_.clear();  // re-verified on next use
        bound_tokens_[sid] = digest;
        if (s.task_id != task.id) {
          s.task_id = task.id;
          tasks_[s.task_id] = std::move(task);
          std::string e;
          record(sid, "task_bind", "", "",
                 dump_json(json{{"type", "task_bind"}, {"session", sid}, {"task", s.task_id}, {"ts", now}}), &e);
        }
      }
    }
  }
  session::Agent* agent = agent_for(s.agent);
  if (!agent) {
    session::Agent fresh;
    fresh.id = fresh.name = s.agent;
    fresh.harness = std::string(harness_name);
    fresh.account = opts_.user;
    fresh.host = opts_.host;
    fresh.first_seen_ms = now;
    agent = &(agents_[s.agent] = fresh);
    (void)store_->put_agent(*agent);
    std::string e;
    record(sid, "agent_seen", "", "",
           dump_json(json{{"type", "agent_seen"}, {"agent", s.agent}, {"harness", harness_name}, {"ts", now}}), &e);
  }
  agent->last_seen_ms = now;
  return Entered{&s, agent, std::move(bind_error)};
}

std::string Service::handle_hook(std::string_view harness_name, std::string_view project_dir,
                                 std::string_view task_token, std::string_view agent_id, std::string_view payload,
                                 int peer_pid) {
  auto harness = action::parse_harness(harness_name);
  if (!harness) return reply_error("unknown harness `" + std::string(harness_name) + "`");
  auto ev = action::parse_hook_event(*harness, payload);
  if (!ev) {
    // Unreadable: deny, and keep a record of what arrived.
    std::string name = best_effort_event_name(payload);
    std::string reason = "Tollgate could not read this hook event (" + ev.error().message + "); the action is denied";
    std::string err;
    std::lock_guard lock(mu_);
    record("", "malformed", "", "deny",
           dump_json(json{{"type", "malformed"},
                          {"harness", harness_name},
                          {"event", name},
                          {"error", ev.error().message},
                          {"bytes", payload.size()},
                          {"sha256", policy::sha256_hex(payload)}}),
           &err);
    auto kind = action::EventKind::Other;
    if (!name.empty()) {
      if (auto probe =
              action::parse_hook_event(*harness, dump_json(json{{"hook_event_name", name}, {"tool_name", "?"}})))
        kind = probe->kind;
    }
    return reply_verdict(action::Verdict::Deny, kind, name, reason);
  }

  auto start = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  const pdp::Pdp& pdp = *pdp_;
  int64_t now = opts_.now();
  std::string sid = ev->session_id.empty() ? "anonymous-" + std::string(harness_name) : ev->session_id;
  std::string cwd = ev->cwd.empty() ? opts_.home : analyze::normalize_path(ev->cwd, "/", opts_.home, true);
  // The workspace is the project directory the harness names (it exports
  // it to hooks), else the directory the session was first seen in.
  std::string workspace = project_dir.empty() ? cwd : analyze::normalize_path(project_dir, cwd, opts_.home, true);
  // Traced on a session's first event, and again on every SessionStart: a
  // session resumed (`--resume`, `/resume`) may run in another harness
  // process, or move the harness's gateways back to it.
  bool first_sight = peer_pid > 0 && traced_sessions_.insert(sid).second;
  if (first_sight || (peer_pid > 0 && ev->kind == action::EventKind::SessionStart)) {
    if (traced_sessions_.size() > 100000) traced_sessions_.clear();
    trace_harness(peer_pid, sid);
  }
  Entered en = enter(sid, harness_name, workspace, cwd, task_token, agent_id, now);
  session::Session& s = *en.session;
  session::Agent* agent = en.agent;
  const std::string& bind_error = en.bind_error;
  action::Environment env{cwd, opts_.home, true, action::file_script_reader(s.started_ms),
                          action::file_glob_expander()};
  env.tree = action::file_tree_lister([&pdp](const std::string& path) { return pdp.labels().sensitive_labels(path); });
  std::string err;
  json rec = {{"type", std::string(action::event_kind_name(ev->kind))},
              {"session", sid},
              {"harness", harness_name},
              {"event", ev->event_name},
              {"ts", now}};

  switch (ev->kind) {
    case action::EventKind::PreTool: {
      rec["type"] = "decision";
      rec["tool"] = ev->tool_name;
      rec["tool_use_id"] = ev->tool_use_id;
      pdp::Decision d;
      auto actions = action::to_actions(*ev, env);
      if (!bind_error.empty()) {
        d.effect = pdp::Effect::Deny;
        d.reason = "Tollgate denied this call: " + bind_error + "; start a task with `tollgate task start` or unset it";
        d.pack = pdp.pack().hash;
      } else if (!actions) {
        d.effect = pdp::Effect::Deny;
        d.reason = "Tollgate denied this call: " + actions.error().message;
        d.pack = pdp.pack().hash;
      } else {
        pdp::Request req;
        req.session = &s;
        req.harness = std::string(harness_name);
        req.home = opts_.home;
        req.now_ms = now;
        req.task = task_of(s);
        req.agent = agent;
        apply_containment(req);
        d = pdp.decide(*actions, req);
        // Tool connections the agent uses (MCP servers), for its inventory.
        for (const auto& a : *actions) {
          if (a.mcp_server.empty() ||
              std::find(agent->mcp_servers.begin(), agent->mcp_servers.end(), a.mcp_server) != agent->mcp_servers.end())
            continue;
          if (agent->mcp_servers.size() < 256) agent->mcp_servers.push_back(a.mcp_server);
          (void)store_->put_agent(*agent);
        }
      }
      ++s.decisions;
      if (d.effect == pdp::Effect::Deny) ++s.denials;
      // Cursor reports no outcome for reads: a read it was allowed counts at once.
      if (d.effect == pdp::Effect::Allow && ev->event_name == "beforeReadFile") {
        for (const auto& ad : d.actions) session::apply(s, ad.effects);
      }
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      if (!s.task_id.empty()) rec["task"] = s.task_id;
      rec["decision"] = pdp::effect_name(d.effect);
      rec["reason"] = d.reason;
      rec["pack"] = d.pack;
      rec["latency_us"] = us;
      json acts = json::array();
      for (const auto& ad : d.actions) acts.push_back(action_json(ad));
      rec["actions"] = std::move(acts);
      record(sid, "decision", ev->tool_use_id, std::string(pdp::effect_name(d.effect)), dump_json(rec), &err, &s);
      detect_decision(s, ev->tool_use_id, ev->tool_name, d);
      if (!err.empty() && d.effect != pdp::Effect::Deny) {
        // A decision that cannot be recorded is not made.
        return reply_verdict(action::Verdict::Deny, ev->kind, ev->event_name,
                             "Tollgate could not record this decision (" + err + "); the action is denied");
      }
      return reply_verdict(to_verdict(d.effect), ev->kind, ev->event_name, d.reason);
    }
    case action::EventKind::PostTool: {
      rec["type"] = "outcome";
      rec["tool"] = ev->tool_name;
      rec["tool_use_id"] = ev->tool_use_id;
      rec["success"] = !ev->tool_failed;
      // The output of a call that touched labelled data (a secret that was
      // read) stays out of the record; its labels say what it was.
      std::set<std::string> sensitive;
      if (auto actions = action::to_actions(*ev, env)) {
        // A failed shell command may still have read and fetched: its exit
        // status is the last command's (`cat .env; exit 1`), and its output
        // reaches the model with the error. A failed fetch still brought
        // in what the other end said. Only a failed single read (the file
        // tool) read nothing.
        const bool shell = std::any_of(actions->begin(), actions->end(),
                                       [](const action::Action& a) { return a.kind == action::Kind::ShellExec; });
        for (const auto& a : *actions) {
          std::vector<std::string> labels;
          session::Effects e = pdp.effects(a, &labels);
          for (const auto& l : labels)
            if (l == "secret" || l == "credentials" || l == "pii" || l == "environment") sensitive.insert(l);
          // What the broker hands out (`tollgate cred get`, a task's token)
          // is printed for the agent, never kept.
          if (a.command && a.command->name == "tollgate" &&
              (a.command->subcommand == "cred" || a.command->subcommand == "token"))
            sensitive.insert("credentials");
          if (ev->tool_failed && !shell) {
            e.labels_read.clear();
            e.secret_read = false;
          }
          session::apply(s, e);
        }
      } else {
        sensitive.insert("unknown");  // what the call touched is not known: its output is not kept
      }
      if (sensitive.empty()) {
        rec["summary"] = ev->tool_output.substr(0, 512);
      } else {
        rec["summary"] = "";
        rec["withheld"] = sensitive;
      }
      record(sid, "outcome", ev->tool_use_id, ev->tool_failed ? "failure" : "success", dump_json(rec), &err, &s);
      // Cursor edits files with no event before (docs/hooks.md, "Known gap"): nothing to pair.
      detect_outcome(s, ev->tool_use_id, ev->tool_name, !ev->tool_failed,
                     *harness == action::Harness::Cursor && ev->event_name == "afterFileEdit");
      return reply_verdict(action::Verdict::Record, ev->kind, ev->event_name, "");
    }
    case action::EventKind::Prompt: {
      rec["type"] = "intent";
      rec["prompt_sha256"] = policy::sha256_hex(ev->prompt);
      rec["excerpt"] = ev->prompt.substr(0, kPromptExcerpt);
      record(sid, "intent", "", "", dump_json(rec), &err, &s);
      if (!err.empty()) {
        return reply_verdict(action::Verdict::Deny, ev->kind, ev->event_name,
                             "Tollgate could not record this prompt (" + err + ")");
      }
      return reply_verdict(action::Verdict::Record, ev->kind, ev->event_name, "");
    }
    case action::EventKind::SessionStart:
      s.ended = false;
      rec["cwd"] = s.cwd;
      rec["source"] = ev->source;
      record(sid, "session_start", "", "", dump_json(rec), &err, &s);
      return reply_verdict(action::Verdict::Record, ev->kind, ev->event_name, "");
    case action::EventKind::SessionEnd:
      s.ended = true;
      (void)store_->put_agent(*agent);  // last seen
      if (auto st = parse_json(session::state_json(s), "state", 8)) rec["state"] = std::move(*st);
      record(sid, "session_end", "", "", dump_json(rec), &err, &s);
      return reply_verdict(action::Verdict::Record, ev->kind, ev->event_name, "");
    case action::EventKind::Stop:
    case action::EventKind::Other:
      record(sid, std::string(action::event_kind_name(ev->kind)), "", "", dump_json(rec), &err);
      return reply_verdict(action::Verdict::Record, ev->kind, ev->event_name, "");
  }
  return reply_error("unhandled event");
}

}  // namespace tollgate::server
