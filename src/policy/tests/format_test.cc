#include "policy/format.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cedar/cedar.h"
#include "cedar/lexer.h"
#include "policy/ast_dump.h"

namespace tollgate::policy {
namespace {

namespace fs = std::filesystem;

std::string fmt(std::string_view text) {
  auto r = format_policies(text, "t.cedar");
  EXPECT_TRUE(r.ok()) << (r.ok() ? ""
                                 : r.error().message + ": " +
                                       (r.error().diagnostics.empty() ? "" : r.error().diagnostics[0].str()));
  return r.ok() ? *r : std::string();
}

// Every policy's structure, annotations included, in order.
std::string meaning(std::string_view text) {
  auto ps = cedar::parse_policy_list(text, "t.cedar");
  if (!ps) return "<error>";
  std::string out;
  for (const auto& p : *ps) out += dump_policy(*p, true) + "\n;\n";
  return out;
}

// Checks the formatter's promises on one input: it keeps the meaning, and
// formatting the output again changes nothing.
void check_properties(const std::string& text, const std::string& name) {
  auto once = format_policies(text, name);
  if (!cedar::parse_policy_list(text, name).ok()) {
    EXPECT_FALSE(once.ok()) << name << ": formatted text that does not parse";
    return;
  }
  ASSERT_TRUE(once.ok()) << name << ": " << once.error().message;
  EXPECT_EQ(meaning(text), meaning(*once)) << name << "\n--- formatted:\n" << *once;
  auto twice = format_policies(*once, name);
  ASSERT_TRUE(twice.ok()) << name;
  EXPECT_EQ(*once, *twice) << name << ": not idempotent";
}

TEST(Format, PutsAShortScopeOnOneLine) {
  EXPECT_EQ(fmt("permit(principal,action,resource);"), "permit (principal, action, resource);\n");
}

TEST(Format, BreaksALongScopeOneConstraintPerLine) {
  EXPECT_EQ(
      fmt(R"(forbid(principal in Tollgate::Team::"platform-engineering", action in [Tollgate::Action::"file.write",
    Tollgate::Action::"file.delete"], resource in Tollgate::Path::"/etc");)"),
      "forbid (\n"
      "  principal in Tollgate::Team::\"platform-engineering\",\n"
      "  action in [Tollgate::Action::\"file.write\", Tollgate::Action::\"file.delete\"],\n"
      "  resource in Tollgate::Path::\"/etc\"\n"
      ");\n");
}

TEST(Format, PutsEachAnnotationOnItsOwnLine) {
  EXPECT_EQ(fmt("@id(\"a\") @reason(\"why\") @flag permit(principal,action,resource);"),
            "@id(\"a\")\n@reason(\"why\")\n@flag\npermit (principal, action, resource);\n");
}

TEST(Format, KeepsAShortConditionInline) {
  EXPECT_EQ(fmt("permit(principal,action,resource) when{context.a&&!context.b} unless {resource.x<3};"),
            "permit (principal, action, resource)\nwhen { context.a && !context.b }\nunless { resource.x < 3 };\n");
}

TEST(Format, BreaksALongConditionAfterEachOperator) {
  std::string in =
      "permit(principal,action,resource) when { context.target.in_workspace && "
      "!context.target.labels.contains(\"secret\") && context.task.environment != \"prod\" };";
  EXPECT_EQ(fmt(in),
            "permit (principal, action, resource)\n"
            "when {\n"
            "  context.target.in_workspace &&\n"
            "  !context.target.labels.contains(\"secret\") &&\n"
            "  context.task.environment != \"prod\"\n"
            "};\n");
}

TEST(Format, IndentsANestedChainUnderItsOperator) {
  std::string in =
      "permit(principal,action,resource) when { context.aaaaaaaaaaaaaaaa || context.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb && "
      "context.cccccccccccccccccccccccccccccc && context.dddddddddddddddddddddddddddddd };";
  EXPECT_EQ(fmt(in),
            "permit (principal, action, resource)\n"
            "when {\n"
            "  context.aaaaaaaaaaaaaaaa ||\n"
            "  context.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb &&\n"
            "    context.cccccccccccccccccccccccccccccc &&\n"
            "    context.dddddddddddddddddddddddddddddd\n"
            "};\n");
}

