// Round trips of the pure codecs: entropy coder, integer and float columns, series records.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tsdb/block/column_codec.h"
#include "tsdb/block/entropy.h"
#include "tsdb/block/series_codec.h"

namespace vigil::tsdb::block {
namespace {

constexpr int64_t kMin64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max();

std::vector<int64_t> DecodeInts(std::string_view* in, size_t n, int64_t origin, size_t limit) {
  std::vector<int64_t> out(limit);
  EXPECT_TRUE(DecodeIntColumn(in, n, origin, limit, out.data()));
  return out;
}

void ExpectIntRoundTrip(const std::vector<int64_t>& values, int64_t origin = 0) {
  std::string buf;
  EncodeIntColumn(values, origin, &buf);
  buf.append("tail");
  // Limits ending in the first and in the second half (a long Huffman column is two streams).
  for (size_t limit : {values.size(), values.size() / 2, values.size() / 2 + 1,
                       values.size() * 3 / 4, size_t{1}, size_t{0}}) {
    limit = std::min(limit, values.size());
    std::string_view in(buf);
    const std::vector<int64_t> got = DecodeInts(&in, values.size(), origin, limit);
    ASSERT_EQ(got, std::vector<int64_t>(values.begin(), values.begin() + limit));
    EXPECT_EQ(in, "tail") << "the decoder must step over the whole column";
  }
}

uint64_t Bits(double v) { return std::bit_cast<uint64_t>(v); }

void ExpectFloatRoundTrip(const std::vector<double>& values, size_t* encoded_bytes = nullptr) {
  std::string buf;
  EncodeFloatColumn(values, &buf);
  if (encoded_bytes != nullptr) *encoded_bytes = buf.size();
  buf.append("tail");
  for (const size_t limit : {values.size(), values.size() / 3}) {
    std::string_view in(buf);
    std::vector<double> got(limit);
    ASSERT_TRUE(DecodeFloatColumn(&in, values.size(), limit, got.data()));
    for (size_t i = 0; i < limit; ++i) {
      ASSERT_EQ(Bits(got[i]), Bits(values[i])) << "index " << i << ": " << values[i];
    }
    EXPECT_EQ(in, "tail");
  }
}

TEST(IntColumnTest, LongHuffmanColumnsUseTwoStreams) {
  std::mt19937_64 rng(3);
  for (const size_t n : {255, 256, 257, 258, 1000, 8641}) {
    std::vector<int64_t> counter;
    int64_t v = 1000;
    for (size_t i = 0; i < n; ++i) counter.push_back(v += static_cast<int64_t>(rng() % 50));
    std::string buf;
    EncodeIntColumn(counter, 0, &buf);
    const int coding = (static_cast<uint8_t>(buf[0]) >> 2) & 3;
    EXPECT_EQ(coding, n - 1 >= 256 ? 3 : 1) << n;  // delta transform: n - 1 residuals
    ExpectIntRoundTrip(counter);
    // Truncated two-stream payloads are refused, never read past the end.
    for (size_t cut = 1; cut < buf.size(); cut += 7) {
      std::string_view in(buf.data(), cut);
      std::vector<int64_t> out(n);
      EXPECT_FALSE(DecodeIntColumn(&in, n, 0, n, out.data())) << n << " cut at " << cut;
    }
  }
}

TEST(EntropyTest, SymbolsCoverEveryValue) {
  std::mt19937_64 rng(7);
  std::vector<uint64_t> samples = {0, 1, 7, 8, 9, 15, 16, 1000, kMax64, ~uint64_t{0}};
  for (int i = 0; i < 10000; ++i) samples.push_back(rng() >> (rng() % 64));
  for (const uint64_t u : samples) {
    const int s = SymbolOf(u);
    ASSERT_LT(s, kNumSymbols);
    const SymbolInfo& info = kSymbolInfo[s];
    ASSERT_GE(u, info.base);
    ASSERT_LT(u - info.base, uint64_t{1} << info.extra_bits) << u;
  }
}

TEST(EntropyTest, HuffmanRoundTripsSkewedAndFlatDistributions) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<uint64_t> values;
    const int kind = trial % 4;
    for (int i = 0; i < 3000; ++i) {
      uint64_t u = 0;
      if (kind == 0) u = 42;                                             // one symbol
      if (kind == 1) u = rng() % 2;                                      // two symbols
      if (kind == 2) u = rng() >> (rng() % 64);                          // every width
      if (kind == 3) u = std::countr_zero(rng() | (uint64_t{1} << 40));  // geometric: long codes
      values.push_back(u);
    }
    SymbolCounts counts;
    for (const uint64_t u : values) counts.Add(u);
    const HuffmanEncoder enc(counts);
    std::string buf;
    enc.WriteTable(&buf);
    ASSERT_EQ(buf.size(), enc.TableBytes());
    std::string payload;
    BitWriter w(&payload);
    for (const uint64_t u : values) enc.Encode(u, &w);
    w.Flush();
    EXPECT_EQ(payload.size(), (enc.PayloadBits(counts) + 7) / 8);
    // The estimate used to choose a column's coding is close to the real size.
    const double exact = static_cast<double>(buf.size() + payload.size() + 2);
    EXPECT_NEAR(static_cast<double>(EstimateHuffmanBytes(counts)), exact, 0.05 * exact + 4)
        << "trial " << trial;
    std::string_view in(buf);
    HuffmanDecoder dec;
    ASSERT_TRUE(dec.ReadTable(&in));
    EXPECT_TRUE(in.empty());
    BitReader r(payload.data(), payload.size());
    for (const uint64_t u : values) ASSERT_EQ(dec.Decode(&r), u);
    EXPECT_TRUE(r.ok());
    BitReader empty(payload.data(), 0);
    empty.Read(1);
    EXPECT_FALSE(empty.ok());
  }
}

