#include "alarms/engine.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <set>

#include "alarms/codec.h"
#include "alarms/evaluate.h"
#include "common/logging.h"
#include "common/thread_name.h"

namespace vigil::alarms {
namespace {

constexpr size_t kMaxActionsPerState = 5;
constexpr size_t kMaxMetricQueries = 10;
constexpr int64_t kWeekS = 7 * 24 * 3600;
constexpr int64_t kDayS = 24 * 3600;

bool ValidPeriod(int64_t p) {
  return p == 1 || p == 5 || p == 10 || p == 20 || p == 30 || (p > 0 && p % 60 == 0);
}

bool ValidStat(const std::string& s) {
  static const std::set<std::string> kPlain = {"SampleCount", "Average", "Sum", "Minimum",
                                               "Maximum"};
  if (kPlain.count(s) > 0) return true;
  if (s.size() < 2 || s[0] != 'p') return false;
  char* end = nullptr;
  const double q = std::strtod(s.c_str() + 1, &end);
  return end == s.c_str() + s.size() && q >= 0 && q <= 100;
}

Status ValidateStat(const MetricStat& m, const std::string& where) {
  if (m.namespace_name.empty()) return InvalidArgumentError(where + "Namespace is required");
  if (m.metric_name.empty()) return InvalidArgumentError(where + "MetricName is required");
  if (!ValidPeriod(m.period_s)) {
    return InvalidArgumentError(where +
                                "Period must be 1, 5, 10, 20, 30 or a multiple of 60 "
                                "seconds, got " +
                                std::to_string(m.period_s));
  }
  if (!ValidStat(m.stat)) {
    return InvalidArgumentError(where +
                                "Stat must be SampleCount, Average, Sum, Minimum, "
                                "Maximum or a percentile such as p99, got '" +
                                m.stat + "'");
  }
  if (m.dimensions.size() > 30) return InvalidArgumentError(where + "at most 30 dimensions");
  return OkStatus();
}

Status ValidateActions(const Actions& a, const ActionRunner& runner) {
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"OKActions", &a.ok},
      {"AlarmActions", &a.alarm},
      {"InsufficientDataActions", &a.insufficient_data}};
  for (const auto& [name, list] : lists) {
    if (list->size() > kMaxActionsPerState) {
      return InvalidArgumentError(std::string(name) + " may hold at most " +
                                  std::to_string(kMaxActionsPerState) + " actions");
    }
    for (const std::string& action : *list) RETURN_IF_ERROR(runner.Validate(action));
  }
  return OkStatus();
}

Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 255) {
    return InvalidArgumentError("AlarmName must be 1 to 255 characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c > 0x7e) return InvalidArgumentError("AlarmName must be printable ASCII");
  }
  return OkStatus();
}

Status ValidateMetricAlarm(const MetricAlarm& a, const ActionRunner& runner) {
  RETURN_IF_ERROR(ValidateName(a.name));
  if (a.description.size() > 1024) {
    return InvalidArgumentError("AlarmDescription must be at most 1024 characters");
  }
  if (a.metric.has_value() == !a.metrics.empty()) {
    return InvalidArgumentError(
        "an alarm needs either MetricName, Namespace, Statistic and Period, or Metrics, "
        "not both");
  }
  if (a.metric) RETURN_IF_ERROR(ValidateStat(*a.metric, ""));
  if (!a.metrics.empty()) {
    if (a.metrics.size() > kMaxMetricQueries) {
      return InvalidArgumentError("Metrics may hold at most " + std::to_string(kMaxMetricQueries) +
                                  " entries");
    }
    int returning = 0;
    std::set<std::string> ids;
    for (const MetricQuery& q : a.metrics) {
      const std::string where = "Metrics[" + q.id + "]: ";
      if (q.id.empty()) return InvalidArgumentError("every entry of Metrics needs an Id");
      if (!ids.insert(q.id).second) return InvalidArgumentError(where + "duplicate Id");
      if (q.metric.has_value() == !q.expression.empty()) {
        return InvalidArgumentError(where + "needs either MetricStat or Expression");
      }
      if (q.metric) RETURN_IF_ERROR(ValidateStat(*q.metric, where));
      if (q.period_s != 0 && !ValidPeriod(q.period_s)) {
        return InvalidArgumentError(where + "Period must be 1, 5, 10, 20, 30 or a multiple of 60");
      }
      returning += q.return_data;
    }
    if (returning != 1) {
      return InvalidArgumentError("exactly one entry of Metrics must have ReturnData true, got " +
                                  std::to_string(returning));
    }
  }
  if (a.evaluation_periods < 1) return InvalidArgumentError("EvaluationPeriods must be at least 1");
  if (a.datapoints_to_alarm < 0 || a.datapoints_to_alarm > a.evaluation_periods) {
    return InvalidArgumentError("DatapointsToAlarm must be between 1 and EvaluationPeriods (" +
                                std::to_string(a.evaluation_periods) + ")");
  }
  const int64_t span = a.period_s() * a.evaluation_periods;
  if (span > kWeekS) {
    return InvalidArgumentError("Period * EvaluationPeriods must not exceed 7 days (604800 s)");
  }
  if (a.period_s() < 3600 && span > kDayS) {
    return InvalidArgumentError(
        "Period * EvaluationPeriods must not exceed one day (86400 s) for periods under an hour");
  }
  if (!std::isfinite(a.threshold)) return InvalidArgumentError("Threshold must be a number");
  if (!a.evaluate_low_sample_count_percentile.empty() &&
      a.evaluate_low_sample_count_percentile != "evaluate" &&
      a.evaluate_low_sample_count_percentile != "ignore") {
    return InvalidArgumentError("EvaluateLowSampleCountPercentile must be evaluate or ignore");
  }
  return ValidateActions(a.actions, runner);
}

