#include "cedar/validator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cedar/cedar.h"

namespace tollgate::cedar {
namespace {

constexpr std::string_view kSchema = R"(
entity Group in [Group] { name: String };
entity User in [Group] {
  name: String,
  age?: Long,
  manager?: User,
  roles: Set<String>,
  addr: { street: String, zip?: Long },
} tags String;
entity Doc { owner: User, path: String, size: Long, readers: Set<User> };
entity Folder;
entity Color enum ["red", "green"];
action view appliesTo { principal: [User], resource: [Doc], context: { ip: ipaddr, mfa?: Bool, when: datetime } };
action edit in [view] appliesTo { principal: User, resource: [Doc, Folder] };
action paint appliesTo { principal: User, resource: Color };
)";

Schema schema_of(std::string_view text = kSchema) {
  auto s = parse_schema(text, "s.cedarschema");
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : Schema{};
}

ValidationResult run(std::string_view policies, std::string_view links = {}, std::string_view schema = kSchema) {
  auto set = parse_policies(policies, "p.cedar");
  EXPECT_TRUE(set.ok()) << (set.ok() ? "" : set.error().diagnostics.at(0).str());
  if (!set.ok()) return {};
  if (!links.empty()) {
    auto st = apply_links(*set, links, "links.json");
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  }
  return validate(*set, schema_of(schema));
}

// Every error as `line:col: message`.
std::vector<std::string> errors(const ValidationResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors)
    out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " + d.message);
  return out;
}

bool mentions(const std::vector<Diagnostic>& diags, std::string_view part) {
  for (const auto& d : diags)
    if (d.message.find(part) != std::string::npos) return true;
  return false;
}

std::string dump(const ValidationResult& r) {
  std::string out;
  for (const auto& d : r.errors) out += d.str() + "\n";
  for (const auto& d : r.warnings) out += d.str() + "\n";
  return out;
}

void expect_valid(std::string_view policy) {
  auto r = run(policy);
  EXPECT_TRUE(r.ok()) << policy << "\n" << dump(r);
}

void expect_error(std::string_view policy, std::string_view part) {
  auto r = run(policy);
  EXPECT_FALSE(r.ok()) << policy;
  EXPECT_TRUE(mentions(r.errors, part)) << policy << "\nexpected an error mentioning: " << part << "\n" << dump(r);
}

TEST(Validator, AcceptsWellTypedPolicy) {
  auto r = run(R"(permit(principal, action == Action::"view", resource)
                  when { principal.name == resource.path && resource.size > 3 && principal in resource.owner };)");
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(r.warnings.empty()) << dump(r);
}

TEST(Validator, RejectsUnguardedOptionalAttribute) {
  auto r = run("permit(principal, action, resource) when { principal.age > 21 };");
  ASSERT_EQ(errors(r).size(), 1u) << dump(r);
  EXPECT_EQ(errors(r)[0],
            "1:53: attribute `age` on entity type `User` is optional and may be absent; guard the "
            "access with `principal has age && ...`");
}

TEST(Validator, AcceptsOptionalAttributeGuardedByHas) {
  expect_valid("permit(principal, action, resource) when { principal has age && principal.age > 21 };");
  expect_valid("permit(principal, action, resource) when { if principal has age then principal.age > 21 else false };");
  expect_valid("permit(principal, action, resource) when { principal has age } when { principal.age > 21 };");
  expect_valid("permit(principal, action, resource) when { principal has manager.age && principal.manager.age > 1 };");
  expect_valid(R"(permit(principal, action, resource)
                  when { (principal has age && principal.age > 1) || (principal has age && principal.age < 0) };)");
  expect_valid("permit(principal, action, resource) when { principal.addr has zip && principal.addr.zip == 1 };");
}

TEST(Validator, RejectsGuardsThatDoNotCoverTheAccess) {
  expect_error("permit(principal, action, resource) when { principal has age || principal.age > 21 };", "`age`");
  expect_error("permit(principal, action, resource) when { !(principal has age) || principal.age > 21 };", "`age`");
  expect_error("permit(principal, action, resource) when { principal.manager.name == \"x\" };", "`manager`");
  expect_error("permit(principal, action, resource) when { principal has age && resource.owner.age == 1 };", "`age`");
  expect_error(R"(permit(principal, action, resource)
                  when { if principal has age then true else principal.age > 1 };)",
               "`age`");
}

