#include <gtest/gtest.h>

#include "cedar/schema.h"

namespace tollgate::cedar {
namespace {

Schema parse_ok(std::string_view text) {
  auto r = parse_schema(text, "s.cedarschema");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Schema{};
}

// Every diagnostic as `line:col: message`.
std::vector<std::string> errors_of(std::string_view text) {
  auto r = parse_schema(text, "s.cedarschema");
  EXPECT_FALSE(r.ok()) << "expected the schema to be rejected:\n" << text;
  std::vector<std::string> out;
  if (r.ok()) return out;
  EXPECT_FALSE(r.error().diagnostics.empty());
  for (const Diagnostic& d : r.error().diagnostics) {
    EXPECT_EQ(d.file, "s.cedarschema");
    EXPECT_GT(d.loc.line, 0u) << d.message;
    EXPECT_GT(d.loc.col, 0u) << d.message;
    out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " + d.message);
  }
  return out;
}

// True when some diagnostic contains `part`.
bool mentions(const std::vector<std::string>& errors, std::string_view part) {
  for (const std::string& e : errors)
    if (e.find(part) != std::string::npos) return true;
  return false;
}

std::string show(const SchemaTypePtr& t) {
  if (!t) return "<none>";
  switch (t->kind) {
    case SchemaType::Kind::Bool: return "Bool";
    case SchemaType::Kind::Long: return "Long";
    case SchemaType::Kind::String: return "String";
    case SchemaType::Kind::Set: return "Set<" + show(t->element) + ">";
    case SchemaType::Kind::Entity: return "Entity " + t->name;
    case SchemaType::Kind::Extension: return "Extension " + t->name;
    case SchemaType::Kind::Record: {
      std::string s = "{";
      for (const auto& [name, attr] : t->record->attrs)
        s += (s.size() > 1 ? ", " : "") + name + (attr.required ? ": " : "?: ") + show(attr.type);
      return s + "}";
    }
  }
  return "?";
}

std::string show(const RecordType& r) {
  auto t = std::make_shared<SchemaType>();
  t->kind = SchemaType::Kind::Record;
  t->record = std::make_shared<RecordType>(r);
  return show(t);
}

// A canonical text form of a whole schema, to compare two parses.
std::string dump(const Schema& s) {
  std::string out;
  for (const auto& [name, e] : s.entity_types) {
    out += "entity " + name + " in [";
    for (const auto& p : e.member_of) out += p + ",";
    out += "] " + show(e.shape) + " tags " + show(e.tags);
    if (e.enum_ids)
      for (const auto& id : *e.enum_ids) out += " \"" + id + "\"";
    out += "\n";
  }
  for (const auto& [uid, a] : s.actions) {
    out += "action " + uid.str() + " in [";
    for (const auto& p : a.member_of) out += p.str() + ",";
    out += "] applies " + std::to_string(a.has_applies_to) + " [";
    for (const auto& p : a.principals) out += p + ",";
    out += "] [";
    for (const auto& r : a.resources) out += r + ",";
    out += "] " + show(a.context) + "\n";
  }
  return out;
}

SchemaTypePtr attr(const Schema& s, const std::string& entity, const std::string& name) {
  const EntityTypeDecl* e = s.entity_type(entity);
  if (!e) return nullptr;
  auto it = e->shape.attrs.find(name);
  return it == e->shape.attrs.end() ? nullptr : it->second.type;
}

// ---------------------------------------------------------------------------
// The `.cedarschema` format

TEST(SchemaText, ParsesEntityWithParentsShapeAndTags) {
  Schema s = parse_ok(R"(
    entity Group;
    entity User in [Group] = { name: String, age?: Long, "home dir": String, } tags Set<String>;
  )");
  const EntityTypeDecl* u = s.entity_type("User");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->member_of, std::vector<std::string>{"Group"});
  EXPECT_EQ(show(u->shape), "{age?: Long, home dir: String, name: String}");
  EXPECT_EQ(show(u->tags), "Set<String>");
  EXPECT_EQ(u->loc.line, 3u);
  EXPECT_EQ(s.entity_type("Group")->tags, nullptr);
}

TEST(SchemaText, SharesOneDeclarationBetweenSeveralEntityNames) {
  Schema s = parse_ok("entity A, B in C { x: Bool }; entity C;");
  EXPECT_EQ(show(s.entity_type("A")->shape), "{x: Bool}");
  EXPECT_EQ(show(s.entity_type("B")->shape), "{x: Bool}");
  EXPECT_EQ(s.entity_type("B")->member_of, std::vector<std::string>{"C"});
}

TEST(SchemaText, AcceptsShapeWithOrWithoutEqualsSign) {
  EXPECT_EQ(dump(parse_ok("entity A = { x: Long };")), dump(parse_ok("entity A { x: Long };")));
  EXPECT_TRUE(mentions(errors_of("entity A = Long;"), "expected `{`"));
}

TEST(SchemaText, ParsesEnumeratedEntityType) {
  Schema s = parse_ok(R"(entity Color enum ["red", "green"]; entity Car in Color;)");
  ASSERT_TRUE(s.entity_type("Color")->enum_ids.has_value());
  EXPECT_EQ(*s.entity_type("Color")->enum_ids, (std::vector<std::string>{"red", "green"}));
  EXPECT_FALSE(s.entity_type("Car")->enum_ids.has_value());
  EXPECT_TRUE(mentions(errors_of("entity E enum [];"), "expected a string literal"));
}

TEST(SchemaText, IgnoresCommentsAnnotationsAndTrailingCommas) {
  Schema s = parse_ok(R"(
    // a comment
    @doc("the app") namespace App {  // another
      @doc("a user") @deprecated
      entity User { @doc("name") name: String, };
      @doc("x") action read appliesTo { principal: User, resource: [User], context: {}, };
      @doc type T = Long;
    }
  )");
  EXPECT_NE(s.entity_type("App::User"), nullptr);
  EXPECT_NE(s.action(EntityUID("App::Action", "read")), nullptr);
}

TEST(SchemaText, RejectsDuplicateAnnotation) {
  EXPECT_TRUE(mentions(errors_of(R"(@doc("a") @doc("b") entity A;)"), "duplicate annotation `@doc`"));
}

TEST(SchemaText, ParsesActionGroupsAndAppliesTo) {
  Schema s = parse_ok(R"(
    namespace Photo {
      entity User; entity Album; entity Pic;
      type Ctx = { ip: ipaddr };
      action "view", edit in [readWrite, "all", Photo::Action::"base"]
        appliesTo { principal: [User], resource: [Album, Pic], context: Ctx };
      action readWrite, "all", base;
    }
  )");
  const ActionDecl* view = s.action(EntityUID("Photo::Action", "view"));
  ASSERT_NE(view, nullptr);
  EXPECT_TRUE(view->has_applies_to);
  EXPECT_EQ(view->principals, std::vector<std::string>{"Photo::User"});
  EXPECT_EQ(view->resources, (std::vector<std::string>{"Photo::Album", "Photo::Pic"}));
  EXPECT_EQ(show(view->context), "{ip: Extension ipaddr}");
  std::vector<EntityUID> groups = {EntityUID("Photo::Action", "readWrite"), EntityUID("Photo::Action", "all"),
                                   EntityUID("Photo::Action", "base")};
  EXPECT_EQ(view->member_of, groups);
  EXPECT_EQ(s.action(EntityUID("Photo::Action", "edit"))->member_of, groups);
}

TEST(SchemaText, ActionWithoutAppliesToAppliesToNothing) {
  Schema s = parse_ok("action group;");
  const ActionDecl* a = s.action(EntityUID("Action", "group"));
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->has_applies_to);
  EXPECT_TRUE(a->principals.empty());
  EXPECT_TRUE(a->context.attrs.empty());
}

