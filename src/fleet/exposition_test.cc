// ParseExposition: tables of good and bad lines, what real client libraries print, the limits,
// and 10,000 random and mutated inputs that must never crash it.
#include "fleet/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace vigil::fleet {
namespace {

using namespace std::string_view_literals;
using Labels = std::vector<std::pair<std::string, std::string>>;

ExpositionSample ParseOne(std::string_view text) {
  auto parsed = ParseExposition(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return {};
  EXPECT_EQ(parsed->samples.size(), 1u);
  return parsed->samples.empty() ? ExpositionSample{} : parsed->samples[0];
}

TEST(ParseExpositionTest, GoodSampleLines) {
  const struct {
    std::string_view line;
    std::string_view name;
    Labels labels;
    double value;
    std::optional<int64_t> timestamp_ms;
  } kCases[] = {
      {"up 1", "up", {}, 1, std::nullopt},
      {"a:b_c:d 12.47", "a:b_c:d", {}, 12.47, std::nullopt},
      {"_x 0", "_x", {}, 0, std::nullopt},
      {"m -3.5e-3", "m", {}, -3.5e-3, std::nullopt},
      {"m 1E+6", "m", {}, 1e6, std::nullopt},
      {"m +42", "m", {}, 42, std::nullopt},
      {"m .5", "m", {}, 0.5, std::nullopt},
      {"m 1.7976931348623157e308", "m", {}, 1.7976931348623157e308, std::nullopt},
      {"m +Inf", "m", {}, HUGE_VAL, std::nullopt},
      {"m -Inf", "m", {}, -HUGE_VAL, std::nullopt},
      {"m inf", "m", {}, HUGE_VAL, std::nullopt},
      {"m 1 1395066363000", "m", {}, 1, 1395066363000},
      {"m 1 -3982045", "m", {}, 1, -3982045},
      {"m 1 +7", "m", {}, 1, 7},
      {"m{} 2", "m", {}, 2, std::nullopt},
      {"m{a=\"b\"} 2", "m", {{"a", "b"}}, 2, std::nullopt},
      {"m{a=\"b\",} 2", "m", {{"a", "b"}}, 2, std::nullopt},
      {"m{a=\"\"} 2", "m", {{"a", ""}}, 2, std::nullopt},
      {"m { a = \"b\" , c=\"d\" } 2", "m", {{"a", "b"}, {"c", "d"}}, 2, std::nullopt},
      {"m\t{a=\"b\"} 2", "m", {{"a", "b"}}, 2, std::nullopt},
      {"m{a=\"b\"}2", "m", {{"a", "b"}}, 2, std::nullopt},
      {"  \tm{a=\"b c\"}\t 2 \t 5  \t", "m", {{"a", "b c"}}, 2, 5},
      {"m 3\r", "m", {}, 3, std::nullopt},
      {"m 3 \r", "m", {}, 3, std::nullopt},
      {R"(m{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9)",
       "m",
       {{"path", R"(C:\DIR\FILE.TXT)"}, {"error", "Cannot find file:\n\"FILE.TXT\""}},
       1.458255915e9,
       std::nullopt},
      {R"(m{a="x\ty"} 1)", "m", {{"a", R"(x\ty)"}}, 1, std::nullopt},  // kept, as Prometheus
      {"m{a=\"{}=,# \xC3\xA9\xE2\x82\xAC\"} 1",
       "m",
       {{"a", "{}=,# \xC3\xA9\xE2\x82\xAC"}},
       1,
       std::nullopt},
      {"x_bucket{le=\"+Inf\"} 7", "x_bucket", {{"le", "+Inf"}}, 7, std::nullopt},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.line);
    const ExpositionSample s = ParseOne(c.line);
    EXPECT_EQ(s.name, c.name);
    EXPECT_EQ(s.labels, c.labels);
    EXPECT_EQ(s.value, c.value);
    EXPECT_EQ(s.timestamp_ms, c.timestamp_ms);
  }
}

TEST(ParseExpositionTest, NanValues) {
  for (std::string_view line : {"m NaN", "m nan", "m -NaN", "m{a=\"b\"} NaN 5"}) {
    SCOPED_TRACE(line);
    EXPECT_TRUE(std::isnan(ParseOne(line).value));
  }
}

TEST(ParseExpositionTest, BadLinesNameTheLineAndTheProblem) {
  const struct {
    std::string_view text;
    std::string_view error;
  } kCases[] = {
      {"m", "line 1: expected a value after the metric"},
      {"\n\nm  \n", "line 3: expected a value after the metric"},
      {"1m 1", "line 1: unexpected '1' where a metric name should start"},
      {"{a=\"b\"} 1", "line 1: unexpected '{' where a metric name should start"},
      {"m-x 1", "line 1: unexpected '-' in metric name"},
      {"m{a} 1", "line 1: expected '=' after label name 'a'"},
      {"m{a=b} 1", "line 1: expected '\"' to open the value of label 'a'"},
      {"m{a=\"b} 1", "line 1: unterminated value of label 'a'"},
      {"m{a=\"b\\", "line 1: unterminated value of label 'a'"},
      {"m{a=\"b\" c=\"d\"} 1", "line 1: unexpected 'c' after a label value (expected ',' or '}')"},
      {"m{a=\"b\"", "line 1: unexpected end of line after a label value"},
      {"m{,} 1", "line 1: unexpected ',' where a label name or '}' should be"},
      {"m{a=\"b\",,} 1", "line 1: unexpected ','"},
      {"m{a:b=\"c\"} 1", "line 1: expected '=' after label name 'a'"},
      {"m{1a=\"c\"} 1", "line 1: unexpected '1' where a label name"},
      {"m{a=\"1\",a=\"2\"} 1", "line 1: duplicate label 'a'"},
      {"m{a=\"\xC3\x28\"} 1", "line 1: value of label 'a' is not UTF-8"},
      {"m{a=\"\xED\xA0\x80\"} 1", "not UTF-8"},  // a surrogate
      {"m{a=\"\xC0\xAF\"} 1", "not UTF-8"},      // overlong '/'
      {"m{a=\"b\"} ", "line 1: expected a value"},
      {"m abc", "line 1: bad value 'abc'"},
      {"m 1.2.3", "line 1: bad value '1.2.3'"},
      {"m --1", "line 1: bad value '--1'"},
      {"m +-1", "line 1: bad value '+-1'"},
      {"m 0x10", "line 1: bad value '0x10'"},
      {"m 1e999", "line 1: bad value '1e999'"},
      {"m 1e-400", "line 1: bad value '1e-400'"},
      {"m 1,5", "line 1: bad value '1,5'"},
      {"m 1 1.5", "line 1: bad timestamp '1.5'"},
      {"m 1 99999999999999999999", "line 1: bad timestamp"},
      {"m 1 2 3", "line 1: unexpected '3' after the timestamp"},
      {"m\x01 1", "line 1: unexpected byte 0x01 in metric name"},
      {"ok 1\r\nm 1\r2\r\n", "line 2: bad value '1\r2'"},
      {"# HELP", "line 1: expected metric name after # HELP"},
      {"# HELP 9x doc", "line 1: expected metric name after # HELP"},
      {"# TYPE m", "line 1: expected metric type after # TYPE m"},
      {"# TYPE m gauge extra", "line 1: unexpected 'e' after the metric type"},
      {"# TYPE m meter", "line 1: unknown metric type 'meter'"},
      {"# TYPE m- gauge", "line 1: unexpected '-' in metric name"},
      {"# TYPE m gauge\n# TYPE m counter", "line 2: second # TYPE line for metric 'm'"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.text);
    auto parsed = ParseExposition(c.text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.error), std::string::npos)
        << parsed.status().message();
  }
}