// The shortest form that reads back the same, as CloudWatch prints numbers (5.0, 0.25).
std::string Num(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, end);
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

// "26/11/26 10:00:00", as CloudWatch's reasons show datapoint times.
std::string ReasonTime(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%d/%m/%y %H:%M:%S", &tm);
  return buf;
}

// "2026-11-26T10:00:00.000+0000", as CloudWatch's reason data and history show times.
std::string IsoTime(int64_t ms) { return FormatUtcMillis(ms, "+0000"); }

std::string_view Phrase(Comparison c) {
  switch (c) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return "greater than or equal to";
    case Comparison::kGreaterThanThreshold:
      return "greater than";
    case Comparison::kLessThanThreshold:
      return "less than";
    case Comparison::kLessThanOrEqualToThreshold:
      return "less than or equal to";
  }
  return "";
}

std::string Plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// The reason and reason data of an evaluation, in CloudWatch's words.
std::pair<std::string, std::string> Explain(const MetricAlarm& a, StateValue value,
                                            int64_t start_ms, int64_t query_ms,
                                            const std::vector<std::optional<double>>& values) {
  const int64_t p = a.period_s() * 1000;
  const int n = a.evaluation_periods;
  std::vector<std::pair<int64_t, double>> recent;  // newest first, the real ones evaluated
  for (size_t i = values.size(); i-- > 0 && static_cast<int>(recent.size()) < n;) {
    if (values[i]) recent.emplace_back(start_ms + static_cast<int64_t>(i) * p, *values[i]);
  }
  Json data = {{"version", "1.0"},
               {"queryDate", IsoTime(query_ms)},
               {"startDate", IsoTime(start_ms)},
               {"period", a.period_s()},
               {"threshold", a.threshold}};
  if (a.metric) data["statistic"] = a.metric->stat;
  Json recent_values = Json::array(), evaluated = Json::array();
  for (const auto& [ts, v] : recent) {
    recent_values.push_back(v);
    evaluated.push_back({{"timestamp", IsoTime(ts)}, {"value", v}});
  }
  data["recentDatapoints"] = std::move(recent_values);
  data["evaluatedDatapoints"] = std::move(evaluated);
  if (value == StateValue::kInsufficientData) {
    return {
        "Insufficient Data: " + Plural(n, "datapoint") + (n == 1 ? " was" : " were") + " unknown.",
        data.dump()};
  }
  const int missing = n - static_cast<int>(recent.size());
  std::string points;
  for (const auto& [ts, v] : recent) {
    if (!points.empty()) points += ", ";
    points += Num(v) + " (" + ReasonTime(ts) + ")";
  }
  std::string reason = "Threshold Crossed: ";
  if (recent.empty()) {
    reason +=
        "no datapoints were received for " + Plural(n, "period") + " and " +
        Plural(missing, "missing datapoint") + (missing == 1 ? " was" : " were") + " treated as [" +
        (a.treat_missing_data == MissingData::kBreaching ? "Breaching" : "NonBreaching") + "].";
    return {reason, data.dump()};
  }
  const bool alarm = value == StateValue::kAlarm;
  if (n == 1) {
    reason += "1 datapoint [" + points + "] was " + (alarm ? "" : "not ") +
              std::string(Phrase(a.comparison)) + " the threshold (" + Num(a.threshold) + ").";
  } else if (alarm) {
    int breaching = 0;
    for (const auto& [ts, v] : recent) breaching += Breaches(v, a.comparison, a.threshold);
    reason += std::to_string(breaching) + " out of the last " + std::to_string(n) +
              " datapoints [" + points + "] were " + std::string(Phrase(a.comparison)) +
              " the threshold (" + Num(a.threshold) + ") (minimum " + Plural(a.m(), "datapoint") +
              " for OK -> ALARM transition).";
  } else {
    reason += Plural(static_cast<int>(recent.size()), "datapoint") + " [" + points + "] " +
              (recent.size() == 1 ? "was" : "were") + " not " + std::string(Phrase(a.comparison)) +
              " the threshold (" + Num(a.threshold) + ") (minimum " +
              Plural(n - a.m() + 1, "datapoint") + " for ALARM -> OK transition).";
  }
  if (missing > 0 && a.treat_missing_data != MissingData::kMissing &&
      a.treat_missing_data != MissingData::kIgnore) {
    reason += " " + Plural(missing, "missing datapoint") + (missing == 1 ? " was" : " were") +
              " treated as [" +
              (a.treat_missing_data == MissingData::kBreaching ? "Breaching" : "NonBreaching") +
              "].";
  }
  return {reason, data.dump()};
}

