#include "cli/daemon_client.h"

#include "base/json.h"
#include "server/protocol.h"

namespace tollgate::cli {

using nlohmann::json;

Result<json> ask_daemon(json header, int timeout_ms) { return ask_daemon(std::move(header), "", timeout_ms); }

Result<json> ask_daemon(json header, std::string_view payload, int timeout_ms) {
  header["v"] = 1;
  header["bytes"] = payload.size();
  auto r = server::call_daemon(server::default_socket(), dump_json(header), payload, timeout_ms);
  if (!r) return std::move(r).error();
  auto j = parse_json(*r, "daemon reply", 16);
  if (!j || !j->is_object()) return Error("the daemon's answer was not understood");
  if (!j->value("ok", false)) return Error(j->value("error", std::string("the daemon refused")));
  return std::move(*j);
}

}  // namespace tollgate::cli
