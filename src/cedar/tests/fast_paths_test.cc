// The engine's fast paths must give exactly the answers of the general
// code they shortcut: the plain-JSON request reader against the hardened
// nlohmann reader, the direct answer writer against nlohmann's dump, the
// scope index against evaluating every policy, the compiled conditions
// that authorize() runs against the tree walk over the AST, and interned
// entity uids against their contents.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cedar/json_internal.h"
#include "cedar/json_lite.h"
#include "cedar/tests/test_util.h"

namespace tollgate::cedar {
namespace {

// What the hardened path alone makes of a request line.
Result<Request> slow_request(std::string_view text, const Schema* schema) {
  auto doc = detail::parse_json(text, "<request>");
  if (!doc) return doc.error();
  bool validate = schema != nullptr;
  if (doc->is_object() && doc->contains("validateRequest")) validate = schema && (*doc)["validateRequest"].get<bool>();
  return detail::request_from_json(*doc, schema, validate);
}

void expect_same_request(std::string_view text, const Schema* schema = nullptr) {
  auto fast = parse_request(text, schema);
  auto slow = slow_request(text, schema);
  ASSERT_EQ(fast.ok(), slow.ok()) << text;
  if (!fast.ok()) {
    EXPECT_EQ(fast.error().message, slow.error().message) << text;
    return;
  }
  EXPECT_EQ(fast->principal, slow->principal) << text;
  EXPECT_EQ(fast->action, slow->action) << text;
  EXPECT_EQ(fast->resource, slow->resource) << text;
  EXPECT_EQ(fast->context, slow->context) << text;
  EXPECT_EQ(fast->context.str(), slow->context.str()) << text;
}

TEST(FastRequestReader, ReadsPlainRequestsAsTheHardenedReaderDoes) {
  const char* lines[] = {
      R"({"principal":{"type":"User","id":"alice"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d"},"context":{}})",
      R"( { "principal" : {"type":"User","id":"a\"b\\c\/d\b\f\n\r\t\u0000\u001F\u0041\u007f"}, "action":{"type":"Action","id":"v"},
            "resource":{"type":"NS::Doc","id":""}, "context":{"z":1,"a":-2,"m":[3,1,2,1],"big":123456789012345678,
            "neg":-123456789012345678, "max":18446744073709551615, "min":-9223372036854775808,
            "long":9223372036854775807, "utf8":"café hé 😀", "r":{"y":true,"x":false}, "e":{"__entity":{"type":"Org","id":"o"}},
            "ip":{"__extn":{"fn":"ip","arg":"10.0.0.0/8"}}, "off":{"__extn":{"fn":"offset","args":[
            {"__extn":{"fn":"datetime","arg":"2025-01-01"}},{"__extn":{"fn":"duration","arg":"1h"}}]}}}} )",
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"Doc","id":"d"}})",
  };
  for (const char* l : lines) {
    SCOPED_TRACE(l);
    detail::LiteDoc doc;
    ASSERT_TRUE(detail::parse_lite(l, doc));
    expect_same_request(l);
  }
}

TEST(FastRequestReader, LeavesAnythingUnusualToTheHardenedReader) {
  const char* declined[] = {
      "{\"a\":\"\xc3\"}",
      "{\"a\":\"\xed\xa0\x80\"}",
      "{\"a\":\"\xc0\xaf\"}",  // ill-formed UTF-8
      R"({"a":"\u00e9"})",
      R"({"a":"\ud83d\ude00"})",
      R"({"a":"\u12"})",   // \u beyond ASCII
      R"({"a":1,"a":2})",  // repeated key
      R"({"a":1.5})",
      R"({"a":1e3})",
      R"({"a":-0})",
      R"({"a":01})",  // numbers nlohmann reads differently or not
      R"({"a":18446744073709551616})",
      R"({"a":-9223372036854775809})",  // beyond 64 bits
      R"({"a":1} x)",
      R"({"a":1)",
      R"({"a" 1})",
      R"([1,])",
      R"()",
      R"({"a":"x)",
      "{\"a\":\"\x01\"}",  // raw control character
  };
  for (const char* l : declined) {
    SCOPED_TRACE(l);
    detail::LiteDoc doc;
    EXPECT_FALSE(detail::parse_lite(l, doc));
    expect_same_request(l);
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  detail::LiteDoc doc;
  EXPECT_FALSE(detail::parse_lite(deep, doc));
}

