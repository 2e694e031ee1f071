// The canary engine against a real HTTP server on a loopback port: checks that pass and fail
// with their reasons, timeouts, refused connections, app resolution, the schedule, one run of
// a canary at a time, the metrics, and a prompt Stop().
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "canary/canary.h"
#include "http/http.h"
#include "tests/testutil/await.h"
#include "tests/testutil/manual_clock.h"

namespace vigil::canary {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using testutil::Await;

constexpr int64_t kNow = 1'790'000'000'000;

// The shop the canaries look at. /slow?ms=N answers after N ms (less once released);
// /busy takes 200 ms and counts how many requests it serves at once.
class Shop {
 public:
  Shop() {
    router_.Handle("GET", "/products", [](const http::Request&) {
      return http::Response::Text(200, R"({"items":[{"id":1,"name":"tea"}]})", "application/json");
    });
    router_.Handle("POST", "/cart", [](const http::Request& r) {
      return http::Response::Text(r.body == "{\"id\":1}" ? 200 : 400, R"({"ok":true})");
    });
    router_.Handle("GET", "/page", [](const http::Request&) {
      return http::Response::Text(200, "<html>shop</html>", "text/html");
    });
    router_.Handle("GET", "/down",
                   [](const http::Request&) { return http::Response::Text(503, "overloaded"); });
    router_.Handle("GET", "/slow", [this](const http::Request& r) {
      slow_requests_.fetch_add(1);
      const auto until =
          SteadyClock::now() + std::chrono::milliseconds(std::stoi(r.query.substr(3)));
      while (SteadyClock::now() < until && !released_.load()) std::this_thread::sleep_for(5ms);
      return http::Response::Text(200, "slow");
    });
    router_.Handle("GET", "/busy", [this](const http::Request&) {
      const int now = in_flight_.fetch_add(1) + 1;
      {
        std::lock_guard l(mu_);
        max_in_flight_ = std::max(max_in_flight_, now);
      }
      std::this_thread::sleep_for(200ms);
      in_flight_.fetch_sub(1);
      return http::Response::Text(200, "busy");
    });
    http::ServerOptions o;
    o.port = 0;
    o.logger = &NullLogger();
    o.shutdown_grace_ms = 2000;
    server_ = std::make_unique<http::Server>(o, &router_);
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Shop() {
    released_.store(true);
    server_->Stop();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  int slow_requests() const { return slow_requests_.load(); }
  int max_in_flight() const {
    std::lock_guard l(mu_);
    return max_in_flight_;
  }

 private:
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::atomic<int> slow_requests_{0}, in_flight_{0};
  std::atomic<bool> released_{false};
  mutable std::mutex mu_;
  int max_in_flight_ = 0;  // guarded by mu_
};

// A MetricSink that keeps what it is given.
class RecordingSink final : public MetricSink {
 public:
  void Put(const std::string& ns, std::vector<Datum> data) override {
    std::lock_guard l(mu_);
    for (Datum& d : data) puts_.emplace_back(ns, std::move(d));
  }
  std::vector<std::pair<std::string, Datum>> puts() const {
    std::lock_guard l(mu_);
    return puts_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Datum>> puts_;  // guarded by mu_
};

Step Get(std::string path) {
  Step s;
  s.path = std::move(path);
  return s;
}

CanarySpec Spec(std::string name, std::string url, std::vector<Step> steps) {
  CanarySpec s;
  s.name = std::move(name);
  s.url = std::move(url);
  s.interval_ms = 0;
  s.timeout_ms = 2000;
  s.steps = std::move(steps);
  return s;
}

class CanariesTest : public testing::Test {
 protected:
  std::unique_ptr<Canaries> Start(std::vector<CanarySpec> specs) {
    CanaryOptions o;
    o.canaries = std::move(specs);
    o.clock = &clock_;
    o.logger = &NullLogger();
    o.metrics = &sink_;
    o.resolve_app = [this](const std::string& app) -> StatusOr<AppEndpoint> {
      if (app == "shop") return AppEndpoint{shop_.url(), ""};
      return NotFoundError("no app named '" + app + "'");
    };
    StatusOr<std::unique_ptr<Canaries>> c = Canaries::Start(std::move(o));
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }

  Shop shop_;
  testutil::ManualClock clock_{kNow};
  RecordingSink sink_;
};

TEST_F(CanariesTest, PassingRunIsRecordedAndMeasured) {
  Step products = Get("/products");
  products.expect_status = 200;
  products.body_contains = "tea";
  products.json_equals = {{"$.items[0].id", "1"}, {"/items/0/name", "\"tea\""}};
  products.max_latency_ms = 1500;
  Step cart;
  cart.name = "add to cart";
  cart.method = "POST";
  cart.path = "/cart";
  cart.body = "{\"id\":1}";
  cart.headers = {{"Content-Type", "application/json"}};
  auto canaries = Start({Spec("browse", shop_.url(), {products, cart})});
  ASSERT_NE(canaries, nullptr);

  StatusOr<RunResult> run = canaries->Run("browse", "manual");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_TRUE(run->ok) << run->failure;
  EXPECT_EQ(run->canary, "browse");
  EXPECT_EQ(run->target, shop_.url());
  EXPECT_EQ(run->trigger, "manual");
  EXPECT_EQ(run->started_ms, kNow);
  EXPECT_EQ(run->failure, "");
  ASSERT_EQ(run->steps.size(), 2u);
  EXPECT_EQ(run->steps[0].name, "GET /products");
  EXPECT_EQ(run->steps[0].status, 200);
  EXPECT_EQ(run->steps[1].name, "add to cart");
  EXPECT_TRUE(run->steps[1].ok) << run->steps[1].detail;

  StatusOr<CanaryInfo> info = canaries->Get("browse");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->runs, 1);
  EXPECT_EQ(info->failures, 0);
  ASSERT_TRUE(info->last.has_value());
  EXPECT_TRUE(info->last->ok);
  EXPECT_EQ(info->spec.steps[0].name, "GET /products");
  ASSERT_EQ(canaries->List().size(), 1u);

  const auto puts = sink_.puts();
  ASSERT_EQ(puts.size(), 3u);
  std::map<std::string, double> values;
  for (const auto& [ns, d] : puts) {
    EXPECT_EQ(ns, "Vigil/Canaries");
    EXPECT_EQ(d.dimensions,
              (std::vector<std::pair<std::string, std::string>>{{"CanaryName", "browse"}}));
    EXPECT_EQ(d.timestamp_ms, kNow);
    values[d.metric + "/" + d.unit] = d.value;
  }
  EXPECT_EQ(values["SuccessPercent/Percent"], 100);
  EXPECT_EQ(values["Failed/Count"], 0);
  EXPECT_EQ(values["Duration/Milliseconds"], static_cast<double>(run->duration_ms));
}

TEST_F(CanariesTest, FailingStepsSayWhyAndEndTheRun) {
  Step wrong_json = Get("/products");
  wrong_json.json_equals = {{"$.items[0].id", "2"}};
  Step not_json = Get("/page");
  not_json.json_equals = {{"$.a", "1"}};
  Step missing_text = Get("/page");
  missing_text.body_contains = "checkout";
  Step too_slow = Get("/slow?ms=150");
  too_slow.max_latency_ms = 50;
  struct Case {
    Step step;
    std::string detail;
  } cases[] = {
      {Get("/down"), "status 503, expected 2xx"},
      {wrong_json, "$.items[0].id is 1, expected 2"},
      {not_json, "body is not JSON (error at byte 1; body: '<html>shop</html>')"},
      {missing_text, "body does not contain 'checkout'"},
      {too_slow, "ms, more than the limit of 50 ms"},
  };
  std::vector<CanarySpec> specs;
  for (size_t i = 0; i < std::size(cases); ++i) {
    specs.push_back(Spec("c" + std::to_string(i), shop_.url(), {cases[i].step, Get("/products")}));
  }
  auto canaries = Start(specs);
  ASSERT_NE(canaries, nullptr);
  for (size_t i = 0; i < std::size(cases); ++i) {
    StatusOr<RunResult> run = canaries->Run("c" + std::to_string(i), "manual");
    ASSERT_TRUE(run.ok()) << run.status().ToString();
    EXPECT_FALSE(run->ok);
    ASSERT_EQ(run->steps.size(), 1u) << "the run stops at the failing step";
    EXPECT_NE(run->steps[0].detail.find(cases[i].detail), std::string::npos)
        << run->steps[0].detail;
    EXPECT_EQ(run->failure, "step '" + run->steps[0].name + "': " + run->steps[0].detail);
  }
  EXPECT_EQ(canaries->Get("c0")->failures, 1);
  double failed = 0, success = 0;
  for (const auto& [ns, d] : sink_.puts()) {
    if (d.metric == "Failed") failed += d.value;
    if (d.metric == "SuccessPercent") success += d.value;
  }
  EXPECT_EQ(failed, static_cast<double>(std::size(cases)));
  EXPECT_EQ(success, 0);
}

TEST_F(CanariesTest, TimeoutsAndRefusedConnectionsFailTheStep) {
  CanarySpec slow = Spec("slow", shop_.url(), {Get("/slow?ms=5000")});
  slow.timeout_ms = 200;
  CanarySpec refused = Spec("refused", "http://127.0.0.1:1", {Get("/")});
  auto canaries = Start({slow, refused});
  ASSERT_NE(canaries, nullptr);

  const auto start = SteadyClock::now();
  StatusOr<RunResult> run = canaries->Run("slow", "manual");
  ASSERT_TRUE(run.ok());
  EXPECT_LT(SteadyClock::now() - start, 2s);
  EXPECT_FALSE(run->ok);
  EXPECT_NE(run->failure.find("timed out after 200 ms"), std::string::npos) << run->failure;
  EXPECT_EQ(run->steps[0].status, 0);

  run = canaries->Run("refused", "manual");
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->ok);
  EXPECT_NE(run->failure.find("connecting to 127.0.0.1:1"), std::string::npos) << run->failure;
}

TEST_F(CanariesTest, AppsAreResolvedAtEachRunAndBaseUrlOverridesTheTarget) {
  CanarySpec by_app = Spec("by-app", "", {Get("/products")});
  by_app.app = "shop";
  CanarySpec lost = Spec("lost", "", {Get("/products")});
  lost.app = "gone";
  auto canaries = Start({by_app, lost});
  ASSERT_NE(canaries, nullptr);

  StatusOr<RunResult> run = canaries->Run("by-app", "manual");
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->ok) << run->failure;
  EXPECT_EQ(run->target, shop_.url());