TEST(EntropyTest, RejectsIncompleteTables) {
  HuffmanDecoder dec;
  std::string_view too_short("\x01", 1);
  EXPECT_FALSE(dec.ReadTable(&too_short));
  // Symbols 0 and 1 of length 2 ("0010" then "0": same): Kraft sum 1/2.
  const std::string incomplete = {0, 1, 0x02};
  std::string_view in(incomplete);
  EXPECT_FALSE(dec.ReadTable(&in));
  // Length 11 then "10" (+1): 12 is too long.
  const std::string too_long = {0, 1, 0x1b};
  in = too_long;
  EXPECT_FALSE(dec.ReadTable(&in));
  // Symbols 0 and 1 of length 1: a complete code.
  const std::string good = {0, 1, 0x01};
  in = good;
  EXPECT_TRUE(dec.ReadTable(&in));
  EXPECT_TRUE(in.empty());
}

TEST(IntColumnTest, RoundTripsEdgeCases) {
  ExpectIntRoundTrip({});
  ExpectIntRoundTrip({5});
  ExpectIntRoundTrip({kMin64});
  ExpectIntRoundTrip({kMax64, kMin64});
  ExpectIntRoundTrip({kMin64, kMax64, kMin64, 0, kMax64, -1, 1});  // deltas overflow
  ExpectIntRoundTrip({7, 7, 7, 7, 7, 7});
  ExpectIntRoundTrip({0, 10, 20, 30, 40, 50});
  ExpectIntRoundTrip({1000, 1000, 1000, 1001, 1001});                     // equal timestamps
  ExpectIntRoundTrip({0, 10, 20, 1'000'000'000'000, 1'000'000'000'010});  // long gap
  ExpectIntRoundTrip({50, 40, 60, 10, -5, 1LL << 62});                    // backwards
  ExpectIntRoundTrip({1'735'689'600'123, 1'735'689'610'123}, 1'735'689'600'000);
  ExpectIntRoundTrip({kMax64, kMax64 - 1}, kMin64);  // origin far away
}

TEST(IntColumnTest, RoundTripsRandomColumns) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + rng() % 2000;
    std::vector<int64_t> v(n);
    int64_t x = static_cast<int64_t>(rng());
    int64_t d = static_cast<int64_t>(rng() % 100000);
    for (size_t i = 0; i < n; ++i) {
      switch (trial % 5) {
        case 0:
          v[i] = static_cast<int64_t>(rng());
          break;  // noise
        case 1:
          x += d + static_cast<int64_t>(rng() % 7) - 3;
          v[i] = x;
          break;  // jittered
        case 2:
          x += static_cast<int64_t>(rng() % 1000);
          v[i] = x;
          break;  // counter
        case 3:
          v[i] = static_cast<int64_t>(rng() % 5) - 2;
          break;  // tiny
        case 4:
          v[i] = (rng() % 100 == 0) ? kMin64 : static_cast<int64_t>(rng() % 100);
          break;
      }
    }
    ExpectIntRoundTrip(v, static_cast<int64_t>(rng()));
  }
}

