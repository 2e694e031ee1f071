#include "storage/coding.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

namespace vigil::storage {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

TEST(CodingTest, FixedIsLittleEndianAndRoundTrips) {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  EXPECT_EQ(s, std::string("\x01\x02\x03\x04\x01\x02\x03\x04\x05\x06\x07\x08", 12));
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0xffffffff}, kU64Max}) {
    std::string buf;
    PutFixed32(&buf, static_cast<uint32_t>(v));
    PutFixed64(&buf, v);
    std::string_view in = buf;
    uint32_t a;
    uint64_t b;
    ASSERT_TRUE(GetFixed32(&in, &a));
    ASSERT_TRUE(GetFixed64(&in, &b));
    EXPECT_EQ(a, static_cast<uint32_t>(v));
    EXPECT_EQ(b, v);
    EXPECT_TRUE(in.empty());
    EXPECT_EQ(DecodeFixed64(buf.data() + 4), v);
  }
}

TEST(CodingTest, FixedFailsOnTruncatedInput) {
  std::string buf;
  PutFixed64(&buf, 42);
  for (size_t n = 0; n < 8; ++n) {
    std::string_view in(buf.data(), n);
    uint64_t v;
    EXPECT_FALSE(GetFixed64(&in, &v)) << n;
    uint32_t w;
    std::string_view in32(buf.data(), n);
    EXPECT_EQ(GetFixed32(&in32, &w), n >= 4) << n;
  }
}

TEST(CodingTest, VarintEdgeValues) {
  const std::vector<std::pair<uint64_t, size_t>> cases = {
      {0, 1},       {1, 1},     {127, 1},        {128, 2},
      {16383, 2},   {16384, 3}, {0xffffffff, 5}, {uint64_t{1} << 63, 10},
      {kU64Max, 10}};
  for (const auto& [v, len] : cases) {
    std::string buf;
    PutVarint64(&buf, v);
    EXPECT_EQ(buf.size(), len) << v;
    buf += "tail";
    std::string_view in = buf;
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got)) << v;
    EXPECT_EQ(got, v);
    EXPECT_EQ(in, "tail");
    // Every strict prefix is truncated.
    for (size_t n = 0; n < len; ++n) {
      std::string_view cut(buf.data(), n);
      EXPECT_FALSE(GetVarint64(&cut, &got)) << v << " cut at " << n;
    }
  }
}

TEST(CodingTest, VarintRejectsOverflow) {
  uint64_t v;
  std::string eleven(10, '\x80');
  eleven.push_back('\x01');
  std::string_view in = eleven;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string big_tenth(9, '\xff');
  big_tenth.push_back('\x02');  // would set bit 64
  in = big_tenth;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string max_tenth(9, '\xff');
  max_tenth.push_back('\x01');
  in = max_tenth;
  ASSERT_TRUE(GetVarint64(&in, &v));
  EXPECT_EQ(v, kU64Max);
}

TEST(CodingTest, ZigZag) {
  EXPECT_EQ(ZigZagEncode(0), 0u);
  EXPECT_EQ(ZigZagEncode(-1), 1u);
  EXPECT_EQ(ZigZagEncode(1), 2u);
  EXPECT_EQ(ZigZagEncode(-2), 3u);
  EXPECT_EQ(ZigZagEncode(kI64Max), kU64Max - 1);
  EXPECT_EQ(ZigZagEncode(kI64Min), kU64Max);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{64}, kI64Min,
                    kI64Max, kI64Min + 1}) {
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
    std::string buf;
    PutVarsint64(&buf, v);
    std::string_view in = buf;
    int64_t got;
    ASSERT_TRUE(GetVarsint64(&in, &got));
    EXPECT_EQ(got, v);
    EXPECT_TRUE(in.empty());
  }
  std::string_view empty;
  int64_t got;
  EXPECT_FALSE(GetVarsint64(&empty, &got));
}

TEST(CodingTest, LengthPrefixed) {
  std::string buf;
  PutLengthPrefixed(&buf, "");
  PutLengthPrefixed(&buf, "abc");
  PutLengthPrefixed(&buf, std::string(300, 'x'));
  std::string_view in = buf, s;
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, "abc");
  ASSERT_TRUE(GetLengthPrefixed(&in, &s));
  EXPECT_EQ(s, std::string(300, 'x'));
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetLengthPrefixed(&in, &s));
  // Length says 300 but fewer bytes follow.
  std::string_view cut(buf.data() + 5, buf.size() - 6);
  EXPECT_FALSE(GetLengthPrefixed(&cut, &s));
}

