#include <sqlite3.h>

#include <cstdio>

#include "store/store.h"

namespace tollgate::store {

namespace {

// A prepared statement that finalises itself.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return st_; }
  void bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void bind_static(int i, std::string_view s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(st_, i, v); }
  std::string text(int col) {
    const unsigned char* p = sqlite3_column_text(st_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(st_, col)) : std::string();
  }
  int64_t i64(int col) { return sqlite3_column_int64(st_, col); }

 private:
  sqlite3_stmt* st_ = nullptr;
  int rc_;
};

// A row of `SELECT seq, ts_ms, session, kind, tool_use_id, effect, pack,
// record, leaf, tree_root` into `e`, reusing its strings' storage.
void read_event(Stmt& st, Event& e) {
  auto text = [&st](int col, std::string& out) {
    const unsigned char* p = sqlite3_column_text(st.get(), col);
    out.assign(p ? reinterpret_cast<const char*>(p) : "", p ? sqlite3_column_bytes(st.get(), col) : 0);
  };
  e.seq = st.i64(0);
  e.ts_ms = st.i64(1);
  text(2, e.session);
  text(3, e.kind);
  text(4, e.tool_use_id);
  text(5, e.effect);
  text(6, e.pack);
  text(7, e.record);
  text(8, e.leaf);
  text(9, e.tree_root);
}

// Resets a cached statement (and its bindings) when it goes out of scope.
struct StmtReset {
  sqlite3_stmt* st;
  ~StmtReset() {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
};

Error db_error(sqlite3* db, const std::string& what) { return Error(what + ": " + sqlite3_errmsg(db)); }

session::Session read_session(Stmt& st) {
  session::Session s;
  s.id = st.text(0);
  s.harness = st.text(1);
  s.agent = st.text(2);
  s.cwd = st.text(3);
  s.task_id = st.text(4);
  s.started_ms = st.i64(5);
  s.last_seen_ms = st.i64(6);
  s.ended = st.i64(7) != 0;
  (void)session::load_state_json(s, st.text(8));  // a damaged state reads as empty, never as a crash
  return s;
}

// Rows whose one column is a JSON body (agents, tasks), loaded with `load`.
template <class T>
Result<std::vector<T>> read_bodies(sqlite3* db, Stmt& st, Status (*load)(T&, std::string_view), const char* what) {
  std::vector<T> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    T x;
    if (auto s = load(x, st.text(0)); !s) return s.error();
    out.push_back(std::move(x));
  }
  if (rc != SQLITE_DONE) return db_error(db, std::string("store: reading ") + what);
  return out;
}

template <class T>
Result<std::optional<T>> first_of(Result<std::vector<T>> r) {
  if (!r) return std::move(r).error();
  return r->empty() ? std::optional<T>() : std::optional<T>(std::move(r->front()));
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open_sqlite(const std::string& path, Mode mode) {
  sqlite3* db = nullptr;
  if (mode == Mode::kAudit) {
    // Evidence is read, never changed: read-only, nothing created, the
    // journal mode left as it is. A WAL database on read-only media (no
    // -shm beside it, none can be made) is read as immutable.
    auto open_ro = [&](const std::string& name, int extra) {
      sqlite3_close(db);
      db = nullptr;
      int rc = sqlite3_open_v2(name.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX | extra, nullptr);
      if (rc != SQLITE_OK) return rc;
      sqlite3_busy_timeout(db, 5000);  // a running daemon's writes are waited for, not read around
      return sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    };
    int rc = open_ro(path, 0);
    bool ok = rc == SQLITE_OK;
    // Only where the WAL's shared memory cannot be opened or made (read-only
    // media), never because a writer is busy.
    if (!ok && ((rc & 0xFF) == SQLITE_CANTOPEN || (rc & 0xFF) == SQLITE_READONLY)) {
      std::string uri = "file:";
      for (char c : path) {
        if (c == '%' || c == '?' || c == '#') {
          char hex[4];
          std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
          uri += hex;
        } else {
          uri += c;
        }
      }
      ok = open_ro(uri + "?immutable=1", SQLITE_OPEN_URI) == SQLITE_OK;
    }
    if (!ok) {
      std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      return Error("cannot open the store `" + path + "` to read: " + msg);
    }
    std::unique_ptr<Store> s(new Store(db));
    sqlite3_busy_timeout(db, 5000);
    return s;
  }
  int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Error("cannot open the store `" + path + "`: " + msg);
  }
  std::unique_ptr<Store> s(new Store(db));
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql : {
           "PRAGMA journal_mode=WAL",
           // Every commit reaches the disk before the caller is answered.
           "PRAGMA synchronous=FULL",
           "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, harness TEXT NOT NULL, agent TEXT NOT NULL, "
           "cwd TEXT NOT NULL, task TEXT NOT NULL, started_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, "
           "ended INTEGER NOT NULL, state TEXT NOT NULL)",
           // Append-only: a plain rowid table, so a record goes to the end of the table (no
           // sqlite_sequence row to update). `session_prev` links each record to the previous one of
           // its session (0: none), instead of an index on (session, seq) whose entries, one per
           // record, land on a different page for every session in a group commit.
           "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, "
           "session TEXT NOT NULL, kind TEXT NOT NULL, tool_use_id TEXT NOT NULL, effect TEXT NOT NULL, "
           "pack TEXT NOT NULL, record TEXT NOT NULL, leaf TEXT NOT NULL, tree_root TEXT NOT NULL, "
           "session_prev INTEGER NOT NULL DEFAULT 0)",
           // The newest record of each session: the head of its chain. Small rows, many to a page.
           "CREATE TABLE IF NOT EXISTS session_heads (session TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) "
           "WITHOUT ROWID",
           "CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS mcp_pins (server TEXT NOT NULL, tool TEXT NOT NULL, body TEXT NOT NULL, "
           "PRIMARY KEY (server, tool))",
           "CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, "
           "created_ms INTEGER NOT NULL, body TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, credential TEXT NOT NULL, kind TEXT NOT NULL, "
           "task TEXT NOT NULL, agent TEXT NOT NULL, token_sha256 TEXT NOT NULL, secret_sha256 TEXT NOT NULL, "
           "issued_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, revoked_ms INTEGER NOT NULL, "
           "revoked_why TEXT NOT NULL)",
           "CREATE INDEX IF NOT EXISTS leases_live ON leases(revoked_ms)",
           "CREATE TABLE IF NOT EXISTS containments (scope TEXT NOT NULL, id TEXT NOT NULL, reason TEXT NOT NULL, "
           "detection TEXT NOT NULL, by TEXT NOT NULL, since_ms INTEGER NOT NULL, PRIMARY KEY (scope, id))",
           // `detect list` reads the newest detections without scanning the ledger; a partial
           // index costs nothing for the other records.
           "CREATE INDEX IF NOT EXISTS events_detect ON events(kind, seq) "
           "WHERE kind IN ('detection', 'containment')",
       }) {
    if (auto st = s->exec(sql); !st) return Error("cannot open the store `" + path + "`: " + st.error().message);
  }
  if (auto st = s->link_session_chains(); !st)
    return Error("cannot open the store `" + path + "`: " + st.error().message);
  if (auto st = s->load_frontier(); !st) return Error("cannot open the store `" + path + "`: " + st.error().message);
  return s;
}