TEST(Validator, ReportsImpossiblePolicyAsError) {
  // No action applies to a Doc principal: an error, not just a warning.
  auto r = run(R"(permit(principal == Doc::"a", action == Action::"view", resource);)");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_NE(r.errors[0].message.find("matches no action"), std::string::npos);
  EXPECT_EQ(r.errors[0].loc.line, 1u);
  EXPECT_EQ(r.errors[0].loc.col, 1u);
}

TEST(Validator, SuggestsInWhenScopeNamesAGroup) {
  auto r = run(R"(permit(principal == Group::"g", action == Action::"view", resource);)");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(split_help(r.errors[0].message).second, "try replacing `==` with `in` in the principal clause");
}

TEST(Validator, WarnsWhenConditionIsAlwaysFalse) {
  auto r = run(R"(permit(principal, action == Action::"view", resource) when { false && principal.nope };)");
  EXPECT_TRUE(r.ok()) << dump(r);  // the right of `false &&` is never checked
  ASSERT_EQ(r.warnings.size(), 1u) << dump(r);
  EXPECT_TRUE(r.warnings[0].warning);
  EXPECT_NE(r.warnings[0].message.find("impossible"), std::string::npos);
}

TEST(Validator, SuggestsNearestAttributeName) {
  auto r = run(R"(permit(principal, action == Action::"view", resource) when { resource.pth == "x" };)");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  auto [message, help] = split_help(r.errors[0].message);
  EXPECT_EQ(message, "attribute `pth` not found on entity type `Doc`");
  EXPECT_EQ(help, "did you mean `resource.path`?");
}

TEST(Validator, SuggestsNearestEntityTypeAndAction) {
  auto r = run(R"(permit(principal == Usr::"a", action == Action::"veiw", resource);)");
  EXPECT_TRUE(mentions(r.errors, "unrecognized entity type `Usr`; did you mean `User`?")) << dump(r);
  EXPECT_TRUE(mentions(r.errors, "unrecognized action `Action::\"veiw\"`; did you mean `Action::\"view\"`?"))
      << dump(r);
}

TEST(Validator, RejectsUnknownNamesInConditions) {
  expect_error("permit(principal, action, resource) when { principal is Usr };", "unrecognized entity type `Usr`");
  expect_error("permit(principal, action, resource) when { principal in Nope::\"x\" };", "`Nope`");
  expect_error("permit(principal, action, resource) when { action == Action::\"nope\" };", "unrecognized action");
}

TEST(Validator, RejectsUndeclaredEnumId) {
  expect_error(R"(permit(principal, action == Action::"paint", resource == Color::"blue");)",
               "the declared values are `Color::\"red\"`, `Color::\"green\"`");
  expect_error(R"(permit(principal, action, resource) when { resource == Color::"gren" };)",
               "did you mean `Color::\"green\"`?");
  expect_valid(R"(permit(principal, action == Action::"paint", resource == Color::"red");)");
}

TEST(Validator, RejectsEmptySetLiteral) {
  expect_error("permit(principal, action, resource) when { principal.roles.containsAny([]) };", "empty set");
}

TEST(Validator, RequiresEqualTypesInStrictMode) {
  expect_error(R"(permit(principal, action, resource) when { [1, "a"].contains(1) };)", "set literal (Long, String)");
  expect_error("permit(principal, action, resource) when { principal.name == 1 };", "operands of `==`");
  expect_error("permit(principal, action, resource) when { principal.roles.contains(1) };", "`contains`");
  expect_error("permit(principal, action, resource) when { principal.roles.containsAll([1]) };", "`containsAll`");
  expect_error(R"(permit(principal, action, resource) when { (if principal.name == "a" then 1 else "b") == 1 };)",
               "two branches of an `if`");
  expect_error(R"(permit(principal, action, resource) when { principal.addr == { street: "x" } };)",
               "record types must have exactly the same attributes");
  expect_error(R"(permit(principal, action == Action::"view", resource)
                  when { [principal, resource].isEmpty() };)",
               "different entity types are never compatible");
}

