// Alarms end to end: both aws CLIs create, list, trigger, silence and delete alarms on a real
// server; a webhook receiver here checks each notification's payload and signature; an alarm
// at a 1 s period fires within two periods of the breach; state, history and no re-firing
// across a kill -9.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>

#include "auth/auth.h"
#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Hook {
  std::string path;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  Clock::time_point at;
};

// A webhook receiver on 127.0.0.1: records every request, answers `status`.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~WebhookReceiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set_status(int status) { status_ = status; }
  // Waits until at least `n` requests came; all of them so far.
  std::vector<Hook> WaitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock l(mu_);
    cv_.wait_for(l, timeout, [&] { return hooks_.size() >= n; });
    return hooks_;
  }
  std::vector<Hook> hooks() {
    std::lock_guard l(mu_);
    return hooks_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string data;
      char buf[4096];
      size_t header_end = std::string::npos, content_length = 0;
      while (true) {
        const ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos) {
          header_end = data.find("\r\n\r\n");
          if (header_end == std::string::npos) continue;
          std::string lower = data.substr(0, header_end);
          for (char& ch : lower)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          const size_t cl = lower.find("content-length:");
          if (cl != std::string::npos) content_length = std::stoul(lower.substr(cl + 15));
        }
        if (data.size() >= header_end + 4 + content_length) break;
      }
      Hook h;
      h.at = Clock::now();
      if (header_end != std::string::npos) {
        std::istringstream head(data.substr(0, header_end));
        std::string line;
        std::getline(head, line);
        h.path = line.substr(line.find(' ') + 1);
        h.path = h.path.substr(0, h.path.find(' '));
        while (std::getline(head, line)) {
          if (!line.empty() && line.back() == '\r') line.pop_back();
          const size_t colon = line.find(':');
          if (colon == std::string::npos) continue;
          std::string name = line.substr(0, colon);
          for (char& ch : name)
            ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
          h.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
        }
        h.body = data.substr(header_end + 4);
      }
      const std::string answer = "HTTP/1.1 " + std::to_string(status_.load()) +
                                 " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)!::write(c, answer.data(), answer.size());
      ::close(c);
      {
        std::lock_guard l(mu_);
        hooks_.push_back(std::move(h));
      }
      cv_.notify_all();
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> status_{200};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Hook> hooks_;
};

// Webhook URLs as a JSON list: aws CLI v1 would fetch a parameter that starts with http://
// and send the page it gets (its cli_follow_urlparam), JSON syntax keeps the URL as text.
std::string Urls(const std::vector<std::string>& urls) { return nlohmann::json(urls).dump(); }

class AlarmsTest : public ServerTest {
 protected:
  AwsResult Cw(std::vector<std::string> args) {
    args.insert(args.begin(), "cloudwatch");
    return server_.RunAws(GetParam(), args);
  }
  // PutMetricData of one value now, as a raw signed JSON request (no CLI start-up delay).
  void PutNow(const std::string& metric, double value) {
    auto client = server_.NewClient();
    nlohmann::json body = {{"Namespace", "Vigil/AlarmsTest"},
                           {"MetricData", {{{"MetricName", metric}, {"Value", value}}}}};
    auto r = SendSigned(client.get(), server_.Key(),
                        CloudWatchJsonRequest(*client, "PutMetricData", body.dump()));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->status, 200) << r->body;
  }
  nlohmann::json Describe(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"describe-alarms", "--alarm-types", "MetricAlarm",
                                     "CompositeAlarm"};
    args.insert(args.end(), extra.begin(), extra.end());
    AwsResult r = Cw(args);
    EXPECT_TRUE(AwsOk(r));
    return r.Json();
  }
  std::string StateOf(const std::string& name) {
    const nlohmann::json j = Describe({"--alarm-names", name});
    for (const char* kind : {"MetricAlarms", "CompositeAlarms"}) {
      for (const auto& a : j[kind]) return a["StateValue"];
    }
    return "(none)";
  }
  // The signing secret is sealed on disk: read it as a user does, with `vigil keys`.
  std::string Secret() {
    const AwsResult r = server_.RunVigil({"keys", "webhook-secret"});
    EXPECT_EQ(r.exit_code, 0) << r.Describe();
    std::string s = r.out;
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  WebhookReceiver hooks_;
};