TEST(ParseExpositionTest, CommentsBlankLinesAndTypes) {
  auto parsed = ParseExposition(
      "# A normal comment.\n"
      "#\n"
      "\n"
      "   \t\n"
      "#HELPER is just a comment\n"
      "# HELP m Docs with \\\\ and \\n and \"quotes\" and {braces}\n"
      "# TYPE m counter\n"
      "#  TYPE\tg gauge  \n"
      "# TYPE h histogram\r\n"
      "# TYPE s summary\n"
      "# TYPE u untyped\n"
      "m 1\n"
      "g 2");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->samples.size(), 2u);
  const std::map<std::string, std::string> kTypes = {
      {"m", "counter"}, {"g", "gauge"}, {"h", "histogram"}, {"s", "summary"}, {"u", "untyped"}};
  EXPECT_EQ(parsed->types, kTypes);
  EXPECT_TRUE(ParseExposition("").ok());
  EXPECT_TRUE(ParseExposition("\n\r\n\n").ok());
}

// What Python's prometheus_client (0.17) answers: floats always with a fraction, _created
// series, user labels before "le".
constexpr std::string_view kPythonClient =
    R"(# HELP python_gc_objects_collected_total Objects collected during gc
# TYPE python_gc_objects_collected_total counter
python_gc_objects_collected_total{generation="0"} 1234.0
python_gc_objects_collected_total{generation="1"} 56.0
python_gc_objects_collected_total{generation="2"} 0.0
# HELP python_info Python platform information
# TYPE python_info gauge
python_info{implementation="CPython",major="3",minor="11",patchlevel="2",version="3.11.2"} 1.0
# HELP process_virtual_memory_bytes Virtual memory size in bytes.
# TYPE process_virtual_memory_bytes gauge
process_virtual_memory_bytes 2.4723456e+08
# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.70001234567e+09
# HELP request_latency_seconds Time spent serving a request\nin seconds.
# TYPE request_latency_seconds histogram
request_latency_seconds_bucket{le="0.005",path="/api"} 0.0
request_latency_seconds_bucket{path="/api",le="0.01"} 2.0
request_latency_seconds_bucket{path="/api",le="0.1"} 6.0
request_latency_seconds_bucket{path="/api",le="+Inf"} 7.0
request_latency_seconds_count{path="/api"} 7.0
request_latency_seconds_sum{path="/api"} 0.5123
# HELP request_latency_seconds_created Time spent serving a request\nin seconds.
# TYPE request_latency_seconds_created gauge
request_latency_seconds_created{path="/api"} 1.7000123456789e+09
# HELP job_size_bytes Job sizes
# TYPE job_size_bytes summary
job_size_bytes_count 3.0
job_size_bytes_sum 1.2e+06
)";