// Keys that sort by time: a 16-digit millisecond count, then a sequence number for keys made
// in the same millisecond.
constexpr size_t kSortKeyBytes = 16 + 1 + 10;
std::string SortKey(int64_t ts, uint64_t seq) {
  char t[24], n[24];
  std::snprintf(t, sizeof(t), "%016lld", static_cast<long long>(ts));
  std::snprintf(n, sizeof(n), "%010llu", static_cast<unsigned long long>(seq));
  return std::string(t) + '\0' + n;
}

Json QueuedJson(const QueuedAction& q) {
  return {
      {"alarm", q.alarm},           {"action", q.action},   {"old", StateValueName(q.old_state)},
      {"new", ToJson(q.new_state)}, {"attempt", q.attempt}, {"due_ms", q.due_ms}};
}

}  // namespace

EngineImpl::EngineImpl(const Options& options) : opt_(options) {
  Registry* r = options.metrics;
  if (r == nullptr) return;
  evaluations_ = r->NewCounter("vigil_alarm_evaluations_total", "Metric alarm evaluations");
  transitions_ = r->NewCounter("vigil_alarm_transitions_total", "Alarm state changes");
  actions_ok_ = r->NewCounter("vigil_alarm_actions_total", "Alarm action attempts by result",
                              {{"result", "ok"}});
  actions_failed_ = r->NewCounter("vigil_alarm_actions_total", "Alarm action attempts by result",
                                  {{"result", "failed"}});
  round_seconds_ = r->NewGauge("vigil_alarm_round_seconds",
                               "Wall time of the last round of due metric-alarm evaluations");
  r->NewCallbackGauge("vigil_alarms", "Alarms defined", [this] {
    std::lock_guard l(mu_);
    return static_cast<double>(alarms_.size());
  });
}

StatusOr<std::unique_ptr<Engine>> Engine::Open(const Options& options) {
  if (options.store == nullptr || options.reader == nullptr || options.actions == nullptr ||
      options.clock == nullptr || options.logger == nullptr) {
    return InvalidArgumentError("alarms: store, reader, actions, clock and logger are required");
  }
  auto engine = std::make_unique<EngineImpl>(options);
  RETURN_IF_ERROR(engine->Load());
  if (options.background) engine->StartThreads();
  return std::unique_ptr<Engine>(std::move(engine));
}

Status EngineImpl::Load() {
  ASSIGN_OR_RETURN(std::vector<state::Record> records, opt_.store->Scan(kAlarmsTable, ""));
  const int64_t now = opt_.clock->NowMillis();
  for (const state::Record& r : records) {
    Json j = Json::parse(r.value, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return DataLossError("stored alarm '" + r.key + "' is not JSON");
    }
    Entry e;
    e.composite = j.value("kind", "") == "composite";
    if (e.composite) {
      RETURN_IF_ERROR(FromJson(j["alarm"], &e.comp));
      StatusOr<Rule> rule = ParseRule(e.comp.rule);
      if (!rule.ok())
        return DataLossError("stored composite alarm '" + r.key + "': " + rule.status().message());
      e.rule = std::move(*rule);
    } else {
      RETURN_IF_ERROR(FromJson(j["alarm"], &e.metric));
      e.next_eval_ms = NextEvaluation(e.metric, now);
    }
    RETURN_IF_ERROR(FromJson(j["state"], &e.state));
    alarms_[r.key] = std::move(e);
  }
  ASSIGN_OR_RETURN(std::vector<state::Record> queued, opt_.store->Scan(kActionsTable, ""));
  for (const state::Record& r : queued) {
    Json j = Json::parse(r.value, nullptr, false);
    QueuedAction q;
    q.key = r.key;
    try {
      q.alarm = j.at("alarm").get<std::string>();
      q.action = j.at("action").get<std::string>();
      q.old_state = ParseStateValue(j.at("old").get<std::string>()).value_or(q.old_state);
      RETURN_IF_ERROR(FromJson(j.at("new"), &q.new_state));
      q.attempt = j.at("attempt").get<int>();
      q.due_ms = j.at("due_ms").get<int64_t>();
    } catch (const Json::exception& e) {
      return DataLossError("stored alarm action '" + r.key + "' does not decode: " + e.what());
    }
    queue_.push_back(std::move(q));
  }
  return OkStatus();
}

void EngineImpl::StartThreads() {
  evaluator_ = std::thread([this] {
    SetThreadName("vigil-alarms");
    EvaluatorLoop();
  });
  action_thread_ = std::thread([this] {
    SetThreadName("vigil-actions");
    ActionLoop();
  });
}

void EngineImpl::Stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  eval_cv_.notify_all();
  {
    std::lock_guard l(actions_mu_);
    actions_stopping_ = true;
  }
  actions_cv_.notify_all();
  if (evaluator_.joinable()) evaluator_.join();
  if (action_thread_.joinable()) action_thread_.join();
}

std::string EngineImpl::Arn(const Entry& e) const {
  return opt_.alarm_id ? opt_.alarm_id(e.name()) : e.name();
}

int64_t EngineImpl::NextEvaluation(const MetricAlarm& a, int64_t now_ms) const {
  const int64_t p = a.period_s() * 1000;
  const int64_t closed = (now_ms - opt_.grace_ms) / p * p;  // end of the last closed period
  return closed + p + opt_.grace_ms;
}

std::string EngineImpl::NextHistoryKey(const std::string& alarm, int64_t ts) {
  return alarm + '\0' + SortKey(ts, ++seq_);
}

