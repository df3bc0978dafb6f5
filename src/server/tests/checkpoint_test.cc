#include "server/checkpoints.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "server/daemon.h"
#include "server/protocol.h"
#include "server/tests/test_util.h"

namespace tollgate::server {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int64_t kT0 = 1780000000000;  // ms

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<store::Store> open_store(const fs::path& p) {
  auto st = store::Store::open_sqlite(p.string());
  EXPECT_TRUE(st) << st.error().message;
  return std::move(*st);
}

// Appends records "r<from>".."r<to-1>"; `edit` changes one of them.
void append(store::Store& st, int from, int to, int edit = -1) {
  for (int i = from; i < to; ++i) {
    store::Event e;
    e.ts_ms = kT0 + i;
    e.kind = "decision";
    e.record = "{\"n\":" + std::to_string(i) + (i == edit ? ",\"x\":1" : "") + "}";
    ASSERT_TRUE(st.append_event(e));
  }
}

store::EventFilter kind_filter(const std::string& kind) {
  store::EventFilter f;
  f.kind = kind;
  return f;
}

ledger::VerifyReport verify_store(store::Store& st, const ledger::Checkpoint* cp) {
  ledger::Verifier v(cp);
  EXPECT_TRUE(st.scan_events(0, [&](const store::Event& e) { return v.add(e.seq, e.record, e.leaf, e.tree_root); }));
  return v.finish();
}

std::unique_ptr<ledger::CheckpointKeys> keys_in(const fs::path& dir, int64_t now_ms = kT0) {
  auto k = ledger::CheckpointKeys::open(dir.string(), now_ms / 1000);
  EXPECT_TRUE(k) << k.error().message;
  return std::move(*k);
}

TEST(Checkpoints, SignedOnTheTimeScheduleAndOnlyWhenTheLedgerGrew) {
  TempDir t;
  auto st = open_store(t.path / "t.db");
  CheckpointOptions o;
  o.every_ms = 5 * 60 * 1000;
  Checkpointer cp(*st, keys_in(t.path / "keys"), o);
  EXPECT_FALSE(cp.due(kT0));  // an empty ledger has nothing to sign
  append(*st, 0, 3);
  EXPECT_FALSE(cp.due(kT0));  // the schedule starts now
  EXPECT_FALSE(cp.due(kT0 + o.every_ms - 1));
  ASSERT_TRUE(cp.due(kT0 + o.every_ms));
  auto c = cp.checkpoint(kT0 + o.every_ms, "schedule");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->size, 3u);
  // The checkpoint is itself record 4; with nothing new, no further one.
  EXPECT_EQ(*st->event_count(), 4);
  EXPECT_FALSE(cp.due(kT0 + 10 * o.every_ms));
  append(*st, 3, 4);
  EXPECT_TRUE(cp.due(kT0 + 10 * o.every_ms));
  auto recs = st->events(kind_filter("checkpoint"));
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_NE(recs->front().record.find("\"sig\":\"" + c->signature + "\""), std::string::npos);
}

TEST(Checkpoints, SignedAfterEveryNRecords) {
  TempDir t;
  auto st = open_store(t.path / "t.db");
  CheckpointOptions o;
  o.every_records = 5;
  Checkpointer cp(*st, keys_in(t.path / "keys"), o);
  append(*st, 0, 4);
  EXPECT_FALSE(cp.due(kT0));
  append(*st, 4, 5);
  ASSERT_TRUE(cp.due(kT0));
  ASSERT_TRUE(cp.checkpoint(kT0, "records"));
  append(*st, 5, 9);  // 4 more after the checkpoint record (6)
  EXPECT_FALSE(cp.due(kT0));
  append(*st, 9, 10);
  EXPECT_TRUE(cp.due(kT0));
}

TEST(Checkpoints, ExportedCheckpointDetectsTruncationAndRewrite) {
  TempDir t;
  fs::create_directories(t.path / "audit");
  auto st = open_store(t.path / "t.db");
  CheckpointOptions o;
  o.dirs = {(t.path / "audit").string()};
  Checkpointer cp(*st, keys_in(t.path / "keys"), o);
  append(*st, 0, 10);
  auto c = cp.checkpoint(kT0, "on demand");
  ASSERT_TRUE(c);
  EXPECT_TRUE(cp.deliver(*c).empty());

  // What an auditor holds: the exported file, 0644, and the public keys.
  fs::path latest = t.path / "audit" / "latest.checkpoint";
  struct stat sb {};
  ASSERT_EQ(::stat(latest.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0644u);
  EXPECT_EQ(slurp(t.path / "audit" / "checkpoint-10.txt"), slurp(latest));
  auto exported = ledger::parse_checkpoint(slurp(latest));
  ASSERT_TRUE(exported) << exported.error().message;
  auto pub = ledger::CheckpointKeys::from_text(slurp(t.path / "keys" / "ledger-keys.json"));
  ASSERT_TRUE(pub) << pub.error().message;
  ASSERT_TRUE((*pub)->verify(*exported));

  // The intact ledger, grown since, is consistent with it.
  append(*st, 10, 12);
  auto ok = verify_store(*st, &*exported);
  EXPECT_TRUE(ok.ok) << ok.problem;

  // Truncated: the same first seven records and nothing after.
  auto cut = open_store(t.path / "cut.db");
  append(*cut, 0, 7);
  auto r = verify_store(*cut, &*exported);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 8);
  EXPECT_NE(r.problem.find("truncated"), std::string::npos) << r.problem;

  // Rewritten with every stored hash recomputed, so only the checkpoint
  // can tell.
  auto forged = open_store(t.path / "forged.db");
  append(*forged, 0, 12, /*edit=*/4);
  EXPECT_TRUE(verify_store(*forged, nullptr).ok);
  r = verify_store(*forged, &*exported);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_seq, 10);
  EXPECT_NE(r.problem.find("does not match the checkpoint"), std::string::npos) << r.problem;
}