TEST(BitStreamTest, MostSignificantBitFirst) {
  std::string buf;
  BitWriter w(&buf);
  EXPECT_EQ(w.bit_offset(), 0);
  w.WriteBit(true);
  w.WriteBits(0b010, 3);
  EXPECT_EQ(w.bit_offset(), 4);
  w.WriteBits(0xff, 4);  // only the low 4 bits are written
  EXPECT_EQ(w.bit_offset(), 0);
  w.WriteBits(0, 0);
  w.WriteBits(0x3, 2);
  ASSERT_EQ(buf.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(buf[0]), 0xAF);
  EXPECT_EQ(static_cast<uint8_t>(buf[1]), 0xC0);

  BitReader r(buf);
  EXPECT_EQ(r.bits_remaining(), 16u);
  uint64_t v;
  bool bit;
  ASSERT_TRUE(r.ReadBit(&bit));
  EXPECT_TRUE(bit);
  ASSERT_TRUE(r.ReadBits(3, &v));
  EXPECT_EQ(v, 0b010u);
  ASSERT_TRUE(r.ReadBits(0, &v));
  EXPECT_EQ(v, 0u);
  ASSERT_TRUE(r.ReadBits(6, &v));
  EXPECT_EQ(v, 0b111111u);
  EXPECT_EQ(r.bits_remaining(), 6u);
  EXPECT_FALSE(r.ReadBits(7, &v));    // past the end fails...
  EXPECT_EQ(r.bits_remaining(), 6u);  // ...and consumes nothing
  ASSERT_TRUE(r.ReadBits(6, &v));
  EXPECT_EQ(v, 0u);
  EXPECT_FALSE(r.ReadBit(&bit));
  EXPECT_FALSE(r.ReadBits(1, &v));
  EXPECT_FALSE(r.ReadBits(65, &v));
}

TEST(BitStreamTest, RandomRoundTripIncludingWideFields) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<uint64_t, int>> fields;
  std::string buf;
  BitWriter w(&buf);
  size_t total_bits = 0;
  for (int i = 0; i < 5000; ++i) {
    int nbits = static_cast<int>(rng() % 65);
    if (i % 50 == 0) nbits = 64;
    uint64_t v = rng();
    if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
    fields.emplace_back(v, nbits);
    w.WriteBits(v, nbits);
    total_bits += static_cast<size_t>(nbits);
    ASSERT_EQ(w.bit_offset(), static_cast<int>(total_bits % 8));
  }
  ASSERT_EQ(buf.size(), (total_bits + 7) / 8);
  BitReader r(buf);
  for (const auto& [v, nbits] : fields) {
    uint64_t got;
    ASSERT_TRUE(r.ReadBits(nbits, &got));
    ASSERT_EQ(got, v) << nbits;
  }
  EXPECT_EQ(r.bits_remaining(), buf.size() * 8 - total_bits);
}

TEST(BitStreamTest, ResumeContinuesAPartialByte) {
  std::string one_go, resumed;
  BitWriter a(&one_go);
  a.WriteBits(0x5, 3);
  a.WriteBits(0x1234567, 27);
  a.WriteBits(0x3, 5);

  BitWriter b(&resumed);
  b.WriteBits(0x5, 3);
  BitWriter c(&resumed);
  c.Resume(3);
  c.WriteBits(0x1234567, 27);
  BitWriter d(&resumed);
  d.Resume(30);  // counts bits in whole bytes too; 30 % 8 == 6 used in the last byte
  d.WriteBits(0x3, 5);
  EXPECT_EQ(resumed, one_go);

  BitWriter e(&resumed);
  e.Resume(8);  // a full last byte: the next bit starts a new byte
  e.WriteBit(true);
  EXPECT_EQ(resumed.size(), one_go.size() + 1);
}

TEST(BitStreamTest, SixtyFourBitsAtEveryAlignment) {
  for (int lead = 0; lead < 8; ++lead) {
    std::string buf;
    BitWriter w(&buf);
    w.WriteBits(0, lead);
    w.WriteBits(0xFEDCBA9876543210ull, 64);
    BitReader r(buf);
    uint64_t v;
    ASSERT_TRUE(r.ReadBits(lead, &v));
    ASSERT_TRUE(r.ReadBits(64, &v));
    EXPECT_EQ(v, 0xFEDCBA9876543210ull) << lead;
  }
}

}  // namespace
}  // namespace vigil::storage
