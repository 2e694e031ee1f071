// GetMetricData's rules (CloudWatch API reference, GetMetricData) and its pagination.
//
// Pages: the datapoints of the returned queries, query by query (an expression may give several
// series), in ScanBy order, at most MaxDatapoints per page. NextToken names the query and series
// to continue with and the timestamp of the last datapoint already returned for it, so for a
// MetricStat query a page is computed by narrowing its window rather than recomputing and
// skipping what earlier pages returned. Expressions (metric math, metricmath.h) are evaluated
// in dependency order over their inputs' whole window. Metrics Insights queries (insights.h)
// read the series the index lists for their namespace and metric, and aggregate them.
#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <set>
#include <span>
#include <string>
#include <thread>

#include "api/cloudwatch_ops.h"
#include "api/text.h"

namespace vigil::api {
namespace {

constexpr std::string_view kTokenPrefix = "gmd2:";

std::string EncodeToken(size_t num_queries, size_t index, size_t series,
                        std::optional<int64_t> after_ms) {
  std::string raw(kTokenPrefix);
  raw += std::to_string(num_queries);
  raw += ':';
  raw += std::to_string(index);
  raw += ':';
  raw += std::to_string(series);
  raw += ':';
  raw += after_ms ? std::to_string(*after_ms) : "-";
  return Base64Encode(raw);
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  const auto r = std::from_chars(text.data(), text.data() + text.size(), *out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size() && !text.empty();
}

// Fills plan->start_query / start_series / after_ms from `token`; false when it is not a
// token of a request with this many queries.
bool DecodeToken(std::string_view token, MetricDataPlan* plan) {
  const std::optional<std::string> raw = Base64Decode(token);
  if (!raw || !raw->starts_with(kTokenPrefix)) return false;
  std::string_view rest = std::string_view(*raw).substr(kTokenPrefix.size());
  std::string_view fields[4];
  for (int k = 0; k < 4; ++k) {
    const size_t colon = k < 3 ? rest.find(':') : rest.size();
    if (colon == std::string_view::npos) return false;
    fields[k] = rest.substr(0, colon);
    rest.remove_prefix(k < 3 ? colon + 1 : colon);
  }
  size_t num_queries, index, series;
  if (!ParseNumber(fields[0], &num_queries) || !ParseNumber(fields[1], &index) ||
      !ParseNumber(fields[2], &series)) {
    return false;
  }
  if (num_queries != plan->queries.size() || index >= num_queries) return false;
  if (fields[3] != "-") {
    int64_t ms;
    if (!ParseNumber(fields[3], &ms)) return false;
    plan->after_ms = ms;
  }
  plan->start_query = index;
  plan->start_series = series;
  return true;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 255 || id[0] < 'a' || id[0] > 'z') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The plan of an Expression query (math or Insights) before its parsed form is set: its id,
// label, ReturnData, the request's window and its Period (0 when it has none).
MetricDataPlan::Query ExpressionQuery(const MetricDataQueryInput& q, int64_t start_ms,
                                      int64_t end_ms) {
  MetricDataPlan::Query out;
  out.id = *q.id;
  out.label = q.label.value_or("");
  out.return_data = q.return_data.value_or(true);
  out.query.start_ms = start_ms;
  out.query.end_ms = end_ms;
  out.query.period_ms = q.period.value_or(0) * 1000;
  return out;
}

ApiOr<MetricDataPlan::Query> PlanQuery(const MetricDataQueryInput& q, const std::string& p,
                                       int64_t start_ms, int64_t end_ms) {
  if (q.metric_stat && q.expression) {
    return ApiError{ErrorCode::kInvalidParameterCombination,
                    "The parameters " + p + "MetricStat and " + p +
                        "Expression are mutually exclusive and you have specified both."};
  }
  if (q.label && !IsValidText(*q.label)) {
    ApiError e = InvalidValue(*q.label, p + "Label");
    e.message += " Labels must be UTF-8 text without control characters.";
    return e;
  }
  if (q.expression && insights::IsQuery(*q.expression)) {
    StatusOr<insights::Query> query = insights::Parse(*q.expression);
    if (!query.ok()) {
      return ApiError{ErrorCode::kInvalidParameterValue, "The parameter " + p +
                                                             "Expression is not a valid Metrics "
                                                             "Insights query: " +
                                                             query.status().message()};
    }
    if (!q.period) {
      return ApiError{ErrorCode::kMissingParameter,
                      "The parameter " + p + "Period must be specified for a Metrics Insights query."};
    }
    if (auto e = CheckPeriod(q.period, p + "Period")) return *e;
    MetricDataPlan::Query out = ExpressionQuery(q, start_ms, end_ms);
    out.insights = std::move(query).value();
    return out;
  }
  if (q.expression) {
    StatusOr<metricmath::Expr> expr = metricmath::Parse(*q.expression);
    if (!expr.ok()) {
      return ApiError{ErrorCode::kInvalidParameterValue,
                      "The parameter " + p + "Expression is not valid: " + expr.status().message()};
    }
    if (q.period) {
      if (auto e = CheckPeriod(q.period, p + "Period")) return *e;
    }
    MetricDataPlan::Query out = ExpressionQuery(q, start_ms, end_ms);
    out.expression = std::move(expr).value();
    return out;
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

std::string Member(size_t i) { return "MetricDataQueries.member." + std::to_string(i + 1) + "."; }

// Checks the expressions' references (known ids, no cycles), orders them so each comes after
// the expressions it uses, and gives each a period: its Period, else the largest of what it
// uses, else the largest MetricStat period of the request (60 s without any). Everything an
// expression names must have its period: the evaluator aligns series on one grid.
std::optional<ApiError> PlanExpressions(MetricDataPlan* plan) {
  const size_t n = plan->queries.size();
  std::map<std::string_view, size_t> index;
  int64_t default_period = 0;
  for (size_t i = 0; i < n; ++i) {
    index.emplace(plan->queries[i].id, i);
    if (!plan->queries[i].expression) {
      default_period = std::max(default_period, plan->queries[i].query.period_ms);
    }
  }
  if (default_period == 0) default_period = 60'000;
  std::vector<std::vector<size_t>> uses(n);
  for (size_t i = 0; i < n; ++i) {
    if (!plan->queries[i].expression) continue;
    for (const std::string& id : metricmath::ReferencedIds(*plan->queries[i].expression)) {
      const auto it = index.find(id);
      if (it == index.end()) {
        return ApiError{ErrorCode::kInvalidParameterValue,
                        "The parameter " + Member(i) + "Expression uses the id " + id +
                            ", which no query of the request has."};
      }
      uses[i].push_back(it->second);
    }
  }
  // Depth-first, in request order: 0 = not visited, 1 = on the path, 2 = ordered.
  std::vector<int> state(n, 0);
  std::optional<ApiError> error;
  std::function<void(size_t)> visit = [&](size_t i) {
    state[i] = 1;
    MetricDataPlan::Query& q = plan->queries[i];
    int64_t period = q.query.period_ms;
    for (size_t u : uses[i]) {
      if (error) return;
      if (state[u] == 1) {
        error = ApiError{ErrorCode::kInvalidParameterValue,
                         "The parameter " + Member(i) + "Expression refers to " +
                             plan->queries[u].id + ", which depends on " + q.id +
                             ": expressions must not refer to each other in a cycle."};
        return;
      }
      if (state[u] == 0 && plan->queries[u].expression) visit(u);
      if (q.query.period_ms == 0) period = std::max(period, plan->queries[u].query.period_ms);
    }
    if (error) return;
    if (period == 0) period = default_period;
    for (size_t u : uses[i]) {
      const int64_t other = plan->queries[u].query.period_ms;
      if (other != period) {
        error = ApiError{ErrorCode::kInvalidParameterValue,
                         "The parameter " + Member(i) + "Expression uses " +
                             plan->queries[u].id + ", whose period (" +
                             std::to_string(other / 1000) +
                             " s) differs from the expression's (" +
                             std::to_string(period / 1000) + " s)."};
        return;
      }
    }
    q.query.period_ms = period;
    state[i] = 2;
    plan->expression_order.push_back(i);
  };
  for (size_t i = 0; i < n && !error; ++i) {
    if (plan->queries[i].expression && state[i] == 0) visit(i);
  }
  return error;
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
    const std::string p = Member(i);
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
  if (auto e = PlanExpressions(&plan)) return *e;
  if (in.next_token && !DecodeToken(*in.next_token, &plan)) {
    return ApiError{ErrorCode::kInvalidNextToken, "The NextToken is not valid."};
  }
  return plan;
}

namespace {

using Points = std::vector<std::pair<int64_t, double>>;

// The datapoints of a MetricStat query over `sq`, ascending.
ApiOr<Points> FetchPoints(const MetricDataPlan::Query& q, const tsdb::StatisticsQuery& sq,
                          const tsdb::Db& db) {
  Points points;
  if (sq.start_ms >= sq.end_ms) return points;
  auto datapoints = db.GetStatistics(sq);
  if (!datapoints.ok()) return ErrorFromStatus(datapoints.status());
  for (const tsdb::Datapoint& dp : datapoints.value()) {
    if (auto v = StatisticValue(dp, q.stat, 0)) points.emplace_back(dp.timestamp_ms, *v);
  }
  std::sort(points.begin(), points.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return points;
}

metricmath::Series ToSeries(std::string label, const Points& points) {
  metricmath::Series s;
  s.label = std::move(label);
  s.timestamps_ms.reserve(points.size());
  s.values.reserve(points.size());
  for (const auto& [t, v] : points) {
    s.timestamps_ms.push_back(t);
    s.values.push_back(v);
  }
  return s;
}

// Adds the per-period statistics of keys[begin, end) to *aggregator.
ApiOr<std::monostate> AggregateSeries(const tsdb::Db& db, tsdb::StatisticsQuery sq,
                                      std::span<const tsdb::SeriesKey> keys,
                                      insights::Aggregator* aggregator) {
  for (const tsdb::SeriesKey& key : keys) {
    sq.key = key;
    StatusOr<std::vector<tsdb::Datapoint>> datapoints = db.GetStatistics(sq);
    if (!datapoints.ok()) return ErrorFromStatus(datapoints.status());
    aggregator->Add(key, datapoints.value());
  }
  return std::monostate{};
}

// The series of a Metrics Insights query: every series of its namespace and metric that it
// matches (the index lists them in one key range), aggregated. A query over many series reads
// them on several threads (decoding a day of 5,000 series is ~0.5 s of one core).
ApiOr<std::vector<metricmath::Series>> RunInsights(const MetricDataPlan::Query& q,
                                                   const tsdb::Db& db) {
  const insights::Query& iq = *q.insights;
  std::vector<tsdb::SeriesKey> keys;
  tsdb::ListQuery list;
  list.ns = iq.ns;
  list.metric = iq.metric;
  list.limit = 10'000;
  while (true) {
    StatusOr<tsdb::ListResult> page = db.ListSeries(list);
    if (!page.ok()) return ErrorFromStatus(page.status());
    std::vector<tsdb::SeriesKey>& series = page.value().series;
    if (page.value().more && !series.empty()) list.after = series.back();
    for (tsdb::SeriesKey& key : series) {
      if (!insights::Matches(iq, key)) continue;
      if (keys.size() == kMaxInsightsSeries) {
        return ApiError{ErrorCode::kInvalidParameterValue,
                        "The Metrics Insights query " + q.id + " matches more than " +
                            std::to_string(kMaxInsightsSeries) +
                            " series; narrow it with WHERE or SCHEMA."};
      }
      keys.push_back(std::move(key));
    }
    if (!page.value().more || series.empty()) break;
  }

  constexpr size_t kSeriesPerThread = 256;
  const size_t threads = std::clamp<size_t>(keys.size() / kSeriesPerThread, 1,
                                            std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  std::vector<insights::Aggregator> aggregators(threads, insights::Aggregator(&iq));
  std::vector<ApiOr<std::monostate>> outcomes(threads, std::monostate{});
  {
    std::vector<std::jthread> workers;
    for (size_t t = 0; t < threads; ++t) {
      const size_t begin = keys.size() * t / threads, end = keys.size() * (t + 1) / threads;
      auto work = [&, t, begin, end] {
        outcomes[t] = AggregateSeries(db, q.query,
                                      std::span(keys).subspan(begin, end - begin), &aggregators[t]);
      };
      if (t + 1 == threads) {
        work();  // the last share on this thread
      } else {
        workers.emplace_back(work);
      }
    }
  }
  for (size_t t = 0; t < threads; ++t) {
    if (!outcomes[t].ok()) return outcomes[t].error();
    if (t > 0) aggregators[0].Merge(aggregators[t]);
  }
  std::vector<metricmath::Series> out;
  for (insights::Result& r : aggregators[0].Finish()) {
    metricmath::Series& s = out.emplace_back();
    s.label = std::move(r.label);
    s.timestamps_ms = std::move(r.timestamps_ms);
    s.values = std::move(r.values);
  }
  return out;
}

// The label of series `s`, one of the `count` that expression query `q` returned.
std::string ExpressionLabel(const MetricDataPlan::Query& q, const metricmath::Series& s,
                            size_t count) {
  if (!q.label.empty()) return count == 1 || s.label.empty() ? q.label : q.label + " " + s.label;
  return s.label.empty() ? q.id : s.label;
}

// Evaluates every expression of the plan over whole windows. Returns each query's series:
// expressions' results, and the MetricStat queries they (may) use; others stay empty.
ApiOr<std::vector<std::optional<std::vector<metricmath::Series>>>> EvaluateExpressions(
    const MetricDataPlan& plan, const tsdb::Db& db) {
  const size_t n = plan.queries.size();
  std::vector<std::optional<std::vector<metricmath::Series>>> full(n);
  for (size_t i = 0; i < n; ++i) {
    if (!plan.queries[i].insights) continue;
    auto series = RunInsights(plan.queries[i], db);
    if (!series.ok()) return series.error();
    full[i] = std::move(series).value();
  }
  if (plan.expression_order.empty()) return full;
  for (size_t i = 0; i < n; ++i) {
    const MetricDataPlan::Query& q = plan.queries[i];
    if (q.expression || q.insights) continue;
    auto points = FetchPoints(q, q.query, db);
    if (!points.ok()) return points.error();
    full[i] = std::vector<metricmath::Series>{ToSeries(q.label, points.value())};
  }
  for (const size_t i : plan.expression_order) {
    const MetricDataPlan::Query& q = plan.queries[i];
    metricmath::Context ctx;
    ctx.period_ms = q.query.period_ms;
    // The store's periods start at multiples of the period; the expression's grid does too.
    ctx.start_ms = tsdb::AlignDown(q.query.start_ms, ctx.period_ms);
    ctx.end_ms = q.query.end_ms;
    // Everything on this expression's grid: what it names (checked by the plan) and what
    // METRICS() may pick up.
    for (size_t j = 0; j < n; ++j) {
      if (j == i || !full[j] || plan.queries[j].query.period_ms != ctx.period_ms) continue;
      ctx.inputs.push_back(
          metricmath::Input{plan.queries[j].id, *full[j], plan.queries[j].expression.has_value()});
    }
    StatusOr<std::vector<metricmath::Series>> result = metricmath::Evaluate(*q.expression, ctx);
    if (!result.ok()) {
      return ApiError{ErrorCode::kInvalidParameterValue,
                      "The parameter " + Member(i) + "Expression could not be evaluated: " +
                          result.status().message()};
    }
    full[i] = std::move(result).value();
  }
  return full;
}

}  // namespace

ApiOr<GetMetricDataOutput> RunGetMetricData(const MetricDataPlan& plan, const tsdb::Db& db) {
  auto evaluated = EvaluateExpressions(plan, db);
  if (!evaluated.ok()) return evaluated.error();
  const auto& full = evaluated.value();
  GetMetricDataOutput out;
  int64_t budget = plan.max_datapoints;
  const size_t n = plan.queries.size();
  Points points;
  for (size_t i = plan.start_query; i < n; ++i) {
    const MetricDataPlan::Query& q = plan.queries[i];
    if (!q.return_data) continue;
    const size_t num_series = full[i] ? full[i]->size() : 1;
    for (size_t k = i == plan.start_query ? plan.start_series : 0; k < num_series; ++k) {
      if (budget == 0) {
        out.next_token = EncodeToken(n, i, k, std::nullopt);
        return out;
      }
      const bool resume = i == plan.start_query && k == plan.start_series && plan.after_ms;
      MetricDataResult& result = out.results.emplace_back();
      result.id = q.id;
      points.clear();
      if (full[i]) {
        const metricmath::Series& s = (*full[i])[k];
        result.label =
            q.expression || q.insights ? ExpressionLabel(q, s, num_series) : q.label;
        for (size_t p = 0; p < s.values.size(); ++p) {
          const int64_t t = s.timestamps_ms[p];
          if (resume && (plan.ascending ? t <= *plan.after_ms : t >= *plan.after_ms)) continue;
          points.emplace_back(t, s.values[p]);
        }
      } else {
        // A MetricStat query no expression needs: a resumed page narrows its window.
        result.label = q.label;
        tsdb::StatisticsQuery sq = q.query;
        if (resume) {
          if (plan.ascending) {
            sq.start_ms = std::max(sq.start_ms, *plan.after_ms + sq.period_ms);
          } else {
            sq.end_ms = std::min(sq.end_ms, *plan.after_ms);
          }
        }
        auto fetched = FetchPoints(q, sq, db);
        if (!fetched.ok()) return fetched.error();
        points = std::move(fetched).value();
      }
      if (!plan.ascending) std::reverse(points.begin(), points.end());
      const size_t take = std::min<size_t>(points.size(), static_cast<size_t>(budget));
      result.timestamps_ms.reserve(take);
      result.values.reserve(take);
      for (size_t p = 0; p < take; ++p) {
        result.timestamps_ms.push_back(points[p].first);
        result.values.push_back(points[p].second);
      }
      budget -= static_cast<int64_t>(take);
      if (take < points.size()) {
        result.status_code = "PartialData";
        out.next_token = EncodeToken(n, i, k, points[take - 1].first);
        return out;
      }
    }
  }
  return out;
}

}  // namespace vigil::api
