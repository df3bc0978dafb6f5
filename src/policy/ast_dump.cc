#include "policy/ast_dump.h"

namespace tollgate::policy {

namespace {

using cedar::Op;

const char* op_name(Op op) {
  switch (op) {
    case Op::Lit: return "lit";
    case Op::Var: return "var";
    case Op::Not: return "!";
    case Op::Neg: return "neg";
    case Op::And: return "&&";
    case Op::Or: return "||";
    case Op::If: return "if";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::In: return "in";
    case Op::Has: return "has";
    case Op::GetAttr: return ".";
    case Op::Like: return "like";
    case Op::Is: return "is";
    case Op::IsIn: return "is-in";
    case Op::SetLit: return "set";
    case Op::RecordLit: return "record";
    case Op::Call: return "call";
  }
  return "?";
}

const char* var_name(cedar::Var v) {
  switch (v) {
    case cedar::Var::Principal: return "principal";
    case cedar::Var::Action: return "action";
    case cedar::Var::Resource: return "resource";
    case cedar::Var::Context: return "context";
  }
  return "?";
}

std::string quoted(const std::string& s) { return "\"" + cedar::escape_string(s) + "\""; }

void dump(const cedar::Expr& e, std::string& out) {
  out += '(';
  out += op_name(e.op);
  switch (e.op) {
    case Op::Lit:
      out += ' ';
      out += std::string(cedar::kind_name(e.lit.kind()));
      out += ' ';
      out += e.lit.str();
      break;
    case Op::Var:
      out += ' ';
      out += var_name(e.var);
      break;
    case Op::Like:
      for (const auto& p : e.pattern) out += p.wildcard ? std::string(" *") : " " + quoted(p.text);
      break;
    case Op::Call:
      out += ' ';
      out += e.name;
      out += e.fn_info && e.fn_info->method ? " method" : " function";
      break;
    case Op::Has:
    case Op::GetAttr:
    case Op::Is:
    case Op::IsIn:
      out += ' ';
      out += quoted(e.name);
      break;
    default: break;
  }
  for (const auto& k : e.keys) out += " " + quoted(k);
  for (const auto& k : e.kids) {
    out += ' ';
    dump(*k, out);
  }
  out += ')';
}

std::string scope(const char* var, const cedar::ScopeConstraint& sc, const std::optional<cedar::EntityUID>& bound) {
  using Kind = cedar::ScopeConstraint::Kind;
  auto target = [&] {
    if (!sc.slot) return sc.entity.str();
    if (bound) return bound->str();
    return std::string("?") + var;
  };
  std::string out = var;
  switch (sc.kind) {
    case Kind::Any: break;
    case Kind::Eq: out += " == " + target(); break;
    case Kind::In: out += " in " + target(); break;
    case Kind::Is: out += " is " + sc.type; break;
    case Kind::IsIn: out += " is " + sc.type + " in " + target(); break;
    case Kind::InList:
      out += " in [";
      for (size_t i = 0; i < sc.list.size(); ++i) out += (i ? ", " : "") + sc.list[i].str();
      out += "]";
      break;
  }
  return out;
}

}  // namespace

std::string dump_expr(const cedar::Expr& e) {
  std::string out;
  dump(e, out);
  return out;
}

std::string dump_policy(const cedar::Policy& p, bool annotations, const std::optional<cedar::EntityUID>& principal_slot,
                        const std::optional<cedar::EntityUID>& resource_slot) {
  std::string out;
  if (annotations) {
    for (const auto& a : p.annotations) out += "@" + a.key + (a.value ? "(" + quoted(*a.value) + ")" : "") + "\n";
  }
  out += p.effect == cedar::Effect::Permit ? "permit " : "forbid ";
  out += scope("principal", p.principal, principal_slot) + ", " + scope("action", p.action, std::nullopt) + ", " +
         scope("resource", p.resource, resource_slot);
  for (const auto& c : p.conditions) {
    out += c.when ? "\nwhen " : "\nunless ";
    dump(*c.expr, out);
  }
  return out;
}

}  // namespace tollgate::policy
