#pragma once
// What the evaluator shares with the function implementations: the evaluation context, a
// function call's checked argument accessors, and the function table. Private to
// src/metricmath.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "metricmath/ast.h"
#include "metricmath/value.h"

namespace vigil::metricmath {

// InvalidArgument "Error at position <pos>: <message>".
Status ErrorAt(size_t pos, std::string_view message);

// The query grid: start_ms + k * period_ms for k in [0, size).
struct Grid {
  int64_t start_ms = 0;
  int64_t period_ms = 1;
  int64_t size = 0;
  // In unsigned arithmetic, as k * period_ms may exceed INT64_MAX when start_ms < 0; the sum
  // lies in [start_ms, end_ms) and so fits.
  int64_t At(int64_t k) const {
    return static_cast<int64_t>(static_cast<uint64_t>(start_ms) +
                                static_cast<uint64_t>(k) * static_cast<uint64_t>(period_ms));
  }
};

// The context of one Evaluate() call, validated.
struct EvalContext {
  const Context& context;
  Grid grid;
};

// One function call with its arguments evaluated. The accessors return the argument in the
// kind asked for, or InvalidArgument pointing at the argument:
//   "Error at position 6: SORT needs an array of time series as argument 1, got a scalar".
class Call {
 public:
  Call(const Node& node, std::vector<Value> args, const EvalContext& ctx)
      : node_(node), args_(std::move(args)), ctx_(ctx) {}

  const std::string& name() const { return node_.text; }
  size_t size() const { return args_.size(); }
  const Value& arg(size_t i) const { return args_[i]; }
  const EvalContext& ctx() const { return ctx_; }

  // The error for argument i (0-based) not being `expected`, e.g. "a time series".
  Status ArgError(size_t i, std::string_view expected) const;

  StatusOr<double> Scalar(size_t i) const;
  // A scalar that is a whole number >= 0.
  StatusOr<size_t> Count(size_t i) const;
  // A TS, or a TS[] of exactly one series.
  StatusOr<const Series*> OneSeries(size_t i) const;
  // A TS[], or a TS as an array of one. The span points into this Call.
  StatusOr<std::span<const Series>> Array(size_t i) const;
  // One of the `allowed` keywords.
  StatusOr<std::string_view> KeywordArg(size_t i,
                                        std::initializer_list<std::string_view> allowed) const;

  // fn applied to argument i when it is a TS, or to each series of a TS[]: the result has the
  // argument's kind. `expected` names what else the function takes, for the error.
  StatusOr<Value> MapSeries(
      size_t i, const std::function<Series(const Series&)>& fn,
      std::string_view expected = "a time series or an array of time series") const;

 private:
  const Node& node_;
  std::vector<Value> args_;
  const EvalContext& ctx_;
};

struct FunctionSpec {
  std::string_view name;
  size_t min_args;
  size_t max_args;
  StatusOr<Value> (*impl)(const Call& call);
};

// The function called `name`, or nullptr. Looks in the tables below.
const FunctionSpec* FindFunction(std::string_view name);
// Names CloudWatch has but Vigil refuses: "ANOMALY_DETECTION_BAND is not supported".
bool IsUnsupportedFunction(std::string_view name);

// The tables, one per implementation file.
std::span<const FunctionSpec> PointFunctions();  // point_functions.cc
std::span<const FunctionSpec> ArrayFunctions();  // array_functions.cc
std::span<const FunctionSpec> GridFunctions();   // grid_functions.cc

}  // namespace vigil::metricmath