Store::~Store() {
  for (sqlite3_stmt* st : {select_head_, upsert_head_, select_link_, begin_, commit_, rollback_}) sqlite3_finalize(st);
  sqlite3_finalize(insert_event_);
  sqlite3_finalize(upsert_session_);
  sqlite3_close(db_);
}

Status Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error(msg);
  }
  return Status::Ok();
}

Status Store::exec_prepared(sqlite3_stmt*& slot, const char* sql) {
  auto st = prepared(slot, sql);
  if (!st) return st.error();
  int rc = sqlite3_step(*st);
  Status out = rc == SQLITE_DONE ? Status::Ok() : Status(Error(sqlite3_errmsg(db_)));
  sqlite3_reset(*st);
  return out;
}

Status Store::set_durability(Durability d) {
  std::lock_guard lock(mu_);
  if (auto st = exec(d == Durability::kDisk ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !st)
    return Error("store: setting the durability: " + st.error().message);
  durability_ = d;
  return Status::Ok();
}

void Store::sync_next_commit() {
  std::lock_guard lock(mu_);
  sync_next_ = true;
}

Status Store::commit_locked() {
  // In WAL mode SQLite flushes the log at a commit under synchronous=FULL;
  // the log is one file, so that flush covers every earlier commit too.
  const bool flush = sync_next_ && durability_ != Durability::kDisk;
  if (flush) (void)exec("PRAGMA synchronous=FULL");
  Status st = exec_prepared(commit_, "COMMIT");
  if (flush) (void)exec("PRAGMA synchronous=NORMAL");
  if (st) sync_next_ = false;
  return st;
}

Status Store::put_session(const session::Session& s) {
  std::lock_guard lock(mu_);
  return put_session_locked(s);
}

Status Store::put_session_locked(const session::Session& s) {
  if (!upsert_session_) {
    if (sqlite3_prepare_v3(db_,
                           "INSERT INTO sessions (id, harness, agent, cwd, task, started_ms, last_seen_ms, ended, "
                           "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET "
                           "harness=?2, agent=?3, cwd=?4, task=?5, last_seen_ms=?7, ended=?8, state=?9",
                           -1, SQLITE_PREPARE_PERSISTENT, &upsert_session_, nullptr) != SQLITE_OK)
      return db_error(db_, "store: saving a session");
  }
  sqlite3_stmt* st = upsert_session_;
  std::string state = session::state_json(s);
  auto text = [st](int i, std::string_view v) {
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  };
  text(1, s.id);
  text(2, s.harness);
  text(3, s.agent);
  text(4, s.cwd);
  text(5, s.task_id);
  sqlite3_bind_int64(st, 6, s.started_ms);
  sqlite3_bind_int64(st, 7, s.last_seen_ms);
  sqlite3_bind_int64(st, 8, s.ended ? 1 : 0);
  text(9, state);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return db_error(db_, "store: saving a session");
  return Status::Ok();
}

Result<std::optional<session::Session>> Store::get_session(const std::string& id) {
  std::lock_guard lock(mu_);
  if (auto it = pending_sessions_.find(id); it != pending_sessions_.end()) return std::optional(it->second);
  Stmt st(db_,
          "SELECT id, harness, agent, cwd, task, started_ms, last_seen_ms, ended, state FROM sessions WHERE id=?1");
  if (!st.ok()) return db_error(db_, "store: reading a session");
  st.bind(1, id);
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::optional<session::Session>();
  if (rc != SQLITE_ROW) return db_error(db_, "store: reading a session");
  return std::optional<session::Session>(read_session(st));
}

Result<std::vector<session::Session>> Store::list_sessions(size_t limit) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT id, harness, agent, cwd, task, started_ms, last_seen_ms, ended, state FROM sessions "
          "ORDER BY last_seen_ms DESC LIMIT ?1");
  if (!st.ok()) return db_error(db_, "store: listing sessions");
  st.bind(1, static_cast<int64_t>(limit));
  std::vector<session::Session> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.push_back(read_session(st));
  if (rc != SQLITE_DONE) return db_error(db_, "store: listing sessions");
  return out;
}

