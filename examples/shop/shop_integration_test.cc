// End-to-end tests of the real vigil-shop and vigil-shop-load binaries: each test starts shops
// on free ports with a temporary database and drives them over HTTP.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "api/cloudwatch_decode.h"
#include "auth/auth.h"
#include "common/clock.h"
#include "http/http.h"
#include "storage/test_util.h"
#include "tests/testutil/process.h"
#include "tests/testutil/sigv4_signer.h"

namespace vigil::shop {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using testutil::HttpResponse;

constexpr auto kStartTimeout = 10s;

// A vigil-shop process and a client on its port.
class RunningShop {
 public:
  // Starts vigil-shop with --port 0 --db `db` and `args`; waits until it listens.
  static void Start(const std::string& db, std::vector<std::string> args,
                    std::vector<std::pair<std::string, std::optional<std::string>>> env,
                    std::unique_ptr<RunningShop>* out) {
    testutil::SpawnOptions spawn;
    spawn.argv = {VIGIL_SHOP_BINARY, "--port", "0", "--db", db};
    spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
    spawn.env = std::move(env);
    auto process = testutil::Process::Spawn(spawn);
    ASSERT_TRUE(process.ok()) << process.status().ToString();
    auto listening =
        (*process)->WaitForLine(std::regex("listening on [0-9.]+:([0-9]+)"), kStartTimeout);
    ASSERT_TRUE(listening.has_value()) << (*process)->Stdout() << (*process)->Stderr();
    out->reset(new RunningShop(std::move(process).value(),
                               static_cast<uint16_t>(std::stoi((*listening)[1]))));
  }

  HttpResponse Get(const std::string& target) { return Send("GET", target, ""); }
  HttpResponse Post(const std::string& target, const std::string& body) {
    return Send("POST", target, body);
  }
  // A JSON answer's document, after checking its status and version header.
  Json GetJson(const std::string& target, int status = 200) { return Parse(Get(target), status); }
  Json PostJson(const std::string& target, const std::string& body, int status = 200) {
    return Parse(Post(target, body), status);
  }

  uint16_t port() const { return port_; }
  testutil::Process& process() { return *process_; }

 private:
  RunningShop(std::unique_ptr<testutil::Process> process, uint16_t port)
      : process_(std::move(process)), port_(port), client_(port) {}

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body) {
    testutil::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    StatusOr<HttpResponse> response = client_.Send(request, 10s);
    EXPECT_TRUE(response.ok()) << method << " " << target << ": " << response.status().ToString();
    return response.ok() ? *response : HttpResponse{};
  }

  static Json Parse(const HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(response.Header("Content-Type"), "application/json");
    Json doc = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(doc.is_discarded()) << response.body;
    return doc;
  }

  std::unique_ptr<testutil::Process> process_;
  uint16_t port_;
  testutil::HttpClient client_;
};

// Sends one GET on a connection of its own, from another thread; the future holds the answer's
// status (0 when none came).
std::future<int> GetAsync(uint16_t port, std::string target) {
  return std::async(std::launch::async, [port, target = std::move(target)] {
    testutil::HttpClient client(port);
    testutil::HttpRequest request;
    request.method = "GET";
    request.target = target;
    StatusOr<HttpResponse> r = client.Send(request, 10s);
    return r.ok() ? r->status : 0;
  });
}

