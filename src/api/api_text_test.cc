#include <gtest/gtest.h>

#include <cmath>

#include "api/text.h"

namespace vigil::api {
namespace {

TEST(TextTest, ValidText) {
  EXPECT_TRUE(IsValidText("web-1"));
  EXPECT_TRUE(IsValidText("/v1/items list&x=1"));
  EXPECT_TRUE(IsValidText("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x93\x88"));  // é ✓ 📈
  EXPECT_TRUE(IsValidText("a long ascii string past eight bytes"));
  EXPECT_FALSE(IsValidText(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidText("tab\there"));
  EXPECT_FALSE(IsValidText("abcdefgh\x7F"));
  EXPECT_FALSE(IsValidText("abcdefghij\x01"));
  EXPECT_FALSE(IsValidText("\xFF"));
  EXPECT_FALSE(IsValidText("abcdefgh\xC3"));      // truncated sequence
  EXPECT_FALSE(IsValidText("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidText("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidText("\xF4\x90\x80\x80"));  // > U+10FFFF
}

TEST(TextTest, PrintableReplacesAndCuts) {
  EXPECT_EQ(Printable("ok\x01\xFFz"), "ok??z");
  EXPECT_EQ(Printable("line\nnext"), "line\nnext");
  EXPECT_EQ(Printable("abcdefgh", 4), "abcd...");
}

TEST(TextTest, XmlEscaping) {
  std::string out;
  AppendXmlEscaped(&out, "a<b>&\"c\"'d'\r\x01\n\tx");
  EXPECT_EQ(out, "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;&#xD;?\n\tx");
}

TEST(TextTest, JsonString) {
  std::string out;
  AppendJsonString(&out, "q\"b\\\n\r\t\x01 \xC3\xA9");
  EXPECT_EQ(out, "\"q\\\"b\\\\\\n\\r\\t\\u0001 \xC3\xA9\"");
}

TEST(TextTest, AwsDoubleFormat) {
  auto f = [](double v) {
    std::string s;
    AppendAwsDouble(&s, v);
    return s;
  };
  EXPECT_EQ(f(3), "3.0");
  EXPECT_EQ(f(12.5), "12.5");
  EXPECT_EQ(f(-0.1), "-0.1");
  EXPECT_EQ(f(19.8), "19.8");
  EXPECT_EQ(f(1e21), "1e+21");
  EXPECT_EQ(f(1e-07), "1e-07");
  EXPECT_EQ(f(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(std::stod(f(1.0 / 3)), 1.0 / 3);  // round-trips
}

TEST(TextTest, IsoTimestamps) {
  EXPECT_EQ(FormatIsoTimestamp(1736899200000), "2025-01-15T00:00:00Z");
  EXPECT_EQ(FormatIsoTimestamp(1736899230250), "2025-01-15T00:00:30.250Z");
  EXPECT_EQ(FormatIsoTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatIsoTimestamp(-1000), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatIsoTimestamp(951782400000), "2000-02-29T00:00:00Z");

  EXPECT_EQ(ParseTimestamp("2025-01-15T00:00:00Z"), 1736899200000);
  EXPECT_EQ(ParseTimestamp("2025-01-15T00:00:30.250000Z"), 1736899230250);
  EXPECT_EQ(ParseTimestamp("2025-01-15T00:00:30.2Z"), 1736899230200);
  EXPECT_EQ(ParseTimestamp("2025-01-15T01:00:00+01:00"), 1736899200000);
  EXPECT_EQ(ParseTimestamp("2025-01-14T23:00:00-0100"), 1736899200000);
  EXPECT_EQ(ParseTimestamp("2025-01-15T00:00:00"), 1736899200000);  // no zone: UTC
  EXPECT_EQ(ParseTimestamp("2025-01-15"), 1736899200000);
  EXPECT_EQ(ParseTimestamp("1736899200"), 1736899200000);
  EXPECT_EQ(ParseTimestamp("1736899200.5"), 1736899200500);
  EXPECT_EQ(ParseTimestamp("2000-02-29T00:00:00Z"), 951782400000);
  for (const char* bad :
       {"", "yesterday", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z", "2025-01-15T24:00:00Z",
        "2025-01-15T00:00:00Q", "2025-01-15T00:00:00.Z", "2025-01-15X00:00:00Z", "1e400", "nan"}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
  for (int64_t ms : {0LL, 1736899230250LL, 4102444800000LL, -86400000LL}) {
    EXPECT_EQ(ParseTimestamp(FormatIsoTimestamp(ms)), ms);
  }
}

TEST(TextTest, Base64RoundTripAndStrictness) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode(std::string("\0\xFF\x01", 3)), "AP8B");
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("x\0y\1z", 5)}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!", "Zg==Zg==", "=Zg="}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace vigil::api