Status Store::link_session_chains() {
  // A ledger written before records were chained by session has no
  // `session_prev`: it is added and filled in once, with the index on
  // (session, seq) those ledgers have, which is then dropped.
  Stmt col(db_, "SELECT 1 FROM pragma_table_info('events') WHERE name = 'session_prev'");
  if (!col.ok()) return db_error(db_, "store: reading the schema");
  int rc = sqlite3_step(col.get());
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading the schema");
  for (const char* sql : {
           "BEGIN IMMEDIATE",
           "ALTER TABLE events ADD COLUMN session_prev INTEGER NOT NULL DEFAULT 0",
           "CREATE INDEX IF NOT EXISTS events_session ON events(session, seq)",
           "UPDATE events SET session_prev = coalesce((SELECT max(p.seq) FROM events p WHERE p.session = "
           "events.session AND p.seq < events.seq), 0) WHERE session <> ''",
           "INSERT OR REPLACE INTO session_heads SELECT session, max(seq) FROM events WHERE session <> '' "
           "GROUP BY session",
           "DROP INDEX events_session",
           "COMMIT",
       }) {
    if (auto st = exec(sql); !st) {
      (void)exec("ROLLBACK");
      return Error("store: linking the ledger's records by session: " + st.error().message);
    }
  }
  return Status::Ok();
}

