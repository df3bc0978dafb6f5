#include "ledger/keyring.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "crypto/crypto.h"

namespace tollgate::ledger {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr size_t kMaxKeys = 10000;

Result<std::string> read_small_file(const std::string& path, size_t cap) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("cannot read `" + path + "`");
  std::string out(cap + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  if (out.size() > cap) return Error("`" + path + "` is larger than " + std::to_string(cap) + " bytes");
  return out;
}

std::string private_name(const std::string& id) { return "ledger-" + id + ".pem"; }

}  // namespace

Result<std::string> key_id_of_public_pem(std::string_view pem) {
  auto k = crypto::EcKey::from_public_pem(pem);
  if (!k) return Error("not a PEM P-256 public key");
  return crypto::sha256_hex(k->public_der()).substr(0, 16);
}

Result<std::unique_ptr<CheckpointKeys>> CheckpointKeys::open(const std::string& dir, int64_t now_s, bool create) {
  std::unique_ptr<CheckpointKeys> ks(new CheckpointKeys());
  ks->dir_ = dir;
  std::string manifest = dir + "/ledger-keys.json";
  std::error_code ec;
  if (fs::exists(manifest, ec)) {
    auto text = read_small_file(manifest, kMaxManifestBytes);
    if (!text) return std::move(text).error();
    auto loaded = from_text(*text);
    if (!loaded) return Error(manifest + ": " + loaded.error().message);
    ks->keys_ = std::move((*loaded)->keys_);
    auto j = parse_json(*text, manifest, 8);
    std::string active = j && j->is_object() && (*j)["active"].is_string() ? (*j)["active"].get<std::string>() : "";
    if (active.empty() || !ks->public_pem(active)) return Error(manifest + ": `active` does not name one of its keys");
    std::string priv = dir + "/" + private_name(active);
    if (!fs::exists(priv, ec) && fs::exists(dir + "/ledger.pem", ec)) priv = dir + "/ledger.pem";  // adopted
    auto signer = load_or_create_key(priv, /*create=*/false);
    if (!signer) return Error("the active checkpoint key: " + signer.error().message);
    if (signer->key_id != active)
      return Error("`" + priv + "` holds key " + signer->key_id + ", but " + manifest + " names " + active +
                   " as the active key");
    ks->active_ = std::move(*signer);
    return ks;
  }
  // No manifest: adopt a key from before rotation, or make the first one.
  std::string legacy = dir + "/ledger.pem";
  bool have_legacy = fs::exists(legacy, ec);
  if (!have_legacy && !create) return Error("no checkpoint keys in `" + dir + "`");
  auto signer = load_or_create_key(legacy, create);
  if (!signer) return std::move(signer).error();
  ks->active_ = std::move(*signer);
  ks->keys_.push_back({ks->active_.key_id, ks->active_.public_pem, now_s, 0});
  if (create)
    if (auto st = ks->save(); !st) return st.error();
  return ks;
}

Result<std::unique_ptr<CheckpointKeys>> CheckpointKeys::from_text(std::string_view text) {
  std::unique_ptr<CheckpointKeys> ks(new CheckpointKeys());
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '-') {
    // One key in PEM: a public key, or a private key whose public half is used.
    std::string pem;
    if (auto pub = crypto::EcKey::from_public_pem(text)) {
      pem = pub->public_pem();
    } else if (auto priv = crypto::EcKey::from_private_pem(text)) {
      pem = priv->public_pem();
    } else {
      return Error("not a PEM P-256 key");
    }
    auto id = key_id_of_public_pem(pem);
    if (!id) return std::move(id).error();
    ks->keys_.push_back({*id, pem, 0, 0});
    return ks;
  }
  auto j = parse_json(text, "checkpoint key manifest", 8);
  if (!j) return std::move(j).error();
  if (!j->is_object() || !(*j)["keys"].is_array() || j->value("v", 0) != 1)
    return Error("not a checkpoint key manifest ({\"v\":1,\"keys\":[…]})");
  const json& keys = (*j)["keys"];
  if (keys.size() > kMaxKeys) return Error("more than " + std::to_string(kMaxKeys) + " keys");
  for (size_t i = 0; i < keys.size(); ++i) {
    const json& k = keys[i];
    std::string where = "key " + std::to_string(i + 1);
    if (!k.is_object() || !k["id"].is_string() || !k["public_pem"].is_string())
      return Error(where + ": needs a string `id` and `public_pem`");
    Entry e;
    e.id = k["id"].get<std::string>();
    e.public_pem = k["public_pem"].get<std::string>();
    if (k.contains("created") && k["created"].is_number_integer()) e.created = k["created"].get<int64_t>();
    if (k.contains("retired") && k["retired"].is_number_integer()) e.retired = k["retired"].get<int64_t>();
    if (k.contains("retired_size") && k["retired_size"].is_number_unsigned())
      e.retired_size = k["retired_size"].get<uint64_t>();
    auto id = key_id_of_public_pem(e.public_pem);
    if (!id) return Error(where + " (" + e.id + "): " + id.error().message);
    if (*id != e.id) return Error(where + ": its public key has id " + *id + ", not " + e.id);
    ks->keys_.push_back(std::move(e));
  }
  return ks;
}