TEST(SchemaText, RequiresNonEmptyPrincipalAndResourceInAppliesTo) {
  EXPECT_TRUE(mentions(errors_of("entity A; action a appliesTo { principal: [], resource: A };"),
                       "`principal` list of action `a` is empty"));
  EXPECT_TRUE(mentions(errors_of("entity A; action a appliesTo { principal: A };"), "has no `resource`"));
  EXPECT_TRUE(mentions(errors_of("entity A; action a appliesTo { context: {} };"), "has no `principal`"));
  EXPECT_TRUE(mentions(errors_of("entity A; action a appliesTo { principal: A, resource: A, principal: A };"),
                       "duplicate `principal`"));
  EXPECT_TRUE(mentions(errors_of("entity A; action a appliesTo { };"), "expected `principal`"));
}

TEST(SchemaText, ContextMustBeARecordPossiblyThroughACommonType) {
  Schema s = parse_ok("entity A; type C = { n: Long }; action a appliesTo { principal: A, resource: A, context: C };");
  EXPECT_EQ(show(s.action(EntityUID("Action", "a"))->context), "{n: Long}");
  EXPECT_TRUE(
      mentions(errors_of("entity A; type C = Long; action a appliesTo { principal: A, resource: A, context: C };"),
               "context of action `Action::\"a\"` must be a record type"));
  // A context named by a path must be a common type, not an entity type.
  EXPECT_TRUE(mentions(errors_of("entity A; action a appliesTo { principal: A, resource: A, context: A };"),
                       "`A` is not declared as a common type"));
}