Result<sqlite3_stmt*> Store::prepared(sqlite3_stmt*& slot, const char* sql) {
  if (!slot && sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr) != SQLITE_OK)
    return db_error(db_, "store: preparing a statement");
  return slot;
}

Result<int64_t> Store::session_head_locked(const std::string& session) {
  if (auto it = pending_heads_.find(session); it != pending_heads_.end()) return it->second;
  auto st = prepared(select_head_, "SELECT last_seq FROM session_heads WHERE session = ?1");
  if (!st) return st.error();
  StmtReset reset{*st};
  sqlite3_bind_text(*st, 1, session.data(), static_cast<int>(session.size()), SQLITE_STATIC);
  int rc = sqlite3_step(*st);
  if (rc == SQLITE_ROW) return static_cast<int64_t>(sqlite3_column_int64(*st, 0));
  if (rc == SQLITE_DONE) return int64_t{0};
  return db_error(db_, "store: reading a session's newest record");
}

Status Store::write_heads_locked() {
  auto st = prepared(upsert_head_,
                     "INSERT INTO session_heads (session, last_seq) VALUES (?1, ?2) "
                     "ON CONFLICT (session) DO UPDATE SET last_seq = excluded.last_seq");
  if (!st) return st.error();
  for (const auto& [session, seq] : pending_heads_) {
    StmtReset reset{*st};
    sqlite3_bind_text(*st, 1, session.data(), static_cast<int>(session.size()), SQLITE_STATIC);
    sqlite3_bind_int64(*st, 2, seq);
    if (sqlite3_step(*st) != SQLITE_DONE) return db_error(db_, "store: writing a session's newest record");
  }
  pending_heads_.clear();
  return Status::Ok();
}

Status Store::load_frontier() {
  Stmt st(db_, "SELECT leaf FROM events ORDER BY seq");
  if (!st.ok()) return db_error(db_, "store: reading the ledger");
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    ledger::Hash h{};
    if (!ledger::from_hex(st.text(0), h))
      return Error("store: a ledger leaf hash is damaged; run `tollgate audit verify`");
    frontier_.push(h);
  }
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading the ledger");
  return Status::Ok();
}

Result<std::pair<int64_t, std::string>> Store::ledger_head() {
  std::lock_guard lock(mu_);
  return std::pair<int64_t, std::string>{static_cast<int64_t>(frontier_.size()), ledger::to_hex(frontier_.root())};
}

Result<std::vector<Store::HarnessSeen>> Store::harnesses_seen() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT harness, count(*), max(last_seen_ms) FROM sessions GROUP BY harness ORDER BY harness");
  if (!st.ok()) return db_error(db_, "store: reading sessions");
  std::vector<HarnessSeen> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.push_back({st.text(0), st.i64(1), st.i64(2)});
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading sessions");
  return out;
}

Result<int64_t> Store::append_event(const Event& e, const session::Session& s) {
  std::lock_guard lock(mu_);
  if (batch_) {
    // Inside a batch the record and the session's state reach the disk in
    // the batch's one transaction: the state is written once per session at
    // commit_batch (its latest value), not once per record.
    auto seq = append_event_locked(e);
    if (seq) {
      auto [it, fresh] = pending_sessions_.try_emplace(s.id, s);
      if (!fresh) it->second = s;
    }
    return seq;
  }
  return append_in_transaction_locked(e, &s);
}

