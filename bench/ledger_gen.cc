// tollgate_ledger_gen DIR N: writes DIR/tollgate.db with N ledger records
// shaped like the daemon's (decisions, outcomes, prompts of 40 sessions),
// appended through the store in group commits of 1,000, for measuring
// `tollgate audit verify` on a large ledger (docs/performance.md, "Verifying
// a million records").
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/store.h"

int main(int argc, char** argv) {
  using namespace tollgate;
  if (argc != 3) {
    std::fprintf(stderr, "usage: tollgate_ledger_gen DIR N\n");
    return 2;
  }
  std::filesystem::create_directories(argv[1]);
  auto st = store::Store::open_sqlite(std::string(argv[1]) + "/tollgate.db");
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().message.c_str());
    return 1;
  }
  const long n = std::strtol(argv[2], nullptr, 10);
  session::Session s;
  s.harness = "claude-code";
  s.cwd = "/home/dev/project";
  for (long i = 0; i < n;) {
    if (!(*st)->begin_batch()) return 1;
    for (long end = std::min(n, i + 1000); i < end; ++i) {
      store::Event e;
      e.ts_ms = 1780000000000 + i * 7;
      e.session = "session-" + std::to_string(i % 40);
      s.id = e.session;
      std::string tu = "toolu_" + std::to_string(i / 3);
      switch (i % 3) {
        case 0:
          e.kind = "intent";
          e.record =
              R"({"excerpt":"Run the test suite and fix whatever fails in src/ledger","harness":"claude-code",)"
              R"("prompt_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","session":")" +
              e.session + R"(","ts":)" + std::to_string(e.ts_ms) + R"(,"type":"intent"})";
          break;
        case 1:
          e.kind = "decision";
          e.tool_use_id = tu;
          e.effect = i % 10 == 1 ? "deny" : "allow";
          e.record = R"({"actions":[{"action":"shell.exec","effect":")" + e.effect +
                     R"(","errors":[],"labels":[],"log_only":false,"policies":["allow-development"],"reason":"",)"
                     R"("resource":"npm test -- --watch=false"}],"decision":")" +
                     e.effect + R"(","harness":"claude-code","latency_us":23,"reason":"","session":")" + e.session +
                     R"(","tool":"Bash","tool_use_id":")" + tu + R"(","ts":)" + std::to_string(e.ts_ms) +
                     R"(,"type":"decision"})";
          break;
        default:
          e.kind = "outcome";
          e.tool_use_id = tu;
          e.effect = "success";
          e.record = R"({"harness":"claude-code","session":")" + e.session +
                     R"(","success":true,"summary":"42 tests passed","tool_use_id":")" + tu + R"(","ts":)" +
                     std::to_string(e.ts_ms) + R"(,"type":"outcome"})";
      }
      if (!(*st)->append_event(e, s)) return 1;
    }
    if (!(*st)->commit_batch()) return 1;
  }
  return 0;
}
