#include "logs/filter_pattern.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace vigil::logs {
namespace {

struct Case {
  const char* pattern;
  const char* message;
  bool match;
};

void ExpectCases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    StatusOr<FilterPattern> p = FilterPattern::Parse(c.pattern);
    ASSERT_TRUE(p.ok()) << c.pattern << ": " << p.status().message();
    EXPECT_EQ(p->Matches(c.message), c.match) << "pattern " << c.pattern << " on " << c.message;
  }
}

TEST(FilterPatternTest, Terms) {
  ExpectCases({
      {"", "anything", true},
      {"  ", "anything", true},
      {"\"\"", "anything", true},
      {"ERROR", "[ERROR] disk full", true},
      {"ERROR", "error: disk full", false},  // case-sensitive
      {"ERROR Exception", "ERROR: NullPointerException", true},
      {"ERROR Exception", "ERROR: disk full", false},
      {"?ERROR ?WARN", "WARN low disk", true},
      {"?ERROR ?WARN", "INFO fine", false},
      {"ERROR -Exiting", "ERROR retrying", true},
      {"ERROR -Exiting", "ERROR Exiting now", false},
      {"\"disk full\"", "ERROR disk full", true},
      {"\"disk full\"", "ERROR full disk", false},
      {"-\"health check\"", "GET /healthcheck", true},
      {"-\"health check\"", "GET health check", false},
      {"%5[0-9]{2}%", "status=503", true},
      {"%5[0-9]{2}%", "status=404", false},
      {"ERROR ?db ?cache", "ERROR cache miss", true},
      {"ERROR ?db ?cache", "ERROR disk", false},
  });
}

TEST(FilterPatternTest, Json) {
  const char* event =
      R"({"level":"error","latency":734,"user":{"id":"u-17","admin":false},"tags":["a","b"],)"
      R"("retry":true,"parent":null,"path":"/checkout/pay"})";
  ExpectCases({
      {R"({ $.level = "error" })", event, true},
      {R"({ $.level = error })", event, true},
      {R"({ $.level != "error" })", event, false},
      {R"({ $.latency > 500 })", event, true},
      {R"({ $.latency >= 734 && $.latency <= 734 })", event, true},
      {R"({ $.latency < 500 })", event, false},
      {R"({ $.latency = 734 })", event, true},
      {R"({ $.user.id = "u-*" })", event, true},
      {R"({ $.path = "*/pay" })", event, true},
      {R"({ $.path = "/checkout" })", event, false},
      {R"({ $.tags[1] = "b" })", event, true},
      {R"({ $.tags[5] = "b" })", event, false},
      {R"({ $.user.admin IS FALSE })", event, true},
      {R"({ $.retry IS TRUE })", event, true},
      {R"({ $.parent IS NULL })", event, true},
      {R"({ $.missing NOT EXISTS })", event, true},
      {R"({ $.level NOT EXISTS })", event, false},
      {R"({ ($.level = "warn") || ($.latency > 700 && $.retry IS TRUE) })", event, true},
      {R"({ $.level = "warn" || $.latency > 900 })", event, false},
      {R"({ $.level = "error" })", "level=error, not JSON", false},
      {R"({ $.level = "error" })", "[1,2]", false},
  });
}

TEST(FilterPatternTest, SpaceDelimited) {
  const char* line =
      R"(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.html HTTP/1.0" 404 2326)";
  ExpectCases({
      {"[ip, identity, user, time, request, status, bytes]", line, true},
      {"[ip, identity, user, time, request, status]", line, false},  // field counts differ
      {"[ip, ..., status = 404, bytes]", line, true},
      {"[ip, ..., status = 4*, bytes > 1000]", line, true},
      {"[ip, ..., status = 5* || status = 429, bytes]", line, false},
      {"[..., status >= 400 && status < 500, bytes]", line, true},
      {"[ip = 127.0.0.1, ...]", line, true},
      {"[ip, identity, user = frank, ...]", line, true},
      {"[ip, identity, user != frank, ...]", line, false},
      {"[..., request = \"*html*\", status, bytes]", line, true},
      {"[...]", line, true},
  });
}

TEST(FilterPatternTest, RefusesMalformedPatternsSayingWhere) {
  for (const char* bad : {
           "{ $.level = }",
           "{ $.level \"error\" }",
           "{ level = 1 }",
           "{ $.latency > fast }",
           "{ $.a = 1 ",
           "{ $.a = 1 } extra",
           "{ $.a IS MAYBE }",
           "{ $.a NOT THERE }",
           "{ $.a[x] = 1 }",
           "[ip, status = ]",
           "[ip status]",
           "[ip, status = 5 || bytes > 1]",
           "\"unclosed",
           "%[unclosed%",
           "%%",
           "-",
       }) {
    StatusOr<FilterPattern> p = FilterPattern::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(p.status().message().find("at character"), std::string::npos)
        << bad << ": " << p.status().message();
  }
}

// A regular expression that makes a backtracking engine take exponential time (found by
// fuzz/filter_pattern_fuzz) is matched in linear time: the answer comes at once.
TEST(FilterPatternTest, PathologicalRegularExpressionsMatchInLinearTime) {
  StatusOr<FilterPattern> p = FilterPattern::Parse("%(a+)+b%");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const std::string message = std::string(5'000, 'a') + "!";
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p->Matches(message));
  EXPECT_TRUE(p->Matches(std::string(5'000, 'a') + "b"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(FilterPatternTest, ValuesForMetricFilters) {
  StatusOr<FilterPattern> json = FilterPattern::Parse(R"({ $.latency > 0 })");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->Value("1", "{}"), 1.0);
  EXPECT_EQ(json->Value("$.latency", R"({"latency": 12.5})"), 12.5);
  EXPECT_EQ(json->Value("$.latency", R"({"latency": "40"})"), 40.0);
  EXPECT_EQ(json->Value("$.size", R"({"latency": 12.5})"), std::nullopt);

  StatusOr<FilterPattern> delimited = FilterPattern::Parse("[ip, ..., status, bytes]");
  ASSERT_TRUE(delimited.ok());
  EXPECT_EQ(delimited->Value("$bytes", "10.0.0.1 x y 200 512"), 512.0);
  EXPECT_EQ(delimited->Value("$status", "10.0.0.1 x y 200 512"), 200.0);
  EXPECT_EQ(delimited->Value("$nope", "10.0.0.1 x y 200 512"), std::nullopt);

  StatusOr<FilterPattern> terms = FilterPattern::Parse("ERROR");
  ASSERT_TRUE(terms.ok());
  EXPECT_EQ(terms->Value("$.x", "ERROR"), std::nullopt);
  EXPECT_EQ(terms->Value("2", "ERROR"), 2.0);
}

}  // namespace
}  // namespace vigil::logs