Result<int64_t> Store::append_in_transaction_locked(const Event& e, const session::Session* s) {
  // One transaction for the record, its session's head and the state it
  // changed: all or nothing.
  if (auto st = begin_locked(); !st) return st.error();
  ledger::Frontier before = frontier_;
  auto seq = append_event_locked(e);
  Status put = !seq ? Status(seq.error()) : s ? put_session_locked(*s) : Status::Ok();
  if (put) put = write_heads_locked();
  if (put) put = commit_locked();
  if (!put) {
    rollback_locked();
    frontier_ = std::move(before);
    pending_heads_.clear();
    return put.error();
  }
  return seq;
}

Status Store::begin_batch() {
  std::lock_guard lock(mu_);
  if (batch_) return Error("store: a batch is already open");
  if (auto st = begin_locked(); !st) return st;
  batch_ = true;
  batch_owner_ = std::this_thread::get_id();
  ++batch_gen_;
  frontier_batch_ = frontier_;
  pending_sessions_.clear();
  pending_heads_.clear();
  batch_changes_ = sqlite3_total_changes64(db_);
  return Status::Ok();
}

bool Store::batch_has_writes() {
  std::lock_guard lock(mu_);
  return batch_ && (!pending_sessions_.empty() || sqlite3_total_changes64(db_) != batch_changes_);
}

void Store::set_wait_hook(std::function<void()> hook) {
  std::lock_guard lock(mu_);
  wait_hook_ = std::move(hook);
}

Status Store::commit_batch() {
  std::lock_guard lock(mu_);
  if (!batch_) return Error("store: no batch is open");
  batch_ = false;
  Status st = Status::Ok();
  for (const auto& [id, s] : pending_sessions_)
    if (st = put_session_locked(s); !st) break;
  pending_sessions_.clear();
  if (st) st = write_heads_locked();
  if (st) st = commit_locked();
  if (!st) {
    rollback_locked();
    pending_heads_.clear();
    frontier_ = frontier_batch_;
    failed_gen_ = batch_gen_;
  }
  batch_ended_.notify_all();
  return st;
}

Status Store::wait_durable() {
  std::unique_lock lock(mu_);
  if (!batch_ || batch_owner_ == std::this_thread::get_id()) return Status::Ok();
  const uint64_t gen = batch_gen_;
  if (wait_hook_) wait_hook_();
  batch_ended_.wait(lock, [&] { return !batch_ || batch_gen_ != gen; });
  if (failed_gen_ == gen) return Error("store: the commit that held this record failed; it was rolled back");
  return Status::Ok();
}

Result<int64_t> Store::append_event(const Event& e) {
  std::lock_guard lock(mu_);
  if (batch_) return append_event_locked(e);
  return append_in_transaction_locked(e, nullptr);
}