void EngineImpl::Record(const Entry& e, state::Batch* batch) const {
  Json j = {{"kind", e.composite ? "composite" : "metric"},
            {"alarm", e.composite ? ToJson(e.comp) : ToJson(e.metric)},
            {"state", ToJson(e.state)}};
  batch->Put(kAlarmsTable, e.name(), j.dump());
}

void EngineImpl::AddHistory(const std::string& alarm, bool composite, HistoryType type, int64_t ts,
                            const std::string& summary, const std::string& data,
                            state::Batch* batch) {
  HistoryItem h{alarm, composite, type, ts, summary, data};
  batch->Put(kHistoryTable, NextHistoryKey(alarm, ts), ToJson(h).dump());
}

Status EngineImpl::PutMetricAlarm(const MetricAlarm& alarm) {
  RETURN_IF_ERROR(ValidateMetricAlarm(alarm, *opt_.actions));
  std::lock_guard l(mu_);
  const int64_t now = opt_.clock->NowMillis();
  auto it = alarms_.find(alarm.name);
  if (it != alarms_.end() && it->second.composite) {
    return InvalidArgumentError("alarm '" + alarm.name + "' exists as a composite alarm");
  }
  Entry e;
  const bool created = it == alarms_.end();
  if (!created) e.state = it->second.state;
  if (created) e.state.updated_ms = now;
  e.state.config_updated_ms = now;
  e.metric = alarm;
  e.next_eval_ms = 0;  // evaluated at once, then as its periods close
  state::Batch batch;
  Record(e, &batch);
  Json data = {{"version", "1.0"},
               {"type", created ? "Create" : "Update"},
               {created ? "createdAlarm" : "updatedAlarm", ToJson(alarm)}};
  AddHistory(alarm.name, false, HistoryType::kConfigurationUpdate, now,
             "Alarm \"" + alarm.name + "\" " + (created ? "created" : "updated"), data.dump(),
             &batch);
  RETURN_IF_ERROR(opt_.store->Apply(batch));
  alarms_[alarm.name] = std::move(e);
  eval_cv_.notify_all();
  return OkStatus();
}

bool EngineImpl::WouldCycle(const std::string& composite, const Rule& rule) const {
  std::vector<std::string> todo = RuleAlarms(rule);
  std::set<std::string> seen;
  while (!todo.empty()) {
    const std::string name = todo.back();
    todo.pop_back();
    if (name == composite) return true;
    if (!seen.insert(name).second) continue;
    auto it = alarms_.find(name);
    if (it == alarms_.end() || !it->second.composite) continue;
    for (std::string& n : RuleAlarms(it->second.rule)) todo.push_back(std::move(n));
  }
  return false;
}

Status EngineImpl::PutCompositeAlarm(const CompositeAlarm& alarm) {
  RETURN_IF_ERROR(ValidateName(alarm.name));
  ASSIGN_OR_RETURN(Rule rule, ParseRule(alarm.rule));
  RETURN_IF_ERROR(ValidateActions(alarm.actions, *opt_.actions));
  const std::vector<std::string> named = RuleAlarms(rule);
  if (named.size() > 100) return InvalidArgumentError("AlarmRule may name at most 100 alarms");
  std::lock_guard l(mu_);
  auto it = alarms_.find(alarm.name);
  if (it != alarms_.end() && !it->second.composite) {
    return InvalidArgumentError("alarm '" + alarm.name + "' exists as a metric alarm");
  }
  std::string missing;
  for (const std::string& n : named) {
    if (alarms_.count(n) == 0) missing += (missing.empty() ? "" : ", ") + n;
  }
  if (!missing.empty()) {
    return InvalidArgumentError("Could not save the composite alarm as alarms [" + missing +
                                "] in the alarm rule do not exist");
  }
  if (WouldCycle(alarm.name, rule)) {
    return InvalidArgumentError("AlarmRule of '" + alarm.name +
                                "' would make a cycle of composite alarms");
  }
  const int64_t now = opt_.clock->NowMillis();
  Entry e;
  const bool created = it == alarms_.end();
  if (!created) e.state = it->second.state;
  if (created) e.state.updated_ms = now;
  e.state.config_updated_ms = now;
  e.composite = true;
  e.comp = alarm;
  e.rule = std::move(rule);
  state::Batch batch;
  Record(e, &batch);
  Json data = {{"version", "1.0"},
               {"type", created ? "Create" : "Update"},
               {created ? "createdAlarm" : "updatedAlarm", ToJson(alarm)}};
  AddHistory(alarm.name, true, HistoryType::kConfigurationUpdate, now,
             "Alarm \"" + alarm.name + "\" " + (created ? "created" : "updated"), data.dump(),
             &batch);
  RETURN_IF_ERROR(opt_.store->Apply(batch));
  Entry& stored = alarms_[alarm.name] = std::move(e);
  const bool truth = EvaluateRule(stored.rule, [&](const std::string& n) {
    auto c = alarms_.find(n);
    return c == alarms_.end() ? StateValue::kInsufficientData : c->second.state.value;
  });
  const StateValue value = truth ? StateValue::kAlarm : StateValue::kOk;
  if (value != stored.state.value) {
    RETURN_IF_ERROR(Transition(stored, value,
                               std::string("Composite alarm rule evaluated to ") +
                                   (truth ? "TRUE" : "FALSE") + " when the alarm was " +
                                   (created ? "created" : "updated"),
                               "", false));
  }
  return OkStatus();
}