// Runs vigil-shop-load --json against `url` for a second at 200 requests/s; its summary.
Json RunLoad(const std::string& url) {
  testutil::SpawnOptions load;
  load.argv = {VIGIL_SHOP_LOAD_BINARY, "--url", url, "--rate", "200", "--duration", "1s", "--json"};
  StatusOr<testutil::CommandResult> run = testutil::RunCommand(load, 30s);
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  if (!run.ok()) return Json();
  EXPECT_TRUE(run->status.ok()) << run->err;
  Json summary = Json::parse(run->out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(summary.is_object()) << run->out << run->err;
  return summary;
}

class ShopTest : public ::testing::Test {
 protected:
  void StartShop(std::vector<std::string> args = {},
                 std::vector<std::pair<std::string, std::optional<std::string>>> env = {}) {
    RunningShop::Start(db(), std::move(args), std::move(env), &shop_);
  }
  std::string db() const { return dir_.Sub("shop.db"); }

  // Puts `products` in the user's cart (one each) and checks out; returns the order.
  static Json Buy(RunningShop& shop, const std::string& user, const std::vector<int>& products) {
    for (int id : products) {
      shop.PostJson("/cart/" + user + "/items", Json{{"product_id", id}}.dump());
    }
    return shop.PostJson("/cart/" + user + "/checkout", "");
  }

  storage::TempDir dir_;
  std::unique_ptr<RunningShop> shop_;
};

TEST_F(ShopTest, BrowseCartCheckoutAndRecommendations) {
  ASSERT_NO_FATAL_FAILURE(StartShop({"--version-label", "v7"}));
  RunningShop& shop = *shop_;
  Json products = shop.GetJson("/products");
  ASSERT_EQ(products["products"].size(), 12u);
  EXPECT_EQ(products["products"][0],
            (Json{{"id", 1}, {"name", "Espresso beans 1 kg"}, {"price_cents", 2490}}));
  EXPECT_EQ(shop.GetJson("/products/4")["name"], "Paper filters (100)");

  shop.PostJson("/cart/ann/items", R"({"product_id": 1, "quantity": 2})");
  Json cart = shop.PostJson("/cart/ann/items", R"({"product_id": 4})");
  EXPECT_EQ(cart["user"], "ann");
  ASSERT_EQ(cart["items"].size(), 2u);
  EXPECT_EQ(cart["items"][0], (Json{{"product_id", 1},
                                    {"name", "Espresso beans 1 kg"},
                                    {"quantity", 2},
                                    {"price_cents", 2490}}));
  EXPECT_EQ(cart["total_cents"], 2 * 2490 + 650);
  EXPECT_EQ(shop.GetJson("/cart/ann"), cart);

  Json order = shop.PostJson("/cart/ann/checkout", "");
  EXPECT_GT(order["order_id"].get<int64_t>(), 0);
  EXPECT_EQ(order["user"], "ann");
  EXPECT_EQ(order["items"], cart["items"]);
  EXPECT_EQ(order["total_cents"], 2 * 2490 + 650);
  EXPECT_TRUE(shop.GetJson("/cart/ann")["items"].empty());

  Buy(shop, "bob", {1, 6});
  Buy(shop, "carol", {4, 7});
  // ann bought {1, 4}: her neighbours are bob (1) and carol (4); each bought one more product.
  Json rec = shop.GetJson("/recommendations?user=ann&limit=5");
  EXPECT_EQ(rec["basis"], "co-purchase");
  EXPECT_EQ(rec["population"], 2);
  ASSERT_EQ(rec["recommendations"].size(), 2u);
  EXPECT_EQ(
      rec["recommendations"][0],
      (Json{{"product_id", 6}, {"name", "Digital scale"}, {"probability", 0.5}, {"customers", 1}}));
  EXPECT_EQ(rec["recommendations"][1]["product_id"], 7);
  EXPECT_EQ(rec["recommendations"][1]["probability"], 0.5);
  // A new customer gets purchase shares over the three customers.
  rec = shop.GetJson("/recommendations?user=zed&limit=3");
  EXPECT_EQ(rec["basis"], "popularity");
  ASSERT_EQ(rec["recommendations"].size(), 3u);
  EXPECT_EQ(rec["recommendations"][0]["product_id"], 1);
  EXPECT_DOUBLE_EQ(rec["recommendations"][0]["probability"].get<double>(), 2.0 / 3);
  EXPECT_EQ(rec["recommendations"][1]["product_id"], 4);
  EXPECT_EQ(rec["recommendations"][2]["product_id"], 6);
  EXPECT_DOUBLE_EQ(rec["recommendations"][2]["probability"].get<double>(), 1.0 / 3);

  EXPECT_EQ(shop.GetJson("/version"), (Json{{"version", "v7"}}));
  HttpResponse health = shop.Get("/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  HttpResponse metrics = shop.Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("shop_purchases_total 3\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("shop_checkout_latency_seconds_count 3\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("shop_http_requests_total{path=\"/cart/{user}/checkout\","
                              "code=\"200\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(shop.Get("/nowhere").Header("X-Shop-Version"), "v7");
  EXPECT_EQ(health.Header("X-Shop-Version"), "v7");
}

TEST_F(ShopTest, BadInputIs400AndUnknownIs404) {
  ASSERT_NO_FATAL_FAILURE(StartShop());
  RunningShop& shop = *shop_;
  struct Case {
    const char* method;
    const char* target;
    const char* body;
    int status;
  };
  const Case kCases[] = {
      {"GET", "/products/abc", "", 400},
      {"GET", "/products/999", "", 404},
      {"POST", "/cart/ann/items", "not json", 400},
      {"POST", "/cart/ann/items", R"({"quantity": 1})", 400},
      {"POST", "/cart/ann/items", R"({"product_id": "1"})", 400},
      {"POST", "/cart/ann/items", R"({"product_id": 1, "quantity": 0})", 400},
      {"POST", "/cart/ann/items", R"({"product_id": 999})", 404},
      {"POST", "/cart/bad%20name/items", R"({"product_id": 1})", 400},
      {"POST", "/cart/ann/checkout", "", 400},  // the cart is empty
      {"GET", "/recommendations", "", 400},
      {"GET", "/recommendations?user=ann&limit=x", "", 400},
      {"GET", "/nowhere", "", 404},
      {"GET", "/cart/ann/elsewhere", "", 404},
      {"POST", "/products", "", 405},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target + " " + c.body);
    Json doc = std::string(c.method) == "GET" ? shop.GetJson(c.target, c.status)
                                              : shop.PostJson(c.target, c.body, c.status);
    EXPECT_TRUE(doc.contains("error")) << doc.dump();
  }
}

TEST_F(ShopTest, ErrorRateFaultAnswers500EverywhereButHealth) {
  ASSERT_NO_FATAL_FAILURE(StartShop({"--fault-error-rate", "1.0"}));
  for (const char* target : {"/products", "/products/1", "/version", "/metrics"}) {
    HttpResponse r = shop_->Get(target);
    EXPECT_EQ(r.status, 500) << target;
    EXPECT_EQ(r.Header("X-Shop-Version"), "dev");
  }
  EXPECT_EQ(shop_->Post("/cart/ann/items", R"({"product_id": 1})").status, 500);
  EXPECT_EQ(shop_->Get("/health").status, 200);
}

TEST_F(ShopTest, ErrorRateFaultFailsThatFractionExactly) {
  ASSERT_NO_FATAL_FAILURE(StartShop({}, {{"SHOP_FAULT_ERROR_RATE", "0.25"}}));
  int failed = 0;
  for (int i = 0; i < 40; ++i) failed += shop_->Get("/products").status == 500;
  EXPECT_EQ(failed, 10);
}

TEST_F(ShopTest, UnhealthyFaultFailsHealthOnly) {
  ASSERT_NO_FATAL_FAILURE(StartShop({"--fault-unhealthy"}));
  EXPECT_EQ(shop_->Get("/health").status, 503);
  EXPECT_EQ(shop_->Get("/products").status, 200);
}

TEST_F(ShopTest, CrashOnStartExitsNonZeroBeforeListening) {
  testutil::SpawnOptions spawn;
  spawn.argv = {VIGIL_SHOP_BINARY, "--port", "0", "--db", db()};
  spawn.env = {{"SHOP_FAULT_CRASH_ON_START", "1"}};
  StatusOr<testutil::CommandResult> result = testutil::RunCommand(spawn, kStartTimeout);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->status.exited);
  EXPECT_EQ(result->status.code, 1);
  EXPECT_NE(result->out.find("crashing on start"), std::string::npos) << result->out;
  EXPECT_EQ(result->out.find("listening"), std::string::npos) << result->out;
}

TEST_F(ShopTest, LatencyFaultDelaysRequestsButNotHealthOrEachOther) {
  ASSERT_NO_FATAL_FAILURE(StartShop({"--fault-latency-ms", "400"}));
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<int>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(GetAsync(shop_->port(), "/products?n=" + std::to_string(i)));
  }
  // All three are held; /health still answers at once.
  for (int i = 0; i < 3; ++i) {
    const std::regex held("holding GET /products\\?n=" + std::to_string(i) + " ");
    ASSERT_TRUE(shop_->process().WaitForLine(held, kStartTimeout).has_value());
  }
  EXPECT_EQ(shop_->Get("/health").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
  for (auto& f : slow) EXPECT_EQ(f.get(), 200);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 400ms);
  EXPECT_LT(elapsed, 1200ms);  // held side by side, not one after another
}

TEST_F(ShopTest, SigtermFinishesRequestsInFlightAndExitsZero) {
  ASSERT_NO_FATAL_FAILURE(StartShop({"--fault-latency-ms", "300"}));
  std::future<int> slow = GetAsync(shop_->port(), "/version");
  ASSERT_TRUE(
      shop_->process().WaitForLine(std::regex("holding GET /version"), kStartTimeout).has_value());
  ASSERT_TRUE(shop_->process().Signal(SIGTERM));
  EXPECT_EQ(slow.get(), 200);  // answered, not cut off
  std::optional<testutil::ExitStatus> status = shop_->process().Wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->ok()) << status->ToString();
  EXPECT_NE(shop_->process().Stdout().find("INFO shop: stopped"), std::string::npos);
}

