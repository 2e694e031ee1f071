#pragma once
// The values metric math computes with, and the series algorithms every operator and function
// is built from. Private to src/metricmath.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "metricmath/metricmath.h"

namespace vigil::metricmath {

using SeriesArray = std::vector<Series>;
struct Keyword {
  std::string name;  // e.g. REPEAT
};
struct Text {
  std::string text;  // a string literal's contents
};

// S is double (NaN: a scalar without a value), TS is Series, TS[] is SeriesArray. Keywords and
// strings are values too, so that function arguments are checked like any other operand.
using Value = std::variant<double, Series, SeriesArray, Keyword, Text>;

// "a scalar", "a time series", "an array of 3 time series", "the keyword REPEAT", "a string".
std::string Describe(const Value& value);

// The shortest text that reads back as v: "2", "0.5", "1e+300".
std::string FormatNumber(double v);

// The series a TS, or a TS[] of exactly one, stands for; nullptr for anything else.
const Series* AsOneSeries(const Value& value);

// to - from as a double, exact in unsigned arithmetic where the int64_t difference would
// overflow. REQUIRES: from <= to.
inline double Elapsed(int64_t from, int64_t to) {
  return static_cast<double>(static_cast<uint64_t>(to) - static_cast<uint64_t>(from));
}

// Appends the point when v is finite; drops it otherwise (x/0, LOG(-1)...). REQUIRES: t is
// greater than the series' last timestamp.
inline void AppendPoint(Series& s, int64_t t, double v) {
  if (!std::isfinite(v)) return;
  s.timestamps_ms.push_back(t);
  s.values.push_back(v);
}

// Looks up a series' values at ascending timestamps in amortised O(1).
class SeriesCursor {
 public:
  explicit SeriesCursor(const Series& s) : s_(s) {}
  // The value at t, if the series has a point there. REQUIRES: t not below the previous t.
  std::optional<double> At(int64_t t) {
    while (i_ < s_.timestamps_ms.size() && s_.timestamps_ms[i_] < t) ++i_;
    if (i_ < s_.timestamps_ms.size() && s_.timestamps_ms[i_] == t) return s_.values[i_];
    return std::nullopt;
  }

 private:
  const Series& s_;
  size_t i_ = 0;
};

// fn applied to each value of s, same timestamps and label.
template <typename Fn>
Series MapPoints(const Series& s, Fn fn) {
  Series out;
  out.label = s.label;
  for (size_t i = 0; i < s.values.size(); ++i) {
    AppendPoint(out, s.timestamps_ms[i], fn(s.values[i]));
  }
  return out;
}

// fn applied to each value of a scalar, a series or every series of an array; nullopt for a
// keyword or a string.
template <typename Fn>
std::optional<Value> MapValue(const Value& v, Fn fn) {
  if (const double* x = std::get_if<double>(&v)) return Value(fn(*x));
  if (const Series* s = std::get_if<Series>(&v)) return Value(MapPoints(*s, fn));
  if (const SeriesArray* a = std::get_if<SeriesArray>(&v)) {
    SeriesArray out;
    for (const Series& s : *a) out.push_back(MapPoints(s, fn));
    return Value(std::move(out));
  }
  return std::nullopt;
}

// fn(a, b) over the union of the timestamps of a and b, a missing point taken as 0. Labelled
// like a.
template <typename Fn>
Series CombinePoints(const Series& a, const Series& b, Fn fn) {
  Series out;
  out.label = a.label;
  size_t i = 0, j = 0;
  const auto& ta = a.timestamps_ms;
  const auto& tb = b.timestamps_ms;
  while (i < ta.size() || j < tb.size()) {
    if (j == tb.size() || (i < ta.size() && ta[i] < tb[j])) {
      AppendPoint(out, ta[i], fn(a.values[i], 0.0));
      ++i;
    } else if (i == ta.size() || tb[j] < ta[i]) {
      AppendPoint(out, tb[j], fn(0.0, b.values[j]));
      ++j;
    } else {
      AppendPoint(out, ta[i], fn(a.values[i], b.values[j]));
      ++i;
      ++j;
    }
  }
  return out;
}

// The statistic of a set of values; NaN (no value) for an empty set, except kCount.
enum class Statistic { kSum, kAvg, kMin, kMax, kStddev, kCount };
double Reduce(Statistic stat, std::span<const double> values);

// Per timestamp where any series has a point, the statistic across all the series, missing
// points taken as 0. Labelled `label`.
Series ReduceAcross(std::span<const Series> series, Statistic stat, std::string label);

}  // namespace vigil::metricmath
