#pragma once
// An in-memory tsdb::Db for the api module's unit tests: exact-match statistics per period,
// nearest-rank percentiles, listing in canonical key order. GetStatistics may run on several
// threads while nothing is appended; the rest is not thread-safe. Not a model of the real
// store's performance or durability.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tsdb/tsdb.h"

namespace vigil::api::testing {

class FakeDb : public tsdb::Db {
 public:
  Status AppendViews(std::span<const tsdb::SeriesSamplesView> batch) override;
  StatusOr<std::vector<tsdb::Datapoint>> GetStatistics(
      const tsdb::StatisticsQuery& query) const override;
  StatusOr<tsdb::ListResult> ListSeries(const tsdb::ListQuery& query) const override;
  Status Flush() override { return OkStatus(); }
  Status Compact() override { return OkStatus(); }
  Status ApplyRetention() override { return OkStatus(); }
  Status Close() override { return OkStatus(); }
  Stats GetStats() const override { return {}; }

  // The next Append/GetStatistics/ListSeries call fails with `status` (once).
  void FailNextWith(Status status) { fail_next_ = std::move(status); }

  // Every SeriesSamples appended, in order.
  std::vector<tsdb::SeriesSamples> appended;
  // Number of GetStatistics calls (to check pagination narrows windows rather than rereads).
  mutable int statistics_calls = 0;
  mutable std::vector<tsdb::StatisticsQuery> statistics_queries;

 private:
  mutable std::mutex mu_;  // guards GetStatistics' state
  mutable Status fail_next_;
};

}  // namespace vigil::api::testing
