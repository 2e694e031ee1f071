// Evaluate(): validates the context, walks the syntax tree, applies the operators and calls
// the functions of the tables in *_functions.cc (through call.cc).

#include "metricmath/evaluator.h"

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

namespace vigil::metricmath {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ApplyOp(BinaryOp op, double a, double b) {
  // Only a scalar can be NaN (one without a value); whatever it touches has no value either.
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  switch (op) {
    case BinaryOp::kAdd:
      return a + b;
    case BinaryOp::kSub:
      return a - b;
    case BinaryOp::kMul:
      return a * b;
    case BinaryOp::kDiv:
      return a / b;  // x/0 is not finite: AppendPoint drops it
    case BinaryOp::kPow:
      return std::pow(a, b);
    case BinaryOp::kEq:
      return a == b;
    case BinaryOp::kNe:
      return a != b;
    case BinaryOp::kLt:
      return a < b;
    case BinaryOp::kLe:
      return a <= b;
    case BinaryOp::kGt:
      return a > b;
    case BinaryOp::kGe:
      return a >= b;
    case BinaryOp::kAnd:
      return a != 0 && b != 0;
    case BinaryOp::kOr:
      return a != 0 || b != 0;
  }
  return kNaN;
}

template <typename T>
constexpr bool kIsOperand =
    std::is_same_v<T, double> || std::is_same_v<T, Series> || std::is_same_v<T, SeriesArray>;

// op over two operands that are each a scalar or a series.
template <typename A, typename B>
Value ApplyToAtoms(BinaryOp op, const A& a, const B& b) {
  auto fn = [op](double x, double y) { return ApplyOp(op, x, y); };
  if constexpr (std::is_same_v<A, double> && std::is_same_v<B, double>) {
    return fn(a, b);
  } else if constexpr (std::is_same_v<A, double>) {
    return MapPoints(b, [&](double y) { return fn(a, y); });
  } else if constexpr (std::is_same_v<B, double>) {
    return MapPoints(a, [&](double x) { return fn(x, b); });
  } else {
    return CombinePoints(a, b, fn);
  }
}

StatusOr<Value> ApplyBinary(const Node& node, const Value& lhs, const Value& rhs) {
  const std::string op_text = std::string("'") + BinaryOpText(node.op) + "'";
  auto visitor = [&](const auto& a, const auto& b) -> StatusOr<Value> {
    using A = std::decay_t<decltype(a)>;
    using B = std::decay_t<decltype(b)>;
    if constexpr (!kIsOperand<A> || !kIsOperand<B>) {
      const Node& bad = kIsOperand<A> ? node.children[1] : node.children[0];
      return ErrorAt(bad.pos, op_text + " needs numbers or time series, got " +
                                  Describe(kIsOperand<A> ? rhs : lhs));
    } else if constexpr (std::is_same_v<A, SeriesArray> && std::is_same_v<B, SeriesArray>) {
      return ErrorAt(node.pos, op_text + " cannot combine two arrays of time series (of " +
                                   std::to_string(a.size()) + " and " + std::to_string(b.size()) +
                                   " series)");
    } else if constexpr (std::is_same_v<A, SeriesArray>) {
      SeriesArray out;
      for (const Series& s : a) out.push_back(std::get<Series>(ApplyToAtoms(node.op, s, b)));
      return Value(std::move(out));
    } else if constexpr (std::is_same_v<B, SeriesArray>) {
      SeriesArray out;
      for (const Series& s : b) {
        out.push_back(std::get<Series>(ApplyToAtoms(node.op, a, s)));
        out.back().label = s.label;  // each element keeps its own label
      }
      return Value(std::move(out));
    } else {
      return ApplyToAtoms(node.op, a, b);
    }
  };
  return std::visit(visitor, lhs, rhs);
}

class Evaluator {
 public:
  explicit Evaluator(const EvalContext& ctx) : ctx_(ctx) {
    for (const Input& input : ctx.context.inputs) by_id_.emplace(input.id, &input);
  }

  StatusOr<Value> Eval(const Node& node) {
    switch (node.kind) {
      case NodeKind::kNumber:
        return Value(node.number);
      case NodeKind::kString:
        return Value(Text{node.text});
      case NodeKind::kKeyword:
        return Value(Keyword{node.text});
      case NodeKind::kId:
        return EvalId(node);
      case NodeKind::kArray:
        return EvalArray(node);
      case NodeKind::kCall:
        return EvalCall(node);
      case NodeKind::kUnaryMinus: {
        ASSIGN_OR_RETURN(Value operand, Eval(node.children[0]));
        std::optional<Value> negated = MapValue(operand, [](double x) { return -x; });
        if (!negated) {
          return ErrorAt(node.children[0].pos,
                         "unary '-' needs a number or time series, got " + Describe(operand));
        }
        return std::move(*negated);
      }
      case NodeKind::kBinary: {
        ASSIGN_OR_RETURN(Value lhs, Eval(node.children[0]));
        ASSIGN_OR_RETURN(Value rhs, Eval(node.children[1]));
        return ApplyBinary(node, lhs, rhs);
      }
    }
    return ErrorAt(node.pos, "unknown syntax node");
  }