TEST_P(AlarmsTest, FiresWithinTwoPeriodsAndSendsASignedNotification) {
  ASSERT_TRUE(AwsOk(Cw({"put-metric-alarm",
                        "--alarm-name",
                        "p1-errors",
                        "--alarm-description",
                        "errors per second",
                        "--namespace",
                        "Vigil/AlarmsTest",
                        "--metric-name",
                        "Errors",
                        "--statistic",
                        "Maximum",
                        "--period",
                        "1",
                        "--evaluation-periods",
                        "1",
                        "--threshold",
                        "5",
                        "--comparison-operator",
                        "GreaterThanThreshold",
                        "--treat-missing-data",
                        "notBreaching",
                        "--alarm-actions",
                        Urls({hooks_.url("/alarm")}),
                        "--ok-actions",
                        Urls({hooks_.url("/ok")})})));
  // The first evaluation (no data, notBreaching) makes it OK and calls the OK hook.
  auto seen = hooks_.WaitFor(1, 10s);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/ok");

  const auto breach = Clock::now();
  PutNow("Errors", 42);
  seen = hooks_.WaitFor(2, 10s);
  ASSERT_EQ(seen.size(), 2u) << server_.Logs();
  const Hook& h = seen[1];
  EXPECT_EQ(h.path, "/alarm");
  EXPECT_LT(h.at - breach, 2s)
      << "fired " << std::chrono::duration_cast<std::chrono::milliseconds>(h.at - breach).count()
      << " ms after the breach (period 1 s)";
  // CloudWatch's SNS alarm message.
  const auto msg = nlohmann::json::parse(h.body);
  EXPECT_EQ(msg["AlarmName"], "p1-errors");
  EXPECT_EQ(msg["AlarmDescription"], "errors per second");
  EXPECT_EQ(msg["NewStateValue"], "ALARM");
  EXPECT_EQ(msg["OldStateValue"], "OK");
  EXPECT_NE(msg["NewStateReason"].get<std::string>().find("[42.0 ("), std::string::npos)
      << msg["NewStateReason"];
  EXPECT_EQ(msg["Trigger"]["MetricName"], "Errors");
  EXPECT_EQ(msg["Trigger"]["Statistic"], "MAXIMUM");
  EXPECT_EQ(msg["Trigger"]["Threshold"], 5.0);
  EXPECT_EQ(msg["AlarmArn"], "arn:aws:cloudwatch:us-east-1:000000000000:alarm:p1-errors");
  // Signed with the server's secret over "<timestamp>.<body>".
  ASSERT_EQ(h.headers.count("x-vigil-signature"), 1u);
  const std::string ts = h.headers.at("x-vigil-timestamp");
  EXPECT_EQ(h.headers.at("x-vigil-signature"),
            "sha256=" + auth::HexEncode(auth::HmacSha256(Secret(), ts + "." + h.body)));
  EXPECT_NE(h.headers.at("x-vigil-signature"),
            "sha256=" + auth::HexEncode(auth::HmacSha256("another secret", ts + "." + h.body)));

  EXPECT_EQ(StateOf("p1-errors"), "ALARM");
  AwsResult history = Cw({"describe-alarm-history", "--alarm-name", "p1-errors"});
  ASSERT_TRUE(AwsOk(history));
  std::vector<std::string> summaries;
  const nlohmann::json items = history.Json()["AlarmHistoryItems"];
  for (const auto& item : items) {
    summaries.push_back(item["HistorySummary"]);
  }
  ASSERT_GE(summaries.size(), 5u) << history.Describe();
  EXPECT_EQ(summaries.back(), "Alarm \"p1-errors\" created");  // newest first
  EXPECT_NE(std::find(summaries.begin(), summaries.end(), "Alarm updated from OK to ALARM"),
            summaries.end());
  EXPECT_NE(std::find(summaries.begin(), summaries.end(),
                      "Successfully executed action " + hooks_.url("/alarm")),
            summaries.end());
}

