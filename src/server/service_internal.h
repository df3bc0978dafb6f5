// Reply and record helpers shared by the Service's handlers (service.cc,
// mcp_service.cc); not part of the public API.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "action/hook_protocol.h"
#include "pdp/pdp.h"

namespace tollgate::server {

std::string reply_error(std::string_view msg);
std::string reply_verdict(action::Verdict v, action::EventKind kind, std::string_view event, std::string_view reason,
                          std::string_view notice = {});
action::Verdict to_verdict(pdp::Effect e);
// One action's decision as it goes into a decision record.
nlohmann::json action_json(const pdp::ActionDecision& ad);

}  // namespace tollgate::server
