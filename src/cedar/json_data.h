// Cedar's JSON data formats: entities (`uid`, `attrs`, `parents`, `tags`,
// with the `__entity` and `__extn` escapes), requests and contexts, and
// template links. With a Schema, parsing is type-directed as in Cedar:
// entity references and extension values may be written in their implicit
// forms, attributes are checked against the declared types, and the
// schema's action entities (with their groups) are added to the store.
//
// JSON input is untrusted: nesting is capped (kMaxJsonDepth), duplicate
// keys are rejected, integers must fit in 64 bits exactly, and every error
// names the file, line and column of the offending entity or value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cedar/authorizer.h"
#include "cedar/entities.h"
#include "cedar/schema.h"

namespace tollgate::cedar {

inline constexpr int kMaxJsonDepth = 128;

// Parses an entities file (a JSON array). With a schema, entities are
// validated against it and the schema's actions are added.
Result<Entities> parse_entities(std::string_view text, std::string_view file, const Schema* schema = nullptr);

// A request as one JSON object: {"principal":{"type","id"}, "action":…,
// "resource":…, "context":{…}, "validateRequest": bool}. With a schema the
// context is parsed against the action's context type and, unless
// validateRequest is false, the request is validated (action declared,
// principal and resource types in its appliesTo, context conforming).
Result<Request> parse_request(std::string_view text, const Schema* schema);

// Checks a request against a schema, as parse_request does.
Status validate_request(const Request& req, const Schema& schema);

struct TemplateLink {
  std::string template_id;
  std::string new_id;
  std::optional<EntityUID> principal;
  std::optional<EntityUID> resource;
};

// Parses `[{"templateId","newId","values":{"?principal":{"type","id"},…}}]`.
Result<std::vector<TemplateLink>> parse_links(std::string_view text, std::string_view file);
// Parses the links and applies them to `set`.
Status apply_links(PolicySet& set, std::string_view text, std::string_view file);

// The CLI's answer for one request:
// {"decision":"allow"|"deny","reason":[…],"errors":[{"policy","message"}]}.
std::string response_json(const Response& r);
// {"error":"…"}
std::string error_json(std::string_view message);

}  // namespace tollgate::cedar
