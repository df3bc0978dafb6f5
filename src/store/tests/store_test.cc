#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace tollgate::store {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/tollgate-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string record(int i) { return "{\"n\":" + std::to_string(i) + ",\"pad\":\"" + std::string(300, 'x') + "\"}"; }

// Every record in order, and whether the stored hashes verify.
std::pair<std::vector<std::string>, ledger::VerifyReport> read_all(Store& st) {
  std::vector<std::string> out;
  ledger::Verifier v;
  EXPECT_TRUE(st.scan_events(0, [&](const Event& e) {
    out.push_back(e.record);
    return v.add(e.seq, e.record, e.leaf, e.tree_root);
  }));
  return {out, v.finish()};
}

// What the disk holds after a power cut in the middle of writing the log:
// the database and its write-ahead log, the log cut at `cut` bytes. SQLite
// ignores a frame whose checksum does not match and every frame after it,
// and a transaction whose commit frame is missing, so the ledger must come
// back as a prefix of what was written, verified, ready to append to.
TEST(StoreDurability, TornWalRecoversToTheLastCompleteRecord) {
  TempDir t;
  fs::path live = t.path / "live.db";
  auto st = Store::open_sqlite(live.string());
  ASSERT_TRUE(st);
  session::Session s;
  s.id = "s";
  const int kRecords = 24;
  for (int i = 0; i < kRecords; ++i) {
    Event e;
    e.kind = "decision";
    e.session = "s";
    e.record = record(i);
    ASSERT_TRUE((*st)->append_event(e, s));
  }
  // Copied while the store is open: its log is not yet folded into the database.
  fs::path wal = live.string() + "-wal";
  ASSERT_TRUE(fs::exists(wal));
  auto wal_size = fs::file_size(wal);
  ASSERT_GT(wal_size, 32u);
  std::vector<uintmax_t> cuts = {32, wal_size - 1, wal_size - 100, wal_size - 4096, wal_size / 2, wal_size / 3 + 7};
  for (uintmax_t c = 32; c < wal_size; c += 4096 + 24) cuts.push_back(c + 10);  // inside each frame header
  int recovered_fewer = 0;
  for (size_t k = 0; k < cuts.size(); ++k) {
    uintmax_t cut = std::min<uintmax_t>(cuts[k], wal_size);
    fs::path copy = t.path / ("cut" + std::to_string(k) + ".db");
    fs::copy_file(live, copy);
    fs::copy_file(wal, copy.string() + "-wal");
    fs::resize_file(copy.string() + "-wal", cut);
    auto opened = Store::open_sqlite(copy.string());
    ASSERT_TRUE(opened) << "cut at " << cut << ": " << opened.error().message;
    auto [records, report] = read_all(**opened);
    EXPECT_TRUE(report.ok) << "cut at " << cut << ": " << report.problem;
    ASSERT_LE(records.size(), static_cast<size_t>(kRecords));
    for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i], record(static_cast<int>(i))) << "cut " << cut;
    if (records.size() < static_cast<size_t>(kRecords)) ++recovered_fewer;
    // The store's tree head is the recovered ledger's, and it appends on.
    auto head = (*opened)->ledger_head();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->first, static_cast<int64_t>(records.size()));
    EXPECT_EQ(head->second, ledger::to_hex(report.root));
    Event e;
    e.kind = "decision";
    e.record = record(1000);
    ASSERT_TRUE((*opened)->append_event(e));
    EXPECT_TRUE(read_all(**opened).second.ok);
  }
  EXPECT_GT(recovered_fewer, 0);  // the cuts did tear committed-looking data
  std::cout << "[          ] " << cuts.size() << " cuts of a " << wal_size << "-byte log\n";
}

}  // namespace
}  // namespace tollgate::store

