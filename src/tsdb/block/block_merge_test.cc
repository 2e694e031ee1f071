// MergeBlocks: union of series, samples merged by time, metadata of the output.
#include <fcntl.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/index_format.h"

namespace vigil::tsdb::block {
namespace {

SeriesKey Key(const std::string& host) { return SeriesKey{"App", "m", {{"host", host}}}; }

SeriesData Series(const std::string& host, const std::string& unit, int64_t from, int64_t to,
                  int64_t step, double value_base, int64_t last_append) {
  SeriesData s;
  s.key = Key(host);
  s.unit = unit;
  s.last_append_ms = last_append;
  for (int64_t t = from; t < to; t += step) {
    s.raw.push_back(RawSample{t, value_base + static_cast<double>(t) / 1000, 1});
  }
  return s;
}

std::unique_ptr<BlockReader> Write(const std::string& dir, const std::string& id,
                                   std::vector<SeriesData> series, int level) {
  std::sort(series.begin(), series.end(), [](const SeriesData& a, const SeriesData& b) {
    std::string ka, kb;
    AppendCanonicalKey(a.key, &ka);
    AppendCanonicalKey(b.key, &kb);
    return ka < kb;
  });
  BlockMeta meta;
  EXPECT_TRUE(WriteBlock(dir, id, series, level, &meta).ok());
  auto reader = BlockReader::Open(dir + "/" + id);
  EXPECT_TRUE(reader.ok()) << reader.status().ToString();
  return std::move(*reader);
}

TEST(BlockMergeTest, MergesSeriesUnionInKeyOrder) {
  TempDir tmp;
  // a: hosts 1, 2, 3 in [0, 100 s); b: hosts 2, 4 in [50 s, 150 s), overlapping a in time;
  // c: host 0 and 3 later, host 3 with another unit.
  auto a = Write(tmp.path(), "a",
                 {Series("h1", "None", 0, 100'000, 10'000, 0, 100),
                  Series("h2", "None", 0, 100'000, 10'000, 0, 200),
                  Series("h3", "None", 0, 100'000, 10'000, 0, 300)},
                 0);
  auto b = Write(tmp.path(), "b",
                 {Series("h2", "None", 50'000, 150'000, 5'000, 1000, 150),
                  Series("h4", "None", 50'000, 150'000, 10'000, 0, 400)},
                 1);
  auto c = Write(tmp.path(), "c",
                 {Series("h0", "Count", 200'000, 300'000, 10'000, 0, 500),
                  Series("h3", "Seconds", 200'000, 210'000, 10'000, 0, 250)},
                 0);
  const BlockReader* inputs[] = {a.get(), b.get(), c.get()};
  BlockMeta meta;
  ASSERT_TRUE(MergeBlocks(tmp.path(), "m", inputs, &meta).ok());
  EXPECT_EQ(meta.level, 2);
  EXPECT_EQ(meta.parents, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(meta.min_time_ms, 0);
  EXPECT_EQ(meta.max_time_ms, 290'000);
  EXPECT_EQ(meta.num_samples,
            a->meta().num_samples + b->meta().num_samples + c->meta().num_samples);

  auto m = BlockReader::Open(tmp.path() + "/m");
  ASSERT_TRUE(m.ok());
  ASSERT_EQ((*m)->num_series(), 5u);
  const char* hosts[] = {"h0", "h1", "h2", "h3", "h4"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ((*m)->key(i), Key(hosts[i]));

  SeriesData h2;
  ASSERT_TRUE((*m)->ReadSeries(2, INT64_MIN, INT64_MAX, &h2).ok());
  ASSERT_EQ(h2.raw.size(), 10u + 20u);
  for (size_t k = 1; k < h2.raw.size(); ++k) {
    ASSERT_LE(h2.raw[k - 1].timestamp_ms, h2.raw[k].timestamp_ms);
  }
  // At 50 s both inputs have a sample: a's (older input) comes first.
  auto at50 = std::find_if(h2.raw.begin(), h2.raw.end(),
                           [](const RawSample& s) { return s.timestamp_ms == 50'000; });
  ASSERT_NE(at50, h2.raw.end());
  EXPECT_EQ(at50[0].value, 50.0);
  EXPECT_EQ(at50[1].timestamp_ms, 50'000);
  EXPECT_EQ(at50[1].value, 1050.0);
  EXPECT_EQ((*m)->last_append_ms(2), 200);  // the largest

  SeriesData h3;
  ASSERT_TRUE((*m)->ReadSeries(3, INT64_MIN, INT64_MAX, &h3).ok());
  EXPECT_EQ(h3.raw.size(), 11u);
  EXPECT_EQ(h3.unit, "Seconds");  // the last input holding the series wins
  EXPECT_EQ((*m)->last_append_ms(3), 300);

  // Merging is idempotent in content: merging the output with nothing else keeps it.
  const BlockReader* again[] = {m->get()};
  BlockMeta meta2;
  ASSERT_TRUE(MergeBlocks(tmp.path(), "m2", again, &meta2).ok());
  EXPECT_EQ(meta2.num_samples, meta.num_samples);
  EXPECT_EQ(meta2.level, 3);
}

TEST(BlockMergeTest, MergesStatisticSets) {
  TempDir tmp;
  SeriesData s1{Key("h"), "None", {}, {{60'000, 3, 6, 1, 3}, {180'000, 1, 5, 5, 5}}, {}, 1};
  SeriesData s2{Key("h"), "None", {}, {{120'000, 2, 2, 1, 1}}, {}, 2};
  auto a = Write(tmp.path(), "a", {s1}, 0);
  auto b = Write(tmp.path(), "b", {s2}, 0);
  const BlockReader* inputs[] = {a.get(), b.get()};
  BlockMeta meta;
  ASSERT_TRUE(MergeBlocks(tmp.path(), "m", inputs, &meta).ok());
  auto m = BlockReader::Open(tmp.path() + "/m");
  ASSERT_TRUE(m.ok());
  SeriesData got;
  ASSERT_TRUE((*m)->ReadSeries(0, INT64_MIN, INT64_MAX, &got).ok());
  ASSERT_EQ(got.stats.size(), 3u);
  EXPECT_EQ(got.stats[0].timestamp_ms, 60'000);
  EXPECT_EQ(got.stats[1].timestamp_ms, 120'000);
  EXPECT_EQ(got.stats[1].sum, 2);
  EXPECT_EQ(got.stats[2].maximum, 5);
}

TEST(BlockMergeTest, RefusesMismatchedInputs) {
  TempDir tmp;
  auto a = Write(tmp.path(), "a", {Series("h1", "None", 0, 10'000, 1000, 0, 1)}, 0);
  BlockMeta meta;
  EXPECT_EQ(MergeBlocks(tmp.path(), "m", {}, &meta).code(), StatusCode::kInvalidArgument);

  auto writer = BlockWriter::Create(tmp.path(), "rollup", {0, 60'000, 0, {}});
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Finish(&meta).ok());
  auto rollup = BlockReader::Open(tmp.path() + "/rollup");
  ASSERT_TRUE(rollup.ok());
  const BlockReader* inputs[] = {a.get(), rollup->get()};
  EXPECT_EQ(MergeBlocks(tmp.path(), "m", inputs, &meta).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/m"));
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/m.tmp"));
}

TEST(BlockMergeTest, CorruptInputWritesNothing) {
  TempDir tmp;
  auto a = Write(tmp.path(), "a", {Series("h1", "None", 0, 100'000, 1000, 0, 1)}, 0);
  auto b = Write(tmp.path(), "b", {Series("h2", "None", 0, 100'000, 1000, 0, 1)}, 0);
  // Damage the file in place: the open reader keeps reading the same inode.
  const std::string chunks = *storage::ReadFile(tmp.path() + "/b/chunks");
  const char damaged = static_cast<char>(chunks[12] ^ 0x40);
  const int fd = ::open((tmp.path() + "/b/chunks").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, &damaged, 1, 12), 1);
  ::close(fd);
  const BlockReader* inputs[] = {a.get(), b.get()};
  BlockMeta meta;
  EXPECT_EQ(MergeBlocks(tmp.path(), "m", inputs, &meta).code(), StatusCode::kDataLoss);
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/m"));
  EXPECT_FALSE(storage::PathExists(tmp.path() + "/m.tmp"));
}

}  // namespace
}  // namespace vigil::tsdb::block

namespace vigil::tsdb::block {
namespace {

TEST(BlockMergeTest, SplitByRangeWritesOneBlockPerRangeWithSiblings) {
  TempDir tmp;
  // h1 spans [0, 250 s), h2 only [120 s, 140 s); ranges of 100 s.
  auto a = Write(tmp.path(), "a",
                 {Series("h1", "None", 0, 250'000, 10'000, 0, 100),
                  Series("h2", "None", 120'000, 140'000, 10'000, 0, 200)},
                 0);
  auto b = Write(tmp.path(), "b", {Series("h1", "None", 5'000, 6'000, 1'000, 7, 300)}, 2);
  const BlockReader* inputs[] = {a.get(), b.get()};
  int next = 0;
  std::vector<BlockMeta> metas;
  ASSERT_TRUE(MergeBlocksByRange(
                  tmp.path(), [&] { return "out" + std::to_string(next++); }, inputs, 100'000,
                  &metas)
                  .ok());
  ASSERT_EQ(metas.size(), 3u);
  size_t samples = 0;
  for (size_t i = 0; i < metas.size(); ++i) {
    const BlockMeta& m = metas[i];
    EXPECT_EQ(m.id, "out" + std::to_string(i));
    EXPECT_EQ(m.level, 3);
    EXPECT_EQ(m.parents, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(m.siblings.size(), 2u);
    EXPECT_EQ(std::count(m.siblings.begin(), m.siblings.end(), m.id), 0);
    EXPECT_EQ(m.min_time_ms / 100'000, static_cast<int64_t>(i));
    EXPECT_EQ(m.max_time_ms / 100'000, static_cast<int64_t>(i));
    auto r = BlockReader::Open(tmp.path() + "/" + m.id);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)->meta().siblings, m.siblings);  // kept in meta.json
    EXPECT_EQ((*r)->num_series(), i == 1 ? 2u : 1u);
    samples += m.num_samples;
  }
  EXPECT_EQ(samples, 25u + 2u + 1u);
  // The first range holds h1's samples of both inputs, merged by time.
  auto first = BlockReader::Open(tmp.path() + "/out0");
  SeriesData d;
  ASSERT_TRUE((*first)->ReadSeries(0, 0, 100'000, &d).ok());
  ASSERT_EQ(d.raw.size(), 11u);
  EXPECT_EQ(d.raw[1].timestamp_ms, 5'000);
  EXPECT_EQ(d.last_append_ms, 300);
}

}  // namespace
}  // namespace vigil::tsdb::block