TEST(SchemaText, ParsesPrimitiveSetRecordAndExtensionTypes) {
  Schema s = parse_ok(R"(entity E {
    b: Bool, l: Long, s: String, q: __cedar::Bool, set: Set<Set<Long>>, rec: { inner: { deep?: String } },
    ip: ipaddr, dec: __cedar::decimal, dt: datetime, dur: __cedar::duration, self: E,
  };)");
  EXPECT_EQ(show(s.entity_type("E")->shape),
            "{b: Bool, dec: Extension decimal, dt: Extension datetime, dur: Extension duration, ip: Extension ipaddr, "
            "l: Long, q: Bool, rec: {inner: {deep?: String}}, s: String, self: Entity E, set: Set<Set<Long>>}");
}

TEST(SchemaText, DecodesStringEscapesInQuotedNames) {
  Schema s = parse_ok(R"(entity E { "tab\there": Long, "\u{1F600}": Long, "\x41\"": Long }; action "a\nb";)");
  const auto& attrs = s.entity_type("E")->shape.attrs;
  EXPECT_TRUE(attrs.count("tab\there"));
  EXPECT_TRUE(attrs.count("\xF0\x9F\x98\x80"));
  EXPECT_TRUE(attrs.count("A\""));
  EXPECT_NE(s.action(EntityUID("Action", "a\nb")), nullptr);
  EXPECT_TRUE(mentions(errors_of(R"(entity E { "\q": Long };)"), "invalid escape"));
  EXPECT_TRUE(mentions(errors_of(R"(entity E { "\u{D800}": Long };)"), "not a Unicode scalar value"));
  EXPECT_TRUE(mentions(errors_of(R"(entity E { "\x80": Long };)"), "\\x7F"));
}

TEST(SchemaText, RejectsReservedIdentifiersUnlessQuoted) {
  EXPECT_TRUE(mentions(errors_of("entity A { in: Long };"), "`in` is a reserved identifier"));
  EXPECT_TRUE(mentions(errors_of("entity if;"), "`if` is a reserved identifier"));
  Schema s = parse_ok(R"(entity A { "in": Long, principal: Long, entity: Long, Set: Long, tags: Long };)");
  EXPECT_EQ(s.entity_type("A")->shape.attrs.size(), 5u);
}

TEST(SchemaText, MergesDeclarationsOutsideNamespacesIntoTheEmptyNamespace) {
  Schema s = parse_ok("entity A; namespace N { entity B { a: A }; } entity C in A;");
  EXPECT_EQ(show(attr(s, "N::B", "a")), "Entity A");
  EXPECT_EQ(s.entity_type("C")->member_of, std::vector<std::string>{"A"});
}

TEST(SchemaText, RejectsNestedNamespaces) {
  EXPECT_TRUE(mentions(errors_of("namespace A { namespace B { entity C; } }"), "namespaces cannot be nested"));
}

// ---------------------------------------------------------------------------
// Name resolution (shared by both formats)

TEST(SchemaResolution, ResolvesCommonTypeAcrossNamespaces) {
  Schema s = parse_ok(R"(
    type Shared = { id: String };
    namespace Lib { type Name = String; entity Doc; }
    namespace App { entity User { n: Lib::Name, s: Shared, d: Lib::Doc, e: Set<Shared> }; }
  )");
  EXPECT_EQ(show(attr(s, "App::User", "n")), "String");
  EXPECT_EQ(show(attr(s, "App::User", "s")), "{id: String}");
  EXPECT_EQ(show(attr(s, "App::User", "d")), "Entity Lib::Doc");
  EXPECT_EQ(show(attr(s, "App::User", "e")), "Set<{id: String}>");
}

TEST(SchemaResolution, ExpandsCommonTypesDefinedInTermsOfEachOther) {
  Schema s = parse_ok("type A = { b: B, c: Set<C> }; type B = C; type C = Long; entity E { a: A };");
  EXPECT_EQ(show(attr(s, "E", "a")), "{b: Long, c: Set<Long>}");
}

TEST(SchemaResolution, PrefersCommonTypeOverEntityTypeOfTheSameName) {
  Schema s = parse_ok("namespace N { type T = Long; entity T; entity E { t: T, e: Set<T> }; }");
  EXPECT_EQ(show(attr(s, "N::E", "t")), "Long");
  EXPECT_NE(s.entity_type("N::T"), nullptr);
}

