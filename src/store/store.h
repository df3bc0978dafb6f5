// Persistence for the daemon, behind one interface: sessions (with their
// accumulated state) and the event record (prompts, decisions, outcomes,
// session lifecycle, policy pack changes). The embedded implementation is
// one SQLite file in the data directory (WAL mode); the fleet store on
// PostgreSQL implements the same interface later.
//
// Durability: every write is committed and on disk before the call returns
// (WAL with synchronous=FULL: an acknowledged record survives a crash of the
// daemon and a power cut; SQLite's recovery rolls back a transaction that
// was not complete). An operator may trade the power cut for latency
// (Durability::kProcess). Errors are values; a failed write is reported,
// never dropped silently.
//
// Thread-safety: all methods may be called from any thread; calls are
// serialised on one connection.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "ledger/merkle.h"
#include "session/session.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tollgate::store {

struct Event {
  int64_t seq = 0;  // assigned by append_event
  int64_t ts_ms = 0;
  std::string session;
  std::string kind;         // "prompt", "decision", "outcome", "session_start", "session_end", "pack" …
  std::string tool_use_id;  // links a decision to its outcome
  std::string effect;       // decisions: allow / deny / ask; outcomes: success / failure
  std::string pack;         // pack hash for decisions
  std::string record;       // the whole record: canonical JSON, the ledger leaf's bytes
  std::string leaf;         // hex SHA-256(0x00 ‖ record), set by append_event
  std::string tree_root;    // hex RFC 9162 tree head after this record, set by append_event
};

struct EventFilter {
  std::string session;  // empty: any
  std::string kind;     // empty: any
  int64_t after_seq = 0;
  size_t limit = 1000;
};

// A credential lease the broker issued (docs/tasks.md, "Credentials"). The
// secret itself is never stored: only its digest, and for `jwt` leases the
// digest of the token, by which introspection finds the lease.
struct Lease {
  std::string id;          // "lease-…"; for `jwt` leases also the token's `jti`
  std::string credential;  // the configured credential's name
  std::string kind;        // jwt, static, command
  std::string task, agent;
  std::string token_sha256;   // `jwt` leases: hex SHA-256 of the token; else empty
  std::string secret_sha256;  // hex SHA-256 of the lease id and the secret (server/broker.h)
  int64_t issued_ms = 0, expires_ms = 0;
  int64_t revoked_ms = 0;   // 0: live
  std::string revoked_why;  // "task ended", "expired", "agent suspended" …
};

// A containment in force (docs/detect.md): the kill switch (scope
// "global", empty id), or a quarantined session or agent. Kept until a
// person releases it, across restarts.
struct Containment {
  std::string scope;      // "global", "session", "agent"
  std::string id;         // the session or agent; empty for the kill switch
  std::string reason;     // why, as shown in every denial it causes
  std::string detection;  // the detection that caused it; empty when a person did
  std::string by;         // "detector", or the person who asked
  int64_t since_ms = 0;
};

