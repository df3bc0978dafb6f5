// Service: the credential broker — `cred_get`, RFC 8693 token exchange,
// lease revocation and the introspection of broker-issued tokens
// (docs/tasks.md, "Credentials"; server/broker.h).
//
// The caller is the adversary: the agent runs `tollgate cred get` itself.
// A credential is issued only for a task token that verifies and names a
// live task, for a configured credential, when the pack allows
// `cred.request` on it; every attempt is recorded, and no record, log line,
// error or decision holds a secret — only lease ids and digests.
#include <algorithm>

#include "action/action.h"
#include "base/json.h"
#include "base/random.h"
#include "base/suggest.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "identity/keys.h"
#include "server/daemon.h"
#include "server/service_internal.h"
#include "server/tokens.h"

namespace tollgate::server {

using nlohmann::json;

namespace {

constexpr std::string_view kTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
constexpr std::string_view kJwtType = "urn:ietf:params:oauth:token-type:jwt";
constexpr std::string_view kAccessTokenType = "urn:ietf:params:oauth:token-type:access_token";

// The daemon variables a command sees besides its own pass_env and the
// lease's TOLLGATE_* variables: enough to find its tools and config.
EnvPairs command_env(const Credential& c, const store::Lease& l, std::string_view subject) {
  EnvPairs env;
  for (const char* k : {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR"})
    if (const char* v = std::getenv(k)) env.emplace_back(k, v);
  for (const auto& k : c.pass_env)
    if (const char* v = std::getenv(k.c_str())) env.emplace_back(k, v);
  env.emplace_back("TOLLGATE_LEASE_ID", l.id);
  env.emplace_back("TOLLGATE_CREDENTIAL", l.credential);
  env.emplace_back("TOLLGATE_TASK", l.task);
  env.emplace_back("TOLLGATE_AGENT", l.agent);
  env.emplace_back("TOLLGATE_SUBJECT", std::string(subject));
  env.emplace_back("TOLLGATE_EXPIRES", std::to_string(l.expires_ms / 1000));
  return env;
}

json lease_json(const store::Lease& l) {
  json j = {{"lease", l.id},
            {"credential", l.credential},
            {"kind", l.kind},
            {"task", l.task},
            {"agent", l.agent},
            {"issued_ms", l.issued_ms},
            {"expires_ms", l.expires_ms}};
  if (l.revoked_ms) {
    j["revoked_ms"] = l.revoked_ms;
    j["revoked_why"] = l.revoked_why;
  }
  return j;
}

}  // namespace

bool Service::record_unknown_refusal(json& rec, int64_t now) {
  if (now - refusals_window_ms_ >= 60'000 || now < refusals_window_ms_) {
    refusals_window_ms_ = now;
    refusals_in_window_ = 0;
  }
  if (refusals_in_window_ >= kMaxUnknownRefusals) {
    ++refusals_suppressed_;
    return false;
  }
  ++refusals_in_window_;
  if (refusals_suppressed_) {
    rec["suppressed"] = refusals_suppressed_;  // refusals like it, not recorded, since the last one that was
    refusals_suppressed_ = 0;
  }
  return true;
}

Service::Issued Service::issue(std::unique_lock<std::mutex>& lock, std::string_view task_token, const std::string& name,
                               std::string_view via, int64_t now) {
  Issued out;
  std::string digest = task_token.empty() ? std::string() : crypto::sha256_hex(task_token);
  // What the agent asked for goes into the record bounded, never whole.
  std::string asked = name.substr(0, 64);
  json rec = {{"type", "cred_request"}, {"credential", asked}, {"via", via}, {"ts", now}};
  if (!digest.empty()) rec["token_sha256"] = digest;
  session::Task task;    // known once the token verifies
  bool counted = false;  // the detectors have seen this request
  auto refuse = [&](std::string why, std::string oauth = "invalid_request") {
    out.error = std::move(why);
    out.oauth_error = std::move(oauth);
    rec["decision"] = "deny";
    rec["reason"] = out.error;
    std::string err;
    if (!task.id.empty() || record_unknown_refusal(rec, now))
      record("", "cred_request", "", "deny", dump_json(rec), &err);
    if (!task.id.empty() && !counted) detect_cred_request(task, asked, false);
    return out;
  };
  if (task_token.empty())
    return refuse("no task token: credentials are issued only to a task's sessions (TOLLGATE_TASK_TOKEN)");
  if (!keys_) return refuse("this daemon has no signing keys");
  identity::VerifyOptions vo;
  vo.skew_s = opts_.tokens.skew_s;
  auto v = check_task_token(task_token, *keys_, *store_, now, vo, &task);
  if (!v.ok()) {
    task = session::Task();
    rec["status"] = identity::token_status_name(v.status);
    return refuse("the task token is " + std::string(identity::token_status_name(v.status)) + " (" + v.reason + ")");
  }
  rec["task"] = task.id;
  rec["agent"] = task.agent;
  const Credential* cred = nullptr;
  for (const auto& c : opts_.credentials)
    if (c.name == name) cred = &c;
  if (!cred) {
    std::string msg = valid_credential_name(name)
                          ? "no credential `" + name + "` is configured"
                          : std::string("a credential name is 1 to 64 letters, digits, `.`, `_` or `-`");
    if (auto s = nearest(name, opts_.credentials, [](const Credential& c) { return std::string_view(c.name); }))
      msg += "; did you mean `" + *s + "`?";
    return refuse(msg, "invalid_target");
  }
  rec["kind"] = cred_kind_name(cred->kind);

  // The decision: `cred.request` on Credential::"<name>" through the pack,
  // for a principal that stands for the task (no hook session is involved).
  session::Session s;
  s.id = "task:" + task.id;
  s.agent = task.agent;
  s.task_id = task.id;
  action::Action a;
  a.kind = action::Kind::CredRequest;
  a.resource = cred->name;
  a.tool = std::string(via);
  a.summary = "cred.request " + cred->name;
  pdp::Request req;
  req.session = &s;
  req.task = &task;
  req.agent = agent_for(task.agent);
  req.harness = "tollgate";
  req.home = opts_.home;
  req.now_ms = now;
  apply_containment(req);
  pdp::ActionDecision d = pdp_->decide_one(a, req);
  rec["pack"] = pdp_->pack().hash;
  rec["action"] = action_json(d);
  if (d.effect != pdp::Effect::Allow) {
    std::string why = d.effect == pdp::Effect::Ask ? "the policy asks for a human's approval (" + d.reason +
                                                         "), which a credential request cannot wait for"
                                                   : d.reason;
    return refuse("Tollgate denied the credential `" + cred->name + "`: " + why +
                      (d.policies.empty() ? std::string() : " [" + d.policies.front() + "]"),
                  "invalid_target");
  }
  // The detectors see the request before anything is issued: one that
  // revokes the task or contains its agent stops this issue too.
  counted = true;
  detect_cred_request(task, asked, true);
  if (auto it = tasks_.find(task.id); it != tasks_.end() && it->second.ended)
    return refuse("the task " + task.id + " was revoked by a detector (tollgate detect list)");
  // Whether the task may still have the credential: it has not ended and
  // its agent is not contained. Asked again after a mint command ran.
  auto withdrawn = [&]() -> std::string {
    if (auto it = tasks_.find(task.id); it != tasks_.end() && it->second.ended)
      return "the task " + task.id + " ended while the credential was being minted";
    if (session::Agent* a = agent_for(task.agent); a && a->status != "active")
      return "the agent " + task.agent + " is " + a->status;
    pdp::Request again = req;
    again.agent = agent_for(task.agent);
    again.kill_switch.clear();
    again.quarantine.clear();
    apply_containment(again);
    if (!again.kill_switch.empty() || !again.quarantine.empty())
      return "Tollgate denied the credential `" + cred->name +
             "`: " + (again.kill_switch.empty() ? again.quarantine : again.kill_switch);
    return {};
  };
  if (std::string why = withdrawn(); !why.empty()) return refuse(why);

  // The lease: never longer than the credential's TTL or the task.
  store::Lease l;
  l.id = "lease-" + random_hex(16);
  if (l.id.size() != 38) return refuse("the kernel gave no random bytes");
  l.credential = cred->name;
  l.kind = std::string(cred_kind_name(cred->kind));
  l.task = task.id;
  l.agent = task.agent;
  l.issued_ms = now;
  l.expires_ms = std::min(now + cred->ttl_s * 1000, task.expires_ms ? task.expires_ms : now + cred->ttl_s * 1000);
  if (l.expires_ms - now < 1000) return refuse("the task " + task.id + " ends in less than a second");
  std::string subject = identity::spiffe_id(opts_.tokens.trust_domain, task.agent, task.id);
  Result<std::string> secret = Error("unreachable");
  switch (cred->kind) {
    case CredKind::Jwt: {
      int64_t exp = l.expires_ms / 1000;  // rounded down: never past the task
      l.expires_ms = exp * 1000;
      session::Agent* agent = agent_for(task.agent);
      json c = {{"iss", issuer_}, {"sub", subject}, {"aud", cred->audience}, {"iat", now / 1000}, {"nbf", now / 1000},
                {"exp", exp},     {"jti", l.id},    {"agent", task.agent},   {"task", task.id},   {"cred", cred->name}};
      c["act"] = {{"sub", agent && !agent->owner.empty() ? agent->owner : opts_.user}};
      secret = keys_->mint(dump_json(c), exp, now / 1000);
      if (secret) l.token_sha256 = crypto::sha256_hex(*secret);
      break;
    }
    case CredKind::Static:
      if (cred->store.empty())
        secret = read_static_secret(*cred);
      else if (!secrets_)
        secret = Error("this daemon has no secret store");
      else
        secret = secrets_->get(cred->store);
      break;
    case CredKind::Command: {
      // The command may take up to its timeout: decisions go on meanwhile.
      // `cred` points into opts_, which does not change while the service
      // lives.
      EnvPairs env = command_env(*cred, l, subject);
      lock.unlock();
      auto printed = run_command(cred->mint, env, "", cred->timeout_ms);
      lock.lock();
      secret = printed ? clean_secret(std::move(*printed), "what the mint command printed") : std::move(printed);
      break;
    }
  }
  if (!secret) return refuse("the credential `" + cred->name + "` could not be issued: " + secret.error().message);
  // Not issued after all (the task ended, the agent was contained while the
  // command ran, or the lease cannot be stored): what was minted is revoked.
  auto unmint = [&] {
    if (cred->kind == CredKind::Command && !cred->revoke.empty())
      queue_revoke({cred->revoke, command_env(*cred, l, subject), *secret, cred->timeout_ms, l.id, cred->name});
  };
  if (cred->kind == CredKind::Command) {
    // Time passed while the command ran: the lease's end was set before it.
    const int64_t after = opts_.now();
    std::string why = withdrawn();
    if (why.empty() && task.expires_ms && task.expires_ms <= after)
      why = "the task " + task.id + " expired while the credential was being minted";
    if (why.empty() && l.expires_ms - after < 1000)
      why = "the lease would end less than a second after the mint command finished";
    if (!why.empty()) {
      unmint();
      return refuse(why);
    }
  }
  l.secret_sha256 = secret_digest(l.id, *secret);
  if (auto st = store_->put_lease(l); !st) {
    unmint();
    return refuse("the lease could not be stored (" + st.error().message + ")");
  }
  rec["decision"] = "allow";
  rec["reason"] = d.reason;
  rec["lease"] = l.id;
  std::string err;
  record("", "cred_request", "", "allow", dump_json(rec), &err);
  json issued = lease_json(l);
  issued["type"] = "cred_issue";
  issued["secret_sha256"] = l.secret_sha256;
  issued["ts"] = now;
  record("", "cred_issue", "", "", dump_json(issued), &err);
  if (!err.empty()) {
    // An issue that cannot be recorded does not happen.
    leases_[l.id] = l;
    if (cred->kind == CredKind::Command) lease_secrets_[l.id] = *secret;
    revoke_leases([&](const store::Lease& x) { return x.id == l.id; }, "the issue could not be recorded", now);
    out.error = "the credential could not be recorded (" + err + "); nothing was issued";
    out.oauth_error = "invalid_request";
    return out;
  }
  leases_[l.id] = l;
  if (cred->kind == CredKind::Command) lease_secrets_[l.id] = *secret;
  out.secret = std::move(*secret);
  out.lease = std::move(l);
  return out;
}

void Service::revoke_leases(const std::function<bool(const store::Lease&)>& which, const std::string& why,
                            int64_t now) {
  std::vector<std::string> ids;
  for (const auto& [id, l] : leases_)
    if (which(l)) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    store::Lease l = leases_[id];
    l.revoked_ms = now;
    l.revoked_why = why;
    json rec = lease_json(l);
    rec["type"] = "cred_revoke";
    rec["ts"] = now;
    const Credential* cred = nullptr;
    for (const auto& c : opts_.credentials)
      if (c.name == l.credential) cred = &c;
    if (cred && cred->kind == CredKind::Command && !cred->revoke.empty()) {
      // The secret on standard input while this daemon still holds it (not
      // after a restart); the lease id always, in TOLLGATE_LEASE_ID. The
      // lease is dead for Tollgate now; the command runs on the revoker
      // thread and its outcome is a record of its own.
      auto secret = lease_secrets_.find(id);
      std::string input = secret == lease_secrets_.end() ? std::string() : secret->second;
      queue_revoke({cred->revoke,
                    command_env(*cred, l, identity::spiffe_id(opts_.tokens.trust_domain, l.agent, l.task)),
                    std::move(input), cred->timeout_ms, l.id, cred->name, l});
      rec["revoke_command"] = "queued";
      // Saved live with the revocation pending: a daemon stopped before the
      // command has run revokes the lease again at its next start.
      store::Lease pending = l;
      pending.revoked_ms = 0;
      pending.revoked_why = std::string(kRevokePending) + why;
      (void)store_->put_lease(pending);
    } else {
      (void)store_->put_lease(l);
    }
    std::string err;
    record("", "cred_revoke", "", "", dump_json(rec), &err);
    leases_.erase(id);
    lease_secrets_.erase(id);
  }
}

void Service::queue_revoke(RevokeJob job) {
  std::lock_guard lock(revoke_mu_);
  revoke_jobs_.push_back(std::move(job));
  ++revoke_queued_;
  if (!revoker_.joinable()) revoker_ = std::thread([this] { run_revocations(); });
  revoke_cv_.notify_all();
}

void Service::run_revocations() {
  std::unique_lock lock(revoke_mu_);
  while (true) {
    // What is queued runs even when the service is stopping: a minted
    // secret must not outlive its lease because the daemon exited.
    revoke_cv_.wait(lock, [&] { return revoke_stop_ || !revoke_jobs_.empty(); });
    if (revoke_jobs_.empty()) return;
    RevokeJob job = std::move(revoke_jobs_.front());
    revoke_jobs_.pop_front();
    lock.unlock();
    auto r = run_command(job.argv, job.env, job.input, job.timeout_ms);
    {
      std::lock_guard service(mu_);
      int64_t now = opts_.now();
      json rec = {{"type", "cred_revoke_command"},
                  {"lease", job.lease},
                  {"credential", job.credential},
                  {"result", r ? std::string("ok") : "failed: " + r.error().message},
                  {"ts", now}};
      std::string err;
      record("", "cred_revoke_command", "", "", dump_json(rec), &err);
      // A command that failed leaves the revocation pending (retried at the
      // next start): the secret may still be live at the provider.
      if (job.revoked && r) (void)store_->put_lease(*job.revoked);
    }
    lock.lock();
    ++revoke_done_;
    revoke_cv_.notify_all();
  }
}

void Service::withdraw_lease(const std::string& lease, const std::string& why) {
  std::lock_guard lock(mu_);
  revoke_leases([&](const store::Lease& l) { return l.id == lease; }, why, opts_.now());
}

uint64_t Service::revocations_queued() {
  std::lock_guard lock(revoke_mu_);
  return revoke_queued_;
}

void Service::drain_revocations(uint64_t upto) {
  std::unique_lock lock(revoke_mu_);
  if (upto == UINT64_MAX) upto = revoke_queued_;
  revoke_cv_.wait(lock, [&] { return revoke_done_ >= upto; });
}

std::optional<std::string> Service::introspect_lease(std::string_view token, int64_t now) {
  std::string digest = crypto::sha256_hex(token);
  auto found = store_->lease_by_token_digest(digest);
  if (!found || !found->has_value()) return std::nullopt;
  const store::Lease& l = **found;
  identity::VerifyOptions vo;
  vo.skew_s = opts_.tokens.skew_s;
  vo.now_s = now / 1000;
  auto v = identity::verify_jwt(
      token, [&](std::string_view kid) { return keys_->find(kid); }, vo);
  std::string why = v.ok() ? std::string() : v.reason;
  if (why.empty() && l.revoked_ms) why = "the lease was revoked (" + l.revoked_why + ")";
  if (why.empty() && l.expires_ms <= now) why = "the lease has expired";
  if (why.empty()) {
    auto t = store_->get_task(l.task);
    if (!t || !t->has_value())
      why = "its task is unknown";
    else if ((*t)->ended)
      why = "its task has ended";
    else if ((*t)->expires_ms && (*t)->expires_ms <= now)
      why = "its task has expired";
    session::Agent* a = agent_for(l.agent);
    if (why.empty() && a && a->status != "active") why = "its agent is " + a->status;
    if (why.empty() && kill_switch_) why = "the kill switch is on";
    if (why.empty() && quarantined_agents_.count(l.agent)) why = "its agent is quarantined";
  }
  json rec = lease_json(l);
  rec["type"] = "cred_use";
  rec["active"] = why.empty();
  rec["token_sha256"] = digest;
  rec["ts"] = now;
  if (!why.empty()) rec["reason"] = why;
  std::string err;
  record("", "cred_use", "", why.empty() ? "active" : "inactive", dump_json(rec), &err);
  if (!why.empty()) return std::string(R"({"active":false})");
  auto claims = parse_json(v.claims.json, "claims", identity::kMaxClaimsDepth);
  if (!claims || !claims->is_object()) return std::string(R"({"active":false})");
  json body = {{"active", true}, {"token_type", "Bearer"}};
  for (auto& [k, val] : claims->items())
    if (k != "active") body[k] = val;
  return dump_json(body);
}

std::string Service::handle_cred(const json& h) {
  std::unique_lock lock(mu_);
  int64_t now = opts_.now();
  std::string op = h.value("op", std::string());
  if (op == "cred_get") {
    auto name = h.find("credential");
    auto token = h.find("token");
    if (name == h.end() || !name->is_string()) return reply_error("cred_get needs a `credential`");
    if (token != h.end() && !token->is_string()) return reply_error("cred_get: `token` must be a string");
    Issued is = issue(lock, token == h.end() ? std::string_view() : token->get_ref<const std::string&>(),
                      name->get<std::string>(), "cred get", now);
    if (!is.error.empty()) return reply_error(is.error);
    json j = lease_json(is.lease);
    j["ok"] = true;
    j["secret"] = is.secret;
    return dump_json(j);
  }
  if (op == "cred_leases") {
    json arr = json::array();
    std::vector<std::string> ids;
    for (const auto& [id, l] : leases_) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) arr.push_back(lease_json(leases_[id]));
    return dump_json(json{{"ok", true}, {"leases", arr}});
  }
  if (op == "cred_revoke") {
    std::string id = h.value("lease", std::string());
    if (!leases_.count(id)) return reply_error("no live lease `" + id.substr(0, 64) + "`");
    revoke_leases([&](const store::Lease& l) { return l.id == id; }, "revoked by an operator", now);
    return dump_json(json{{"ok", true}, {"lease", id}, {"revoked", true}});
  }
  return reply_error("unknown op `" + op + "`");
}

Result<Service::UpstreamCredential> Service::upstream_credential(std::string_view task_token,
                                                                 const std::string& credential,
                                                                 const std::string& upstream) {
  std::unique_lock lock(mu_);
  Issued is = issue(lock, task_token, credential, "mcp:" + upstream, opts_.now());
  if (!is.error.empty()) return Error(is.error);
  return UpstreamCredential{std::move(is.secret), is.lease.id, is.lease.expires_ms};
}

void Service::set_secret_store(std::unique_ptr<SecretStore> store) {
  std::lock_guard lock(mu_);
  secrets_ = std::move(store);
}

std::string Service::handle_secret(const json& h, std::string_view payload) {
  std::lock_guard lock(mu_);
  if (!secrets_) return reply_error("this daemon has no secret store");
  int64_t now = opts_.now();
  std::string op = h.value("op", std::string());
  std::string name = h.value("name", std::string());
  std::string by = h.value("by", std::string()).substr(0, 64);
  std::string err;
  if (op == "secret_list") {
    json arr = json::array();
    for (const auto& e : secrets_->list())
      arr.push_back({{"name", e.name}, {"bytes", e.bytes}, {"updated_ms", e.updated_ms}});
    return dump_json(json{{"ok", true}, {"secrets", arr}});
  }
  if (op == "secret_set") {
    bool replaced = false;
    for (const auto& e : secrets_->list()) replaced = replaced || e.name == name;
    if (auto st = secrets_->put(name, std::string(payload), now); !st) return reply_error(st.error().message);
    // What was stored is named and sized, never shown.
    record("", "secret_set", "", "",
           dump_json(json{{"type", "secret_set"},
                          {"name", name},
                          {"bytes", payload.size()},
                          {"replaced", replaced},
                          {"by", by},
                          {"ts", now}}),
           &err);
    return dump_json(json{{"ok", true}, {"name", name}, {"replaced", replaced}});
  }
  if (op == "secret_rm") {
    auto removed = secrets_->remove(name);
    if (!removed) return reply_error(removed.error().message);
    if (!*removed) return reply_error("the secret store has no `" + name.substr(0, 64) + "`");
    record("", "secret_rm", "", "", dump_json(json{{"type", "secret_rm"}, {"name", name}, {"by", by}, {"ts", now}}),
           &err);
    return dump_json(json{{"ok", true}, {"name", name}, {"removed", true}});
  }
  return reply_error("unknown op `" + op.substr(0, 64) + "`");
}

bool Service::lease_live(const std::string& lease, int64_t margin_ms) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(lease);
  return it != leases_.end() && it->second.revoked_ms == 0 && it->second.expires_ms > opts_.now() + margin_ms;
}

