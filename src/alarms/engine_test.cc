#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "alarms/alarms.h"
#include "tests/testutil/manual_clock.h"

namespace vigil::alarms {
namespace {

constexpr int64_t kT0 = 1'800'000'000'000;  // a whole minute

using testutil::ManualClock;

// Datapoints by period start, the same for every alarm.
class FakeReader final : public MetricReader {
 public:
  StatusOr<std::vector<std::optional<double>>> Read(const MetricAlarm& alarm, int64_t start_ms,
                                                    int count) override {
    std::vector<std::optional<double>> out;
    const int64_t p = alarm.period_s() * 1000;
    for (int i = 0; i < count; ++i) {
      auto it = values.find(start_ms + i * p);
      out.push_back(it == values.end() ? std::nullopt : std::optional<double>(it->second));
    }
    return out;
  }
  std::map<int64_t, double> values;
};

class FakeRunner final : public ActionRunner {
 public:
  Status Validate(const std::string& action) const override {
    if (action.rfind("https://", 0) == 0 || action.rfind("vigil:", 0) == 0) return OkStatus();
    return InvalidArgumentError("unsupported action '" + action + "'");
  }
  Status Run(const std::string& action, const Notification& n) override {
    runs.push_back({action, n});
    if (failures > 0) {
      --failures;
      return UnavailableError("connection refused");
    }
    return OkStatus();
  }
  std::vector<std::pair<std::string, Notification>> runs;
  int failures = 0;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/alarms_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    Remove();
    Reopen();
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    Remove();
  }
  void Remove() {
    for (const char* s : {"", "-wal", "-shm"}) ::unlink((path_ + s).c_str());
  }
  void Reopen(Registry* metrics = nullptr) {
    engine_.reset();
    store_.reset();
    auto store = state::OpenSqliteStore(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    Options o;
    o.store = store_.get();
    o.reader = &reader_;
    o.actions = &runner_;
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.alarm_id = [](const std::string& name) {
      return "arn:aws:cloudwatch:us-east-1:000000000000:alarm:" + name;
    };
    o.metrics = metrics;
    o.background = false;
    auto engine = Engine::Open(o);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }
  static MetricAlarm CpuAlarm(int n = 3, int m = 0) {
    MetricAlarm a;
    a.name = "cpu-high";
    a.description = "CPU above 80";
    a.metric = MetricStat{"Vigil/Instances", "CPUUtilization", {{"App", "web"}}, 60, "Average", ""};
    a.evaluation_periods = n;
    a.datapoints_to_alarm = m;
    a.threshold = 80;
    a.comparison = Comparison::kGreaterThanThreshold;
    a.actions.alarm = {"https://hooks.example/alarm"};
    a.actions.ok = {"https://hooks.example/ok"};
    return a;
  }
  // Puts values for the minutes ending before `minute_end` (oldest first) and evaluates just
  // after that minute closes.
  void Feed(const std::vector<double>& values, int64_t minute_end) {
    for (size_t i = 0; i < values.size(); ++i) {
      reader_.values[minute_end - static_cast<int64_t>(values.size() - i) * 60'000] = values[i];
    }
    clock_.Set(minute_end + 500);
    engine_->EvaluateDue();
    engine_->RunActions();
  }
  StateValue StateOf(const std::string& name) {
    AlarmFilter f;
    f.names = {name};
    f.composite_alarms = true;
    auto metric = engine_->DescribeMetricAlarms(f);
    if (!metric.empty()) return metric[0].state.value;
    auto comp = engine_->DescribeCompositeAlarms(f);
    EXPECT_FALSE(comp.empty()) << name;
    return comp.empty() ? StateValue::kInsufficientData : comp[0].state.value;
  }
  std::vector<std::string> Summaries(const std::string& name) {
    HistoryQuery q;
    q.alarm_name = name;
    q.newest_first = false;
    auto items = engine_->History(q);
    EXPECT_TRUE(items.ok());
    std::vector<std::string> out;
    for (const HistoryItem& h : *items) out.push_back(h.summary);
    return out;
  }

  std::string path_;
  ManualClock clock_{kT0};
  FakeReader reader_;
  FakeRunner runner_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, FiresAfterThreeBreachingPeriodsRunsActionsAndReturnsToOk) {
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm()).ok());
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kInsufficientData);
  Feed({90, 95}, kT0 + 120'000);
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kInsufficientData) << "2 of 3, newest: not yet";
  Feed({90, 95, 97}, kT0 + 180'000);
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  Feed({50, 50, 50}, kT0 + 360'000);
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kOk);
  Feed({90, 91, 92}, kT0 + 540'000);
  ASSERT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  auto info = engine_->DescribeMetricAlarms({});
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].arn, "arn:aws:cloudwatch:us-east-1:000000000000:alarm:cpu-high");
  EXPECT_NE(info[0].state.reason.find("Threshold Crossed: 3 out of the last 3 datapoints [92.0 ("),
            std::string::npos)
      << info[0].state.reason;
  EXPECT_NE(info[0].state.reason.find("were greater than the threshold (80.0)"), std::string::npos)
      << info[0].state.reason;
  EXPECT_NE(info[0].state.reason_data.find("\"recentDatapoints\":[92.0,91.0,90.0]"),
            std::string::npos)
      << info[0].state.reason_data;

