#include "tsdb/chunk/xor_chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace vigil::tsdb::chunk {
namespace {

using Samples = std::vector<std::pair<int64_t, double>>;

void ExpectDecodes(const XorChunk& c, const Samples& in) {
  ASSERT_EQ(c.num_samples(), in.size());
  auto it = c.NewIterator();
  size_t i = 0;
  while (it.Next()) {
    ASSERT_LT(i, in.size());
    EXPECT_EQ(it.timestamp_ms(), in[i].first) << "sample " << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(it.value()), std::bit_cast<uint64_t>(in[i].second))
        << "sample " << i << " want " << in[i].second << " got " << it.value();
    ++i;
  }
  EXPECT_TRUE(it.ok());
  EXPECT_EQ(i, in.size());
}

// Round-trips `in` through a chunk with its own buffer and through arena chunks (no size
// guess, a guess too small, one too large), comparing bit patterns (so -0.0 and NaN payloads
// count).
void ExpectRoundTrip(const Samples& in) {
  XorChunk c;
  for (auto [t, v] : in) c.Append(t, v);
  ExpectDecodes(c, in);
  ChunkArena arena;
  for (size_t expected : {size_t{0}, size_t{3}, size_t{4096}}) {
    XorChunk a(&arena, expected);
    for (auto [t, v] : in) a.Append(t, v);
    a.Seal();
    ExpectDecodes(a, in);
    EXPECT_EQ(a.bytes(), c.bytes());
  }
}

TEST(XorChunkTest, Empty) {
  XorChunk c;
  EXPECT_EQ(c.num_samples(), 0);
  auto it = c.NewIterator();
  EXPECT_FALSE(it.Next());
  EXPECT_TRUE(it.ok());
}

TEST(XorChunkTest, RegularSeriesIsSmall) {
  XorChunk c;
  for (int i = 0; i < 120; ++i) c.Append(1'700'000'000'000 + i * 10'000, 42.0);
  c.Seal();
  // 2 header + 16 first sample + 2 bytes for the first delta, then 2 bits per sample.
  EXPECT_LT(c.bytes().size(), 60u);
  EXPECT_EQ(c.MemoryBytes(), c.bytes().size() + sizeof(XorChunk));
  Samples s;
  for (int i = 0; i < 120; ++i) s.push_back({1'700'000'000'000 + i * 10'000, 42.0});
  ExpectRoundTrip(s);
}

TEST(XorChunkTest, EdgeValues) {
  const double kInf = std::numeric_limits<double>::infinity();
  const double kDenorm = std::numeric_limits<double>::denorm_min();
  Samples s;
  int64_t t = 1000;
  for (double v : {0.0,
                   -0.0,
                   0.0,
                   kDenorm,
                   -kDenorm,
                   std::numeric_limits<double>::min(),
                   std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::lowest(),
                   1.0,
                   -1.0,
                   1e308,
                   1e-308,
                   5e-324,
                   3.0,
                   kInf,
                   -kInf,
                   std::numeric_limits<double>::quiet_NaN(),
                   1.0,
                   1.0,
                   0.1,
                   0.2,
                   0.30000000000000004,
                   std::bit_cast<double>(uint64_t{1}),
                   std::bit_cast<double>(~uint64_t{0} >> 1),
                   std::bit_cast<double>(uint64_t{0x8000000000000001})}) {
    s.push_back({t, v});
    t += 15;
  }
  ExpectRoundTrip(s);
}

TEST(XorChunkTest, TimestampEdges) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  // Equal timestamps, negative deltas, long gaps, each dod bucket boundary, and extremes that
  // overflow a naive signed subtraction.
  Samples s = {{100, 1},
               {100, 2},
               {100, 3},
               {99, 4},
               {-5, 5},
               {8191 - 5, 6},
               {8191, 7},
               {8191 + 8192, 8},
               {8191 + 8193, 9},
               {8191 + 8193 - 65536, 10},
               {1 << 20, 11},
               {(1 << 20) + (1 << 19), 12},
               {kMax, 13},
               {kMin, 14},
               {0, 15},
               {kMax, 16},
               {kMax, 17},
               {1'700'000'000'000, 18},
               {1'700'000'000'000 - 14LL * 86400 * 1000, 19},
               {1'700'000'000'000, 20}};
  ExpectRoundTrip(s);
}

TEST(XorChunkTest, BucketBoundaries) {
  // Every dod bucket at both signed limits and just outside them.
  for (int width : {14, 17, 20}) {
    const int64_t lim = int64_t{1} << (width - 1);
    for (int64_t dod : {lim - 1, -lim, lim, -lim - 1}) {
      Samples s = {{0, 0.5}, {1000, 0.5}, {2000 + dod, 0.5}, {3000 + 2 * dod, 0.25}};
      ExpectRoundTrip(s);
    }
  }
}

TEST(XorChunkTest, RandomRoundTrips) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    Samples s;
    const int n = static_cast<int>(rng() % 400) + 1;
    int64_t t = static_cast<int64_t>(rng() % (1LL << 42));
    double v = 100;
    const int mode = trial % 5;
    for (int i = 0; i < n; ++i) {
      switch (rng() % 6) {
        case 0:
          t += 10'000;
          break;
        case 1:
          t += static_cast<int64_t>(rng() % 20'000) - 5'000;
          break;  // jitter, late
        case 2:
          break;  // equal
        case 3:
          t += static_cast<int64_t>(rng() % (1ULL << 40)) - (1LL << 39);
          break;
        default:
          t += 60'000;
          break;
      }
      switch (mode) {
        case 0:
          v = static_cast<double>(rng() % 100);
          break;  // small ints
        case 1:
          v += std::uniform_real_distribution<double>(-1, 1)(rng);
          break;  // gauge walk
        case 2:
          v = std::bit_cast<double>(rng());
          break;  // any bit pattern, NaNs included
        case 3:
          if (rng() % 4 == 0) v = v * 1.5;
          break;  // mostly repeats
        default:
          v = std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng),
                         static_cast<int>(rng() % 2100) - 1075);  // huge/tiny exponents
      }
      s.push_back({t, v});
    }
    ExpectRoundTrip(s);
  }
}

