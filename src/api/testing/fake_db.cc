#include "api/testing/fake_db.h"

#include <algorithm>
#include <cmath>

namespace vigil::api::testing {
namespace {

std::string Canonical(const tsdb::SeriesKey& key) {
  std::string s = key.ns + '\0' + key.metric + '\0';
  for (const auto& d : key.dimensions) s += d.name + '\1' + d.value + '\0';
  return s;
}

int64_t FloorTo(int64_t t, int64_t period) {
  int64_t q = t / period;
  if (t % period != 0 && t < 0) --q;
  return q * period;
}

}  // namespace

Status FakeDb::AppendViews(std::span<const tsdb::SeriesSamplesView> batch) {
  if (!fail_next_.ok()) return std::exchange(fail_next_, OkStatus());
  for (const tsdb::SeriesSamplesView& s : batch) appended.push_back(tsdb::ToSeriesSamples(s));
  return OkStatus();
}

StatusOr<std::vector<tsdb::Datapoint>> FakeDb::GetStatistics(
    const tsdb::StatisticsQuery& query) const {
  std::lock_guard l(mu_);  // Metrics Insights reads many series on several threads
  if (!fail_next_.ok()) return std::exchange(fail_next_, OkStatus());
  ++statistics_calls;
  statistics_queries.push_back(query);
  struct Bucket {
    std::vector<tsdb::RawSample> raw;
    std::vector<tsdb::StatSample> stats;
    std::string unit;
  };
  std::map<int64_t, Bucket> buckets;
  const int64_t start = FloorTo(query.start_ms, query.period_ms);
  for (const tsdb::SeriesSamples& s : appended) {
    if (s.key != query.key) continue;
    if (query.unit && s.unit != *query.unit) continue;
    for (const auto& r : s.raw) {
      if (r.timestamp_ms < start || r.timestamp_ms >= query.end_ms) continue;
      Bucket& b = buckets[FloorTo(r.timestamp_ms, query.period_ms)];
      b.raw.push_back(r);
      b.unit = s.unit;
    }
    for (const auto& st : s.stats) {
      if (st.timestamp_ms < start || st.timestamp_ms >= query.end_ms) continue;
      Bucket& b = buckets[FloorTo(st.timestamp_ms, query.period_ms)];
      b.stats.push_back(st);
      b.unit = s.unit;
    }
  }
  std::vector<tsdb::Datapoint> out;
  for (auto& [ts, b] : buckets) {
    tsdb::Datapoint dp{ts, 0, 0, INFINITY, -INFINITY, {}, b.unit};
    for (const auto& r : b.raw) {
      dp.sample_count += r.count;
      dp.sum += r.value * r.count;
      dp.minimum = std::min(dp.minimum, r.value);
      dp.maximum = std::max(dp.maximum, r.value);
    }
    for (const auto& st : b.stats) {
      dp.sample_count += st.sample_count;
      dp.sum += st.sum;
      dp.minimum = std::min(dp.minimum, st.minimum);
      dp.maximum = std::max(dp.maximum, st.maximum);
    }
    std::sort(b.raw.begin(), b.raw.end(),
              [](const auto& x, const auto& y) { return x.value < y.value; });
    for (double p : query.percentiles) {
      if (!b.stats.empty() || b.raw.empty()) {
        dp.percentiles.push_back(std::nullopt);
        continue;
      }
      const double rank = std::max(1.0, std::ceil(p / 100.0 * dp.sample_count));
      double seen = 0;
      double value = b.raw.back().value;
      for (const auto& r : b.raw) {
        seen += r.count;
        if (seen >= rank) {
          value = r.value;
          break;
        }
      }
      dp.percentiles.push_back(value);
    }
    out.push_back(std::move(dp));
  }
  return out;
}

StatusOr<tsdb::ListResult> FakeDb::ListSeries(const tsdb::ListQuery& query) const {
  if (!fail_next_.ok()) return std::exchange(fail_next_, OkStatus());
  std::map<std::string, tsdb::SeriesKey> keys;
  for (const tsdb::SeriesSamples& s : appended) keys.emplace(Canonical(s.key), s.key);
  const std::string after = query.after ? Canonical(*query.after) : std::string();
  tsdb::ListResult result;
  for (const auto& entry : keys) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const std::string& canonical = entry.first;
    const tsdb::SeriesKey& key = entry.second;
    if (query.after && canonical <= after) continue;
    if (query.ns && key.ns != *query.ns) continue;
    if (query.metric && key.metric != *query.metric) continue;
    const bool match = std::all_of(
        query.dimensions.begin(), query.dimensions.end(), [&](const tsdb::DimensionFilter& f) {
          return std::any_of(key.dimensions.begin(), key.dimensions.end(), [&](const auto& d) {
            return d.name == f.name && (!f.value || d.value == *f.value);
          });
        });
    if (!match) continue;
    if (result.series.size() == query.limit) {
      result.more = true;
      break;
    }
    result.series.push_back(key);
  }
  return result;
}

}  // namespace vigil::api::testing
