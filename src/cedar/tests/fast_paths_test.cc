// The engine's fast paths must give exactly the answers of the general
// code they shortcut: the plain-JSON request reader against the hardened
// nlohmann reader, the direct answer writer against nlohmann's dump, the
// scope index against evaluating every policy, and interned entity uids
// against their contents.
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
