// Writing and reading whole blocks: WriteBlock, BlockWriter, BlockReader.
#include <bit>
#include <fstream>
#include <random>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/index_format.h"
#include "tsdb/block/series_codec.h"

namespace vigil::tsdb::block {
namespace {

constexpr int64_t kT0 = 1'735'689'600'000;

SeriesKey Key(std::string metric, std::string host) {
  return SeriesKey{"App", std::move(metric), {{"host", std::move(host)}, {"job", "web"}}};
}

// A few dozen series of varied shapes, sorted by canonical key.
std::vector<SeriesData> MakeSeries() {
  std::vector<SeriesData> out;
  std::mt19937_64 rng(17);
  for (int m = 0; m < 3; ++m) {
    for (int h = 0; h < 12; ++h) {
      SeriesData s;
      s.key = Key("metric" + std::to_string(m), "host-" + std::to_string(100 + h));
      s.unit = m == 0 ? "Milliseconds" : "None";
      s.last_append_ms = kT0 + 7'200'000 + h;
      const int n = (h == 3) ? 1 : 100 + static_cast<int>(rng() % 500);
      int64_t t = kT0 + static_cast<int64_t>(rng() % 10'000);
      for (int i = 0; i < n; ++i) {
        const double v = m == 2 ? static_cast<double>(rng() % 100000) / 1000 : 1.0 / (1 + i % 7);
        s.raw.push_back(RawSample{t, v, h == 5 && i % 3 == 0 ? 2.0 : 1.0});
        t += (h == 7) ? static_cast<int64_t>(rng() % 20'000) : 10'000;  // irregular for one
      }
      if (h % 4 == 1) {  // some statistic sets too
        for (int i = 0; i < 20; ++i) {
          s.stats.push_back(StatSample{kT0 + i * 60'000, 6, 6.0 * i, 0.5, 2.0 * i});
        }
      }
      if (h == 11) s.raw.clear();  // stats only / empty series
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const SeriesData& a, const SeriesData& b) {
    std::string ka, kb;
    AppendCanonicalKey(a.key, &ka);
    AppendCanonicalKey(b.key, &kb);
    return ka < kb;
  });
  return out;
}

void ExpectSameSamples(const SeriesData& got, const SeriesData& want, int64_t lo, int64_t hi) {
  std::vector<RawSample> raw;
  for (const RawSample& s : want.raw) {
    if (s.timestamp_ms >= lo && s.timestamp_ms < hi) raw.push_back(s);
  }
  ASSERT_EQ(got.raw.size(), raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    EXPECT_EQ(got.raw[i].timestamp_ms, raw[i].timestamp_ms);
    EXPECT_EQ(std::bit_cast<uint64_t>(got.raw[i].value), std::bit_cast<uint64_t>(raw[i].value));
    EXPECT_EQ(got.raw[i].count, raw[i].count);
  }
  std::vector<StatSample> stats;
  for (const StatSample& s : want.stats) {
    if (s.timestamp_ms >= lo && s.timestamp_ms < hi) stats.push_back(s);
  }
  ASSERT_EQ(got.stats.size(), stats.size());
  for (size_t i = 0; i < stats.size(); ++i) {
    EXPECT_EQ(got.stats[i].timestamp_ms, stats[i].timestamp_ms);
    EXPECT_EQ(got.stats[i].sum, stats[i].sum);
    EXPECT_EQ(got.stats[i].maximum, stats[i].maximum);
  }
}

TEST(BlockReadWriteTest, WritesAndReadsBack) {
  TempDir tmp;
  const std::vector<SeriesData> series = MakeSeries();
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "b1", series, 0, &meta).ok());
  EXPECT_EQ(meta.id, "b1");
  EXPECT_EQ(meta.num_series, series.size());
  uint64_t samples = 0;
  int64_t min_t = INT64_MAX, max_t = INT64_MIN;
  for (const SeriesData& s : series) {
    samples += s.raw.size() + s.stats.size();
    for (const RawSample& r : s.raw) min_t = std::min(min_t, r.timestamp_ms);
    for (const RawSample& r : s.raw) max_t = std::max(max_t, r.timestamp_ms);
    for (const StatSample& r : s.stats) min_t = std::min(min_t, r.timestamp_ms);
    for (const StatSample& r : s.stats) max_t = std::max(max_t, r.timestamp_ms);
  }
  EXPECT_EQ(meta.num_samples, samples);
  EXPECT_EQ(meta.min_time_ms, min_t);
  EXPECT_EQ(meta.max_time_ms, max_t);
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/b1.tmp"));

  auto reader = BlockReader::Open(tmp.path() + "/b1");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  const BlockReader& r = **reader;
  EXPECT_EQ(r.meta().num_samples, samples);
  EXPECT_EQ(r.meta().min_time_ms, min_t);
  EXPECT_EQ(r.dir(), tmp.path() + "/b1");
  EXPECT_EQ(r.SizeBytes(), storage::DiskUsage(tmp.path() + "/b1"));
  ASSERT_EQ(r.num_series(), series.size());
  for (size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ(r.key(i), series[i].key);
    EXPECT_EQ(r.unit(i), series[i].unit);
    EXPECT_EQ(r.last_append_ms(i), series[i].last_append_ms);
    EXPECT_EQ(r.Find(series[i].key), static_cast<int64_t>(i));
    std::string canonical;
    AppendCanonicalKey(series[i].key, &canonical);
    EXPECT_EQ(r.CanonicalKey(i), canonical);
    SeriesData got;
    ASSERT_TRUE(r.ReadSeries(i, INT64_MIN, INT64_MAX, &got).ok());
    EXPECT_EQ(got.key, series[i].key);
    EXPECT_EQ(got.unit, series[i].unit);
    ExpectSameSamples(got, series[i], INT64_MIN, INT64_MAX);
  }
  // Released pages fault back in: every record reads the same afterwards, in any order.
  r.ReleasePagesBefore(series.size() / 2);
  r.ReleasePagesBefore(1);
  r.ReleasePagesBefore(series.size());
  for (size_t i = series.size(); i-- > 0;) {
    SeriesData got;
    ASSERT_TRUE(r.ReadSeries(i, INT64_MIN, INT64_MAX, &got).ok());
    ExpectSameSamples(got, series[i], INT64_MIN, INT64_MAX);
  }
  EXPECT_EQ(r.Find(Key("metric0", "host-999")), -1);
  EXPECT_EQ(r.Find(Key("a", "host-100")), -1);
  EXPECT_EQ(r.Find(Key("zzz", "host-100")), -1);

  const size_t compact = r.MemoryBytes();
  const std::vector<SeriesData>& all = r.series();  // materialized on demand
  ASSERT_EQ(all.size(), series.size());
  EXPECT_EQ(all[5].key, series[5].key);
  EXPECT_EQ(all[5].unit, series[5].unit);
  EXPECT_TRUE(all[5].raw.empty());
  EXPECT_GT(r.MemoryBytes(), compact);
}

TEST(BlockReadWriteTest, FiltersByTimeRange) {
  TempDir tmp;
  const std::vector<SeriesData> series = MakeSeries();
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "b", series, 0, &meta).ok());
  auto reader = BlockReader::Open(tmp.path() + "/b");
  ASSERT_TRUE(reader.ok());
  const std::pair<int64_t, int64_t> ranges[] = {{kT0, kT0 + 60'000},
                                                {kT0 + 123'456, kT0 + 1'234'567},
                                                {kT0 + 5'000'000, INT64_MAX},
                                                {INT64_MIN, kT0},
                                                {kT0 + 10'000, kT0 + 10'000},
                                                {kT0 + 100'000'000, kT0 + 200'000'000},
                                                {meta.max_time_ms, meta.max_time_ms + 1}};
  for (const auto& [lo, hi] : ranges) {
    for (size_t i = 0; i < series.size(); ++i) {
      SeriesData got;
      ASSERT_TRUE((*reader)->ReadSeries(i, lo, hi, &got).ok());
      ExpectSameSamples(got, series[i], lo, hi);
    }
  }
  // ReadSeries appends.
  SeriesData got;
  ASSERT_TRUE((*reader)->ReadSeries(0, kT0, kT0 + 50'000, &got).ok());
  const size_t first = got.raw.size();
  ASSERT_TRUE((*reader)->ReadSeries(0, kT0 + 50'000, INT64_MAX, &got).ok());
  EXPECT_EQ(got.raw.size(), series[0].raw.size());
  EXPECT_GT(first, 0u);
}

TEST(BlockReadWriteTest, MetaJsonIsReadable) {
  TempDir tmp;
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "0000019a7c3e2f10-0001", MakeSeries(), 2, &meta).ok());
  auto text = storage::ReadFile(tmp.path() + "/0000019a7c3e2f10-0001/meta.json");
  ASSERT_TRUE(text.ok());
  const nlohmann::json j = nlohmann::json::parse(*text);
  EXPECT_EQ(j["format"], "vigil-block");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["id"], "0000019a7c3e2f10-0001");
  EXPECT_EQ(j["level"], 2);
  EXPECT_EQ(j["resolution_ms"], 0);
  EXPECT_EQ(j["num_series"], meta.num_series);
  EXPECT_EQ(j["min_time_ms"], meta.min_time_ms);
  EXPECT_TRUE(j["parents"].is_array());
  EXPECT_EQ(j["files"]["chunks"]["bytes"],
            *storage::FileSize(tmp.path() + "/0000019a7c3e2f10-0001/chunks"));
}

TEST(BlockReadWriteTest, LastAppendTimesOfAnyRange) {
  TempDir tmp;
  std::vector<SeriesData> series = MakeSeries();
  series[0].last_append_ms = 0;  // 55 years before the others: beyond 32-bit offsets
  series[1].last_append_ms = -5;
  series[2].last_append_ms = INT64_MAX;
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "b", series, 0, &meta).ok());
  auto reader = BlockReader::Open(tmp.path() + "/b");
  ASSERT_TRUE(reader.ok());
  for (size_t i = 0; i < series.size(); ++i) {
    EXPECT_EQ((*reader)->last_append_ms(i), series[i].last_append_ms) << i;
  }
}

TEST(BlockReadWriteTest, IndexMemoryIsCompact) {
  TempDir tmp;
  std::vector<SeriesData> series;
  for (int h = 0; h < 1000; ++h) {
    for (const char* handler : {"/a", "/b", "/c"}) {
      SeriesData s;
      char host[16];
      std::snprintf(host, sizeof(host), "host-%04d", h);
      s.key = SeriesKey{"Fleet",
                        "http_requests_total",
                        {{"handler", handler}, {"instance", host}, {"job", "shop"}}};
      s.last_append_ms = kT0 + h;
      s.raw.push_back(RawSample{kT0, 1, 1});
      series.push_back(std::move(s));
    }
  }
  std::sort(series.begin(), series.end(), [](const SeriesData& a, const SeriesData& b) {
    return a.key < b.key;  // the same order as the canonical strings for these keys
  });
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "b", series, 0, &meta).ok());
  auto reader = BlockReader::Open(tmp.path() + "/b");
  ASSERT_TRUE(reader.ok());
  const double per_series =
      static_cast<double>((*reader)->MemoryBytes()) / static_cast<double>(series.size());
  std::printf("reader memory: %.1f bytes/series\n", per_series);
  EXPECT_LT(per_series, 24);
  EXPECT_EQ((*reader)->key(1234), series[1234].key);
  EXPECT_EQ((*reader)->last_append_ms(2999), series[2999].last_append_ms);
}

TEST(BlockReadWriteTest, EmptyBlock) {
  TempDir tmp;
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "empty", {}, 0, &meta).ok());
  EXPECT_EQ(meta.num_series, 0u);
  EXPECT_EQ(meta.num_samples, 0u);
  auto reader = BlockReader::Open(tmp.path() + "/empty");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->num_series(), 0u);
  EXPECT_EQ((*reader)->Find(Key("m", "h")), -1);
  EXPECT_TRUE((*reader)->series().empty());
}

