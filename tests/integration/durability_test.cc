// Durability and lifecycle, with raw signed requests (no CLI):
//  - kill -9 while clients stream PutMetricData: after a restart on the same data directory
//    every acknowledged sample is there (repeated, each round re-checking the earlier ones);
//  - SIGTERM while requests are in flight: exit code 0, and the data survives;
//  - /healthz, /metrics (Prometheus text with vigil_ metrics), the credentials file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using namespace std::chrono_literals;

constexpr char kNs[] = "Vigil/Durability";
constexpr int kMaxRequests = 3000;  // one second apart from `base`: stays inside the last hour

// Streams PutMetricData requests for one series: request i carries Value i+1 at base+i s.
// Sequential on one keep-alive connection, so the acknowledged samples are exactly 1..acked
// and at most one more (the request in flight when the server died) may also be stored.
struct Writer {
  bool json = true;
  std::string series;  // value of the Writer dimension
  int64_t base = 0;
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::string failure;        // the transport error that ended the stream
  std::string bad_responses;  // non-200 answers, which are bugs

  void Run(uint16_t port, const testutil::SigV4Key& key) {
    HttpClient client(port);
    for (int i = 0; i < kMaxRequests && !stop.load(); ++i) {
      const int64_t ts = base + i;
      const double value = i + 1;
      HttpRequest request;
      if (json) {
        nlohmann::json body = {{"Namespace", kNs},
                               {"MetricData",
                                {{{"MetricName", "Stream"},
                                  {"Dimensions", {{{"Name", "Writer"}, {"Value", series}}}},
                                  {"Timestamp", ts},
                                  {"Value", value}}}}};
        request = CloudWatchJsonRequest(client, "PutMetricData", body.dump());
      } else {
        request = CloudWatchQueryRequest(
            client, "Action=PutMetricData&Version=2010-08-01&Namespace=" + FormEncode(kNs) +
                        "&MetricData.member.1.MetricName=Stream"
                        "&MetricData.member.1.Dimensions.member.1.Name=Writer"
                        "&MetricData.member.1.Dimensions.member.1.Value=" +
                        FormEncode(series) +
                        "&MetricData.member.1.Timestamp=" + FormEncode(Iso8601(ts)) +
                        "&MetricData.member.1.Value=" + std::to_string(i + 1));
      }
      auto r = SendSigned(&client, key, std::move(request));
      if (!r.ok()) {
        failure = r.status().ToString();
        return;
      }
      if (r->status != 200) {
        bad_responses += std::to_string(r->status) + " " + r->body.substr(0, 300) + "\n";
        return;
      }
      acked.store(i + 1);
    }
  }
};

// SampleCount/Sum/Minimum/Maximum of a writer's series over its whole window.
struct Totals {
  double count = 0, sum = 0, min = 0, max = 0;
};

StatusOr<Totals> QueryTotals(const VigilServer& server, const Writer& w) {
  auto client = server.NewClient();
  nlohmann::json body = {{"Namespace", kNs},
                         {"MetricName", "Stream"},
                         {"Dimensions", {{{"Name", "Writer"}, {"Value", w.series}}}},
                         {"StartTime", w.base},
                         {"EndTime", w.base + 3600},
                         {"Period", 3600},
                         {"Statistics", {"SampleCount", "Sum", "Minimum", "Maximum"}}};
  ASSIGN_OR_RETURN(HttpResponse r,
                   SendSigned(client.get(), server.Key(),
                              CloudWatchJsonRequest(*client, "GetMetricStatistics", body.dump())));
  if (r.status != 200)
    return InternalError("GetMetricStatistics: " + std::to_string(r.status) + " " + r.body);
  nlohmann::json out = nlohmann::json::parse(r.body, nullptr, false);
  if (!out.is_object()) return InternalError("not JSON: " + r.body);
  Totals t;
  bool first = true;
  // The store aligns periods to the epoch, so the window may span two datapoints.
  for (const auto& d : out.value("Datapoints", nlohmann::json::array())) {
    t.count += d.value("SampleCount", 0.0);
    t.sum += d.value("Sum", 0.0);
    const double mn = d.value("Minimum", 0.0), mx = d.value("Maximum", 0.0);
    t.min = first ? mn : std::min(t.min, mn);
    t.max = first ? mx : std::max(t.max, mx);
    first = false;
  }
  return t;
}

