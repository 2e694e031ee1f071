#pragma once
// vigil::alarms — CloudWatch alarms: metric alarms (a threshold over M of N periods of a
// metric or a metric-math expression) and composite alarms (a rule over other alarms), their
// history, and their actions.
//
// Evaluation: one thread evaluates each metric alarm when each of its periods closes (plus a
// short grace for late samples), down to 1-second periods, so an alarm changes state within
// about a period of the data that decides it. A composite alarm is evaluated at once when an
// alarm it names changes state. Every change (definition, state, action attempt) is written
// to the state store before it takes effect, so a restart neither loses nor repeats one.
//
// Actions run on their own thread through an ActionRunner, retried with exponential backoff;
// each attempt is a history item.
//
// Thread-safety: an Engine is safe for concurrent use.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alarms/alarm_types.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status.h"
#include "state/state.h"

namespace vigil::alarms {

// Where the evaluator reads datapoints: declared here, implemented over the metrics store by
// the server.
class MetricReader {
 public:
  virtual ~MetricReader() = default;
  // The alarm's value in each of `count` periods starting at `start_ms` (period_s() long,
  // oldest first); nullopt for a period without data.
  virtual StatusOr<std::vector<std::optional<double>>> Read(const MetricAlarm& alarm,
                                                            int64_t start_ms, int count) = 0;
};

// What an action is told about a state change.
struct Notification {
  std::string alarm_name;
  std::string description;
  bool composite = false;
  std::string alarm_arn;
  StateValue old_state = StateValue::kInsufficientData;
  AlarmState new_state;
  std::optional<MetricAlarm> metric_alarm;  // the alarm's definition, for its Trigger
  std::optional<CompositeAlarm> composite_alarm;
};

// Runs actions: "http://…"/"https://…" webhooks, "vigil:restart:<app>", "vigil:rollback:<app>".
class ActionRunner {
 public:
  virtual ~ActionRunner() = default;
  // InvalidArgument naming the problem when `action` is not one this runner can run:
  // PutMetricAlarm refuses the alarm then.
  virtual Status Validate(const std::string& action) const = 0;
  // Runs the action; an error is retried with backoff (a permanent one, FailedPrecondition,
  // is not: "nothing to roll back" stays so).
  virtual Status Run(const std::string& action, const Notification& n) = 0;
};

struct Options {
  state::Store* store = nullptr;    // required
  MetricReader* reader = nullptr;   // required
  ActionRunner* actions = nullptr;  // required
  const Clock* clock = nullptr;     // required
  Logger* logger = nullptr;         // required
  // Optional self-metrics: vigil_alarm_evaluations_total, vigil_alarm_transitions_total,
  // vigil_alarm_actions_total{result}, vigil_alarm_round_seconds (the last evaluation round),
  // vigil_alarms (alarms defined).
  Registry* metrics = nullptr;
  // How an alarm is named to the outside — in composite alarms' reasons, in notifications and
  // in Describe results (`arn`). The server gives CloudWatch's ARN (api::CloudWatchAlarmArn):
  // the engine knows no AWS format. Empty: the alarm's name.
  std::function<std::string(const std::string& alarm_name)> alarm_id;
  // How long after a period closes it is evaluated: samples stamped in the period may still
  // be on their way.
  int64_t grace_ms = 200;
  int action_attempts = 5;
  int64_t action_backoff_ms = 1000;  // doubling after each failed attempt
  int64_t history_retention_ms = 30LL * 24 * 3600 * 1000;
  bool background = true;  // evaluator and action threads; tests drive EvaluateDue/RunActions
};

struct AlarmFilter {
  std::vector<std::string> names;  // empty: any
  std::string name_prefix;
  std::string action_prefix;
  std::optional<StateValue> state;
  bool metric_alarms = true;
  bool composite_alarms = false;
  // The alarms the rule of this composite alarm names (of either kind), or the composite
  // alarms whose rules name this alarm; the kinds above do not apply then.
  std::string children_of, parents_of;
};

struct MetricFilter {  // DescribeAlarmsForMetric
  std::string namespace_name, metric_name;
  Dimensions dimensions;  // empty: any
  std::string stat;       // empty: any
  int64_t period_s = 0;   // 0: any
  std::string unit;       // empty: any
};

struct HistoryQuery {
  std::string alarm_name;  // empty: every alarm
  std::optional<HistoryType> type;
  int64_t start_ms = 0;
  int64_t end_ms = INT64_MAX;
  bool newest_first = true;
  bool metric_alarms = true, composite_alarms = true;
};

class Engine {
 public:
  // Loads every alarm and its state from the store and starts evaluating.
  static StatusOr<std::unique_ptr<Engine>> Open(const Options& options);
  virtual ~Engine() = default;

  // Creates or replaces (keeping the state) an alarm. InvalidArgument for CloudWatch's
  // validation failures, with its wording.
  virtual Status PutMetricAlarm(const MetricAlarm& alarm) = 0;
  // Also InvalidArgument when the rule names an alarm that does not exist or would make a
  // cycle.
  virtual Status PutCompositeAlarm(const CompositeAlarm& alarm) = 0;
  // NotFound naming the first missing alarm (nothing is deleted then).
  virtual Status DeleteAlarms(const std::vector<std::string>& names) = 0;
  // Sets the state until the next evaluation, running the new state's actions. NotFound,
  // InvalidArgument for bad reason data.
  virtual Status SetAlarmState(const std::string& name, StateValue value, const std::string& reason,
                               const std::string& reason_data) = 0;
  virtual Status SetActionsEnabled(const std::vector<std::string>& names, bool enabled) = 0;
  // Vigil: silences the alarm's ALARM actions until it is OK again. NotFound; FailedPrecondition
  // when it is not in ALARM.
  virtual Status Acknowledge(const std::string& name) = 0;

  virtual std::vector<MetricAlarmInfo> DescribeMetricAlarms(const AlarmFilter& filter) const = 0;
  virtual std::vector<CompositeAlarmInfo> DescribeCompositeAlarms(
      const AlarmFilter& filter) const = 0;
  virtual std::vector<MetricAlarmInfo> DescribeAlarmsForMetric(const MetricFilter& f) const = 0;
  virtual StatusOr<std::vector<HistoryItem>> History(const HistoryQuery& query) const = 0;

  // Evaluates every metric alarm whose period closed (background: called by the evaluator).
  virtual void EvaluateDue() = 0;
  // Runs the queued action attempts that are due (background: called by the action thread).
  virtual void RunActions() = 0;
  // Stops the threads; queued action retries are dropped (their attempts are in history).
  virtual void Stop() = 0;
};

}  // namespace vigil::alarms
