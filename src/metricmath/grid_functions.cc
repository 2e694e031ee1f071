// Functions that produce points on the query grid: FILL TIME_SERIES, the calendar functions
// MINUTE HOUR DAY DATE MONTH YEAR EPOCH; and PERIOD, which reads the grid's step.

#include <chrono>
#include <optional>

#include "metricmath/evaluator.h"

namespace vigil::metricmath {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// A copy of s with a point added at each grid timestamp t that s lacks, valued
// fill(t, before, after) (no point if nullopt), where before and after index the points of s
// nearest to t on either side, or are kNone.
template <typename Fn>
Series FillGaps(const Series& s, const Grid& grid, Fn fill) {
  Series out;
  out.label = s.label;
  const size_t n = s.values.size();
  size_t i = 0;  // the first point of s not yet copied
  for (int64_t k = 0; k < grid.size; ++k) {
    const int64_t t = grid.At(k);
    for (; i < n && s.timestamps_ms[i] < t; ++i) AppendPoint(out, s.timestamps_ms[i], s.values[i]);
    if (i < n && s.timestamps_ms[i] == t) continue;  // copied by the next round or the tail
    if (std::optional<double> v = fill(t, i == 0 ? kNone : i - 1, i < n ? i : kNone)) {
      AppendPoint(out, t, *v);
    }
  }
  for (; i < n; ++i) AppendPoint(out, s.timestamps_ms[i], s.values[i]);
  return out;
}

StatusOr<Value> Fill(const Call& call) {
  const Grid& grid = call.ctx().grid;
  const Value& filler = call.arg(1);
  if (const double* constant = std::get_if<double>(&filler)) {
    return call.MapSeries(0, [&](const Series& s) {
      return FillGaps(s, grid, [&](int64_t, size_t, size_t) { return std::optional(*constant); });
    });
  }
  if (const Series* other = AsOneSeries(filler)) {
    return call.MapSeries(0, [&](const Series& s) {
      SeriesCursor cursor(*other);
      return FillGaps(s, grid, [&](int64_t t, size_t, size_t) { return cursor.At(t); });
    });
  }
  const Keyword* keyword = std::get_if<Keyword>(&filler);
  if (keyword != nullptr && keyword->name == "REPEAT") {
    return call.MapSeries(0, [&](const Series& s) {
      return FillGaps(s, grid, [&](int64_t, size_t before, size_t) -> std::optional<double> {
        if (before == kNone) return std::nullopt;
        return s.values[before];
      });
    });
  }
  if (keyword != nullptr && keyword->name == "LINEAR") {
    return call.MapSeries(0, [&](const Series& s) {
      return FillGaps(
          s, grid, [&](int64_t t, size_t before, size_t after) -> std::optional<double> {
            if (before == kNone || after == kNone) return std::nullopt;
            const int64_t t0 = s.timestamps_ms[before];
            const double v0 = s.values[before];
            const double v1 = s.values[after];
            return v0 + (v1 - v0) * (Elapsed(t0, t) / Elapsed(t0, s.timestamps_ms[after]));
          });
    });
  }
  return call.ArgError(1, "a scalar, a time series, REPEAT or LINEAR");
}

StatusOr<Value> TimeSeries(const Call& call) {
  ASSIGN_OR_RETURN(const double value, call.Scalar(0));
  const Grid& grid = call.ctx().grid;
  Series out;
  out.label = call.name();
  for (int64_t k = 0; k < grid.size; ++k) AppendPoint(out, grid.At(k), value);
  return Value(std::move(out));
}

StatusOr<Value> Period(const Call& call) {
  RETURN_IF_ERROR(call.OneSeries(0).status());  // only checked: all share the query's period
  return Value(static_cast<double>(call.ctx().grid.period_ms) / 1000);
}

enum class CalendarField { kMinute, kHour, kDay, kDate, kMonth, kYear, kEpoch };

// The field of the UTC time t_ms.
double CalendarValue(CalendarField field, int64_t t_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> time{milliseconds(t_ms)};
  const sys_days day = floor<days>(time);
  const milliseconds in_day = time - day;
  const year_month_day date(day);
  switch (field) {
    case CalendarField::kMinute:
      return static_cast<double>(duration_cast<minutes>(in_day).count() % 60);
    case CalendarField::kHour:
      return static_cast<double>(duration_cast<hours>(in_day).count());
    case CalendarField::kDay:
      return weekday(day).iso_encoding();  // Monday 1 ... Sunday 7
    case CalendarField::kDate:
      return static_cast<unsigned>(date.day());
    case CalendarField::kMonth:
      return static_cast<unsigned>(date.month());
    case CalendarField::kYear:
      return static_cast<int>(date.year());
    case CalendarField::kEpoch:
      return static_cast<double>(floor<seconds>(time).time_since_epoch().count());
  }
  return 0;
}

// MINUTE(TS) and friends: the field at every grid timestamp. The argument is only checked.
StatusOr<Value> Calendar(const Call& call, CalendarField field) {
  RETURN_IF_ERROR(call.OneSeries(0).status());
  const Grid& grid = call.ctx().grid;
  Series out;
  out.label = call.name();
  for (int64_t k = 0; k < grid.size; ++k) {
    AppendPoint(out, grid.At(k), CalendarValue(field, grid.At(k)));
  }
  return Value(std::move(out));
}

const FunctionSpec kFunctions[] = {
    {"FILL", 2, 2, Fill},
    {"TIME_SERIES", 1, 1, TimeSeries},
    {"PERIOD", 1, 1, Period},
    {"MINUTE", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kMinute); }},
    {"HOUR", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kHour); }},
    {"DAY", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kDay); }},
    {"DATE", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kDate); }},
    {"MONTH", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kMonth); }},
    {"YEAR", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kYear); }},
    {"EPOCH", 1, 1, [](const Call& c) { return Calendar(c, CalendarField::kEpoch); }},
};

}  // namespace

std::span<const FunctionSpec> GridFunctions() { return kFunctions; }

}  // namespace vigil::metricmath
