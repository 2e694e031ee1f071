#include "metricmath/value.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <system_error>

namespace vigil::metricmath {

std::string Describe(const Value& value) {
  struct Visitor {
    std::string operator()(double) const { return "a scalar"; }
    std::string operator()(const Series&) const { return "a time series"; }
    std::string operator()(const SeriesArray& a) const {
      return "an array of " + std::to_string(a.size()) + " time series";
    }
    std::string operator()(const Keyword& k) const { return "the keyword " + k.name; }
    std::string operator()(const Text&) const { return "a string"; }
  };
  return std::visit(Visitor{}, value);
}

const Series* AsOneSeries(const Value& value) {
  if (const Series* s = std::get_if<Series>(&value)) return s;
  const SeriesArray* a = std::get_if<SeriesArray>(&value);
  return a != nullptr && a->size() == 1 ? &(*a)[0] : nullptr;
}

std::string FormatNumber(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

double Reduce(Statistic stat, std::span<const double> values) {
  if (stat == Statistic::kCount) return static_cast<double>(values.size());
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  double sum = 0;
  for (double v : values) sum += v;
  const double mean = sum / static_cast<double>(values.size());
  switch (stat) {
    case Statistic::kSum:
      return sum;
    case Statistic::kAvg:
      return mean;
    case Statistic::kMin:
      return *std::min_element(values.begin(), values.end());
    case Statistic::kMax:
      return *std::max_element(values.begin(), values.end());
    case Statistic::kStddev: {
      // Two passes: the textbook sum-of-squares formula loses precision on large values.
      double squares = 0;
      for (double v : values) squares += (v - mean) * (v - mean);
      return std::sqrt(squares / static_cast<double>(values.size()));
    }
    case Statistic::kCount:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

Series ReduceAcross(std::span<const Series> series, Statistic stat, std::string label) {
  std::vector<int64_t> timestamps;
  for (const Series& s : series) {
    timestamps.insert(timestamps.end(), s.timestamps_ms.begin(), s.timestamps_ms.end());
  }
  std::sort(timestamps.begin(), timestamps.end());
  timestamps.erase(std::unique(timestamps.begin(), timestamps.end()), timestamps.end());

  std::vector<SeriesCursor> cursors(series.begin(), series.end());
  std::vector<double> across(series.size());
  Series out;
  out.label = std::move(label);
  for (int64_t t : timestamps) {
    for (size_t i = 0; i < cursors.size(); ++i) across[i] = cursors[i].At(t).value_or(0.0);
    AppendPoint(out, t, Reduce(stat, across));
  }
  return out;
}

}  // namespace vigil::metricmath