// Every acknowledged sample (1..acked) is stored, plus at most the one in flight.
// Returns the number stored, or -1 after reporting a failure.
int ExpectAcknowledgedStored(const VigilServer& server, const Writer& w) {
  SCOPED_TRACE("series " + w.series + ", acknowledged " + std::to_string(w.acked.load()));
  auto t = QueryTotals(server, w);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return -1;
  const double n = t->count;
  const int acked = w.acked.load();
  EXPECT_TRUE(n == acked || n == acked + 1) << "stored " << n;
  EXPECT_DOUBLE_EQ(t->sum, n * (n + 1) / 2) << "stored " << n;
  if (n > 0) {
    EXPECT_DOUBLE_EQ(t->min, 1);
    EXPECT_DOUBLE_EQ(t->max, n);
  }
  return static_cast<int>(n);
}

class DurabilityTest : public testing::Test {
 protected:
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }
  VigilServer server_;
};

TEST_F(DurabilityTest, KillNineLosesNothingAcknowledged) {
  constexpr int kRounds = 3;
  std::vector<std::unique_ptr<Writer>> all;
  std::vector<int> stored;  // per writer in `all`, as first verified
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    ASSERT_OK(server_.Start());
    const int64_t base = FloorMinute(NowSeconds()) - 55 * 60;
    std::vector<Writer*> writers;
    std::vector<std::thread> threads;
    for (int w = 0; w < 2; ++w) {
      all.push_back(std::make_unique<Writer>());
      Writer* writer = all.back().get();
      writer->json = w == 0;
      writer->series = "r" + std::to_string(round) + (writer->json ? "-json" : "-query");
      writer->base = base;
      writers.push_back(writer);
    }
    for (Writer* w : writers) {
      threads.emplace_back([w, port = server_.port(), key = server_.Key()] { w->Run(port, key); });
    }
    // Let them stream for a while (a different moment each round), then pull the plug.
    std::this_thread::sleep_for(1000ms + round * 300ms);
    server_.KillHard();
    for (Writer* w : writers) w->stop = true;
    for (auto& t : threads) t.join();
    for (Writer* w : writers) {
      EXPECT_EQ(w->bad_responses, "") << w->series;
      EXPECT_GT(w->acked.load(), 0)
          << w->series << ": nothing acknowledged in a second; " << w->failure;
    }

    ASSERT_OK(server_.Start());
    for (size_t i = 0; i < all.size(); ++i) {
      if (i < stored.size()) {
        // Earlier rounds: exactly what was there after their own restart.
        auto t = QueryTotals(server_, *all[i]);
        ASSERT_TRUE(t.ok()) << t.status().ToString();
        EXPECT_EQ(t->count, stored[i]) << all[i]->series << " changed after another crash";
      } else {
        stored.push_back(ExpectAcknowledgedStored(server_, *all[i]));
      }
    }
    if (round + 1 < kRounds) server_.KillHard();  // the next round restarts from a crash too
  }
  for (size_t i = 0; i < all.size(); ++i) {
    RecordProperty("acked_" + all[i]->series, all[i]->acked.load());
  }
}