Status EngineImpl::DeleteAlarms(const std::vector<std::string>& names) {
  std::lock_guard l(mu_);
  const std::set<std::string> doomed(names.begin(), names.end());
  for (const std::string& n : names) {
    if (alarms_.count(n) == 0) return NotFoundError("alarm '" + n + "' does not exist");
  }
  for (const auto& [name, e] : alarms_) {
    if (!e.composite || doomed.count(name) > 0) continue;
    for (const std::string& child : RuleAlarms(e.rule)) {
      if (doomed.count(child) > 0) {
        return InvalidArgumentError("alarm '" + child + "' is in the rule of composite alarm '" +
                                    name + "'; delete or change that first");
      }
    }
  }
  const int64_t now = opt_.clock->NowMillis();
  state::Batch batch;
  for (const std::string& n : doomed) {
    batch.Delete(kAlarmsTable, n);
    AddHistory(n, alarms_[n].composite, HistoryType::kConfigurationUpdate, now,
               "Alarm \"" + n + "\" deleted", Json({{"version", "1.0"}, {"type", "Delete"}}).dump(),
               &batch);
  }
  RETURN_IF_ERROR(opt_.store->Apply(batch));
  for (const std::string& n : doomed) alarms_.erase(n);
  return OkStatus();
}

Status EngineImpl::SetAlarmState(const std::string& name, StateValue value,
                                 const std::string& reason, const std::string& reason_data) {
  if (!reason_data.empty() && Json::parse(reason_data, nullptr, false).is_discarded()) {
    return InvalidArgumentError("StateReasonData is not valid JSON");
  }
  if (reason.size() > 1023)
    return InvalidArgumentError("StateReason must be at most 1023 characters");
  std::lock_guard l(mu_);
  auto it = alarms_.find(name);
  if (it == alarms_.end()) return NotFoundError("alarm '" + name + "' does not exist");
  return Transition(it->second, value, reason, reason_data, /*force=*/false);
}

Status EngineImpl::SetActionsEnabled(const std::vector<std::string>& names, bool enabled) {
  std::lock_guard l(mu_);
  for (const std::string& n : names) {
    if (alarms_.count(n) == 0) return NotFoundError("alarm '" + n + "' does not exist");
  }
  const int64_t now = opt_.clock->NowMillis();
  state::Batch batch;
  std::vector<Entry> changed;
  for (const std::string& n : names) {
    Entry e = alarms_[n];
    (e.composite ? e.comp.actions : e.metric.actions).enabled = enabled;
    e.state.config_updated_ms = now;
    Record(e, &batch);
    AddHistory(n, e.composite, HistoryType::kConfigurationUpdate, now,
               "Alarm \"" + n + "\" actions " + (enabled ? "enabled" : "disabled"),
               Json({{"version", "1.0"}, {"type", "Update"}}).dump(), &batch);
    changed.push_back(std::move(e));
  }
  RETURN_IF_ERROR(opt_.store->Apply(batch));
  for (Entry& e : changed) alarms_[e.name()] = std::move(e);
  return OkStatus();
}

Status EngineImpl::Acknowledge(const std::string& name) {
  std::lock_guard l(mu_);
  auto it = alarms_.find(name);
  if (it == alarms_.end()) return NotFoundError("alarm '" + name + "' does not exist");
  Entry e = it->second;
  if (e.state.value != StateValue::kAlarm) {
    return FailedPreconditionError("alarm '" + name + "' is " +
                                   std::string(StateValueName(e.state.value)) +
                                   ", not ALARM: there is nothing to acknowledge");
  }
  if (e.state.acknowledged) return OkStatus();
  e.state.acknowledged = true;
  const int64_t now = opt_.clock->NowMillis();
  state::Batch batch;
  Record(e, &batch);
  AddHistory(name, e.composite, HistoryType::kConfigurationUpdate, now,
             "Alarm \"" + name + "\" acknowledged: its ALARM actions are silenced until it is OK",
             Json({{"version", "1.0"}, {"type", "Acknowledge"}}).dump(), &batch);
  RETURN_IF_ERROR(opt_.store->Apply(batch));
  it->second = std::move(e);
  return OkStatus();
}

AlarmState EngineImpl::PrepareTransition(const Entry& e, StateValue value,
                                         const std::string& reason, const std::string& reason_data,
                                         state::Batch* batch, std::vector<QueuedAction>* queued) {
  const StateValue old = e.state.value;
  const int64_t now = opt_.clock->NowMillis();
  AlarmState next = e.state;
  next.value = value;
  next.reason = reason;
  next.reason_data = reason_data;
  next.updated_ms = now;
  if (value == StateValue::kOk) next.acknowledged = false;

  Entry updated = e;
  updated.state = next;
  Record(updated, batch);
  Json new_state = {{"stateValue", StateValueName(value)}, {"stateReason", reason}};
  if (!reason_data.empty()) {
    Json parsed = Json::parse(reason_data, nullptr, false);
    if (!parsed.is_discarded()) new_state["stateReasonData"] = std::move(parsed);
  }
  Json data = {{"version", "1.0"},
               {"oldState", {{"stateValue", StateValueName(old)}, {"stateReason", e.state.reason}}},
               {"newState", std::move(new_state)}};
  AddHistory(e.name(), e.composite, HistoryType::kStateUpdate, now,
             "Alarm updated from " + std::string(StateValueName(old)) + " to " +
                 std::string(StateValueName(value)),
             data.dump(), batch);
  const Actions& actions = e.actions();
  const bool silenced = next.acknowledged && value == StateValue::kAlarm;
  if (actions.enabled && !silenced) {
    for (const std::string& action : actions.For(value)) {
      QueuedAction q;
      q.key = SortKey(now, ++seq_);
      q.alarm = e.name();
      q.action = action;
      q.old_state = old;
      q.new_state = next;
      q.due_ms = now;
      batch->Put(kActionsTable, q.key, QueuedJson(q).dump());
      queued->push_back(std::move(q));
    }
  }
  return next;
}

