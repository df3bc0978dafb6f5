// Pieces of the evaluator shared by the tree walk over the AST (eval.cc)
// and the compiled form of a policy set (program.cc), so that both raise the
// same errors with the same messages. Internal to src/cedar.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "cedar/ast.h"
#include "cedar/entities.h"
#include "cedar/value.h"

namespace tollgate::cedar::detail {

Error type_error(std::string_view expected, const Value& got);
Error overflow(std::string_view what);
bool like_match(std::string_view s, const std::vector<PatternElem>& pat);
Error arity_error(std::string_view name, const FnInfo* info, size_t n);
// Applies a built-in to borrowed arguments (`args` holds info.arity
// pointers, the receiver first); `name` is used in messages only.
Result<Value> call_function_args(const FnInfo& info, std::string_view name, const Value* const* args,
                                 const Entities* ents);

}  // namespace tollgate::cedar::detail
