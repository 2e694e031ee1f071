#include "alarms/evaluate.h"

#include <algorithm>
#include <vector>

namespace vigil::alarms {

bool Breaches(double value, Comparison op, double threshold) {
  switch (op) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return value >= threshold;
    case Comparison::kGreaterThanThreshold:
      return value > threshold;
    case Comparison::kLessThanThreshold:
      return value < threshold;
    case Comparison::kLessThanOrEqualToThreshold:
      return value <= threshold;
  }
  return false;
}

int EvaluationRange(int evaluation_periods) { return evaluation_periods + 2; }

std::optional<StateValue> Decide(std::span<const Point> range, int n, int m, MissingData treat) {
  const auto verdict = [m](int breaching) {
    return breaching >= m ? StateValue::kAlarm : StateValue::kOk;
  };
  std::vector<size_t> real;  // indexes of real points, oldest first
  for (size_t i = 0; i < range.size(); ++i) {
    if (range[i] != Point::kMissing) real.push_back(i);
  }
  const auto count_breaching = [&](size_t from) {
    int b = 0;
    for (size_t k = from; k < real.size(); ++k) b += range[real[k]] == Point::kBreaching;
    return b;
  };
  if (static_cast<int>(real.size()) >= n) return verdict(count_breaching(real.size() - n));
  const int fills = n - static_cast<int>(real.size());
  switch (treat) {
    case MissingData::kBreaching:
      return verdict(count_breaching(0) + fills);
    case MissingData::kNotBreaching:
      return verdict(count_breaching(0));
    case MissingData::kMissing:
    case MissingData::kIgnore:
      break;
  }
  if (real.empty()) {
    if (treat == MissingData::kIgnore) return std::nullopt;
    return StateValue::kInsufficientData;
  }
  const int breaching = count_breaching(0);
  if (breaching >= m) return StateValue::kAlarm;
  if (breaching < static_cast<int>(real.size())) return StateValue::kOk;  // a real non-breaching
  if (treat == MissingData::kIgnore) return std::nullopt;
  // Every real point breaches, too few to decide. The fills take the newest missing periods;
  // when all of them are newer than the oldest real point, that point is the oldest evaluated.
  int fill_slots_before = 0, placed = 0;
  for (size_t i = range.size(); i-- > 0 && placed < fills;) {
    if (range[i] != Point::kMissing) continue;
    ++placed;
    if (i < real.front()) ++fill_slots_before;
  }
  return fill_slots_before == 0 ? StateValue::kAlarm : StateValue::kInsufficientData;
}

}  // namespace vigil::alarms
