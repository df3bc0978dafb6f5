// `tollgate audit checkpoint|verify|export|prove|consistency|tail`: the
// ledger of everything the daemon recorded (docs/ledger.md). Reads the
// store's SQLite file directly (a running daemon keeps writing; readers see
// a consistent snapshot).
#include <chrono>
#include <cstdint>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "base/json.h"
#include "base/time.h"
#include "cli/commands.h"
#include "ledger/keyring.h"
#include "ledger/ledger.h"
#include "server/checkpoints.h"
#include "server/daemon.h"
#include "server/protocol.h"
#include "store/store.h"

namespace tollgate::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::unique_ptr<store::Store>> open_ledger(const std::string& data) {
  std::string db = (data.empty() ? server::default_data_dir() : data) + "/tollgate.db";
  if (!fs::exists(db)) return Error("no ledger at `" + db + "` (is --data right?)");
  return store::Store::open_sqlite(db, store::Store::Mode::kAudit);
}

// Streams every record of the ledger through `f` (the ledger is never held
// in memory as a whole).
Status each_event(const std::string& data, const std::function<bool(const store::Event&)>& f) {
  auto st = open_ledger(data);
  if (!st) return std::move(st).error();
  return (*st)->scan_events(0, f);
}

// The leaf hashes recomputed from the records' bytes (32 bytes a record).
Result<std::vector<ledger::Hash>> load_leaves(const std::string& data) {
  std::vector<ledger::Hash> out;
  auto st = each_event(data, [&](const store::Event& e) {
    out.push_back(ledger::leaf_hash(e.record));
    return true;
  });
  if (!st) return st.error();
  return out;
}

