// Functions computed point by point: ABS CEIL FLOOR LOG LOG10 SQRT; from each point and its
// predecessor: DIFF RATE DIFF_TIME RUNNING_SUM; and IF.

#include <cmath>
#include <limits>
#include <optional>

#include "metricmath/evaluator.h"

namespace vigil::metricmath {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// fn over every value of a scalar, a series or an array.
template <typename Fn>
StatusOr<Value> Pointwise(const Call& call, Fn fn) {
  std::optional<Value> out = MapValue(call.arg(0), fn);
  if (!out) return call.ArgError(0, "a scalar, a time series or an array of time series");
  return std::move(*out);
}

// fn(seconds since the previous point, change in value since it) at each point but the first.
template <typename Fn>
StatusOr<Value> Consecutive(const Call& call, Fn fn) {
  return call.MapSeries(0, [&](const Series& s) {
    Series out;
    out.label = s.label;
    for (size_t i = 1; i < s.values.size(); ++i) {
      const double seconds = Elapsed(s.timestamps_ms[i - 1], s.timestamps_ms[i]) / 1000;
      AppendPoint(out, s.timestamps_ms[i], fn(seconds, s.values[i] - s.values[i - 1]));
    }
    return out;
  });
}

StatusOr<Value> RunningSum(const Call& call) {
  return call.MapSeries(0, [](const Series& s) {
    double sum = 0;
    return MapPoints(s, [&sum](double v) { return sum += v; });
  });
}

// A branch of IF(TS, a, b): a scalar, a series, or absent.
class Branch {
 public:
  static StatusOr<Branch> Of(const Call& call, size_t i) {
    if (i >= call.size()) return Branch(kNaN, nullptr);
    if (const double* x = std::get_if<double>(&call.arg(i))) return Branch(*x, nullptr);
    if (const Series* s = AsOneSeries(call.arg(i))) return Branch(0, s);
    return call.ArgError(i, "a scalar or a time series");
  }

  const Series* series() const { return series_; }

  // The branch's value at t: the scalar; the series' point, else `missing`.
  // REQUIRES: t not below the previous call's.
  double At(int64_t t, double missing) {
    if (series_ == nullptr) return scalar_;
    return cursor_->At(t).value_or(missing);
  }

 private:
  Branch(double scalar, const Series* series) : scalar_(scalar), series_(series) {
    if (series != nullptr) cursor_.emplace(*series);
  }

  double scalar_;
  const Series* series_;
  std::optional<SeriesCursor> cursor_;
};

// IF(cond, a[, b]) as "Using IF expressions" in the CloudWatch guide describes it.
StatusOr<Value> If(const Call& call) {
  if (const double* cond = std::get_if<double>(&call.arg(0))) {
    // A scalar condition picks a whole branch; one without a value is false.
    for (size_t i = 1; i < call.size(); ++i) {
      if (!MapValue(call.arg(i), [](double x) { return x; })) {
        return call.ArgError(i, "a scalar, a time series or an array of time series");
      }
    }
    if (*cond != 0 && !std::isnan(*cond)) return call.arg(1);
    if (call.size() == 3) return call.arg(2);
    return std::move(*MapValue(call.arg(1), [](double) { return kNaN; }));  // a's kind, empty
  }
  const Series* cond = AsOneSeries(call.arg(0));
  if (cond == nullptr) return call.ArgError(0, "a scalar or a time series");
  ASSIGN_OR_RETURN(Branch when_true, Branch::Of(call, 1));
  ASSIGN_OR_RETURN(Branch when_false, Branch::Of(call, 2));
  Series out;
  out.label = when_true.series() != nullptr ? when_true.series()->label : cond->label;
  for (size_t i = 0; i < cond->values.size(); ++i) {
    const int64_t t = cond->timestamps_ms[i];
    // A true point missing from a is 0; a false one missing from b (or b absent) is dropped.
    AppendPoint(out, t, cond->values[i] != 0 ? when_true.At(t, 0) : when_false.At(t, kNaN));
  }
  return Value(std::move(out));
}

const FunctionSpec kFunctions[] = {
    {"ABS", 1, 1,
     [](const Call& c) { return Pointwise(c, [](double x) { return std::fabs(x); }); }},
    {"CEIL", 1, 1,
     [](const Call& c) { return Pointwise(c, [](double x) { return std::ceil(x); }); }},
    {"FLOOR", 1, 1,
     [](const Call& c) { return Pointwise(c, [](double x) { return std::floor(x); }); }},
    {"LOG", 1, 1, [](const Call& c) { return Pointwise(c, [](double x) { return std::log(x); }); }},
    {"LOG10", 1, 1,
     [](const Call& c) { return Pointwise(c, [](double x) { return std::log10(x); }); }},
    {"SQRT", 1, 1,
     [](const Call& c) { return Pointwise(c, [](double x) { return std::sqrt(x); }); }},
    {"DIFF", 1, 1,
     [](const Call& c) { return Consecutive(c, [](double, double change) { return change; }); }},
    {"RATE", 1, 1,
     [](const Call& c) {
       return Consecutive(c, [](double seconds, double change) { return change / seconds; });
     }},
    {"DIFF_TIME", 1, 1,
     [](const Call& c) { return Consecutive(c, [](double seconds, double) { return seconds; }); }},
    {"RUNNING_SUM", 1, 1, RunningSum},
    {"IF", 2, 3, If},
};

}  // namespace

std::span<const FunctionSpec> PointFunctions() { return kFunctions; }

}  // namespace vigil::metricmath
