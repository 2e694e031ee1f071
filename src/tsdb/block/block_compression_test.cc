// Compression of the synthetic fleet (tests/testutil/fleet_generator.h) in 2 h and 24 h blocks,
// printed per kind of series, plus the generator's own contract.
#include <time.h>

#include <cstdio>
#include <set>

#include "gtest/gtest.h"
#include "storage/file_util.h"
#include "tests/testutil/fleet_generator.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/index_format.h"

namespace vigil::tsdb::block {
namespace {

using testutil::Fleet;
using testutil::FleetKind;

#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
constexpr size_t kSeriesPerKind = 40;  // sanitizer/debug builds run ~30x slower
#else
constexpr size_t kSeriesPerKind = 300;
#endif

struct KindFigures {
  uint64_t samples = 0;
  uint64_t chunks_bytes = 0;  // sample data
  uint64_t block_bytes = 0;   // chunks + index + meta.json
  double decode_us_per_series = 0;
};

// CPU time of this thread: on a machine shared with other builds, wall time mostly measures
// waiting for a core.
double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

SeriesData Generate(const Fleet& fleet, size_t i, int64_t steps) {
  SeriesData s;
  s.key = fleet.Key(i);
  s.unit = Fleet::Unit(i);
  s.raw = fleet.Samples(i, 0, steps);
  s.last_append_ms = s.raw.back().timestamp_ms;
  return s;
}

// Writes kSeriesPerKind series of `kind` over `steps` steps as one block, reads every series
// back (checking it bit for bit) and measures.
KindFigures Measure(const Fleet& fleet, FleetKind kind, int64_t steps, const std::string& dir) {
  std::vector<size_t> ids;
  for (size_t j = 0; j < kSeriesPerKind; ++j) ids.push_back(Fleet::SeriesOf(kind, j));
  std::sort(ids.begin(), ids.end(), [&](size_t a, size_t b) {
    std::string ka, kb;
    AppendCanonicalKey(fleet.Key(a), &ka);
    AppendCanonicalKey(fleet.Key(b), &kb);
    return ka < kb;
  });
  const std::string id =
      "kind" + std::to_string(static_cast<int>(kind)) + "-" + std::to_string(steps);
  auto writer = BlockWriter::Create(dir, id, {});
  EXPECT_TRUE(writer.ok()) << writer.status().ToString();
  for (const size_t i : ids) EXPECT_TRUE((*writer)->Add(Generate(fleet, i, steps)).ok());
  BlockMeta meta;
  EXPECT_TRUE((*writer)->Finish(&meta).ok());

  KindFigures f;
  f.samples = meta.num_samples;
  f.chunks_bytes = *storage::FileSize(dir + "/" + id + "/chunks");
  f.block_bytes = storage::DiskUsage(dir + "/" + id);
  auto reader = BlockReader::Open(dir + "/" + id);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  double decode_us = 0;
  for (size_t k = 0; k < ids.size(); ++k) {
    const SeriesData want = Generate(fleet, ids[k], steps);
    SeriesData got;
    const double t0 = ThreadCpuMicros();
    EXPECT_TRUE((*reader)->ReadSeries(k, meta.min_time_ms, meta.max_time_ms + 1, &got).ok());
    decode_us += ThreadCpuMicros() - t0;
    EXPECT_EQ(got.key, want.key);
    EXPECT_EQ(got.raw.size(), want.raw.size());
    for (size_t s = 0; s < std::min(got.raw.size(), want.raw.size()); ++s) {
      if (got.raw[s].timestamp_ms != want.raw[s].timestamp_ms ||
          std::bit_cast<uint64_t>(got.raw[s].value) != std::bit_cast<uint64_t>(want.raw[s].value)) {
        ADD_FAILURE() << "series " << ids[k] << " sample " << s << " differs";
        break;
      }
    }
  }
  f.decode_us_per_series = decode_us / static_cast<double>(ids.size());
  return f;
}

TEST(BlockCompressionTest, FleetBytesPerSample) {
  TempDir tmp;
  const Fleet fleet;
  const char* names[] = {"counters", "latencies", "gauges"};
  // Upper bounds with margin over what the codec achieves (see the printed figures).
  const double bound_24h[] = {0.95, 2.35, 0.90};
  for (const int64_t steps : {int64_t{720}, Fleet::kStepsPerDay}) {
    for (const FleetKind kind : {FleetKind::kCounter, FleetKind::kLatency, FleetKind::kGauge}) {
      const KindFigures f = Measure(fleet, kind, steps, tmp.path());
      const double data = static_cast<double>(f.chunks_bytes) / static_cast<double>(f.samples);
      const double total = static_cast<double>(f.block_bytes) / static_cast<double>(f.samples);
      std::printf(
          "%3lld h block, %-9s: %.3f bytes/sample (sample data), %.3f with index and "
          "meta; read+decode %.1f us CPU/series of %lld samples\n",
          static_cast<long long>(steps / 360), names[static_cast<int>(kind)], data, total,
          f.decode_us_per_series, static_cast<long long>(steps));
      EXPECT_EQ(f.samples, kSeriesPerKind * steps);
      if (steps == Fleet::kStepsPerDay) {
        EXPECT_LT(total, bound_24h[static_cast<int>(kind)]);
      }
    }
  }
}

TEST(FleetGeneratorTest, KeysAreUniqueAndCanonical) {
  const Fleet fleet;
  std::set<std::string> keys;
  for (size_t i = 0; i < fleet.num_series(); ++i) {
    const SeriesKey key = fleet.Key(i);
    EXPECT_EQ(key.ns, "Fleet");
    for (size_t d = 1; d < key.dimensions.size(); ++d) {
      EXPECT_LT(key.dimensions[d - 1].name, key.dimensions[d].name);
    }
    std::string canonical;
    AppendCanonicalKey(key, &canonical);
    keys.insert(canonical);
  }
  EXPECT_EQ(keys.size(), Fleet::kNumSeries);
}

TEST(FleetGeneratorTest, ValuesHaveTheDocumentedShape) {
  const Fleet fleet;
  for (size_t j = 0; j < 50; ++j) {
    const auto counter = fleet.Samples(Fleet::SeriesOf(FleetKind::kCounter, j), 0, 2000);
    const auto latency = fleet.Samples(Fleet::SeriesOf(FleetKind::kLatency, j), 0, 2000);
    const auto gauge = fleet.Samples(Fleet::SeriesOf(FleetKind::kGauge, j), 0, 2000);
    for (size_t s = 0; s < 2000; ++s) {
      EXPECT_EQ(counter[s].value, std::floor(counter[s].value));
      const double us = latency[s].value * 1e6;
      EXPECT_EQ(latency[s].value, std::round(us) / 1e6);
      EXPECT_GE(us, 1);
      EXPECT_LT(us, 1e7);
      EXPECT_EQ(gauge[s].value, std::round(gauge[s].value * 100) / 100);
      EXPECT_GE(gauge[s].value, 0);
      EXPECT_LE(gauge[s].value, 100);
      if (s > 0) {
        EXPECT_EQ(counter[s].timestamp_ms - counter[s - 1].timestamp_ms, 10'000);
      }
    }
    const int64_t phase = counter[0].timestamp_ms - fleet.options().start_ms;
    EXPECT_GE(phase, 0);
    EXPECT_LT(phase, 10'000);
  }
}

TEST(FleetGeneratorTest, AnyOrderGivesTheSameSamples) {
  const Fleet fleet;
  const size_t ids[] = {0, 4999, 5000, 7499, 7500, 9999};
  std::vector<Fleet::Cursor> cursors;
  for (const size_t i : ids) cursors.push_back(fleet.Start(i));
  std::vector<std::vector<RawSample>> time_major(std::size(ids));
  for (int step = 0; step < 500; ++step) {
    for (size_t k = 0; k < cursors.size(); ++k) time_major[k].push_back(cursors[k].Next());
  }
  for (size_t k = 0; k < std::size(ids); ++k) {
    const auto series_major = fleet.Samples(ids[k], 0, 500);
    const auto tail = fleet.Samples(ids[k], 300, 500);
    for (int s = 0; s < 500; ++s) {
      EXPECT_EQ(series_major[s].timestamp_ms, time_major[k][s].timestamp_ms);
      EXPECT_EQ(series_major[s].value, time_major[k][s].value);
      if (s >= 300) {
        EXPECT_EQ(tail[s - 300].value, series_major[s].value);
      }
    }
  }
}

// Pins the generated bits: a change here changes every published compression figure.
TEST(FleetGeneratorTest, IsDeterministic) {
  const Fleet fleet;
  uint64_t h = 0;
  for (const size_t i :
       {size_t{0}, size_t{1234}, size_t{5000}, size_t{6000}, size_t{7500}, size_t{9999}}) {
    for (const RawSample& s : fleet.Samples(i, 0, 1000)) {
      h = Fleet::Mix(h ^ static_cast<uint64_t>(s.timestamp_ms));
      h = Fleet::Mix(h ^ std::bit_cast<uint64_t>(s.value));
    }
  }
  EXPECT_EQ(h, 0x25a237c84aa2e90aULL) << std::hex << h;
}

}  // namespace
}  // namespace vigil::tsdb::block