Result<int64_t> Store::append_event_locked(const Event& e) {
  if (!insert_event_) {
    if (sqlite3_prepare_v3(db_,
                           "INSERT INTO events (ts_ms, session, kind, tool_use_id, effect, pack, record, leaf, "
                           "tree_root, session_prev) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                           -1, SQLITE_PREPARE_PERSISTENT, &insert_event_, nullptr) != SQLITE_OK)
      return db_error(db_, "store: appending an event");
  }
  int64_t prev = 0;
  if (!e.session.empty()) {
    auto head = session_head_locked(e.session);
    if (!head) return head.error();
    prev = *head;
  }
  ledger::Hash leaf = ledger::leaf_hash(e.record);
  // The frontier grows in place; a failed insert puts the copy back.
  ledger::Frontier before = frontier_;
  frontier_.push(leaf);
  char leaf_hex[64], root_hex[64];
  ledger::to_hex(leaf, leaf_hex);
  ledger::to_hex(frontier_.root(), root_hex);
  sqlite3_stmt* st = insert_event_;
  auto text = [st](int i, std::string_view v) {
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  };
  sqlite3_bind_int64(st, 1, e.ts_ms);
  text(2, e.session);
  text(3, e.kind);
  text(4, e.tool_use_id);
  text(5, e.effect);
  text(6, e.pack);
  text(7, e.record);
  text(8, std::string_view(leaf_hex, 64));
  text(9, std::string_view(root_hex, 64));
  sqlite3_bind_int64(st, 10, prev);
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) {
    frontier_ = std::move(before);
    return db_error(db_, "store: appending an event");
  }
  const auto seq = static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
  if (!e.session.empty()) pending_heads_[e.session] = seq;  // written with the transaction's commit
  return seq;
}

Result<std::vector<Event>> Store::events(const EventFilter& f) {
  std::lock_guard lock(mu_);
  Stmt st(
      db_,
      "SELECT seq, ts_ms, session, kind, tool_use_id, effect, pack, record, leaf, tree_root FROM events WHERE seq > ?1 "
      "AND (?2 = '' OR session = ?2) AND (?3 = '' OR kind = ?3) ORDER BY seq LIMIT ?4");
  if (!st.ok()) return db_error(db_, "store: reading events");
  st.bind(1, f.after_seq);
  st.bind(2, f.session);
  st.bind(3, f.kind);
  st.bind(4, static_cast<int64_t>(f.limit));
  std::vector<Event> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    Event e;
    read_event(st, e);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading events");
  return out;
}

Status Store::scan_events(int64_t after_seq, const std::function<bool(const Event&)>& f) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT seq, ts_ms, session, kind, tool_use_id, effect, pack, record, leaf, tree_root FROM events "
          "WHERE seq > ?1 ORDER BY seq");
  if (!st.ok()) return db_error(db_, "store: reading events");
  st.bind(1, after_seq);
  Event e;  // reused: its strings keep their capacity from row to row
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    read_event(st, e);
    if (!f(e)) return Status::Ok();
  }
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading events");
  return Status::Ok();
}

Status Store::put_agent(const session::Agent& a) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "INSERT INTO agents (id, body) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET body=?2");
  if (!st.ok()) return db_error(db_, "store: saving an agent");
  st.bind(1, a.id);
  st.bind(2, session::agent_json(a));
  if (sqlite3_step(st.get()) != SQLITE_DONE) return db_error(db_, "store: saving an agent");
  return Status::Ok();
}

Result<std::optional<session::Agent>> Store::get_agent(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT body FROM agents WHERE id=?1");
  if (!st.ok()) return db_error(db_, "store: reading an agent");
  st.bind(1, id);
  return first_of(read_bodies(db_, st, session::load_agent_json, "agents"));
}

Result<std::vector<session::Agent>> Store::list_agents() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT body FROM agents ORDER BY id");
  if (!st.ok()) return db_error(db_, "store: listing agents");
  return read_bodies(db_, st, session::load_agent_json, "agents");
}

Status Store::put_mcp_pin(const std::string& server, const std::string& tool, const std::string& body) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO mcp_pins (server, tool, body) VALUES (?1, ?2, ?3) "
          "ON CONFLICT(server, tool) DO UPDATE SET body=?3");
  if (!st.ok()) return db_error(db_, "store: saving an MCP pin");
  st.bind(1, server);
  st.bind(2, tool);
  st.bind(3, body);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return db_error(db_, "store: saving an MCP pin");
  return Status::Ok();
}

Result<std::vector<std::string>> Store::mcp_pins(const std::string& server) {
  std::lock_guard lock(mu_);
  Stmt st(db_, server.empty() ? "SELECT body FROM mcp_pins ORDER BY server, tool"
                              : "SELECT body FROM mcp_pins WHERE server=?1 ORDER BY tool");
  if (!st.ok()) return db_error(db_, "store: reading MCP pins");
  if (!server.empty()) st.bind(1, server);
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) out.emplace_back(st.text(0));
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading MCP pins");
  return out;
}