TEST(IntColumnTest, RegularTimestampsCostAFewBytes) {
  std::vector<int64_t> ts;
  for (int i = 0; i < 8640; ++i) ts.push_back(1'735'689'603'217 + i * 10'000LL);
  std::string buf;
  EncodeIntColumn(ts, 1'735'689'600'000, &buf);
  EXPECT_LE(buf.size(), 8u);
}

TEST(IntColumnTest, RejectsMalformedInputWithoutCrashing) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> out(500);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string garbage(rng() % 64, '\0');
    for (char& c : garbage) c = static_cast<char>(rng());
    std::string_view in(garbage);
    (void)DecodeIntColumn(&in, 500, 0, 500, out.data());  // must not crash or overrun
  }
  // A valid column cut short is refused.
  std::vector<int64_t> v;
  for (int i = 0; i < 500; ++i) v.push_back(static_cast<int64_t>(rng() % 100000));
  std::string buf;
  EncodeIntColumn(v, 0, &buf);
  for (size_t cut = 0; cut < buf.size(); ++cut) {
    std::string_view in(buf.data(), cut);
    EXPECT_FALSE(DecodeIntColumn(&in, v.size(), 0, v.size(), out.data())) << cut;
  }
}

TEST(FloatColumnTest, RoundTripsEdgeValuesBitForBit) {
  const double kNaN = std::numeric_limits<double>::quiet_NaN();
  const double kInf = std::numeric_limits<double>::infinity();
  ExpectFloatRoundTrip({});
  ExpectFloatRoundTrip({0.0});
  ExpectFloatRoundTrip({-0.0});
  ExpectFloatRoundTrip({0.0, -0.0, 0.0, -0.0});
  ExpectFloatRoundTrip({1.0, -0.0, 2.5});
  ExpectFloatRoundTrip({std::numeric_limits<double>::denorm_min(), 5e-324, 2.2250738585072009e-308,
                        std::numeric_limits<double>::min()});
  ExpectFloatRoundTrip(
      {1e308, -1e308, std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()});
  ExpectFloatRoundTrip({9007199254740991.0, 9007199254740992.0, 9007199254740994.0,
                        -9007199254740993.0, 9.2e18, -9.2e18, 1.8446744073709552e19});
  ExpectFloatRoundTrip({0.1, 0.2, 0.3, 0.1 + 0.2, 1.0 / 3, 2.0 / 3});
  ExpectFloatRoundTrip({1.5, 0.001, 12345.678, 1e-7, 42, 1e15, 0.000001});  // mixed exponents
  ExpectFloatRoundTrip({1e22, 1e21, 1e-22, 123456789012345678.0});
  ExpectFloatRoundTrip({kNaN, kInf, -kInf, 1.0});  // never stored, but must not crash
}

TEST(FloatColumnTest, RoundTripsRandomColumns) {
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + rng() % 1500;
    std::vector<double> v(n);
    int64_t walk = static_cast<int64_t>(rng() % 10000);
    for (size_t i = 0; i < n; ++i) {
      switch (trial % 6) {
        case 0: {  // random bit patterns, finite
          double d;
          do d = std::bit_cast<double>(rng());
          while (!std::isfinite(d));
          v[i] = d;
          break;
        }
        case 1:
          walk += static_cast<int64_t>(rng() % 201) - 100;
          v[i] = walk / 100.0;
          break;
        case 2:
          v[i] = static_cast<double>(rng() % 1000000) / 1e6;
          break;
        case 3:
          v[i] = static_cast<double>(rng() % 1000) * 0.1;
          break;  // products, not decimals
        case 4:
          v[i] = std::ldexp(static_cast<double>(rng() % 1000), -1070);
          break;  // subnormal
        case 5:
          v[i] = (rng() % 2 ? 1 : -1) * static_cast<double>(rng() >> (rng() % 64));
          break;
      }
    }
    ExpectFloatRoundTrip(v);
  }
}

