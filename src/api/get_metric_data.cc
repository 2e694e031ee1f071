// GetMetricData's rules (CloudWatch API reference, GetMetricData) and its pagination.
//
// Pages: the datapoints of the returned queries, query by query, in ScanBy order, at most
// MaxDatapoints per page. NextToken names the query to continue with and the timestamp of the
// last datapoint already returned for it, so a page is computed by narrowing that query's
// window rather than recomputing and skipping what earlier pages returned.
#include <algorithm>
#include <charconv>
#include <set>
#include <string>

#include "api/cloudwatch_ops.h"
#include "api/text.h"

namespace vigil::api {
namespace {

constexpr std::string_view kTokenPrefix = "gmd1:";

std::string EncodeToken(size_t num_queries, size_t index, std::optional<int64_t> after_ms) {
  std::string raw(kTokenPrefix);
  raw += std::to_string(num_queries);
  raw += ':';
  raw += std::to_string(index);
  raw += ':';
  raw += after_ms ? std::to_string(*after_ms) : "-";
  return Base64Encode(raw);
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size() && !text.empty();
}

// Fills plan->start_query / after_ms from `token`; false when it is not a token of a request
// with this many queries.
bool DecodeToken(std::string_view token, MetricDataPlan* plan) {
  const std::optional<std::string> raw = Base64Decode(token);
  if (!raw || !raw->starts_with(kTokenPrefix)) return false;
  const std::string_view rest = std::string_view(*raw).substr(kTokenPrefix.size());
  const size_t c1 = rest.find(':');
  const size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  size_t num_queries, index;
  if (!ParseNumber(rest.substr(0, c1), &num_queries) ||
      !ParseNumber(rest.substr(c1 + 1, c2 - c1 - 1), &index)) {
    return false;
  }
  if (num_queries != plan->queries.size() || index >= num_queries) return false;
  const std::string_view after = rest.substr(c2 + 1);
  if (after != "-") {
    int64_t ms;
    if (!ParseNumber(after, &ms)) return false;
    plan->after_ms = ms;
  }
  plan->start_query = index;
  return true;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 255 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

ApiOr<MetricDataPlan::Query> PlanQuery(const MetricDataQueryInput& q, const std::string& p,
                                       int64_t start_ms, int64_t end_ms) {
  if (q.metric_stat && q.expression) {
    return ApiError{ErrorCode::kInvalidParameterCombination,
                    "The parameters " + p + "MetricStat and " + p +
                        "Expression are mutually exclusive and you have specified both."};
  }
  if (q.expression) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "Metric math expressions are not supported yet (" + p + "Expression)."};
  }
  if (!q.metric_stat) {
    return ApiError{ErrorCode::kMissingParameter, "At least one of the parameters " + p +
                                                      "MetricStat or " + p +
                                                      "Expression must be specified."};
  }
  const MetricStatInput& ms = *q.metric_stat;
  const std::string sp = p + "MetricStat.";
  if (!ms.has_metric) return MissingParameter(sp + "Metric");
  if (auto e = CheckNamespace(ms.ns, /*for_write=*/false, sp + "Metric.Namespace")) return *e;
  if (auto e = CheckMetricName(ms.metric_name, sp + "Metric.MetricName")) return *e;
  auto dims = CheckDimensions(ms.dimensions, sp + "Metric.Dimensions");
  if (!dims.ok()) return dims.error();
  if (auto e = CheckPeriod(ms.period, sp + "Period")) return *e;
  if (!ms.stat) return MissingParameter(sp + "Stat");
  const std::optional<Statistic> stat = ParseStatistic(*ms.stat);
  if (!stat) {
    ApiError e = InvalidValue(*ms.stat, sp + "Stat");
    e.message +=
        " Supported statistics are SampleCount, Average, Sum, Minimum, Maximum and "
        "percentiles pNN or pNN.NN.";
    return e;
  }
  if (auto e = CheckUnit(ms.unit, sp + "Unit")) return *e;
  if (q.label && !IsValidText(*q.label)) {
    ApiError e = InvalidValue(*q.label, p + "Label");
    e.message += " Labels must be UTF-8 text without control characters.";
    return e;
  }

  MetricDataPlan::Query out;
  out.id = *q.id;
  out.label = q.label.value_or(*ms.metric_name);
  out.return_data = q.return_data.value_or(true);
  out.stat = *stat;
  out.query.key = tsdb::SeriesKey{*ms.ns, *ms.metric_name, std::move(dims).value()};
  out.query.unit = ms.unit;
  out.query.start_ms = start_ms;
  out.query.end_ms = end_ms;
  out.query.period_ms = *ms.period * 1000;
  if (stat->kind == Statistic::Kind::kPercentile) out.query.percentiles = {stat->percentile};
  return out;
}

}  // namespace

