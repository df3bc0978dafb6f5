// `tollgate serve`: the decision daemon. It owns all state — the policy
// pack, the sessions, the store — and answers enforcement points over a
// unix socket (server/protocol.h).
//
// Service is the logic without the sockets: one hook event in, one verdict
// out, with the session updated and every prompt, decision and outcome
// recorded in the store before the verdict is returned. Daemon wraps it in
// an epoll loop on one thread: it holds the data directory's lock (a second
// daemon on the same directory refuses to start), seeds DIR/policies with
// the baseline pack on first start, reloads the pack when its files change
// (a pack that does not load is refused with diagnostics and the previous
// one stays active), and shuts down cleanly on SIGINT/SIGTERM or stop().
//
// It signs checkpoints of the ledger on its schedule and on demand (the
// "checkpoint" op) and hands them to a delivery thread, so a slow
// destination never holds up a decision; a failed delivery is logged and
// recorded in the ledger (`checkpoint_delivery`).
//
// It runs the detectors of detect/detect.h over every decision, outcome,
// MCP pin change and credential request, records each detection and carries
// out its responses: revoking the task and its leases, quarantining a session
// or an agent, the kill switch (docs/detect.md). Containments are kept in
// the store and survive a restart.
//
// Failure behaviour: a request that cannot be understood gets a deny (for
// events that can be denied) with the reason; a store failure denies the
// decision it could not record. The daemon never exits on bad input.
//
// Thread-safety: Service::handle is serialised internally; Daemon::run runs
// on the calling thread and stop() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"
#include "detect/detect.h"
#include "mcp/pins.h"
#include "pdp/pdp.h"
#include "server/broker.h"
#include "server/checkpoints.h"
#include "server/peers.h"
#include "server/secret_store.h"
#include "session/session.h"
#include "store/store.h"

namespace tollgate::identity {
class KeySet;
}

namespace tollgate::server {

using Clock = std::function<int64_t()>;  // milliseconds since the Unix epoch
int64_t system_now_ms();

// Task tokens (docs/tasks.md, "Task tokens").
struct TokenOptions {
  std::string issuer;                           // `iss`; empty: "urn:tollgate:<trust domain>"
  std::string trust_domain = "tollgate.local";  // of the SPIFFE subjects
  std::string audience = "tollgate";            // `aud` of tasks started without one
  int64_t skew_s = 60;                          // clock skew tolerated on exp/nbf/iat
  int64_t rotate_every_s = 86400;               // signing key rotation; 0: on demand only
};

struct ServiceOptions {
  std::string home;        // the user's home directory (for `~` and labels)
  std::string user, host;  // for agent ids until agents are registered
  Clock now = system_now_ms;
  TokenOptions tokens;
  std::vector<Credential> credentials;  // the broker's (docs/tasks.md, "Credentials")
  detect::Config detect;                // detectors and their responses (docs/detect.md)
};

// How a lease whose revoke command has not run yet is saved: live, its
// `revoked_why` starting with this.
inline constexpr std::string_view kRevokePending = "pending: ";

// The issuer's signing keys start in memory; the daemon installs its
// persisted key set (DATA/keys) with set_keys().
class Service {
 public:
  Service(std::unique_ptr<store::Store> store, std::shared_ptr<const pdp::Pdp> pdp, ServiceOptions opts);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // One request (header JSON + payload) → the reply line (JSON, no newline).
  // `peer_pid`: the requesting process (SO_PEERCRED), 0 when unknown.
  // Operator requests from a process of a governed agent's session are
  // refused (server/peers.h).
  std::string handle(std::string_view header, std::string_view payload, int peer_pid = 0);
  // The process on the other end of a kept connection, and what was learnt
  // of it while serving the connection's earlier requests.
  struct Peer {
    int pid = 0;  // SO_PEERCRED; 0: unknown
    // Found not to run under a Tollgate process. A process's ancestors only
    // ever leave (an orphan is adopted by an ancestor that reaps orphans, or
    // by init), so this holds for the life of the connection.
    bool clear_of_tollgate = false;
  };
  std::string handle(std::string_view header, std::string_view payload, Peer& peer);

