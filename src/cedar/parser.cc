// Recursive-descent parser for Cedar policy text.
//
// Grammar (Cedar 4.5):
//   Policies   ::= {Policy}
//   Policy     ::= {Annotation} ('permit' | 'forbid') '(' Scope ')' {Condition} ';'
//   Annotation ::= '@' IDENT ['(' STR ')']
//   Scope      ::= Principal ',' Action ',' Resource
//   Principal  ::= 'principal' [('==' | 'in') (Entity | '?principal')
//                               | 'is' Path ['in' (Entity | '?principal')]]
//   Action     ::= 'action' [('==' Entity) | 'in' (Entity | '[' [EntList] ']')]
//   Resource   ::= like Principal with 'resource' and '?resource'
//   Condition  ::= ('when' | 'unless') '{' Expr '}'
//   Expr       ::= Or | 'if' Expr 'then' Expr 'else' Expr
//   Or         ::= And {'||' And}
//   And        ::= Relation {'&&' Relation}
//   Relation   ::= Add [RELOP Add | 'has' (IDENT {'.' IDENT} | STR) | 'like' STR
//                       | 'is' Path ['in' Add]]
//   RELOP      ::= '<' | '<=' | '>=' | '>' | '!=' | '==' | 'in'
//   Add        ::= Mult {('+' | '-') Mult}
//   Mult       ::= Unary {'*' Unary}
//   Unary      ::= ['!'{1,4} | '-'{1,4}] Member
//   Member     ::= Primary {'.' IDENT ['(' [Args] ')'] | '[' STR ']'}
//   Primary    ::= INT | STR | 'true' | 'false' | Var | Entity | Path '(' [Args] ')'
//                | '(' Expr ')' | '[' [Args] ']' | '{' [Fields] '}'
//   Entity     ::= Path '::' STR          Path ::= IDENT {'::' IDENT}
// Trailing commas are accepted in lists, records and arguments. Nesting is
// capped at kMaxDepth so hostile input cannot exhaust the stack.
#include <algorithm>
#include <cstring>
#include <set>
#include <unordered_map>

#include "cedar/cedar.h"
#include "cedar/lexer.h"

namespace tollgate::cedar {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

const FnInfo* lookup_function(std::string_view name) {
  static const std::unordered_map<std::string_view, FnInfo> fns = {
      {"decimal", {Fn::Decimal, false, true, 1}},
      {"ip", {Fn::Ip, false, true, 1}},
      {"datetime", {Fn::Datetime, false, true, 1}},
      {"duration", {Fn::Duration, false, true, 1}},
      {"contains", {Fn::Contains, true, false, 2}},
      {"containsAll", {Fn::ContainsAll, true, false, 2}},
      {"containsAny", {Fn::ContainsAny, true, false, 2}},
      {"isEmpty", {Fn::IsEmpty, true, false, 1}},
      {"getTag", {Fn::GetTag, true, false, 2}},
      {"hasTag", {Fn::HasTag, true, false, 2}},
      {"lessThan", {Fn::LessThan, true, true, 2}},
      {"lessThanOrEqual", {Fn::LessThanOrEqual, true, true, 2}},
      {"greaterThan", {Fn::GreaterThan, true, true, 2}},
      {"greaterThanOrEqual", {Fn::GreaterThanOrEqual, true, true, 2}},
      {"isIpv4", {Fn::IsIpv4, true, true, 1}},
      {"isIpv6", {Fn::IsIpv6, true, true, 1}},
      {"isLoopback", {Fn::IsLoopback, true, true, 1}},
      {"isMulticast", {Fn::IsMulticast, true, true, 1}},
      {"isInRange", {Fn::IsInRange, true, true, 2}},
      {"offset", {Fn::Offset, true, true, 2}},
      {"durationSince", {Fn::DurationSince, true, true, 2}},
      {"toDate", {Fn::ToDate, true, true, 1}},
      {"toTime", {Fn::ToTime, true, true, 1}},
      {"toMilliseconds", {Fn::ToMilliseconds, true, true, 1}},
      {"toSeconds", {Fn::ToSeconds, true, true, 1}},
      {"toMinutes", {Fn::ToMinutes, true, true, 1}},
      {"toHours", {Fn::ToHours, true, true, 1}},
      {"toDays", {Fn::ToDays, true, true, 1}},
  };
  auto it = fns.find(name);
  return it == fns.end() ? nullptr : &it->second;
}

const std::string* Policy::annotation(std::string_view key) const {
  for (const auto& a : annotations) {
    if (a.key == key) return a.value ? &*a.value : nullptr;
  }
  return nullptr;
}

namespace {

struct ParseError {};  // unwinds to the policy boundary; the diagnostic is already recorded

const std::set<std::string_view>& reserved_words() {
  static const std::set<std::string_view> words = {"true", "false", "if", "then", "else", "in", "is", "like", "has"};
  return words;
}

class Parser {
 public:
  Parser(std::string_view src, std::string_view file) : lex_(src), file_(file) { tok_ = lex_.next(); }

