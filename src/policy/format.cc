// The formatter works in three steps:
//  1. lex with comments and attach each comment to a token: a comment on the
//     same line as the end of the token before it *trails* that token; any
//     other comment *leads* the token after it (the End token for comments
//     at the end of the file);
//  2. walk the tokens with a recursive descent that mirrors the parser's
//     grammar (cedar/parser.cc) and build a layout document: text, spaces,
//     optional line breaks, groups that are laid out flat when they fit and
//     broken otherwise, indentation (Wadler's "prettier printer");
//  3. render the document at kFormatWidth columns.
// A comment forces every group around it to break, so where a comment sits
// never depends on the width, and the attachment rule of step 1 finds the
// same comments on the same tokens in the output: formatting is idempotent.
// As a last guard the output is lexed again and must hold the same tokens
// and comments as the input.
#include "policy/format.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "cedar/cedar.h"
#include "cedar/lexer.h"

namespace tollgate::policy {

namespace {

using cedar::Tok;

struct Comment {
  std::string text;
  bool blank_before = false;  // an empty line separates it from what precedes it
};

struct FTok {
  Tok kind = Tok::End;
  std::string_view text;
  std::vector<Comment> leading;
  std::string trailing;       // empty: none
  bool blank_before = false;  // an empty line between the last leading comment and the token
};

uint32_t end_line(const cedar::Token& t) {
  return t.loc.line + static_cast<uint32_t>(std::count(t.text.begin(), t.text.end(), '\n'));
}

std::string trim_right(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) --n;
  return std::string(s.substr(0, n));
}

// Step 1. Fails on a lexical error (callers have parsed the text already).
bool attach_comments(std::string_view text, std::vector<FTok>& out) {
  cedar::Lexer lex(text, cedar::KeepComments::Yes);
  std::vector<Comment> pending;
  uint32_t last_token_line = 0;  // end line of the last real token (0: none yet)
  uint32_t last_item_line = 0;   // end line of the last token or comment
  bool trailing_free = false;    // the last token has no comment after it yet
  for (;;) {
    cedar::Token t = lex.next();
    if (t.kind == Tok::Error) return false;
    bool blank = last_item_line != 0 && t.loc.line > last_item_line + 1;
    if (t.kind == Tok::Comment) {
      if (trailing_free && !out.empty() && t.loc.line == last_token_line) {
        out.back().trailing = trim_right(t.text);
      } else {
        pending.push_back({trim_right(t.text), blank});
      }
      trailing_free = false;
      last_item_line = t.loc.line;
      continue;
    }
    FTok f;
    f.kind = t.kind;
    f.text = t.text;
    f.leading = std::move(pending);
    pending.clear();
    f.blank_before = blank && !f.leading.empty();
    out.push_back(std::move(f));
    if (t.kind == Tok::End) return true;
    last_token_line = last_item_line = end_line(t);
    trailing_free = true;
  }
}

// ---- the layout document ------------------------------------------------

// Columns taken by `s` (code points).
size_t width_of(std::string_view s) {
  size_t n = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

struct Doc {
  enum class Kind : uint8_t {
    Text,       // literal text
    Space,      // one space, dropped at the start of a line
    Line,       // a space when flat, a line break when broken
    FillLine,   // a Line that, when broken, breaks only if the next `width` columns do not fit
    SoftLine,   // nothing when flat, a line break when broken
    HardLine,   // always a line break
    BlankLine,  // a line break and one empty line
    Lead,       // a comment on its own line (text); blank line before it when `blank`
    Trail,      // a comment at the end of the current line (text)
    Concat,
    Group,  // kids flat when they fit, else broken
    Nest,   // kids indented by `indent` more after each line break
  };
  Kind kind = Kind::Concat;
  std::string_view text;
  bool blank = false;
  bool hard = false;  // holds something that forces a break
  int indent = 0;
  size_t width = 0;  // FillLine
  std::vector<Doc> kids;
};

using K = Doc::Kind;

Doc leaf(K k, std::string_view text = {}) {
  Doc d;
  d.kind = k;
  d.text = text;
  d.hard = k == K::HardLine || k == K::BlankLine || k == K::Lead || k == K::Trail ||
           (k == K::Text && text.find('\n') != std::string_view::npos);
  return d;
}

Doc node(K k, std::vector<Doc> kids, int indent = 0) {
  Doc d;
  d.kind = k;
  d.indent = indent;
  d.kids = std::move(kids);
  for (const auto& c : d.kids) d.hard = d.hard || c.hard;
  return d;
}

Doc cat(std::vector<Doc> kids) { return node(K::Concat, std::move(kids)); }
Doc group(std::vector<Doc> kids) { return node(K::Group, std::move(kids)); }
Doc nest(std::vector<Doc> kids) { return node(K::Nest, std::move(kids), 2); }
Doc space() { return leaf(K::Space); }
Doc line() { return leaf(K::Line); }
Doc softline() { return leaf(K::SoftLine); }

// ---- step 2: tokens to document ----------------------------------------

struct LayoutError {};

class Builder {
 public:
  explicit Builder(const std::vector<FTok>& toks) : t_(toks) {}

  Doc file() {
    std::vector<Doc> parts;
    while (cur().kind != Tok::End) {
      if (!parts.empty()) parts.push_back(leaf(K::BlankLine));
      parts.push_back(policy());
    }
    parts.push_back(tok());  // the End token: comments at the end of the file
    return cat(std::move(parts));
  }

 private:
  const FTok& cur() const { return t_[std::min(i_, t_.size() - 1)]; }
  bool at(Tok k) const { return cur().kind == k; }
  bool word(std::string_view w) const { return cur().kind == Tok::Ident && cur().text == w; }

  // The current token with its comments; advances.
  Doc tok() {
    const FTok& f = cur();
    if (i_ >= t_.size() || (f.kind == Tok::End && i_ + 1 != t_.size())) throw LayoutError{};
    ++i_;
    if (f.leading.empty() && f.trailing.empty()) return leaf(K::Text, f.text);
    std::vector<Doc> parts;
    for (const auto& c : f.leading) {
      Doc d = leaf(K::Lead, c.text);
      d.blank = c.blank_before;
      parts.push_back(std::move(d));
    }
    if (f.blank_before) parts.push_back(leaf(K::BlankLine));
    if (!f.text.empty()) parts.push_back(leaf(K::Text, f.text));
    if (!f.trailing.empty()) parts.push_back(leaf(K::Trail, f.trailing));
    return cat(std::move(parts));
  }

  Doc expect(Tok k) {
    if (!at(k)) throw LayoutError{};
    return tok();
  }

  // The current token in three parts, for the first and last token of a
  // group: its leading comments go before the group and its trailing comment
  // after it, so that they do not force the group to break.
  struct Parts {
    Doc lead, text, trail;
  };
  Parts tok_parts(Tok k) {
    if (!at(k)) throw LayoutError{};
    const FTok& f = cur();
    Parts p;
    p.lead = cat({});
    p.trail = cat({});
    if (f.leading.empty() && f.trailing.empty()) {
      p.text = tok();
      return p;
    }
    std::vector<Doc> lead;
    for (const auto& c : f.leading) {
      Doc d = leaf(K::Lead, c.text);
      d.blank = c.blank_before;
      lead.push_back(std::move(d));
    }
    if (f.blank_before) lead.push_back(leaf(K::BlankLine));
    p.lead = cat(std::move(lead));
    p.text = leaf(K::Text, f.text);
    if (!f.trailing.empty()) p.trail = leaf(K::Trail, f.trailing);
    ++i_;
    return p;
  }

  Doc policy() {
    std::vector<Doc> parts;
    while (at(Tok::At)) {
      std::vector<Doc> a{tok(), expect(Tok::Ident)};
      if (at(Tok::LParen)) {
        a.push_back(tok());
        a.push_back(expect(Tok::Str));
        a.push_back(expect(Tok::RParen));
      }
      parts.push_back(cat(std::move(a)));
      parts.push_back(leaf(K::HardLine));
    }
    Parts effect = tok_parts(Tok::Ident);
    Doc open = expect(Tok::LParen);
    Doc p = scope_var();
    Doc c1 = expect(Tok::Comma);
    Doc a = action_scope();
    Doc c2 = expect(Tok::Comma);
    Doc r = scope_var();
    Parts close = tok_parts(Tok::RParen);
    parts.push_back(std::move(effect.lead));
    parts.push_back(group(
        {std::move(effect.text), std::move(effect.trail), space(), std::move(open),
         nest({softline(), std::move(p), std::move(c1), line(), std::move(a), std::move(c2), line(), std::move(r)}),
         softline(), std::move(close.lead), std::move(close.text)}));
    parts.push_back(std::move(close.trail));
    while (word("when") || word("unless")) {
      parts.push_back(leaf(K::HardLine));
      Parts kw = tok_parts(Tok::Ident);
      Doc lb = expect(Tok::LBrace);
      Doc body = expr();
      Parts rb = tok_parts(Tok::RBrace);
      parts.push_back(std::move(kw.lead));
      parts.push_back(group({std::move(kw.text), std::move(kw.trail), space(), std::move(lb),
                             nest({line(), std::move(body)}), line(), std::move(rb.lead), std::move(rb.text)}));
      parts.push_back(std::move(rb.trail));
    }
    parts.push_back(expect(Tok::Semi));
    return cat(std::move(parts));
  }

  // `Path '::' STR`, or a `?principal` / `?resource` slot.
  Doc entity_or_slot() {
    if (at(Tok::Question)) return cat({tok(), expect(Tok::Ident)});
    return path(true);
  }

  // IDENT {'::' IDENT} ['::' STR]; with `entity` the string is required.
  Doc path(bool entity) {
    std::vector<Doc> parts{expect(Tok::Ident)};
    while (at(Tok::ColonColon)) {
      parts.push_back(tok());
      if (at(Tok::Str)) {
        parts.push_back(tok());
        return cat(std::move(parts));
      }
      parts.push_back(expect(Tok::Ident));
    }
    if (entity) throw LayoutError{};
    return cat(std::move(parts));
  }

  Doc scope_var() {
    std::vector<Doc> parts{expect(Tok::Ident)};
    if (at(Tok::Eq) || word("in")) {
      parts.push_back(space());
      parts.push_back(tok());
      parts.push_back(space());
      parts.push_back(entity_or_slot());
    } else if (word("is")) {
      parts.push_back(space());
      parts.push_back(tok());
      parts.push_back(space());
      parts.push_back(path(false));
      if (word("in")) {
        parts.push_back(space());
        parts.push_back(tok());
        parts.push_back(space());
        parts.push_back(entity_or_slot());
      }
    }
    return cat(std::move(parts));
  }

  Doc action_scope() {
    std::vector<Doc> parts{expect(Tok::Ident)};
    if (at(Tok::Eq) || word("in")) {
      parts.push_back(space());
      parts.push_back(tok());
      parts.push_back(space());
      parts.push_back(at(Tok::LBracket) ? list(Tok::RBracket, [this] { return path(true); }) : path(true));
    }
    return cat(std::move(parts));
  }

  // A literal token (string or integer) with no comments: lists of these
  // are filled (as many per line as fit) rather than one per line.
  bool plain_literal(size_t i) const {
    const FTok& f = t_[i];
    return (f.kind == Tok::Str || f.kind == Tok::Int) && f.leading.empty() && f.trailing.empty();
  }

  // open item {',' item} [','] close: flat, or broken with one item per line
  // (literals: as many per line as fit).
  template <class Item>
  Doc list(Tok close, Item item) {
    Parts open = tok_parts(cur().kind);
    std::vector<Doc> inner{softline()};
    std::vector<size_t> seps;  // indices in `inner` of the separators
    bool any = false, literals = true;
    while (!at(close)) {
      if (at(Tok::End)) throw LayoutError{};
      any = true;
      size_t first = i_;
      inner.push_back(item());
      literals = literals && i_ == first + 1 && plain_literal(first);
      if (at(Tok::Comma)) {
        literals = literals && t_[i_].leading.empty() && t_[i_].trailing.empty();
        inner.push_back(tok());
        if (!at(close)) {
          seps.push_back(inner.size());
          inner.push_back(line());
        }
      } else if (!at(close)) {
        throw LayoutError{};
      }
    }
    if (literals) {
      for (size_t k : seps) {
        inner[k].kind = K::FillLine;
        // The next item and the comma after it, if any.
        inner[k].width = width_of(inner[k + 1].text) + (k + 2 < inner.size() ? 1 : 0);
      }
    }
    Parts closing = tok_parts(close);
    if (!any) {
      return cat({std::move(open.lead), std::move(open.text), std::move(open.trail), std::move(closing.lead),
                  std::move(closing.text), std::move(closing.trail)});
    }
    // A comment after the opening bracket stays on its line (and breaks the list).
    return cat({std::move(open.lead),
                group({std::move(open.text), std::move(open.trail), nest(std::move(inner)), softline(),
                       std::move(closing.lead), std::move(closing.text)}),
                std::move(closing.trail)});
  }

  // ---- expressions ----

  Doc expr() {
    if (++depth_ > cedar::kMaxDepth + 8) throw LayoutError{};
    Doc out;
    if (word("if")) {
      Doc kw = tok();
      Doc c = expr();
      if (!word("then")) throw LayoutError{};
      Doc th = tok();
      Doc t = expr();
      if (!word("else")) throw LayoutError{};
      Doc el = tok();
      Doc e = expr();
      out = group({std::move(kw), space(), std::move(c),
                   nest({line(), std::move(th), space(), std::move(t), line(), std::move(el), space(), std::move(e)})});
    } else {
      bool multi = false;
      out = chain(
          Tok::Or,
          [this](bool& m) {
            return chain(
                Tok::And, [this](bool&) { return relation(); }, m);
          },
          multi);
    }
    --depth_;
    return out;
  }

  // operand {op operand}: broken after each operator, continuation lines at
  // the same indent; an operand that is itself a broken chain is indented.
  template <class Operand>
  Doc chain(Tok op, Operand operand, bool& multi) {
    bool inner_multi = false;
    Doc first = operand(inner_multi);
    if (!at(op)) {
      multi = inner_multi;
      return first;
    }
    multi = true;
    auto wrap = [](Doc d, bool m) { return m ? nest({std::move(d)}) : d; };
    std::vector<Doc> parts{wrap(std::move(first), inner_multi)};
    while (at(op)) {
      parts.push_back(space());
      parts.push_back(tok());
      parts.push_back(line());
      inner_multi = false;
      Doc next = operand(inner_multi);
      parts.push_back(wrap(std::move(next), inner_multi));
    }
    return group(std::move(parts));
  }

  static bool relop(Tok k) {
    return k == Tok::Eq || k == Tok::Ne || k == Tok::Lt || k == Tok::Le || k == Tok::Gt || k == Tok::Ge;
  }

  Doc relation() {
    Doc l = add();
    if (relop(cur().kind) || word("in")) {
      Doc op = tok();
      return group({std::move(l), space(), std::move(op), nest({line(), add()})});
    }
    if (word("has")) {
      std::vector<Doc> parts{std::move(l), space(), tok(), space()};
      if (at(Tok::Str)) {
        parts.push_back(tok());
      } else {
        parts.push_back(expect(Tok::Ident));
        while (at(Tok::Dot)) {
          parts.push_back(tok());
          parts.push_back(expect(Tok::Ident));
        }
      }
      return cat(std::move(parts));
    }
    if (word("like")) {
      Doc kw = tok();
      return cat({std::move(l), space(), std::move(kw), space(), expect(Tok::Str)});
    }
    if (word("is")) {
      Doc kw = tok();
      std::vector<Doc> parts{std::move(l), space(), std::move(kw), space(), path(false)};
      if (word("in")) {
        Doc in = tok();
        parts.push_back(space());
        parts.push_back(std::move(in));
        parts.push_back(nest({line(), add()}));
        return group(std::move(parts));
      }
      return cat(std::move(parts));
    }
    return l;
  }

  // Arithmetic chains: continuation lines indented.
  template <class Operand>
  Doc arith(bool (*is_op)(Tok), Operand operand) {
    Doc first = operand();
    if (!is_op(cur().kind)) return first;
    std::vector<Doc> rest;
    while (is_op(cur().kind)) {
      rest.push_back(space());
      rest.push_back(tok());
      rest.push_back(line());
      rest.push_back(operand());
    }
    return group({std::move(first), nest(std::move(rest))});
  }

  Doc add() {
    return arith([](Tok k) { return k == Tok::Plus || k == Tok::Minus; },
                 [this] { return arith([](Tok k) { return k == Tok::Star; }, [this] { return unary(); }); });
  }

  Doc unary() {
    std::vector<Doc> parts;
    while (at(Tok::Not) || at(Tok::Minus)) parts.push_back(tok());
    parts.push_back(member());
    return parts.size() == 1 ? std::move(parts[0]) : cat(std::move(parts));
  }

  Doc member() {
    std::vector<Doc> parts{primary()};
    for (;;) {
      if (at(Tok::Dot)) {
        parts.push_back(tok());
        parts.push_back(expect(Tok::Ident));
        if (at(Tok::LParen)) parts.push_back(list(Tok::RParen, [this] { return expr(); }));
      } else if (at(Tok::LBracket)) {
        parts.push_back(tok());
        parts.push_back(expect(Tok::Str));
        parts.push_back(expect(Tok::RBracket));
      } else {
        break;
      }
    }
    return parts.size() == 1 ? std::move(parts[0]) : cat(std::move(parts));
  }

  Doc primary() {
    switch (cur().kind) {
      case Tok::Int:
      case Tok::Str: return tok();
      case Tok::LParen: {
        Parts open = tok_parts(Tok::LParen);
        Doc inner = expr();
        Parts close = tok_parts(Tok::RParen);
        return cat({std::move(open.lead),
                    group({std::move(open.text), std::move(open.trail), nest({softline(), std::move(inner)}),
                           softline(), std::move(close.lead), std::move(close.text)}),
                    std::move(close.trail)});
      }
      case Tok::LBracket: return list(Tok::RBracket, [this] { return expr(); });
      case Tok::LBrace:
        return list(Tok::RBrace, [this] {
          Doc key = at(Tok::Str) ? tok() : expect(Tok::Ident);
          Doc colon = expect(Tok::Colon);
          return cat({std::move(key), std::move(colon), space(), expr()});
        });
      case Tok::Ident: break;
      default: throw LayoutError{};
    }
    Doc p = path(false);
    if (at(Tok::LParen)) return cat({std::move(p), list(Tok::RParen, [this] { return expr(); })});
    return p;
  }

  const std::vector<FTok>& t_;
  size_t i_ = 0;
  int depth_ = 0;
};

// ---- step 3: rendering --------------------------------------------------

class Renderer {
 public:
  std::string render(const Doc& root) {
    stack_.push_back({0, false, &root});
    while (!stack_.empty()) {
      Cmd c = stack_.back();
      stack_.pop_back();
      const Doc& d = *c.doc;
      switch (d.kind) {
        case K::Text: text(d.text, c.indent); break;
        case K::Space:
          if (!pending_ && !out_.empty()) put(" ");
          break;
        case K::Line:
          if (c.flat) {
            if (!pending_ && !out_.empty()) put(" ");
          } else {
            brk(c.indent);
          }
          break;
        case K::FillLine:
          if (c.flat || (!pending_ && col_ + 1 + d.width <= static_cast<size_t>(kFormatWidth))) {
            if (!pending_ && !out_.empty()) put(" ");
          } else {
            brk(c.indent);
          }
          break;
        case K::SoftLine:
          if (!c.flat) brk(c.indent);
          break;
        case K::HardLine: brk(c.indent); break;
        case K::BlankLine:
          brk(c.indent);
          blank_ = true;
          break;
        case K::Lead: {
          // The token after the comment lines up with the comment.
          if (!pending_) brk(c.indent);
          blank_ = blank_ || d.blank;
          int at = pending_indent_ >= 0 ? pending_indent_ : c.indent;
          text(d.text, c.indent);
          brk(at);
          break;
        }
        case K::Trail:
          put(" ");
          put(d.text);
          pending_ = true;
          pending_indent_ = -1;  // the next token decides its indent
          break;
        case K::Concat:
        case K::Nest:
        case K::Group: {
          bool flat = c.flat;
          if (d.kind == K::Group && !flat) flat = !d.hard && fits(d, c.indent);
          int indent = c.indent + (d.kind == K::Nest ? d.indent : 0);
          for (auto it = d.kids.rbegin(); it != d.kids.rend(); ++it) stack_.push_back({indent, flat, &*it});
          break;
        }
      }
    }
    if (!out_.empty()) out_ += '\n';
    return std::move(out_);
  }

 private:
  struct Cmd {
    int indent;
    bool flat;
    const Doc* doc;
  };

  void put(std::string_view s) {
    out_ += s;
    auto nl = s.rfind('\n');
    col_ = nl == std::string_view::npos ? col_ + width_of(s) : width_of(s.substr(nl + 1));
  }

  // A line break is due before the next text, indented by `indent` (the
  // indent where the break was decided, not where the text sits).
  void brk(int indent) {
    pending_ = true;
    pending_indent_ = indent;
  }

  void text(std::string_view s, int indent) {
    if (pending_indent_ >= 0) indent = pending_indent_;
    if (pending_ && !out_.empty()) {
      out_ += blank_ ? "\n\n" : "\n";
      out_.append(static_cast<size_t>(indent), ' ');
      col_ = static_cast<size_t>(indent);
    }
    pending_ = blank_ = false;
    pending_indent_ = -1;
    put(s);
  }

  // Whether `g` laid out flat, followed by what comes after it up to the
  // next line break, stays within the width.
  bool fits(const Doc& g, int indent) const {
    int start = pending_indent_ >= 0 ? pending_indent_ : indent;
    long room = kFormatWidth - static_cast<long>(pending_ ? static_cast<size_t>(start) : col_);
    std::vector<std::pair<const Doc*, bool>> work;  // doc, flat
    work.push_back({&g, true});
    size_t rest = stack_.size();
    for (;;) {
      if (work.empty()) {
        if (rest == 0) return true;
        --rest;
        work.push_back({stack_[rest].doc, stack_[rest].flat});
      }
      auto [d, flat] = work.back();
      work.pop_back();
      switch (d->kind) {
        case K::Text:
          if (d->hard) return false;
          room -= static_cast<long>(width_of(d->text));
          break;
        case K::Space: room -= 1; break;
        case K::Line:
        case K::FillLine:
          if (!flat) return true;
          room -= 1;
          break;
        case K::SoftLine:
          if (!flat) return true;
          break;
        case K::HardLine:
        case K::BlankLine:
        case K::Lead:
        case K::Trail: return true;
        case K::Concat:
        case K::Nest:
        case K::Group: {
          bool f = flat || (d->kind == K::Group && !d->hard);
          for (auto it = d->kids.rbegin(); it != d->kids.rend(); ++it) work.push_back({&*it, f});
          break;
        }
      }
      if (room < 0) return false;
    }
  }

  std::vector<Cmd> stack_;
  std::string out_;
  size_t col_ = 0;
  bool pending_ = false;  // a line break is due before the next text
  bool blank_ = false;    // … and an empty line
  int pending_indent_ = -1;
};

// The tokens (kind and text) and comments of `text`, for the final check.
bool same_tokens(std::string_view a, std::string_view b) {
  cedar::Lexer la(a, cedar::KeepComments::Yes), lb(b, cedar::KeepComments::Yes);
  for (;;) {
    cedar::Token x = la.next(), y = lb.next();
    if (x.kind != y.kind) return false;
    if (x.kind == Tok::Comment ? trim_right(x.text) != trim_right(y.text) : x.text != y.text) return false;
    if (x.kind == Tok::End || x.kind == Tok::Error) return x.kind == Tok::End;
  }
}

}  // namespace

Result<std::string> format_policies(std::string_view text, std::string_view file) {
  auto parsed = cedar::parse_policy_list(text, file);
  if (!parsed) return std::move(parsed).error();
  std::vector<FTok> toks;
  if (!attach_comments(text, toks)) return Error(std::string(file) + ": cannot tokenize the policy text");
  Doc doc;
  try {
    doc = Builder(toks).file();
  } catch (const LayoutError&) {
    return Error(std::string(file) + ": internal error: the formatter does not understand this policy text");
  }
  std::string out = Renderer().render(doc);
  if (!same_tokens(text, out)) {
    return Error(std::string(file) + ": internal error: formatting would change the tokens; file left alone");
  }
  return out;
}

}  // namespace tollgate::policy