int64_t CheckpointKeys::active_since() const {
  for (const auto& e : keys_)
    if (e.id == active_.key_id) return e.created;
  return 0;
}

Result<std::string> CheckpointKeys::rotate(int64_t now_s, uint64_t handover_size) {
  if (dir_.empty() || !active()) return Error("these checkpoint keys cannot sign");
  auto k = crypto::EcKey::generate();
  if (!k) return Error("cannot generate a checkpoint key");
  Signer next;
  next.pem = k->private_pem();
  next.public_pem = k->public_pem();
  next.key_id = crypto::sha256_hex(k->public_der()).substr(0, 16);
  // The new private key first, then the manifest that makes it active: the
  // rename of the manifest is the moment of rotation.
  if (auto st = crypto::write_private_file(dir_ + "/" + private_name(next.key_id), next.pem); !st)
    return Error("cannot write the new checkpoint key: " + st.error().message);
  std::string old_id = active_.key_id;
  for (auto& e : keys_)
    if (e.id == old_id) {
      e.retired = now_s;
      e.retired_size = handover_size;
    }
  keys_.push_back({next.key_id, next.public_pem, now_s, 0, 0});
  Signer old = std::move(active_);
  active_ = std::move(next);
  if (auto st = save(); !st) {
    keys_.pop_back();
    for (auto& e : keys_)
      if (e.id == old_id) e.retired = 0, e.retired_size = 0;
    active_ = std::move(old);
    return st.error();
  }
  std::error_code ec;
  fs::remove(dir_ + "/" + private_name(old_id), ec);
  fs::remove(dir_ + "/ledger.pem", ec);  // an adopted key from before rotation
  return active_.key_id;
}

const std::string* CheckpointKeys::public_pem(std::string_view key_id) const {
  for (const auto& e : keys_)
    if (e.id == key_id) return &e.public_pem;
  return nullptr;
}

Status CheckpointKeys::verify(const Checkpoint& c) const {
  const std::string* pem = public_pem(c.key_id);
  if (!pem) return Error("the checkpoint was signed with key " + c.key_id + ", which is not among the known keys");
  if (auto st = verify_checkpoint_signature(c, *pem); !st) return st;
  // A retired key (whose private half may have leaked) vouches for nothing
  // after its handover.
  for (const auto& e : keys_)
    if (e.id == c.key_id && e.retired && e.retired_size && c.size > e.retired_size)
      return Error("the checkpoint of size " + std::to_string(c.size) + " was signed with key " + c.key_id +
                   ", which was retired at ledger size " + std::to_string(e.retired_size) +
                   " and signs nothing larger");
  return Status::Ok();
}

Status CheckpointKeys::set_retired_size(const std::string& key_id, uint64_t size) {
  for (auto& e : keys_)
    if (e.id == key_id && e.retired) {
      e.retired_size = size;
      return dir_.empty() ? Status::Ok() : save();
    }
  return Error("no retired checkpoint key " + key_id);
}

std::string CheckpointKeys::manifest_json() const {
  json keys = json::array();
  for (const auto& e : keys_)
    keys.push_back({{"id", e.id},
                    {"created", e.created},
                    {"retired", e.retired},
                    {"retired_size", e.retired_size},
                    {"public_pem", e.public_pem}});
  return dump_json(json{{"v", 1}, {"active", active_.key_id}, {"keys", keys}});
}

Status CheckpointKeys::save() const {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  ::chmod(dir_.c_str(), 0700);
  if (auto st = crypto::write_private_file(dir_ + "/ledger-keys.json", manifest_json() + "\n"); !st)
    return Error("cannot write `" + dir_ + "/ledger-keys.json`: " + st.error().message);
  return Status::Ok();
}

}  // namespace tollgate::ledger