TEST(SchemaResolution, FallsBackToTheEmptyNamespaceWhateverTheDeclarationOrder) {
  Schema s = parse_ok(R"(
    namespace N { entity E { t: T, u: U, v: Set<V> }; }
    type T = String;
    type U = { n: T };
    entity V;
  )");
  EXPECT_EQ(show(attr(s, "N::E", "t")), "String");
  EXPECT_EQ(show(attr(s, "N::E", "u")), "{n: String}");
  EXPECT_EQ(show(attr(s, "N::E", "v")), "Set<Entity V>");
}

TEST(SchemaResolution, RejectsNamespacedNameShadowingEmptyNamespaceName) {
  EXPECT_TRUE(mentions(errors_of("entity User; namespace N { entity User; }"),
                       "`N::User` shadows `User` declared in the empty namespace"));
  EXPECT_TRUE(mentions(errors_of("type User = Long; namespace N { entity User; }"), "shadows `User`"));
  EXPECT_TRUE(mentions(errors_of("action view; namespace N { action view; }"), "shadows `Action::\"view\"`"));
  parse_ok("namespace M { entity User; } namespace N { entity User; }");
}

TEST(SchemaResolution, EntityTypeNamedLikeAPrimitiveShadowsItButCedarNamespaceStillWorks) {
  Schema s = parse_ok(
      "entity Long; entity ipaddr; type decimal = String;"
      "entity E { a: Long, b: __cedar::Long, c: ipaddr, d: __cedar::ipaddr, e: decimal, f: __cedar::decimal };");
  EXPECT_EQ(show(attr(s, "E", "a")), "Entity Long");
  EXPECT_EQ(show(attr(s, "E", "b")), "Long");
  EXPECT_EQ(show(attr(s, "E", "c")), "Entity ipaddr");
  EXPECT_EQ(show(attr(s, "E", "d")), "Extension ipaddr");
  EXPECT_EQ(show(attr(s, "E", "e")), "String");
  EXPECT_EQ(show(attr(s, "E", "f")), "Extension decimal");
  // Inside a namespace, the namespace's own declaration wins too.
  Schema n = parse_ok("namespace N { entity String; entity E { s: String }; } entity F { s: String };");
  EXPECT_EQ(show(attr(n, "N::E", "s")), "Entity N::String");
  EXPECT_EQ(show(attr(n, "F", "s")), "String");
}

TEST(SchemaResolution, ResolvesActionGroupsInNamespaceThenEmptyNamespace) {
  Schema s = parse_ok(R"(
    action top;
    namespace N { action a in [top, Action::"local", N::Action::"local"]; action local; }
    namespace M { action b in Other::Action::"x"; }
    namespace Other { action x; }
  )");
  EXPECT_EQ(s.action(EntityUID("N::Action", "a"))->member_of,
            (std::vector<EntityUID>{EntityUID("Action", "top"), EntityUID("N::Action", "local")}));
  EXPECT_EQ(s.action(EntityUID("M::Action", "b"))->member_of, std::vector<EntityUID>{EntityUID("Other::Action", "x")});
}

TEST(SchemaResolution, RejectsUndeclaredNames) {
  auto errors = errors_of(R"(namespace N {
    entity A in Missing { x: Nope, y: Set<Gone> };
    action a in undeclared appliesTo { principal: Who, resource: A };
  })");
  EXPECT_TRUE(mentions(errors, "2:17: unknown entity type `Missing`: neither `N::Missing` nor `Missing`"));
  EXPECT_TRUE(mentions(errors, "2:30: unknown type `Nope`"));
  EXPECT_TRUE(mentions(errors, "2:43: unknown type `Gone`"));
  EXPECT_TRUE(
      mentions(errors, "3:17: action `N::Action::\"a\"` is a member of undeclared action `Action::\"undeclared\"`"));
  EXPECT_TRUE(mentions(errors, "3:51: unknown entity type `Who`"));
  EXPECT_EQ(errors.size(), 5u);
}

TEST(SchemaResolution, ActionEntityTypeIsAValidAttributeTypeButNotAParentOrPrincipal) {
  Schema s = parse_ok("entity E { a: Action }; action x;");
  EXPECT_EQ(show(attr(s, "E", "a")), "Entity Action");
  EXPECT_TRUE(mentions(errors_of("entity E in Action; action x;"), "`Action` is an action entity type"));
  EXPECT_TRUE(mentions(errors_of("entity E; action x appliesTo { principal: Action, resource: E };"),
                       "`Action` is an action entity type"));
}

