// The plumbing shared by all functions: argument checks and the function lookup.

#include <cmath>

#include "metricmath/evaluator.h"

namespace vigil::metricmath {

Status Call::ArgError(size_t i, std::string_view expected) const {
  return ErrorAt(node_.children[i].pos, name() + " needs " + std::string(expected) +
                                            " as argument " + std::to_string(i + 1) + ", got " +
                                            Describe(args_[i]));
}

StatusOr<double> Call::Scalar(size_t i) const {
  if (const double* x = std::get_if<double>(&args_[i])) return *x;
  return ArgError(i, "a scalar");
}

StatusOr<size_t> Call::Count(size_t i) const {
  ASSIGN_OR_RETURN(const double x, Scalar(i));
  // 2^53: beyond it doubles skip integers, and no array is that large.
  if (!(x >= 0 && x <= 9007199254740992.0 && x == std::floor(x))) {
    return ErrorAt(node_.children[i].pos, name() + " needs a whole number >= 0 as argument " +
                                              std::to_string(i + 1) + ", got " + FormatNumber(x));
  }
  return static_cast<size_t>(x);
}

StatusOr<const Series*> Call::OneSeries(size_t i) const {
  if (const Series* s = AsOneSeries(args_[i])) return s;
  return ArgError(i, "a time series");
}

StatusOr<std::span<const Series>> Call::Array(size_t i) const {
  if (const SeriesArray* a = std::get_if<SeriesArray>(&args_[i]))
    return std::span<const Series>(*a);
  if (const Series* s = std::get_if<Series>(&args_[i])) return std::span<const Series>(s, 1);
  return ArgError(i, "an array of time series");
}

StatusOr<std::string_view> Call::KeywordArg(size_t i,
                                            std::initializer_list<std::string_view> allowed) const {
  const Keyword* k = std::get_if<Keyword>(&args_[i]);
  std::string expected;
  for (std::string_view word : allowed) {
    if (k != nullptr && k->name == word) return word;
    if (!expected.empty()) expected += word == *(allowed.end() - 1) ? " or " : ", ";
    expected += word;
  }
  return ArgError(i, expected);
}

StatusOr<Value> Call::MapSeries(size_t i, const std::function<Series(const Series&)>& fn,
                                std::string_view expected) const {
  if (const Series* s = std::get_if<Series>(&args_[i])) return Value(fn(*s));
  if (const SeriesArray* a = std::get_if<SeriesArray>(&args_[i])) {
    SeriesArray out;
    out.reserve(a->size());
    for (const Series& s : *a) out.push_back(fn(s));
    return Value(std::move(out));
  }
  return ArgError(i, expected);
}

const FunctionSpec* FindFunction(std::string_view name) {
  for (const auto& table : {PointFunctions(), ArrayFunctions(), GridFunctions()}) {
    for (const FunctionSpec& spec : table) {
      if (spec.name == name) return &spec;
    }
  }
  return nullptr;
}

bool IsUnsupportedFunction(std::string_view name) {
  for (std::string_view unsupported : {"ANOMALY_DETECTION_BAND", "SEARCH", "SERVICE_QUOTA",
                                       "INSIGHT_RULE_METRIC", "LAMBDA", "DB_PERF_INSIGHTS"}) {
    if (name == unsupported) return true;
  }
  return false;
}

}  // namespace vigil::metricmath
