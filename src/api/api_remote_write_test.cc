// The remote-write decoder on hand-built protobuf messages (a tiny encoder below), snappy, and
// malformed input.
#include <gtest/gtest.h>
#include <snappy.h>

#include <cmath>
#include <cstring>
#include <random>

#include "api/remote_write_decode.h"
#include "api/testing/remote_write_encoder.h"

namespace vigil::api {
namespace {

using testing::DoubleBits;
using testing::EncodeTimeSeries;
using testing::EncodeWriteRequest;
using testing::PromSeries;

uint64_t Bits(double v) { return DoubleBits(v); }
std::string TimeSeries(const PromSeries& s, bool extras = false) {
  return EncodeTimeSeries(s, extras);
}
std::string WriteRequest(const std::vector<std::string>& series, bool metadata = false) {
  return EncodeWriteRequest(series, metadata);
}
void Varint(std::string* out, uint64_t v) { testing::PutVarint(out, v); }
void Tag(std::string* out, int field, int wire_type) { testing::PutTag(out, field, wire_type); }

// Decodes and copies the views out, so tests compare values.
StatusOr<std::vector<tsdb::SeriesSamples>> Decode(std::string_view data, std::string_view ns,
                                                  WriteRequestStats* stats) {
  DecodedWrite decoded;
  RETURN_IF_ERROR(DecodeWriteRequest(data, ns, &decoded, stats));
  std::vector<tsdb::SeriesSamples> out;
  for (const tsdb::SeriesSamplesView& v : decoded.series) out.push_back(tsdb::ToSeriesSamples(v));
  return out;
}

constexpr int64_t kT = 1736899200000;

TEST(RemoteWriteDecodeTest, DecodesDropsStaleAndNonFiniteSkipsExtras) {
  const PromSeries up{{{"__name__", "up"}, {"instance", "a:9090"}, {"job", "node"}},
                      {{Bits(1.0), kT},
                       {kPrometheusStaleNaN, kT + 1},
                       {Bits(std::nan("")), kT + 2},
                       {Bits(INFINITY), kT + 3},
                       {Bits(-INFINITY), kT + 4},
                       {Bits(2.5), kT + 5}}};
  const PromSeries gone{{{"__name__", "gone"}}, {{kPrometheusStaleNaN, kT}}};
  const std::string data = WriteRequest({TimeSeries(up, true), TimeSeries(gone)}, true);

  WriteRequestStats stats;
  auto decoded = Decode(data, "Prom", &stats);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const std::vector<tsdb::SeriesSamples>& out = decoded.value();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key, (tsdb::SeriesKey{"Prom", "up", {{"instance", "a:9090"}, {"job", "node"}}}));
  EXPECT_EQ(out[0].unit, "None");
  ASSERT_EQ(out[0].raw.size(), 2u);
  EXPECT_EQ(out[0].raw[0].timestamp_ms, kT);
  EXPECT_EQ(out[0].raw[0].value, 1.0);
  EXPECT_EQ(out[0].raw[0].count, 1);
  EXPECT_EQ(out[0].raw[1].timestamp_ms, kT + 5);
  EXPECT_EQ(out[0].raw[1].value, 2.5);
  EXPECT_EQ(stats.series, 1u);
  EXPECT_EQ(stats.samples, 2u);
  EXPECT_EQ(stats.stale_markers, 2u);
  EXPECT_EQ(stats.invalid_values, 3u);
  EXPECT_EQ(stats.empty_series, 1u);
}

TEST(RemoteWriteDecodeTest, LabelsAreSortedAndEmptyValuesDropped) {
  const PromSeries s{{{"zone", "z"}, {"__name__", "m"}, {"app", "a"}, {"empty", ""}},
                     {{Bits(1), kT}}};
  WriteRequestStats stats;
  auto decoded = Decode(WriteRequest({TimeSeries(s)}), "N", &stats);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const std::vector<tsdb::SeriesSamples>& out = decoded.value();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].key.dimensions, (std::vector<tsdb::Dimension>{{"app", "a"}, {"zone", "z"}}));
}

TEST(RemoteWriteDecodeTest, EachSeriesViewsItsOwnDimensionsAndSamples) {
  const PromSeries a{{{"__name__", "a"}, {"x", "1"}, {"y", "2"}}, {{Bits(1), kT}, {Bits(2), kT + 1}}};
  const PromSeries stale{{{"__name__", "b"}, {"x", "9"}}, {{kPrometheusStaleNaN, kT}}};
  const PromSeries c{{{"z", "3"}, {"__name__", "c"}, {"w", "4"}}, {{Bits(3), kT + 2}}};
  std::vector<std::string> series;
  for (int i = 0; i < 200; ++i) {  // enough for the buffers to move while they grow
    series.push_back(TimeSeries(a));
    series.push_back(TimeSeries(stale));
    series.push_back(TimeSeries(c));
  }
  const std::string payload = WriteRequest(series);  // the views point into it
  DecodedWrite out;
  WriteRequestStats stats;
  ASSERT_TRUE(DecodeWriteRequest(payload, "N", &out, &stats).ok());
  ASSERT_EQ(out.series.size(), 400u);
  EXPECT_EQ(stats.empty_series, 200u);
  for (size_t i = 0; i < out.series.size(); i += 2) {
    const tsdb::SeriesSamples first = tsdb::ToSeriesSamples(out.series[i]);
    const tsdb::SeriesSamples second = tsdb::ToSeriesSamples(out.series[i + 1]);
    EXPECT_EQ(first.key, (tsdb::SeriesKey{"N", "a", {{"x", "1"}, {"y", "2"}}}));
    ASSERT_EQ(first.raw.size(), 2u);
    EXPECT_EQ(first.raw[1].value, 2);
    EXPECT_EQ(second.key, (tsdb::SeriesKey{"N", "c", {{"w", "4"}, {"z", "3"}}}));
    ASSERT_EQ(second.raw.size(), 1u);
    EXPECT_EQ(second.raw[0].timestamp_ms, kT + 2);
  }
}