TEST_F(DurabilityTest, SigtermWhileRequestsAreInFlightExitsZeroAndKeepsData) {
  ASSERT_OK(server_.Start());
  const int64_t base = FloorMinute(NowSeconds()) - 55 * 60;
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    writers.push_back(std::make_unique<Writer>());
    writers.back()->json = w % 2 == 0;
    writers.back()->series = "term-" + std::to_string(w);
    writers.back()->base = base;
  }
  for (auto& w : writers) {
    threads.emplace_back(
        [w = w.get(), port = server_.port(), key = server_.Key()] { w->Run(port, key); });
  }
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(server_.Signal(SIGTERM));
  auto st = server_.WaitExit(60s);
  for (auto& w : writers) w->stop = true;
  for (auto& t : threads) t.join();
  ASSERT_TRUE(st.has_value()) << "still running 60 s after SIGTERM";
  EXPECT_TRUE(st->ok()) << st->ToString() << "\n" << server_.Logs();
  for (auto& w : writers) {
    // In-flight requests finish; later ones find the door shut. A 503 while draining is
    // acceptable, anything else is not.
    if (!w->bad_responses.empty() && w->bad_responses.rfind("503", 0) != 0) {
      ADD_FAILURE() << w->series << ": " << w->bad_responses;
    }
    EXPECT_GT(w->acked.load(), 0) << w->series << ": " << w->failure;
  }

  ASSERT_OK(server_.Start());
  for (auto& w : writers) ExpectAcknowledgedStored(server_, *w);
}

// SampleCount per series over [base, base + 3600), for `series` (Writer dimension values) in
// one GetMetricData request, following NextToken. Series without data map to 0.
StatusOr<std::map<std::string, double>> CountsBySeries(const VigilServer& server,
                                                       const std::vector<std::string>& series,
                                                       int64_t base) {
  nlohmann::json queries = nlohmann::json::array();
  for (size_t i = 0; i < series.size(); ++i) {
    queries.push_back({{"Id", "q" + std::to_string(i)},
                       {"MetricStat",
                        {{"Metric",
                          {{"Namespace", kNs},
                           {"MetricName", "Batch"},
                           {"Dimensions", {{{"Name", "Writer"}, {"Value", series[i]}}}}}},
                         {"Period", 3600},
                         {"Stat", "SampleCount"}}}});
  }
  std::map<std::string, double> counts;
  for (const auto& s : series) counts[s] = 0;
  auto client = server.NewClient();
  std::string token;
  for (int page = 0; page < 100; ++page) {
    nlohmann::json body = {
        {"MetricDataQueries", queries}, {"StartTime", base}, {"EndTime", base + 3600}};
    if (!token.empty()) body["NextToken"] = token;
    ASSIGN_OR_RETURN(HttpResponse r,
                     SendSigned(client.get(), server.Key(),
                                CloudWatchJsonRequest(*client, "GetMetricData", body.dump())));
    if (r.status != 200)
      return InternalError("GetMetricData: " + std::to_string(r.status) + " " + r.body);
    nlohmann::json out = nlohmann::json::parse(r.body, nullptr, false);
    if (!out.is_object()) return InternalError("not JSON: " + r.body);
    for (const auto& res : out.value("MetricDataResults", nlohmann::json::array())) {
      const size_t i = std::stoul(res["Id"].get<std::string>().substr(1));
      for (const auto& v : res.value("Values", nlohmann::json::array())) {
        counts[series.at(i)] += v.get<double>();
      }
    }
    token = out.value("NextToken", "");
    if (token.empty()) return counts;
  }
  return InternalError("GetMetricData never stopped paging");
}