  run = canaries->Run("lost", "manual");
  ASSERT_TRUE(run.ok());
  EXPECT_FALSE(run->ok);
  EXPECT_EQ(run->failure, "resolving app 'gone': no app named 'gone'");
  EXPECT_TRUE(run->steps.empty());

  // The deployment engine checks one new instance directly.
  run = canaries->Run("lost", "deploy", shop_.url() + "/");
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->ok) << run->failure;
  EXPECT_EQ(run->trigger, "deploy");
  EXPECT_EQ(canaries->Get("lost")->runs, 2);

  EXPECT_EQ(canaries->Run("nope", "manual").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(canaries->Get("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(canaries->Run("lost", "deploy", "ftp://x").status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(CanariesTest, ScheduledRunsComeEveryIntervalAndKeepTheLastTwenty) {
  CanarySpec every_second = Spec("every-second", shop_.url(), {Get("/products")});
  every_second.interval_ms = 1000;
  CanarySpec on_demand = Spec("on-demand", shop_.url(), {Get("/products")});
  auto canaries = Start({every_second, on_demand});
  ASSERT_NE(canaries, nullptr);

  const auto start = SteadyClock::now();
  ASSERT_TRUE(Await([&] { return canaries->Get("every-second")->runs >= 3; }));
  // The first run within the first second, then one a second: the third at about 2-3 s.
  EXPECT_GE(SteadyClock::now() - start, 1900ms);
  CanaryInfo info = *canaries->Get("every-second");
  EXPECT_EQ(info.recent.size(), static_cast<size_t>(info.runs));
  EXPECT_EQ(info.recent[0].trigger, "schedule");
  EXPECT_TRUE(info.recent[0].ok) << info.recent[0].failure;
  EXPECT_EQ(canaries->Get("on-demand")->runs, 0) << "interval 0: never scheduled";

  for (int i = 0; i < 25; ++i) ASSERT_TRUE(canaries->Run("on-demand", "manual").ok());
  info = *canaries->Get("on-demand");
  EXPECT_EQ(info.runs, 25);
  EXPECT_EQ(info.recent.size(), kRecentRuns);
}

TEST_F(CanariesTest, OneCanaryNeverRunsTwiceAtOnce) {
  CanarySpec busy = Spec("busy", shop_.url(), {Get("/busy")});
  busy.interval_ms = 1000;
  auto canaries = Start({busy});
  ASSERT_NE(canaries, nullptr);
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] { EXPECT_TRUE(canaries->Run("busy", "manual").ok()); });
  }
  for (std::thread& t : callers) t.join();
  ASSERT_TRUE(Await([&] { return canaries->Get("busy")->runs >= 5; }));
  EXPECT_EQ(shop_.max_in_flight(), 1);
}

