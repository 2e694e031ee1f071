#pragma once
// Shared by the CloudWatch fuzz targets: takes a decoded request as far as it goes without a
// store — each operation's plan (validation, metric math parsing, list tokens).
#include <variant>

#include "api/cloudwatch_ops.h"
#include "api/cloudwatch_types.h"

namespace vigil::fuzz {

inline void PlanDecoded(const api::DecodedRequest& request) {
  constexpr int64_t kNow = 1'795'694'400'000;
  if (const auto* put = std::get_if<api::PutMetricDataInput>(&request.input)) {
    (void)api::PlanPutMetricData(*put, kNow);
  } else if (const auto* stats = std::get_if<api::GetMetricStatisticsInput>(&request.input)) {
    (void)api::PlanGetMetricStatistics(*stats);
  } else if (const auto* data = std::get_if<api::GetMetricDataInput>(&request.input)) {
    (void)api::PlanGetMetricData(*data);
  } else if (const auto* list = std::get_if<api::ListMetricsInput>(&request.input)) {
    (void)api::PlanListMetrics(*list, kNow);
  }
}

}  // namespace vigil::fuzz
