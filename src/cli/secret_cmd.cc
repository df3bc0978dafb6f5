// `tollgate secret set|list|rm`: Tollgate's encrypted store for static
// secrets (docs/tasks.md, "The secret store"). For people only: the daemon
// refuses these requests from a governed agent's processes, and the policy
// decision point denies the commands in an agent's shell. A secret's value
// is read from standard input — never from the command line, where `ps`
// and shell history would see it — and is never printed back.
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/daemon_client.h"

namespace tollgate::cli {

namespace {

std::string who() {
  const char* u = std::getenv("USER");
  return u && *u ? u : "unknown";
}

// The value: all of standard input, or one line typed without echo.
std::string read_value() {
  if (!::isatty(0)) return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::cerr << "value (not shown): " << std::flush;
  termios old{};
  bool quiet = ::tcgetattr(0, &old) == 0;
  if (quiet) {
    termios t = old;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSAFLUSH, &t);
  }
  std::string line;
  std::getline(std::cin, line);
  if (quiet) ::tcsetattr(0, TCSAFLUSH, &old);
  std::cerr << "\n";
  return line;
}

}  // namespace

void add_secret_commands(CLI::App& app, int& exit_code) {
  auto* secret = app.add_subcommand("secret", "Tollgate's encrypted store for static credentials (people only)");
  secret->require_subcommand(1);
  auto fail = [&exit_code](const std::string& msg) {
    std::cerr << "tollgate secret: " << msg << "\n";
    exit_code = 1;
  };
  auto name = std::make_shared<std::string>();
  auto json_out = std::make_shared<bool>(false);

  auto* set = secret->add_subcommand("set", "Store a secret; its value is read from standard input");
  set->add_option("name", *name, "The secret's name (a `static` credential's `store`)")->required();
  set->callback([name, fail] {
    std::string value = read_value();
    auto r = ask_daemon({{"op", "secret_set"}, {"name", *name}, {"by", who()}}, value, 10000);
    if (!r) return fail(r.error().message);
    std::cout << ((*r)["replaced"].get<bool>() ? "replaced " : "stored ") << *name << "\n";
  });

  auto* list = secret->add_subcommand("list", "The stored secrets' names and sizes (never their values)");
  list->add_flag("--json", *json_out, "JSON output");
  list->callback([json_out, fail] {
    auto r = ask_daemon({{"op", "secret_list"}});
    if (!r) return fail(r.error().message);
    if (*json_out) {
      std::cout << (*r)["secrets"].dump() << "\n";
      return;
    }
    for (const auto& s : (*r)["secrets"])
      std::cout << s.value("name", "") << "  " << s.value("bytes", int64_t{0}) << " bytes  updated_ms "
                << s.value("updated_ms", int64_t{0}) << "\n";
  });

  auto* rm = secret->add_subcommand("rm", "Delete a secret");
  rm->add_option("name", *name, "The secret's name")->required();
  rm->callback([name, fail] {
    auto r = ask_daemon({{"op", "secret_rm"}, {"name", *name}, {"by", who()}});
    if (!r) return fail(r.error().message);
    std::cout << "removed " << *name << "\n";
  });
}

}  // namespace tollgate::cli