TEST(Validator, AllowsEqualityThatIsSimplyFalse) {
  // Different entity types, or two literals: decided statically, not an error.
  expect_valid(R"(permit(principal, action == Action::"view", resource) when { principal == resource || true };)");
  expect_valid(R"(permit(principal, action, resource) when { 1 == "a" || true };)");
}

TEST(Validator, TypesComparisonsAndArithmetic) {
  expect_error(R"(permit(principal, action == Action::"view", resource) when { context.when < 5 };)",
               "expected Long but found datetime");
  expect_valid(R"(permit(principal, action == Action::"view", resource)
                  when { context.when < datetime("2024-01-01") && duration("1h") <= duration("2h") };)");
  expect_error("permit(principal, action, resource) when { principal.name + 1 > 0 };",
               "Cedar does not support string concatenation");
  expect_error("permit(principal, action, resource) when { principal.name like \"a*\" && principal.roles like \"a\" };",
               "expected String but found Set<String>");
}

TEST(Validator, ChecksExtensionConstructors) {
  expect_error(R"(permit(principal, action, resource) when { ip("bad").isIpv4() };)", "is not an IP address");
  expect_error(R"(permit(principal, action, resource) when { decimal("1.23456").lessThan(decimal("1.0")) };)",
               "is not a decimal value");
  expect_error("permit(principal, action, resource) when { ip(principal.name).isIpv4() };",
               "must be called with a string literal");
  expect_error(R"(permit(principal, action, resource) when { ip("1.2.3.4", "5").isIpv4() };)",
               "`ip` takes 1 argument, found 2");
  expect_error(R"(permit(principal, action, resource) when { decimal("1.5").lessThan(2) };)",
               "expected decimal but found Long");
  expect_valid(R"(permit(principal, action == Action::"view", resource)
                  when { context.ip.isInRange(ip("10.0.0.0/8")) && decimal("1.5").lessThan(decimal("2.0")) };)");
}

TEST(Validator, RequiresHasTagBeforeGetTag) {
  expect_error(R"(permit(principal, action, resource) when { principal.getTag("k") == "v" };)",
               "not guarded by `hasTag`; test for the tag first with `principal.hasTag(\"k\") && ...`");
  expect_valid(
      R"(permit(principal, action, resource) when { principal.hasTag("k") && principal.getTag("k") == "v" };)");
  expect_error(R"(permit(principal, action, resource) when { principal.hasTag("k") && principal.getTag("k") == 1 };)",
               "operands of `==`");
  // Doc declares no tags: `hasTag` is always false there, so nothing after it is checked.
  auto r = run(R"(permit(principal, action == Action::"view", resource)
                  when { resource.hasTag("k") && resource.getTag("k") == "v" };)");
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.warnings.size(), 1u) << dump(r);
}

TEST(Validator, TypesActionHierarchyPrecisely) {
  expect_valid(R"(permit(principal, action in Action::"view", resource) when { action in Action::"view" };)");
  // `edit` is in `view` and applies to Folder.
  expect_valid(R"(permit(principal, action in Action::"view", resource is Folder);)");
  auto r = run(R"(permit(principal, action == Action::"paint", resource) when { action in Action::"view" };)");
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.warnings.size(), 1u) << dump(r);
}

TEST(Validator, ChecksTemplatesForEveryPossibleLink) {
  auto r = run(R"(permit(principal == ?principal, action == Action::"view", resource in ?resource)
                  when { principal.age > 1 };)");
  EXPECT_TRUE(mentions(r.errors, "`age`")) << dump(r);
  auto bad = run(R"(permit(principal in ?principal, action == Action::"view", resource == Folder::"f");)");
  EXPECT_TRUE(mentions(bad.errors, "matches no action")) << dump(bad);
}

