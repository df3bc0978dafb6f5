// The conditions of a policy set compiled into a compact, contiguous form
// for authorize(): every node of every policy in one array, in the order the
// policies were added, each node 20 bytes with its children right after it
// (pre-order, each node knowing where its subtree ends), the literals in one
// array of values, attribute names, string literals and `like` patterns in
// one array of bytes. A policy's code is a few adjacent cache lines instead
// of a tree of separately allocated 176-byte nodes, so the code of the
// policies a request meets can be prefetched all at once, and the
// evaluator does not chase pointers through it.
//
// Chains of attribute reads from a variable (`context.env`,
// `principal.agent.trust`) are one node, numbered by the path they read: the
// evaluator remembers each path's value for the request, so the policies of
// one request share their reads. Comparisons with a string literal compare
// against the bytes kept here.
//
// The compiled form is an implementation detail of PolicySet; the AST stays
// the authority (the validator, the printers, `evaluate` and `satisfied`
// use it). Internal to src/cedar.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cedar/ast.h"
#include "cedar/value.h"

namespace tollgate::cedar {

struct Request;
class Entities;

class Program {
 public:
  enum class Op : uint8_t {
    Cond,  // one `when` (sub 1) or `unless` (sub 0) clause; kid: the expression
    Lit,   // values[a]
    Var,   // sub: Var
    Path,  // sub: Var; n attribute names from strs[a]; b: path id
    Not,
    Neg,
    And,
    Or,
    If,
    Eq,
    Ne,
    EqStr,  // kid == the string chars[a, a+b) (the literal side of an `==`)
    NeStr,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    In,
    IsIn,       // type chars[a, a+b); two kids
    Is,         // type chars[a, a+b)
    Has,        // n names from strs[a]
    GetAttr,    // name chars[a, a+b)
    Like,       // n pattern elements from pats[a]
    SetLit,     // n kids
    RecordLit,  // n kids, keys from strs[a]
    Call,       // n kids; name strs[a]; fns[b] (may be null: unknown)
  };
  struct Node {
    Op op = Op::Lit;
    uint8_t sub = 0;
    uint32_t n = 0;
    uint32_t end = 0;  // index one past this node's subtree; the first kid is at index + 1
    uint32_t a = 0;
    uint32_t b = 0;
  };
  struct Str {
    uint32_t off = 0, len = 0;
  };
  struct Pat {
    uint32_t off = 0, len = 0;
    bool wildcard = false;
  };
  // One policy's code: its clauses are the Cond nodes in [begin, end), one
  // after the other; the other ranges are what they refer to (for
  // prefetching).
  struct Code {
    uint32_t begin = 0, end = 0;
    uint32_t vbegin = 0, vend = 0;
    uint32_t sbegin = 0, send = 0;
    uint32_t cbegin = 0, cend = 0;
    uint32_t pbegin = 0, pend = 0;
    Effect effect = Effect::Permit;
  };

  // Compiles the conditions of `p` and appends them.
  Code add(const Policy& p);

  std::string_view chars_at(uint32_t off, uint32_t len) const { return {chars.data() + off, len}; }
  std::string_view str(uint32_t i) const { return chars_at(strs[i].off, strs[i].len); }
  // Number of distinct attribute paths (Path::b is below it).
  uint32_t path_count() const { return static_cast<uint32_t>(path_ids_.size()); }

  std::vector<Node> nodes;
  std::vector<Value> values;
  std::vector<Str> strs;
  std::vector<char> chars;
  std::vector<Pat> pats;
  std::vector<const FnInfo*> fns;

 private:
  uint32_t compile(const Expr& e);
  uint32_t push(Op op, uint8_t sub = 0);
  Str text(std::string_view s);
  uint32_t add_str(std::string_view s);
  std::unordered_map<std::string, uint32_t> path_ids_;
};

}  // namespace tollgate::cedar