ApiOr<MetricDataPlan> PlanGetMetricData(const GetMetricDataInput& in) {
  if (!in.queries || in.queries->empty()) return MissingParameter("MetricDataQueries");
  if (in.queries->size() > kMaxMetricDataQueries) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The collection MetricDataQueries must not have a size greater than 500."};
  }
  if (!in.start_ms) return MissingParameter("StartTime");
  if (!in.end_ms) return MissingParameter("EndTime");
  if (*in.start_ms >= *in.end_ms) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The parameter StartTime must be less than the parameter EndTime."};
  }
  MetricDataPlan plan;
  if (in.scan_by) {
    if (*in.scan_by == "TimestampAscending") {
      plan.ascending = true;
    } else if (*in.scan_by != "TimestampDescending") {
      ApiError e = InvalidValue(*in.scan_by, "ScanBy");
      e.message += " Valid values are TimestampDescending and TimestampAscending.";
      return e;
    }
  }
  if (in.max_datapoints) {
    if (*in.max_datapoints <= 0) {
      return InvalidValue(std::to_string(*in.max_datapoints), "MaxDatapoints");
    }
    plan.max_datapoints = *in.max_datapoints;
  }
  std::set<std::string_view> ids;
  plan.queries.reserve(in.queries->size());
  for (size_t i = 0; i < in.queries->size(); ++i) {
    const MetricDataQueryInput& q = (*in.queries)[i];
    const std::string p = "MetricDataQueries.member." + std::to_string(i + 1) + ".";
    if (!q.id) return MissingParameter(p + "Id");
    if (!IsValidId(*q.id)) {
      ApiError e = InvalidValue(*q.id, p + "Id");
      e.message +=
          " An Id must start with a lowercase letter and contain only letters, "
          "numbers and underscores.";
      return e;
    }
    if (!ids.insert(*q.id).second) {
      ApiError e = InvalidValue(*q.id, p + "Id");
      e.message += " Another query has the same Id.";
      return e;
    }
    auto query = PlanQuery(q, p, *in.start_ms, *in.end_ms);
    if (!query.ok()) return query.error();
    plan.queries.push_back(std::move(query).value());
  }
  if (in.next_token && !DecodeToken(*in.next_token, &plan)) {
    return ApiError{ErrorCode::kInvalidNextToken, "The NextToken is not valid."};
  }
  return plan;
}

ApiOr<GetMetricDataOutput> RunGetMetricData(const MetricDataPlan& plan, const tsdb::Db& db) {
  GetMetricDataOutput out;
  int64_t budget = plan.max_datapoints;
  const size_t n = plan.queries.size();
  std::vector<std::pair<int64_t, double>> points;
  for (size_t i = plan.start_query; i < n; ++i) {
    const MetricDataPlan::Query& q = plan.queries[i];
    if (!q.return_data) continue;
    if (budget == 0) {
      out.next_token = EncodeToken(n, i, std::nullopt);
      break;
    }
    tsdb::StatisticsQuery sq = q.query;
    if (i == plan.start_query && plan.after_ms) {
      if (plan.ascending) {
        sq.start_ms = std::max(sq.start_ms, *plan.after_ms + sq.period_ms);
      } else {
        sq.end_ms = std::min(sq.end_ms, *plan.after_ms);
      }
    }
    MetricDataResult& result = out.results.emplace_back();
    result.id = q.id;
    result.label = q.label;
    if (sq.start_ms >= sq.end_ms) continue;
    auto datapoints = db.GetStatistics(sq);
    if (!datapoints.ok()) return ErrorFromStatus(datapoints.status());
    points.clear();
    for (const tsdb::Datapoint& dp : datapoints.value()) {
      if (auto v = StatisticValue(dp, q.stat, 0)) points.emplace_back(dp.timestamp_ms, *v);
    }
    std::sort(points.begin(), points.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (!plan.ascending) std::reverse(points.begin(), points.end());
    const size_t take = std::min<size_t>(points.size(), static_cast<size_t>(budget));
    result.timestamps_ms.reserve(take);
    result.values.reserve(take);
    for (size_t k = 0; k < take; ++k) {
      result.timestamps_ms.push_back(points[k].first);
      result.values.push_back(points[k].second);
    }
    budget -= static_cast<int64_t>(take);
    if (take < points.size()) {
      result.status_code = "PartialData";
      out.next_token = EncodeToken(n, i, points[take - 1].first);
      break;
    }
  }
  return out;
}

}  // namespace vigil::api