std::pair<int, std::string> Service::token_exchange(const std::map<std::string, std::string>& form) {
  auto oauth = [](std::string_view code, std::string_view description) {
    return std::pair<int, std::string>{400, dump_json(json{{"error", code}, {"error_description", description}})};
  };
  auto get = [&](const char* k) {
    auto it = form.find(k);
    return it == form.end() ? std::string() : it->second;
  };
  if (get("grant_type") != kTokenExchange)
    return oauth("unsupported_grant_type", "grant_type must be " + std::string(kTokenExchange));
  std::string type = get("subject_token_type");
  if (type != kJwtType && type != kAccessTokenType)
    return oauth("invalid_request", "subject_token_type must be " + std::string(kJwtType));
  if (get("subject_token").empty()) return oauth("invalid_request", "subject_token (a task token) is required");
  if (form.count("actor_token") || form.count("actor_token_type"))
    return oauth("invalid_request", "actor tokens are not supported; the task token's `act` names the human");
  if (form.count("resource"))
    return oauth("invalid_target", "name the downstream service with `audience`, not `resource`");
  if (form.count("scope")) return oauth("invalid_scope", "scopes are not supported");
  std::string want = get("requested_token_type");
  if (!want.empty() && want != kJwtType && want != kAccessTokenType)
    return oauth("invalid_request", "only JWTs (" + std::string(kJwtType) + ") are issued");
  std::string audience = get("audience");
  if (audience.empty()) return oauth("invalid_request", "audience (the downstream service) is required");

  std::unique_lock lock(mu_);
  int64_t now = opts_.now();
  // The audience names a jwt credential; its `cred.request` is the decision.
  std::string name;
  for (const auto& c : opts_.credentials)
    if (c.kind == CredKind::Jwt && c.audience == audience) name = c.name;
  if (name.empty()) {
    std::string err;
    json rec = {{"type", "cred_request"},
                {"via", "token-exchange"},
                {"audience", audience.substr(0, 256)},
                {"token_sha256", crypto::sha256_hex(get("subject_token"))},
                {"decision", "deny"},
                {"reason", "no jwt credential has this audience"},
                {"ts", now}};
    // A task whose token verifies is known: its refusal is always recorded,
    // and counted by the detectors (probing audiences).
    session::Task task;
    bool known = false;
    if (keys_) {
      identity::VerifyOptions vo;
      vo.skew_s = opts_.tokens.skew_s;
      known = check_task_token(get("subject_token"), *keys_, *store_, now, vo, &task).ok();
    }
    if (known) {
      rec["task"] = task.id;
      rec["agent"] = task.agent;
    }
    if (known || record_unknown_refusal(rec, now)) record("", "cred_request", "", "deny", dump_json(rec), &err);
    if (known) detect_cred_request(task, audience.substr(0, 64), false);
    return oauth("invalid_target", "no credential is configured for this audience");
  }
  Issued is = issue(lock, get("subject_token"), name, "token-exchange", now);
  if (!is.error.empty()) return oauth(is.oauth_error, is.error);
  return {200, dump_json(json{{"access_token", is.secret},
                              {"issued_token_type", kJwtType},
                              {"token_type", "N_A"},
                              {"expires_in", (is.lease.expires_ms - now) / 1000}})};
}

}  // namespace tollgate::server
