#include "identity/keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "identity/jwt.h"

namespace tollgate::identity {

namespace fs = std::filesystem;
using nlohmann::json;

std::string jwk_thumbprint(const crypto::EcKey& key) {
  // RFC 7638 §3.2: the required members in lexicographic order, no whitespace.
  std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + crypto::base64url_encode(key.x()) + R"(","y":")" +
                          crypto::base64url_encode(key.y()) + R"("})";
  return crypto::base64url_encode(crypto::sha256(canonical));
}

namespace {

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// A kid names a file: only the base64url alphabet.
bool safe_kid(std::string_view kid) {
  if (kid.empty() || kid.size() > 64) return false;
  for (char c : kid)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

}  // namespace

Result<std::unique_ptr<KeySet>> KeySet::open(KeySetOptions opts, int64_t now_s) {
  std::unique_ptr<KeySet> ks(new KeySet(opts));
  const std::string& dir = ks->opts_.dir;
  if (!dir.empty()) {
    std::error_code ec;
    if (!opts.read_only) {
      fs::create_directories(dir, ec);
      if (ec) return Error("cannot create the key directory `" + dir + "`: " + ec.message());
      ::chmod(dir.c_str(), 0700);
    }
    std::string manifest_path = dir + "/keys.json", text;
    if (read_text(manifest_path, text)) {
      auto m = parse_json_unique_keys(text, manifest_path, 4);
      if (!m) return std::move(m).error();
      if (!m->is_object() || !m->contains("keys") || !(*m)["keys"].is_array())
        return Error(manifest_path + ": expected {\"v\":1,\"keys\":[…]}");
      for (const auto& k : (*m)["keys"]) {
        if (!k.is_object()) return Error(manifest_path + ": a key is not an object");
        std::string kid = k.value("kid", std::string());
        auto x = crypto::base64url_decode(k.value("x", std::string()));
        auto y = crypto::base64url_decode(k.value("y", std::string()));
        if (!safe_kid(kid) || !x || !y) return Error(manifest_path + ": a key has a bad kid, x or y");
        auto pub = crypto::EcKey::from_coordinates(*x, *y);
        if (!pub) return Error(manifest_path + ": key " + kid + ": " + pub.error().message);
        if (jwk_thumbprint(*pub) != kid) return Error(manifest_path + ": key " + kid + " does not match its kid");
        Entry e{kid, std::move(*pub), k.value("created", int64_t{0}), k.value("retired", int64_t{0}),
                k.value("max_exp", int64_t{0})};
        if (!e.retired && !opts.read_only) {
          std::string pem;
          std::string pem_path = dir + "/" + kid + ".pem";
          if (!read_text(pem_path, pem)) return Error("the active signing key `" + pem_path + "` is missing");
          auto priv = crypto::EcKey::from_private_pem(pem);
          if (!priv) return Error(pem_path + ": " + priv.error().message);
          if (jwk_thumbprint(*priv) != kid) return Error(pem_path + ": the private key does not match its kid");
          e.key = std::move(*priv);
        }
        ks->keys_.push_back(std::move(e));
      }
      auto actives = std::count_if(ks->keys_.begin(), ks->keys_.end(), [](const Entry& e) { return !e.retired; });
      if (actives > 1) return Error(manifest_path + ": more than one active key");
      if (actives == 1)
        std::stable_partition(ks->keys_.begin(), ks->keys_.end(), [](const Entry& e) { return e.retired != 0; });
      else if (!ks->keys_.empty() && !opts.read_only)
        if (auto st = ks->add_new_key(now_s); !st) return st.error();
    }
  }
  if (ks->opts_.read_only) {
    if (ks->keys_.empty()) return Error("no signing keys in `" + dir + "`");
    return ks;
  }
  if (ks->keys_.empty())
    if (auto st = ks->add_new_key(now_s); !st) return st.error();
  if (auto r = ks->maybe_rotate(now_s); !r) return std::move(r).error();
  return ks;
}

Status KeySet::add_new_key(int64_t now_s) {
  if (opts_.read_only) return Error("the key set is read-only");
  auto k = crypto::EcKey::generate();
  if (!k) return k.error();
  std::string kid = jwk_thumbprint(*k);
  // The new private key first, then the manifest that makes it active, then
  // the retired key's private half goes: a crash leaves a usable set.
  if (!opts_.dir.empty())
    if (auto st = crypto::write_private_file(opts_.dir + "/" + kid + ".pem", k->private_pem()); !st) return st;
  std::string old_kid;
  if (!keys_.empty() && !keys_.back().retired) {
    Entry& old = keys_.back();
    auto pub = old.key.public_key();
    if (!pub) return pub.error();
    old.key = std::move(*pub);
    old.retired = now_s;
    old_kid = old.kid;
  }
  keys_.push_back(Entry{kid, std::move(*k), now_s, 0, 0});
  if (auto st = save(); !st) return st;
  if (!opts_.dir.empty() && !old_kid.empty()) ::unlink((opts_.dir + "/" + old_kid + ".pem").c_str());
  return Status::Ok();
}

Status KeySet::save() const {
  if (opts_.dir.empty()) return Status::Ok();
  json keys = json::array();
  for (const auto& e : keys_)
    keys.push_back({{"kid", e.kid},
                    {"x", crypto::base64url_encode(e.key.x())},
                    {"y", crypto::base64url_encode(e.key.y())},
                    {"created", e.created},
                    {"retired", e.retired},
                    {"max_exp", e.max_exp}});
  return crypto::write_private_file(opts_.dir + "/keys.json", json{{"v", 1}, {"keys", keys}}.dump(1) + "\n");
}

Result<bool> KeySet::maybe_rotate(int64_t now_s) {
  if (opts_.read_only) return false;
  bool changed = false;
  if (keys_.empty() || keys_.back().retired ||
      (opts_.rotate_every_s > 0 && now_s - keys_.back().created >= opts_.rotate_every_s)) {
    if (auto st = add_new_key(now_s); !st) return st.error();
    changed = true;
  }
  // Retired keys leave once the last token they signed is past its expiry.
  size_t before = keys_.size();
  keys_.erase(std::remove_if(keys_.begin(), keys_.end(),
                             [&](const Entry& e) { return e.retired && e.max_exp + opts_.skew_s < now_s; }),
              keys_.end());
  if (keys_.size() != before) {
    changed = true;
    if (auto st = save(); !st) return st.error();
  }
  return changed;
}

Result<std::string> KeySet::rotate(int64_t now_s) {
  if (auto st = add_new_key(now_s); !st) return st.error();
  if (auto r = maybe_rotate(now_s); !r) return std::move(r).error();  // prunes
  return keys_.back().kid;
}

Result<std::string> KeySet::mint(std::string_view claims_json, int64_t exp_s, int64_t now_s) {
  if (opts_.read_only) return Error("the key set is read-only");
  if (auto r = maybe_rotate(now_s); !r) return std::move(r).error();
  Entry& active = keys_.back();
  auto token = sign_jwt(claims_json, active.key, active.kid);
  if (!token) return token;
  if (exp_s > active.max_exp) {
    int64_t before = active.max_exp;
    active.max_exp = exp_s;
    // The key must stay published as long as the token lives: no record, no token.
    if (auto st = save(); !st) {
      active.max_exp = before;
      return st.error();
    }
  }
  return token;
}

const crypto::EcKey* KeySet::find(std::string_view kid) const {
  for (const auto& e : keys_)
    if (e.kid == kid) return &e.key;
  return nullptr;
}

std::string KeySet::active_kid() const {
  return keys_.empty() || keys_.back().retired ? std::string() : keys_.back().kid;
}

std::string KeySet::jwks_json() const {
  json keys = json::array();
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it)  // the active key first
    keys.push_back({{"kty", "EC"},
                    {"crv", "P-256"},
                    {"x", crypto::base64url_encode(it->key.x())},
                    {"y", crypto::base64url_encode(it->key.y())},
                    {"kid", it->kid},
                    {"use", "sig"},
                    {"alg", "ES256"}});
  return dump_json(json{{"keys", keys}});
}

}  // namespace tollgate::identity
