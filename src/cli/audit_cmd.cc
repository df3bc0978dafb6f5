// `tollgate audit checkpoint|verify|export|prove|consistency|tail`: the
// ledger of everything the daemon recorded (docs/ledger.md). Reads the
// store's SQLite file directly (a running daemon keeps writing; readers see
// a consistent snapshot).
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "base/json.h"
#include "cli/commands.h"
#include "ledger/ledger.h"
#include "server/protocol.h"
#include "store/store.h"

namespace tollgate::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Result<std::vector<store::Event>> load_events(const std::string& data) {
  std::string db = (data.empty() ? server::default_data_dir() : data) + "/tollgate.db";
  if (!fs::exists(db)) return Error("no ledger at `" + db + "` (is --data right?)");
  auto st = store::Store::open_sqlite(db);
  if (!st) return std::move(st).error();
  store::EventFilter f;
  f.limit = SIZE_MAX >> 1;
  return (*st)->events(f);
}

std::vector<ledger::Hash> leaves_of(const std::vector<store::Event>& ev) {
  std::vector<ledger::Hash> out;
  out.reserve(ev.size());
  for (const auto& e : ev) out.push_back(ledger::leaf_hash(e.record));
  return out;
}

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[32];
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// One record as an OCSF 1.1 API Activity event (class 6003): the decision
// in `disposition`/`status`, the determining policy in `policy`.
json ocsf_event(const store::Event& e, const json& rec) {
  std::string type = rec.value("type", std::string());
  std::string effect = rec.value("decision", std::string());
  int activity = type == "decision" || type == "outcome" ? 99 : 0;
  json j = {{"class_uid", 6003},
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
            {"actor", {{"session", {{"uid", e.session}}}, {"app_name", rec.value("harness", std::string())}}},
            {"api",
             {{"operation", type == "decision" ? rec.value("tool", std::string()) : type},
              {"service", {{"name", rec.value("harness", std::string())}}}}},
            {"unmapped", {{"tollgate_type", type}, {"leaf", e.leaf}}}};
  if (type == "decision") {
    bool allowed = effect == "allow";
    j["status_id"] = allowed ? 1 : 2;
    j["status"] = allowed ? "Success" : "Failure";
    j["disposition_id"] = allowed ? 1 : effect == "ask" ? 99 : 2;
    j["disposition"] = allowed ? "Allowed" : effect == "ask" ? "Other" : "Blocked";
    j["message"] = rec.value("reason", std::string());
    std::string policy;
    if (rec.contains("actions") && rec["actions"].is_array()) {
      for (const auto& a : rec["actions"])
        if (a.value("effect", std::string()) == effect && a.contains("policies") && !a["policies"].empty()) {
          policy = a["policies"][0].get<std::string>();
          break;
        }
    }
    j["policy"] = {{"name", policy},
                   {"uid", rec.value("pack", std::string()) + "#" + policy},
                   {"desc", rec.value("reason", std::string())}};
    j["unmapped"]["tool_use_id"] = rec.value("tool_use_id", std::string());
    if (effect == "ask") j["unmapped"]["decision"] = "ask";
  } else if (type == "outcome") {
    bool ok = rec.value("success", false);
    j["status_id"] = ok ? 1 : 2;
    j["status"] = ok ? "Success" : "Failure";
    j["unmapped"]["tool_use_id"] = rec.value("tool_use_id", std::string());
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
    bool sign = false;
    std::string out;
  };
  auto ca = std::make_shared<CheckpointArgs>();
  auto* cp = audit->add_subcommand("checkpoint", "Print the ledger's size and root; --sign writes a signed checkpoint");
  cp->add_option("--data", *data, "The daemon's data directory");
  cp->add_flag("--sign", ca->sign, "Sign the checkpoint with DATA/keys/ledger.pem (created if missing)");
  cp->add_option("--out", ca->out, "Write the signed checkpoint text to this file (e.g. one the agent cannot write)");
  cp->callback([data, ca, fail] {
    auto ev = load_events(*data);
    if (!ev) return fail("checkpoint", ev.error().message);
    auto leaves = leaves_of(*ev);
    ledger::Hash root = ledger::root(leaves);
    json j = {{"size", leaves.size()}, {"root", ledger::to_hex(root)}, {"time", now_rfc3339()}};
    if (ca->sign || !ca->out.empty()) {
      std::string dir = data->empty() ? server::default_data_dir() : *data;
      auto key = ledger::load_or_create_key(dir + "/keys/ledger.pem");
      if (!key) return fail("checkpoint", key.error().message);
      auto c = ledger::sign_checkpoint(leaves.size(), root, j["time"], *key);
      if (!c) return fail("checkpoint", c.error().message);
      std::string text = ledger::format_checkpoint(*c);
      j["key"] = key->key_id;
      j["signature"] = c->signature;
      if (!ca->out.empty()) {
        std::ofstream out(ca->out, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) return fail("checkpoint", "cannot write `" + ca->out + "`");
        j["written"] = ca->out;
      }
    }
    std::cout << dump_json(j) << "\n";
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
                     "The checkpoint signer's public key (default: from DATA/keys/ledger.pem)");
  verify->callback([data, va, fail, &exit_code] {
    auto ev = load_events(*data);
    if (!ev) return fail("verify", ev.error().message);
    std::vector<ledger::Row> rows;
    rows.reserve(ev->size());
    for (const auto& e : *ev) rows.push_back({e.seq, e.record, e.leaf, e.tree_root});
    std::optional<ledger::Checkpoint> cp;
    if (!va->checkpoint.empty()) {
      std::ifstream in(va->checkpoint, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      auto c = ledger::parse_checkpoint(ss.str());
      if (!c) return fail("verify", va->checkpoint + ": " + c.error().message);
      std::string pub;
      if (!va->key.empty()) {
        std::ifstream k(va->key, std::ios::binary);
        std::stringstream ks;
        ks << k.rdbuf();
        pub = ks.str();
      } else {
        std::string dir = data->empty() ? server::default_data_dir() : *data;
        if (!fs::exists(dir + "/keys/ledger.pem"))
          return fail("verify", "no key to check the checkpoint with; pass --public-key");
        auto key = ledger::load_or_create_key(dir + "/keys/ledger.pem");
        if (!key) return fail("verify", key.error().message);
        pub = key->public_pem;
      }
      if (auto st = ledger::verify_checkpoint_signature(*c, pub); !st) {
        std::cout << "FAILED: " << va->checkpoint << ": " << st.error().message << "\n";
        exit_code = 1;
        return;
      }
      cp = *c;
    }
    auto r = ledger::verify(rows, cp ? &*cp : nullptr);
    if (!r.ok) {
      std::cout << "FAILED at record " << r.first_bad_seq << ": " << r.problem << "\n";
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
    auto ev = load_events(*data);
    if (!ev) return fail("export", ev.error().message);
    for (const auto& e : *ev) {
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
    }
  });

  struct ProveArgs {
    int64_t seq = 0;
    int64_t size = 0;
  };
  auto pa = std::make_shared<ProveArgs>();
  auto* prove = audit->add_subcommand("prove", "An RFC 9162 inclusion proof of record SEQ");
  prove->add_option("seq", pa->seq, "The record's sequence number (from 1)")->required();
  prove->add_option("--size", pa->size, "The tree size to prove against (default: the whole ledger)");
  prove->add_option("--data", *data, "The daemon's data directory");
  prove->callback([data, pa, fail] {
    auto ev = load_events(*data);
    if (!ev) return fail("prove", ev.error().message);
    auto leaves = leaves_of(*ev);
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
    auto ev = load_events(*data);
    if (!ev) return fail("consistency", ev.error().message);
    auto leaves = leaves_of(*ev);
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
    auto ev = load_events(*data);
    if (!ev) return fail("query", ev.error().message);
    for (const auto& e : *ev) {
      if (!qa->session.empty() && e.session != qa->session) continue;
      if (!qa->kind.empty() && e.kind != qa->kind) continue;
      if (!qa->decision.empty() && (e.kind != "decision" || e.effect != qa->decision)) continue;
      if (qa->since && e.ts_ms < qa->since) continue;
      if (qa->until && e.ts_ms > qa->until) continue;
      if (!qa->task.empty() || !qa->harness.empty()) {
        auto rec = parse_json(e.record, "record", 64);
        if (!rec || !rec->is_object()) continue;
        if (!qa->task.empty() && rec->value("task", std::string()) != qa->task) continue;
        if (!qa->harness.empty() && rec->value("harness", std::string()) != qa->harness) continue;
      }
      std::cout << "{\"seq\":" << e.seq << ",\"record\":" << e.record << "}\n";
    }
  });

  auto tl_session = std::make_shared<std::string>();
  auto* timeline =
      audit->add_subcommand("timeline", "One session's delegated action path: prompts, decisions, outcomes");
  timeline->add_option("session", *tl_session, "The session id")->required();
  timeline->add_option("--data", *data, "The daemon's data directory");
  timeline->callback([data, tl_session, fail] {
    auto ev = load_events(*data);
    if (!ev) return fail("timeline", ev.error().message);
    size_t shown = 0;
    for (const auto& e : *ev) {
      if (e.session != *tl_session) continue;
      auto rec = parse_json(e.record, "record", 64);
      if (!rec || !rec->is_object()) continue;
      const json& r = *rec;
      std::time_t t = static_cast<std::time_t>(e.ts_ms / 1000);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char when[16];
      std::strftime(when, sizeof(when), "%H:%M:%S", &tm);
      std::cout << "#" << e.seq << " " << when << "  ";
      if (e.kind == "intent") {
        std::cout << "prompt  \"" << r.value("excerpt", std::string()).substr(0, 120) << "\"\n";
      } else if (e.kind == "decision") {
        std::cout << "  " << e.effect << "  " << r.value("tool", std::string()) << " [" << e.tool_use_id << "]  "
                  << r.value("reason", std::string()) << "\n";
      } else if (e.kind == "outcome") {
        std::cout << "    -> " << e.effect << " [" << e.tool_use_id << "]\n";
      } else {
        std::cout << e.kind << "\n";
      }
      ++shown;
    }
    if (!shown) return fail("timeline", "no records of session `" + *tl_session + "`");
  });

  auto tail_n = std::make_shared<size_t>(20);
  auto* tail = audit->add_subcommand("tail", "The last records, as JSON lines");
  tail->add_option("-n", *tail_n, "How many (default 20)");
  tail->add_option("--data", *data, "The daemon's data directory");
  tail->callback([data, tail_n, fail] {
    auto ev = load_events(*data);
    if (!ev) return fail("tail", ev.error().message);
    size_t from = ev->size() > *tail_n ? ev->size() - *tail_n : 0;
    for (size_t i = from; i < ev->size(); ++i)
      std::cout << "{\"seq\":" << (*ev)[i].seq << ",\"record\":" << (*ev)[i].record << "}\n";
  });
}

}  // namespace tollgate::cli