TEST(SchemaResolution, RejectsCycleInCommonTypes) {
  EXPECT_TRUE(mentions(errors_of("type A = B; type B = { a: A }; entity E { a: A };"),
                       "cycle in common type definitions: `A` -> `B` -> `A`"));
  EXPECT_TRUE(mentions(errors_of("type T = Set<T>;"), "`T` -> `T`"));
}

TEST(SchemaResolution, RejectsCycleInActionHierarchy) {
  EXPECT_TRUE(mentions(errors_of("action a in b; action b in a;"), "cycle in action hierarchy"));
  EXPECT_TRUE(mentions(errors_of(R"(action a in "a";)"), "`Action::\"a\"` -> `Action::\"a\"`"));
}

TEST(SchemaResolution, AllowsCycleInEntityHierarchy) {
  Schema s = parse_ok("entity A in B; entity B in A;");
  EXPECT_EQ(s.entity_type("A")->member_of, std::vector<std::string>{"B"});
}

TEST(SchemaResolution, RejectsDuplicateDeclarations) {
  auto errors = errors_of(R"(entity A; entity A;
type T = Long; type T = String;
action a, "a";
namespace N {} namespace N {})");
  EXPECT_TRUE(mentions(errors, "1:18: entity type `A` is declared more than once"));
  EXPECT_TRUE(mentions(errors, "2:21: common type `T` is declared more than once"));
  EXPECT_TRUE(mentions(errors, "3:11: action `Action::\"a\"` is declared more than once"));
  EXPECT_TRUE(mentions(errors, "4:26: namespace `N` is declared more than once"));
}

TEST(SchemaResolution, RejectsReservedNames) {
  EXPECT_TRUE(mentions(errors_of("entity Action;"), "`Action` cannot be declared as an entity type"));
  EXPECT_TRUE(mentions(errors_of("type Long = String;"), "reserved schema keyword"));
  EXPECT_TRUE(mentions(errors_of("type Boolean = String;"), "reserved schema keyword"));
  EXPECT_TRUE(mentions(errors_of("namespace A::__cedar { }"), "reserved name `__cedar`"));
  EXPECT_TRUE(mentions(errors_of("entity __cedar;"), "`__cedar` is reserved"));
  EXPECT_TRUE(mentions(errors_of("entity E { a: __cedar::Foo };"), "unknown type `__cedar::Foo`"));
}

TEST(SchemaResolution, RejectsTypesNestedTooDeeply) {
  std::string deep = "entity E { a: ";
  for (int i = 0; i < 100; ++i) deep += "Set<";
  deep += "Long";
  for (int i = 0; i < 100; ++i) deep += ">";
  EXPECT_TRUE(mentions(errors_of(deep + " };"), "more than 64 levels"));
  // Nesting built up through common types is capped as well.
  std::string chain;
  for (int i = 0; i < 100; ++i) chain += "type T" + std::to_string(i) + " = { x: T" + std::to_string(i + 1) + " };\n";
  chain += "type T100 = Long;";
  EXPECT_TRUE(mentions(errors_of(chain), "more than 64 levels"));
  std::string fine = "entity E { a: ";
  for (int i = 0; i < 60; ++i) fine += "{ a: ";
  fine += "Long" + std::string(60, '}') + " };";
  parse_ok(fine);
}

// ---------------------------------------------------------------------------
// Diagnostics

TEST(SchemaDiagnostics, ReportsEveryErrorWithLineAndColumn) {
  auto errors = errors_of(R"(entity A { x: Long }
entity B = ;
action "c" appliesTo { principal: A resource: A };
entity D { y: # };
entity E;)");
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], "2:1: expected `;`, found `entity`");
  EXPECT_EQ(errors[1], "2:12: expected `{`, found `;`");
  EXPECT_EQ(errors[2], "3:37: expected `,` or `}`, found `resource`");
  EXPECT_EQ(errors[3], "4:15: expected an identifier, found unexpected character `#`");
  auto r = parse_schema_text("entity A {", "file.cedarschema");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().diagnostics[0].str(), "file.cedarschema:1:11: expected an identifier, found end of input");
  EXPECT_EQ(r.error().message, r.error().diagnostics[0].str());
}

TEST(SchemaDiagnostics, CountsColumnsInCharactersAndLinesAcrossStrings) {
  EXPECT_EQ(errors_of("entity A { \"é\": Long, b: Nope };"),
            std::vector<std::string>{"1:26: unknown type `Nope`: `Nope` is not declared as a common or entity type"});
  EXPECT_EQ(errors_of("entity A { \"multi\nline\": Long, b: Nope };"),
            std::vector<std::string>{"2:17: unknown type `Nope`: `Nope` is not declared as a common or entity type"});
}