TEST(Checkpoints, RotatedKeysKeepOldCheckpointsVerifiable) {
  TempDir t;
  auto st = open_store(t.path / "t.db");
  CheckpointOptions o;
  o.key_rotate_every_s = 86400;
  Checkpointer cp(*st, keys_in(t.path / "keys"), o);
  append(*st, 0, 3);
  auto first = cp.checkpoint(kT0, "on demand");
  ASSERT_TRUE(first);
  std::string old_id = first->key_id;

  const ledger::Signer stolen = *cp.keys().active();  // a copy of the key before it retires
  auto none = cp.maybe_rotate(kT0 + 1000, false, "schedule");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);  // not due yet
  auto vouched = cp.maybe_rotate(kT0 + 86400 * 1000, false, "schedule");
  ASSERT_TRUE(vouched) << vouched.error().message;
  ASSERT_TRUE(*vouched);
  // The old key signed the checkpoint that covers the record of the new key.
  EXPECT_EQ((*vouched)->key_id, old_id);
  auto announced = st->events(kind_filter("checkpoint_key"));
  ASSERT_EQ(announced->size(), 1u);
  EXPECT_LE(static_cast<uint64_t>(announced->front().seq), (*vouched)->size);
  std::string new_id = cp.keys().active()->key_id;
  EXPECT_NE(new_id, old_id);
  EXPECT_NE(announced->front().record.find(new_id), std::string::npos);
  EXPECT_FALSE(fs::exists(t.path / "keys" / ("ledger-" + old_id + ".pem")));  // retired: public half only

  append(*st, 3, 5);
  auto second = cp.checkpoint(kT0 + 86400 * 1000 + 1, "on demand");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->key_id, new_id);

  // A fresh process (the CLI) picks each checkpoint's key by its id.
  auto reopened = keys_in(t.path / "keys");
  EXPECT_EQ(reopened->active()->key_id, new_id);
  for (const auto* c : {&*first, &**vouched, &*second}) {
    auto s = reopened->verify(*c);
    EXPECT_TRUE(s) << c->key_id << ": " << s.error().message;
    EXPECT_TRUE(verify_store(*st, c).ok);
  }
  // The retired key vouches for nothing after its handover: a checkpoint it
  // signs of a larger ledger (a leaked key rewriting history) is refused.
  auto forged = ledger::sign_checkpoint(second->size, second->root, "2026-01-01T00:00:00Z", stolen);
  ASSERT_TRUE(forged);
  auto refused = reopened->verify(*forged);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("retired at ledger size"), std::string::npos) << refused.error().message;
  // Rotating on demand works the same and keeps all three keys.
  auto again = cp.maybe_rotate(kT0 + 86400 * 1000 + 2, true, "on demand");
  ASSERT_TRUE(again && *again);
  EXPECT_EQ(keys_in(t.path / "keys")->size(), 3u);
}

TEST(Checkpoints, TamperedKeyManifestsAndCheckpointsAreRefusedWithReasons) {
  TempDir t;
  auto keys = keys_in(t.path / "keys");
  std::string manifest = slurp(t.path / "keys" / "ledger-keys.json");
  std::string id = keys->active()->key_id;

  // A manifest whose key id does not match its public key.
  std::string swapped = manifest;
  for (size_t at; (at = swapped.find(id)) != std::string::npos;) swapped.replace(at, id.size(), "0123456789abcdef");
  auto bad = ledger::CheckpointKeys::from_text(swapped);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not 0123456789abcdef"), std::string::npos) << bad.error().message;
  std::ofstream(t.path / "keys" / "ledger-keys.json", std::ios::trunc) << swapped;
  EXPECT_FALSE(ledger::CheckpointKeys::open((t.path / "keys").string(), 0));

  for (std::string junk :
       {std::string(""), std::string("{"), std::string("[1,2]"), std::string("{\"v\":1,\"keys\":7}"),
        std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), std::string(100000, '{')})
    EXPECT_FALSE(ledger::CheckpointKeys::from_text(junk)) << junk.substr(0, 40);

  // A checkpoint signed by a key the verifier does not know.
  auto other = ledger::CheckpointKeys::open((t.path / "other").string(), 0);
  ASSERT_TRUE(other);
  auto c = ledger::sign_checkpoint(1, ledger::leaf_hash("x"), "2026-01-01T00:00:00Z", *(*other)->active());
  ASSERT_TRUE(c);
  auto s = keys->verify(*c);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not among the known keys"), std::string::npos);
  // A flipped size fails the signature.
  c->size = 2;
  EXPECT_FALSE((*other)->verify(*c));
  for (std::string junk :
       {std::string("tollgate checkpoint v1\nsize -1\n"), std::string("tollgate checkpoint v1\n"),
        std::string(5000, 'x'), std::string("tollgate checkpoint v1\nsize 99999999999999999999999\n")})
    EXPECT_FALSE(ledger::parse_checkpoint(junk));
}