  ASSERT_EQ(runner_.runs.size(), 3u);
  EXPECT_EQ(runner_.runs[0].first, "https://hooks.example/alarm");
  EXPECT_EQ(runner_.runs[1].first, "https://hooks.example/ok");
  const Notification& n = runner_.runs[2].second;
  EXPECT_EQ(n.alarm_name, "cpu-high");
  EXPECT_EQ(n.old_state, StateValue::kOk);
  EXPECT_EQ(n.new_state.value, StateValue::kAlarm);
  ASSERT_TRUE(n.metric_alarm.has_value());
  EXPECT_EQ(n.metric_alarm->threshold, 80);

  const std::vector<std::string> history = Summaries("cpu-high");
  EXPECT_EQ(history, (std::vector<std::string>{
                         "Alarm \"cpu-high\" created",
                         "Alarm updated from INSUFFICIENT_DATA to ALARM",
                         "Successfully executed action https://hooks.example/alarm",
                         "Alarm updated from ALARM to OK",
                         "Successfully executed action https://hooks.example/ok",
                         "Alarm updated from OK to ALARM",
                         "Successfully executed action https://hooks.example/alarm",
                     }));
}

TEST_F(EngineTest, CountsEvaluationsTransitionsAndActions) {
  Registry metrics;
  Reopen(&metrics);
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm(1)).ok());
  runner_.failures = 1;
  Feed({99}, kT0 + 60'000);
  auto value = [&](const std::string& name, const std::string& label = "") {
    for (const MetricSample& m : metrics.Collect()) {
      if (m.name == name && (label.empty() || (!m.labels.empty() && m.labels[0].second == label))) {
        return m.value;
      }
    }
    return -1.0;
  };
  EXPECT_EQ(value("vigil_alarm_evaluations_total"), 1);
  EXPECT_EQ(value("vigil_alarm_transitions_total"), 1);
  EXPECT_EQ(value("vigil_alarm_actions_total", "failed"), 1);
  EXPECT_EQ(value("vigil_alarm_actions_total", "ok"), 0);
  EXPECT_EQ(value("vigil_alarms"), 1);
  EXPECT_GE(value("vigil_alarm_round_seconds"), 0);
  engine_.reset();  // before the registry it counts into
}

