// JSON helpers shared inside the cedar library (not installed): a hardened
// nlohmann::json parse and the JSON-to-Cedar conversions used by both
// json_data.cc and the integration-test runner.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.h"
#include "cedar/authorizer.h"
#include "cedar/schema.h"

namespace tollgate::cedar::detail {

// Parses JSON with a depth cap and duplicate-key rejection. Syntax errors
// carry file:line:col.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view file);

// Line and column (from 1) of byte offset `pos` in `text`.
SourceLoc loc_of(std::string_view text, size_t pos);

Result<EntityUID> uid_from_json(const nlohmann::json& j);

// A request object (see parse_request in json_data.h).
Result<Request> request_from_json(const nlohmann::json& j, const Schema* schema, bool validate);

}  // namespace tollgate::cedar::detail
