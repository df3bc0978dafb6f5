// Helpers for the cedar tests: evaluate an expression or authorize a request
// from text.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "cedar/cedar.h"

namespace tollgate::cedar::testing {

inline Entities entities_from(std::string_view json, const Schema* schema = nullptr) {
  auto e = parse_entities(json, "entities.json", schema);
  EXPECT_TRUE(e.ok()) << (e.ok()                          ? ""
                          : e.error().diagnostics.empty() ? e.error().message
                                                          : e.error().diagnostics[0].str());
  return e.ok() ? std::move(e).value() : Entities{};
}

inline Request request(std::string p, std::string a, std::string r, Value ctx = Value::record({})) {
  auto uid = [](const std::string& s) {
    auto pos = s.find("::\"");
    return EntityUID(s.substr(0, pos), s.substr(pos + 3, s.size() - pos - 4));
  };
  return Request{uid(p), uid(a), uid(r), std::move(ctx)};
}

// Evaluates `expr`; returns the value or the error message prefixed "error: ".
inline std::string eval_str(std::string_view expr, const Entities& ents = Entities{},
                            const Request& req = request("User::\"alice\"", "Action::\"view\"", "Doc::\"d\"")) {
  auto e = parse_expression(expr);
  if (!e)
    return "parse error: " + (e.error().diagnostics.empty() ? e.error().message : e.error().diagnostics[0].message);
  auto v = evaluate(**e, req, ents);
  if (!v) return "error: " + v.error().message;
  return v->str();
}

}  // namespace tollgate::cedar::testing