 private:
  StatusOr<Value> EvalId(const Node& node) {
    const auto it = by_id_.find(node.text);
    if (it == by_id_.end()) return ErrorAt(node.pos, "unknown id \"" + node.text + "\"");
    const std::vector<Series>& series = it->second->series;
    if (series.size() == 1) return Value(series[0]);
    return Value(series);
  }

  StatusOr<Value> EvalArray(const Node& node) {
    SeriesArray out;
    for (const Node& element : node.children) {
      ASSIGN_OR_RETURN(Value v, Eval(element));
      if (auto* s = std::get_if<Series>(&v)) {
        out.push_back(std::move(*s));
      } else if (auto* a = std::get_if<SeriesArray>(&v)) {
        for (Series& s : *a) out.push_back(std::move(s));
      } else {
        return ErrorAt(element.pos, "an array holds time series, not " + Describe(v));
      }
    }
    return Value(std::move(out));
  }

  StatusOr<Value> EvalCall(const Node& node) {
    const FunctionSpec* spec = FindFunction(node.text);
    if (spec == nullptr) return ErrorAt(node.pos, "unknown function " + node.text);
    std::vector<Value> args;
    args.reserve(node.children.size());
    for (const Node& arg : node.children) {
      ASSIGN_OR_RETURN(Value v, Eval(arg));
      args.push_back(std::move(v));
    }
    return spec->impl(Call(node, std::move(args), ctx_));
  }

  const EvalContext& ctx_;
  std::unordered_map<std::string_view, const Input*> by_id_;
};

Status ContextError(std::string message) {
  return InvalidArgumentError("Invalid context: " + message);
}

// Checks the contract of Context and computes the grid.
StatusOr<Grid> Validate(const Context& c) {
  if (c.period_ms <= 0) return ContextError("period_ms must be > 0");
  if (c.end_ms < c.start_ms) return ContextError("end_ms is before start_ms");
  // In unsigned arithmetic: end - start may not fit an int64_t.
  const uint64_t span = static_cast<uint64_t>(c.end_ms) - static_cast<uint64_t>(c.start_ms);
  const uint64_t period = static_cast<uint64_t>(c.period_ms);
  const uint64_t size = span / period + (span % period != 0 ? 1 : 0);
  if (size > static_cast<uint64_t>(kMaxGridPoints)) {
    return ContextError("the query has " + std::to_string(size) + " periods; the limit is " +
                        std::to_string(kMaxGridPoints));
  }
  std::unordered_map<std::string_view, int> seen;
  for (const Input& input : c.inputs) {
    if (++seen[input.id] > 1) return ContextError("duplicate id \"" + input.id + "\"");
    for (const Series& s : input.series) {
      const std::string where = "input \"" + input.id + "\" series \"" + s.label + "\"";
      if (s.timestamps_ms.size() != s.values.size()) {
        return ContextError(where + " has " + std::to_string(s.timestamps_ms.size()) +
                            " timestamps but " + std::to_string(s.values.size()) + " values");
      }
      for (size_t i = 0; i < s.values.size(); ++i) {
        if (i > 0 && s.timestamps_ms[i] <= s.timestamps_ms[i - 1]) {
          return ContextError(where + ": timestamps are not strictly ascending");
        }
        if (!std::isfinite(s.values[i])) return ContextError(where + ": a value is not finite");
      }
    }
  }
  return Grid{c.start_ms, c.period_ms, static_cast<int64_t>(size)};
}

}  // namespace

Status ErrorAt(size_t pos, std::string_view message) {
  return InvalidArgumentError("Error at position " + std::to_string(pos) + ": " +
                              std::string(message));
}

StatusOr<std::vector<Series>> Evaluate(const Expr& expr, const Context& context) {
  ASSIGN_OR_RETURN(const Grid grid, Validate(context));
  const EvalContext ctx{context, grid};
  ASSIGN_OR_RETURN(Value result, Evaluator(ctx).Eval(expr.root()));
  if (auto* s = std::get_if<Series>(&result)) return std::vector<Series>{std::move(*s)};
  if (auto* a = std::get_if<SeriesArray>(&result)) return std::move(*a);
  return InvalidArgumentError(
      "The expression must return a time series or an array of time series, not " +
      Describe(result));
}

}  // namespace vigil::metricmath