namespace tollgate::store {
namespace {

// A record another thread appends while the event loop's group commit is
// open joins that commit; whoever answers for it waits until it commits.
TEST(StoreDurability, RecordInAnotherThreadsBatchIsDurableOnlyWhenTheBatchCommits) {
  TempDir t;
  auto st = Store::open_sqlite((t.path / "b.db").string());
  ASSERT_TRUE(st);
  Store& store = **st;
  ASSERT_TRUE(store.begin_batch());
  EXPECT_TRUE(store.wait_durable());  // the batch's own thread commits it itself
  std::promise<void> appended;
  auto waiter = std::async(std::launch::async, [&] {
    session::Session s;
    s.id = "http";
    Event e;
    e.kind = "decision";
    e.session = "http";
    e.record = record(1);
    EXPECT_TRUE(store.append_event(e, s));
    appended.set_value();
    return store.wait_durable();
  });
  appended.get_future().wait();
  // Still open: the waiter must not come back (bounded, so that a waiter
  // that does not wait shows as a failure instead of a hang).
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  ASSERT_TRUE(store.commit_batch());
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(read_all(store).first.size(), 1u);
  // Outside any batch there is nothing to wait for.
  EXPECT_TRUE(store.wait_durable());
}

Event event_of(const std::string& session, const std::string& kind, const std::string& tool_use_id,
               const std::string& effect) {
  static int n = 0;
  Event e;
  e.session = session;
  e.kind = kind;
  e.tool_use_id = tool_use_id;
  e.effect = effect;
  e.record = record(++n);
  return e;
}

std::string effect_of(Store& st, const std::string& session, const std::string& id) {
  auto r = st.decision_effect(session, id);
  if (!r) return "error: " + r.error().message;
  return r->value_or("none");
}

// Records of interleaved sessions, appended alone and in group commits: each
// session's decisions are found along its own chain, the newest first.
TEST(SessionChain, DecisionEffectFollowsEachSessionsOwnRecords) {
  TempDir t;
  auto st = Store::open_sqlite((t.path / "c.db").string());
  ASSERT_TRUE(st);
  Store& store = **st;
  ASSERT_TRUE(store.append_event(event_of("a", "decision", "t1", "allow")));
  ASSERT_TRUE(store.append_event(event_of("b", "decision", "t1", "deny")));
  ASSERT_TRUE(store.append_event(event_of("", "pack", "", "")));
  ASSERT_TRUE(store.begin_batch());
  ASSERT_TRUE(store.append_event(event_of("a", "outcome", "t1", "success")));
  ASSERT_TRUE(store.append_event(event_of("b", "decision", "t2", "allow")));
  // Inside the open batch its records are found already.
  EXPECT_EQ(effect_of(store, "b", "t2"), "allow");
  ASSERT_TRUE(store.append_event(event_of("a", "decision", "t1", "ask")));  // a later decision on t1
  ASSERT_TRUE(store.commit_batch());
  ASSERT_TRUE(store.append_event(event_of("b", "outcome", "t2", "success")));
  EXPECT_EQ(effect_of(store, "a", "t1"), "ask");
  EXPECT_EQ(effect_of(store, "b", "t1"), "deny");
  EXPECT_EQ(effect_of(store, "b", "t2"), "allow");
  EXPECT_EQ(effect_of(store, "a", "t2"), "none");
  EXPECT_EQ(effect_of(store, "c", "t1"), "none");
  // The chains survive a reopen.
  st->reset();
  st = Store::open_sqlite((t.path / "c.db").string());
  ASSERT_TRUE(st);
  EXPECT_EQ(effect_of(**st, "a", "t1"), "ask");
  EXPECT_EQ(effect_of(**st, "b", "t1"), "deny");
}

TEST(SessionChain, SearchForADecisionIsBounded) {
  TempDir t;
  auto st = Store::open_sqlite((t.path / "w.db").string());
  ASSERT_TRUE(st);
  Store& store = **st;
  ASSERT_TRUE(store.append_event(event_of("s", "decision", "old", "allow")));
  ASSERT_TRUE(store.begin_batch());
  for (int i = 0; i < Store::kMaxChainWalk; ++i) ASSERT_TRUE(store.append_event(event_of("s", "prompt", "", "")));
  ASSERT_TRUE(store.commit_batch());
  auto r = store.decision_effect("s", "old");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("newest 10000 records"), std::string::npos) << r.error().message;
  ASSERT_TRUE(store.append_event(event_of("s", "decision", "new", "deny")));
  EXPECT_EQ(effect_of(store, "s", "new"), "deny");
}

void sql(sqlite3* db, const char* q) {
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, q, nullptr, nullptr, &err), SQLITE_OK) << q << ": " << (err ? err : "");
}

// A ledger from before records were chained (an index on (session, seq), no
// `session_prev`) is linked when the daemon opens it, and then grows the new way.
TEST(SessionChain, LedgerWithoutChainsIsLinkedOnOpen) {
  TempDir t;
  const std::string path = (t.path / "old.db").string();
  {
    auto st = Store::open_sqlite(path);
    ASSERT_TRUE(st);
    ASSERT_TRUE((*st)->append_event(event_of("a", "decision", "t1", "allow")));
    ASSERT_TRUE((*st)->append_event(event_of("b", "decision", "t1", "deny")));
    ASSERT_TRUE((*st)->append_event(event_of("a", "decision", "t2", "ask")));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sql(db, "DROP TABLE session_heads");
  sql(db, "ALTER TABLE events DROP COLUMN session_prev");
  sql(db, "CREATE INDEX events_session ON events(session, seq)");
  sqlite3_close(db);
  {
    auto audit = Store::open_sqlite(path, Store::Mode::kAudit);  // an auditor leaves the linking to the daemon
    ASSERT_TRUE(audit);
  }
  auto st = Store::open_sqlite(path);
  ASSERT_TRUE(st) << st.error().message;
  Store& store = **st;
  EXPECT_EQ(effect_of(store, "a", "t1"), "allow");
  EXPECT_EQ(effect_of(store, "a", "t2"), "ask");
  EXPECT_EQ(effect_of(store, "b", "t1"), "deny");
  ASSERT_TRUE(store.append_event(event_of("b", "decision", "t3", "allow")));
  EXPECT_EQ(effect_of(store, "b", "t3"), "allow");
  EXPECT_EQ(effect_of(store, "b", "t1"), "deny");
  auto [records, report] = read_all(store);
  EXPECT_EQ(records.size(), 4u);
  EXPECT_TRUE(report.ok) << report.problem;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events_session'", -1, &q, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(q, 0), 0);  // the index is gone
  sqlite3_finalize(q);
  sqlite3_close(db);
}

}  // namespace
}  // namespace tollgate::store