TEST_P(AlarmsTest, ManageAlarmsAndCompositesWithTheCli) {
  const std::vector<std::string> common = {"--namespace",
                                           "Vigil/AlarmsTest",
                                           "--period",
                                           "60",
                                           "--evaluation-periods",
                                           "3",
                                           "--threshold",
                                           "100",
                                           "--comparison-operator",
                                           "GreaterThanThreshold"};
  std::vector<std::string> put = {"put-metric-alarm",
                                  "--alarm-name",
                                  "latency-high",
                                  "--metric-name",
                                  "Latency",
                                  "--dimensions",
                                  "Name=Host,Value=web-1",
                                  "--extended-statistic",
                                  "p99",
                                  "--datapoints-to-alarm",
                                  "2",
                                  "--unit",
                                  "Milliseconds"};
  put.insert(put.end(), common.begin(), common.end());
  ASSERT_TRUE(AwsOk(Cw(put)));
  put[2] = "latency-high-2";
  ASSERT_TRUE(AwsOk(Cw(put)));
  ASSERT_TRUE(AwsOk(Cw({"put-composite-alarm", "--alarm-name", "web-down", "--alarm-rule",
                        "ALARM(\"latency-high\") OR ALARM(latency-high-2)", "--alarm-actions",
                        Urls({hooks_.url("/composite")})})));

  nlohmann::json all = Describe();
  ASSERT_EQ(all["MetricAlarms"].size(), 2u);
  const auto& a = all["MetricAlarms"][0];
  EXPECT_EQ(a["AlarmName"], "latency-high");
  EXPECT_EQ(a["ExtendedStatistic"], "p99");
  EXPECT_EQ(a["Period"], 60);
  EXPECT_EQ(a["EvaluationPeriods"], 3);
  EXPECT_EQ(a["DatapointsToAlarm"], 2);
  EXPECT_EQ(a["Threshold"], 100.0);
  EXPECT_EQ(a["Unit"], "Milliseconds");
  EXPECT_EQ(a["Dimensions"][0]["Value"], "web-1");
  EXPECT_EQ(a["ActionsEnabled"], true);
  ASSERT_EQ(all["CompositeAlarms"].size(), 1u);
  EXPECT_EQ(all["CompositeAlarms"][0]["AlarmRule"],
            "ALARM(\"latency-high\") OR ALARM(latency-high-2)");
  // Default DescribeAlarms lists metric alarms only; paging by MaxRecords.
  AwsResult page = Cw({"describe-alarms", "--max-items", "1"});
  ASSERT_TRUE(AwsOk(page));
  EXPECT_EQ(page.Json()["MetricAlarms"].size(), 1u);
  EXPECT_TRUE(page.Json().contains("NextToken")) << page.out;

  AwsResult for_metric = Cw({"describe-alarms-for-metric", "--namespace", "Vigil/AlarmsTest",
                             "--metric-name", "Latency", "--dimensions", "Name=Host,Value=web-1"});
  ASSERT_TRUE(AwsOk(for_metric));
  EXPECT_EQ(for_metric.Json()["MetricAlarms"].size(), 2u);

  // Setting a child's state moves the composite, whose action runs.
  ASSERT_TRUE(AwsOk(Cw({"set-alarm-state", "--alarm-name", "latency-high-2", "--state-value",
                        "ALARM", "--state-reason", "testing the composite"})));
  // (Its state is read from the notification: the child's next evaluation, at the close of its
  // 60-s period, may already have set it back.)
  auto seen = hooks_.WaitFor(1, 10s);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].path, "/composite");
  EXPECT_EQ(nlohmann::json::parse(seen[0].body)["NewStateValue"], "ALARM") << seen[0].body;
  EXPECT_EQ(nlohmann::json::parse(seen[0].body)["AlarmRule"],
            "ALARM(\"latency-high\") OR ALARM(latency-high-2)");

  ASSERT_TRUE(AwsOk(Cw({"disable-alarm-actions", "--alarm-names", "latency-high"})));
  EXPECT_EQ(Describe({"--alarm-names", "latency-high"})["MetricAlarms"][0]["ActionsEnabled"],
            false);
  ASSERT_TRUE(AwsOk(Cw({"enable-alarm-actions", "--alarm-names", "latency-high"})));

  // CloudWatch's errors.
  const Cli cli = GetParam();
  EXPECT_TRUE(AwsError(
      cli,
      Cw({"set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x"}),
      "ResourceNotFound"));
  std::vector<std::string> bad = put;
  bad[2] = "bad";
  bad.insert(bad.end(), {"--alarm-actions", "mailto:ops@example.com"});
  EXPECT_TRUE(AwsError(cli, Cw(bad), "InvalidParameterValue"));
  EXPECT_TRUE(AwsError(
      cli, Cw({"put-composite-alarm", "--alarm-name", "c2", "--alarm-rule", "ALARM(ghost)"}),
      "InvalidParameterValue"));
  EXPECT_TRUE(AwsError(cli, Cw({"delete-alarms", "--alarm-names", "latency-high"}),
                       "InvalidParameterValue"))
      << "a composite alarm names it";
  ASSERT_TRUE(
      AwsOk(Cw({"delete-alarms", "--alarm-names", "web-down", "latency-high", "latency-high-2"})));
  all = Describe();
  EXPECT_TRUE(all["MetricAlarms"].empty());
  EXPECT_TRUE(all["CompositeAlarms"].empty());
}

