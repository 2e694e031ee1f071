// Statistics (SUM AVG MIN MAX STDDEV DATAPOINT_COUNT) and the functions that pick series out
// of arrays: METRICS METRIC_COUNT SORT SLICE FIRST LAST REMOVE_EMPTY.

#include <algorithm>
#include <cmath>

#include "metricmath/evaluator.h"

namespace vigil::metricmath {
namespace {

// stat over the points of a TS (-> S), or across the series of a TS[] (-> TS).
StatusOr<Value> StatisticOf(const Call& call, Statistic stat) {
  if (const Series* s = std::get_if<Series>(&call.arg(0))) return Value(Reduce(stat, s->values));
  const SeriesArray* array = std::get_if<SeriesArray>(&call.arg(0));
  if (array == nullptr) return call.ArgError(0, "a time series or an array of time series");
  if (stat != Statistic::kCount) return Value(ReduceAcross(*array, stat, call.name()));
  // Across series, DATAPOINT_COUNT counts the series with a point: the sum of their
  // indicator series, whose missing points count 0 like any other statistic's.
  SeriesArray indicators;
  for (const Series& s : *array) indicators.push_back(MapPoints(s, [](double) { return 1.0; }));
  return Value(ReduceAcross(indicators, Statistic::kSum, call.name()));
}

StatusOr<Value> Metrics(const Call& call) {
  std::string_view filter;
  if (call.size() == 1) {
    const Text* text = std::get_if<Text>(&call.arg(0));
    if (text == nullptr) return call.ArgError(0, "a string");
    filter = text->text;
  }
  SeriesArray out;
  for (const Input& input : call.ctx().context.inputs) {
    if (input.from_expression || input.id.find(filter) == std::string::npos) continue;
    out.insert(out.end(), input.series.begin(), input.series.end());
  }
  return Value(std::move(out));
}

StatusOr<Value> MetricCount(const Call& call) {
  ASSIGN_OR_RETURN(std::span<const Series> array, call.Array(0));
  return Value(static_cast<double>(array.size()));
}

Statistic StatisticNamed(std::string_view name) {
  if (name == "SUM") return Statistic::kSum;
  if (name == "AVG") return Statistic::kAvg;
  if (name == "MIN") return Statistic::kMin;
  return Statistic::kMax;
}

StatusOr<Value> Sort(const Call& call) {
  ASSIGN_OR_RETURN(std::span<const Series> array, call.Array(0));
  ASSIGN_OR_RETURN(std::string_view by, call.KeywordArg(1, {"SUM", "AVG", "MIN", "MAX"}));
  ASSIGN_OR_RETURN(std::string_view order, call.KeywordArg(2, {"ASC", "DESC"}));
  size_t limit = array.size();
  if (call.size() == 4) {
    ASSIGN_OR_RETURN(limit, call.Count(3));
  }
  struct Keyed {
    double key;  // NaN for a series without points
    size_t index;
  };
  std::vector<Keyed> keyed;
  for (size_t i = 0; i < array.size(); ++i) {
    keyed.push_back({Reduce(StatisticNamed(by), array[i].values), i});
  }
  const bool descending = order == "DESC";
  std::stable_sort(keyed.begin(), keyed.end(), [descending](const Keyed& a, const Keyed& b) {
    if (std::isnan(a.key) || std::isnan(b.key)) return !std::isnan(a.key) && std::isnan(b.key);
    return descending ? a.key > b.key : a.key < b.key;
  });
  SeriesArray out;
  for (size_t i = 0; i < std::min(limit, keyed.size()); ++i) out.push_back(array[keyed[i].index]);
  return Value(std::move(out));
}

StatusOr<Value> Slice(const Call& call) {
  ASSIGN_OR_RETURN(std::span<const Series> array, call.Array(0));
  ASSIGN_OR_RETURN(size_t begin, call.Count(1));
  size_t end = array.size();
  if (call.size() == 3) {
    ASSIGN_OR_RETURN(end, call.Count(2));
  }
  end = std::min(end, array.size());
  begin = std::min(begin, end);
  return Value(SeriesArray(array.begin() + begin, array.begin() + end));
}

// FIRST (front = true) or LAST.
StatusOr<Value> Edge(const Call& call, bool front) {
  ASSIGN_OR_RETURN(std::span<const Series> array, call.Array(0));
  if (array.empty()) return Value(Series{});
  return Value(front ? array.front() : array.back());
}

StatusOr<Value> RemoveEmpty(const Call& call) {
  ASSIGN_OR_RETURN(std::span<const Series> array, call.Array(0));
  SeriesArray out;
  for (const Series& s : array) {
    if (!s.values.empty()) out.push_back(s);
  }
  return Value(std::move(out));
}

const FunctionSpec kFunctions[] = {
    {"SUM", 1, 1, [](const Call& c) { return StatisticOf(c, Statistic::kSum); }},
    {"AVG", 1, 1, [](const Call& c) { return StatisticOf(c, Statistic::kAvg); }},
    {"MIN", 1, 1, [](const Call& c) { return StatisticOf(c, Statistic::kMin); }},
    {"MAX", 1, 1, [](const Call& c) { return StatisticOf(c, Statistic::kMax); }},
    {"STDDEV", 1, 1, [](const Call& c) { return StatisticOf(c, Statistic::kStddev); }},
    {"DATAPOINT_COUNT", 1, 1, [](const Call& c) { return StatisticOf(c, Statistic::kCount); }},
    {"METRICS", 0, 1, Metrics},
    {"METRIC_COUNT", 1, 1, MetricCount},
    {"SORT", 3, 4, Sort},
    {"SLICE", 2, 3, Slice},
    {"FIRST", 1, 1, [](const Call& c) { return Edge(c, /*front=*/true); }},
    {"LAST", 1, 1, [](const Call& c) { return Edge(c, /*front=*/false); }},
    {"REMOVE_EMPTY", 1, 1, RemoveEmpty},
};

}  // namespace

std::span<const FunctionSpec> ArrayFunctions() { return kFunctions; }

}  // namespace vigil::metricmath
