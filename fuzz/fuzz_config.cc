// libFuzzer target: the daemon's configuration files, which a person edits
// and an attacker with write access to them may shape — DATA/config.json
// (labels, protected paths, credentials), DATA/mcp.json (the HTTP
// gateway's upstreams) and DATA/secrets.json (the encrypted secret store,
// then a lookup of every secret it lists under a fixed key). The first byte
// picks the file; the rest is its content, written to a scratch file and
// loaded the way the daemon loads it. Every outcome is a value or a clear
// error; nothing may crash, hang or grow without bound.
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

#include "crypto/crypto.h"
#include "server/daemon.h"
#include "server/mcp_http.h"
#include "server/secret_store.h"

extern "C" const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

namespace {

using namespace tollgate;

const std::string& scratch_dir() {
  static const std::string dir = [] {
    std::string d = "/tmp/tollgate-fuzz-config-" + std::to_string(::getpid());
    ::mkdir(d.c_str(), 0700);
    ::mkdir((d + "/keys").c_str(), 0700);
    // A fixed secret-store key, so stored values can be looked up.
    std::ofstream(d + "/keys/secret-store.key") << crypto::base64_encode(std::string(32, '\x2a')) << "\n";
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > (1u << 20)) return 0;
  const std::string dir = scratch_dir();
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string path = dir + "/input.json";
  std::ofstream(path, std::ios::trunc | std::ios::binary) << body;
  switch (data[0] % 3) {
    case 0: {
      session::LabelTable labels = session::LabelTable::defaults("/home/dev");
      pdp::Protected prot;
      std::vector<server::Credential> creds;
      (void)server::load_config(path, labels, prot, &creds);
      break;
    }
    case 1: {
      auto ups = server::load_mcp_upstreams(path);
      if (ups)
        for (const auto& u : *ups)
          if (u.name.empty() || u.timeout_ms <= 0) __builtin_trap();
      break;
    }
    default: {
      auto st = server::SecretStore::open(path, dir + "/keys/secret-store.key");
      if (st) {
        if (st->list().size() > server::SecretStore::kMaxSecrets) __builtin_trap();
        for (const auto& e : st->list()) (void)st->get(e.name);
      }
      break;
    }
  }
  return 0;
}
