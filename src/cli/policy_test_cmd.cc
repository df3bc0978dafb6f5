// `tollgate policy test DIR [TESTS…]`: runs a policy pack's data-file tests
// (pdp/pack_test.h) — by default every `*.json` file under DIR/tests/ —
// printing each failure and ending with `N passed, M failed`. Exit codes:
// 0 all passed, 1 a case failed, 2 the pack or a test file could not be
// loaded.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/io.h"
#include "pdp/pack_test.h"
#include "policy/pack.h"

namespace tollgate::cli {

namespace fs = std::filesystem;

void add_policy_test_command(CLI::App& policy, int& exit_code) {
  struct Args {
    std::string dir;
    std::vector<std::string> files;
    bool verbose = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = policy.add_subcommand("test", "Run a policy pack's data-file tests (tool calls with expected decisions)");
  cmd->add_option("dir", args->dir, "The policy pack directory")->required();
  cmd->add_option("tests", args->files, "Test files (default: every *.json under DIR/tests)");
  cmd->add_flag("-v,--verbose", args->verbose, "Print every case, not only failures");
  cmd->callback([args, &exit_code] {
    auto pack = policy::load_pack(args->dir);
    if (!pack) {
      print_error(pack.error());
      exit_code = 2;
      return;
    }
    std::vector<std::string> files = args->files;
    if (files.empty()) {
      std::error_code ec;
      fs::path tests = fs::path(args->dir) / "tests";
      if (fs::is_directory(tests, ec)) {
        for (fs::recursive_directory_iterator it(tests, ec), end; !ec && it != end; it.increment(ec))
          if (it->is_regular_file() && it->path().extension() == ".json") files.push_back(it->path().string());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        std::cerr << args->dir << ": no test files (expected *.json under " << tests.string() << ")\n";
        exit_code = 2;
        return;
      }
    }
    size_t passed = 0, failed = 0;
    for (const auto& f : files) {
      std::string text;
      if (!read_file(f, text)) {
        std::cerr << f << ":1:1: cannot read test file\n";
        exit_code = 2;
        return;
      }
      auto results = pdp::run_pack_tests(*pack, text, f);
      if (!results) {
        print_error(results.error());
        exit_code = 2;
        return;
      }
      for (const auto& r : *results) {
        if (r.passed) {
          ++passed;
          if (args->verbose) std::cout << "ok   " << r.name << " (" << r.actual << ")\n";
        } else {
          ++failed;
          std::cout << "FAIL " << f << ": " << r.name << ": expected " << r.expected << ", got " << r.actual << " — "
                    << r.detail << "\n";
        }
      }
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    exit_code = failed ? 1 : 0;
  });
}

}  // namespace tollgate::cli