TEST(FastRequestReader, GivesTheHardenedReadersErrors) {
  const char* bad[] = {
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"Doc","id":"d"},"context":{"x":null}})",
      R"({"principal":{"type":"1User","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"Doc","id":"d"}})",
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"Doc","id":"d"},"extra":1})",
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"v"}})",
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"v"},"resource":{"type":"Doc","id":"d"},"context":{"b":{"__extn":{"fn":"ip","arg":"nope"}}}})",
      R"([1,2])",
  };
  for (const char* l : bad) {
    SCOPED_TRACE(l);
    auto r = parse_request(l, nullptr);
    EXPECT_FALSE(r.ok());
    expect_same_request(l);
  }
}

TEST(FastRequestReader, AgreesUnderASchema) {
  auto schema = parse_schema(R"(
    entity User; entity Doc { owner: User };
    action view appliesTo { principal: User, resource: Doc, context: { n: Long, ip: ipaddr, who: User, tags: Set<String> } };
  )",
                             "s.cedarschema");
  ASSERT_TRUE(schema.ok());
  const char* lines[] = {
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d"},"context":{"n":3,"ip":"1.2.3.4","who":{"type":"User","id":"b"},"tags":["x"]}})",
      R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d"},"context":{"n":3,"ip":"1.2.3.4","who":{"type":"User","id":"b"}}})",
      R"({"principal":{"type":"Doc","id":"a"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d"},"context":{"n":3,"ip":"1.2.3.4","who":{"type":"User","id":"b"},"tags":[]}})",
      R"({"principal":{"type":"Doc","id":"a"},"action":{"type":"Action","id":"view"},"resource":{"type":"Doc","id":"d"},"context":{},"validateRequest":false})",
  };
  for (const char* l : lines) {
    SCOPED_TRACE(l);
    expect_same_request(l, &*schema);
  }
}

std::string nlohmann_answer(const Response& r) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  out["decision"] = r.allow ? "allow" : "deny";
  out["reason"] = r.reason;
  nlohmann::ordered_json errs = nlohmann::ordered_json::array();
  for (const auto& e : r.errors) errs.push_back({{"policy", e.policy}, {"message", e.message}});
  out["errors"] = std::move(errs);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

TEST(FastAnswerWriter, WritesWhatNlohmannWrites) {
  std::string every_byte;
  for (int c = 1; c < 0x80; ++c) every_byte += static_cast<char>(c);
  const Response cases[] = {
      {false, {}, {}},
      {true, {"policy0", "policy1"}, {}},
      {false, {"p"}, {{"q", "type error: expected bool, got long"}, {"r\"s", every_byte}}},
      {true, {std::string("nul\0in", 6)}, {{"x", "caf\xc3\xa9"}}},  // non-ASCII: nlohmann's own path
      {false, {}, {{"bad", "\xff\xfe utf-8"}}},
  };
  for (const auto& r : cases) EXPECT_EQ(response_json(r), nlohmann_answer(r));
}

TEST(ScopeIndex, FindsExactlyThePoliciesWhoseScopeMatches) {
  auto ents = testing::entities_from(R"([
    {"uid":{"type":"User","id":"a"},"attrs":{},"parents":[{"type":"Team","id":"t"}]},
    {"uid":{"type":"Team","id":"t"},"attrs":{},"parents":[{"type":"Org","id":"o"}]},
    {"uid":{"type":"Doc","id":"d"},"attrs":{},"parents":[{"type":"Folder","id":"f"}]},
    {"uid":{"type":"Action","id":"read"},"attrs":{},"parents":[{"type":"Action","id":"all"}]}
  ])");
  auto ps = parse_policies(R"(
    permit(principal, action, resource);
    permit(principal == User::"a", action, resource);
    permit(principal in Org::"o", action in Action::"all", resource in Folder::"f");
    permit(principal is User in Team::"t", action == Action::"read", resource is Doc);
    permit(principal is Team, action, resource);
    permit(principal in Org::"x", action, resource);
    permit(principal, action in [Action::"write", Action::"all", Action::"all"], resource == Doc::"d");
    permit(principal, action == Action::"write", resource);
    permit(principal, action in [], resource);
    permit(principal == User::"a", action == Action::"all", resource in Folder::"f");
    forbid(principal, action, resource in Doc::"other");
  )",
                           "p.cedar");
  ASSERT_TRUE(ps.ok());
  const Request reqs[] = {
      testing::request("User::\"a\"", "Action::\"read\"", "Doc::\"d\""),
      testing::request("User::\"b\"", "Action::\"write\"", "Doc::\"d\""),
      testing::request("Team::\"t\"", "Action::\"all\"", "Folder::\"f\""),
      testing::request("User::\"a\"", "Action::\"unknown\"", "Doc::\"other\""),
  };
  for (const auto& req : reqs) {
    std::vector<uint32_t> cand;
    ps->candidates(req, ents, cand);
    std::vector<uint32_t> want;
    for (uint32_t i = 0; i < ps->instances().size(); ++i) {
      // Every policy here has the condition `true`: satisfied == scope matches.
      auto r = satisfied(ps->instances()[i], req, ents);
      ASSERT_TRUE(r.ok());
      if (*r) want.push_back(i);
    }
    EXPECT_EQ(cand, want) << req.principal.str() << " " << req.action.str() << " " << req.resource.str();
  }
}

