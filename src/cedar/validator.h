// Cedar's strict-mode policy validator: checks a PolicySet against a Schema
// the way the reference implementation does (Cedar 4.5 language, strict
// validation as in cedar-policy 4.12).
//
// For every policy and template, validate():
//  - reports entity types, actions and enumerated entity ids the schema does
//    not declare (with the nearest declared name as a suggestion);
//  - reports a policy whose scope matches no action's appliesTo at all;
//  - typechecks the policy once per request environment the schema allows
//    (each action with each of its principal and resource types, and for
//    templates each entity type a slot could be linked to). The scope is part
//    of the checked condition, so environments the scope rules out are
//    dismissed by the type system (singleton True/False types let `&&`,
//    `||` and `if` short-circuit and skip what can never run). Strict typing:
//    `==`, `contains*`, set elements and `if` branches need equal types (two
//    different entity types may only meet in `==`, which is then simply
//    false); optional attributes and tags must be guarded by `has` /
//    `hasTag` in a way the capability analysis proves; extension constructors
//    take string literals that parse; empty set literals are rejected.
// Template links are checked too: their entity types must be known and the
// linked scope must match some action.
//
// Warnings (which do not make the result invalid): a policy that is false in
// every request environment, and identifiers or strings that mix scripts or
// contain bidirectional control characters.
//
// A suggestion is appended to the message after "; " (for example
// "attribute `pth` not found on entity type `Doc`; did you mean
// `resource.path`?"); split_help() separates the two.
//
// validate() is a pure function of its inputs; it runs in time linear in the
// size of the policies times the number of request environments, and its
// recursion is bounded by the parser's expression depth cap.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cedar/authorizer.h"
#include "cedar/schema.h"

namespace tollgate::cedar {

struct ValidationResult {
  std::vector<Diagnostic> errors, warnings;
  bool ok() const { return errors.empty(); }
};

ValidationResult validate(const PolicySet& policies, const Schema& schema);

// Splits a validation message into the problem and its suggestion (empty
// when there is none): the text after the last "; " outside `backquotes`.
std::pair<std::string_view, std::string_view> split_help(std::string_view message);

}  // namespace tollgate::cedar
