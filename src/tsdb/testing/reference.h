#pragma once
// A naive, obviously-correct model of the store for tests: every sample in a vector, every
// query a full scan. Series keep the unit of their latest append.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tsdb/tsdb.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb::testing {

class ReferenceStore {
 public:
  void Append(std::span<const SeriesSamples> batch, int64_t now_ms) {
    for (const SeriesSamples& s : batch) {
      if (s.raw.empty() && s.stats.empty()) continue;
      Series& r = series_[CanonicalKeyString(s.key)];
      r.key = s.key;
      r.unit = s.unit;
      r.raw.insert(r.raw.end(), s.raw.begin(), s.raw.end());
      r.stats.insert(r.stats.end(), s.stats.begin(), s.stats.end());
      r.last_append_ms = std::max(r.last_append_ms, now_ms);
    }
  }

  std::vector<Datapoint> GetStatistics(const StatisticsQuery& q) const {
    std::vector<Datapoint> out;
    auto it = series_.find(CanonicalKeyString(q.key));
    if (it == series_.end()) return out;
    const Series& s = it->second;
    if (q.unit && *q.unit != s.unit) return out;
    const int64_t start = FloorDiv(q.start_ms, q.period_ms) * q.period_ms;
    std::map<int64_t, Period> periods;
    for (const RawSample& r : s.raw) {
      if (r.timestamp_ms < start || r.timestamp_ms >= q.end_ms) continue;
      Period& p = periods[FloorDiv(r.timestamp_ms, q.period_ms) * q.period_ms];
      p.Add(r.value, r.value, r.count, r.value * r.count);
      p.values.push_back({r.value, r.count});
    }
    for (const StatSample& st : s.stats) {
      if (st.timestamp_ms < start || st.timestamp_ms >= q.end_ms) continue;
      Period& p = periods[FloorDiv(st.timestamp_ms, q.period_ms) * q.period_ms];
      p.Add(st.minimum, st.maximum, st.sample_count, st.sum);
      p.has_stats = true;
    }
    for (auto& [t, p] : periods) {
      Datapoint dp{t, p.count, p.sum, p.min, p.max, {}, s.unit};
      std::sort(p.values.begin(), p.values.end());
      double total = 0;
      for (auto& v : p.values) total += v.second;
      for (double pct : q.percentiles) {
        if (p.has_stats || p.values.empty()) {
          dp.percentiles.push_back(std::nullopt);
          continue;
        }
        double cum = 0;
        std::optional<double> found;
        for (auto& [v, c] : p.values) {
          cum += c;
          if (cum >= pct / 100 * total) {
            found = v;
            break;
          }
        }
        dp.percentiles.push_back(found ? *found : p.values.back().first);
      }
      out.push_back(std::move(dp));
    }
    return out;
  }

  ListResult ListSeries(const ListQuery& q) const {
    ListResult out;
    const std::string after = q.after ? CanonicalKeyString(*q.after) : "";
    for (const auto& [canon, s] : series_) {
      if (q.after && !(canon > after)) continue;
      if (q.ns && s.key.ns != *q.ns) continue;
      if (q.metric && s.key.metric != *q.metric) continue;
      bool ok = true;
      for (const DimensionFilter& f : q.dimensions) {
        bool found = false;
        for (const Dimension& d : s.key.dimensions) {
          found |= d.name == f.name && (!f.value || d.value == *f.value);
        }
        ok &= found;
      }
      if (!ok) continue;
      if (q.active_since_ms && s.last_append_ms < *q.active_since_ms) continue;
      if (out.series.size() == q.limit) {
        out.more = true;
        break;
      }
      out.series.push_back(s.key);
    }
    return out;
  }

  size_t num_series() const { return series_.size(); }

 private:
  struct Series {
    SeriesKey key;
    std::string unit;
    std::vector<RawSample> raw;
    std::vector<StatSample> stats;
    int64_t last_append_ms = 0;
  };
  struct Period {
    double count = 0, sum = 0, min = 0, max = 0;
    bool any = false, has_stats = false;
    std::vector<std::pair<double, double>> values;
    void Add(double lo, double hi, double c, double s) {
      min = any ? std::min(min, lo) : lo;
      max = any ? std::max(max, hi) : hi;
      any = true;
      count += c;
      sum += s;
    }
  };
  static int64_t FloorDiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    if (a % b != 0 && a < 0) --q;
    return q;
  }
  std::map<std::string, Series> series_;
};

}  // namespace vigil::tsdb::testing