// authorize() runs the compiled form of each condition (program.h);
// satisfied() walks the AST. Both must agree on every policy: same
// outcome, same error message.
TEST(CompiledConditions, AgreeWithTheTreeWalk) {
  auto ents = testing::entities_from(R"([
    {"uid":{"type":"User","id":"a"},"attrs":{"age":30,"name":"ann","tags":["x","y"],"boss":{"__entity":{"type":"User","id":"b"}},
      "info":{"level":3,"deep":{"k":"v"}},"ghost":{"__entity":{"type":"User","id":"nobody"}}},
     "parents":[{"type":"Team","id":"t"}],"tags":{"color":"red"}},
    {"uid":{"type":"User","id":"b"},"attrs":{"age":50,"name":"bob","tags":[]},"parents":[]},
    {"uid":{"type":"Team","id":"t"},"attrs":{},"parents":[{"type":"Org","id":"o"}]},
    {"uid":{"type":"Doc","id":"d"},"attrs":{"owner":{"__entity":{"type":"User","id":"a"}},"size":7,"path":"/src/a.txt",
      "ip":{"__extn":{"fn":"ip","arg":"10.1.2.3"}}},"parents":[{"type":"Folder","id":"f"}]},
    {"uid":{"type":"Action","id":"read"},"attrs":{},"parents":[{"type":"Action","id":"all"}]}
  ])");
  auto ps = parse_policies(R"(
    permit(principal, action, resource) when { principal.age > 18 && resource.owner == principal };
    permit(principal, action, resource) when { principal.boss.name == "bob" } unless { principal.name != "ann" };
    permit(principal, action, resource) when { principal.boss.boss.name == "x" };
    permit(principal, action, resource) when { principal.ghost.age > 1 };
    permit(principal, action, resource) when { principal.info.deep.k == "v" && principal.info.level + 1 == 4 };
    permit(principal, action, resource) when { principal.info.nope };
    permit(principal, action, resource) when { context.a.b == 1 };
    permit(principal, action, resource) when { context.n * 2 > 5 } unless { context.n - 1 < 0 };
    permit(principal, action, resource) when { context.n + 9223372036854775807 > 0 };
    permit(principal, action, resource) when { -context.big == 1 };
    permit(principal, action, resource) when { "ann" == principal.name && principal.name != 3 };
    permit(principal, action, resource) when { principal.name == 3 };
    permit(principal, action, resource) when { principal has info.deep.k && !(principal has info.deep.z) };
    permit(principal, action, resource) when { principal.age has x };
    permit(principal, action, resource) when { context has a.b && context.a has b };
    permit(principal, action, resource) when { resource.path like "/src/*.txt" && !(resource.path like "*b*") };
    permit(principal, action, resource) when { principal.age like "3*" };
    permit(principal, action, resource) when { principal is User && resource is Doc in Folder::"f" };
    permit(principal, action, resource) when { principal is User in [Team::"t", Org::"x"] };
    permit(principal, action, resource) when { principal in [Team::"t", 1] };
    permit(principal, action, resource) when { principal in principal.boss || principal in Org::"o" };
    permit(principal, action, resource) when { context.n in Org::"o" };
    permit(principal, action, resource) when { if principal.age > 40 then false else principal.tags.contains("x") };
    permit(principal, action, resource) when { if context.n then true else false };
    permit(principal, action, resource) when { [principal.age, 1].contains(30) && {a: principal.age, b: [context.n]}.a == 30 };
    permit(principal, action, resource) when { {x: principal.info}.x.deep.k == "v" };
    permit(principal, action, resource) when { {x: principal.info}.x.missing };
    permit(principal, action, resource) when { principal.tags.containsAll(["x"]) && principal.tags.containsAny(["z", "y"]) };
    permit(principal, action, resource) when { principal.tags.isEmpty() || context.s.isEmpty() };
    permit(principal, action, resource) when { resource.ip.isInRange(ip("10.0.0.0/8")) && decimal("1.5").lessThan(decimal(context.dec)) };
    permit(principal, action, resource) when { ip(context.s) == ip("1.2.3.4") };
    permit(principal, action, resource) when { principal.hasTag("color") && principal.getTag("color") == "red" };
    permit(principal, action, resource) when { principal.getTag("size") == 1 };
    permit(principal, action, resource) when { datetime("2024-01-01").offset(duration(context.dur)) > datetime("2024-01-01") };
    permit(principal, action, resource) when { context.now.toDate() == context.now.toDate() && context.now.durationSince(context.now).toHours() == 0 };
    permit(principal, action, resource) when { action in Action::"all" && action == Action::"read" };
    forbid(principal, action, resource) when { resource.size >= context.n && resource.size <= 7 && resource.size < 8 };
    forbid(principal, action, resource) when { context.n > "x" };
    forbid(principal, action, resource) when { true } unless { 1 };
    forbid(principal, action, resource) when { principal == User::"b" };
  )",
                           "p.cedar");
  ASSERT_TRUE(ps.ok()) << ps.error().message;
  auto ctx = [](std::string_view json) {
    auto r =
        parse_request(std::string(R"({"principal":{"type":"User","id":"a"},"action":{"type":"Action","id":"read"},)") +
                          R"("resource":{"type":"Doc","id":"d"},"context":)" + std::string(json) + "}",
                      nullptr);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->context : Value::record({});
  };
  const Value contexts[] = {
      ctx(R"({})"),
      ctx(R"({"a":{"b":1},"n":3,"big":-1,"s":"1.2.3.4","dec":"2.5","dur":"1h","now":{"__extn":{"fn":"datetime","arg":"2024-05-01"}}})"),
      ctx(R"({"a":{"c":1},"n":-4,"big":-9223372036854775807,"s":[],"dec":"x","dur":"-1h","now":1})"),
      ctx(R"({"a":2,"n":9,"big":"b","s":"nope","dec":"0.5","dur":"bad"})"),
  };
  const char* principals[] = {"User::\"a\"", "User::\"b\"", "User::\"zed\""};
  const char* resources[] = {"Doc::\"d\"", "Doc::\"e\""};
  for (const char* p : principals) {
    for (const char* r : resources) {
      for (const auto& c : contexts) {
        Request req = testing::request(p, "Action::\"read\"", r, c);
        Response got = authorize(*ps, req, ents);
        std::vector<std::string> permits, forbids;
        std::vector<std::pair<std::string, std::string>> errors, got_errors;
        for (const auto& inst : ps->instances()) {
          auto s = satisfied(inst, req, ents);
          if (!s) {
            errors.emplace_back(inst.id, s.error().message);
          } else if (*s) {
            (inst.policy->effect == Effect::Permit ? permits : forbids).push_back(inst.id);
          }
        }
        for (const auto& e : got.errors) got_errors.emplace_back(e.policy, e.message);
        std::string where = std::string(p) + " " + r + " " + c.str();
        EXPECT_EQ(got_errors, errors) << where;
        EXPECT_EQ(got.reason, forbids.empty() ? permits : forbids) << where;
        EXPECT_EQ(got.allow, forbids.empty() && !permits.empty()) << where;
      }
    }
  }
}

TEST(EntityUID, EqualContentsShareOneIdentity) {
  EntityUID a("User", "alice"), b(std::string("User"), std::string("alice")), c("User", "bob");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.key(), b.key());
  EXPECT_NE(a, c);
  EXPECT_EQ(a.hash(), b.hash());
  const void* old = c.key();
  c = EntityUID();
  EXPECT_EQ(EntityUID("User", "bob").type(), "User");  // re-interned after the last copy died
  (void)old;
  EXPECT_EQ(EntityUID(), EntityUID("", ""));
}

}  // namespace
}  // namespace tollgate::cedar
