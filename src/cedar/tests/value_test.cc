#include <gtest/gtest.h>

#include "cedar/value.h"

namespace tollgate::cedar {
namespace {

TEST(Value, SetsAreCanonicalSoEqualityIsSetEquality) {
  Value a = Value::set({Value(int64_t{3}), Value(int64_t{1}), Value(int64_t{3})});
  Value b = Value::set({Value(int64_t{1}), Value(int64_t{3})});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.as_set().size(), 2u);
}

TEST(Value, RecordsCompareByContentRegardlessOfInsertionOrder) {
  Value a = Value::record({{"b", Value(true)}, {"a", Value("x")}});
  Value b = Value::record({{"a", Value("x")}, {"b", Value(true)}});
  EXPECT_EQ(a, b);
  ASSERT_NE(a.field("a"), nullptr);
  EXPECT_EQ(a.field("a")->as_string(), "x");
  EXPECT_EQ(a.field("c"), nullptr);
}

TEST(Value, DifferentKindsAreNeverEqual) {
  EXPECT_FALSE(Value(int64_t{1}) == Value(true));
  EXPECT_FALSE(Value("1") == Value(int64_t{1}));
}

TEST(Value, EntityEqualityComparesTypeAndId) {
  EXPECT_EQ(Value(EntityUID("User", "a")), Value(EntityUID("User", "a")));
  EXPECT_FALSE(Value(EntityUID("User", "a")) == Value(EntityUID("Group", "a")));
}

TEST(Value, SetMembershipUsesCedarEquality) {
  Value s = Value::set({Value(EntityUID("User", "a")), Value("x"), Value::set({Value(int64_t{1})})});
  EXPECT_TRUE(s.set_contains(Value(EntityUID("User", "a"))));
  EXPECT_TRUE(s.set_contains(Value::set({Value(int64_t{1})})));
  EXPECT_FALSE(s.set_contains(Value("y")));
}

TEST(Value, EscapesControlCharactersWhenPrinted) {
  EXPECT_EQ(Value(std::string("a\"b\n\x01", 5)).str(), "\"a\\\"b\\n\\u{1}\"");
  EXPECT_EQ(EntityUID("NS::User", "q\"").str(), "NS::User::\"q\\\"\"");
}

}  // namespace
}  // namespace tollgate::cedar