TEST_F(EngineTest, EvaluatesEachPeriodOnceItCloses) {
  MetricAlarm a = CpuAlarm(1);
  a.metric->period_s = 10;
  ASSERT_TRUE(engine_->PutMetricAlarm(a).ok());
  engine_->EvaluateDue();    // at creation
  reader_.values[kT0] = 99;  // the period [kT0, kT0 + 10 s)
  clock_.Set(kT0 + 9'000);
  engine_->EvaluateDue();
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kInsufficientData) << "the period is still open";
  clock_.Set(kT0 + 10'100);
  engine_->EvaluateDue();
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kInsufficientData) << "within the grace period";
  clock_.Set(kT0 + 10'250);
  engine_->EvaluateDue();
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
}

TEST_F(EngineTest, StateHistoryAndQueuedActionsSurviveARestart) {
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm(1)).ok());
  runner_.failures = 1;
  Feed({99}, kT0 + 60'000);
  ASSERT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  ASSERT_EQ(runner_.runs.size(), 1u);  // failed; retried in a second

  Reopen();  // as after kill -9: nothing held only in memory
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  engine_->EvaluateDue();  // the same data: no transition, so no second notification
  clock_.Set(kT0 + 62'000);
  engine_->RunActions();
  ASSERT_EQ(runner_.runs.size(), 2u);
  EXPECT_EQ(runner_.runs[1].second.new_state.value, StateValue::kAlarm);
  const auto history = Summaries("cpu-high");
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[2],
            "Failed to execute action https://hooks.example/alarm (attempt 1 of 5): "
            "connection refused; retrying");
  EXPECT_EQ(history[3], "Successfully executed action https://hooks.example/alarm");
  clock_.Set(kT0 + 200'000);
  engine_->RunActions();
  EXPECT_EQ(runner_.runs.size(), 2u) << "done actions are not run again";
}

TEST_F(EngineTest, RetriesWithExponentialBackoffThenGivesUp) {
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm(1)).ok());
  runner_.failures = 100;
  Feed({99}, kT0 + 60'000);  // attempt 1 at +60.5 s
  const int64_t t = kT0 + 60'500;
  for (int64_t wait : {999, 1, 1999, 1, 3999, 1, 7999, 1}) {
    clock_.Set(clock_.NowMillis() + wait);
    engine_->RunActions();
  }
  EXPECT_EQ(runner_.runs.size(), 5u);  // 1 + retries after 1, 2, 4, 8 s
  EXPECT_EQ(clock_.NowMillis(), t + 15'000);
  clock_.Set(t + 100'000);
  engine_->RunActions();
  EXPECT_EQ(runner_.runs.size(), 5u);
  EXPECT_NE(Summaries("cpu-high").back().find("(attempt 5 of 5): connection refused"),
            std::string::npos);
}

TEST_F(EngineTest, SetAlarmStateRunsActionsUntilTheNextEvaluation) {
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm(1)).ok());
  Feed({10}, kT0 + 60'000);
  ASSERT_EQ(StateOf("cpu-high"), StateValue::kOk);
  ASSERT_TRUE(engine_->SetAlarmState("cpu-high", StateValue::kAlarm, "testing", "{\"a\":1}").ok());
  engine_->RunActions();
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  EXPECT_EQ(runner_.runs.back().first, "https://hooks.example/alarm");
  Feed({10}, kT0 + 120'000);
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kOk);
  EXPECT_EQ(engine_->SetAlarmState("nope", StateValue::kOk, "r", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->SetAlarmState("cpu-high", StateValue::kOk, "r", "{bad").code(),
            StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, AcknowledgedAlarmStaysQuietUntilOk) {
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm(1)).ok());
  EXPECT_EQ(engine_->Acknowledge("cpu-high").code(), StatusCode::kFailedPrecondition);
  Feed({99}, kT0 + 60'000);
  ASSERT_EQ(runner_.runs.size(), 1u);
  ASSERT_TRUE(engine_->Acknowledge("cpu-high").ok());
  reader_.values.clear();  // flapping through INSUFFICIENT_DATA and back to ALARM
  Feed({}, kT0 + 240'000);
  ASSERT_EQ(StateOf("cpu-high"), StateValue::kInsufficientData);
  Feed({99}, kT0 + 300'000);
  ASSERT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  EXPECT_EQ(runner_.runs.size(), 1u) << "the repeat ALARM was silenced";
  Feed({10}, kT0 + 360'000);
  EXPECT_EQ(runner_.runs.back().first, "https://hooks.example/ok");
  Feed({99}, kT0 + 420'000);
  EXPECT_EQ(runner_.runs.back().first, "https://hooks.example/alarm") << "OK cleared the ack";
}

TEST_F(EngineTest, DisabledActionsStillChangeState) {
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm(1)).ok());
  ASSERT_TRUE(engine_->SetActionsEnabled({"cpu-high"}, false).ok());
  Feed({99}, kT0 + 60'000);
  EXPECT_EQ(StateOf("cpu-high"), StateValue::kAlarm);
  EXPECT_TRUE(runner_.runs.empty());
  EXPECT_FALSE(engine_->DescribeMetricAlarms({})[0].alarm.actions.enabled);
  EXPECT_EQ(engine_->SetActionsEnabled({"cpu-high", "nope"}, true).code(), StatusCode::kNotFound);
}

TEST_F(EngineTest, CompositeAlarmsFollowTheirRule) {
  MetricAlarm a = CpuAlarm(1), b = CpuAlarm(1);
  b.name = "errors-high";
  ASSERT_TRUE(engine_->PutMetricAlarm(a).ok());
  ASSERT_TRUE(engine_->PutMetricAlarm(b).ok());
  CompositeAlarm c;
  c.name = "web-down";
  c.rule = "ALARM(\"cpu-high\") AND ALARM(errors-high)";
  c.actions.alarm = {"vigil:rollback:web"};
  ASSERT_TRUE(engine_->PutCompositeAlarm(c).ok());
  EXPECT_EQ(StateOf("web-down"), StateValue::kOk);
  Feed({99}, kT0 + 60'000);
  EXPECT_EQ(StateOf("web-down"), StateValue::kAlarm);
  ASSERT_FALSE(runner_.runs.empty());
  EXPECT_EQ(runner_.runs.back().first, "vigil:rollback:web");
  EXPECT_TRUE(runner_.runs.back().second.composite);
  AlarmFilter composites;
  composites.composite_alarms = true;
  auto comp = engine_->DescribeCompositeAlarms(composites);
  ASSERT_EQ(comp.size(), 1u);
  EXPECT_NE(comp[0].state.reason.find("transitioned to ALARM"), std::string::npos);
  ASSERT_TRUE(engine_->SetAlarmState("errors-high", StateValue::kOk, "fixed", "").ok());
  EXPECT_EQ(StateOf("web-down"), StateValue::kOk);

  c.rule = "ALARM(cpu-high) OR ALARM(ghost)";
  Status st = engine_->PutCompositeAlarm(c);
  EXPECT_EQ(st.message(),
            "Could not save the composite alarm as alarms [ghost] in the alarm rule do not exist");
  CompositeAlarm outer;
  outer.name = "outer";
  outer.rule = "ALARM(web-down)";
  ASSERT_TRUE(engine_->PutCompositeAlarm(outer).ok());
  c.rule = "ALARM(outer)";
  EXPECT_NE(engine_->PutCompositeAlarm(c).message().find("cycle"), std::string::npos);
  EXPECT_NE(engine_->DeleteAlarms({"cpu-high"}).message().find("composite alarm 'web-down'"),
            std::string::npos);
  ASSERT_TRUE(engine_->DeleteAlarms({"outer", "web-down", "cpu-high"}).ok());
  EXPECT_EQ(engine_->DeleteAlarms({"errors-high", "cpu-high"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->DescribeMetricAlarms({}).size(), 1u) << "nothing deleted on an error";
}

TEST_F(EngineTest, RefusesInvalidAlarmsWithClearMessages) {
  const std::vector<std::pair<std::function<void(MetricAlarm&)>, std::string>> cases = {
      {[](MetricAlarm& a) { a.metric->period_s = 45; }, "Period must be 1, 5, 10, 20, 30"},
      {[](MetricAlarm& a) { a.datapoints_to_alarm = 4; }, "DatapointsToAlarm must be between 1"},
      {[](MetricAlarm& a) { a.evaluation_periods = 0; }, "EvaluationPeriods must be at least 1"},
      {[](MetricAlarm& a) { a.metric->stat = "Median"; }, "Stat must be SampleCount"},
      {[](MetricAlarm& a) { a.actions.alarm = {"mailto:x"}; }, "unsupported action 'mailto:x'"},
      {[](MetricAlarm& a) { a.evaluation_periods = 1441; }, "must not exceed one day"},
      {[](MetricAlarm& a) { a.name = ""; }, "AlarmName must be 1 to 255"},
      {[](MetricAlarm& a) {
         a.metrics = {MetricQuery{"e1", std::nullopt, "m1 * 2", "", true, 60}};
       },
       "either MetricName, Namespace, Statistic and Period, or Metrics"},
      {[](MetricAlarm& a) {
         a.metric.reset();
         a.metrics = {MetricQuery{"m1", a.metric, "", "", false, 0}};
       },
       "needs either MetricStat or Expression"},
  };
  for (const auto& [mutate, want] : cases) {
    MetricAlarm a = CpuAlarm();
    mutate(a);
    const Status st = engine_->PutMetricAlarm(a);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << want;
    EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  }
  EXPECT_TRUE(engine_->DescribeMetricAlarms({}).empty());
}

TEST_F(EngineTest, MetricMathAlarmsAndFilters) {
  MetricAlarm a = CpuAlarm(1);
  a.name = "error-rate";
  a.metric.reset();
  a.metrics = {
      MetricQuery{
          "errors",
          MetricStat{
              "Vigil/LoadBalancer", "HTTPCode_Target_5XX_Count", {{"App", "web"}}, 60, "Sum", ""},
          "", "", false, 0},
      MetricQuery{"rate", std::nullopt, "errors / 10", "rate", true, 0},
  };
  ASSERT_TRUE(engine_->PutMetricAlarm(a).ok());
  ASSERT_TRUE(engine_->PutMetricAlarm(CpuAlarm()).ok());
  EXPECT_EQ(engine_->DescribeMetricAlarms({})[1].alarm.period_s(), 60);
  AlarmFilter by_prefix, by_action, by_state;
  by_prefix.name_prefix = "err";
  by_action.action_prefix = "https://hooks";
  by_state.state = StateValue::kAlarm;
  EXPECT_EQ(engine_->DescribeMetricAlarms(by_prefix).size(), 1u);
  EXPECT_EQ(engine_->DescribeMetricAlarms(by_action).size(), 2u);
  EXPECT_EQ(engine_->DescribeMetricAlarms(by_state).size(), 0u);
  MetricFilter f;
  f.namespace_name = "Vigil/Instances";
  f.metric_name = "CPUUtilization";
  EXPECT_EQ(engine_->DescribeAlarmsForMetric(f).size(), 1u);
  f.dimensions = {{"App", "api"}};
  EXPECT_TRUE(engine_->DescribeAlarmsForMetric(f).empty());
  f.dimensions = {{"App", "web"}};
  f.stat = "Average";
  f.period_s = 60;
  EXPECT_EQ(engine_->DescribeAlarmsForMetric(f).size(), 1u);
}

}  // namespace
}  // namespace vigil::alarms