TEST(Format, BreaksLongListsOfExpressionsOneElementPerLine) {
  std::string in =
      "forbid(principal,action,resource) when { [context.aaaaaaaaaaaaaaaaaaaaaaaaaa, "
      "context.bbbbbbbbbbbbbbbbbbbbbbbbbb, "
      "context.cccccccccccccccccccccccccc].contains(context.target.command.name) };";
  EXPECT_EQ(fmt(in),
            "forbid (principal, action, resource)\n"
            "when {\n"
            "  [\n"
            "    context.aaaaaaaaaaaaaaaaaaaaaaaaaa,\n"
            "    context.bbbbbbbbbbbbbbbbbbbbbbbbbb,\n"
            "    context.cccccccccccccccccccccccccc\n"
            "  ].contains(context.target.command.name)\n"
            "};\n");
}

TEST(Format, FillsLongListsOfLiterals) {
  std::string in =
      "forbid(principal,action,resource) when { context.target.command.args.containsAny([\"apply\", \"delete\", "
      "\"create\", \"replace\", \"patch\", \"scale\", \"rollout\", \"drain\", \"cordon\", \"edit\", \"set\", "
      "\"annotate\", \"label\", \"taint\"]) };";
  EXPECT_EQ(fmt(in),
            "forbid (principal, action, resource)\n"
            "when {\n"
            "  context.target.command.args.containsAny(\n"
            "    [\n"
            "      \"apply\", \"delete\", \"create\", \"replace\", \"patch\", \"scale\", \"rollout\", \"drain\", "
            "\"cordon\",\n"
            "      \"edit\", \"set\", \"annotate\", \"label\", \"taint\"\n"
            "    ]\n"
            "  )\n"
            "};\n");
}

TEST(Format, SeparatesPoliciesByOneBlankLine) {
  EXPECT_EQ(fmt("permit(principal,action,resource);\n\n\n\nforbid(principal,action,resource);"),
            "permit (principal, action, resource);\n\nforbid (principal, action, resource);\n");
}

TEST(Format, KeepsCommentsBeforeAndAtTheEndOfLines) {
  std::string in =
      "// header\n\n// about p\npermit(principal,action,resource) // trailing\n"
      "when { context.a && // why a\n context.b };\n// the end\n";
  EXPECT_EQ(fmt(in),
            "// header\n"
            "\n"
            "// about p\n"
            "permit (principal, action, resource) // trailing\n"
            "when {\n"
            "  context.a && // why a\n"
            "  context.b\n"
            "};\n"
            "// the end\n");
}

TEST(Format, KeepsACommentOnItsOwnLineInsideAnExpression) {
  std::string in = "permit(principal,action,resource) when { context.a &&\n  // explain b\n  context.b };";
  EXPECT_EQ(fmt(in),
            "permit (principal, action, resource)\n"
            "when {\n"
            "  context.a &&\n"
            "  // explain b\n"
            "  context.b\n"
            "};\n");
}

TEST(Format, NeverLetsACommentSwallowTheNextToken) {
  // A comment after `==` must not leave the right operand on its line.
  std::string in = "permit(principal == // who\n User::\"a\", action, resource);";
  std::string out = fmt(in);
  EXPECT_EQ(meaning(in), meaning(out)) << out;
  EXPECT_EQ(out, fmt(out));
}

TEST(Format, KeepsTokensExactly) {
  // Parentheses, `["…"]` access, trailing commas and escapes are the author's.
  std::string in =
      "permit(principal,action in [Action::\"a\",],resource) when { ((resource[\"x\"])) == \"\\u{e9}\\n\" };";
  EXPECT_EQ(fmt(in),
            "permit (principal, action in [Action::\"a\",], resource)\n"
            "when { ((resource[\"x\"])) == \"\\u{e9}\\n\" };\n");
}

