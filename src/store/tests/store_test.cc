#include "store/store.h"

#include <gtest/gtest.h>
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

}  // namespace
}  // namespace tollgate::store
