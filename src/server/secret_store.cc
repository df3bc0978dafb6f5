// The encrypted secret store (server/secret_store.h).
#include "server/secret_store.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json.h"
#include "crypto/crypto.h"
#include "server/broker.h"

namespace tollgate::server {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr size_t kMaxStoreFileBytes = 256u << 20;

std::string key_id_of(const std::string& key) {
  return crypto::sha256_hex("tollgate secret store key\n" + key).substr(0, 16);
}

Result<std::string> read_file(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error("cannot read `" + path + "`");
  std::string s;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    s.append(buf, static_cast<size_t>(in.gcount()));
    if (s.size() > max) return Error("`" + path + "` is larger than expected");
  }
  return s;
}

}  // namespace

Result<SecretStore> SecretStore::open(std::string path, std::string key_path) {
  SecretStore st;
  st.path_ = std::move(path);
  st.key_path_ = std::move(key_path);
  std::error_code ec;
  if (!fs::exists(st.path_, ec)) return st;
  auto text = read_file(st.path_, kMaxStoreFileBytes);
  if (!text) return std::move(text).error();
  auto j = parse_json(*text, st.path_, 8);
  if (!j) return std::move(j).error();
  const std::string& p = st.path_;
  auto member = [&](const char* k) { return j->is_object() && j->contains(k) ? &(*j)[k] : nullptr; };
  const json *version = member("version"), *secrets = member("secrets"), *key_id = member("key_id");
  if (!version || !version->is_number_integer() || version->get<int64_t>() != 1 || !secrets || !secrets->is_object() ||
      !key_id || !key_id->is_string())
    return Error(p + ": not a Tollgate secret store (expected {\"version\": 1, \"key_id\", \"secrets\": {…}})");
  st.key_id_ = (*j)["key_id"].get<std::string>();
  if ((*j)["secrets"].size() > kMaxSecrets) return Error(p + ": more than " + std::to_string(kMaxSecrets) + " secrets");
  for (const auto& [name, e] : (*j)["secrets"].items()) {
    if (!valid_credential_name(name)) return Error(p + ": a secret name is 1 to 64 letters, digits, `.`, `_` or `-`");
    if (!e.is_object() || !e.contains("sealed") || !e["sealed"].is_string())
      return Error(p + ": secret `" + name + "` has no `sealed` value");
    auto sealed = crypto::base64_decode(e["sealed"].get<std::string>());
    if (!sealed) return Error(p + ": secret `" + name + "`: `sealed` is not base64");
    Sealed s;
    s.sealed = std::move(*sealed);
    if (auto b = e.find("bytes"); b != e.end() && b->is_number_unsigned()) s.bytes = b->get<uint64_t>();
    if (auto u = e.find("updated_ms"); u != e.end() && u->is_number_integer()) s.updated_ms = u->get<int64_t>();
    st.secrets_.emplace(name, std::move(s));
  }
  return st;
}

Status SecretStore::load_key(bool create) {
  if (!key_.empty()) return Status::Ok();
  std::error_code ec;
  if (fs::exists(key_path_, ec)) {
    auto text = read_file(key_path_, 1024);
    if (!text) return std::move(text).error();
    std::string t = *text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    auto key = crypto::base64_decode(t);
    if (!key || key->size() != crypto::kAeadKeyBytes)
      return Error("`" + key_path_ + "` is not a secret-store key (32 bytes, base64)");
    if (!key_id_.empty() && key_id_of(*key) != key_id_)
      return Error("the secret store was sealed with another key than `" + key_path_ + "` (key id " + key_id_ + ")");
    key_ = std::move(*key);
  } else {
    if (!create || !secrets_.empty())
      return Error("the secret store's key `" + key_path_ + "` is missing" +
                   (secrets_.empty() ? std::string() : ": its secrets cannot be opened"));
    auto key = crypto::random_bytes(crypto::kAeadKeyBytes);
    if (!key) return std::move(key).error();
    fs::create_directories(fs::path(key_path_).parent_path(), ec);
    if (auto st = crypto::write_private_file(key_path_, crypto::base64_encode(*key) + "\n"); !st) return st;
    key_ = std::move(*key);
  }
  key_id_ = key_id_of(key_);
  return Status::Ok();
}

Status SecretStore::save() const {
  json secrets = json::object();
  for (const auto& [name, s] : secrets_)
    secrets[name] = {{"sealed", crypto::base64_encode(s.sealed)}, {"bytes", s.bytes}, {"updated_ms", s.updated_ms}};
  return crypto::write_private_file(path_,
                                    json{{"version", 1}, {"key_id", key_id_}, {"secrets", std::move(secrets)}}.dump(1));
}

Status SecretStore::put(const std::string& name, const std::string& value, int64_t now_ms) {
  if (!valid_credential_name(name)) return Error("a secret name is 1 to 64 letters, digits, `.`, `_` or `-`");
  auto clean = clean_secret(value, "the secret");
  if (!clean) return std::move(clean).error();
  if (!secrets_.count(name) && secrets_.size() >= kMaxSecrets)
    return Error("the store holds " + std::to_string(kMaxSecrets) + " secrets already");
  if (auto st = load_key(true); !st) return st;
  auto sealed = crypto::aead_seal(key_, *clean, name);
  if (!sealed) return std::move(sealed).error();
  auto before = secrets_;
  secrets_[name] = Sealed{std::move(*sealed), clean->size(), now_ms};
  if (auto st = save(); !st) {
    secrets_ = std::move(before);
    return st;
  }
  return Status::Ok();
}

Result<std::string> SecretStore::get(const std::string& name) {
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return Error("the secret store has no `" + name.substr(0, 64) + "`");
  if (auto st = load_key(false); !st) return std::move(st).error();
  auto opened = crypto::aead_open(key_, it->second.sealed, name);
  if (!opened)
    return Error("the secret `" + name + "` in `" + path_ +
                 "` does not open: it was changed, or sealed with another key");
  return opened;
}

Result<bool> SecretStore::remove(const std::string& name) {
  auto it = secrets_.find(name);
  if (it == secrets_.end()) return false;
  Sealed gone = std::move(it->second);
  secrets_.erase(it);
  if (auto st = save(); !st) {
    secrets_.emplace(name, std::move(gone));
    return std::move(st).error();
  }
  return true;
}

std::vector<SecretStore::Entry> SecretStore::list() const {
  std::vector<Entry> out;
  for (const auto& [name, s] : secrets_) out.push_back({name, s.bytes, s.updated_ms});
  return out;
}

}  // namespace tollgate::server
