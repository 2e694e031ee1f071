#include <array>

#include "alarms/alarm_types.h"

namespace vigil::alarms {
namespace {

template <class E, size_t N>
std::optional<E> Find(const std::array<std::pair<E, std::string_view>, N>& table,
                      std::string_view name) {
  for (const auto& [value, text] : table) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <class E, size_t N>
std::string_view Name(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, text] : table) {
    if (v == value) return text;
  }
  return "";
}

constexpr std::array<std::pair<StateValue, std::string_view>, 3> kStates = {{
    {StateValue::kOk, "OK"},
    {StateValue::kAlarm, "ALARM"},
    {StateValue::kInsufficientData, "INSUFFICIENT_DATA"},
}};
constexpr std::array<std::pair<Comparison, std::string_view>, 4> kComparisons = {{
    {Comparison::kGreaterThanOrEqualToThreshold, "GreaterThanOrEqualToThreshold"},
    {Comparison::kGreaterThanThreshold, "GreaterThanThreshold"},
    {Comparison::kLessThanThreshold, "LessThanThreshold"},
    {Comparison::kLessThanOrEqualToThreshold, "LessThanOrEqualToThreshold"},
}};
constexpr std::array<std::pair<MissingData, std::string_view>, 4> kMissing = {{
    {MissingData::kMissing, "missing"},
    {MissingData::kBreaching, "breaching"},
    {MissingData::kNotBreaching, "notBreaching"},
    {MissingData::kIgnore, "ignore"},
}};
constexpr std::array<std::pair<HistoryType, std::string_view>, 3> kHistoryTypes = {{
    {HistoryType::kConfigurationUpdate, "ConfigurationUpdate"},
    {HistoryType::kStateUpdate, "StateUpdate"},
    {HistoryType::kAction, "Action"},
}};

}  // namespace

std::string_view StateValueName(StateValue v) { return Name(kStates, v); }
std::optional<StateValue> ParseStateValue(std::string_view n) { return Find(kStates, n); }
std::string_view ComparisonName(Comparison c) { return Name(kComparisons, c); }
std::optional<Comparison> ParseComparison(std::string_view n) { return Find(kComparisons, n); }
std::string_view MissingDataName(MissingData m) { return Name(kMissing, m); }
std::optional<MissingData> ParseMissingData(std::string_view n) { return Find(kMissing, n); }
std::string_view HistoryTypeName(HistoryType t) { return Name(kHistoryTypes, t); }
std::optional<HistoryType> ParseHistoryType(std::string_view n) { return Find(kHistoryTypes, n); }

int64_t MetricAlarm::period_s() const {
  if (metric) return metric->period_s;
  for (const MetricQuery& q : metrics) {
    if (!q.return_data) continue;
    if (q.metric) return q.metric->period_s;
    if (q.period_s > 0) return q.period_s;
  }
  for (const MetricQuery& q : metrics) {  // an expression without a period: its metrics'
    if (q.metric) return q.metric->period_s;
  }
  return 60;
}

}  // namespace vigil::alarms