TEST(XorChunkTest, MaxSamples) {
  XorChunk c;
  for (int i = 0; i < XorChunk::kMaxSamples; ++i) c.Append(i, i % 7);
  EXPECT_EQ(c.num_samples(), XorChunk::kMaxSamples);
  auto it = c.NewIterator();
  int n = 0;
  while (it.Next()) {
    ASSERT_EQ(it.timestamp_ms(), n);
    ASSERT_EQ(it.value(), n % 7);
    ++n;
  }
  EXPECT_EQ(n, XorChunk::kMaxSamples);
}

TEST(XorChunkTest, AppendAfterSealAndMove) {
  XorChunk c;
  c.Append(1, 1.5);
  c.Append(2, 2.5);
  c.Seal();
  c.Append(3, 3.5);
  XorChunk d = std::move(c);
  ExpectRoundTrip({{1, 1.5}, {2, 2.5}, {3, 3.5}});
  auto it = d.NewIterator();
  std::vector<double> got;
  while (it.Next()) got.push_back(it.value());
  EXPECT_EQ(got, (std::vector<double>{1.5, 2.5, 3.5}));
}

// Arena chunks: buffers come from the arena (which maps whole pages), survive moves, and
// growth from a good size guess allocates once.
TEST(XorChunkTest, ArenaChunksMoveAndGrow) {
  ChunkArena arena;
  EXPECT_EQ(arena.MemoryBytes(), 0u);
  std::vector<XorChunk> chunks;
  Samples s;
  for (int i = 0; i < 120; ++i) s.push_back({i * 10'000, i * 0.25});
  for (int k = 0; k < 100; ++k) {
    chunks.emplace_back(&arena, 64);  // vector growth moves the earlier chunks
    for (auto [t, v] : s) chunks.back().Append(t, v);
  }
  for (const XorChunk& c : chunks) ExpectDecodes(c, s);
  EXPECT_GT(arena.MemoryBytes(), 0u);
  EXPECT_EQ(arena.MemoryBytes() % 4096, 0u);
  // A guess of the final size (plus the 10 bytes a 64-bit write reserves): one buffer.
  const size_t final_bytes = chunks.front().bytes().size();
  const size_t before = arena.MemoryBytes();
  XorChunk exact(&arena, final_bytes + 10);
  for (auto [t, v] : s) exact.Append(t, v);
  EXPECT_EQ(exact.capacity(), final_bytes + 10);
  EXPECT_LE(arena.MemoryBytes() - before, ChunkArena::kMaxBlockBytes);
  XorChunk moved = std::move(exact);
  ExpectDecodes(moved, s);
  EXPECT_EQ(exact.num_samples(), 0);
}

// The arena's blocks double from one page to kMaxBlockBytes; a request larger than that gets
// a block of its own; every allocation is 8-aligned and writable.
TEST(ChunkArenaTest, BlocksGrowAndLargeRequestsFit) {
  ChunkArena arena;
  uint8_t* small = arena.Allocate(5);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(small) % 8, 0u);
  std::memset(small, 1, 5);
  uint8_t* big = arena.Allocate(ChunkArena::kMaxBlockBytes + 1);
  std::memset(big, 2, ChunkArena::kMaxBlockBytes + 1);
  EXPECT_GE(arena.MemoryBytes(), ChunkArena::kMaxBlockBytes + 1);
  size_t total = 0;
  for (int i = 0; i < 10'000; ++i) {
    uint8_t* p = arena.Allocate(100);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
    p[99] = 3;
    total += 104;
  }
  EXPECT_LT(arena.MemoryBytes(), 2 * (total + ChunkArena::kMaxBlockBytes) + 3 * ChunkArena::kMaxBlockBytes);
  EXPECT_EQ(small[4], 1);
}

TEST(XorChunkTest, TruncatedDataFailsCleanly) {
  std::mt19937_64 rng(7);
  XorChunk c;
  for (int i = 0; i < 100; ++i)
    c.Append(i * 1000 + static_cast<int64_t>(rng() % 50), std::bit_cast<double>(rng()));
  const std::string full(c.bytes());
  for (size_t len = 0; len < full.size(); ++len) {
    XorChunk::Iterator it(std::string_view(full.data(), len));
    int n = 0;
    while (it.Next()) ++n;
    EXPECT_FALSE(it.ok()) << "len " << len;
    EXPECT_LT(n, 100);
  }
  // Random garbage never reads out of bounds (ASan checks) and never loops forever.
  for (int trial = 0; trial < 200; ++trial) {
    std::string junk(rng() % 64, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    XorChunk::Iterator it(junk);
    int n = 0;
    while (it.Next()) ++n;
    EXPECT_LE(n, 65535);
  }
}

}  // namespace
}  // namespace vigil::tsdb::chunk
