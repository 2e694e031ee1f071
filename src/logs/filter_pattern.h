#pragma once
// CloudWatch Logs filter patterns (FilterLogEvents, metric filters, `vigil logs tail --filter`),
// parsed once and matched against many events. Three forms, as CloudWatch has them:
//
//   terms           ERROR  "exact phrase"  -Excluded  ?Either ?Or  %regular expression%
//                   All plain terms must occur (case-sensitive substrings), no excluded one may,
//                   and when ?terms are given at least one of them must. Empty or "" matches all.
//   JSON            { $.level = "error" && ($.latency > 500 || $.retry IS TRUE) }
//                   Selectors $.a.b, $.a[0], $.*; = and != on strings (with * wildcards) and
//                   numbers; < <= > >= on numbers; IS TRUE/FALSE/NULL, NOT EXISTS; && || and
//                   parentheses. An event that is not a JSON object matches nothing.
//   space-delimited [ip, user, ..., status = 5* || status = 429, bytes > 1000]
//                   The message is split into fields at spaces ("quoted" and [bracketed] text is
//                   one field); the pattern names them in order, `...` stands for any number,
//                   and conditions compare a named field as JSON ones do. Without `...` the
//                   field counts must be equal.
//
// A FilterPattern is immutable after Parse and safe to share between threads.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::logs {

class FilterPattern {
 public:
  // InvalidArgument saying what is wrong and where (the character offset) when `text` is not a
  // filter pattern.
  static StatusOr<FilterPattern> Parse(std::string_view text);

  FilterPattern();  // matches every event
  ~FilterPattern();
  FilterPattern(FilterPattern&&) noexcept;
  FilterPattern& operator=(FilterPattern&&) noexcept;
  FilterPattern(const FilterPattern&);
  FilterPattern& operator=(const FilterPattern&);

  bool Matches(std::string_view message) const;

  // A metric filter's reading of `message`, from one parse of it: whether it matches, and the
  // text of each selector — "$.path" (a JSON object message), "$name" (a message the
  // space-delimited pattern's fields bind to), anything else standing for itself (a constant
  // such as "1"). A field the message does not have is nullopt.
  struct Extraction {
    bool matched = false;
    std::vector<std::optional<std::string>> fields;  // one per selector
    std::optional<double> Number(size_t i) const;    // fields[i] when it is a number
  };
  Extraction Extract(std::string_view message, const std::vector<std::string>& selectors) const;

  // The number `selector` gives for `message` (Extract's field, as a number), for metric
  // filters' values.
  std::optional<double> Value(std::string_view selector, std::string_view message) const;

  const std::string& text() const { return text_; }

  struct Impl;

 private:
  std::string text_;
  std::shared_ptr<const Impl> impl_;  // null: match all
};

}  // namespace vigil::logs
