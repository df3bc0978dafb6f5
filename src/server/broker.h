// The credential broker's parts that hold no daemon state (docs/tasks.md,
// "Credentials"): the credentials an operator declares in the daemon's
// configuration, reading a static secret, and running a mint or revoke
// command. The Service (server/daemon.h) decides, issues, records and
// revokes leases with them.
//
// Secrets are hostile to logs: no Error from this file ever contains one
// (a command's standard error is discarded, never quoted, because a
// provider may print the secret there too).
//
// run_command() blocks its caller for at most the timeout; it runs the
// program directly (posix_spawn of an absolute path, no shell, no PATH
// search) in its own process group, which is killed whole on timeout.
// Thread-safe; never throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/result.h"

namespace tollgate::server {

enum class CredKind { Jwt, Static, Command };
std::string_view cred_kind_name(CredKind k);  // "jwt", "static", "command"

inline constexpr size_t kMaxSecretBytes = 65536;
inline constexpr int64_t kMaxCredentialTtlS = 24 * 3600;

// One credential of the configuration's "credentials" object.
struct Credential {
  std::string name;  // [A-Za-z0-9._-], 1 to 64 bytes
  CredKind kind = CredKind::Static;
  int64_t ttl_s = 900;  // the longest lease; a lease never outlives its task either
  // jwt: the `aud` of the tokens minted for it (also what RFC 8693 token
  // exchange asks for).
  std::string audience;
  // static: exactly one of a file (read at each issue) or an environment
  // variable of the daemon.
  std::string file, env;
  std::string store;  // static: a secret of Tollgate's own store (server/secret_store.h)
  // command: argv, the program an absolute path; revoke is optional.
  std::vector<std::string> mint, revoke;
  std::vector<std::string> pass_env;  // daemon variables passed to the commands
  int64_t timeout_ms = 10000;
};

bool valid_credential_name(std::string_view name);

// Parses the configuration's "credentials" member, an object of name →
// {"kind", …}; appends to `out`. Every problem names the file and the
// credential; unknown members are errors.
Status parse_credentials(const nlohmann::json& j, const std::string& path, std::vector<Credential>& out);

// The secret of a static credential, read now. Errors say where it was
// looked for, never what it is.
Result<std::string> read_static_secret(const Credential& c);

using EnvPairs = std::vector<std::pair<std::string, std::string>>;

// Runs `argv` with exactly the environment `env`, `input` on its standard
// input, standard error discarded; returns its standard output (at most
// kMaxSecretBytes) when it exits 0 within `timeout_ms`.
Result<std::string> run_command(const std::vector<std::string>& argv, const EnvPairs& env, std::string_view input,
                                int64_t timeout_ms);

// What a mint command printed, as a secret: trailing newlines dropped;
// empty, or bytes other than printable ASCII, tab and newline, refused.
Result<std::string> clean_secret(std::string out, std::string_view what);

// The digest the ledger keeps of a lease's secret: hex SHA-256 of the lease
// id, a NUL and the secret. Salted by the lease id, so equal secrets of two
// leases do not share a digest.
std::string secret_digest(std::string_view lease_id, std::string_view secret);

}  // namespace tollgate::server