TEST(BlockReadWriteTest, RefusesBadInputAndLeavesNothingBehind) {
  TempDir tmp;
  std::vector<SeriesData> series = MakeSeries();
  BlockMeta meta;

  std::vector<SeriesData> unsorted = series;
  std::swap(unsorted[3], unsorted[4]);
  EXPECT_EQ(WriteBlock(tmp.path(), "x", unsorted, 0, &meta).code(), StatusCode::kInvalidArgument);

  std::vector<SeriesData> duplicate = {series[0], series[0]};
  EXPECT_EQ(WriteBlock(tmp.path(), "x", duplicate, 0, &meta).code(), StatusCode::kInvalidArgument);

  std::vector<SeriesData> bad_dims = {series[0]};
  std::swap(bad_dims[0].key.dimensions[0], bad_dims[0].key.dimensions[1]);
  EXPECT_EQ(WriteBlock(tmp.path(), "x", bad_dims, 0, &meta).code(), StatusCode::kInvalidArgument);

  std::vector<SeriesData> bad_time = {series[0]};
  std::swap(bad_time[0].raw[0], bad_time[0].raw[1]);
  EXPECT_EQ(WriteBlock(tmp.path(), "x", bad_time, 0, &meta).code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(WriteBlock(tmp.path(), "a/b", series, 0, &meta).code(), StatusCode::kInvalidArgument);
  auto listing = storage::ListDir(tmp.path());
  ASSERT_TRUE(listing.ok());
  EXPECT_TRUE(listing->empty()) << (*listing)[0];

  ASSERT_TRUE(WriteBlock(tmp.path(), "x", series, 0, &meta).ok());
  EXPECT_EQ(WriteBlock(tmp.path(), "x", series, 0, &meta).code(), StatusCode::kAlreadyExists);
}

TEST(BlockReadWriteTest, WriterIsUsableAfterARefusedSeriesAndAbandonable) {
  TempDir tmp;
  const std::vector<SeriesData> series = MakeSeries();
  {
    auto writer = BlockWriter::Create(tmp.path(), "abandoned", {});
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Add(series[0]).ok());
    EXPECT_TRUE(storage::PathExists(tmp.path() + "/abandoned.tmp"));
  }  // destroyed without Finish
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/abandoned.tmp"));
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/abandoned"));

  // A stale .tmp from a crash is replaced.
  ASSERT_TRUE(storage::CreateDirs(tmp.path() + "/b.tmp").ok());
  ASSERT_TRUE(storage::WriteFileAtomic(tmp.path() + "/b.tmp/junk", "x").ok());
  BlockWriter::Options options;
  options.level = 3;
  options.resolution_ms = 60'000;
  options.parents = {"p1", "p2"};
  auto writer = BlockWriter::Create(tmp.path(), "b", options);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Add(series[1]).ok());
  EXPECT_EQ((*writer)->Add(series[0]).code(), StatusCode::kInvalidArgument);  // out of order
  ASSERT_TRUE((*writer)->Add(series[2]).ok());
  BlockMeta meta;
  ASSERT_TRUE((*writer)->Finish(&meta).ok());
  EXPECT_EQ((*writer)->Add(series[3]).code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/b/junk"));
  auto reader = BlockReader::Open(tmp.path() + "/b");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->num_series(), 2u);
  EXPECT_EQ((*reader)->meta().level, 3);
  EXPECT_EQ((*reader)->meta().resolution_ms, 60'000);
  EXPECT_EQ((*reader)->meta().parents, (std::vector<std::string>{"p1", "p2"}));
}