TEST_F(ShopTest, ThreeProcessesShareOneDatabase) {
  std::vector<std::unique_ptr<RunningShop>> shops(3);
  std::vector<std::thread> starters;
  for (auto& shop : shops) {
    starters.emplace_back([&] { RunningShop::Start(db(), {}, {}, &shop); });
  }
  for (std::thread& t : starters) t.join();
  for (auto& shop : shops) ASSERT_NE(shop, nullptr);
  // Each process serves its own customers at the same time.
  std::vector<std::thread> buyers;
  for (size_t i = 0; i < shops.size(); ++i) {
    buyers.emplace_back([&, i] {
      for (int n = 0; n < 5; ++n) {
        Buy(*shops[i], "p" + std::to_string(i) + "u" + std::to_string(n),
            {static_cast<int>(i) + 1, 12});
      }
    });
  }
  for (std::thread& t : buyers) t.join();
  // Every process sees all fifteen customers: popularity over 15, product 12 bought by all.
  for (auto& shop : shops) {
    Json rec = shop->GetJson("/recommendations?user=newcomer&limit=1");
    EXPECT_EQ(rec["population"], 15);
    EXPECT_EQ(rec["recommendations"][0]["product_id"], 12);
    EXPECT_EQ(rec["recommendations"][0]["probability"], 1.0);
    EXPECT_EQ(shop->GetJson("/products")["products"].size(), 12u);  // seeded once
  }
}

