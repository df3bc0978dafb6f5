// libFuzzer target: the daemon's request path for hook events. The first
// byte picks a harness; the rest is the event JSON an agent's harness would
// send. It goes through Service::handle (parsing, adapters, shell analysis,
// the baseline pack's decision, the SQLite record in memory) and the answer
// is rendered in that harness's protocol, as `tollgate hook` does. Any
// crash, sanitizer report, hang, or a reply that is not one JSON object with
// a verdict is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "action/hook_protocol.h"
#include "fuzz_service.h"

using namespace tollgate;
using fuzz::service;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1u << 16)) return 0;
  static const char* harnesses[] = {"claude-code", "codex", "cursor", "gemini"};
  const char* harness = harnesses[data[0] % 4];
  std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  nlohmann::json header = {{"v", 1}, {"op", "hook"}, {"harness", harness}, {"bytes", payload.size()}};
  std::string reply = service().handle(header.dump(), payload);
  auto j = nlohmann::json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.value("ok", false) || !j.contains("verdict")) {
    std::fprintf(stderr, "bad reply: %s\n", reply.c_str());
    std::abort();
  }
  auto h = action::parse_harness(harness);
  (void)action::render_answer(*h, action::EventKind::PreTool, j.value("event", ""), action::Verdict::Deny,
                              j.value("reason", ""));
  (void)action::render_failure(*h, j.value("event", ""), "fuzz");
  return 0;
}
