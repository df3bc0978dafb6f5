// Lint analysis of a loaded policy pack (`tollgate policy check`): policies
// that validate but can never change a decision.
//
//  - shadowed permit: an enforced forbid without conditions (and without
//    @ask) matches every request the permit matches, so the permit can never
//    allow anything;
//  - redundant forbid: the same, for a forbid covered by an unconditional
//    forbid that denies at least as firmly (a plain forbid covers an @ask one,
//    not the other way round);
//  - duplicate: two policies of one mode with the same effect, scope and
//    conditions (annotations aside);
//  - never satisfied: a `when` condition that is always false, or an
//    `unless` condition that is always true, whatever the request (constant
//    folding over literals, `!`, `&&`, `||`, `if` and `==`/`!=` of literals;
//    the validator's "policy is impossible" warning finds the typed cases).
//
// The analysis is sound: it only reports what holds for every request and
// every entity store. Scope coverage uses only what the policy text and the
// schema's action groups fix (equal entities, `in` the same entity, `is` the
// same type, action group membership); entity hierarchies are data, so
// `principal in Team::"a"` never counts as covered by `principal in
// Team::"b"`. Each finding is one warning with the policy's position, one
// sentence, and a suggestion after "; " (see cedar::split_help).
//
// lint_pack() is a pure function of the pack. Its cost is linear in the
// number of policies times the number of unconditional forbids; past
// kMaxLintPairs comparisons the shadowing part is skipped with a note.
#pragma once

#include <vector>

#include "base/result.h"
#include "policy/pack.h"

namespace tollgate::policy {

inline constexpr size_t kMaxLintPairs = 20'000'000;

std::vector<Diagnostic> lint_pack(const Pack& pack);

}  // namespace tollgate::policy