// A stand-in for Vigil's CloudWatch endpoint: verifies each request's SigV4 signature with
// Vigil's verifier and keeps the PutMetricData inputs, decoded by Vigil's own decoder.
class FakeVigil {
 public:
  FakeVigil() {
    keys_.Put({"AKIDSHOP", "shop-secret"});
    router_.Handle("POST", "/", [this](const http::Request& r) {
      auth::SignedRequest signed_request{r.method, r.path, r.query, &r.headers, r.body};
      auth::VerifyResult verified = verifier_.Verify(signed_request);
      std::string action;
      api::ApiOr<api::DecodedRequest> decoded = api::DecodeQueryRequest(r.body, &action);
      std::lock_guard lock(mu_);
      if (!verified.ok() || verified.identity->service != "monitoring" || !decoded.ok()) {
        ++rejected_;
      } else {
        inputs_.push_back(std::get<api::PutMetricDataInput>(decoded.value().input));
      }
      cv_.notify_all();
      return http::Response::Text(verified.ok() ? 200 : 403, "");
    });
    http::ServerOptions options;
    options.port = 0;
    options.logger = &NullLogger();
    server_ = std::make_unique<http::Server>(options, &router_);
    EXPECT_TRUE(server_->Start().ok());
  }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  // Waits until a received datum of `metric` satisfies `match`; false at the deadline.
  bool WaitForDatum(const std::string& metric,
                    const std::function<bool(const api::MetricDatumInput&)>& match) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] {
      for (const api::PutMetricDataInput& in : inputs_) {
        if (in.ns != "Shop" || !in.metric_data) continue;
        for (const api::MetricDatumInput& d : *in.metric_data) {
          if (d.metric_name == metric && match(d)) return true;
        }
      }
      return false;
    });
  }
  int rejected() {
    std::lock_guard lock(mu_);
    return rejected_;
  }

 private:
  auth::KeyStore keys_;
  SystemClock clock_;
  auth::SigV4Verifier verifier_{&keys_, &clock_, {}};
  http::Router router_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<api::PutMetricDataInput> inputs_;  // guarded by mu_
  int rejected_ = 0;                             // guarded by mu_
  std::unique_ptr<http::Server> server_;
};