  std::vector<Diagnostic>& diags() { return diags_; }

  // Parses every policy; on a syntax error skips to the next `;` at brace
  // depth zero and goes on, so all errors are reported.
  std::vector<std::shared_ptr<Policy>> policies() {
    std::vector<std::shared_ptr<Policy>> out;
    int index = 0;
    while (tok_.kind != Tok::End) {
      try {
        auto p = policy();
        p->id = "policy" + std::to_string(index);
        out.push_back(std::move(p));
      } catch (const ParseError&) {
        recover();
      }
      ++index;
    }
    return out;
  }

  ExprPtr whole_expression() {
    auto e = expr(0);
    if (tok_.kind != Tok::End) fail(tok_.loc, "unexpected " + describe(tok_) + " after the expression");
    return e;
  }

 private:
  [[noreturn]] void fail(SourceLoc loc, std::string msg) {
    if (diags_.size() < 100) diags_.push_back({std::string(file_), loc, std::move(msg)});
    throw ParseError{};
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::End: return "end of input";
      case Tok::Error: return t.error;
      case Tok::Str: return "string literal";
      case Tok::Int: return "integer literal `" + std::string(t.text) + "`";
      default: return "`" + std::string(t.text) + "`";
    }
  }

  void bump() {
    tok_ = lex_.next();
    if (tok_.kind == Tok::Error) fail(tok_.loc, tok_.error);
  }

  void expect(Tok k, const char* what) {
    if (tok_.kind != k) fail(tok_.loc, std::string("expected ") + what + ", found " + describe(tok_));
    bump();
  }

  bool is_ident(std::string_view word) const { return tok_.kind == Tok::Ident && tok_.text == word; }

  void recover() {
    int depth = 0;
    for (;;) {
      if (tok_.kind == Tok::End) return;
      if (tok_.kind == Tok::LBrace || tok_.kind == Tok::LParen || tok_.kind == Tok::LBracket) ++depth;
      if (tok_.kind == Tok::RBrace || tok_.kind == Tok::RParen || tok_.kind == Tok::RBracket)
        depth = std::max(0, depth - 1);
      bool semi = tok_.kind == Tok::Semi && depth == 0;
      tok_ = lex_.next();
      if (semi) return;
    }
  }

  std::string string_literal(bool pattern_ok = false) {
    if (tok_.kind != Tok::Str) fail(tok_.loc, "expected a string literal, found " + describe(tok_));
    std::string out, err;
    std::string_view body = tok_.text.substr(1, tok_.text.size() - 2);
    if (!unescape(body, out, err)) fail(tok_.loc, err);
    (void)pattern_ok;
    bump();
    return out;
  }

  // ---- policies --------------------------------------------------------