TEST(Checkpoints, CommandsReceiveTheCheckpointOnStdinWithoutAShell) {
  TempDir t;
  auto st = open_store(t.path / "t.db");
  fs::path got = t.path / "got.txt";
  CheckpointOptions o;
  o.commands = {{"sh", "-c", "cat > \"$0\"", got.string()}};
  Checkpointer cp(*st, keys_in(t.path / "keys"), o);
  append(*st, 0, 2);
  auto c = cp.checkpoint(kT0, "on demand");
  ASSERT_TRUE(c);
  auto problems = cp.deliver(*c);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(slurp(got), ledger::format_checkpoint(*c));
  // No shell: metacharacters in an argument are bytes, not syntax.
  ASSERT_TRUE(run_with_input({"sh", "-c", "cat > \"$0\"", (t.path / "a;b").string()}, "x", 5000));
  EXPECT_TRUE(fs::exists(t.path / "a;b"));
}

TEST(Checkpoints, FailingSlowAndMissingCommandsAreReported) {
  auto s = run_with_input({"sh", "-c", "echo no bucket >&2; exit 3"}, "checkpoint", 5000);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("status 3: no bucket"), std::string::npos) << s.error().message;
  s = run_with_input({"sleep", "30"}, "checkpoint", 50);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("did not finish within 50 ms"), std::string::npos) << s.error().message;
  s = run_with_input({"/nonexistent/store-checkpoint"}, "checkpoint", 5000);
  ASSERT_FALSE(s);
  // A command that exits without reading does not take the caller down.
  EXPECT_TRUE(run_with_input({"true"}, std::string(200000, 'x'), 5000) || true);
}

TEST(Checkpoints, CommandsSplitLikeWordsWithQuotes) {
  auto w = split_command("ssh audit@host 'cat > /srv/ledger/latest'  \"a b\"c");
  ASSERT_TRUE(w);
  EXPECT_EQ(*w, (std::vector<std::string>{"ssh", "audit@host", "cat > /srv/ledger/latest", "a bc"}));
  EXPECT_FALSE(split_command("   "));
  EXPECT_FALSE(split_command("ssh 'unclosed"));
}

// The daemon's own schedule, on an injected clock: no checkpoint before
// the period, one right after it, recorded in the ledger before the next
// request is answered.
TEST(Checkpoints, DaemonSignsOnItsScheduleByTheInjectedClock) {
  TempDir t;
  std::atomic<int64_t> now{kT0};
  DaemonOptions o;
  o.data_dir = (t.path / "data").string();
  o.now = [&now] { return now.load(); };
  o.checkpoints.every_ms = 5 * 60 * 1000;
  auto d = Daemon::create(o);
  ASSERT_TRUE(d) << d.error().message;
  std::thread loop([&] { (*d)->run(); });
  auto ping = [&] {
    auto r = call_daemon((*d)->socket_path(), R"({"v":1,"op":"ping","bytes":0})", "", 5000);
    EXPECT_TRUE(r) << r.error().message;
  };
  auto checkpoints = [&] {
    auto st = store::Store::open_sqlite((t.path / "data" / "tollgate.db").string(), store::Store::Mode::kAudit);
    EXPECT_TRUE(st);
    return (*st)->events(kind_filter("checkpoint"))->size();
  };
  ping();
  ping();
  EXPECT_EQ(checkpoints(), 0u);
  now += o.checkpoints.every_ms - 1;
  ping();
  ping();
  EXPECT_EQ(checkpoints(), 0u);
  now += 1;
  ping();  // its turn signs the checkpoint after answering
  ping();  // answered after that turn
  EXPECT_EQ(checkpoints(), 1u);
  now += 10 * o.checkpoints.every_ms;  // the ledger grew only by the checkpoint itself
  ping();
  ping();
  EXPECT_EQ(checkpoints(), 1u);
  (*d)->stop();
  loop.join();
}

}  // namespace
}  // namespace tollgate::server
