#include "examples/shop/publisher.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <utility>

#include "auth/auth.h"
#include "http/client.h"
#include "http/fetch.h"

namespace vigil::shop {
namespace {

constexpr size_t kMaxValuesPerDatum = 150;
// Vigil answers in milliseconds; longer means it is in trouble, and the shop's SIGTERM waits for
// the last publish.
constexpr std::chrono::milliseconds kPublishTimeout{2000};

std::string FormatNumber(double v) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof(text), v).ptr);
}

// Appends "&MetricData.member.N.<field>=<value>" pairs for one datum.
class DatumWriter {
 public:
  DatumWriter(std::string* body, int index)
      : body_(body), prefix_("&MetricData.member." + std::to_string(index) + ".") {}
  void Field(const std::string& name, std::string_view value) {
    *body_ += prefix_ + name + "=" + http::PercentEncode(value);
  }
  void Head(std::string_view metric, std::string_view unit, std::string_view app) {
    Field("MetricName", metric);
    Field("Unit", unit);
    Field("Dimensions.member.1.Name", "App");
    Field("Dimensions.member.1.Value", app);
  }

 private:
  std::string* body_;
  std::string prefix_;
};

}  // namespace

std::string PutMetricDataBody(const Period& period, const std::string& app) {
  std::string body = "Action=PutMetricData&Version=2010-08-01&Namespace=Shop";
  int datum = 0;
  DatumWriter purchases(&body, ++datum);
  purchases.Head("Purchases", "Count", app);
  purchases.Field("Value", std::to_string(period.purchases));

  std::map<double, int64_t> counts;  // latency rounded to the microsecond -> occurrences
  for (double ms : period.checkout_latency_ms) ++counts[std::round(ms * 1000) / 1000];
  auto it = counts.begin();
  while (it != counts.end()) {
    DatumWriter latency(&body, ++datum);
    latency.Head("CheckoutLatency", "Milliseconds", app);
    for (size_t i = 1; i <= kMaxValuesPerDatum && it != counts.end(); ++i, ++it) {
      latency.Field("Values.member." + std::to_string(i), FormatNumber(it->first));
      latency.Field("Counts.member." + std::to_string(i), std::to_string(it->second));
    }
  }
  return body;
}

Publisher::Publisher(const ShopOptions& options, ShopMetrics* metrics, Logger* logger)
    : options_(options), metrics_(metrics), logger_(logger) {}

Publisher::~Publisher() { Stop(); }

Status Publisher::Start() {
  RETURN_IF_ERROR(http::ParseUrl(options_.vigil_endpoint).status());
  thread_ = std::thread([this] { Run(); });
  logger_->Info("publisher", "publishing metrics to " + options_.vigil_endpoint + " every " +
                                 std::to_string(options_.metrics_interval_ms) + " ms");
  return OkStatus();
}

void Publisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Publisher::Run() {
  const auto interval = std::chrono::milliseconds(options_.metrics_interval_ms);
  auto next = std::chrono::steady_clock::now() + interval;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (cv_.wait_until(lock, next, [this] { return stopping_; })) break;
    next += interval;
    lock.unlock();
    PublishOnce();
    lock.lock();
  }
  lock.unlock();
  PublishOnce();  // the last partial period
}

void Publisher::PublishOnce() {
  const std::string body = PutMetricDataBody(metrics_->TakePeriod(), options_.app);
  StatusOr<http::Url> url = http::ParseUrl(options_.vigil_endpoint);  // checked by Start()
  http::ClientRequest request;
  request.method = "POST";
  request.target = url->path.empty() ? "/" : url->path;
  request.headers = {{"Host", url->HostHeader()},
                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = body;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  auth::SignRequest({options_.access_key_id, options_.secret_access_key}, options_.region,
                    "monitoring", now_ms, request.method, request.target, &request.headers,
                    request.body);
  http::FetchOptions fetch;
  fetch.timeout = kPublishTimeout;
  StatusOr<http::ClientResponse> response = http::Fetch(options_.vigil_endpoint, request, fetch);
  if (!response.ok()) {
    logger_->Warning("publisher", "PutMetricData failed: " + response.status().ToString());
  } else if (response->status != 200) {
    logger_->Warning("publisher", "PutMetricData answered " + std::to_string(response->status) +
                                      ": " + response->body.substr(0, 300));
  }
}

}  // namespace vigil::shop