class Store {
 public:
  // Opens (creating if needed) the SQLite database at `path`. The daemon
  // loads the ledger's tree head to append to it; an auditor reading a
  // ledger that may have been tampered with does not (its damage is what
  // `audit verify` reports, not a reason to refuse to open it).
  enum class Mode { kAppend, kAudit };
  static Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, Mode mode = Mode::kAppend);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // kDisk: a commit returns once it is flushed to the disk (fsync): it
  // survives a crash of the daemon and a power cut. kProcess: once it is
  // written to the operating system: it survives a crash of the daemon, but
  // a power cut or a kernel crash may lose the last commits (whole commits:
  // the ledger stays a valid chain, only shorter). Either way a commit that
  // follows sync_next_commit() is flushed.
  enum class Durability { kDisk, kProcess };
  Status set_durability(Durability d);
  // The next commit (a batch's, or a single append's) is flushed to the disk
  // whatever the durability: a signed checkpoint never covers a record a
  // power cut could take back.
  void sync_next_commit();

  Status put_session(const session::Session& s);
  Result<std::optional<session::Session>> get_session(const std::string& id);
  Result<std::vector<session::Session>> list_sessions(size_t limit = 1000);
  // Per harness: how many sessions, and when one was last seen (ms).
  struct HarnessSeen {
    std::string harness;
    int64_t sessions = 0;
    int64_t last_seen_ms = 0;
  };
  Result<std::vector<HarnessSeen>> harnesses_seen();
  // Group commit: records appended between begin_batch() and commit_batch()
  // reach the disk with one fsync. Nothing appended in a batch may be
  // acknowledged before commit_batch() succeeds; if it fails, the whole batch
  // is rolled back.
  Status begin_batch();
  Status commit_batch();
  // For a thread other than the one running batches: returns once every
  // record appended so far is on disk — at once, unless another thread's
  // batch is open (a record appended meanwhile joined it): then when that
  // batch ends, with an Error if it was rolled back. A caller must not hold
  // locks the batch's thread may need.
  Status wait_durable();
  // Called (from the waiting thread, under the store's lock) when
  // wait_durable() starts to wait for another thread's batch: the owner of a
  // batch it holds open on purpose commits it then. Empty: none.
  void set_wait_hook(std::function<void()> hook);
  // Whether the open batch has written anything yet.
  bool batch_has_writes();

  // The ledger's size and tree head (hex) as the store last committed them.
  Result<std::pair<int64_t, std::string>> ledger_head();

  Status put_agent(const session::Agent& a);
  Result<std::optional<session::Agent>> get_agent(const std::string& id);
  Result<std::vector<session::Agent>> list_agents();

  // Pinned MCP tool definitions (mcp/pins.h), stored as their JSON bodies;
  // an empty tool is the server's own pin.
  Status put_mcp_pin(const std::string& server, const std::string& tool, const std::string& body);
  // The pins of one server, or of every server when `server` is empty.
  Result<std::vector<std::string>> mcp_pins(const std::string& server);

  Status put_task(const session::Task& t);
  Result<std::optional<session::Task>> get_task(const std::string& id);
  Result<std::optional<session::Task>> task_by_token_digest(const std::string& sha256_hex);
  Result<std::vector<session::Task>> list_tasks(size_t limit = 1000);

  // Leases: saved whole (insert or update); the live ones (not revoked);
  // one by the digest of its token.
  Status put_lease(const Lease& l);
  Result<std::vector<Lease>> live_leases();
  Result<std::optional<Lease>> lease_by_token_digest(const std::string& sha256_hex);

  // Containments in force: saved whole (insert or replace by scope and id),
  // removed when released.
  Status put_containment(const Containment& c);
  Status delete_containment(const std::string& scope, const std::string& id);
  Result<std::vector<Containment>> containments();

  // The newest `limit` events of one kind, newest first. Indexed for
  // "detection" and "containment"; other kinds scan the ledger backwards.
  Result<std::vector<Event>> recent_events(const std::string& kind, size_t limit);

  // The effect of the latest decision of `session` on `tool_use_id`
  // ("allow", "deny", "ask"); nullopt when there was none. Follows the
  // session's chain of records back at most kMaxChainWalk records: an Error
  // when the answer lies deeper.
  static constexpr int kMaxChainWalk = 10000;
  Result<std::optional<std::string>> decision_effect(const std::string& session, const std::string& tool_use_id);

  // Appends and returns the sequence number. Each event is a leaf of the
  // ledger's Merkle tree (docs/ledger.md): its leaf hash and the tree head
  // after it are stored with it.
  Result<int64_t> append_event(const Event& e);
  // The same, and the session's new state, in one transaction.
  Result<int64_t> append_event(const Event& e, const session::Session& s);
  Result<std::vector<Event>> events(const EventFilter& f);
  // Calls `f` with each event after `after_seq`, in ledger order, one at a
  // time: the ledger is never in memory as a whole. `f` returns false to
  // stop. The store's lock is held throughout, so `f` must not call back
  // into the store.
  Status scan_events(int64_t after_seq, const std::function<bool(const Event&)>& f);
  Result<int64_t> event_count();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  Status exec(const char* sql);
  // Runs a statement without results from `slot`, prepared on first use:
  // BEGIN, COMMIT and ROLLBACK run for every record outside a batch.
  Status exec_prepared(sqlite3_stmt*& slot, const char* sql);
  Status begin_locked() { return exec_prepared(begin_, "BEGIN IMMEDIATE"); }
  void rollback_locked() { (void)exec_prepared(rollback_, "ROLLBACK"); }
  // COMMIT, flushed when sync_next_commit() asked for it.
  Status commit_locked();
  Status load_frontier();
  // Gives a ledger written before records were chained by session its chains.
  Status link_session_chains();
  // `slot`, prepared on first use (SQLITE_PREPARE_PERSISTENT).
  Result<sqlite3_stmt*> prepared(sqlite3_stmt*& slot, const char* sql);
  // The newest record of a session (0: none), this transaction's included.
  Result<int64_t> session_head_locked(const std::string& session);
  // pending_heads_ into session_heads, inside the open transaction.
  Status write_heads_locked();
  Status put_session_locked(const session::Session& s);
  Result<int64_t> append_event_locked(const Event& e);
  // The record (and the session's state, when given) in a transaction of
  // their own, outside a batch.
  Result<int64_t> append_in_transaction_locked(const Event& e, const session::Session* s);
  std::mutex mu_;
  sqlite3* db_;                             // guarded by mu_
  sqlite3_stmt* insert_event_ = nullptr;    // guarded by mu_: prepared once
  sqlite3_stmt* upsert_session_ = nullptr;  // guarded by mu_: prepared once
  sqlite3_stmt* select_head_ = nullptr;     // guarded by mu_: prepared once
  sqlite3_stmt* upsert_head_ = nullptr;     // guarded by mu_: prepared once
  sqlite3_stmt* select_link_ = nullptr;     // guarded by mu_: prepared once
  sqlite3_stmt* begin_ = nullptr;           // guarded by mu_: prepared once
  sqlite3_stmt* commit_ = nullptr;          // guarded by mu_: prepared once
  sqlite3_stmt* rollback_ = nullptr;        // guarded by mu_: prepared once
  ledger::Frontier frontier_;               // guarded by mu_
  ledger::Frontier frontier_batch_;         // guarded by mu_: for rollback of a batch
  bool batch_ = false;                      // guarded by mu_
  std::thread::id batch_owner_;             // guarded by mu_
  uint64_t batch_gen_ = 0;                  // guarded by mu_: batches begun
  uint64_t failed_gen_ = 0;                 // guarded by mu_: the last batch rolled back
  std::condition_variable batch_ended_;
  int64_t batch_changes_ = 0;                  // guarded by mu_: sqlite3_total_changes64 at begin_batch
  std::function<void()> wait_hook_;            // guarded by mu_
  Durability durability_ = Durability::kDisk;  // guarded by mu_
  bool sync_next_ = false;                     // guarded by mu_
  // Inside a batch: each session's latest state, written at commit_batch.
  std::unordered_map<std::string, session::Session> pending_sessions_;  // guarded by mu_
  // In the open transaction: each session's newest record, written to
  // session_heads at its commit, forgotten at a rollback.
  std::unordered_map<std::string, int64_t> pending_heads_;  // guarded by mu_
};

}  // namespace tollgate::store