  std::shared_ptr<Policy> policy() {
    auto p = std::make_shared<Policy>();
    p->file = std::string(file_);
    p->loc = tok_.loc;
    while (tok_.kind == Tok::At) {
      SourceLoc at = tok_.loc;
      bump();
      if (tok_.kind != Tok::Ident) fail(tok_.loc, "expected an annotation name after `@`");
      Annotation a{std::string(tok_.text), std::nullopt};
      bump();
      if (tok_.kind == Tok::LParen) {
        bump();
        a.value = string_literal();
        expect(Tok::RParen, "`)` after the annotation value");
      }
      for (const auto& other : p->annotations) {
        if (other.key == a.key) fail(at, "duplicate annotation `@" + a.key + "`");
      }
      p->annotations.push_back(std::move(a));
    }
    if (is_ident("permit")) {
      p->effect = Effect::Permit;
    } else if (is_ident("forbid")) {
      p->effect = Effect::Forbid;
    } else {
      fail(tok_.loc, "expected `permit` or `forbid`, found " + describe(tok_));
    }
    bump();
    expect(Tok::LParen, "`(`");
    p->principal = scope_var("principal", "?principal");
    expect(Tok::Comma, "`,` after the principal constraint");
    p->action = action_scope();
    expect(Tok::Comma, "`,` after the action constraint");
    p->resource = scope_var("resource", "?resource");
    if (tok_.kind == Tok::Comma) {
      fail(tok_.loc, "unexpected `,` after the resource constraint: a scope has exactly principal, action, resource");
    }
    expect(Tok::RParen, "`)` to close the scope");
    while (is_ident("when") || is_ident("unless")) {
      Condition c;
      c.when = tok_.text == "when";
      bump();
      SourceLoc open = tok_.loc;
      expect(Tok::LBrace, "`{`");
      if (tok_.kind == Tok::RBrace) fail(open, std::string("empty `") + (c.when ? "when" : "unless") + "` clause");
      c.expr = expr(0);
      fold_constants(*c.expr);
      expect(Tok::RBrace, "`}` to close the condition");
      p->conditions.push_back(std::move(c));
    }
    if (tok_.kind != Tok::Semi) {
      fail(tok_.loc, "expected `when`, `unless` or `;` after the policy scope, found " + describe(tok_));
    }
    bump();
    return p;
  }

  std::string path(std::string first) {
    std::string name = std::move(first);
    while (tok_.kind == Tok::ColonColon) {
      bump();
      if (tok_.kind != Tok::Ident) fail(tok_.loc, "expected an identifier after `::`, found " + describe(tok_));
      check_name_part(tok_);
      name += "::";
      name += tok_.text;
      bump();
    }
    return name;
  }

  void check_name_part(const Token& t) {
    if (reserved_words().count(t.text)) {
      fail(t.loc, "`" + std::string(t.text) + "` is a reserved word and cannot be used in a name");
    }
    if (t.text == "__cedar") fail(t.loc, "the `__cedar` namespace is reserved");
  }

  // Entity reference: Path '::' STR. Current token is the first identifier.
  EntityUID entity_ref() {
    if (tok_.kind != Tok::Ident) fail(tok_.loc, "expected an entity reference, found " + describe(tok_));
    check_name_part(tok_);
    std::string type(tok_.text);
    bump();
    for (;;) {
      if (tok_.kind != Tok::ColonColon) fail(tok_.loc, "expected `::` in an entity reference, found " + describe(tok_));
      bump();
      if (tok_.kind == Tok::Str) break;
      if (tok_.kind != Tok::Ident)
        fail(tok_.loc, "expected an identifier or string after `::`, found " + describe(tok_));
      check_name_part(tok_);
      type += "::";
      type += tok_.text;
      bump();
    }
    std::string id = string_literal();
    return EntityUID(std::move(type), std::move(id));
  }

  ScopeConstraint scope_var(const char* var, const char* slot) {
    if (!is_ident(var)) fail(tok_.loc, std::string("expected `") + var + "`, found " + describe(tok_));
    bump();
    ScopeConstraint sc;
    auto target = [&](ScopeConstraint& s) {
      if (tok_.kind == Tok::Question) {
        SourceLoc q = tok_.loc;
        bump();
        if (tok_.kind != Tok::Ident || tok_.text != std::string_view(slot + 1)) {
          fail(q, std::string("expected the slot `") + slot + "` here");
        }
        bump();
        s.slot = true;
      } else if (tok_.kind == Tok::LBracket) {
        fail(tok_.loc, std::string("a list of entities is only allowed for `action in [...]`, not for `") + var + "`");
      } else {
        s.entity = entity_ref();
      }
    };
    if (tok_.kind == Tok::Eq) {
      bump();
      sc.kind = ScopeConstraint::Kind::Eq;
      target(sc);
    } else if (is_ident("in")) {
      bump();
      sc.kind = ScopeConstraint::Kind::In;
      target(sc);
    } else if (is_ident("is")) {
      bump();
      if (tok_.kind != Tok::Ident) fail(tok_.loc, "expected an entity type after `is`, found " + describe(tok_));
      check_name_part(tok_);
      std::string first(tok_.text);
      bump();
      sc.type = path(std::move(first));
      sc.kind = ScopeConstraint::Kind::Is;
      if (is_ident("in")) {
        bump();
        sc.kind = ScopeConstraint::Kind::IsIn;
        target(sc);
      }
    } else if (tok_.kind != Tok::Comma && tok_.kind != Tok::RParen) {
      fail(tok_.loc, std::string("expected `==`, `in`, `is`, `,` or `)` after `") + var + "`, found " + describe(tok_));
    }
    return sc;
  }