TEST(RemoteWriteDecodeTest, NegativeAndLargeTimestamps) {
  const PromSeries s{{{"__name__", "m"}}, {{Bits(1), -5}, {Bits(2), INT64_MAX}}};
  WriteRequestStats stats;
  auto decoded = Decode(WriteRequest({TimeSeries(s)}), "N", &stats);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const std::vector<tsdb::SeriesSamples>& out = decoded.value();
  EXPECT_EQ(out[0].raw[0].timestamp_ms, -5);
  EXPECT_EQ(out[0].raw[1].timestamp_ms, INT64_MAX);
}

TEST(RemoteWriteDecodeTest, EmptyRequest) {
  DecodedWrite out;
  WriteRequestStats stats;
  EXPECT_TRUE(DecodeWriteRequest("", "N", &out, &stats).ok());
  EXPECT_TRUE(out.series.empty());
}

TEST(RemoteWriteDecodeTest, RefusesBadSeries) {
  std::vector<std::pair<std::string, PromSeries>> cases = {
      {"no __name__", {{{"job", "x"}}, {{Bits(1), kT}}}},
      {"empty __name__", {{{"__name__", ""}}, {{Bits(1), kT}}}},
      {"empty label name", {{{"__name__", "m"}, {"", "v"}}, {{Bits(1), kT}}}},
      {"repeated label", {{{"__name__", "m"}, {"a", "1"}, {"a", "2"}}, {{Bits(1), kT}}}},
      {"invalid UTF-8", {{{"__name__", "m"}, {"a", "\xFF"}}, {{Bits(1), kT}}}},
      {"control character", {{{"__name__", "m\x01"}}, {{Bits(1), kT}}}},
  };
  PromSeries many{{{"__name__", "m"}}, {{Bits(1), kT}}};
  for (int i = 0; i < 31; ++i) many.labels.emplace_back("l" + std::to_string(100 + i), "v");
  cases.emplace_back("31 labels", many);
  for (const auto& [name, spec] : cases) {
    DecodedWrite out;
    WriteRequestStats stats;
    const Status s = DecodeWriteRequest(WriteRequest({TimeSeries(spec)}), "N", &out, &stats);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
  }
  many.labels.pop_back();  // 30 dimensions are fine
  DecodedWrite out;
  WriteRequestStats stats;
  EXPECT_TRUE(DecodeWriteRequest(WriteRequest({TimeSeries(many)}), "N", &out, &stats).ok());
}

TEST(RemoteWriteDecodeTest, MalformedMessages) {
  std::string group;
  Tag(&group, 1, 3);  // start group: not used by remote write
  std::string bad_length;
  Tag(&bad_length, 1, 2);
  Varint(&bad_length, 1000);
  std::string overlong_varint(11, '\xFF');
  std::string field_zero("\x00\x01", 2);
  for (const std::string& data : {group, bad_length, overlong_varint, field_zero}) {
    DecodedWrite out;
    WriteRequestStats stats;
    EXPECT_EQ(DecodeWriteRequest(data, "N", &out, &stats).code(), StatusCode::kInvalidArgument);
  }
}

TEST(RemoteWriteDecodeTest, EveryTruncationAndRandomBytesAreHandled) {
  const PromSeries s{{{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}},
                     {{Bits(1), kT}, {Bits(2), kT + 15000}}};
  const std::string data = WriteRequest({TimeSeries(s, true), TimeSeries(s)}, true);
  for (size_t n = 0; n < data.size(); ++n) {
    DecodedWrite out;
    WriteRequestStats stats;
    const Status st = DecodeWriteRequest(std::string_view(data).substr(0, n), "N", &out, &stats);
    EXPECT_TRUE(st.ok() || st.code() == StatusCode::kInvalidArgument) << st.ToString();
  }
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string junk = data;
    for (int k = 0; k < 3; ++k) junk[rng() % junk.size()] = static_cast<char>(rng());
    DecodedWrite out;
    WriteRequestStats stats;
    const Status st = DecodeWriteRequest(junk, "N", &out, &stats);
    EXPECT_TRUE(st.ok() || st.code() == StatusCode::kInvalidArgument) << st.ToString();
  }
}

TEST(SnappyTest, RoundTripLimitAndCorruption) {
  const PromSeries s{{{"__name__", "m"}}, {{Bits(1), kT}}};
  const std::string data = WriteRequest({TimeSeries(s), TimeSeries(s)});
  std::string compressed;
  snappy::Compress(data.data(), data.size(), &compressed);
  std::string out;
  ASSERT_TRUE(SnappyUncompress(compressed, 1 << 20, &out).ok());
  EXPECT_EQ(out, data);
  EXPECT_EQ(SnappyUncompress(compressed, data.size() - 1, &out).code(),
            StatusCode::kResourceExhausted);
  EXPECT_TRUE(SnappyUncompress(compressed, data.size(), &out).ok());
  std::string corrupt = compressed;
  corrupt.resize(corrupt.size() - 3);
  EXPECT_EQ(SnappyUncompress(corrupt, 1 << 20, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SnappyUncompress("\xFF\xFF\xFF\xFF\xFF\xFF", 1 << 20, &out).code(),
            StatusCode::kInvalidArgument);
  // A block claiming 3 GB is refused before anything is allocated.
  std::string huge;
  Varint(&huge, 3ULL << 30);
  EXPECT_EQ(SnappyUncompress(huge, 32 << 20, &out).code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace vigil::api
