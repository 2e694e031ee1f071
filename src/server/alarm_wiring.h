#pragma once
// What the alarms engine needs from the rest of Vigil, adapted here (the only module that
// knows them all): datapoints from the metrics store, and actions — webhooks, restarts of an
// app's unhealthy instances, rollbacks.
#include <string>

#include "alarms/alarms.h"
#include "common/logging.h"
#include "fleet/fleet.h"
#include "http/fetch.h"
#include "tsdb/tsdb.h"

namespace vigil::server {

// The alarm's datapoints through GetMetricData's planner and evaluator: a single-metric
// alarm is one MetricStat query, a metric-math alarm its Metrics; the query that returns data
// gives one value per period.
class StoreMetricReader final : public alarms::MetricReader {
 public:
  explicit StoreMetricReader(const tsdb::Db* db) : db_(db) {}
  StatusOr<std::vector<std::optional<double>>> Read(const alarms::MetricAlarm& alarm,
                                                    int64_t start_ms, int count) override;

 private:
  const tsdb::Db* db_;
};

// Where `vigil:rollback:<app>` goes. The deployment engine implements it; until an app has
// been deployed there is no earlier version, and the action says so.
class Rollbacks {
 public:
  virtual ~Rollbacks() = default;
  // FailedPrecondition when there is nothing to roll back to (not retried).
  virtual Status Rollback(const std::string& app, const std::string& why) = 0;
};

// Apps run from the configuration only: nothing was deployed, so nothing can be rolled back.
class NoDeployments final : public Rollbacks {
 public:
  Status Rollback(const std::string& app, const std::string& why) override;
};

struct WebhookOptions {
  std::string secret;  // HMAC-SHA256 key of X-Vigil-Signature
  http::FetchOptions fetch;
  std::string region = "us-east-1";
  std::string account = "000000000000";
};

// Runs alarm actions:
//   http://…, https://…   POST of CloudWatch's SNS alarm message (JSON), signed:
//                         X-Vigil-Timestamp: <epoch seconds>
//                         X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<ts>.<body>")>
//                         a 2xx answer is success; 4xx (but 408, 429) is not retried.
//   vigil:restart:<app>   Fleet::RestartUnhealthy.
//   vigil:rollback:<app>  Rollbacks::Rollback.
class ActionDispatcher final : public alarms::ActionRunner {
 public:
  ActionDispatcher(fleet::Fleet* fleet, Rollbacks* rollbacks, WebhookOptions options,
                   Logger* logger)
      : fleet_(fleet), rollbacks_(rollbacks), options_(std::move(options)), logger_(logger) {}
  Status Validate(const std::string& action) const override;
  Status Run(const std::string& action, const alarms::Notification& n) override;

  // The webhook body for a notification (exposed for tests).
  std::string Message(const alarms::Notification& n) const;
  // "sha256=<hex>" over "<timestamp>.<body>".
  std::string Signature(const std::string& timestamp, const std::string& body) const;

 private:
  fleet::Fleet* fleet_;  // may be null: no apps
  Rollbacks* rollbacks_;
  WebhookOptions options_;
  Logger* logger_;
};

}  // namespace vigil::server