  // Revokes one live lease (running its revoke command), e.g. when what
  // issued it could not be recorded after all.
  void withdraw_lease(const std::string& lease, const std::string& why);

  // Waits until the first `upto` revoke commands ever queued (all queued so
  // far by default) have run and their outcomes are recorded.
  void drain_revocations(uint64_t upto = UINT64_MAX);
  uint64_t revocations_queued();

  // Swaps in a new decision point (after a pack reload) and records it.
  void set_pdp(std::shared_ptr<const pdp::Pdp> pdp);
  std::shared_ptr<const pdp::Pdp> pdp() const;
  // Records the MCP gateway's upstream configuration taking effect.
  void record_mcp_config(const std::string& path, const std::string& hash, const std::vector<std::string>& upstreams);
  store::Store& store() { return *store_; }
  // What the "reload" op runs (the daemon's pack reload).
  void set_reloader(std::function<Status()> f) { reloader_ = std::move(f); }
  // What the "checkpoint" and "checkpoint_rotate" ops run (the daemon's
  // checkpointer); returns the reply line.
  void set_checkpoint_handler(std::function<std::string(const std::string& op)> f) { checkpoints_ = std::move(f); }

  // Identity: the key set that signs task tokens, and the issuer named in
  // them and in the discovery document.
  void set_keys(std::unique_ptr<identity::KeySet> keys);
  void set_issuer(std::string issuer);
  std::string issuer() const;
  // GET /.well-known/jwks.json and /.well-known/openid-configuration.
  std::string jwks();
  std::string openid_configuration();
  // RFC 7662: {"active":false} for anything but a live task token, else
  // {"active":true, …its claims}. Every answer is recorded (never the token).
  std::string introspect(std::string_view token);
  // Whether `token` is a live task token (as introspect judges it, the kill
  // switch and quarantines included), without a record: the MCP HTTP
  // gateway's check of a client's bearer before anything reaches an
  // upstream. The error says why not.
  Status check_bearer(std::string_view token);
  // A new signing key now; returns its kid. Recorded.
  Result<std::string> rotate_keys();
  // Periodic work (the daemon's poll): scheduled key rotation, and the
  // revocation of leases that expired.
  void tick();
  // RFC 8693 token exchange (POST /token): the form's fields → HTTP status
  // and JSON body (docs/tasks.md, "Token exchange").
  std::pair<int, std::string> token_exchange(const std::map<std::string, std::string>& form);
  // A credential for an MCP upstream (server/mcp_http.h, `credential`):
  // issued by the broker to the caller's task, exactly as `cred get` is
  // (decided as `cred.request`, recorded with `via` = "mcp:<upstream>").
  struct UpstreamCredential {
    std::string secret;  // never recorded
    std::string lease;
    int64_t expires_ms = 0;
  };
  Result<UpstreamCredential> upstream_credential(std::string_view task_token, const std::string& credential,
                                                 const std::string& upstream);
  // Tollgate's encrypted store for `static` credentials with `store`
  // (server/secret_store.h); without one, those credentials are refused.
  void set_secret_store(std::unique_ptr<SecretStore> store);
  // Whether a lease is live (not revoked) and stays unexpired for `margin_ms`.
  bool lease_live(const std::string& lease, int64_t margin_ms = 0);
  const ServiceOptions& options() const { return opts_; }
  // The process on the other end of `fd`, a loopback TCP connection (an
  // HTTP MCP client), when it is a traced harness or descends from one
  // (server/peers.h, loopback_peer_pid); 0 otherwise. Reads /proc: callers
  // look once per client session, and again only when the generation of
  // traced harnesses has moved on.
  int harness_peer(int fd);
  uint64_t harness_generation() const { return harness_generation_.load(std::memory_order_relaxed); }