void EngineImpl::Enqueue(std::vector<QueuedAction> queued) {
  if (queued.empty()) return;
  {
    std::lock_guard l(actions_mu_);
    for (QueuedAction& q : queued) queue_.push_back(std::move(q));
  }
  actions_cv_.notify_all();
}

Status EngineImpl::Transition(Entry& e, StateValue value, const std::string& reason,
                              const std::string& reason_data, bool force) {
  if (e.state.value == value && !force) return OkStatus();
  state::Batch batch;
  std::vector<QueuedAction> queued;
  AlarmState next = PrepareTransition(e, value, reason, reason_data, &batch, &queued);
  RETURN_IF_ERROR(opt_.store->Apply(batch));
  e.state = std::move(next);
  transitions_->Add();
  Enqueue(std::move(queued));
  EvaluateComposites(e.name(), 0);
  return OkStatus();
}

void EngineImpl::EvaluateComposites(const std::string& changed, int depth) {
  if (depth > 100) return;
  const auto state_of = [&](const std::string& n) {
    auto c = alarms_.find(n);
    return c == alarms_.end() ? StateValue::kInsufficientData : c->second.state.value;
  };
  for (auto& [name, e] : alarms_) {
    if (!e.composite) continue;
    const std::vector<std::string> named = RuleAlarms(e.rule);
    if (std::find(named.begin(), named.end(), changed) == named.end()) continue;
    const bool truth = EvaluateRule(e.rule, state_of);
    const StateValue value = truth ? StateValue::kAlarm : StateValue::kOk;
    if (value == e.state.value) continue;
    const Entry& child = alarms_.at(changed);
    Json data = {{"triggeringAlarms",
                  {{{"arn", Arn(child)},
                    {"state",
                     {{"value", StateValueName(child.state.value)},
                      {"timestamp", IsoTime(child.state.updated_ms)}}}}}}};
    const Status st = Transition(e, value,
                                 Arn(child) + " transitioned to " +
                                     std::string(StateValueName(child.state.value)) + " at " +
                                     IsoTime(child.state.updated_ms),
                                 data.dump(), false);
    if (!st.ok()) opt_.logger->Warning("alarms", "composite alarm '" + name + "': " + st.message());
  }
}

std::optional<Decision> EngineImpl::EvaluateMetricAlarm(const std::string& name) {
  MetricAlarm alarm;
  {
    std::lock_guard l(mu_);
    auto it = alarms_.find(name);
    if (it == alarms_.end() || it->second.composite) return std::nullopt;
    alarm = it->second.metric;
  }
  const int64_t now = opt_.clock->NowMillis();
  const int64_t p = alarm.period_s() * 1000;
  const int count = EvaluationRange(alarm.evaluation_periods);
  const int64_t end = (now - opt_.grace_ms) / p * p;
  const int64_t start = end - count * p;
  StatusOr<std::vector<std::optional<double>>> values = opt_.reader->Read(alarm, start, count);

  std::lock_guard l(mu_);
  auto it = alarms_.find(name);
  if (it == alarms_.end() || it->second.composite || !(it->second.metric == alarm)) {
    return std::nullopt;
  }
  Entry& e = it->second;
  e.next_eval_ms = NextEvaluation(alarm, now);
  if (!values.ok()) {
    opt_.logger->Warning("alarms",
                         "alarm '" + name + "': reading its metric: " + values.status().message());
    return std::nullopt;
  }
  std::vector<Point> points;
  for (const std::optional<double>& v : *values) {
    points.push_back(!v                                                ? Point::kMissing
                     : Breaches(*v, alarm.comparison, alarm.threshold) ? Point::kBreaching
                                                                       : Point::kNotBreaching);
  }
  const std::optional<StateValue> decided =
      Decide(points, alarm.evaluation_periods, alarm.m(), alarm.treat_missing_data);
  if (!decided || *decided == e.state.value) return std::nullopt;
  auto [reason, data] = Explain(alarm, *decided, start, now, *values);
  return Decision{name, std::move(alarm), *decided, std::move(reason), std::move(data)};
}