// Rollup blocks: per-period points with opaque sketch bytes, read whole and by range, merged.
std::vector<SeriesData> RollupSeries(int64_t from_hour, int64_t hours) {
  std::vector<SeriesData> out;
  for (int h = 0; h < 3; ++h) {
    SeriesData s;
    s.key = Key("latency", "host-" + std::to_string(h));
    for (int64_t k = from_hour; k < from_hour + hours; ++k) {
      const double n = 360 + static_cast<double>(k % 7);
      std::string sketch = k % 5 == 0 ? std::string() : std::string(static_cast<size_t>(k % 40), 'x');
      if (!sketch.empty()) sketch[0] = static_cast<char>(h);
      s.rollups.push_back({kT0 + k * 3'600'000, n, n * 0.12, 0.01 * (h + 1), 1.5 + k, sketch});
    }
    out.push_back(std::move(s));
  }
  return out;
}

TEST(BlockRollupTest, PointsAndSketchesRoundTripAndMerge) {
  TempDir tmp;
  BlockWriter::Options options;
  options.resolution_ms = 3'600'000;
  options.sketch_accuracy = 0.02;
  std::vector<std::unique_ptr<BlockReader>> readers;
  for (const auto& [id, from] : {std::pair<std::string, int64_t>{"day1", 0}, {"day2", 24}}) {
    auto writer = BlockWriter::Create(tmp.path(), id, options);
    ASSERT_TRUE(writer.ok());
    for (const SeriesData& s : RollupSeries(from, 24)) ASSERT_TRUE((*writer)->Add(s).ok());
    BlockMeta meta;
    ASSERT_TRUE((*writer)->Finish(&meta).ok());
    EXPECT_EQ(meta.num_samples, 72u);
    auto reader = BlockReader::Open(tmp.path() + "/" + id);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->meta().resolution_ms, 3'600'000);
    EXPECT_EQ((*reader)->meta().sketch_accuracy, 0.02);
    readers.push_back(std::move(reader).value());
  }
  const std::vector<SeriesData> want = RollupSeries(0, 24);
  for (size_t i = 0; i < want.size(); ++i) {
    SeriesData got;
    ASSERT_TRUE(readers[0]->ReadSeries(i, INT64_MIN, INT64_MAX, &got).ok());
    EXPECT_EQ(got.rollups, want[i].rollups);
    EXPECT_TRUE(got.raw.empty() && got.stats.empty());
    // A range: hours [5, 9).
    SeriesData part;
    ASSERT_TRUE(
        readers[0]->ReadSeries(i, kT0 + 5 * 3'600'000, kT0 + 9 * 3'600'000, &part).ok());
    EXPECT_EQ(part.rollups, std::vector<RollupSample>(want[i].rollups.begin() + 5,
                                                      want[i].rollups.begin() + 9));
  }
  const BlockReader* inputs[] = {readers[1].get(), readers[0].get()};
  BlockMeta merged_meta;
  ASSERT_TRUE(MergeBlocks(tmp.path(), "both", inputs, &merged_meta).ok());
  auto merged = BlockReader::Open(tmp.path() + "/both");
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ((*merged)->meta().sketch_accuracy, 0.02);
  const std::vector<SeriesData> whole = RollupSeries(0, 48);
  for (size_t i = 0; i < whole.size(); ++i) {
    SeriesData got;
    ASSERT_TRUE((*merged)->ReadSeries(i, INT64_MIN, INT64_MAX, &got).ok());
    EXPECT_EQ(got.rollups, whole[i].rollups);
  }
  // Rollups of another accuracy, or raw blocks, do not merge with these.
  options.sketch_accuracy = 0.01;
  auto other = BlockWriter::Create(tmp.path(), "other", options);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Add(RollupSeries(48, 1)[0]).ok());
  BlockMeta other_meta;
  ASSERT_TRUE((*other)->Finish(&other_meta).ok());
  auto other_reader = BlockReader::Open(tmp.path() + "/other");
  ASSERT_TRUE(other_reader.ok());
  const BlockReader* mixed[] = {readers[0].get(), other_reader->get()};
  EXPECT_EQ(MergeBlocks(tmp.path(), "mixed", mixed, &other_meta).code(),
            StatusCode::kInvalidArgument);
}

TEST(BlockRollupTest, EveryTruncationOfARollupRecordIsRefused) {
  SeriesData s = RollupSeries(0, 30)[1];
  std::string record;
  EncodeSeriesRecord(s, kT0, &record);
  for (size_t cut = 0; cut < record.size(); ++cut) {
    SeriesData out;
    EXPECT_FALSE(DecodeSeriesRecord(std::string_view(record).substr(0, cut), kT0, INT64_MIN,
                                    INT64_MAX, &out))
        << cut;
  }
  SeriesData out;
  ASSERT_TRUE(DecodeSeriesRecord(record, kT0, INT64_MIN, INT64_MAX, &out));
  EXPECT_EQ(out.rollups, s.rollups);
}

}  // namespace
}  // namespace vigil::tsdb::block
