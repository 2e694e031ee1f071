#pragma once
// vigil::metricmath — CloudWatch metric math: the `Expression` of a GetMetricData query.
//
// Parse() turns an expression such as "SUM(METRICS(\"errors\")) / m3 * 100" into an Expr;
// Evaluate() computes it over the results of the request's other queries. The language and its
// semantics follow "Using metric math" in the CloudWatch User Guide
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html);
// where that page is silent, the choice made here is written below, marked "Vigil:".
//
// Language
//   numbers     42, 0.5, .5, 1e3, 2.5E-2 (a leading '-' is the unary minus operator)
//   ids         start with a lowercase letter, then letters, digits, '_': m1, errors_5xx
//   strings     "text" in double quotes, no escapes; only METRICS("text") takes one
//   keywords    uppercase words: function names, AND, OR, and the bare arguments
//               REPEAT LINEAR (FILL), SUM AVG MIN MAX (SORT), ASC DESC (SORT)
//   arrays      [m1, m2, METRICS("5xx")]: elements are time series or arrays (flattened)
//   operators, loosest first (all left-associative except '^'):
//               OR ||   AND &&   == != < <= > >=   + -   * /   unary -   ^ (right-assoc.)
//               so -2^2 is -4 and 2^3^2 is 512. There is no NOT and no unary +.
//
// Values are a scalar (S), a time series (TS) or an array of time series (TS[]). A time series
// holds only the points it has: a "missing" point is one whose timestamp is absent.
//   S op S -> S; TS op S and S op TS -> TS (each point); TS op TS -> TS over the union of both
//   timestamp sets, a point missing on one side taken as 0 (as the guide says for arithmetic
//   and shows for comparisons); TS[] op S|TS and S|TS op TS[] -> TS[] (each element).
//   TS[] op TS[] is an error. Comparisons and AND/OR yield 1 or 0; any non-zero value is true.
//   A point whose result is not finite (x/0, LOG(-1), 0^-1) is dropped, so results never hold
//   NaN or Inf. A scalar may have no value (AVG of an empty series): the points it touches are
//   dropped, and as an IF condition it is false.
//   Where a function wants one TS, an array of exactly one series is accepted; where it wants
//   a TS[], a single TS is accepted as an array of one.
//
// Functions (argument kinds; "->" result; per-series functions map over every element of TS[]
// and keep each series' label):
//   ABS CEIL FLOOR LOG LOG10 SQRT     S|TS|TS[] -> same kind, per point.
//   SUM AVG MIN MAX STDDEV            TS -> S over the series' points (no value if it has
//                                     none); TS[] -> TS per timestamp across the series, over
//                                     timestamps where any series has a point, missing points
//                                     taken as 0 (the guide says so for AVG; Vigil: for all).
//                                     Vigil: STDDEV is the population standard deviation.
//   DATAPOINT_COUNT                   TS -> S, its number of points; TS[] -> TS, the number of
//                                     series with a point at each timestamp.
//   METRIC_COUNT                      TS[] -> S, the number of series.
//   METRICS() METRICS("text")         -> TS[]: every series of every MetricStat input (not the
//                                     results of expressions), in request order; with text,
//                                     only inputs whose id contains it.
//   DIFF  RATE  DIFF_TIME             TS|TS[]: for each point after the first, its value minus
//                                     the previous point's; that divided by the seconds
//                                     between them; the seconds between them. The first
//                                     point has no result; a gap just widens the time step.
//   RUNNING_SUM                       TS|TS[]: the sum of the values up to each point.
//   FILL(x, S|TS|REPEAT|LINEAR)       TS|TS[]: adds a point at every grid timestamp of the
//                                     query that lacks one: the scalar; the filler series'
//                                     value there (none if it lacks one too); the latest
//                                     earlier value (Vigil: none before the first point);
//                                     linear interpolation in time between the points around
//                                     the gap (Vigil: none before the first or after the last).
//   IF(cond, a[, b])                  Per the guide's "Using IF expressions". cond a TS: for
//                                     each point of cond, a where true (a TS's missing point
//                                     counts as 0), b where false (dropped if b lacks the
//                                     point or is omitted); a and b are S or TS. cond a S:
//                                     a when true, else b, else an empty value of a's kind.
//   TIME_SERIES(S)                    -> TS with the scalar at every grid timestamp.
//   PERIOD(TS)                        -> S, the query period in seconds. Vigil: any TS is
//                                     accepted, as every input shares the query's period.
//   SORT(TS[], SUM|AVG|MIN|MAX, ASC|DESC[, limit])  -> TS[] ordered by that statistic of each
//                                     series; ties keep input order; Vigil: series without
//                                     points go last in either order. limit keeps the first n.
//   SLICE(TS[], start[, end])         -> TS[] elements [start, end), 0-based; end defaults to
//                                     the array's size; indices past the end are clamped.
//   FIRST(TS[]) LAST(TS[])            -> TS. Vigil: an empty array gives an empty series.
//   REMOVE_EMPTY(TS[])                -> TS[] without the series that have no points.
//   MINUTE HOUR DAY DATE MONTH YEAR EPOCH  TS -> TS over the query grid, from each timestamp
//                                     in UTC: 0-59, 0-23, 1-7 (Monday is 1), 1-31, 1-12, the
//                                     year, seconds since 1970.
//   ANOMALY_DETECTION_BAND SEARCH SERVICE_QUOTA INSIGHT_RULE_METRIC LAMBDA DB_PERF_INSIGHTS are
//   recognised and refused: "ANOMALY_DETECTION_BAND is not supported".
//
// Labels: per-series functions, and arithmetic of a series with a scalar, keep the series'
// label; arithmetic of two series keeps the left one's, except that each element of a TS[]
// keeps its own; IF keeps a's label when a is a series, else cond's. Cross-series statistics,
// TIME_SERIES and the calendar functions are labelled with the function name ("SUM"). The
// caller replaces labels with the query's Label when it has one.
//
// Thread-safety: all functions are pure; an Expr is immutable and may be shared by threads.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::metricmath {