void EngineImpl::EvaluateDue() {
  std::vector<std::string> due;
  {
    std::lock_guard l(mu_);
    const int64_t now = opt_.clock->NowMillis();
    for (const auto& [name, e] : alarms_) {
      if (!e.composite && e.next_eval_ms <= now) due.push_back(name);
    }
  }
  if (due.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  std::vector<Decision> decisions;
  for (const std::string& name : due) {
    if (std::optional<Decision> d = EvaluateMetricAlarm(name)) decisions.push_back(std::move(*d));
  }
  evaluations_->Add(due.size());
  if (!decisions.empty()) ApplyDecisions(decisions);
  round_seconds_->Set(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void EngineImpl::ApplyDecisions(const std::vector<Decision>& decisions) {
  // The round's transitions are made durable together: one commit (one fsync) however many
  // alarms changed state at the same period boundary.
  std::lock_guard l(mu_);
  state::Batch batch;
  std::vector<QueuedAction> queued;
  std::vector<std::pair<Entry*, AlarmState>> changes;
  for (const Decision& d : decisions) {
    auto it = alarms_.find(d.name);
    if (it == alarms_.end() || it->second.composite || !(it->second.metric == d.alarm) ||
        it->second.state.value == d.value) {
      continue;  // changed or deleted meanwhile
    }
    changes.emplace_back(&it->second,
                         PrepareTransition(it->second, d.value, d.reason, d.data, &batch, &queued));
  }
  if (changes.empty()) return;
  if (const Status st = opt_.store->Apply(batch); !st.ok()) {
    opt_.logger->Warning("alarms", "recording " + std::to_string(changes.size()) +
                                       " state changes: " + st.message() +
                                       "; they are retried at the next evaluation");
    return;
  }
  for (auto& [e, next] : changes) {
    e->state = std::move(next);
    transitions_->Add();
  }
  Enqueue(std::move(queued));
  for (auto& [e, next] : changes) EvaluateComposites(e->name(), 0);
}

void EngineImpl::EvaluatorLoop() {
  int64_t next_prune = 0;
  std::unique_lock l(mu_);
  while (!stopping_) {
    const int64_t now = opt_.clock->NowMillis();
    int64_t next = now + 1000;
    for (const auto& [name, e] : alarms_) {
      if (!e.composite) next = std::min(next, e.next_eval_ms);
    }
    if (next > now) {
      eval_cv_.wait_for(l, std::chrono::milliseconds(next - now));
      continue;
    }
    l.unlock();
    EvaluateDue();
    if (now >= next_prune) {
      next_prune = now + 3600 * 1000;
      // History past retention: scanned whole once an hour (history is small next to metrics).
      StatusOr<std::vector<state::Record>> all = opt_.store->Scan(kHistoryTable, "");
      if (all.ok()) {
        state::Batch batch;
        for (const state::Record& r : *all) {
          if (r.key.size() < kSortKeyBytes) continue;
          const int64_t ts =
              std::strtoll(r.key.substr(r.key.size() - kSortKeyBytes, 16).c_str(), nullptr, 10);
          if (ts < now - opt_.history_retention_ms) batch.Delete(kHistoryTable, r.key);
        }
        if (!batch.empty()) (void)opt_.store->Apply(batch);
      }
    }
    l.lock();
  }
}

void EngineImpl::RunActions() {
  const int64_t now = opt_.clock->NowMillis();
  std::vector<QueuedAction> due;
  {
    std::lock_guard l(actions_mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->due_ms <= now) {
        due.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (QueuedAction& q : due) {
    Notification n;
    bool composite = false;
    {
      std::lock_guard l(mu_);
      auto it = alarms_.find(q.alarm);
      if (it == alarms_.end()) {
        (void)opt_.store->Delete(kActionsTable, q.key);  // the alarm is gone
        continue;
      }
      const Entry& e = it->second;
      composite = e.composite;
      n.alarm_name = q.alarm;
      n.description = composite ? e.comp.description : e.metric.description;
      n.composite = composite;
      n.alarm_arn = Arn(e);
      n.old_state = q.old_state;
      n.new_state = q.new_state;
      if (composite) {
        n.composite_alarm = e.comp;
      } else {
        n.metric_alarm = e.metric;
      }
    }
    const Status st = opt_.actions->Run(q.action, n);
    (st.ok() ? actions_ok_ : actions_failed_)->Add();
    const int64_t done = opt_.clock->NowMillis();
    const bool retry = !st.ok() && st.code() != StatusCode::kFailedPrecondition &&
                       q.attempt < opt_.action_attempts;
    std::string summary;
    if (st.ok()) {
      summary = "Successfully executed action " + q.action;
    } else {
      summary = "Failed to execute action " + q.action + " (attempt " + std::to_string(q.attempt) +
                " of " + std::to_string(opt_.action_attempts) + "): " + st.message() +
                (retry ? "; retrying" : "");
    }
    Json data = {{"actionState", st.ok() ? "Succeeded" : "Failed"},
                 {"action", q.action},
                 {"attempt", q.attempt},
                 {"stateUpdateTimestamp", IsoTime(q.new_state.updated_ms)},
                 {"newState", StateValueName(q.new_state.value)}};
    if (!st.ok()) data["error"] = st.message();
    state::Batch batch;
    {
      std::lock_guard l(mu_);
      AddHistory(q.alarm, composite, HistoryType::kAction, done, summary, data.dump(), &batch);
    }
    if (retry) {
      q.due_ms = done + opt_.action_backoff_ms * (int64_t{1} << std::min(q.attempt - 1, 20));
      ++q.attempt;
      batch.Put(kActionsTable, q.key, QueuedJson(q).dump());
    } else {
      batch.Delete(kActionsTable, q.key);
    }
    const Status written = opt_.store->Apply(batch);
    if (!written.ok()) opt_.logger->Warning("alarms", "recording an action: " + written.message());
    if (!st.ok()) {
      opt_.logger->Warning("alarms", "alarm '" + q.alarm + "': " + summary);
    }
    if (retry) {
      std::lock_guard l(actions_mu_);
      queue_.push_back(std::move(q));
    }
  }
}

void EngineImpl::ActionLoop() {
  std::unique_lock l(actions_mu_);
  while (!actions_stopping_) {
    const int64_t now = opt_.clock->NowMillis();
    int64_t next = now + 1000;
    for (const QueuedAction& q : queue_) next = std::min(next, q.due_ms);
    if (next > now) {
      actions_cv_.wait_for(l, std::chrono::milliseconds(next - now));
      continue;
    }
    l.unlock();
    RunActions();
    l.lock();
  }
}

bool EngineImpl::MatchesFilter(const Entry& e, const AlarmFilter& f) const {
  if (!f.children_of.empty()) {
    auto parent = alarms_.find(f.children_of);
    if (parent == alarms_.end() || !parent->second.composite) return false;
    const std::vector<std::string> children = RuleAlarms(parent->second.rule);
    if (std::find(children.begin(), children.end(), e.name()) == children.end()) return false;
  } else if (!f.parents_of.empty()) {
    if (!e.composite) return false;
    const std::vector<std::string> children = RuleAlarms(e.rule);
    if (std::find(children.begin(), children.end(), f.parents_of) == children.end()) return false;
  } else if (e.composite ? !f.composite_alarms : !f.metric_alarms) {
    return false;
  }
  if (!f.names.empty() && std::find(f.names.begin(), f.names.end(), e.name()) == f.names.end()) {
    return false;
  }
  if (!f.name_prefix.empty() && e.name().rfind(f.name_prefix, 0) != 0) return false;
  if (f.state && e.state.value != *f.state) return false;
  if (!f.action_prefix.empty()) {
    const Actions& a = e.actions();
    bool any = false;
    for (const auto* list : {&a.ok, &a.alarm, &a.insufficient_data}) {
      for (const std::string& action : *list) any = any || action.rfind(f.action_prefix, 0) == 0;
    }
    if (!any) return false;
  }
  return true;
}

std::vector<MetricAlarmInfo> EngineImpl::DescribeMetricAlarms(const AlarmFilter& filter) const {
  std::lock_guard l(mu_);
  std::vector<MetricAlarmInfo> out;
  for (const auto& [name, e] : alarms_) {
    if (!e.composite && MatchesFilter(e, filter)) out.push_back({e.metric, e.state, Arn(e)});
  }
  return out;
}

std::vector<CompositeAlarmInfo> EngineImpl::DescribeCompositeAlarms(
    const AlarmFilter& filter) const {
  std::lock_guard l(mu_);
  std::vector<CompositeAlarmInfo> out;
  for (const auto& [name, e] : alarms_) {
    if (e.composite && MatchesFilter(e, filter)) out.push_back({e.comp, e.state, Arn(e)});
  }
  return out;
}

std::vector<MetricAlarmInfo> EngineImpl::DescribeAlarmsForMetric(const MetricFilter& f) const {
  std::lock_guard l(mu_);
  std::vector<MetricAlarmInfo> out;
  Dimensions want = f.dimensions;
  std::sort(want.begin(), want.end());
  for (const auto& [name, e] : alarms_) {
    if (e.composite || !e.metric.metric) continue;
    const MetricStat& m = *e.metric.metric;
    if (m.namespace_name != f.namespace_name || m.metric_name != f.metric_name) continue;
    if (!want.empty()) {
      Dimensions have = m.dimensions;
      std::sort(have.begin(), have.end());
      if (have != want) continue;
    }
    if (!f.stat.empty() && m.stat != f.stat) continue;
    if (f.period_s != 0 && m.period_s != f.period_s) continue;
    if (!f.unit.empty() && m.unit != f.unit) continue;
    out.push_back({e.metric, e.state, Arn(e)});
  }
  return out;
}

StatusOr<std::vector<HistoryItem>> EngineImpl::History(const HistoryQuery& q) const {
  const std::string prefix = q.alarm_name.empty() ? "" : q.alarm_name + std::string(1, '\0');
  ASSIGN_OR_RETURN(std::vector<state::Record> records, opt_.store->Scan(kHistoryTable, prefix));
  std::vector<HistoryItem> out;
  for (const state::Record& r : records) {
    Json j = Json::parse(r.value, nullptr, false);
    if (j.is_discarded()) return DataLossError("stored alarm history item is not JSON");
    HistoryItem h;
    RETURN_IF_ERROR(FromJson(j, &h));
    if (q.type && h.type != *q.type) continue;
    if (h.timestamp_ms < q.start_ms || h.timestamp_ms >= q.end_ms) continue;
    if (h.composite ? !q.composite_alarms : !q.metric_alarms) continue;
    out.push_back(std::move(h));
  }
  std::stable_sort(out.begin(), out.end(), [&](const HistoryItem& a, const HistoryItem& b) {
    return q.newest_first ? a.timestamp_ms > b.timestamp_ms : a.timestamp_ms < b.timestamp_ms;
  });
  return out;
}

}  // namespace vigil::alarms
