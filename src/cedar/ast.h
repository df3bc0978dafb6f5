// The Cedar abstract syntax tree: expressions, policies, templates and
// policy sets, as produced by the parser (cedar.h) and consumed by the
// evaluator. Nodes own their children; a PolicySet owns its policies and is
// immutable once built, so one PolicySet may be evaluated from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cedar/value.h"

namespace tollgate::cedar {

enum class Var : uint8_t { Principal, Action, Resource, Context };

// Built-in functions and methods, resolved at parse time.
enum class Fn : uint8_t {
  // constructors, called as functions
  Decimal,
  Ip,
  Datetime,
  Duration,
  // set and entity methods
  Contains,
  ContainsAll,
  ContainsAny,
  IsEmpty,
  GetTag,
  HasTag,
  // decimal methods
  LessThan,
  LessThanOrEqual,
  GreaterThan,
  GreaterThanOrEqual,
  // ipaddr methods
  IsIpv4,
  IsIpv6,
  IsLoopback,
  IsMulticast,
  IsInRange,
  // datetime and duration methods
  Offset,
  DurationSince,
  ToDate,
  ToTime,
  ToMilliseconds,
  ToSeconds,
  ToMinutes,
  ToHours,
  ToDays,
};

// How a built-in is called. Extension functions (constructors and the
// methods of the extension types) have their argument count checked when
// they are evaluated, as Cedar does; the set, tag and emptiness methods are
// operators whose argument count is checked by the parser.
struct FnInfo {
  Fn fn;
  bool method;     // called as `x.name(…)`
  bool extension;  // an extension function (arity checked at evaluation)
  int arity;       // arguments, counting the receiver of a method
};
// Looks up a function or method by name; nullptr when unknown.
const FnInfo* lookup_function(std::string_view name);

enum class Op : uint8_t {
  Lit,  // lit
  Var,  // var
  Not,
  Neg,  // kids[0]
  And,
  Or,  // kids[0], kids[1]
  If,  // kids[0] ? kids[1] : kids[2]
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Add,
  Sub,
  Mul,
  In,         // kids[0] op kids[1]
  Has,        // kids[0] has name
  GetAttr,    // kids[0].name
  Like,       // kids[0] like pattern
  Is,         // kids[0] is name
  IsIn,       // kids[0] is name in kids[1]
  SetLit,     // [kids...]
  RecordLit,  // {keys[i]: kids[i]}
  Call,       // fn(kids...); for methods kids[0] is the receiver
};

// One element of a `like` pattern: a literal run of bytes, or a wildcard.
struct PatternElem {
  bool wildcard = false;
  std::string text;
};

struct Expr {
  Op op = Op::Lit;
  Var var = Var::Principal;
  Fn fn = Fn::Decimal;
  const FnInfo* fn_info = nullptr;  // Call: resolved by the parser
  Value lit;
  std::string name;  // attribute name, entity type name
  std::vector<std::unique_ptr<Expr>> kids;
  std::vector<std::string> keys;     // RecordLit
  std::vector<PatternElem> pattern;  // Like
  SourceLoc loc;
  // SetLit, RecordLit, Call: the value, when the parser could compute it
  // once (see fold_constants). The node keeps its kids, so the validator
  // and printers see the expression as written.
  std::shared_ptr<const Value> folded;
};
using ExprPtr = std::unique_ptr<Expr>;

// Precomputes `folded` throughout `e`: set and record literals of
// constants, and extension functions applied to constants that succeed
// (`ip("10.0.0.0/8")`, `decimal("1.5")`, `duration("8h")`), so they are not
// rebuilt or re-parsed on every evaluation. A call that would fail is left
// alone, so its error still aborts the policy when it is evaluated.
void fold_constants(Expr& e);

enum class Effect : uint8_t { Permit, Forbid };

// A scope constraint on principal, action or resource.
struct ScopeConstraint {
  enum class Kind : uint8_t { Any, Eq, In, Is, IsIn, InList };
  Kind kind = Kind::Any;
  bool slot = false;            // the entity is the template slot (?principal / ?resource)
  EntityUID entity;             // Eq, In, IsIn (when !slot)
  std::string type;             // Is, IsIn
  std::vector<EntityUID> list;  // InList (action only)
};

struct Condition {
  bool when = true;  // false: `unless`
  ExprPtr expr;
};

struct Annotation {
  std::string key;
  std::optional<std::string> value;  // `@key` without a value has none
};

// A static policy or a template (a policy with slots in its scope).
struct Policy {
  std::string id;
  Effect effect = Effect::Permit;
  std::vector<Annotation> annotations;
  ScopeConstraint principal, action, resource;
  std::vector<Condition> conditions;
  std::string file;
  SourceLoc loc;

  bool is_template() const { return principal.slot || resource.slot; }
  const std::string* annotation(std::string_view key) const;
};

// A template filled in: evaluated as the template with its slots bound.
struct LinkedPolicy {
  std::string id;
  std::shared_ptr<const Policy> tmpl;
  std::optional<EntityUID> principal;
  std::optional<EntityUID> resource;
};

}  // namespace tollgate::cedar