  EntityUID action_ref() {
    SourceLoc loc = tok_.loc;
    EntityUID uid = entity_ref();
    const std::string& t = uid.type();
    if (!(t == "Action" || (t.size() > 8 && t.compare(t.size() - 8, 8, "::Action") == 0))) {
      fail(loc, "expected an action entity of type `Action`, found `" + uid.str() + "`");
    }
    return uid;
  }

  ScopeConstraint action_scope() {
    if (!is_ident("action")) fail(tok_.loc, "expected `action`, found " + describe(tok_));
    bump();
    ScopeConstraint sc;
    if (tok_.kind == Tok::Eq) {
      bump();
      if (tok_.kind == Tok::Question) fail(tok_.loc, "slots are not allowed in the action constraint");
      sc.kind = ScopeConstraint::Kind::Eq;
      sc.entity = action_ref();
    } else if (is_ident("in")) {
      bump();
      if (tok_.kind == Tok::Question) fail(tok_.loc, "slots are not allowed in the action constraint");
      if (tok_.kind == Tok::LBracket) {
        bump();
        sc.kind = ScopeConstraint::Kind::InList;
        while (tok_.kind != Tok::RBracket) {
          sc.list.push_back(action_ref());
          if (tok_.kind == Tok::Comma) {
            bump();
          } else if (tok_.kind != Tok::RBracket) {
            fail(tok_.loc, "expected `,` or `]` in the action list, found " + describe(tok_));
          }
        }
        bump();
      } else {
        sc.kind = ScopeConstraint::Kind::In;
        sc.entity = action_ref();
      }
    } else if (is_ident("is")) {
      fail(tok_.loc, "`is` is not allowed in the action constraint");
    } else if (tok_.kind != Tok::Comma) {
      fail(tok_.loc, "expected `==`, `in` or `,` after `action`, found " + describe(tok_));
    }
    return sc;
  }

  // ---- expressions -----------------------------------------------------

  ExprPtr node(Op op, SourceLoc loc) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->loc = loc;
    return e;
  }

  ExprPtr binary(Op op, ExprPtr l, ExprPtr r, SourceLoc loc) {
    auto e = node(op, loc);
    e->kids.push_back(std::move(l));
    e->kids.push_back(std::move(r));
    return e;
  }

