#pragma once
// vigil::insights — CloudWatch Metrics Insights, the SQL dialect of GetMetricData:
//
//   SELECT AVG|COUNT|MAX|MIN|SUM(metric)
//   FROM namespace | SCHEMA(namespace [, dimension...])
//   [WHERE condition]
//   [GROUP BY dimension [, dimension...]]
//   [ORDER BY AVG|COUNT|MAX|MIN|SUM() [ASC|DESC]]
//   [LIMIT n]
//
// Keywords are case-insensitive; identifiers (metric, namespace, dimension names) are not. An
// identifier is [A-Za-z_][A-Za-z0-9_]* or a double-quoted string; values are single-quoted
// strings. In both quotes a backslash escapes the next character. Conditions go beyond
// CloudWatch's `dim = 'v' AND ...`: = and != comparisons, [NOT] IN ('a', 'b'), AND, OR, NOT
// and parentheses.
//
// Semantics, as CloudWatch documents them: FROM ns matches every series of the metric in the
// namespace; SCHEMA(ns, a, b) only those whose dimension names are exactly {a, b} (SCHEMA(ns):
// no dimensions). A condition on a dimension a series lacks compares against no value (so
// `d != 'x'` holds and `d = 'x'` does not). Each period's value aggregates the observations
// of every matched series of a group (AVG = total sum / total count, COUNT = total count).
// GROUP BY gives one series per distinct combination of the named dimensions' values,
// labelled with those values joined by spaces; a series lacking one of them falls in the group
// whose value for it is "Other". ORDER BY sorts the groups by the function over the whole
// range; without it groups come in label order. LIMIT keeps the first n (at most 500).
//
// This library parses and aggregates; finding the series and reading their statistics is the
// caller's (api/get_metric_data.cc). Pure and thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tsdb/tsdb_types.h"

namespace vigil::insights {

inline constexpr int64_t kMaxLimit = 500;

enum class Function { kAvg, kCount, kMax, kMin, kSum };

// A WHERE condition.
struct Condition {
  enum class Kind { kEq, kNe, kIn, kNotIn, kAnd, kOr, kNot };
  Kind kind;
  std::string dimension;                  // kEq .. kNotIn
  std::vector<std::string> values;        // kEq, kNe: one; kIn, kNotIn: one or more
  std::vector<Condition> operands;        // kAnd, kOr: two; kNot: one
};

struct Query {
  Function function = Function::kAvg;
  std::string metric;
  std::string ns;
  // SCHEMA(ns, ...): the exact dimension names (sorted, unique); nullopt for FROM ns.
  std::optional<std::vector<std::string>> schema;
  std::optional<Condition> where;
  std::vector<std::string> group_by;
  std::optional<Function> order_by;
  bool descending = false;
  std::optional<int64_t> limit;
};

// True when `text` looks like a Metrics Insights query (starts with SELECT, any case, after
// blanks) rather than a metric math expression.
bool IsQuery(std::string_view text);

// InvalidArgument "Syntax error at position P (after '...'): expected X, found Y" or a
// message naming the rule broken (unknown function, LIMIT out of range, ...).
StatusOr<Query> Parse(std::string_view text);

// True when the series is one the query reads: namespace, metric, SCHEMA and WHERE.
bool Matches(const Query& query, const tsdb::SeriesKey& key);

// One result series: label, and per period (ascending) its value.
struct Result {
  std::string label;
  std::vector<int64_t> timestamps_ms;
  std::vector<double> values;
};

// Combines the matched series' per-period statistics into the query's result series.
class Aggregator {
 public:
  explicit Aggregator(const Query* query) : query_(query) {}

  // Adds one matched series' datapoints (tsdb::Db::GetStatistics' answer, any order).
  void Add(const tsdb::SeriesKey& key, std::span<const tsdb::Datapoint> datapoints);

  // Adds everything `other` (of the same query) was given: the union of what both were given.
  void Merge(const Aggregator& other);

  // The result series: grouped, ordered and limited as the query says.
  std::vector<Result> Finish() const;

 private:
  struct Stats {
    double count = 0, sum = 0, min = 0, max = 0;
    void Merge(const tsdb::Datapoint& dp);
    void Merge(const Stats& other);
    double Value(Function f) const;
  };
  // Per group (its label): per period start, the merged statistics.
  const Query* query_;
  std::map<std::string, std::map<int64_t, Stats>> groups_;
};

}  // namespace vigil::insights