 private:
  std::string handle_request(std::string_view header, std::string_view payload, Peer& peer);
  // Why an operator request from `peer_pid` is refused; empty when it is not.
  std::string refuse_agent_operator(const std::string& op, int peer_pid);
  // The refusal of an `mcp` or operator request from a process running
  // under a Tollgate process (an MCP server behind a stdio gateway); empty
  // when it may go on.
  std::string refuse_under_tollgate(const std::string& op, Peer& peer);
  void trace_harness(int peer_pid, const std::string& sid);  // mu_ held
  // The harness session an MCP gateway (`tollgate mcp`, process `peer_pid`,
  // its own session `gateway_sid`) runs under: the newest session of the
  // traced harness it descends from; empty when none. `fresh` says whether
  // the gateway was not linked to that session before. mu_ held.
  std::string harness_session_of_gateway(const std::string& gateway_sid, int peer_pid, bool& fresh);
  std::string handle_hook(std::string_view harness, std::string_view project_dir, std::string_view task_token,
                          std::string_view agent_id, std::string_view payload, int peer_pid = 0);
  std::string handle_agent(const std::string& op, const nlohmann::json& header);
  // The agent as JSON with its computed risk tier (server/risk_service.cc;
  // docs/tasks.md, "Risk tier"); `tasks`: the store's tasks, for its live
  // ones. mu_ held.
  nlohmann::json agent_with_risk(const session::Agent& a, const std::vector<session::Task>& tasks, int64_t now);
  std::string handle_mcp(const nlohmann::json& header, std::string_view payload,
                         int peer_pid);  // server/mcp_service.cc
  // Detection and containment (server/detect_service.cc, docs/detect.md).
  // mu_ held by the callers. The detect_* calls feed the detectors and carry
  // out what they set off; apply_containment puts the kill switch and any
  // quarantine of the request's session or agent into a decision request.
  std::string handle_contain(const std::string& op, const nlohmann::json& header);
  void apply_containment(pdp::Request& req) const;
  void detect_decision(const session::Session& s, const std::string& tool_use_id, const std::string& tool,
                       const pdp::Decision& d);
  void detect_outcome(const session::Session& s, const std::string& tool_use_id, const std::string& tool, bool success,
                      bool unpaired = false);
  void detect_pin(const std::string& sid, const mcp::Pin& after, const mcp::Pin* before, const std::string& change);
  void detect_cred_request(const session::Task& task, const std::string& credential, bool allowed);
  void observe(detect::Event e);
  void respond(const detect::Detection& d, int64_t now);
  // Sets a containment and records it; false when it was already in force.
  bool contain(store::Containment c, int64_t now, std::string* error);
  // Ends a task (its token dies with it) and revokes its leases; returns the
  // revoked lease ids. `reason` goes into the task_end record when not empty.
  std::vector<std::string> end_task(const std::string& id, const std::string& lease_why, const std::string& reason,
                                    int64_t now, std::string* error);
  // The broker (server/cred_service.cc). mu_ held by the callers.
  struct Issued {
    std::string error;        // empty: issued
    std::string oauth_error;  // for token exchange: invalid_request, invalid_target
    std::string secret;       // the credential: a token or a secret; never recorded
    store::Lease lease;
  };
  std::string handle_cred(const nlohmann::json& header);
  // secret_set (payload: the value), secret_list, secret_rm (server/cred_service.cc).
  std::string handle_secret(const nlohmann::json& header, std::string_view payload);
  // `lock` holds mu_; it is released while a mint command runs, so that a
  // slow command holds up no decision, and the task and the agent are
  // checked again when it is taken back.
  Issued issue(std::unique_lock<std::mutex>& lock, std::string_view task_token, const std::string& name,
               std::string_view via, int64_t now);
  // Revokes every live lease `which` selects and records each revocation;
  // their revoke commands are queued for the revoker thread.
  void revoke_leases(const std::function<bool(const store::Lease&)>& which, const std::string& why, int64_t now);
  // A revoke command to run, off mu_: commands may take up to their
  // timeout, and decisions do not wait for them. The outcome is recorded
  // as a `cred_revoke_command`.
  struct RevokeJob {
    std::vector<std::string> argv;
    EnvPairs env;
    std::string input;  // the secret, when the daemon still holds it
    int64_t timeout_ms = 0;
    std::string lease, credential;
    // The lease as revoked, saved once the command has run: a daemon that
    // stops before then finds the lease live again, and revokes it again.
    std::optional<store::Lease> revoked;
  };
  void queue_revoke(RevokeJob job);
  void run_revocations();
  // Introspection of a token the broker issued: nullopt when it is not one.
  std::optional<std::string> introspect_lease(std::string_view token, int64_t now);
  // The session an event belongs to (loaded or created), its agent
  // (registered on first sight) and its task (bound by the task token).
  // mu_ held. bind_error: the agent or token named cannot be used.
  struct Entered {
    session::Session* session;
    session::Agent* agent;
    std::string bind_error;
  };
  Entered enter(const std::string& sid, std::string_view harness, const std::string& workspace, const std::string& cwd,
                std::string_view task_token, std::string_view agent_id, int64_t now);
  session::Agent* agent_for(const std::string& id);  // mu_ held; null when unknown
  std::string handle_task(const std::string& op, const nlohmann::json& header);
  const session::Task* task_of(const session::Session& s);  // mu_ held
  session::Session& session_for(const std::string& id, const std::string& harness, const std::string& cwd);
  void record(const std::string& session, std::string kind, std::string tool_use_id, std::string effect,
              std::string record_json, std::string* error, const session::Session* state = nullptr);
  // Whether a refused credential request from nobody known (no task token
  // that verifies) is recorded: at most kMaxUnknownRefusals a minute, so that
  // anyone on the machine flooding /token cannot grow the ledger without
  // bound. The next one recorded says how many were not (`suppressed`).
  // mu_ held.
  bool record_unknown_refusal(nlohmann::json& rec, int64_t now);
  static constexpr int kMaxUnknownRefusals = 100;