Status Store::put_task(const session::Task& t) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO tasks (id, token_sha256, created_ms, body) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT(id) DO UPDATE SET body=?4");
  if (!st.ok()) return db_error(db_, "store: saving a task");
  st.bind(1, t.id);
  st.bind(2, t.token_sha256);
  st.bind(3, t.created_ms);
  st.bind(4, session::task_json(t, true));
  if (sqlite3_step(st.get()) != SQLITE_DONE) return db_error(db_, "store: saving a task");
  return Status::Ok();
}

Result<std::optional<session::Task>> Store::get_task(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT body FROM tasks WHERE id=?1");
  if (!st.ok()) return db_error(db_, "store: reading a task");
  st.bind(1, id);
  return first_of(read_bodies(db_, st, session::load_task_json, "tasks"));
}

Result<std::optional<session::Task>> Store::task_by_token_digest(const std::string& digest) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT body FROM tasks WHERE token_sha256=?1");
  if (!st.ok()) return db_error(db_, "store: reading a task");
  st.bind(1, digest);
  return first_of(read_bodies(db_, st, session::load_task_json, "tasks"));
}

Result<std::vector<session::Task>> Store::list_tasks(size_t limit) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT body FROM tasks ORDER BY created_ms DESC LIMIT ?1");
  if (!st.ok()) return db_error(db_, "store: listing tasks");
  st.bind(1, static_cast<int64_t>(limit));
  return read_bodies(db_, st, session::load_task_json, "tasks");
}

namespace {

constexpr const char* kLeaseColumns =
    "id, credential, kind, task, agent, token_sha256, secret_sha256, issued_ms, expires_ms, revoked_ms, revoked_why";

Result<std::vector<Lease>> read_leases(sqlite3* db, Stmt& st) {
  std::vector<Lease> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    Lease l;
    l.id = st.text(0);
    l.credential = st.text(1);
    l.kind = st.text(2);
    l.task = st.text(3);
    l.agent = st.text(4);
    l.token_sha256 = st.text(5);
    l.secret_sha256 = st.text(6);
    l.issued_ms = st.i64(7);
    l.expires_ms = st.i64(8);
    l.revoked_ms = st.i64(9);
    l.revoked_why = st.text(10);
    out.push_back(std::move(l));
  }
  if (rc != SQLITE_DONE) return db_error(db, "store: reading leases");
  return out;
}

}  // namespace

Status Store::put_lease(const Lease& l) {
  std::lock_guard lock(mu_);
  Stmt st(db_, (std::string("INSERT OR REPLACE INTO leases (") + kLeaseColumns +
                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
                   .c_str());
  if (!st.ok()) return db_error(db_, "store: saving a lease");
  int i = 1;
  for (const std::string* s : {&l.id, &l.credential, &l.kind, &l.task, &l.agent, &l.token_sha256, &l.secret_sha256})
    st.bind(i++, *s);
  st.bind(i++, l.issued_ms);
  st.bind(i++, l.expires_ms);
  st.bind(i++, l.revoked_ms);
  st.bind(i++, l.revoked_why);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return db_error(db_, "store: saving a lease");
  return Status::Ok();
}

Result<std::vector<Lease>> Store::live_leases() {
  std::lock_guard lock(mu_);
  Stmt st(db_, (std::string("SELECT ") + kLeaseColumns + " FROM leases WHERE revoked_ms=0 ORDER BY issued_ms").c_str());
  if (!st.ok()) return db_error(db_, "store: reading leases");
  return read_leases(db_, st);
}

Result<std::optional<Lease>> Store::lease_by_token_digest(const std::string& digest) {
  std::lock_guard lock(mu_);
  if (digest.empty()) return std::optional<Lease>();
  Stmt st(db_, (std::string("SELECT ") + kLeaseColumns + " FROM leases WHERE token_sha256=?1").c_str());
  if (!st.ok()) return db_error(db_, "store: reading a lease");
  st.bind(1, digest);
  return first_of(read_leases(db_, st));
}

Status Store::put_containment(const Containment& c) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT OR REPLACE INTO containments (scope, id, reason, detection, by, since_ms) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st.ok()) return db_error(db_, "store: saving a containment");
  st.bind(1, c.scope);
  st.bind(2, c.id);
  st.bind(3, c.reason);
  st.bind(4, c.detection);
  st.bind(5, c.by);
  st.bind(6, c.since_ms);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return db_error(db_, "store: saving a containment");
  return Status::Ok();
}