// A string member of a record read from the ledger, or "" when it is
// missing or of another type: the file may have been tampered with, and
// reading it must never throw.
std::string str(const json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// One record as an OCSF 1.1 API Activity event (class 6003): the decision
// in `disposition`/`status`, the determining policy in `policy`.
// The columns beside a record that the views filter and show (`query
// --decision`, `timeline`, the exports) are not hashed; the record is.
// Where the record says what a column holds, they must agree, or the
// views could be made to show a deny as an allow. Empty when they do.
std::string column_mismatch(const store::Event& e) {
  auto rec = parse_json(e.record, "record", 64);
  if (!rec || !rec->is_object()) return {};
  auto says = [&](const char* key, const std::string& column, const char* what) -> std::string {
    auto it = rec->find(key);
    if (it == rec->end() || !it->is_string() || it->get_ref<const std::string&>() == column) return {};
    return std::string("its ") + what + " column reads `" + column + "` but the record says `" +
           it->get_ref<const std::string&>() + "`: the row was modified outside the ledger";
  };
  for (auto m : {says("type", e.kind, "kind"), says("session", e.session, "session"),
                 says("tool_use_id", e.tool_use_id, "tool_use_id")})
    if (!m.empty()) return m;
  if (e.kind == "decision") {
    if (auto m = says("decision", e.effect, "effect"); !m.empty()) return m;
  }
  if (e.kind == "outcome") {
    std::string expect = rec->contains("input_required")                                   ? "input_required"
                         : rec->value("success", json()).is_boolean() && (*rec)["success"] ? "success"
                         : rec->value("success", json()).is_boolean()                      ? "failure"
                                                                                           : e.effect;
    if (expect != e.effect)
      return "its effect column reads `" + e.effect + "` but the record says `" + expect +
             "`: the row was modified outside the ledger";
  }
  return {};
}

json ocsf_event(const store::Event& e, const json& rec) {
  std::string type = str(rec, "type");
  std::string effect = str(rec, "decision");
  int activity = type == "decision" || type == "outcome" ? 99 : 0;
  json j = {
      {"class_uid", 6003},
      {"class_name", "API Activity"},
      {"category_uid", 6},
      {"category_name", "Application Activity"},
      {"activity_id", activity},
      {"activity_name", activity == 99 ? "Other" : "Unknown"},
      {"type_uid", 600300 + activity},
      {"time", e.ts_ms},
      {"severity_id", effect == "deny" ? 3 : 1},
      {"metadata",
       {{"version", "1.1.0"},
        {"uid", std::to_string(e.seq)},
        {"product", {{"name", "Tollgate"}, {"vendor_name", "Tollgate"}, {"version", "0.1.0"}}}}},
      {"actor", {{"session", {{"uid", e.session}}}, {"app_name", str(rec, "harness")}}},
      {"api",
       {{"operation", type == "decision" ? str(rec, "tool") : type}, {"service", {{"name", str(rec, "harness")}}}}},
      {"unmapped", {{"tollgate_type", type}, {"leaf", e.leaf}}}};
  if (type == "decision") {
    bool allowed = effect == "allow";
    j["status_id"] = allowed ? 1 : 2;
    j["status"] = allowed ? "Success" : "Failure";
    j["disposition_id"] = allowed ? 1 : effect == "ask" ? 99 : 2;
    j["disposition"] = allowed ? "Allowed" : effect == "ask" ? "Other" : "Blocked";
    j["message"] = str(rec, "reason");
    std::string policy;
    if (rec.contains("actions") && rec["actions"].is_array()) {
      for (const auto& a : rec["actions"])
        if (str(a, "effect") == effect && a.contains("policies") && a["policies"].is_array() &&
            !a["policies"].empty() && a["policies"][0].is_string()) {
          policy = a["policies"][0].get<std::string>();
          break;
        }
    }
    j["policy"] = {{"name", policy}, {"uid", str(rec, "pack") + "#" + policy}, {"desc", str(rec, "reason")}};
    j["unmapped"]["tool_use_id"] = str(rec, "tool_use_id");
    if (effect == "ask") j["unmapped"]["decision"] = "ask";
  } else if (type == "outcome") {
    auto it = rec.find("success");
    bool ok = it != rec.end() && it->is_boolean() && it->get<bool>();
    j["status_id"] = ok ? 1 : 2;
    j["status"] = ok ? "Success" : "Failure";
    j["unmapped"]["tool_use_id"] = str(rec, "tool_use_id");
  }
  return j;
}

json hex_list(const std::vector<ledger::Hash>& v) {
  json a = json::array();
  for (const auto& h : v) a.push_back(ledger::to_hex(h));
  return a;
}

}  // namespace