  // Depth guard: every nested construct passes through enter().
  struct DepthGuard {
    int& d;
    ~DepthGuard() { --d; }
  };
  DepthGuard enter(SourceLoc loc) {
    if (++depth_ > kMaxDepth)
      fail(loc, "expression nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
    return DepthGuard{depth_};
  }
  // Left-associative chains (a + b + c …) deepen the tree without recursion;
  // count them against the same budget.
  void chain_step(int& n, SourceLoc loc) {
    if (++n + depth_ > kMaxDepth)
      fail(loc, "expression nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
  }

  ExprPtr expr(int) {
    auto g = enter(tok_.loc);
    if (is_ident("if")) {
      SourceLoc loc = tok_.loc;
      bump();
      auto c = expr(0);
      if (!is_ident("then")) fail(tok_.loc, "expected `then`, found " + describe(tok_));
      bump();
      auto t = expr(0);
      if (!is_ident("else")) fail(tok_.loc, "expected `else`, found " + describe(tok_));
      bump();
      auto f = expr(0);
      auto e = node(Op::If, loc);
      e->kids.push_back(std::move(c));
      e->kids.push_back(std::move(t));
      e->kids.push_back(std::move(f));
      return e;
    }
    return or_expr();
  }

  ExprPtr or_expr() {
    auto l = and_expr();
    int n = 0;
    while (tok_.kind == Tok::Or) {
      SourceLoc loc = tok_.loc;
      chain_step(n, loc);
      bump();
      l = binary(Op::Or, std::move(l), and_expr(), loc);
    }
    return l;
  }

  ExprPtr and_expr() {
    auto l = relation();
    int n = 0;
    while (tok_.kind == Tok::And) {
      SourceLoc loc = tok_.loc;
      chain_step(n, loc);
      bump();
      l = binary(Op::And, std::move(l), relation(), loc);
    }
    return l;
  }

  ExprPtr relation() {
    auto l = add();
    SourceLoc loc = tok_.loc;
    Op op;
    switch (tok_.kind) {
      case Tok::Eq: op = Op::Eq; break;
      case Tok::Ne: op = Op::Ne; break;
      case Tok::Lt: op = Op::Lt; break;
      case Tok::Le: op = Op::Le; break;
      case Tok::Gt: op = Op::Gt; break;
      case Tok::Ge: op = Op::Ge; break;
      case Tok::Assign: fail(loc, "unexpected `=`; did you mean `==`?");
      case Tok::Ident:
        if (tok_.text == "in") {
          op = Op::In;
          break;
        }
        if (tok_.text == "has") return has_expr(std::move(l));
        if (tok_.text == "like") {
          bump();
          return like_expr(std::move(l), loc);
        }
        if (tok_.text == "is") return is_expr(std::move(l));
        return l;
      default: return l;
    }
    bump();
    auto r = add();
    auto e = binary(op, std::move(l), std::move(r), loc);
    check_no_chained_relation();
    return e;
  }

  void check_no_chained_relation() {
    switch (tok_.kind) {
      case Tok::Eq:
      case Tok::Ne:
      case Tok::Lt:
      case Tok::Le:
      case Tok::Gt:
      case Tok::Ge: fail(tok_.loc, "comparison operators cannot be chained; add parentheses");
      case Tok::Ident:
        if (tok_.text == "in" || tok_.text == "has" || tok_.text == "like" || tok_.text == "is") {
          fail(tok_.loc, "`" + std::string(tok_.text) + "` cannot follow a comparison without parentheses");
        }
        return;
      default: return;
    }
  }

  // An unquoted attribute name or record key: not a reserved word, and not
  // `__cedar` (reserved for Cedar's own namespace).
  void check_attr_ident(const Token& t) {
    if (reserved_words().count(t.text) || t.text == "__cedar") {
      fail(t.loc, "`" + std::string(t.text) + "` is reserved; write it as a string: [\"" + std::string(t.text) + "\"]");
    }
  }

  std::string attr_name(const char* ctx) {
    if (tok_.kind == Tok::Ident) {
      check_attr_ident(tok_);
      std::string n(tok_.text);
      bump();
      return n;
    }
    fail(tok_.loc, std::string("expected an attribute name ") + ctx + ", found " + describe(tok_));
  }

  ExprPtr has_expr(ExprPtr l) {
    SourceLoc loc = tok_.loc;
    bump();
    std::vector<std::string> names;
    if (tok_.kind == Tok::Str) {
      names.push_back(string_literal());
    } else {
      names.push_back(attr_name("after `has`"));
      while (tok_.kind == Tok::Dot) {
        bump();
        names.push_back(attr_name("after `.`"));
      }
    }
    check_no_chained_relation();
    // `e has a.b.c` means `e has a && e.a has b && e.a.b has c`; it is kept
    // as one node with the path (name, then keys) so that long paths stay
    // linear in size. Each step counts against the nesting budget.
    int n = 0;
    for (size_t i = 1; i < names.size(); ++i) chain_step(n, loc);
    auto h = node(Op::Has, loc);
    h->name = std::move(names[0]);
    h->keys.assign(std::make_move_iterator(names.begin() + 1), std::make_move_iterator(names.end()));
    h->kids.push_back(std::move(l));
    return h;
  }

  ExprPtr like_expr(ExprPtr l, SourceLoc loc) {
    if (tok_.kind != Tok::Str) fail(tok_.loc, "expected a pattern string after `like`, found " + describe(tok_));
    std::string bytes, err;
    std::vector<bool> stars;
    std::string_view body = tok_.text.substr(1, tok_.text.size() - 2);
    if (!unescape(body, bytes, err, &stars)) fail(tok_.loc, err);
    bump();
    auto e = node(Op::Like, loc);
    e->kids.push_back(std::move(l));
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (stars[i]) {
        if (e->pattern.empty() || !e->pattern.back().wildcard) e->pattern.push_back({true, {}});
      } else {
        if (e->pattern.empty() || e->pattern.back().wildcard) e->pattern.push_back({false, {}});
        e->pattern.back().text += bytes[i];
      }
    }
    check_no_chained_relation();
    return e;
  }

  ExprPtr is_expr(ExprPtr l) {
    SourceLoc loc = tok_.loc;
    bump();
    if (tok_.kind != Tok::Ident) fail(tok_.loc, "expected an entity type after `is`, found " + describe(tok_));
    check_name_part(tok_);
    std::string first(tok_.text);
    bump();
    std::string type = path(std::move(first));
    if (is_ident("in")) {
      bump();
      auto e = node(Op::IsIn, loc);
      e->name = std::move(type);
      e->kids.push_back(std::move(l));
      e->kids.push_back(add());
      check_no_chained_relation();
      return e;
    }
    auto e = node(Op::Is, loc);
    e->name = std::move(type);
    e->kids.push_back(std::move(l));
    check_no_chained_relation();
    return e;
  }

  ExprPtr add() {
    auto l = mult();
    int n = 0;
    while (tok_.kind == Tok::Plus || tok_.kind == Tok::Minus) {
      Op op = tok_.kind == Tok::Plus ? Op::Add : Op::Sub;
      SourceLoc loc = tok_.loc;
      chain_step(n, loc);
      bump();
      l = binary(op, std::move(l), mult(), loc);
    }
    return l;
  }

  ExprPtr mult() {
    auto l = unary();
    int n = 0;
    while (tok_.kind == Tok::Star) {
      SourceLoc loc = tok_.loc;
      chain_step(n, loc);
      bump();
      l = binary(Op::Mul, std::move(l), unary(), loc);
    }
    return l;
  }

  ExprPtr unary() {
    if (tok_.kind != Tok::Not && tok_.kind != Tok::Minus) return member();
    Tok k = tok_.kind;
    SourceLoc loc = tok_.loc;
    int count = 0;
    while (tok_.kind == k) {
      ++count;
      bump();
    }
    if (count > 4) fail(loc, std::string("too many `") + (k == Tok::Not ? "!" : "-") + "` in a row (at most 4)");
    if (tok_.kind == Tok::Not || tok_.kind == Tok::Minus)
      fail(tok_.loc, "`!` and `-` cannot be mixed without parentheses");
    ExprPtr e;
    if (k == Tok::Minus && tok_.kind == Tok::Int) {
      // A negated integer literal is folded, so the minimum i64 is writable.
      SourceLoc il = tok_.loc;
      std::string_view digits = tok_.text;
      bump();
      e = int_literal(digits, il, true);
      e = postfix(std::move(e));
      --count;
    } else {
      e = member();
    }
    for (int i = 0; i < count; ++i) {
      auto n = node(k == Tok::Not ? Op::Not : Op::Neg, loc);
      n->kids.push_back(std::move(e));
      e = std::move(n);
    }
    return e;
  }

  ExprPtr int_literal(std::string_view digits, SourceLoc loc, bool negative) {
    // Accumulate as a negative number so that -9223372036854775808 fits.
    int64_t v = 0;
    for (char c : digits) {
      if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, c - '0', &v)) {
        fail(loc, "integer literal `" + std::string(negative ? "-" : "") + std::string(digits) + "` is out of range");
      }
    }
    if (!negative) {
      if (v == INT64_MIN) fail(loc, "integer literal `" + std::string(digits) + "` is out of range");
      v = -v;
    }
    auto e = node(Op::Lit, loc);
    e->lit = Value(v);
    return e;
  }

  ExprPtr member() { return postfix(primary()); }

  ExprPtr postfix(ExprPtr e) {
    int n = 0;
    for (;;) {
      if (tok_.kind == Tok::Dot) {
        SourceLoc loc = tok_.loc;
        chain_step(n, loc);
        bump();
        if (tok_.kind != Tok::Ident)
          fail(tok_.loc, "expected an attribute or method name after `.`, found " + describe(tok_));
        SourceLoc nloc = tok_.loc;
        std::string name(tok_.text);
        bump();
        if (tok_.kind == Tok::LParen) {
          const FnInfo* info = lookup_function(name);
          if (!info) fail(nloc, "`" + name + "` is not a known method");
          if (!info->method) fail(nloc, "`" + name + "` is a function, not a method: write `" + name + "(…)`");
          auto c = node(Op::Call, nloc);
          c->fn = info->fn;
          c->fn_info = info;
          c->name = name;
          c->kids.push_back(std::move(e));
          args(c->kids, Tok::RParen);
          if (!info->extension) check_arity(*c, info->arity, nloc);
          e = std::move(c);
        } else {
          check_attr_ident(Token{Tok::Ident, name, nloc, {}});
          auto g = node(Op::GetAttr, loc);
          g->name = std::move(name);
          g->kids.push_back(std::move(e));
          e = std::move(g);
        }
      } else if (tok_.kind == Tok::LBracket) {
        SourceLoc loc = tok_.loc;
        chain_step(n, loc);
        bump();
        if (tok_.kind != Tok::Str) fail(tok_.loc, "expected a string literal inside `[...]`, found " + describe(tok_));
        auto g = node(Op::GetAttr, loc);
        g->name = string_literal();
        g->kids.push_back(std::move(e));
        expect(Tok::RBracket, "`]`");
        e = std::move(g);
      } else {
        return e;
      }
    }
  }

  void check_arity(const Expr& c, int want, SourceLoc loc) {
    int got = static_cast<int>(c.kids.size()) - 1;  // without the receiver
    if (got != want - 1) {
      fail(loc, "`" + c.name + "` takes " + std::to_string(want - 1) + " argument" + (want == 2 ? "" : "s") +
                    ", found " + std::to_string(got));
    }
  }

  void args(std::vector<ExprPtr>& out, Tok close) {
    bump();  // the opening token
    while (tok_.kind != close) {
      out.push_back(expr(0));
      if (tok_.kind == Tok::Comma) {
        bump();
      } else if (tok_.kind != close) {
        fail(tok_.loc,
             std::string("expected `,` or `") + (close == Tok::RParen ? ")" : "]") + "`, found " + describe(tok_));
      }
    }
    bump();
  }

  ExprPtr primary() {
    auto g = enter(tok_.loc);
    SourceLoc loc = tok_.loc;
    switch (tok_.kind) {
      case Tok::Int: {
        std::string_view digits = tok_.text;
        bump();
        return int_literal(digits, loc, false);
      }
      case Tok::Str: {
        auto e = node(Op::Lit, loc);
        e->lit = Value(string_literal());
        return e;
      }
      case Tok::LParen: {
        bump();
        auto e = expr(0);
        expect(Tok::RParen, "`)`");
        return e;
      }
      case Tok::LBracket: {
        auto e = node(Op::SetLit, loc);
        args(e->kids, Tok::RBracket);
        return e;
      }
      case Tok::LBrace: return record_literal();
      case Tok::Question: fail(loc, "template slots may only appear in the policy scope");
      case Tok::Ident: break;
      default: fail(loc, "expected an expression, found " + describe(tok_));
    }
    std::string_view word = tok_.text;
    if (word == "true" || word == "false") {
      bump();
      auto e = node(Op::Lit, loc);
      e->lit = Value(word == "true");
      return e;
    }
    static const std::pair<std::string_view, Var> vars[] = {
        {"principal", Var::Principal}, {"action", Var::Action}, {"resource", Var::Resource}, {"context", Var::Context}};
    Token first = tok_;
    bump();
    if (tok_.kind != Tok::ColonColon && tok_.kind != Tok::LParen) {
      for (const auto& [n, v] : vars) {
        if (word == n) {
          auto e = node(Op::Var, loc);
          e->var = v;
          return e;
        }
      }
      if (reserved_words().count(word)) fail(loc, "unexpected reserved word `" + std::string(word) + "`");
      fail(loc, "unknown variable `" + std::string(word) + "`; variables are principal, action, resource and context");
    }
    if (tok_.kind == Tok::LParen) {
      const FnInfo* info = lookup_function(word);
      if (!info) fail(loc, "`" + std::string(word) + "` is not a known function");
      if (info->method) {
        fail(loc, "`" + std::string(word) + "` is a method, not a function: write `x." + std::string(word) + "(…)`");
      }
      auto c = node(Op::Call, loc);
      c->fn = info->fn;
      c->fn_info = info;
      c->name = std::string(word);
      args(c->kids, Tok::RParen);
      return c;
    }
    // Path '::' … : an entity reference, or a namespaced function call.
    check_name_part(first);
    std::string type(word);
    for (;;) {
      bump();  // '::'
      if (tok_.kind == Tok::Str) break;
      if (tok_.kind != Tok::Ident)
        fail(tok_.loc, "expected an identifier or string after `::`, found " + describe(tok_));
      check_name_part(tok_);
      std::string part(tok_.text);
      bump();
      if (tok_.kind == Tok::LParen) fail(loc, "`" + type + "::" + part + "` is not a known function");
      type += "::" + part;
      if (tok_.kind != Tok::ColonColon) fail(tok_.loc, "expected `::` in an entity reference, found " + describe(tok_));
    }
    std::string id = string_literal();
    auto e = node(Op::Lit, loc);
    e->lit = Value(EntityUID(std::move(type), std::move(id)));
    return e;
  }

  ExprPtr record_literal() {
    auto e = node(Op::RecordLit, tok_.loc);
    bump();
    std::set<std::string> seen;
    while (tok_.kind != Tok::RBrace) {
      SourceLoc kloc = tok_.loc;
      std::string key;
      if (tok_.kind == Tok::Str) {
        key = string_literal();
      } else if (tok_.kind == Tok::Ident) {
        check_attr_ident(tok_);
        key = std::string(tok_.text);
        bump();
      } else {
        fail(tok_.loc, "expected a record key, found " + describe(tok_));
      }
      if (!seen.insert(key).second) fail(kloc, "duplicate key `" + key + "` in record literal");
      expect(Tok::Colon, "`:` after the record key");
      e->keys.push_back(std::move(key));
      e->kids.push_back(expr(0));
      if (tok_.kind == Tok::Comma) {
        bump();
      } else if (tok_.kind != Tok::RBrace) {
        fail(tok_.loc, "expected `,` or `}` in record literal, found " + describe(tok_));
      }
    }
    bump();
    return e;
  }

  Lexer lex_;
  std::string_view file_;
  Token tok_;
  std::vector<Diagnostic> diags_;
  int depth_ = 0;
};