  mutable std::mutex mu_;
  int64_t refusals_window_ms_ = 0;   // guarded by mu_: the minute being counted
  int refusals_in_window_ = 0;       // guarded by mu_
  int64_t refusals_suppressed_ = 0;  // guarded by mu_
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const pdp::Pdp> pdp_;  // guarded by mu_
  ServiceOptions opts_;
  std::function<Status()> reloader_;
  std::function<std::string(const std::string&)> checkpoints_;
  std::unordered_map<std::string, session::Session> sessions_;       // guarded by mu_; bounded
  std::unordered_map<std::string, session::Task> tasks_;             // guarded by mu_; a cache of the store
  std::unordered_map<std::string, session::Agent> agents_;           // guarded by mu_; a cache of the store
  std::unordered_map<std::string, std::vector<mcp::Pin>> mcp_pins_;  // guarded by mu_: by server, write-through
  std::set<ProcId> harnesses_;                                       // guarded by mu_: harness processes of sessions
  std::map<ProcId, std::string> harness_sessions_;                   // guarded by mu_: each one's newest session
  std::atomic<uint64_t> harness_generation_{0};                      // bumped when harnesses_ gains one
  // Gateway sessions (by the pid of their process and their session id:
  // one process may hold several, an HTTP client one per upstream) and the
  // harness each descends from; one with no harness yet is looked up again
  // only after another harness has been traced.
  struct GatewayHarness {
    ProcId harness;  // pid 0: none found
    bool looked = false;
    uint64_t looked_generation = 0;  // harness_generation_ when last looked up
    std::string linked;              // the harness session it was last linked to
  };
  std::unordered_map<std::string, GatewayHarness> gateway_harnesses_;  // guarded by mu_; bounded
  std::unordered_set<std::string> traced_sessions_;                    // guarded by mu_
  // Session id → digest of the task token verified when it was bound: the
  // token is checked once per bind, not on every event.
  std::unordered_map<std::string, std::string> bound_tokens_;  // guarded by mu_; bounded like sessions_
  std::unique_ptr<identity::KeySet> keys_;                     // guarded by mu_
  std::string issuer_;                                         // guarded by mu_
  // Live leases by id (a cache of the store), and the secrets of live
  // command leases, kept in memory only, for their revoke command's input.
  std::unordered_map<std::string, store::Lease> leases_;        // guarded by mu_
  std::unique_ptr<SecretStore> secrets_;                        // guarded by mu_
  std::unordered_map<std::string, std::string> lease_secrets_;  // guarded by mu_
  // The revoker: one thread, started on the first job, that runs queued
  // revoke commands in order; the destructor runs what is left and joins.
  std::mutex revoke_mu_;
  std::condition_variable revoke_cv_;
  std::deque<RevokeJob> revoke_jobs_;  // guarded by revoke_mu_
  uint64_t revoke_queued_ = 0;         // guarded by revoke_mu_: jobs ever queued
  uint64_t revoke_done_ = 0;           // guarded by revoke_mu_: jobs run and recorded
  // Leases found live at start whose task had ended: their revoke command
  // had not run. The first tick revokes them.
  std::vector<std::string> unrevoked_at_start_;  // guarded by mu_
  bool revoke_stop_ = false;                     // guarded by revoke_mu_
  std::thread revoker_;
  // Risk reports by agent, recomputed when the decision point, the agent's
  // status or tool connections, or its live tasks change.
  struct RiskEntry {
    std::shared_ptr<const pdp::Pdp> pdp;
    std::string inputs;
    std::string report;  // the risk fields as a JSON object
  };
  std::unordered_map<std::string, RiskEntry> risk_;  // guarded by mu_; bounded
  // Detectors, and the containments in force (a cache of the store's).
  std::unique_ptr<detect::Detector> detector_;                                // guarded by mu_
  std::optional<store::Containment> kill_switch_;                             // guarded by mu_
  std::unordered_map<std::string, store::Containment> quarantined_sessions_;  // guarded by mu_
  std::unordered_map<std::string, store::Containment> quarantined_agents_;    // guarded by mu_
};

struct DaemonOptions {
  std::string data_dir;      // empty: default_data_dir()
  std::string policies_dir;  // empty: <data_dir>/policies, seeded with the baseline pack
  std::string config_file;   // empty: <data_dir>/config.json if it exists
  std::string socket_path;   // empty: <data_dir>/tollgate.sock
  int64_t reload_poll_ms = 1000;
  int64_t read_timeout_ms = 10000;  // a client that sends nothing is dropped after this
  // Connections one client process may hold on the socket at once; more are
  // refused, so a runaway or hostile process cannot take every descriptor
  // from other sessions' hooks and gateways. 0: no cap.
  int max_conns_per_process = 64;
  std::string binary;      // the tollgate binary (protected from writes)
  std::string http;        // "127.0.0.1:PORT" (0: any free port): the loopback HTTP API; empty: none
  std::string mcp_config;  // remote MCP upstreams (server/mcp_http.h); empty: DATA/mcp.json if it exists
  Clock now = system_now_ms;
  // Task tokens; an empty issuer becomes the HTTP API's URL (http://127.0.0.1:PORT) when there is one.
  TokenOptions tokens;
  // Signed checkpoints of the ledger: schedule, key rotation, destinations
  // (server/checkpoints.h). Keys live in <data_dir>/keys.
  CheckpointOptions checkpoints;
  // When an answer leaves: once its record is flushed to the disk (kDisk,
  // survives a power cut), or once it is written to the operating system
  // (kProcess, survives a crash of the daemon; store/store.h).
  store::Store::Durability durability = store::Store::Durability::kDisk;
};

class Daemon {
 public:
  // Takes the lock, opens the store, loads the pack, binds the socket.
  // Errors say what to do ("another tollgate serve (pid 123) is using …").
  static Result<std::unique_ptr<Daemon>> create(DaemonOptions opts);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves until stop() or SIGINT/SIGTERM; returns the exit code.
  int run();
  void stop();
  // Reloads the pack now (also on SIGHUP and when its files change).
  Status reload();
  // Re-reads the MCP gateway's upstreams (DATA/mcp.json) when the file
  // changed; a refused file keeps the previous upstreams (part of reload()).
  Status reload_mcp();

  const std::string& socket_path() const { return opts_.socket_path; }
  int http_port() const;  // the bound port of the HTTP API, 0 without one
  Service& service() { return *service_; }

 private:
  explicit Daemon(DaemonOptions opts);
  struct Impl;
  DaemonOptions opts_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Impl> impl_;
};

// Loads a config file ({"labels":[{"pattern","labels","host","exclude"}],
// "protected_paths":[…], "credentials":{name: {…}}, "detect":{…}}) into a
// label table, a protection list, the broker's credentials
// (server/broker.h) and the detectors' settings (detect/detect.h).
Status load_config(const std::string& path, session::LabelTable& labels, pdp::Protected& prot,
                   std::vector<Credential>* credentials = nullptr, detect::Config* detect = nullptr);

}  // namespace tollgate::server