TEST(Validator, ChecksTemplateLinks) {
  std::string_view tmpl = R"(permit(principal == ?principal, action == Action::"view", resource in ?resource);)";
  auto ok = run(tmpl, R"([{"templateId": "policy0", "newId": "l0",
                          "values": {"?principal": {"type": "User", "id": "a"},
                                     "?resource": {"type": "Doc", "id": "d"}}}])");
  EXPECT_TRUE(ok.ok()) << dump(ok);
  auto r = run(tmpl, R"([{"templateId": "policy0", "newId": "l0",
                         "values": {"?principal": {"type": "Nope", "id": "a"},
                                    "?resource": {"type": "Folder", "id": "f"}}}])");
  EXPECT_TRUE(mentions(r.errors, "unrecognized entity type `Nope` in the link `l0`")) << dump(r);
  EXPECT_TRUE(mentions(r.errors, "the link `l0` matches no action")) << dump(r);
}

TEST(Validator, ReportsFileLineAndColumn) {
  auto r = run("permit(principal, action, resource)\nwhen {\n  principal.nope == 1\n};");
  ASSERT_EQ(r.errors.size(), 1u) << dump(r);
  EXPECT_EQ(r.errors[0].file, "p.cedar");
  EXPECT_EQ(r.errors[0].loc.line, 3u);
  EXPECT_EQ(r.errors[0].loc.col, 12u);
  EXPECT_FALSE(r.errors[0].warning);
}

TEST(Validator, ReportsEachErrorOnce) {
  // The same access fails in every request environment; it is reported once.
  auto r = run("permit(principal, action, resource) when { principal.age > 1 };");
  EXPECT_EQ(r.errors.size(), 1u) << dump(r);
}

TEST(Validator, WarnsOnMixedScriptsAndBidiCharacters) {
  auto r = run("permit(principal, action, resource) when { principal.name == \"p\xD0\xB0ypal\" };");  // Cyrillic а
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_TRUE(mentions(r.warnings, "mixes characters of different scripts")) << dump(r);
  auto b =
      run("permit(principal, action, resource) when { principal.name == \"a\xE2\x80\xAE"
          "b\" };");  // U+202E
  EXPECT_TRUE(mentions(b.warnings, "bidirectional control characters")) << dump(b);
  auto cjk =
      run("permit(principal, action, resource) when { principal.name == \"\xE6\x97\xA5\xE6\x9C\xAC\xE3\x81\x8C\" };");
  EXPECT_FALSE(mentions(cjk.warnings, "scripts")) << dump(cjk);  // Han with Hiragana is Japanese
}

TEST(Validator, SplitHelpIgnoresSemicolonsInsideBackquotes) {
  auto [m, h] = split_help("attribute `a; b` not found; did you mean `x; y`?");
  EXPECT_EQ(m, "attribute `a; b` not found");
  EXPECT_EQ(h, "did you mean `x; y`?");
  EXPECT_EQ(split_help("plain message").second, "");
}

TEST(Validator, ValidatesLargePolicySets) {
  std::string text;
  for (int i = 0; i < 10000; ++i) {
    switch (i % 4) {
      case 0:
        text += "permit(principal == User::\"u" + std::to_string(i) + "\", action == Action::\"view\", resource);\n";
        break;
      case 1:
        text += "permit(principal, action in Action::\"view\", resource) when { principal has age && principal.age > " +
                std::to_string(i) + " };\n";
        break;
      case 2:
        text += "forbid(principal in Group::\"g\", action, resource) unless { context has mfa && context.mfa };\n";
        break;
      default:
        text += "permit(principal, action, resource is Doc) when { resource.readers.contains(principal) };\n";
        break;
    }
  }
  auto set = parse_policies(text, "big.cedar");
  ASSERT_TRUE(set.ok());
  Schema s = schema_of();
  auto r = validate(*set, s);
  EXPECT_TRUE(r.ok()) << dump(r).substr(0, 2000);
}

TEST(Validator, SurvivesDeeplyNestedExpressions) {
  std::string e = "true";
  for (int i = 0; i < 60; ++i) e = "(" + e + " && principal has age)";
  auto r = run("permit(principal, action, resource) when { " + e + " };");
  EXPECT_TRUE(r.ok()) << dump(r);
}

}  // namespace
}  // namespace tollgate::cedar