TEST_F(ShopTest, PublishesSignedCheckoutMetricsToVigil) {
  FakeVigil vigil;
  ASSERT_NO_FATAL_FAILURE(StartShop({}, {{"VIGIL_ENDPOINT", vigil.endpoint()},
                                         {"VIGIL_ACCESS_KEY_ID", "AKIDSHOP"},
                                         {"VIGIL_SECRET_ACCESS_KEY", "shop-secret"},
                                         {"VIGIL_APP", "shop-canary"},
                                         {"SHOP_METRICS_INTERVAL_MS", "100"}}));
  Buy(*shop_, "ann", {1});
  Buy(*shop_, "bob", {2});
  auto app_is = [](const api::MetricDatumInput& d) {
    return d.dimensions.size() == 1 && d.dimensions[0].name == "App" &&
           d.dimensions[0].value == "shop-canary";
  };
  EXPECT_TRUE(vigil.WaitForDatum("CheckoutLatency", [&](const api::MetricDatumInput& d) {
    return app_is(d) && d.unit == "Milliseconds" && d.values && !d.values->empty() &&
           d.values->front() > 0;
  }));
  // The two purchases may fall into one period or two.
  EXPECT_TRUE(vigil.WaitForDatum("Purchases", [&](const api::MetricDatumInput& d) {
    return app_is(d) && d.unit == "Count" && d.value.value_or(0) >= 1;
  }));
  EXPECT_EQ(vigil.rejected(), 0);
}

TEST_F(ShopTest, LoadGeneratorCountsEveryRequestAndFailure) {
  ASSERT_NO_FATAL_FAILURE(StartShop({"--version-label", "v1"}));
  Json summary = RunLoad("http://127.0.0.1:" + std::to_string(shop_->port()));
  EXPECT_GE(summary["requests"].get<int>(), 150);
  EXPECT_EQ(summary["failed"], 0);
  EXPECT_EQ(summary["versions"], (Json{{"v1", summary["requests"]}}));
  EXPECT_GT(summary["p99_ms"].get<double>(), 0);

  // Against a shop that fails every request, and then against nothing at all: every request
  // counts as failed, none is retried.
  std::unique_ptr<RunningShop> failing;
  ASSERT_NO_FATAL_FAILURE(
      RunningShop::Start(dir_.Sub("other.db"), {"--fault-error-rate", "1"}, {}, &failing));
  const std::string url = "http://127.0.0.1:" + std::to_string(failing->port());
  summary = RunLoad(url);
  EXPECT_GT(summary["requests"].get<int>(), 0);
  EXPECT_EQ(summary["failed"], summary["requests"]);
  EXPECT_EQ(summary["versions"], (Json{{"dev", summary["requests"]}}));

  ASSERT_TRUE(failing->process().Signal(SIGTERM));
  ASSERT_TRUE(failing->process().Wait(10s).has_value());
  summary = RunLoad(url);
  EXPECT_GT(summary["requests"].get<int>(), 0);
  EXPECT_EQ(summary["failed"], summary["requests"]);
  EXPECT_TRUE(summary["versions"].empty());
}

}  // namespace
}  // namespace vigil::shop
