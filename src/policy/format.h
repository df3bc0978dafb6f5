// The canonical layout of Cedar policy text (`tollgate policy fmt`).
//
// format() rewrites only whitespace: the tokens of the output are the tokens
// of the input, in order, so the policies mean exactly what they meant (the
// tests check this over the whole Cedar conformance corpus, and also that
// format(format(x)) == format(x)). The layout is a pure function of the
// tokens and comments, never of the input's spacing:
//
//   // comments before a policy stay before it
//   @id("read-workspace")
//   @reason("reads inside the workspace are fine")
//   permit (principal, action == Action::"file.read", resource)
//   when { context.target.in_workspace }   // a comment at the end of a line stays there
//   unless {
//     context.target.labels.contains("secret") &&
//     !context.task.grants.contains("secret")
//   };
//
// One annotation per line; the scope on one line when it fits in
// kFormatWidth columns, else one constraint per line; each `when`/`unless`
// on its own line, its expression inline when it fits, else broken after
// `&&`/`||` (operands of a nested chain indented one step more), then inside
// parentheses, brackets, calls and records, one element per line — lists of
// string or integer literals are filled instead, as many per line as fit.
// Two spaces indent; one blank line between policies; at most one blank line
// kept before a comment.
//
// Comments: a `//` comment on the same line as the token before it stays at
// the end of that token's line; any other comment is printed on its own line
// before the token that follows it (or at the end of the file). Blank lines
// inside a policy are dropped except before a comment.
//
// format() is a pure function; it refuses (with the parser's diagnostics)
// text that does not parse as Cedar policies, and never throws.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace tollgate::policy {

// Wider than Cedar's usual 80 columns: Tollgate's context paths are long
// (`context.target.command.name`), and at 80 most conditions would break.
inline constexpr int kFormatWidth = 100;

Result<std::string> format_policies(std::string_view text, std::string_view file);

}  // namespace tollgate::policy
