#include "bench/tsdb/driver.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "http/client.h"
#include "bench/tsdb/http_load.h"

namespace vigil::bench {
namespace {

struct Log {
  std::mutex mu;
  std::vector<Chunk> chunks;  // guarded by mu
};

class RecordingSink final : public ChunkSink {
 public:
  RecordingSink(Log* log, bool fail) : log_(log), fail_(fail) {}
  Status Consume(const Chunk& chunk) override {
    if (fail_ && chunk.step_lo > 5) return UnavailableError("boom");
    std::lock_guard lock(log_->mu);
    log_->chunks.push_back(chunk);
    return OkStatus();
  }

 private:
  Log* log_;
  bool fail_;
};

FleetSpec Spec() {
  FleetSpec spec;
  spec.series = 100;
  spec.hours = 0.5;  // 180 steps
  spec.end_ms = 1'764'100'020'000;
  return spec;
}

TEST(DriverTest, EverySampleOnceInTimeOrderPerSeries) {
  FleetSource source(Spec());
  Log log;
  DriveOptions options;
  options.threads = 3;
  options.request_samples = 70;
  options.max_lead_steps = 4;
  StatusOr<DriveResult> r =
      Drive(source, options, [&](int) -> StatusOr<std::unique_ptr<ChunkSink>> {
        return std::unique_ptr<ChunkSink>(new RecordingSink(&log, false));
      });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->samples, source.samples());
  std::vector<int64_t> next_step(source.series(), 0);
  for (const Chunk& c : log.chunks) {
    EXPECT_LE(c.samples(), 70u);
    for (size_t i = c.series_lo; i < c.series_hi; ++i) {
      EXPECT_EQ(next_step[i], c.step_lo) << "series " << i;
      next_step[i] = c.step_hi;
    }
  }
  for (int64_t s : next_step) EXPECT_EQ(s, source.steps());
}

TEST(DriverTest, PutMetricDataChunksRespectTheDatumLimit) {
  FleetSpec spec;
  spec.series = 2500;
  spec.hours = 0.01;
  spec.end_ms = 1'764'100'020'000;
  FleetSource source(spec);
  Log log;
  DriveOptions options;
  options.threads = 1;
  options.request_samples = kMaxDatumsPerRequest;
  StatusOr<DriveResult> r =
      Drive(source, options, [&](int) -> StatusOr<std::unique_ptr<ChunkSink>> {
        return std::unique_ptr<ChunkSink>(new RecordingSink(&log, false));
      });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chunks, 3u * static_cast<uint64_t>(source.steps()));
  for (const Chunk& c : log.chunks) EXPECT_LE(c.samples(), kMaxDatumsPerRequest);
}

TEST(DriverTest, FirstErrorStopsTheLoad) {
  FleetSource source(Spec());
  Log log;
  DriveOptions options;
  options.threads = 2;
  options.request_samples = 50;
  StatusOr<DriveResult> r =
      Drive(source, options, [&](int t) -> StatusOr<std::unique_ptr<ChunkSink>> {
        return std::unique_ptr<ChunkSink>(new RecordingSink(&log, t == 1));
      });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "boom");
  EXPECT_LT(log.chunks.size(), 180u);
}

TEST(HttpLoadTest, ParsesUrlsAndSummarizesLatencies) {
  StatusOr<http::Url> url = http::ParseUrl("http://127.0.0.1:8428/api/v1/write");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8428);
  EXPECT_EQ(url->path, "/api/v1/write");
  EXPECT_TRUE(http::ParseUrl("https://x")->tls);
  EXPECT_EQ(http::ParseUrl("https://x")->port, 443);
  EXPECT_FALSE(http::ParseUrl("ftp://x").ok());
  EXPECT_FALSE(http::ParseUrl("http://x:0").ok());
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  LatencySummary s = Summarize(&v);
  EXPECT_DOUBLE_EQ(s.median_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
}

}  // namespace
}  // namespace vigil::bench