TEST(Format, HandlesNegativeLiteralsAndUnaryChains) {
  std::string in = "permit(principal,action,resource) when { - -1 == --1 && !!true && 1 - -9223372036854775808 < 0 };";
  std::string out = fmt(in);
  EXPECT_EQ(out,
            "permit (principal, action, resource)\nwhen { --1 == --1 && !!true && 1 - -9223372036854775808 < 0 };\n");
  EXPECT_EQ(meaning(in), meaning(out));
}

TEST(Format, LeavesAnEmptyFileEmpty) {
  EXPECT_EQ(fmt(""), "");
  EXPECT_EQ(fmt("// only a comment"), "// only a comment\n");
}

TEST(Format, RefusesTextThatDoesNotParse) {
  auto r = format_policies("permit(principal, action, resource) when { 1 + };", "bad.cedar");
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(r.error().diagnostics.empty());
  EXPECT_EQ(r.error().diagnostics[0].file, "bad.cedar");
}

TEST(Format, IsIdempotentAndKeepsMeaningOnEveryForm) {
  const char* samples[] = {
      R"(@id("t") permit(principal == ?principal, action, resource in ?resource) when { principal has a.b.c };)",
      R"(forbid(principal is User in Group::"g", action == Action::"x", resource is Doc) unless { resource like "a*\*b" };)",
      R"(permit(principal,action,resource) when { if context.a then {k: 1, "s t": [1,2]} else {k: 2, "s t": []} == {} };)",
      R"(permit(principal,action,resource) when { ip("10.0.0.1").isInRange(ip("10.0.0.0/8")) && decimal("1.2").lessThan(decimal("2.0")) };)",
      R"(permit(principal,action,resource) when { datetime("2024-01-01").offset(duration("1h")) > datetime("2024-01-01") || principal is A::B::C in A::B::"x" };)",
      R"(permit(principal,action,resource) when { resource.getTag("k") == principal.hasTag("k") && context.x * 3 + 2 - 1 >= -4 };)",
      "permit(principal,action,resource) // a\n// b\nwhen // c\n{ // d\ncontext.a // e\n&& // f\ncontext.b // g\n} // "
      "h\n; // i\n// j",
  };
  for (const char* s : samples) check_properties(s, s);
}

// Property tests over the Cedar conformance corpus: every policy file must
// format to the same policies, idempotently, also with a comment after or
// before every single token (the hardest case for comment attachment).
std::vector<fs::path> cedar_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".cedar") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `text` with a comment after every token (`trailing`) or on a line before
// every token.
std::string with_comments(const std::string& text, bool trailing) {
  cedar::Lexer lex(text);
  std::string out;
  int n = 0;
  for (;;) {
    cedar::Token t = lex.next();
    if (t.kind == cedar::Tok::End || t.kind == cedar::Tok::Error) break;
    if (trailing) {
      out += std::string(t.text) + " // c" + std::to_string(n++) + "\n";
    } else {
      out += "// c" + std::to_string(n++) + "\n" + std::string(t.text) + " ";
    }
  }
  return out;
}

void check_corpus(const fs::path& dir, size_t& files) {
  for (const auto& p : cedar_files(dir)) {
    std::string text = read(p);
    check_properties(text, p.string());
    if (cedar::parse_policy_list(text, "x").ok()) {
      check_properties(with_comments(text, true), p.string() + " (trailing comments)");
      check_properties(with_comments(text, false), p.string() + " (leading comments)");
    }
    ++files;
    if (::testing::Test::HasFailure()) return;  // one broken file is enough to read
  }
}

TEST(FormatCorpus, KeepsMeaningOfEveryConformanceCorpusPolicy) {
  size_t files = 0;
  check_corpus(TOLLGATE_CORPUS_DIR, files);
  if (files == 0) GTEST_SKIP() << "corpus not unpacked at " << TOLLGATE_CORPUS_DIR;
}

TEST(FormatCorpus, KeepsMeaningOfEveryHandwrittenTestPolicy) {
  size_t files = 0;
  check_corpus(TOLLGATE_CEDAR_TESTS_DIR, files);
  if (files == 0) GTEST_SKIP() << "no Cedar integration tests at " << TOLLGATE_CEDAR_TESTS_DIR;
}

}  // namespace
}  // namespace tollgate::policy