TEST_P(AlarmsTest, StateAndHistorySurviveKillMinusNineWithoutFiringAgain) {
  ASSERT_TRUE(AwsOk(Cw({"put-metric-alarm",
                        "--alarm-name",
                        "cpu",
                        "--namespace",
                        "Vigil/AlarmsTest",
                        "--metric-name",
                        "Cpu",
                        "--statistic",
                        "Average",
                        "--period",
                        "1",
                        "--evaluation-periods",
                        "1",
                        "--threshold",
                        "90",
                        "--comparison-operator",
                        "GreaterThanOrEqualToThreshold",
                        "--treat-missing-data",
                        "ignore",
                        "--alarm-actions",
                        Urls({hooks_.url("/alarm")})})));
  PutNow("Cpu", 99);
  ASSERT_EQ(hooks_.WaitFor(1, 10s).size(), 1u) << server_.Logs();
  ASSERT_EQ(StateOf("cpu"), "ALARM");
  AwsResult before = Cw({"describe-alarm-history", "--alarm-name", "cpu"});
  ASSERT_TRUE(AwsOk(before));
  ASSERT_GE(before.Json()["AlarmHistoryItems"].size(), 3u) << before.out;  // created, ALARM, hook

  server_.KillHard();
  ASSERT_OK(server_.Start());
  EXPECT_EQ(StateOf("cpu"), "ALARM");
  AwsResult after = Cw({"describe-alarm-history", "--alarm-name", "cpu"});
  ASSERT_TRUE(AwsOk(after));
  EXPECT_EQ(after.Json()["AlarmHistoryItems"], before.Json()["AlarmHistoryItems"]);
  // Several periods pass (missing data is ignored): the alarm stays ALARM and nothing fires.
  std::this_thread::sleep_for(3s);  // the absence of an event: no condition to wait for
  EXPECT_EQ(hooks_.hooks().size(), 1u);
  EXPECT_EQ(StateOf("cpu"), "ALARM");
}

TEST_P(AlarmsTest, AcknowledgedAlarmStaysQuietUntilOk) {
  ASSERT_TRUE(AwsOk(Cw({"put-metric-alarm",
                        "--alarm-name",
                        "disk full",
                        "--namespace",
                        "Vigil/AlarmsTest",
                        "--metric-name",
                        "Disk",
                        "--statistic",
                        "Maximum",
                        "--period",
                        "60",
                        "--evaluation-periods",
                        "1",
                        "--threshold",
                        "90",
                        "--comparison-operator",
                        "GreaterThanThreshold",
                        "--treat-missing-data",
                        "ignore",
                        "--alarm-actions",
                        Urls({hooks_.url("/alarm")}),
                        "--ok-actions",
                        Urls({hooks_.url("/ok")})})));
  auto set = [&](const std::string& state) {
    return AwsOk(Cw({"set-alarm-state", "--alarm-name", "disk full", "--state-value", state,
                     "--state-reason", "test"}));
  };
  auto vigil = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "alarms");
    return server_.RunVigil(args);
  };
  AwsResult early = vigil({"ack", "disk full"});
  EXPECT_EQ(early.exit_code, 1);
  EXPECT_NE(early.err.find("not ALARM: there is nothing to acknowledge"), std::string::npos)
      << early.Describe();
  ASSERT_TRUE(set("ALARM"));
  ASSERT_EQ(hooks_.WaitFor(1, 10s).size(), 1u);
  AwsResult ack = vigil({"ack", "disk full"});
  ASSERT_EQ(ack.exit_code, 0) << ack.Describe();
  AwsResult list = vigil({"list", "--output", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.Describe();
  EXPECT_EQ(list.Json()["alarms"][0]["acknowledged"], true) << list.out;
  // Flapping through INSUFFICIENT_DATA back to ALARM: silent.
  ASSERT_TRUE(set("INSUFFICIENT_DATA"));
  ASSERT_TRUE(set("ALARM"));
  ASSERT_TRUE(set("OK"));  // OK clears the acknowledgement and runs the OK action
  auto seen = hooks_.WaitFor(2, 10s);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].path, "/ok");
  ASSERT_TRUE(set("ALARM"));
  seen = hooks_.WaitFor(3, 10s);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[2].path, "/alarm");
  AwsResult history = vigil({"history", "disk full"});
  ASSERT_EQ(history.exit_code, 0) << history.Describe();
  EXPECT_NE(history.out.find("acknowledged"), std::string::npos) << history.out;
  EXPECT_EQ(vigil({"ack", "no such alarm"}).exit_code, 1);
}

INSTANTIATE_TEST_SUITE_P(Clis, AlarmsTest, testing::ValuesIn(kBothClis), CliParamName);

}  // namespace
}  // namespace vigil::integration