TEST(SchemaDiagnostics, SummarisesSeveralErrorsInTheMessage) {
  auto r = parse_schema("entity A { a: X, b: Y };", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().diagnostics.size(), 2u);
  EXPECT_NE(r.error().message.find("(and 1 more errors)"), std::string::npos);
}

// ---------------------------------------------------------------------------
// The JSON format

TEST(SchemaJson, ParsesEveryTypeForm) {
  Schema s = parse_ok(R"({
    "": { "entityTypes": { "Top": {} }, "actions": {} },
    "NS": {
      "commonTypes": {
        "Ctx": { "type": "Record", "attributes": { "ip": { "type": "Extension", "name": "ipaddr" } } },
        "Name": { "type": "String", "annotations": { "doc": "a name" } }
      },
      "entityTypes": {
        "User": {
          "memberOfTypes": ["Group", "Top"],
          "shape": { "type": "Record", "attributes": {
            "b": { "type": "Boolean" }, "l": { "type": "Long", "required": false }, "n": { "type": "Name" },
            "g": { "type": "Entity", "name": "Group" }, "eoc": { "type": "EntityOrCommon", "name": "Ctx" },
            "set": { "type": "Set", "element": { "type": "EntityOrCommon", "name": "Top" } },
            "alias": { "type": "Bool" }, "dec": { "type": "decimal" }, "q": { "type": "__cedar::Long" }
          } },
          "tags": { "type": "String" },
          "annotations": { "doc": "someone" }
        },
        "Group": { "shape": { "type": "Record", "attributes": {}, "additionalAttributes": false } },
        "Color": { "enum": ["red", "blue"] }
      },
      "actions": {
        "read": {
          "memberOf": [{ "id": "all" }, { "id": "any", "type": "NS::Action" }],
          "appliesTo": { "principalTypes": ["User"], "resourceTypes": ["Group", "Top"], "context": { "type": "Ctx" } }
        },
        "all": {}, "any": { "appliesTo": null, "memberOf": null }
      }
    }
  })");
  EXPECT_EQ(
      show(s.entity_type("NS::User")->shape),
      "{alias: Bool, b: Bool, dec: Extension decimal, eoc: {ip: Extension ipaddr}, g: Entity NS::Group, l?: Long, "
      "n: String, q: Long, set: Set<Entity Top>}");
  EXPECT_EQ(s.entity_type("NS::User")->member_of, (std::vector<std::string>{"NS::Group", "Top"}));
  EXPECT_EQ(show(s.entity_type("NS::User")->tags), "String");
  EXPECT_EQ(*s.entity_type("NS::Color")->enum_ids, (std::vector<std::string>{"red", "blue"}));
  const ActionDecl* read = s.action(EntityUID("NS::Action", "read"));
  ASSERT_NE(read, nullptr);
  EXPECT_TRUE(read->has_applies_to);
  EXPECT_EQ(read->resources, (std::vector<std::string>{"NS::Group", "Top"}));
  EXPECT_EQ(show(read->context), "{ip: Extension ipaddr}");
  EXPECT_EQ(read->member_of, (std::vector<EntityUID>{EntityUID("NS::Action", "all"), EntityUID("NS::Action", "any")}));
  EXPECT_FALSE(s.action(EntityUID("NS::Action", "any"))->has_applies_to);
}

TEST(SchemaJson, ProducesTheSameSchemaAsTheTextForm) {
  Schema text = parse_ok(R"(
    namespace N {
      type Ctx = { ip: ipaddr, tags: Set<String> };
      entity G;
      entity U in [G] { name: String, age?: Long, g: G };
      action view appliesTo { principal: U, resource: [G], context: Ctx };
      action all; action edit in [all, view];
    }
  )");
  Schema json = parse_ok(R"({"N": {
    "commonTypes": { "Ctx": { "type": "Record", "attributes": {
      "ip": { "type": "ipaddr" }, "tags": { "type": "Set", "element": { "type": "String" } } } } },
    "entityTypes": {
      "G": {},
      "U": { "memberOfTypes": ["G"], "shape": { "type": "Record", "attributes": {
        "name": { "type": "String" }, "age": { "type": "Long", "required": false },
        "g": { "type": "EntityOrCommon", "name": "G" } } } } },
    "actions": {
      "view": { "appliesTo": { "principalTypes": ["U"], "resourceTypes": ["G"], "context": { "type": "Ctx" } } },
      "all": {}, "edit": { "memberOf": [{ "id": "all" }, { "id": "view" }] } } }})");
  EXPECT_EQ(dump(text), dump(json));
}

