#pragma once
// CloudWatch's rules for turning an alarm's datapoints into a state, as pure functions: the
// evaluator feeds them, the semantics tests check them against AWS's documented tables.
#include <optional>
#include <span>

#include "alarms/alarm_types.h"

namespace vigil::alarms {

// One period of the evaluation range.
enum class Point { kMissing, kNotBreaching, kBreaching };

// Whether `value` breaches `threshold` under `op`.
bool Breaches(double value, Comparison op, double threshold);

// How many periods the evaluator reads for an alarm of `evaluation_periods`: CloudWatch looks
// further back than the evaluation periods, so that a few missing datapoints are bridged by
// older real ones (its documented example reads 5 for 3).
int EvaluationRange(int evaluation_periods);

// The state for the points of the evaluation range (oldest first, newest last), or nullopt
// when the alarm keeps its current state (TreatMissingData ignore, with too little data):
// - at least N real points: the newest N decide, the missing-data setting is not used;
// - none: missing → INSUFFICIENT_DATA, ignore → keep, breaching → ALARM, notBreaching → OK;
// - fewer than N: the real points plus N - real fills, placed in the newest missing periods,
//   which breaching/notBreaching count as such; with missing/ignore a fill counts as neither,
//   so M breaching points give ALARM, a non-breaching one OK, and otherwise missing gives
//   ALARM only when the oldest point evaluated is a real breaching one (INSUFFICIENT_DATA
//   else) while ignore keeps the state.
// Then ALARM when at least M (datapoints_to_alarm) of the N evaluated points breach, else OK.
std::optional<StateValue> Decide(std::span<const Point> range, int evaluation_periods,
                                 int datapoints_to_alarm, MissingData treat);

}  // namespace vigil::alarms
