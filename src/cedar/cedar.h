// Tollgate's Cedar engine: the public entry points. Parse policy text into a
// PolicySet, load entities and requests from JSON, optionally against a
// Schema, and authorize requests. See docs/cedar.md for the supported
// language (Cedar 4.5) and the command-line contract built on top.
//
// Everything here returns errors as values; nothing throws. Inputs are
// untrusted: every parser caps nesting depth (kMaxDepth) and reports all
// problems it finds as file:line:col diagnostics.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cedar/ast.h"
#include "cedar/authorizer.h"
#include "cedar/entities.h"
#include "cedar/json_data.h"
#include "cedar/schema.h"
#include "cedar/value.h"

namespace tollgate::cedar {

// Deepest expression nesting accepted by the parsers (policy text, JSON).
inline constexpr int kMaxDepth = 200;

// Parses a policy file: static policies and templates, named policy0,
// policy1, … in source order (`@id` is only an annotation). On failure the
// Error carries one diagnostic per problem found.
Result<PolicySet> parse_policies(std::string_view text, std::string_view file);

// The same policies before they enter a set, for callers that rename them
// (a policy pack gives ids that are unique across its files).
Result<std::vector<std::shared_ptr<Policy>>> parse_policy_list(std::string_view text, std::string_view file);

// Parses a single expression (for tests and tools).
Result<ExprPtr> parse_expression(std::string_view text, std::string_view file = "<expr>");

// True when `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace tollgate::cedar