TEST(SchemaJson, CommonTypeReferenceMustNameACommonType) {
  EXPECT_TRUE(mentions(errors_of(R"({"N": {"entityTypes": {"A": {"shape": {"type": "Record", "attributes": {
                                      "x": {"type": "A"}}}}}, "actions": {}}})"),
                       "neither `N::A` nor `A` is declared as a common type"));
  EXPECT_TRUE(mentions(errors_of(R"({"N": {"entityTypes": {"A": {"shape": {"type": "Record", "attributes": {
                                      "x": {"type": "Entity", "name": "Long"}}}}}, "actions": {}}})"),
                       "unknown entity type `Long`"));
}

TEST(SchemaJson, RejectsDuplicateKeysWithTheirLocation) {
  auto errors = errors_of("{\"\": {\"entityTypes\": {\"A\": {},\n  \"A\": {}}, \"actions\": {}}}");
  EXPECT_EQ(errors, std::vector<std::string>{"2:3: duplicate key `A`"});
}

TEST(SchemaJson, RejectsUnknownAndMissingFields) {
  auto errors =
      errors_of(R"({"": {"entityTypes": {"A": {"shap": {}}}, "actions": {"a": {"appliesTo": {"principalTypes": []}}},
                              "extra": 1}})");
  EXPECT_TRUE(mentions(errors, "unknown field `shap` in entity type `A`"));
  EXPECT_TRUE(mentions(errors, "missing the required field `resourceTypes`"));
  EXPECT_TRUE(mentions(errors, "unknown field `extra` in the empty namespace"));
  EXPECT_TRUE(mentions(errors_of(R"({"": {"entityTypes": {}}})"), "missing the required field `actions`"));
  EXPECT_TRUE(
      mentions(errors_of(R"({"": {"entityTypes": {"A": {"shape": {"type": "Long", "element": {"type": "Long"}}}},
                                    "actions": {}}})"),
               "a `Long` type cannot have `element`"));
  EXPECT_TRUE(mentions(errors_of(R"({"entityTypes": {}, "actions": {}})"), "write the empty namespace as"));
}

TEST(SchemaJson, RejectsUnsupportedFeatures) {
  EXPECT_TRUE(mentions(errors_of(R"({"": {"entityTypes": {"A": {"shape": {"type": "Record", "attributes": {},
                                    "additionalAttributes": true}}}, "actions": {}}})"),
                       "`additionalAttributes: true` is not supported"));
  EXPECT_TRUE(mentions(errors_of(R"({"": {"entityTypes": {}, "actions": {"a": {"attributes": {}}}}})"),
                       "declares `attributes`"));
  EXPECT_TRUE(mentions(errors_of(R"({"": {"entityTypes": {"A": {"enum": ["x"], "shape": {"type": "Record",
                                    "attributes": {}}}}, "actions": {}}})"),
                       "enumerated entity type `A` cannot have `shape`"));
  EXPECT_TRUE(mentions(errors_of(R"({"": {"entityTypes": {"A": {"shape": {"type": "Record", "attributes": {
                                    "a": {"type": "Extension", "name": "money"}}}}}, "actions": {}}})"),
                       "unknown extension type `money`"));
}

TEST(SchemaJson, ReportsSyntaxErrorLocation) {
  auto errors = errors_of("{\"\": {\n  \"entityTypes\": {,}}}");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].substr(0, 6), "2:19: ");
  EXPECT_NE(errors[0].find("invalid JSON"), std::string::npos);
}

TEST(SchemaJson, PointsSemanticErrorsAtTheOffendingValue) {
  auto errors = errors_of("{\"N\": {\"entityTypes\": {\n  \"A\": {\"memberOfTypes\": [\"B\"]}},\n  \"actions\": {}}}");
  EXPECT_EQ(errors, std::vector<std::string>{
                        "2:27: unknown entity type `B`: neither `N::B` nor `B` is declared as an entity type"});
}

TEST(SchemaJson, RejectsDeepNestingWithoutExhaustingTheStack) {
  std::string deep(200000, '[');
  EXPECT_TRUE(mentions(errors_of("{\"\": " + deep), "more than 128 levels"));
  std::string set = R"({"": {"entityTypes": {"A": {"tags": )";
  for (int i = 0; i < 100; ++i) set += R"({"type": "Set", "element": )";
  set += R"({"type": "Long"})" + std::string(100, '}') + "}}, \"actions\": {}}}";
  EXPECT_TRUE(mentions(errors_of(set), "more than 64 levels"));
}

