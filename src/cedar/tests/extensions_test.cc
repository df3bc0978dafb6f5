#include "cedar/extensions.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::cedar::ext {
namespace {

using namespace std::string_literals;

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 24 * kHour;

int64_t dec(std::string_view s) {
  auto d = parse_decimal(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d ? d->raw : 0;
}

IpAddr ip(std::string_view s) {
  auto a = parse_ip(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddr{});
}

int64_t dt(std::string_view s) {
  auto d = parse_datetime(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d ? d->ms : 0;
}

int64_t dur(std::string_view s) {
  auto d = parse_duration(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d ? d->ms : 0;
}

// ---- decimal ---------------------------------------------------------------

TEST(Decimal, ParsesScaledByTenThousand) {
  EXPECT_EQ(dec("1.0"), 10000);
  EXPECT_EQ(dec("-1.0"), -10000);
  EXPECT_EQ(dec("123.456"), 1234560);
  EXPECT_EQ(dec("0.1234"), 1234);
  EXPECT_EQ(dec("-0.0123"), -123);
  EXPECT_EQ(dec("55.1"), 551000);
}

TEST(Decimal, SmallNegativeValuesKeepTheirSign) {
  EXPECT_EQ(dec("-0.5"), -5000);
  EXPECT_EQ(dec("-0.0001"), -1);
  EXPECT_LT(dec("-0.0023"), 0);
  EXPECT_NE(dec("-0.23"), dec("0.23"));
}

TEST(Decimal, NegativeZeroEqualsZero) {
  EXPECT_EQ(dec("-0.0"), 0);
  EXPECT_EQ(dec("0.0"), 0);
}

TEST(Decimal, AcceptsLeadingZerosInBothParts) {
  EXPECT_EQ(dec("00.000"), 0);
  EXPECT_EQ(dec("0123.0"), 1230000);
  EXPECT_EQ(dec("123.0000"), 1230000);
  EXPECT_EQ(dec("0000000000000000000000000000001.5"), 15000);
}

TEST(Decimal, AcceptsTheFullI64Range) {
  EXPECT_EQ(dec("922337203685477.5807"), kI64Max);
  EXPECT_EQ(dec("-922337203685477.5808"), kI64Min);
}

TEST(Decimal, RejectsOverflowWhenScaled) {
  EXPECT_FALSE(parse_decimal("922337203685477.5808"));
  EXPECT_FALSE(parse_decimal("-922337203685477.5809"));
  EXPECT_FALSE(parse_decimal("-922337203685478.0"));
  EXPECT_FALSE(parse_decimal("1000000000000000.0"));
  EXPECT_FALSE(parse_decimal("9223372036854775807.0"));
  EXPECT_FALSE(parse_decimal("9223372036854775808.0"));
  EXPECT_FALSE(parse_decimal("-9223372036854775808.0"));
  EXPECT_FALSE(parse_decimal(std::string(5000, '9') + ".0"));
}

TEST(Decimal, RejectsMoreThanFourFractionalDigits) {
  EXPECT_FALSE(parse_decimal("0.12345"));
  EXPECT_FALSE(parse_decimal("0.00000"));  // even when the extra digits are zero
  EXPECT_FALSE(parse_decimal("1." + std::string(1000, '0')));
}

TEST(Decimal, RequiresDigitsOnBothSidesOfThePoint) {
  for (const char* s : {"1234", "1.", ".1", "-.", "-.5", "-1.", ".", "", "-"}) EXPECT_FALSE(parse_decimal(s)) << s;
}

TEST(Decimal, RejectsPlusSignExponentsAndOtherSyntax) {
  for (const char* s : {"+1.0", "--1.0", "1.0.", "1.2.3", "1.a", "a.1", "1e3.0", "1.0e1", "0x1.0", "1_0.0", "1,0"})
    EXPECT_FALSE(parse_decimal(s)) << s;
}

TEST(Decimal, RejectsWhitespaceNulAndNonAsciiDigits) {
  for (const std::string& s :
       {" 1.0"s, "1.0 "s, "1 .0"s, "1.0\n"s, "\t1.0"s, "1.0\0"s, "1\0.0"s, "\xd9\xa1.0"s, "1.\xd9\xa0"s})
    EXPECT_FALSE(parse_decimal(s)) << s;
}

TEST(Decimal, PrintsFourFractionalDigits) {
  EXPECT_EQ(decimal_to_string(Decimal{15000}), "1.5000");
  EXPECT_EQ(decimal_to_string(Decimal{30000}), "3.0000");
  EXPECT_EQ(decimal_to_string(Decimal{10500}), "1.0500");
  EXPECT_EQ(decimal_to_string(Decimal{0}), "0.0000");
  EXPECT_EQ(decimal_to_string(Decimal{-1}), "-0.0001");
  EXPECT_EQ(decimal_to_string(Decimal{-5000}), "-0.5000");
  EXPECT_EQ(decimal_to_string(Decimal{1234560}), "123.4560");
}

TEST(Decimal, PrintsI64ExtremesWithoutOverflow) {
  EXPECT_EQ(decimal_to_string(Decimal{kI64Max}), "922337203685477.5807");
  EXPECT_EQ(decimal_to_string(Decimal{kI64Min}), "-922337203685477.5808");
}

TEST(Decimal, PrintedTextParsesBackToTheSameValue) {
  for (int64_t raw :
       {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{9999}, int64_t{-10000}, int64_t{123456789}, kI64Max, kI64Min})
    EXPECT_EQ(parse_decimal(decimal_to_string(Decimal{raw})), Decimal{raw}) << raw;
}

// ---- ipaddr: parsing -------------------------------------------------------

TEST(IpAddr, ParsesIpv4AsSingleAddressWithPrefix32) {
  IpAddr a = ip("192.168.0.1");
  EXPECT_FALSE(a.v6);
  EXPECT_EQ(a.prefix, 32);
  EXPECT_EQ(a.bytes[0], 192);
  EXPECT_EQ(a.bytes[1], 168);
  EXPECT_EQ(a.bytes[2], 0);
  EXPECT_EQ(a.bytes[3], 1);
  for (int k = 4; k < 16; ++k) EXPECT_EQ(a.bytes[k], 0);
  EXPECT_EQ(ip("0.0.0.0").prefix, 32);
  EXPECT_EQ(ip("255.255.255.255").bytes[3], 255);
}

TEST(IpAddr, ParsesIpv4Prefixes) {
  EXPECT_EQ(ip("10.0.0.0/8").prefix, 8);
  EXPECT_EQ(ip("127.0.0.1/0").prefix, 0);
  EXPECT_EQ(ip("127.0.0.1/32").prefix, 32);
}

TEST(IpAddr, KeepsHostBitsAfterThePrefix) {
  IpAddr a = ip("10.0.0.1/24");
  EXPECT_EQ(a.bytes[3], 1);
  EXPECT_NE(a, ip("10.0.0.0/24"));
  EXPECT_NE(ip("127.0.0.1"), ip("127.0.0.1/24"));
}

TEST(IpAddr, RejectsLeadingZeroInIpv4Octet) {
  for (const char* s : {"01.0.0.1", "1.02.3.4", "1.2.3.004", "00.0.0.0"}) EXPECT_FALSE(parse_ip(s)) << s;
  EXPECT_TRUE(parse_ip("0.0.0.0"));
}

TEST(IpAddr, RejectsMalformedIpv4) {
  for (const char* s :
       {"256.0.0.1", "380.0.0.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.4.", "ab.ab.ab.ab",
        "1234.1.1.1", "+1.2.3.4", "-1.2.3.4", "1.2.3.4:80", "0x1.2.3.4", "localhost", "?", ""})
    EXPECT_FALSE(parse_ip(s)) << s;
}

TEST(IpAddr, ParsesIpv6Forms) {
  IpAddr lo = ip("::1");
  EXPECT_TRUE(lo.v6);
  EXPECT_EQ(lo.prefix, 128);
  EXPECT_EQ(lo.bytes[15], 1);
  EXPECT_EQ(ip("::"), ip("0:0:0:0:0:0:0:0"));
  EXPECT_EQ(ip("1::"), ip("1:0:0:0:0:0:0:0"));
  EXPECT_EQ(ip("1:2::7:8"), ip("1:2:0:0:0:0:7:8"));
  EXPECT_EQ(ip("1:2:3:4:5:6:7::"), ip("1:2:3:4:5:6:7:0"));
  EXPECT_EQ(ip("::2:3:4:5:6:7:8"), ip("0:2:3:4:5:6:7:8"));
  IpAddr full = ip("1234:5678:9abc:def0:1:2:3:4");
  EXPECT_EQ(full.bytes[0], 0x12);
  EXPECT_EQ(full.bytes[7], 0xf0);
  EXPECT_EQ(full.bytes[15], 0x04);
}

TEST(IpAddr, AcceptsUppercaseHexAndLeadingZerosInIpv6Groups) {
  EXPECT_EQ(ip("FFEE::ABCD"), ip("ffee::abcd"));
  EXPECT_EQ(ip("0001:0000::0fe"), ip("1::fe"));
  EXPECT_TRUE(parse_ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"));
  EXPECT_TRUE(parse_ip("0000:0000:0000:0000:0000:0000:0000:0000/128"));
}

TEST(IpAddr, ParsesIpv6Prefixes) {
  EXPECT_EQ(ip("ffee::/64").prefix, 64);
  EXPECT_EQ(ip("ffee::/0").prefix, 0);
  EXPECT_EQ(ip("ffee::/128").prefix, 128);
  EXPECT_EQ(ip("fe80::/10").bytes[1], 0x80);
}

TEST(IpAddr, RejectsMalformedIpv6) {
  for (const char* s : {"foo::1", ":::", ":1::", "1:::2", "1::2::3", "1::2:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:",
                        "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
                        "1:2:3:4::5:6:7:8", "12345::", "::10000", "[::1]", "g::1", ":", "1:2"})
    EXPECT_FALSE(parse_ip(s)) << s;
}

TEST(IpAddr, RejectsIpv4EmbeddedInIpv6Text) {
  for (const char* s : {"::ffff:127.0.0.1", "::127.0.0.1", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4/120"})
    EXPECT_FALSE(parse_ip(s)) << s;
}

TEST(IpAddr, AcceptsIpv4MappedAddressWrittenInHexAsIpv6) {
  IpAddr a = ip("::ffff:ff00:1");
  EXPECT_TRUE(a.v6);
  EXPECT_FALSE(ip_is_ipv4(a));
  EXPECT_NE(a, ip("255.0.0.1"));
}

TEST(IpAddr, RejectsZoneIdsAndWhitespace) {
  for (const std::string& s : {"fe80::1%eth0"s, "fe80::1%1"s, " 1.2.3.4"s, "1.2.3.4 "s, "1.2.3.4\n"s, ":: 1"s,
                               "::1 /128"s, "::1/ 128"s, "1.2.3.4/8 "s, "1.2.3.4\0"s, "::1\0"s})
    EXPECT_FALSE(parse_ip(s)) << s;
}

TEST(IpAddr, RejectsOutOfRangePrefixes) {
  for (const char* s : {"172.0.0.1/33", "172.0.0.1/64", "ffee::/129", "ffee::/132", "ffee::/1234", "1.2.3.4/100"})
    EXPECT_FALSE(parse_ip(s)) << s;
}

TEST(IpAddr, RejectsLeadingZeroSignOrEmptyPrefix) {
  for (const char* s : {"1.2.3.4/08", "1.2.3.4/00", "ffee::/01", "ffee::/000", "ffee::/+1", "ffee::/-1", "1.2.3.4/",
                        "::/", "1.2.3.4/8/24", "fee::/64::1", "::1/1.2", "1.2.3.4/a"})
    EXPECT_FALSE(parse_ip(s)) << s;
  EXPECT_EQ(ip("1.2.3.4/0").prefix, 0);
}

TEST(IpAddr, RejectsOverlongTextWithoutScanningIt) {
  EXPECT_FALSE(parse_ip("0000:0000:0000:0000:0000:0000:0000:0000/0128"));  // 44 bytes
  EXPECT_FALSE(parse_ip(std::string(1 << 20, '1')));
}

// ---- ipaddr: methods -------------------------------------------------------

TEST(IpAddr, ReportsFamily) {
  EXPECT_TRUE(ip_is_ipv4(ip("127.0.0.1")));
  EXPECT_FALSE(ip_is_ipv6(ip("127.0.0.1")));
  EXPECT_TRUE(ip_is_ipv6(ip("::1")));
  EXPECT_FALSE(ip_is_ipv4(ip("::1")));
  EXPECT_TRUE(ip_is_ipv4(ip("127.0.0.1/24")));
  EXPECT_TRUE(ip_is_ipv6(ip("ffee::/64")));
}

TEST(IpAddr, LoopbackIsAnyRangeInside127Slash8OrExactlyIpv6One) {
  EXPECT_TRUE(ip_is_loopback(ip("127.0.0.1")));
  EXPECT_TRUE(ip_is_loopback(ip("127.0.0.2")));
  EXPECT_TRUE(ip_is_loopback(ip("127.255.255.255")));
  EXPECT_TRUE(ip_is_loopback(ip("127.0.0.0/8")));
  EXPECT_TRUE(ip_is_loopback(ip("127.1.0.0/16")));
  EXPECT_TRUE(ip_is_loopback(ip("::1")));
  EXPECT_TRUE(ip_is_loopback(ip("::1/128")));
}

TEST(IpAddr, LoopbackIsFalseForRangesWiderThanTheLoopbackRange) {
  EXPECT_FALSE(ip_is_loopback(ip("127.255.200.200/0")));
  EXPECT_FALSE(ip_is_loopback(ip("127.0.0.0/7")));
  EXPECT_FALSE(ip_is_loopback(ip("::1/127")));
  EXPECT_FALSE(ip_is_loopback(ip("::1/0")));
}

TEST(IpAddr, LoopbackIsFalseForOtherAddressesAndIpv4MappedLoopback) {
  EXPECT_FALSE(ip_is_loopback(ip("128.0.0.1")));
  EXPECT_FALSE(ip_is_loopback(ip("126.255.255.255")));
  EXPECT_FALSE(ip_is_loopback(ip("::2")));
  EXPECT_FALSE(ip_is_loopback(ip("::")));
  EXPECT_FALSE(ip_is_loopback(ip("::ffff:7f00:1")));
  EXPECT_FALSE(ip_is_loopback(ip("1::1")));
}

TEST(IpAddr, MulticastIsAnyRangeInside224Slash4OrFf00Slash8) {
  EXPECT_TRUE(ip_is_multicast(ip("228.228.228.0")));
  EXPECT_TRUE(ip_is_multicast(ip("224.0.0.0")));
  EXPECT_TRUE(ip_is_multicast(ip("239.255.255.255")));
  EXPECT_TRUE(ip_is_multicast(ip("224.0.0.0/4")));
  EXPECT_TRUE(ip_is_multicast(ip("224.0.0.0/5")));
  EXPECT_TRUE(ip_is_multicast(ip("ff00::/8")));
  EXPECT_TRUE(ip_is_multicast(ip("ff00::/9")));
  EXPECT_TRUE(ip_is_multicast(ip("ff02::1")));
}

TEST(IpAddr, MulticastIsFalseForWiderRangesAndOtherAddresses) {
  EXPECT_FALSE(ip_is_multicast(ip("224.0.0.0/3")));
  EXPECT_FALSE(ip_is_multicast(ip("ff00::/7")));
  EXPECT_FALSE(ip_is_multicast(ip("240.0.0.0")));
  EXPECT_FALSE(ip_is_multicast(ip("223.255.255.255")));
  EXPECT_FALSE(ip_is_multicast(ip("127.0.0.1")));
  EXPECT_FALSE(ip_is_multicast(ip("127.0.0.1/1")));
  EXPECT_FALSE(ip_is_multicast(ip("fe00::")));
  EXPECT_FALSE(ip_is_multicast(ip("::ffff:e000:1")));
}

TEST(IpAddr, InRangeHoldsWhenTheWholeRangeIsContained) {
  EXPECT_TRUE(ip_is_in_range(ip("192.168.0.1/24"), ip("192.168.0.1/24")));
  EXPECT_TRUE(ip_is_in_range(ip("192.168.0.1"), ip("192.168.0.1/28")));
  EXPECT_TRUE(ip_is_in_range(ip("192.168.0.10"), ip("192.168.0.1/24")));
  EXPECT_TRUE(ip_is_in_range(ip("192.168.0.10"), ip("192.168.0.1/28")));
  EXPECT_TRUE(ip_is_in_range(ip("192.168.0.75"), ip("192.168.0.1/24")));
  EXPECT_TRUE(ip_is_in_range(ip("192.168.0.1"), ip("192.168.0.1")));
  EXPECT_TRUE(ip_is_in_range(ip("10.1.0.0/16"), ip("10.0.0.0/8")));
  EXPECT_TRUE(ip_is_in_range(ip("1.2.3.4"), ip("200.0.0.0/0")));
  EXPECT_TRUE(ip_is_in_range(ip("1:2:3:4::"), ip("1:2:3:4::/48")));
  EXPECT_TRUE(ip_is_in_range(ip("1:2:3:4::"), ip("1:2:3:4::/52")));
  EXPECT_TRUE(ip_is_in_range(ip("1:2:3:6::"), ip("1:2:3:4::/48")));
  EXPECT_TRUE(ip_is_in_range(ip("1:2:3:6::"), ip("1:2:3:4::/52")));  // the /52 ignores the low bits of group 4
  EXPECT_TRUE(ip_is_in_range(ip("1:2:3:ffff::"), ip("1:2:3:4::/48")));
  EXPECT_TRUE(ip_is_in_range(ip("1:2:3:4::"), ip("1:2:3:4::")));
  EXPECT_TRUE(ip_is_in_range(ip("::ffff:a00:1"), ip("::ffff:a00:0/104")));
}

TEST(IpAddr, InRangeFailsForOutsideOrWiderRanges) {
  EXPECT_FALSE(ip_is_in_range(ip("192.168.0.75"), ip("192.168.0.1/28")));
  EXPECT_FALSE(ip_is_in_range(ip("1:2:3:ffff::"), ip("1:2:3:4::/52")));
  EXPECT_FALSE(ip_is_in_range(ip("10.0.0.0/8"), ip("10.1.0.0/16")));
  EXPECT_FALSE(ip_is_in_range(ip("10.1.2.3/24"), ip("10.1.2.3")));
  EXPECT_FALSE(ip_is_in_range(ip("128.0.0.0/1"), ip("0.0.0.0/1")));
  EXPECT_FALSE(ip_is_in_range(ip("1.2.3.5"), ip("1.2.3.6/31")));
}

TEST(IpAddr, InRangeIsFalseAcrossFamilies) {
  EXPECT_FALSE(ip_is_in_range(ip("192.168.0.1"), ip("1:2:3:4::/48")));
  EXPECT_FALSE(ip_is_in_range(ip("::1"), ip("0.0.0.0/0")));
  EXPECT_FALSE(ip_is_in_range(ip("0.0.0.0/0"), ip("::/0")));
  EXPECT_FALSE(ip_is_in_range(ip("10.0.0.1"), ip("::ffff:a00:0/96")));
}

// ---- ipaddr: text ----------------------------------------------------------

TEST(IpAddr, PrintsIpv4WithPrefix) {
  EXPECT_EQ(ip_to_string(ip("127.0.0.1")), "127.0.0.1/32");
  EXPECT_EQ(ip_to_string(ip("10.0.0.1/8")), "10.0.0.1/8");
  EXPECT_EQ(ip_to_string(ip("0.0.0.0/0")), "0.0.0.0/0");
}

TEST(IpAddr, PrintsIpv6CompressingTheFirstLongestZeroRun) {
  EXPECT_EQ(ip_to_string(ip("::1")), "::1/128");
  EXPECT_EQ(ip_to_string(ip("::")), "::/128");
  EXPECT_EQ(ip_to_string(ip("FFEE:0:0::/64")), "ffee::/64");
  EXPECT_EQ(ip_to_string(ip("0001:0db8:0000:0000:0000:0000:0000:0001")), "1:db8::1/128");
  EXPECT_EQ(ip_to_string(ip("1:0:0:1:0:0:0:1")), "1:0:0:1::1/128");
  EXPECT_EQ(ip_to_string(ip("1:0:0:1:0:0:1:1")), "1::1:0:0:1:1/128");
  EXPECT_EQ(ip_to_string(ip("1:0:1:0:1:0:1:0")), "1:0:1:0:1:0:1:0/128");  // a lone zero group stays
  EXPECT_EQ(ip_to_string(ip("1:2:3:4:5:6:7:8")), "1:2:3:4:5:6:7:8/128");
  EXPECT_EQ(ip_to_string(ip("0:0:1::")), "0:0:1::/128");
}

TEST(IpAddr, PrintsIpv4MappedIpv6Dotted) {
  EXPECT_EQ(ip_to_string(ip("::ffff:102:304/120")), "::ffff:1.2.3.4/120");
  EXPECT_EQ(ip_to_string(ip("::ffff:0:0")), "::ffff:0.0.0.0/128");
  EXPECT_EQ(ip_to_string(ip("::fffe:102:304")), "::fffe:102:304/128");
  EXPECT_EQ(ip_to_string(ip("::102:304")), "::102:304/128");
}

TEST(IpAddr, PrintedTextOtherThanIpv4MappedParsesBack) {
  for (const char* s : {"1.2.3.4/5", "::", "::1", "1::", "fe80::1:2/64", "1:0:0:1:0:0:0:1", "ffff:0:0:0:0:0:0:ffff"}) {
    IpAddr a = ip(s);
    EXPECT_EQ(parse_ip(ip_to_string(a)), a) << s;
  }
}

// ---- datetime: parsing -----------------------------------------------------

TEST(Datetime, ParsesDateOnlyAsUtcMidnight) {
  EXPECT_EQ(dt("1970-01-01"), 0);
  EXPECT_EQ(dt("1970-01-02"), kDay);
  EXPECT_EQ(dt("2024-10-15"), 1728950400000);
  EXPECT_EQ(dt("2000-03-01"), 951868800000);
}

TEST(Datetime, ParsesUtcTimes) {
  EXPECT_EQ(dt("2024-10-15T11:38:02Z"), 1728992282000);
  EXPECT_EQ(dt("2024-10-15T11:38:02.101Z"), 1728992282101);
  EXPECT_EQ(dt("2024-10-15T00:00:00Z"), dt("2024-10-15"));
  EXPECT_EQ(dt("2024-10-15T23:59:59.999Z"), dt("2024-10-16") - 1);
}

TEST(Datetime, SubtractsTheUtcOffset) {
  EXPECT_EQ(dt("2024-10-15T11:38:02.101+1134"), dt("2024-10-15T00:04:02.101Z"));
  EXPECT_EQ(dt("2024-10-15T11:38:02.101-1134"), dt("2024-10-15T23:12:02.101Z"));
  EXPECT_EQ(dt("2024-10-15T11:38:02+1134"), dt("2024-10-15T00:04:02Z"));
  EXPECT_EQ(dt("2024-10-15T11:38:02-1134"), dt("2024-10-15T23:12:02Z"));
  EXPECT_EQ(dt("2024-10-15T23:59:00+2359"), dt("2024-10-15"));
  EXPECT_EQ(dt("2024-10-15T00:00:00-2359"), dt("2024-10-15T23:59:00Z"));
  EXPECT_EQ(dt("2024-10-28T10:12:13.456-0700"), dt("2024-10-28T17:12:13.456Z"));
  EXPECT_EQ(dt("2024-01-01T00:00:00-0000"), dt("2024-01-01"));
  EXPECT_EQ(dt("2024-01-01T00:00:00+0000"), dt("2024-01-01"));
}

TEST(Datetime, OffsetMayCrossIntoThePreviousOrNextYear) {
  EXPECT_EQ(dt("2024-01-01T00:00:00+0100"), dt("2023-12-31T23:00:00Z"));
  EXPECT_EQ(dt("2023-12-31T23:00:00-0100"), dt("2024-01-01"));
}

TEST(Datetime, HandlesYearsBefore1970) {
  EXPECT_EQ(dt("1969-12-31"), -kDay);
  EXPECT_EQ(dt("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(dt("1900-01-01"), -2208988800000);
  EXPECT_EQ(dt("0000-01-01"), -62167219200000);
  EXPECT_EQ(dt("0000-01-01T00:00:00+0100"), -62167219200000 - 3600000);  // lands in year -1
}

TEST(Datetime, HandlesTheLastRepresentableDay) {
  EXPECT_EQ(dt("9999-12-31T23:59:59.999Z"), 253402300799999);
  EXPECT_EQ(dt("9999-12-31T23:59:59.999-2359"), 253402300799999 + 86340000);
}

TEST(Datetime, AppliesGregorianLeapYearRules) {
  EXPECT_TRUE(parse_datetime("2024-02-29"));
  EXPECT_TRUE(parse_datetime("2000-02-29"));
  EXPECT_TRUE(parse_datetime("0000-02-29"));  // year 0 is divisible by 400
  EXPECT_TRUE(parse_datetime("0400-02-29"));
  EXPECT_FALSE(parse_datetime("2025-02-29"));
  EXPECT_FALSE(parse_datetime("1900-02-29"));
  EXPECT_FALSE(parse_datetime("2100-02-29"));
  EXPECT_FALSE(parse_datetime("2024-02-30"));
  EXPECT_EQ(dt("2024-03-01") - dt("2024-02-28"), 2 * kDay);
  EXPECT_EQ(dt("1900-03-01") - dt("1900-02-28"), kDay);
}

TEST(Datetime, RejectsInvalidMonthsAndDays) {
  for (const char* s : {"2024-00-01", "2024-13-01", "2024-20-01", "2024-01-00", "2024-01-32", "2024-01-99",
                        "2024-04-31", "2024-06-31", "2024-09-31", "2024-11-31"})
    EXPECT_FALSE(parse_datetime(s)) << s;
  for (const char* s : {"2024-01-31", "2024-03-31", "2024-04-30", "2024-12-31"}) EXPECT_TRUE(parse_datetime(s)) << s;
}

TEST(Datetime, RejectsOutOfRangeTimesIncludingLeapSeconds) {
  for (const char* s : {"2024-01-01T24:00:00Z", "2024-01-01T31:02:03Z", "2024-01-01T01:60:03Z", "2016-12-31T23:59:60Z",
                        "2016-12-31T23:59:61Z", "2016-12-31T23:59:60.000+0000"})
    EXPECT_FALSE(parse_datetime(s)) << s;
  EXPECT_TRUE(parse_datetime("2024-01-01T23:59:59Z"));
}

TEST(Datetime, RejectsOutOfRangeOffsets) {
  for (const char* s : {"2016-12-31T00:00:00+1160", "2016-12-31T00:00:00+1199", "2016-12-31T00:00:00+2400",
                        "2016-12-31T00:00:00-2400", "2016-12-31T00:00:00.000+0060"})
    EXPECT_FALSE(parse_datetime(s)) << s;
  EXPECT_TRUE(parse_datetime("2016-12-31T00:00:00+2359"));
  EXPECT_TRUE(parse_datetime("2016-12-31T00:00:00-2359"));
}

TEST(Datetime, RequiresExactlyFourDigitYearsAndTwoDigitFields) {
  for (const char* s :
       {"10000-01-01", "10000-01-01T00:00:00Z", "999-01-01", "+2024-01-01", "-2024-01-01", "2024-1-01", "2024-01-1",
        "11-12-13", "2024-01-01T1:00:00Z", "2024-01-01T01:0:00Z", "2024-01-01T01:00:0Z", "2024-01-01T001:00:00Z"})
    EXPECT_FALSE(parse_datetime(s)) << s;
}

TEST(Datetime, RequiresAZoneAfterTheTime) {
  for (const char* s : {"2024-01-01T00:00:00", "2024-01-01T00:00:00.000", "2024-10-15Z", "2024-01-01T"})
    EXPECT_FALSE(parse_datetime(s)) << s;
}

TEST(Datetime, RequiresExactlyThreeMillisecondDigits) {
  for (const char* s : {"2024-01-01T00:00:00.0001Z", "2024-01-01T00:00:00.01Z", "2024-01-01T00:00:00.Z",
                        "2024-01-01T00:00:00.1+0000", "2024-01-01T00:00:00,000Z"})
    EXPECT_FALSE(parse_datetime(s)) << s;
}

TEST(Datetime, RejectsMalformedZones) {
  for (const char* s :
       {"2024-01-01T00:00:00ZZ", "2024-01-01T00:00:00.001ZZ", "2024-01-01T00:00:00z", "2024-01-01T00:00:00+00000",
        "2024-01-01T00:00:00-00000", "2024-01-01T00:00:00+000", "2024-01-01T00:00:00+01:00", "2024-01-01T00:00:00+01",
        "2024-01-01T00:00:00T", "2024-01-01T00:00:00x001Z", "2024-01-01T00:00:00.000+0000Z",
        "2024-01-01T00:00:00Z+0000", "2024-01-01T00:00:00 +0000"})
    EXPECT_FALSE(parse_datetime(s)) << s;
}

TEST(Datetime, RejectsOtherSyntax) {
  for (const std::string& s :
       {""s, "a"s, "-"s, "-1"s, "1111-1x-20"s, "0000-0a-01"s, "2024-01-01t00:00:00Z"s, "2024-01-01 00:00:00Z"s,
        "2024/01/01"s, "2024-01-01T01::02:03"s, "2024-01-01T01:02"s, "2024-01-01T01:"s, " 2024-01-01"s, "2024-01-01 "s,
        "2024-01-01\0"s, "2024-01-01T00:00:00Z\0"s,
        "2024-01-01T00:00:00\xe2\x9e\x95"
        "0000"s,
        "\xef\xbc\x92"
        "024-01-01"s})
    EXPECT_FALSE(parse_datetime(s)) << s;
}

// ---- datetime: methods -----------------------------------------------------

TEST(Datetime, OffsetAddsTheDuration) {
  EXPECT_EQ(datetime_offset(Datetime{0}, Duration{kDay}), Datetime{kDay});
  EXPECT_EQ(datetime_offset(Datetime{0}, Duration{-kDay}), Datetime{dt("1969-12-31")});
  EXPECT_EQ(datetime_offset(Datetime{dt("2024-10-28T10:12:13.456-0700")}, Duration{dur("-7h")}),
            Datetime{dt("2024-10-28T10:12:13.456Z")});
}

TEST(Datetime, OffsetReportsOverflow) {
  EXPECT_FALSE(datetime_offset(Datetime{kI64Max}, Duration{1}));
  EXPECT_FALSE(datetime_offset(Datetime{kI64Min}, Duration{-1}));
  EXPECT_EQ(datetime_offset(Datetime{kI64Max}, Duration{-1}), Datetime{kI64Max - 1});
  EXPECT_EQ(datetime_offset(Datetime{kI64Min}, Duration{kI64Max}), Datetime{-1});
}

TEST(Datetime, DurationSinceSubtracts) {
  EXPECT_EQ(datetime_duration_since(Datetime{dt("2024-10-24")}, Datetime{0}), Duration{dur("20020d")});
  EXPECT_EQ(datetime_duration_since(Datetime{dt("2024-10-23")}, Datetime{dt("2024-10-24")}), Duration{-kDay});
  EXPECT_EQ(
      datetime_duration_since(Datetime{dt("2024-10-28T10:12:13.456+0700")}, Datetime{dt("2024-10-28T10:12:13.456Z")}),
      Duration{dur("-7h")});
}

TEST(Datetime, DurationSinceReportsOverflow) {
  EXPECT_FALSE(datetime_duration_since(Datetime{kI64Max}, Datetime{-1}));
  EXPECT_FALSE(datetime_duration_since(Datetime{kI64Min}, Datetime{1}));
  EXPECT_FALSE(datetime_duration_since(Datetime{0}, Datetime{kI64Min}));
  EXPECT_EQ(datetime_duration_since(Datetime{-1}, Datetime{kI64Max}), Duration{kI64Min});
}

TEST(Datetime, ToDateTruncatesToMidnight) {
  EXPECT_EQ(datetime_to_date(Datetime{dt("2024-10-28T10:12:13.456+0700")}), Datetime{dt("2024-10-28")});
  EXPECT_EQ(datetime_to_date(Datetime{dt("2024-10-28T10:12:13.456-0700")}), Datetime{dt("2024-10-28")});
  EXPECT_EQ(datetime_to_date(Datetime{dt("2024-10-28T23:59:59.999-2359")}), Datetime{dt("2024-10-29")});
  EXPECT_EQ(datetime_to_date(Datetime{0}), Datetime{0});
  EXPECT_EQ(datetime_to_date(Datetime{kDay - 1}), Datetime{0});
}

TEST(Datetime, DatetimeToDateRoundsTowardNegativeInfinity) {
  EXPECT_EQ(datetime_to_date(Datetime{-1}), Datetime{-kDay});
  EXPECT_EQ(datetime_to_date(Datetime{-kDay}), Datetime{-kDay});
  EXPECT_EQ(datetime_to_date(Datetime{-kDay + 1}), Datetime{-kDay});
  EXPECT_EQ(datetime_to_date(Datetime{-kDay - 1}), Datetime{-2 * kDay});
  int64_t d1900 = dt("1900-01-01");
  EXPECT_EQ(datetime_to_date(Datetime{d1900 + dur("23h59m59s999ms")}), Datetime{d1900});
  EXPECT_EQ(datetime_to_date(Datetime{d1900 - 1}), Datetime{d1900 - kDay});
}

TEST(Datetime, ToDateReportsOverflowBelowTheI64Range) {
  EXPECT_FALSE(datetime_to_date(Datetime{kI64Min}));
  // The earliest midnight in range is day -106751991167; anything before it
  // would round down past kI64Min.
  int64_t first_midnight = -106751991167 * kDay;
  EXPECT_FALSE(datetime_to_date(Datetime{first_midnight - 1}));
  EXPECT_EQ(datetime_to_date(Datetime{first_midnight}), Datetime{first_midnight});
  EXPECT_EQ(datetime_to_date(Datetime{kI64Max}), Datetime{kI64Max - kI64Max % kDay});
}

TEST(Datetime, ToTimeIsTheNonNegativeTimeOfDay) {
  EXPECT_EQ(datetime_to_time(Datetime{dt("2024-10-28T10:12:13.456+0700")}), Duration{dur("3h12m13s456ms")});
  EXPECT_EQ(datetime_to_time(Datetime{dt("2024-10-28T10:12:13.456-0700")}), Duration{dur("17h12m13s456ms")});
  EXPECT_EQ(datetime_to_time(Datetime{0}), Duration{0});
  EXPECT_EQ(datetime_to_time(Datetime{-1}), Duration{kDay - 1});
  EXPECT_EQ(datetime_to_time(Datetime{-kDay}), Duration{0});
  EXPECT_EQ(datetime_to_time(Datetime{kI64Min}), Duration{kI64Min % kDay + kDay});
  EXPECT_EQ(datetime_to_time(Datetime{kI64Max}), Duration{kI64Max % kDay});
}

TEST(Datetime, ToDatePlusToTimeIsTheOriginal) {
  for (int64_t ms :
       {int64_t{0}, int64_t{-1}, int64_t{123456789}, -kDay * 1000 - 5, dt("1900-01-01T12:00:00Z"), kI64Max}) {
    auto date = datetime_to_date(Datetime{ms});
    ASSERT_TRUE(date);
    EXPECT_EQ(date->ms + datetime_to_time(Datetime{ms}).ms, ms);
  }
}

// ---- datetime: text --------------------------------------------------------

TEST(Datetime, PrintsShortestExactIsoForm) {
  EXPECT_EQ(datetime_to_string(Datetime{0}), "1970-01-01");
  EXPECT_EQ(datetime_to_string(Datetime{dt("2024-10-15T11:38:02Z")}), "2024-10-15T11:38:02Z");
  EXPECT_EQ(datetime_to_string(Datetime{dt("2024-10-15T11:38:02.100+0000")}), "2024-10-15T11:38:02.100Z");
  EXPECT_EQ(datetime_to_string(Datetime{dt("2024-10-15T11:38:02.005-0100")}), "2024-10-15T12:38:02.005Z");
  EXPECT_EQ(datetime_to_string(Datetime{-1}), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(datetime_to_string(Datetime{dt("0000-02-29")}), "0000-02-29");
}

TEST(Datetime, PrintsSignedYearsOutsideFourDigits) {
  EXPECT_EQ(datetime_to_string(Datetime{dt("0000-01-01T00:00:00+0100")}), "-0001-12-31T23:00:00Z");
  EXPECT_EQ(datetime_to_string(Datetime{dt("9999-12-31T23:00:00-0100")}), "+10000-01-01");
  EXPECT_EQ(datetime_to_string(Datetime{kI64Max}), "+292278994-08-17T07:12:55.807Z");
  EXPECT_EQ(datetime_to_string(Datetime{kI64Min}), "-292275055-05-16T16:47:04.192Z");
}

TEST(Datetime, PrintedTextParsesBack) {
  for (const char* s : {"2024-10-15", "2024-10-15T11:38:02Z", "2024-10-15T11:38:02.101Z",
                        "1969-07-20T20:17:40.500-0500", "0000-01-01T00:00:00.001Z", "9999-12-31T23:59:59.999Z"}) {
    int64_t ms = dt(s);
    EXPECT_EQ(parse_datetime(datetime_to_string(Datetime{ms})), Datetime{ms}) << s;
  }
}

// ---- duration --------------------------------------------------------------

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(dur("1d"), kDay);
  EXPECT_EQ(dur("1h"), 3600000);
  EXPECT_EQ(dur("1m"), 60000);
  EXPECT_EQ(dur("1s"), 1000);
  EXPECT_EQ(dur("1ms"), 1);
}

TEST(Duration, ParsesCombinationsInOrder) {
  EXPECT_EQ(dur("1d2h3m4s5ms"), kDay + 2 * kHour + 3 * kMinute + 4000 + 5);
  EXPECT_EQ(dur("5d3ms"), 5 * kDay + 3);
  EXPECT_EQ(dur("1m1ms"), 60001);
  EXPECT_EQ(dur("2h30m"), 9000000);
  EXPECT_EQ(dur("12s340ms"), 12340);
  EXPECT_EQ(dur("0d0h0m0s0ms"), 0);
  EXPECT_EQ(dur("3d"), dur("72h"));
}

TEST(Duration, LeadingMinusNegatesEveryComponent) {
  EXPECT_EQ(dur("-10h"), -36000000);
  EXPECT_EQ(dur("-3h5m"), -(3 * kHour + 5 * kMinute));
  EXPECT_EQ(dur("-1d2h3m4s5ms"), -(kDay + 2 * kHour + 3 * kMinute + 4000 + 5));
  EXPECT_EQ(dur("-0h1ms"), -1);
  EXPECT_EQ(dur("-0h2s1ms"), -2001);
  EXPECT_EQ(dur("-0ms"), 0);
}

TEST(Duration, AcceptsLeadingZerosAndLargeCounts) {
  EXPECT_EQ(dur("0000000000000000000000000001ms"), 1);
  EXPECT_EQ(dur("00000h"), 0);
  EXPECT_EQ(dur("106751991167d"), 106751991167 * kDay);
}

TEST(Duration, AcceptsTheFullI64Range) {
  EXPECT_EQ(dur("9223372036854775807ms"), kI64Max);
  EXPECT_EQ(dur("-9223372036854775808ms"), kI64Min);
  EXPECT_EQ(dur("106751991167d7h12m55s807ms"), kI64Max);
  EXPECT_EQ(dur("-106751991167d7h12m55s807ms"), kI64Min + 1);
  EXPECT_EQ(dur("-106751991167d7h12m55s808ms"), kI64Min);
  EXPECT_EQ(dur("9223372036854775s807ms"), kI64Max);
  EXPECT_EQ(dur("-9223372036854775s808ms"), kI64Min);
}

TEST(Duration, RejectsOverflow) {
  for (const std::string& s :
       {"9223372036854775808ms"s, "-9223372036854775809ms"s, "18446744073709551615ms"s, "18446744073709551616ms"s,
        "106751991168d"s, "106751991167d7h12m55s808ms"s, "-106751991167d7h12m55s809ms"s, "106751991167d8h"s,
        "9223372036854775s808ms"s, "-9223372036854775s809ms"s, "-9223372036854775808s"s, "9223372036854775807d"s,
        std::string(10000, '9') + "ms"})
    EXPECT_FALSE(parse_duration(s)) << s.substr(0, 40);
}

TEST(Duration, RejectsUnitsOutOfOrderOrRepeated) {
  for (const char* s : {"1ms1s", "1ms1m", "1ms1h", "0ms1d", "1s1m", "1s1h", "0s0d", "0m0h", "0m0d", "1h1d", "1ms1m1d",
                        "1d1d", "1ms1ms", "1m1m", "1h2h"})
    EXPECT_FALSE(parse_duration(s)) << s;
}

TEST(Duration, RejectsMissingNumbersOrUnits) {
  for (const char* s : {"", "-", "1", "-1", "1d2", "d", "-d", "-h", "-ms", "ms", "1dd", "11dd", "00000mm", "-1hh",
                        "-h2d", "1d-", "1d2h3"})
    EXPECT_FALSE(parse_duration(s)) << s;
}

TEST(Duration, RejectsSignsAnywhereButTheStart) {
  for (const char* s : {"--1d", "+1h", "1d-1h", "-1d-1h", "1-d"}) EXPECT_FALSE(parse_duration(s)) << s;
}

TEST(Duration, RejectsWhitespaceNulOtherUnitsAndNonAscii) {
  for (const std::string& s : {" 1d"s, "1d "s, "1d 1h"s, "1 d"s, "1d\0"s, "\0"s, "1D"s, "1H"s, "1M"s, "1MS"s, "1us"s,
                               "1w"s, "1y"s, "1.5h"s, "1,5h"s,
                               "\xe2\x9e\x96"
                               "1ms"s,
                               "\xd9\xa1ms"s})
    EXPECT_FALSE(parse_duration(s)) << s;
}

TEST(Duration, ConversionsTruncateTowardZero) {
  Duration p{dur("1d2h3m4s50ms")};
  EXPECT_EQ(duration_to_milliseconds(p), 93784050);
  EXPECT_EQ(duration_to_seconds(p), 93784);
  EXPECT_EQ(duration_to_minutes(p), 1563);
  EXPECT_EQ(duration_to_hours(p), 26);
  EXPECT_EQ(duration_to_days(p), 1);
  Duration n{dur("-1d2h3m4s50ms")};
  EXPECT_EQ(duration_to_milliseconds(n), -93784050);
  EXPECT_EQ(duration_to_seconds(n), -93784);
  EXPECT_EQ(duration_to_minutes(n), -1563);
  EXPECT_EQ(duration_to_hours(n), -26);
  EXPECT_EQ(duration_to_days(n), -1);
  EXPECT_EQ(duration_to_seconds(Duration{-999}), 0);
  EXPECT_EQ(duration_to_days(Duration{-kDay + 1}), 0);
}

TEST(Duration, ConversionsHandleI64Extremes) {
  EXPECT_EQ(duration_to_seconds(Duration{kI64Min}), kI64Min / 1000);
  EXPECT_EQ(duration_to_days(Duration{kI64Min}), -106751991167);
  EXPECT_EQ(duration_to_days(Duration{kI64Max}), 106751991167);
  EXPECT_EQ(duration_to_hours(Duration{kI64Max}), 2562047788015);
}

TEST(Duration, PrintsMilliseconds) {
  EXPECT_EQ(duration_to_string(Duration{0}), "0ms");
  EXPECT_EQ(duration_to_string(Duration{dur("-1h")}), "-3600000ms");
  EXPECT_EQ(duration_to_string(Duration{kI64Min}), "-9223372036854775808ms");
  EXPECT_EQ(duration_to_string(Duration{kI64Max}), "9223372036854775807ms");
  EXPECT_EQ(parse_duration(duration_to_string(Duration{kI64Min})), Duration{kI64Min});
}

// ---- hostile input ---------------------------------------------------------

TEST(HostileInput, NoParserCrashesOnArbitraryBytes) {
  // Every string of length <= 3 over an alphabet of bytes that matter to the
  // parsers, then a pseudo-random sample of longer ones.
  const std::string alphabet = "0159afAF:./-+TZdhms% \0\xff"s;
  std::string s;
  auto run_all = [](std::string_view v) {
    (void)parse_decimal(v);
    (void)parse_ip(v);
    (void)parse_datetime(v);
    (void)parse_duration(v);
  };
  for (char a : alphabet)
    for (char b : alphabet)
      for (char c : alphabet) {
        s = {a, b, c};
        for (size_t n = 0; n <= 3; ++n) run_all(std::string_view(s).substr(0, n));
      }
  uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    s.clear();
    size_t n = 1 + (x % 48);
    for (size_t k = 0; k < n; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      s.push_back(alphabet[x % alphabet.size()]);
    }
    run_all(s);
  }
}

TEST(HostileInput, HugeDigitStringsAreRejectedQuickly) {
  std::string digits(1 << 20, '7');
  EXPECT_FALSE(parse_decimal(digits + ".0"));
  EXPECT_FALSE(parse_decimal("0." + digits));
  EXPECT_FALSE(parse_ip(digits));
  EXPECT_FALSE(parse_datetime(digits));
  EXPECT_FALSE(parse_duration(digits + "ms"));
  EXPECT_FALSE(parse_duration(std::string(1 << 20, '0') + "1ms1s"));
  EXPECT_EQ(parse_duration(std::string(1 << 20, '0') + "1ms"), Duration{1});
}

}  // namespace
}  // namespace tollgate::cedar::ext