// CloudWatch refuses longer expressions.
inline constexpr size_t kMaxExpressionLength = 1024;
// Bounds the parser's recursion: each '(' '[' function call, unary minus and exponent nests
// one level. Deeper expressions are refused, never a stack overflow.
inline constexpr int kMaxNestingDepth = 100;
// Bounds the memory of FILL, TIME_SERIES and the calendar functions, which produce a point
// per grid timestamp. CloudWatch returns at most 100,800 points per query.
inline constexpr int64_t kMaxGridPoints = 1'000'000;

// One time series on the query's period grid.
struct Series {
  std::string label;
  std::vector<int64_t> timestamps_ms;  // strictly ascending
  std::vector<double> values;          // same length as timestamps_ms; finite
};

// The result of one other query of the request, under its Id.
struct Input {
  std::string id;
  // A MetricStat query has exactly one series (possibly without points); an expression's
  // result has one or more. An input with exactly one series is a TS, otherwise a TS[].
  std::vector<Series> series;
  // True for an earlier expression's result: METRICS() includes only MetricStat inputs.
  bool from_expression = false;
};

struct Context {
  // The query's time range [start_ms, end_ms) and period. The grid FILL and TIME_SERIES
  // fill is start_ms + k * period_ms for every k >= 0 below end_ms.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t period_ms = 60'000;  // > 0
  // Every other query's result, in request order. Ids are unique.
  std::vector<Input> inputs;
};

struct Node;  // The syntax tree (ast.h); callers need not look inside.

// A parsed expression. Immutable; cheap to copy (copies share the tree).
class Expr {
 public:
  const Node& root() const { return *root_; }

  // The expression fully parenthesised, e.g. "((m1 + (2 * m2)) > 5)": shows how it parsed.
  std::string ToString() const;

 private:
  friend StatusOr<Expr> Parse(std::string_view expression);
  explicit Expr(std::shared_ptr<const Node> root) : root_(std::move(root)) {}

  std::shared_ptr<const Node> root_;
};

// Parses `expression`. Checks everything that does not depend on the data: syntax, length,
// nesting depth, function names and argument counts. On failure returns InvalidArgument whose
// message names a 1-based position (a byte offset; expressions are ASCII), e.g.
//   "Syntax error at position 6 (after 'm1 +'): expected a number, an id or a function,
//    found ')'"
//   "Error at position 1: FILL takes 2 arguments, got 1"
StatusOr<Expr> Parse(std::string_view expression);

// Evaluates `expr` over `context`. Returns the resulting series: one for a TS, each element's
// for a TS[] (possibly none). InvalidArgument, naming the position of the culprit, when:
// an id is not among context.inputs ("unknown id \"m9\""); an argument or operand has the
// wrong kind ("SORT needs an array of time series as argument 1, got a scalar"); the result is
// a scalar ("the expression must return a time series or an array of time series"); or the
// context breaks its contract (period <= 0, end < start, more than kMaxGridPoints grid points,
// duplicate ids, unsorted timestamps, non-finite values).
StatusOr<std::vector<Series>> Evaluate(const Expr& expr, const Context& context);

// The ids `expr` names, each once, in order of first appearance, so the caller can check they
// exist, order the queries and refuse cycles. METRICS() is not expanded: it reads only
// MetricStat inputs, which never depend on expressions.
std::vector<std::string> ReferencedIds(const Expr& expr);

}  // namespace vigil::metricmath
