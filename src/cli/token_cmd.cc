// `tollgate token verify|rotate|jwks`: task tokens for operators
// (docs/tasks.md, "Task tokens"). `verify` and `jwks` read the data
// directory (the public keys in DATA/keys, the tasks in DATA/tollgate.db)
// and work whether or not the daemon runs; `rotate` asks the daemon.
#include <filesystem>
#include <iostream>
#include <string>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "identity/keys.h"
#include "server/daemon.h"
#include "server/protocol.h"
#include "server/tokens.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

Result<std::unique_ptr<identity::KeySet>> public_keys(const std::string& data) {
  identity::KeySetOptions ko;
  ko.dir = data + "/keys";
  ko.read_only = true;
  return identity::KeySet::open(ko, server::system_now_ms() / 1000);
}

}  // namespace

void add_token_commands(CLI::App& app, int& exit_code) {
  auto* token = app.add_subcommand("token", "Task tokens: verify one, rotate the signing key, print the JWKS");
  token->require_subcommand(1);
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate token: " << msg << "\n";
    exit_code = 1;
  };

  struct VerifyArgs {
    std::string token, data, audience, issuer;
    bool json = false;
  };
  auto va = std::make_shared<VerifyArgs>();
  auto* verify = token->add_subcommand(
      "verify", "Check a task token: exit 0 and print its claims when valid, else the reason and exit 1");
  verify->add_option("token", va->token, "The token, or - to read it from standard input")->required();
  verify->add_option("--data", va->data, "The daemon's data directory (default: $TOLLGATE_DATA or the usual one)");
  verify->add_option("--audience", va->audience, "Require this audience (`aud`)");
  verify->add_option("--issuer", va->issuer, "Require this issuer (`iss`)");
  verify->add_flag("--json", va->json, "Print {\"valid\":…,\"status\":…,\"reason\":…,\"claims\":…}");
  verify->callback([va, fail, &exit_code] {
    std::string tok = va->token;
    if (tok == "-" && !read_file("-", tok)) return fail("cannot read the token from standard input");
    while (!tok.empty() && (tok.back() == '\n' || tok.back() == '\r' || tok.back() == ' ')) tok.pop_back();
    std::string data = va->data.empty() ? server::default_data_dir() : va->data;
    auto keys = public_keys(data);
    if (!keys) return fail(keys.error().message + " (is --data the daemon's data directory?)");
    std::string db = data + "/tollgate.db";
    if (!std::filesystem::exists(db)) return fail("no task store at `" + db + "`");
    auto store = store::Store::open_sqlite(db);
    if (!store) return fail(store.error().message);
    identity::VerifyOptions vo;
    vo.audience = va->audience;
    vo.issuer = va->issuer;
    auto v = server::check_task_token(tok, **keys, **store, server::system_now_ms(), vo);
    std::string status(identity::token_status_name(v.status));
    json claims = json::object();
    if (v.ok())
      if (auto c = parse_json(v.claims.json, "claims", identity::kMaxClaimsDepth)) claims = std::move(*c);
    if (va->json) {
      json out = {{"valid", v.ok()}, {"status", status}};
      if (!v.ok()) out["reason"] = v.reason;
      if (v.ok()) out["claims"] = claims;
      std::cout << out.dump(2) << "\n";
    } else if (v.ok()) {
      std::cout << claims.dump(2) << "\n";
    }
    if (!v.ok()) {
      if (!va->json) std::cerr << "tollgate token: " << status << ": " << v.reason << "\n";
      exit_code = 1;
    }
  });

  auto socket = std::make_shared<std::string>();
  auto* rotate = token->add_subcommand(
      "rotate",
      "Make the daemon sign new tokens with a new key now (earlier keys stay published until their tokens expire)");
  rotate->add_option("--socket", *socket,
                     "Unix socket path (default: $TOLLGATE_SOCKET or the default data directory's)");
  rotate->callback([socket, fail] {
    auto r = server::call_daemon(socket->empty() ? server::default_socket() : *socket,
                                 R"({"v":1,"op":"token_rotate","bytes":0})", "", 5000);
    if (!r) return fail(r.error().message);
    auto j = parse_json(*r, "daemon reply", 8);
    if (!j || !j->is_object() || !j->value("ok", false))
      return fail(j && j->is_object() ? j->value("error", std::string("the daemon refused")) : "bad reply");
    std::cout << "signing key " << j->value("kid", std::string()) << " active\n";
  });

  auto data = std::make_shared<std::string>();
  auto* jwks = token->add_subcommand("jwks", "Print the published public keys (JWKS) from the data directory");
  jwks->add_option("--data", *data, "The daemon's data directory");
  jwks->callback([data, fail] {
    auto keys = public_keys(data->empty() ? server::default_data_dir() : *data);
    if (!keys) return fail(keys.error().message);
    std::cout << json::parse((*keys)->jwks_json()).dump(2) << "\n";
  });
}

}  // namespace tollgate::cli