Error utf8_error(std::string_view file) {
  return Error("policy text is not valid UTF-8", {Diagnostic{std::string(file), {1, 1}, "input is not valid UTF-8"}});
}

}  // namespace

Result<std::vector<std::shared_ptr<Policy>>> parse_policy_list(std::string_view text, std::string_view file) {
  if (!valid_utf8(text)) return utf8_error(file);
  std::vector<Diagnostic> diags;
  std::vector<std::shared_ptr<Policy>> parsed;
  {
    Parser p(text, file);
    try {
      parsed = p.policies();
    } catch (const ParseError&) {
      // an error in the very first token; already recorded
    }
    diags = std::move(p.diags());
  }
  if (!diags.empty()) {
    std::string summary = std::to_string(diags.size()) + " error(s) in policies";
    return Error(std::move(summary), std::move(diags));
  }
  return parsed;
}

Result<PolicySet> parse_policies(std::string_view text, std::string_view file) {
  auto parsed = parse_policy_list(text, file);
  if (!parsed) return std::move(parsed).error();
  PolicySet set;
  for (auto& p : *parsed) {
    if (auto st = set.add(std::move(p)); !st.ok()) return st.error();
  }
  return set;
}

Result<ExprPtr> parse_expression(std::string_view text, std::string_view file) {
  if (!valid_utf8(text)) return utf8_error(file);
  std::optional<Parser> p;
  try {
    p.emplace(text, file);
    return p->whole_expression();
  } catch (const ParseError&) {
    auto diags = p ? std::move(p->diags()) : std::vector<Diagnostic>{};
    if (diags.empty()) diags.push_back({std::string(file), {1, 1}, "invalid expression"});
    std::string first = diags.front().message;
    return Error(std::move(first), std::move(diags));
  }
}

}  // namespace tollgate::cedar