// SIGKILL at different moments of the shutdown flush (the head is being cut into a block and
// the WAL retired): whatever was acknowledged is there exactly once after the restart.
TEST_F(DurabilityTest, KillDuringShutdownFlushLosesAndDuplicatesNothing) {
  constexpr int kSeries = 50, kBatches = 4, kPerBatch = 20;  // 1,000 datums a request
  const int64_t base = FloorMinute(NowSeconds()) - 55 * 60;
  std::vector<std::string> all_series;
  for (int delay_ms : {0, 10, 40, 80, 110, 140, 170, 250}) {
    SCOPED_TRACE("SIGKILL " + std::to_string(delay_ms) + " ms after SIGTERM");
    ASSERT_OK(server_.Start());
    auto client = server_.NewClient();
    std::vector<std::string> round_series;
    for (int k = 0; k < kSeries; ++k) {
      round_series.push_back("d" + std::to_string(delay_ms) + "-" + std::to_string(k));
    }
    for (int b = 0; b < kBatches; ++b) {
      nlohmann::json data = nlohmann::json::array();
      for (const auto& s : round_series) {
        for (int j = 0; j < kPerBatch; ++j) {
          data.push_back({{"MetricName", "Batch"},
                          {"Dimensions", {{{"Name", "Writer"}, {"Value", s}}}},
                          {"Timestamp", base + b * kPerBatch + j},
                          {"Value", 1}});
        }
      }
      nlohmann::json body = {{"Namespace", kNs}, {"MetricData", data}};
      auto r = SendSigned(client.get(), server_.Key(),
                          CloudWatchJsonRequest(*client, "PutMetricData", body.dump()));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ASSERT_EQ(r->status, 200) << r->body;
    }
    all_series.insert(all_series.end(), round_series.begin(), round_series.end());
    ASSERT_TRUE(server_.Signal(SIGTERM));
    // Exited within the delay (then the cut was complete), or killed in the middle of it.
    const bool exited = server_.WaitExit(std::chrono::milliseconds(delay_ms)).has_value();
    server_.KillHard();  // a no-op when it already exited
    RecordProperty("after_" + std::to_string(delay_ms) + "ms", exited ? "exited" : "killed");

    ASSERT_OK(server_.Start());
    auto counts = CountsBySeries(server_, all_series, base);
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    for (const auto& [s, n] : *counts) {
      EXPECT_EQ(n, kBatches * kPerBatch) << "series " << s;
    }
    server_.KillHard();
  }
  // A last clean cycle over everything.
  ASSERT_OK(server_.Start());
  ASSERT_OK(server_.Restart());
  auto counts = CountsBySeries(server_, all_series, base);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  for (const auto& [s, n] : *counts) EXPECT_EQ(n, kBatches * kPerBatch) << "series " << s;
}

TEST_F(DurabilityTest, HealthMetricsAndCredentials) {
  ASSERT_OK(server_.Start());
  auto health = server_.Get("/healthz");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);

  // Some traffic first, so request counters have moved.
  auto client = server_.NewClient();
  auto put = SendSigned(client.get(), server_.Key(),
                        CloudWatchJsonRequest(*client, "PutMetricData",
                                              R"({"Namespace": "A", "MetricData": )"
                                              R"([{"MetricName": "X", "Value": 1}]})"));
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->status, 200) << put->body;

  auto metrics = server_.Get("/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->Header("content-type").value_or("").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics->body.find("# TYPE vigil_"), std::string::npos) << metrics->body;
  // Every sample line is "name[{labels}] value", and Vigil's own are among them.
  const std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+0-9.eE]+|[-+]?Inf|NaN)( -?[0-9]+)?$)");
  std::istringstream lines(metrics->body);
  std::string line;
  int vigil_samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    vigil_samples += line.rfind("vigil_", 0) == 0;
    EXPECT_TRUE(std::regex_search(line, sample)) << line;
  }
  EXPECT_GT(vigil_samples, 0) << metrics->body;

  auto missing = server_.Get("/no-such-path");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);

  // The credentials file holds the root key given through the environment, mode 0600.
  std::ifstream f(server_.data_dir() + "/credentials");
  std::stringstream content;
  content << f.rdbuf();
  EXPECT_NE(content.str().find("[default]"), std::string::npos);
  EXPECT_NE(content.str().find(kAccessKeyId), std::string::npos);
  EXPECT_NE(content.str().find(kSecretAccessKey), std::string::npos);
  struct stat sb {};
  ASSERT_EQ(stat((server_.data_dir() + "/credentials").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);

  // A restart keeps the port-0 contract: a fresh port is printed and served.
  ASSERT_OK(server_.Restart());
  health = server_.Get("/healthz");
  ASSERT_TRUE(health.ok()) << health.status().ToString();
  EXPECT_EQ(health->status, 200);
}

}  // namespace
}  // namespace vigil::integration