TEST(ParseExpositionTest, PythonClientOutput) {
  auto parsed = ParseExposition(kPythonClient);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->samples.size(), 15u);
  EXPECT_EQ(parsed->samples[3].name, "python_info");
  EXPECT_EQ(parsed->samples[3].labels.size(), 5u);
  EXPECT_EQ(parsed->samples[3].labels[4],
            std::make_pair(std::string("version"), std::string("3.11.2")));
  EXPECT_EQ(parsed->samples[4].value, 2.4723456e+08);
  const ExpositionSample& inf_bucket = parsed->samples[9];
  EXPECT_EQ(inf_bucket.name, "request_latency_seconds_bucket");
  EXPECT_EQ(inf_bucket.labels, (Labels{{"path", "/api"}, {"le", "+Inf"}}));
  EXPECT_EQ(inf_bucket.value, 7.0);
  EXPECT_EQ(parsed->types.at("request_latency_seconds"), "histogram");
  EXPECT_EQ(parsed->types.at("job_size_bytes"), "summary");
  EXPECT_EQ(parsed->types.size(), 7u);
}

// What Go's client_golang (promhttp) answers: integers without a fraction, NaN quantiles of an
// empty summary, sorted labels.
constexpr std::string_view kGoClient =
    R"(# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.3e-05
go_gc_duration_seconds{quantile="0.25"} 3.1e-05
go_gc_duration_seconds{quantile="0.5"} 4.2e-05
go_gc_duration_seconds{quantile="1"} 0.000312
go_gc_duration_seconds_sum 0.001234
go_gc_duration_seconds_count 17
# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 12
# HELP go_info Information about the Go environment.
# TYPE go_info gauge
go_info{version="go1.21.5"} 1
# HELP http_requests_total Total HTTP requests.
# TYPE http_requests_total counter
http_requests_total{code="200",method="get"} 1027
http_requests_total{code="400",method="post"} 3
# HELP rpc_durations_seconds RPC latency distributions.
# TYPE rpc_durations_seconds summary
rpc_durations_seconds{service="exponential",quantile="0.5"} NaN
rpc_durations_seconds_sum{service="exponential"} 0
rpc_durations_seconds_count{service="exponential"} 0
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 0.07
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 4
promhttp_metric_handler_requests_total{code="500"} 0
)";