// ---------------------------------------------------------------------------
// Hostile input

TEST(SchemaHostileInput, RejectsNulBytesAndInvalidUtf8) {
  EXPECT_TRUE(mentions(errors_of(std::string("entity A\0;", 10)), "unexpected character U+0000"));
  EXPECT_TRUE(mentions(errors_of("entity A { \"\xff\": Long };"), "1:13: invalid UTF-8"));
  EXPECT_TRUE(mentions(errors_of(std::string("{\"\": {\"entityTypes\": {\"A\0\": {}}, \"actions\": {}}}", 46)),
                       "invalid JSON"));
  EXPECT_TRUE(mentions(errors_of("{\"\": {\"entityTypes\": {\"\xc3\x28\": {}}, \"actions\": {}}}"), "invalid JSON"));
  // A NUL inside a quoted name is just a character.
  Schema s = parse_ok(std::string("entity A { \"a\0b\": Long };", 25));
  EXPECT_TRUE(s.entity_type("A")->shape.attrs.count(std::string("a\0b", 3)));
}

TEST(SchemaHostileInput, SurvivesTruncatedAndGarbageInput) {
  std::string text = R"(namespace N { @doc("x") entity A in [B] = { "a"?: Set<{ b: Long }> } tags String;
    entity B enum ["x"]; type T = { c: A }; action "r" in [N::Action::"s"] appliesTo { principal: A,
    resource: [B], context: T }; action s; })";
  for (size_t n = 0; n < text.size(); ++n) (void)parse_schema_text(text.substr(0, n), "t");
  for (std::string junk : {"}}}}", "{{{{", "\"", "@@@", "entity", "::", "<<>>", "namespace N {", "action a in"})
    EXPECT_FALSE(parse_schema_text(junk, "t").ok()) << junk;
  std::string many(5000, '#');
  auto r = parse_schema_text(many, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_LE(r.error().diagnostics.size(), 101u);
  std::string braces(100000, '{');
  EXPECT_FALSE(parse_schema_text("entity A " + braces, "t").ok());
}

TEST(SchemaHostileInput, ParsesMultiMegabyteSchemasAndLongChains) {
  // Speed is measured by bench/, not here; this checks that large inputs and
  // long chains parse without recursion limits or quadratic blow-ups.
  std::string text, json = R"({"": {"entityTypes": {)";
  for (int i = 0; i < 30000; ++i) {
    std::string n = std::to_string(i);
    text += "entity E" + n + " in [E" + std::to_string(i / 2) + "] { a: Long, b: Set<String>, c: T };\n";
    json += (i ? ",\n" : "") + std::string("\"E") + n +
            R"(": {"shape": {"type": "Record", "attributes": {"a": {"type": "Long"}}}})";
  }
  text += "type T = { x: Bool };\n";
  json += R"(}, "actions": {}}})";
  ASSERT_GT(text.size(), 1500000u);
  EXPECT_EQ(parse_ok(text).entity_types.size(), 30000u);
  EXPECT_EQ(parse_ok(json).entity_types.size(), 30000u);
  // Long chains of common types and actions are resolved without recursion.
  std::string chain;
  for (int i = 0; i < 50000; ++i) chain += "type T" + std::to_string(i) + " = T" + std::to_string(i + 1) + ";\n";
  chain += "type T50000 = Long; entity E { t: T0 };\n";
  for (int i = 0; i < 50000; ++i) chain += "action a" + std::to_string(i) + " in a" + std::to_string(i + 1) + ";\n";
  chain += "action a50000;";
  Schema s = parse_ok(chain);
  EXPECT_EQ(show(attr(s, "E", "t")), "Long");
}

TEST(SchemaFormat, PicksTheFormatFromTheContent) {
  EXPECT_NE(parse_ok("  \n{\"\": {\"entityTypes\": {\"A\": {}}, \"actions\": {}}}").entity_type("A"), nullptr);
  EXPECT_NE(parse_ok("entity A;").entity_type("A"), nullptr);
  EXPECT_TRUE(parse_ok("").entity_types.empty());
  EXPECT_TRUE(parse_ok("{}").entity_types.empty());
  EXPECT_NE(parse_ok("\xEF\xBB\xBF entity A;").entity_type("A"), nullptr);
  EXPECT_EQ(errors_of("\xEF\xBB\xBF{\"\": {\"entityTypes\": {\"A\": {\"memberOfTypes\": [\"B\"]}}, \"actions\": {}}}"),
            std::vector<std::string>{"1:47: unknown entity type `B`: `B` is not declared as an entity type"});
}

}  // namespace
}  // namespace tollgate::cedar
