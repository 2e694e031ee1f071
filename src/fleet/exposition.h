#pragma once
// A parser of the Prometheus text exposition format, version 0.0.4: what an application's
// /metrics endpoint answers, scraped by the fleet supervisor. Pure: text in, samples out, no I/O.
//
//   # HELP http_requests_total The total number of HTTP requests.
//   # TYPE http_requests_total counter
//   http_requests_total{method="post",code="200"} 1027 1395066363000
//
// Histogram and summary series (_bucket{le="..."}, _sum, _count, {quantile="..."}) come out as
// ordinary samples; the # TYPE lines say which family is what.
//
// Thread-safety: ParseExposition keeps no state.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::fleet {

struct ExpositionSample {
  std::string name;
  // In the order written, escapes resolved; names are unique within one sample.
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;  // may be NaN or ±Inf
  std::optional<int64_t> timestamp_ms;
};

struct Exposition {
  std::vector<ExpositionSample> samples;  // in the order written
  // Metric family name → its # TYPE: "counter", "gauge", "histogram", "summary" or "untyped".
  std::map<std::string, std::string> types;
};

// Limits that keep a hostile or broken endpoint from costing more than its text's size.
inline constexpr size_t kMaxExpositionLabels = 64;                   // labels in one sample
inline constexpr size_t kMaxExpositionLineBytes = size_t{64} << 10;  // bytes in one line

// Parses a whole exposition. Accepts LF or CRLF line ends, blank lines, comments (# HELP,
// # TYPE, any other), blanks and tabs between tokens and at either end of a line, a trailing
// comma in a label set, label values with the escapes \\, \" and \n (any other escaped character
// is kept with its backslash, as Prometheus does), values as Go's ParseFloat reads them in
// decimal (NaN, +Inf, -Inf, 1.5e-3, ...; one beyond a double's range either way is an error)
// and an optional integer timestamp in milliseconds.
//
// InvalidArgument "line N: <what is wrong>" for the first malformed line: a bad metric or label
// name, a missing '=' or quote, an unterminated label value, a label value that is not UTF-8, a
// duplicate label, a bad value or timestamp, text after the timestamp, a # TYPE with an unknown
// type or a second # TYPE for one family, more than kMaxExpositionLabels labels in a sample or a
// line longer than kMaxExpositionLineBytes. Any input is safe to pass.
StatusOr<Exposition> ParseExposition(std::string_view text);

}  // namespace vigil::fleet
