// libFuzzer target: the MCP gateway's protocol logic and the daemon's MCP
// requests. The input is lines; each line's first byte says who sent it
// (even: the client, odd: the server). Lines go through mcp::Gateway, which
// asks a real in-memory Service (the baseline pack, SQLite in memory) for
// decisions, pins and records. Any crash, sanitizer report or hang is a
// finding, and so is an output line that is not a JSON object or array, or
// a server line that StreamedMessageCheck lets stream but is no plain answer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_service.h"
#include "mcp/gateway.h"

using namespace tollgate;
using fuzz::service;

namespace {

void check(const std::vector<std::string>& lines) {
  for (const auto& l : lines) {
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || !(j.is_object() || j.is_array())) {
      std::fprintf(stderr, "bad output line: %s\n", l.c_str());
      std::abort();
    }
  }
}

// The check that lets a large server message stream through must never
// pass a message a client would read as anything but a plain answer.
void check_streamed(std::string_view line) {
  mcp::StreamedMessageCheck c;
  size_t chunk = 1 + line.size() % 13;
  for (size_t i = 0; i < line.size(); i += chunk) c.feed(line.substr(i, chunk));
  if (!c.ok()) return;
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded()) return;  // no client reads it either
  bool answer = j.is_object();
  if (answer) {
    for (const auto& [k, v] : j.items())
      if (k != "jsonrpc" && k != "id" && k != "result" && k != "error") answer = false;
    if (auto r = j.find("result"); r != j.end() && r->is_object() && r->contains("inputRequests")) answer = false;
  }
  if (!answer) {
    std::fprintf(stderr, "streamed check passed a message that is no plain answer: %.*s\n",
                 static_cast<int>(line.size()), line.data());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > (1u << 16)) return 0;
  mcp::GatewayOptions o;
  o.server = "fuzz";
  o.session = "fuzz-session";
  o.cwd = "/home/dev/project";
  o.max_message_bytes = 1u << 16;
  mcp::Gateway gw(o,
                  [](std::string_view h, std::string_view p) -> Result<std::string> { return service().handle(h, p); });
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line.empty()) continue;
    bool from_server = (static_cast<uint8_t>(line[0]) & 1) != 0;
    line.remove_prefix(1);
    if (from_server) check_streamed(line);
    auto out = from_server ? gw.from_server(line) : gw.from_client(line);
    check(out.to_client);
    check(out.to_server);
  }
  check(gw.server_exited(1).to_client);
  return 0;
}