TEST(FloatColumnTest, DecimalColumnsAreCompact) {
  std::vector<double> gauge;
  int64_t h = 5000;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 720; ++i) {
    h += static_cast<int64_t>(rng() % 21) - 10;
    gauge.push_back(static_cast<double>(h) / 100.0);
  }
  size_t bytes = 0;
  ExpectFloatRoundTrip(gauge, &bytes);
  EXPECT_LT(bytes, 720u * 5 / 8 + 40);  // ~4.4 bits of entropy a step, + table
  std::vector<double> ones(720, 1.0);
  ExpectFloatRoundTrip(ones, &bytes);
  EXPECT_LE(bytes, 5u);
}

TEST(SeriesRecordTest, RoundTripsRawAndStatsWithRangeFilter) {
  SeriesData s;
  for (int i = 0; i < 100; ++i) {
    s.raw.push_back(RawSample{1000 + i * 10, i * 0.5, i % 7 == 0 ? 3.0 : 1.0});
  }
  s.raw.push_back(RawSample{1000 + 99 * 10, -0.0, 1});  // equal timestamp
  for (int i = 0; i < 30; ++i) {
    s.stats.push_back(StatSample{500 + i * 60, 10.0 + i, 123.25 * i, -1.5, 99.75 + i / 3.0});
  }
  std::string rec;
  EncodeSeriesRecord(s, 1000, &rec);

  SeriesData all;
  ASSERT_TRUE(DecodeSeriesRecord(rec, 1000, kMin64, kMax64, &all));
  ASSERT_EQ(all.raw.size(), s.raw.size());
  for (size_t i = 0; i < s.raw.size(); ++i) {
    EXPECT_EQ(all.raw[i].timestamp_ms, s.raw[i].timestamp_ms);
    EXPECT_EQ(Bits(all.raw[i].value), Bits(s.raw[i].value));
    EXPECT_EQ(all.raw[i].count, s.raw[i].count);
  }
  ASSERT_EQ(all.stats.size(), s.stats.size());
  for (size_t i = 0; i < s.stats.size(); ++i) {
    EXPECT_EQ(all.stats[i].timestamp_ms, s.stats[i].timestamp_ms);
    EXPECT_EQ(all.stats[i].sample_count, s.stats[i].sample_count);
    EXPECT_EQ(all.stats[i].sum, s.stats[i].sum);
    EXPECT_EQ(all.stats[i].minimum, s.stats[i].minimum);
    EXPECT_EQ(all.stats[i].maximum, s.stats[i].maximum);
  }

  SeriesData part;
  ASSERT_TRUE(DecodeSeriesRecord(rec, 1000, 1100, 1500, &part));
  ASSERT_EQ(part.raw.size(), 40u);  // [1100, 1500) at 10 ms
  EXPECT_EQ(part.raw.front().timestamp_ms, 1100);
  EXPECT_EQ(part.raw.back().timestamp_ms, 1490);
  EXPECT_EQ(part.raw.front().value, 5.0);
  ASSERT_EQ(part.stats.size(), 7u);  // 1100 .. 1460 at 60 ms
  EXPECT_EQ(part.stats.front().timestamp_ms, 1100);

  SeriesData tail;  // both samples at the last timestamp
  ASSERT_TRUE(DecodeSeriesRecord(rec, 1000, 1990, 1991, &tail));
  ASSERT_EQ(tail.raw.size(), 2u);
  EXPECT_EQ(Bits(tail.raw[1].value), Bits(-0.0));

  SeriesData none;
  ASSERT_TRUE(DecodeSeriesRecord(rec, 1000, 5000, 6000, &none));
  EXPECT_TRUE(none.raw.empty() && none.stats.empty());

  EXPECT_FALSE(DecodeSeriesRecord(rec.substr(0, rec.size() - 1), 1000, kMin64, kMax64, &none));
  EXPECT_FALSE(DecodeSeriesRecord(rec + "x", 1000, kMin64, kMax64, &none));
}

TEST(SeriesRecordTest, EmptySeriesIsOneByte) {
  std::string rec;
  EncodeSeriesRecord(SeriesData{}, 0, &rec);
  EXPECT_EQ(rec.size(), 1u);
  SeriesData out;
  EXPECT_TRUE(DecodeSeriesRecord(rec, 0, kMin64, kMax64, &out));
  EXPECT_TRUE(out.raw.empty());
}

}  // namespace
}  // namespace vigil::tsdb::block