TEST(ParseExpositionTest, GoClientOutputAlsoWithCrlf) {
  std::string crlf;
  for (char c : kGoClient) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  for (std::string_view text : {kGoClient, std::string_view(crlf)}) {
    auto parsed = ParseExposition(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    ASSERT_EQ(parsed->samples.size(), 16u);
    EXPECT_EQ(parsed->samples[5].name, "go_gc_duration_seconds_count");
    EXPECT_EQ(parsed->samples[5].value, 17);
    EXPECT_TRUE(std::isnan(parsed->samples[10].value));
    EXPECT_EQ(parsed->samples[10].labels,
              (Labels{{"service", "exponential"}, {"quantile", "0.5"}}));
    EXPECT_EQ(parsed->samples.back().value, 0);
    EXPECT_EQ(parsed->types.size(), 7u);
    EXPECT_EQ(parsed->types.at("rpc_durations_seconds"), "summary");
  }
}

TEST(ParseExpositionTest, LabelAndLineLimits) {
  auto labels = [](int n) {
    std::string line = "m{";
    for (int i = 0; i < n; ++i) line += "l" + std::to_string(i) + "=\"v\",";
    return line + "} 1";
  };
  auto at_limit = ParseExposition(labels(64));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_EQ(at_limit->samples[0].labels.size(), 64u);
  auto over = ParseExposition(labels(65));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("line 1: more than 64 labels"), std::string::npos);

  const std::string longest = "m{a=\"" + std::string(65536 - 9, 'x') + "\"} 1";
  ASSERT_EQ(longest.size(), 65536u);
  EXPECT_TRUE(ParseExposition("ok 1\n" + longest + "\r\n").ok());  // the CR is not counted
  auto too_long = ParseExposition("ok 1\n" + longest + " \n");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("line 2: longer than 65536 bytes"), std::string::npos);
  auto long_comment = ParseExposition("# " + std::string(70000, 'c'));
  EXPECT_FALSE(long_comment.ok());
}

// Random and mutated inputs: the parser must neither crash nor break its own limits (the
// sanitizer build catches any memory error on the way).
TEST(ParseExpositionTest, SurvivesRandomAndMutatedInputs) {
  std::mt19937 rng(20240611);
  const std::string corpus = std::string(kGoClient) + std::string(kPythonClient) +
                             "m{path=\"C:\\\\x\",e=\"a\\n\\\"b\\\"\"} -Inf -12\r\n";
  // Every token of the format, and a NUL, a UTF-8 lead byte and a byte never in UTF-8.
  constexpr std::string_view kAlphabet =
      "{}=\",\\\n\r\t #_:aAzZ019eE+-.InfNaHELPTYPE\x00\xC3\xFF"sv;
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  int accepted = 0;
  for (int round = 0; round < 10'000; ++round) {
    std::string input;
    if (round % 2 == 0) {  // random text over an alphabet of the format's tokens
      const size_t length = pick(300);
      for (size_t i = 0; i < length; ++i) input += kAlphabet[pick(kAlphabet.size())];
    } else {  // a real exposition, a few bytes changed, inserted, deleted or copied
      input = corpus.substr(pick(corpus.size()), 200 + pick(800));
      const size_t edits = 1 + pick(8);
      for (size_t e = 0; e < edits && !input.empty(); ++e) {
        const size_t at = pick(input.size());
        switch (pick(4)) {
          case 0:
            input[at] = static_cast<char>(pick(256));
            break;
          case 1:
            input.insert(at, 1, kAlphabet[pick(kAlphabet.size())]);
            break;
          case 2:
            input.erase(at, 1 + pick(4));
            break;
          default:
            input.insert(at, input.substr(pick(input.size()), pick(40)));
            break;
        }
      }
    }
    auto parsed = ParseExposition(input);
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(parsed.status().message().rfind("line ", 0), 0u) << parsed.status().message();
      continue;
    }
    ++accepted;
    for (const ExpositionSample& s : parsed->samples) {
      EXPECT_FALSE(s.name.empty());
      EXPECT_LE(s.labels.size(), kMaxExpositionLabels);
    }
  }
  EXPECT_GT(accepted, 0);  // the mutations leave some inputs valid: both paths are exercised
}

}  // namespace
}  // namespace vigil::fleet
