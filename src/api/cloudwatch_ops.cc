#include "api/cloudwatch_ops.h"

namespace vigil::api {
namespace {

ApiOr<CloudWatchOutput> RunPutMetricData(const PutMetricDataInput& in, tsdb::Db& db,
                                         int64_t now_ms) {
  auto batch = PlanPutMetricData(in, now_ms);
  if (!batch.ok()) return batch.error();
  if (Status s = db.Append(batch.value()); !s.ok()) return ErrorFromStatus(s);
  return CloudWatchOutput(std::monostate());
}

ApiOr<CloudWatchOutput> RunGetMetricStatistics(const GetMetricStatisticsInput& in,
                                               const tsdb::Db& db) {
  auto plan = PlanGetMetricStatistics(in);
  if (!plan.ok()) return plan.error();
  auto datapoints = db.GetStatistics(plan->query);
  if (!datapoints.ok()) return ErrorFromStatus(datapoints.status());
  return CloudWatchOutput(MakeStatisticsOutput(plan.value(), datapoints.value()));
}

ApiOr<CloudWatchOutput> RunGetMetricDataOp(const GetMetricDataInput& in, const tsdb::Db& db) {
  auto plan = PlanGetMetricData(in);
  if (!plan.ok()) return plan.error();
  auto out = RunGetMetricData(plan.value(), db);
  if (!out.ok()) return out.error();
  return CloudWatchOutput(std::move(out).value());
}

ApiOr<CloudWatchOutput> RunListMetrics(const ListMetricsInput& in, const tsdb::Db& db,
                                       int64_t now_ms) {
  auto query = PlanListMetrics(in, now_ms);
  if (!query.ok()) return query.error();
  auto result = db.ListSeries(query.value());
  if (!result.ok()) return ErrorFromStatus(result.status());
  return CloudWatchOutput(MakeListOutput(std::move(result).value()));
}

}  // namespace

ApiOr<CloudWatchOutput> Execute(const DecodedRequest& request, tsdb::Db& db, int64_t now_ms) {
  return std::visit(
      [&](const auto& in) -> ApiOr<CloudWatchOutput> {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, PutMetricDataInput>) {
          return RunPutMetricData(in, db, now_ms);
        } else if constexpr (std::is_same_v<T, GetMetricStatisticsInput>) {
          return RunGetMetricStatistics(in, db);
        } else if constexpr (std::is_same_v<T, GetMetricDataInput>) {
          return RunGetMetricDataOp(in, db);
        } else if constexpr (std::is_same_v<T, ListMetricsInput>) {
          return RunListMetrics(in, db, now_ms);
        } else {
          return ApiError{ErrorCode::kInternalServiceError,
                          "an alarm operation needs the alarms engine (ExecuteAlarmOperation)"};
        }
      },
      request.input);
}

}  // namespace vigil::api