Status Store::delete_containment(const std::string& scope, const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "DELETE FROM containments WHERE scope=?1 AND id=?2");
  if (!st.ok()) return db_error(db_, "store: releasing a containment");
  st.bind(1, scope);
  st.bind(2, id);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return db_error(db_, "store: releasing a containment");
  return Status::Ok();
}

Result<std::vector<Containment>> Store::containments() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT scope, id, reason, detection, by, since_ms FROM containments ORDER BY since_ms, scope, id");
  if (!st.ok()) return db_error(db_, "store: reading containments");
  std::vector<Containment> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW)
    out.push_back({st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), st.i64(5)});
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading containments");
  return out;
}

Result<std::vector<Event>> Store::recent_events(const std::string& kind, size_t limit) {
  std::lock_guard lock(mu_);
  bool indexed = kind == "detection" || kind == "containment";
  // The partial index serves only a query whose WHERE repeats its own.
  Stmt st(db_, indexed ? "SELECT seq, ts_ms, session, kind, tool_use_id, effect, pack, record, leaf, tree_root "
                         "FROM events WHERE kind IN ('detection', 'containment') AND kind = ?1 "
                         "ORDER BY seq DESC LIMIT ?2"
                       : "SELECT seq, ts_ms, session, kind, tool_use_id, effect, pack, record, leaf, tree_root "
                         "FROM events WHERE kind = ?1 ORDER BY seq DESC LIMIT ?2");
  if (!st.ok()) return db_error(db_, "store: reading events");
  st.bind(1, kind);
  st.bind(2, static_cast<int64_t>(limit));
  std::vector<Event> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    Event e;
    read_event(st, e);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db_error(db_, "store: reading events");
  return out;
}

Result<std::optional<std::string>> Store::decision_effect(const std::string& session, const std::string& tool_use_id) {
  std::lock_guard lock(mu_);
  if (session.empty()) return std::optional<std::string>();
  auto seq = session_head_locked(session);
  if (!seq) return seq.error();
  auto st = prepared(select_link_, "SELECT kind, tool_use_id, effect, session_prev FROM events WHERE seq = ?1");
  if (!st) return st.error();
  // Back along the session's chain, newest first. The walk is bounded: a
  // session that buries its decisions deeper gets an error (which callers
  // treat as "cannot tell"), not a scan of everything it ever did.
  for (int steps = 0; *seq > 0; ++steps) {
    if (steps == kMaxChainWalk)
      return Error("store: no decision on `" + tool_use_id + "` among the session's newest " +
                   std::to_string(kMaxChainWalk) + " records");
    StmtReset reset{*st};
    sqlite3_bind_int64(*st, 1, *seq);
    int rc = sqlite3_step(*st);
    if (rc == SQLITE_DONE) break;  // a chain into records that are not there: none
    if (rc != SQLITE_ROW) return db_error(db_, "store: reading events");
    auto column = [&](int i) {
      const unsigned char* p = sqlite3_column_text(*st, i);
      return std::string_view(p ? reinterpret_cast<const char*>(p) : "",
                              static_cast<size_t>(sqlite3_column_bytes(*st, i)));
    };
    if (column(0) == "decision" && column(1) == tool_use_id) return std::optional<std::string>(column(2));
    *seq = sqlite3_column_int64(*st, 3);
  }
  return std::optional<std::string>();
}

Result<int64_t> Store::event_count() {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT count(*) FROM events");
  if (!st.ok() || sqlite3_step(st.get()) != SQLITE_ROW) return db_error(db_, "store: counting events");
  return st.i64(0);
}

}  // namespace tollgate::store