void add_audit_commands(CLI::App& app, int& exit_code) {
  auto* audit = app.add_subcommand("audit", "The tamper-evident ledger: checkpoints, verification, proofs, export");
  audit->require_subcommand(1);
  auto data = std::make_shared<std::string>();
  auto fail = [&exit_code](const std::string& cmd, const std::string& msg) {
    std::cerr << "tollgate audit " << cmd << ": " << msg << "\n";
    exit_code = 2;
  };

  struct CheckpointArgs {
    bool sign = false, local = false;
    std::string out;
  };
  auto ca = std::make_shared<CheckpointArgs>();
  auto* cp = audit->add_subcommand("checkpoint",
                                   "Sign a checkpoint of the ledger (through the running daemon, which also delivers "
                                   "it), or print its size and root");
  cp->add_option("--data", *data, "The daemon's data directory");
  cp->add_flag("--sign", ca->sign, "Without a daemon: sign with the checkpoint key in DATA/keys (created if missing)");
  cp->add_flag("--local", ca->local, "Read the ledger file even when a daemon runs (nothing is recorded)");
  cp->add_option("--out", ca->out, "Also write the signed checkpoint text to this file");
  cp->callback([data, ca, fail] {
    std::string dir = data->empty() ? server::default_data_dir() : *data;
    auto write_out = [&](const std::string& text, json& j) {
      if (ca->out.empty()) return true;
      std::ofstream out(ca->out, std::ios::binary | std::ios::trunc);
      out << text;
      if (!out) return false;
      j["written"] = ca->out;
      return true;
    };
    // A running daemon signs, records and delivers the checkpoint.
    if (!ca->local) {
      std::string sock = data->empty() ? server::default_socket() : dir + "/tollgate.sock";
      if (auto r = server::call_daemon(sock, R"({"v":1,"op":"checkpoint","bytes":0})", "", 10000)) {
        auto j = parse_json(*r, "the daemon's reply", 8);
        if (!j || !j->is_object()) return fail("checkpoint", "the daemon answered `" + *r + "`");
        if (!j->value("ok", false)) return fail("checkpoint", j->value("error", std::string("the daemon refused")));
        std::string text = (*j)["text"].is_string() ? (*j)["text"].get<std::string>() : "";
        j->erase("text");
        j->erase("ok");
        if (!write_out(text, *j)) return fail("checkpoint", "cannot write `" + ca->out + "`");
        std::cout << dump_json(*j) << "\n";
        return;
      }
    }
    ledger::Frontier tree;
    if (auto st = each_event(*data,
                             [&](const store::Event& e) {
                               tree.push(ledger::leaf_hash(e.record));
                               return true;
                             });
        !st)
      return fail("checkpoint", st.error().message);
    ledger::Hash root = tree.root();
    json j = {{"size", tree.size()},
              {"root", ledger::to_hex(root)},
              {"time", rfc3339_utc(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count())}};
    if (ca->sign || !ca->out.empty()) {
      auto keys = ledger::CheckpointKeys::open(dir + "/keys", std::time(nullptr));
      if (!keys) return fail("checkpoint", keys.error().message);
      auto c = ledger::sign_checkpoint(tree.size(), root, j["time"], *(*keys)->active());
      if (!c) return fail("checkpoint", c.error().message);
      j["key"] = c->key_id;
      j["signature"] = c->signature;
      if (!write_out(ledger::format_checkpoint(*c), j)) return fail("checkpoint", "cannot write `" + ca->out + "`");
    }
    std::cout << dump_json(j) << "\n";
  });

  auto* rotate = audit->add_subcommand(
      "rotate-key", "A new checkpoint signing key now (the old one signs a last checkpoint that names the new one)");
  rotate->add_option("--data", *data, "The daemon's data directory");
  rotate->callback([data, fail] {
    std::string dir = data->empty() ? server::default_data_dir() : *data;
    std::string sock = data->empty() ? server::default_socket() : dir + "/tollgate.sock";
    if (auto r = server::call_daemon(sock, R"({"v":1,"op":"checkpoint_rotate","bytes":0})", "", 10000)) {
      auto j = parse_json(*r, "the daemon's reply", 8);
      if (!j || !j->is_object() || !j->value("ok", false))
        return fail("rotate-key", j && j->is_object() ? j->value("error", *r) : *r);
      std::cout << dump_json(json{{"key", j->value("active_key", std::string())},
                                  {"previous", j->value("key", std::string())},
                                  {"checkpoint_size", j->value("size", int64_t{0})}})
                << "\n";
      return;
    }
    // No daemon: rotate here and record it in the ledger file.
    if (!fs::exists(dir + "/tollgate.db")) return fail("rotate-key", "no ledger at `" + dir + "/tollgate.db`");
    auto st = store::Store::open_sqlite(dir + "/tollgate.db");
    if (!st) return fail("rotate-key", st.error().message);
    auto keys = ledger::CheckpointKeys::open(dir + "/keys", std::time(nullptr));
    if (!keys) return fail("rotate-key", keys.error().message);
    server::Checkpointer cp(**st, std::move(*keys), {});
    auto c = cp.maybe_rotate(server::system_now_ms(), true, "on demand");
    if (!c) return fail("rotate-key", c.error().message);
    std::cout << dump_json(json{
                     {"key", cp.keys().active()->key_id}, {"previous", (*c)->key_id}, {"checkpoint_size", (*c)->size}})
              << "\n";
  });

  auto recv_dir = std::make_shared<std::string>();
  auto* receive = audit->add_subcommand(
      "receive",
      "Read one checkpoint on stdin, check its form, and store it in DIR (for a checkpoint command run as "
      "another account: sudo -u, ssh)");
  receive->add_option("--dir", *recv_dir, "Where to store it (checkpoint-<size>.txt and latest.checkpoint, 0644)")
      ->required();
  auto recv_key = std::make_shared<std::string>();
  receive->add_option("--public-key", *recv_key,
                      "The checkpoint keys (a manifest from `audit keys`, or a PEM public key): the signature must "
                      "verify with one of them");
  receive->callback([recv_dir, recv_key, fail] {
    auto read_text = [](std::istream& in) {
      std::string text(8192, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<size_t>(in.gcount()));
      return text;
    };
    std::string text = read_text(std::cin);
    auto c = ledger::parse_checkpoint(text);
    if (!c) return fail("receive", c.error().message);
    if (ledger::format_checkpoint(*c) != text) return fail("receive", "the checkpoint is not in its canonical form");
    if (!recv_key->empty()) {
      std::ifstream k(*recv_key, std::ios::binary);
      if (!k) return fail("receive", "cannot read `" + *recv_key + "`");
      std::string ktext(1 << 20, '\0');  // a manifest grows by a key per rotation
      k.read(ktext.data(), static_cast<std::streamsize>(ktext.size()));
      ktext.resize(static_cast<size_t>(k.gcount()));
      auto keys = ledger::CheckpointKeys::from_text(ktext);
      if (!keys) return fail("receive", *recv_key + ": " + keys.error().message);
      if (auto st = (*keys)->verify(*c); !st) return fail("receive", st.error().message);
    }
    // The archive only grows: no checkpoint of a smaller ledger than the
    // latest (an old one replayed), and none that gives a size already
    // held a different root (a fork).
    auto held = [&](const std::string& name) -> std::optional<std::string> {
      std::ifstream in(*recv_dir + "/" + name, std::ios::binary);
      if (!in) return std::nullopt;
      return read_text(in);
    };
    if (auto same = held("checkpoint-" + std::to_string(c->size) + ".txt"); same && *same != text)
      return fail("receive", "a different checkpoint of size " + std::to_string(c->size) +
                                 " is already held: the ledger has forked, or this one is forged");
    if (auto latest = held("latest.checkpoint")) {
      auto l = ledger::parse_checkpoint(*latest);
      if (l && l->size > c->size)
        return fail("receive", "the latest checkpoint held is of size " + std::to_string(l->size) + "; one of size " +
                                   std::to_string(c->size) + " would roll it back");
      if (l && l->size == c->size && *latest != text)
        return fail("receive", "a different checkpoint of size " + std::to_string(c->size) +
                                   " is the latest held: the ledger has forked, or this one is forged");
    }
    if (auto st = server::write_checkpoint_file(*recv_dir, *c); !st) return fail("receive", st.error().message);
    if (recv_key->empty())
      std::cerr << "tollgate audit receive: stored without checking its signature; give --public-key (the manifest "
                   "`tollgate audit keys` prints) so that only checkpoints the ledger's keys signed are kept\n";
  });

  auto* keys_cmd = audit->add_subcommand(
      "keys", "Print the checkpoint keys' manifest: every public key by id (give it to verifiers as --public-key)");
  keys_cmd->add_option("--data", *data, "The daemon's data directory");
  keys_cmd->callback([data, fail] {
    std::string dir = data->empty() ? server::default_data_dir() : *data;
    auto keys = ledger::CheckpointKeys::open(dir + "/keys", 0, /*create=*/false);
    if (!keys) return fail("keys", keys.error().message);
    std::cout << (*keys)->manifest_json() << "\n";
  });

  struct VerifyArgs {
    std::string checkpoint, key;
  };
  auto va = std::make_shared<VerifyArgs>();
  auto* verify =
      audit->add_subcommand("verify", "Recompute every record's hash and the tree; report the first tampered record");
  verify->add_option("--data", *data, "The daemon's data directory");
  verify->add_option("--checkpoint", va->checkpoint,
                     "A signed checkpoint to check against (detects rewrites and truncation)");
  verify->add_option("--public-key", va->key,
                     "The checkpoint keys: a PEM public key or a manifest from `audit keys` (default: DATA/keys)");
  verify->callback([data, va, fail, &exit_code] {
    std::optional<ledger::Checkpoint> cp;
    if (!va->checkpoint.empty()) {
      std::ifstream in(va->checkpoint, std::ios::binary);
      if (!in) return fail("verify", "cannot read `" + va->checkpoint + "`");
      std::string text(8192, '\0');
      in.read(text.data(), static_cast<std::streamsize>(text.size()));
      text.resize(static_cast<size_t>(in.gcount()));
      auto c = ledger::parse_checkpoint(text);
      if (!c) return fail("verify", va->checkpoint + ": " + c.error().message);
      Result<std::unique_ptr<ledger::CheckpointKeys>> keys = Error("");
      if (!va->key.empty()) {
        std::ifstream k(va->key, std::ios::binary);
        if (!k) return fail("verify", "cannot read `" + va->key + "`");
        std::string ktext(1 << 20, '\0');
        k.read(ktext.data(), static_cast<std::streamsize>(ktext.size()));
        ktext.resize(static_cast<size_t>(k.gcount()));
        keys = ledger::CheckpointKeys::from_text(ktext);
        if (!keys) return fail("verify", va->key + ": " + keys.error().message);
      } else {
        std::string dir = data->empty() ? server::default_data_dir() : *data;
        keys = ledger::CheckpointKeys::open(dir + "/keys", 0, /*create=*/false);
        if (!keys) return fail("verify", keys.error().message + "; pass --public-key");
      }
      if (auto st = (*keys)->verify(*c); !st) {
        std::cout << "FAILED: " << va->checkpoint << ": " << st.error().message << "\n";
        exit_code = 1;
        return;
      }
      cp = *c;
    }
    ledger::Verifier verifier(cp ? &*cp : nullptr);
    std::string column_problem;
    int64_t column_seq = 0;
    if (auto st = each_event(*data,
                             [&](const store::Event& e) {
                               if (!verifier.add(e.seq, e.record, e.leaf, e.tree_root)) return false;
                               column_problem = column_mismatch(e);
                               column_seq = e.seq;
                               return column_problem.empty();
                             });
        !st)
      return fail("verify", st.error().message);
    auto r = verifier.finish();
    if (!r.ok) {
      std::cout << "FAILED at record " << r.first_bad_seq << ": " << r.problem << "\n";
      exit_code = 1;
      return;
    }
    if (!column_problem.empty()) {
      std::cout << "FAILED at record " << column_seq << ": " << column_problem << "\n";
      exit_code = 1;
      return;
    }
    std::cout << "ok: " << r.size << " records, root " << ledger::to_hex(r.root)
              << (cp ? ", consistent with the checkpoint of size " + std::to_string(cp->size) : std::string()) << "\n";
  });

  auto format = std::make_shared<std::string>("jsonl");
  auto* exp = audit->add_subcommand("export", "Print every record in ledger order");
  exp->add_option("--data", *data, "The daemon's data directory");
  exp->add_option("--format", *format,
                  "leaves (each record's canonical bytes: the Merkle leaves), jsonl, or ocsf (API Activity 6003)")
      ->check(CLI::IsMember({"leaves", "jsonl", "ocsf"}));
  exp->callback([data, format, fail] {
    auto st = each_event(*data, [&](const store::Event& e) {
      if (*format == "leaves") {
        std::cout << e.record << "\n";
      } else if (*format == "ocsf") {
        auto rec = parse_json(e.record, "record", 64);
        std::cout << dump_json(ocsf_event(e, rec && rec->is_object() ? *rec : json::object())) << "\n";
      } else {
        auto rec = parse_json(e.record, "record", 64);
        json j = {{"seq", e.seq}, {"ts", e.ts_ms}, {"kind", e.kind}, {"session", e.session}, {"leaf", e.leaf}};
        j["record"] = rec ? *rec : json(e.record);
        std::cout << dump_json(j) << "\n";
      }
      return static_cast<bool>(std::cout);
    });
    if (!st) return fail("export", st.error().message);
  });

  struct ProveArgs {
    int64_t seq = 0;
    int64_t size = 0;
  };
  auto pa = std::make_shared<ProveArgs>();
  auto* prove = audit->add_subcommand("prove", "An RFC 9162 inclusion proof of record SEQ");
  prove->add_option("seq", pa->seq, "The record's sequence number (from 1)")->required();
  prove->add_option("--size", pa->size, "The tree size to prove against (default: the whole ledger)")
      ->check(CLI::PositiveNumber);
  prove->add_option("--data", *data, "The daemon's data directory");
  prove->callback([data, pa, fail] {
    auto loaded = load_leaves(*data);
    if (!loaded) return fail("prove", loaded.error().message);
    const auto& leaves = *loaded;
    size_t size = pa->size > 0 ? static_cast<size_t>(pa->size) : leaves.size();
    if (size > leaves.size()) return fail("prove", "the ledger has only " + std::to_string(leaves.size()) + " records");
    if (pa->seq < 1 || static_cast<size_t>(pa->seq) > size)
      return fail("prove", "no record " + std::to_string(pa->seq) + " in a tree of " + std::to_string(size));
    size_t index = static_cast<size_t>(pa->seq - 1);
    json j = {{"seq", pa->seq},
              {"leaf_index", index},
              {"tree_size", size},
              {"leaf_hash", ledger::to_hex(leaves[index])},
              {"root", ledger::to_hex(ledger::root(leaves, 0, size))},
              {"inclusion_path", hex_list(ledger::inclusion_proof(leaves, index, size))}};
    std::cout << dump_json(j) << "\n";
  });

  struct ConsArgs {
    int64_t old_size = 0, new_size = 0;
  };
  auto cs = std::make_shared<ConsArgs>();
  auto* cons = audit->add_subcommand("consistency", "An RFC 9162 consistency proof between two tree sizes");
  cons->add_option("old", cs->old_size, "The earlier tree size")->required();
  cons->add_option("new", cs->new_size, "The later tree size")->required();
  cons->add_option("--data", *data, "The daemon's data directory");
  cons->callback([data, cs, fail] {
    auto loaded = load_leaves(*data);
    if (!loaded) return fail("consistency", loaded.error().message);
    const auto& leaves = *loaded;
    if (cs->old_size < 1 || cs->old_size > cs->new_size || static_cast<size_t>(cs->new_size) > leaves.size())
      return fail("consistency", "need 1 <= OLD <= NEW <= " + std::to_string(leaves.size()));
    size_t m = static_cast<size_t>(cs->old_size), n = static_cast<size_t>(cs->new_size);
    json j = {{"old_size", m},
              {"new_size", n},
              {"old_root", ledger::to_hex(ledger::root(leaves, 0, m))},
              {"new_root", ledger::to_hex(ledger::root(leaves, 0, n))},
              {"consistency_path", hex_list(ledger::consistency_proof(leaves, m, n))}};
    std::cout << dump_json(j) << "\n";
  });

  struct QueryArgs {
    std::string session, kind, decision, task, harness;
    int64_t since = 0, until = 0;
  };
  auto qa = std::make_shared<QueryArgs>();
  auto* query = audit->add_subcommand("query", "Records matching every filter given, as JSON lines");
  query->add_option("--data", *data, "The daemon's data directory");
  query->add_option("--session", qa->session, "One session");
  query->add_option("--kind", qa->kind, "decision, outcome, intent, session_start, session_end, task_start …");
  query->add_option("--decision", qa->decision, "allow, deny or ask")->check(CLI::IsMember({"allow", "deny", "ask"}));
  query->add_option("--task", qa->task, "Records of one task's sessions");
  query->add_option("--harness", qa->harness, "claude-code, codex, cursor or gemini");
  query->add_option("--since", qa->since, "From this time (ms since the epoch)");
  query->add_option("--until", qa->until, "Up to this time (ms since the epoch)");
  query->callback([data, qa, fail] {
    auto st = each_event(*data, [&](const store::Event& e) {
      if (!qa->session.empty() && e.session != qa->session) return true;
      if (!qa->kind.empty() && e.kind != qa->kind) return true;
      if (!qa->decision.empty() && (e.kind != "decision" || e.effect != qa->decision)) return true;
      if (qa->since && e.ts_ms < qa->since) return true;
      if (qa->until && e.ts_ms > qa->until) return true;
      if (!qa->task.empty() || !qa->harness.empty()) {
        auto rec = parse_json(e.record, "record", 64);
        if (!rec || !rec->is_object()) return true;
        if (!qa->task.empty() && str(*rec, "task") != qa->task) return true;
        if (!qa->harness.empty() && str(*rec, "harness") != qa->harness) return true;
      }
      std::cout << "{\"seq\":" << e.seq << ",\"record\":" << e.record << "}\n";
      return static_cast<bool>(std::cout);
    });
    if (!st) return fail("query", st.error().message);
  });

  auto tl_session = std::make_shared<std::string>();
  auto* timeline =
      audit->add_subcommand("timeline", "One session's delegated action path: prompts, decisions, outcomes");
  timeline->add_option("session", *tl_session, "The session id")->required();
  timeline->add_option("--data", *data, "The daemon's data directory");
  timeline->callback([data, tl_session, fail] {
    size_t shown = 0;
    auto st = each_event(*data, [&](const store::Event& e) {
      if (e.session != *tl_session) return true;
      auto rec = parse_json(e.record, "record", 64);
      if (!rec || !rec->is_object()) return true;
      const json& r = *rec;
      std::time_t t = static_cast<std::time_t>(e.ts_ms / 1000);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char when[16];
      std::strftime(when, sizeof(when), "%H:%M:%S", &tm);
      std::cout << "#" << e.seq << " " << when << "  ";
      if (e.kind == "intent") {
        std::cout << "prompt  \"" << str(r, "excerpt").substr(0, 120) << "\"\n";
      } else if (e.kind == "decision") {
        std::cout << "  " << e.effect << "  " << str(r, "tool") << " [" << e.tool_use_id << "]  " << str(r, "reason")
                  << "\n";
      } else if (e.kind == "outcome") {
        std::cout << "    -> " << e.effect << " [" << e.tool_use_id << "]\n";
      } else {
        std::cout << e.kind << "\n";
      }
      ++shown;
      return true;
    });
    if (!st) return fail("timeline", st.error().message);
    if (!shown) return fail("timeline", "no records of session `" + *tl_session + "`");
  });

  auto tail_n = std::make_shared<size_t>(20);
  auto* tail = audit->add_subcommand("tail", "The last records, as JSON lines");
  tail->add_option("-n", *tail_n, "How many (default 20)");
  tail->add_option("--data", *data, "The daemon's data directory");
  tail->callback([data, tail_n, fail] {
    std::deque<std::pair<int64_t, std::string>> last;  // the newest N seen so far
    auto st = each_event(*data, [&](const store::Event& e) {
      if (*tail_n == 0) return false;
      if (last.size() == *tail_n) last.pop_front();
      last.emplace_back(e.seq, e.record);
      return true;
    });
    if (!st) return fail("tail", st.error().message);
    for (const auto& [seq, record] : last) std::cout << "{\"seq\":" << seq << ",\"record\":" << record << "}\n";
  });
}

}  // namespace tollgate::cli
