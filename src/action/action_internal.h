// Helpers shared by the adapters in src/action (not part of the public API).
#pragma once

#include <string_view>

#include "action/action.h"

namespace tollgate::action {

// A file action on `raw`, made absolute and normalised against env.
Action file_action(Kind kind, std::string_view raw, std::string_view tool, const Environment& env);

}  // namespace tollgate::action