TEST_F(CanariesTest, StopIsPromptWithARunInFlight) {
  CanarySpec slow = Spec("slow", shop_.url(), {Get("/slow?ms=300"), Get("/slow?ms=300")});
  slow.interval_ms = 1000;
  auto canaries = Start({slow});
  ASSERT_NE(canaries, nullptr);
  ASSERT_TRUE(Await([&] { return shop_.slow_requests() >= 1; }));
  const auto start = SteadyClock::now();
  canaries->Stop();
  // Stop waits for the step in flight (bounded by its timeout); the second step never starts.
  EXPECT_LT(SteadyClock::now() - start, 1000ms);
  EXPECT_EQ(shop_.slow_requests(), 1);
  EXPECT_EQ(canaries->Get("slow")->runs, 0) << "an abandoned run is not recorded";
  EXPECT_EQ(canaries->Run("slow", "manual").status().code(), StatusCode::kUnavailable);
  canaries->Stop();  // idempotent
}

TEST(CanariesStartTest, BadSpecsAreRefusedNamingCanaryAndField) {
  testutil::ManualClock clock(kNow);
  auto start = [&](std::vector<CanarySpec> specs, bool resolver) {
    CanaryOptions o;
    o.canaries = std::move(specs);
    o.clock = &clock;
    o.logger = &NullLogger();
    if (resolver)
      o.resolve_app = [](const std::string&) -> StatusOr<AppEndpoint> { return AppEndpoint(); };
    return Canaries::Start(std::move(o)).status();
  };
  const CanarySpec good = Spec("a", "http://127.0.0.1:9", {Get("/")});
  CanarySpec bad_interval = good;
  bad_interval.interval_ms = 10;
  CanarySpec by_app = Spec("b", "", {Get("/")});
  by_app.app = "shop";
  EXPECT_TRUE(start({good, by_app}, true).ok());
  EXPECT_EQ(start({good, good}, true).message(), "canary 'a': name: given twice");
  EXPECT_EQ(start({bad_interval}, true).message(),
            "canary 'a': interval: must be at least 1s (or 0: on demand only), got 10ms");
  EXPECT_EQ(start({by_app}, false).message(), "canary 'b': app: no resolve_app to find 'shop'");
  EXPECT_EQ(Canaries::Start(CanaryOptions{}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::canary
