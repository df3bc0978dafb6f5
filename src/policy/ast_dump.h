// A canonical text of a parsed policy's structure: effect, annotations,
// scope (with template slots or their linked entities) and every condition
// as a fully parenthesised S-expression that names each node's operator,
// literal, attribute, pattern and function. Two policies with the same dump
// are the same policy to the evaluator; the source positions and ids are
// left out. Used to find duplicate policies (lint.h) and by the tests that
// check the formatter keeps every policy's meaning.
//
// Pure functions; the recursion follows the expression tree, whose depth the
// parser caps (cedar::kMaxDepth).
#pragma once

#include <optional>
#include <string>

#include "cedar/ast.h"

namespace tollgate::policy {

std::string dump_expr(const cedar::Expr& e);

// The scope and conditions (and the effect); with `annotations`, those too.
// Slots print as `?principal` / `?resource` unless a linked entity is given.
std::string dump_policy(const cedar::Policy& p, bool annotations,
                        const std::optional<cedar::EntityUID>& principal_slot = std::nullopt,
                        const std::optional<cedar::EntityUID>& resource_slot = std::nullopt);

}  // namespace tollgate::policy
