// `tollgate cred get|leases|revoke`: the credential broker (docs/tasks.md,
// "Credentials"). `cred get` is what an agent or its tools run: it presents
// the session's task token (TOLLGATE_TASK_TOKEN) and prints the credential
// on standard output and nothing else, so `$(tollgate cred get NAME)` works.
// Errors go to standard error and never hold a secret; without a token the
// daemon still hears the attempt, and records it.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "base/json.h"
#include "cli/commands.h"
#include "cli/daemon_client.h"

namespace tollgate::cli {

namespace {

using nlohmann::json;

// A mint command may take its whole timeout (at most 120 s).
constexpr int kCredTimeoutMs = 125000;

}  // namespace

void add_cred_commands(CLI::App& app, int& exit_code) {
  auto* cred = app.add_subcommand("cred", "Credentials for a task: issued per request, revoked with the task");
  cred->require_subcommand(1);
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate cred: " << msg << "\n";
    exit_code = 1;
  };

  struct GetArgs {
    std::string name;
    bool json = false;
  };
  auto ga = std::make_shared<GetArgs>();
  auto* get = cred->add_subcommand("get", "Ask for a credential for the task in TOLLGATE_TASK_TOKEN; prints it");
  get->add_option("name", ga->name, "The credential, as the daemon's configuration names it")->required();
  get->add_flag("--json", ga->json, "Print {\"secret\", \"lease\", \"expires_ms\", …}");
  get->callback([ga, fail] {
    const char* token = std::getenv("TOLLGATE_TASK_TOKEN");
    auto r = ask_daemon({{"op", "cred_get"}, {"credential", ga->name}, {"token", token ? token : ""}}, kCredTimeoutMs);
    if (!r) return fail(r.error().message);
    if (ga->json) {
      std::cout << dump_json(*r) << "\n";
    } else {
      std::cout << r->value("secret", std::string()) << "\n";
    }
  });

  auto* leases = cred->add_subcommand("leases", "List the live leases (never their secrets)");
  leases->callback([fail] {
    auto r = ask_daemon({{"op", "cred_leases"}});
    if (!r) return fail(r.error().message);
    for (const auto& l : (*r)["leases"])
      std::cout << l.value("lease", "") << "  " << l.value("credential", "") << "  " << l.value("kind", "") << "  "
                << l.value("task", "") << "  " << l.value("agent", "") << "  expires_ms "
                << l.value("expires_ms", int64_t{0}) << "\n";
  });
  auto lease = std::make_shared<std::string>();
  auto* revoke = cred->add_subcommand("revoke", "Revoke a lease now (its revoke command runs)");
  revoke->add_option("lease", *lease, "The lease id")->required();
  revoke->callback([lease, fail] {
    auto r = ask_daemon({{"op", "cred_revoke"}, {"lease", *lease}}, kCredTimeoutMs);
    if (!r) return fail(r.error().message);
    std::cout << "lease " << *lease << " revoked\n";
  });
}

}  // namespace tollgate::cli
