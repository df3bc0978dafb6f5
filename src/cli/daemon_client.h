// Operator commands (`tollgate agent`, `task`, `mcp approve` …) ask the
// running daemon over its socket ($TOLLGATE_SOCKET) with one JSON header.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tollgate::cli {

// Sends `header` (with "v" and "bytes" filled in) and returns the reply;
// an Error when the daemon cannot be reached, does not answer within
// `timeout_ms`, or answers {"ok": false}.
Result<nlohmann::json> ask_daemon(nlohmann::json header, int timeout_ms = 5000);
// The same with a payload after the header (`bytes` is its size).
Result<nlohmann::json> ask_daemon(nlohmann::json header, std::string_view payload, int timeout_ms);

}  // namespace tollgate::cli
