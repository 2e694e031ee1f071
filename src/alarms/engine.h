#pragma once
// Private to vigil::alarms: the Engine implementation (see alarms.h).
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "alarms/alarms.h"
#include "alarms/rule.h"

namespace vigil::alarms {

// Tables of the state store.
inline constexpr char kAlarmsTable[] = "alarms";          // name → {kind, alarm, state}
inline constexpr char kHistoryTable[] = "alarm_history";  // name \0 ms \0 seq → item
inline constexpr char kActionsTable[] = "alarm_actions";  // ms \0 seq → queued attempt

struct Entry {
  bool composite = false;
  MetricAlarm metric;
  CompositeAlarm comp;
  Rule rule;  // comp's, parsed
  AlarmState state;
  int64_t next_eval_ms = 0;  // metric alarms: when the next period closes (+ grace)
  const std::string& name() const { return composite ? comp.name : metric.name; }
  const Actions& actions() const { return composite ? comp.actions : metric.actions; }
};

// An evaluation's verdict, applied with the others of its round.
struct Decision {
  std::string name;
  MetricAlarm alarm;  // the definition evaluated (skipped if it changed meanwhile)
  StateValue value;
  std::string reason, data;
};

// An action attempt waiting for its time (persisted, so that a restart runs it).
struct QueuedAction {
  std::string key;  // in kActionsTable
  std::string alarm;
  std::string action;
  StateValue old_state = StateValue::kInsufficientData;
  AlarmState new_state;
  int attempt = 1;
  int64_t due_ms = 0;
};

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const Options& options);
  ~EngineImpl() override { Stop(); }
  Status Load();
  void StartThreads();

  Status PutMetricAlarm(const MetricAlarm& alarm) override;
  Status PutCompositeAlarm(const CompositeAlarm& alarm) override;
  Status DeleteAlarms(const std::vector<std::string>& names) override;
  Status SetAlarmState(const std::string& name, StateValue value, const std::string& reason,
                       const std::string& reason_data) override;
  Status SetActionsEnabled(const std::vector<std::string>& names, bool enabled) override;
  Status Acknowledge(const std::string& name) override;
  std::vector<MetricAlarmInfo> DescribeMetricAlarms(const AlarmFilter& filter) const override;
  std::vector<CompositeAlarmInfo> DescribeCompositeAlarms(const AlarmFilter& filter) const override;
  std::vector<MetricAlarmInfo> DescribeAlarmsForMetric(const MetricFilter& f) const override;
  StatusOr<std::vector<HistoryItem>> History(const HistoryQuery& query) const override;
  void EvaluateDue() override;
  void RunActions() override;
  void Stop() override;

 private:
  std::string Arn(const Entry& e) const;
  int64_t NextEvaluation(const MetricAlarm& a, int64_t now_ms) const;
  // Appends the alarm record and a history item to `batch`.
  void Record(const Entry& e, state::Batch* batch) const;
  void AddHistory(const std::string& alarm, bool composite, HistoryType type, int64_t ts,
                  const std::string& summary, const std::string& data, state::Batch* batch);
  // Moves `e` to `value` (no-op when it is there already and `force` is false): persists the
  // state and a history item, queues the actions, and evaluates the composites naming it.
  // Takes mu_ held.
  Status Transition(Entry& e, StateValue value, const std::string& reason,
                    const std::string& reason_data, bool force);
  // The state `e` moves to, with its record, history item and queued actions added to
  // *batch and *queued. Takes mu_ held; changes nothing in memory.
  AlarmState PrepareTransition(const Entry& e, StateValue value, const std::string& reason,
                               const std::string& reason_data, state::Batch* batch,
                               std::vector<QueuedAction>* queued);
  void Enqueue(std::vector<QueuedAction> queued);
  // Durable in one batch, then in memory, actions queued, composites evaluated.
  void ApplyDecisions(const std::vector<Decision>& decisions);
  void EvaluateComposites(const std::string& changed, int depth);
  // Reads and decides (mu_ not held while reading); a state change to apply, if any.
  std::optional<Decision> EvaluateMetricAlarm(const std::string& name);
  bool MatchesFilter(const Entry& e, const AlarmFilter& f) const;
  bool WouldCycle(const std::string& composite, const Rule& rule) const;
  std::string NextHistoryKey(const std::string& alarm, int64_t ts);

  void EvaluatorLoop();
  void ActionLoop();

  const Options opt_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> alarms_;  // guarded by mu_
  uint64_t seq_ = 0;                     // guarded by mu_: orders keys made in one millisecond
  std::condition_variable eval_cv_;
  bool stopping_ = false;  // guarded by mu_

  std::mutex actions_mu_;
  std::condition_variable actions_cv_;
  std::deque<QueuedAction> queue_;  // guarded by actions_mu_
  bool actions_stopping_ = false;   // guarded by actions_mu_

  std::thread evaluator_, action_thread_;

  // Self-metrics (never null: local ones stand in without a Registry).
  Counter local_counters_[4];
  Gauge local_round_;
  Counter* evaluations_ = &local_counters_[0];
  Counter* transitions_ = &local_counters_[1];
  Counter* actions_ok_ = &local_counters_[2];
  Counter* actions_failed_ = &local_counters_[3];
  Gauge* round_seconds_ = &local_round_;
};

}  // namespace vigil::alarms
