#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>

#include "http/http.h"

namespace vigil::http {
namespace {

// windowBits 15 + 16 writes a gzip wrapper, plain 15 a zlib wrapper.
std::string Compress(const std::string& in, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string SamplePayload(size_t n) {
  std::mt19937 rng(42);
  std::string s;
  while (s.size() < n) {
    s += "MetricData.member." + std::to_string(rng() % 1000) +
         ".Value=" + std::to_string(rng() % 100000) + "&";
  }
  s.resize(n);
  return s;
}

TEST(GunzipTest, GzipRoundTrip) {
  std::string plain = SamplePayload(300'000);
  std::string gz = Compress(plain, 15 + 16);
  ASSERT_LT(gz.size(), plain.size());
  StatusOr<std::string> out = Gunzip(gz, 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, plain);
}

TEST(GunzipTest, ZlibRoundTrip) {
  std::string plain = SamplePayload(5000);
  StatusOr<std::string> out = Gunzip(Compress(plain, 15), 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, plain);
}

TEST(GunzipTest, EmptyPayloadRoundTrip) {
  StatusOr<std::string> out = Gunzip(Compress("", 15 + 16), 100);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "");
}

TEST(GunzipTest, ConcatenatedGzipMembers) {
  std::string gz = Compress("hello ", 15 + 16) + Compress("world", 15 + 16);
  StatusOr<std::string> out = Gunzip(gz, 100);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "hello world");
}

TEST(GunzipTest, ExactlyMaxBytesIsAccepted) {
  std::string plain(1000, 'a');
  StatusOr<std::string> out = Gunzip(Compress(plain, 15 + 16), 1000);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->size(), 1000u);
}

TEST(GunzipTest, OverMaxBytesIsInvalidArgument) {
  std::string gz = Compress(std::string(1 << 20, 'a'), 15 + 16);  // a 1 KiB "zip bomb"
  StatusOr<std::string> out = Gunzip(gz, 1000);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

TEST(GunzipTest, CorruptInputIsInvalidArgument) {
  std::string gz = Compress(SamplePayload(10'000), 15 + 16);
  gz[gz.size() / 2] ^= 0x55;
  StatusOr<std::string> out = Gunzip(gz, 1 << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);

  StatusOr<std::string> not_gzip = Gunzip("definitely not compressed", 1 << 20);
  ASSERT_FALSE(not_gzip.ok());
  EXPECT_EQ(not_gzip.status().code(), StatusCode::kInvalidArgument);
}

TEST(GunzipTest, TruncatedInputIsInvalidArgument) {
  std::string gz = Compress(SamplePayload(10'000), 15 + 16);
  for (size_t len : {size_t{0}, size_t{5}, gz.size() / 2, gz.size() - 1}) {
    StatusOr<std::string> out = Gunzip(std::string_view(gz).substr(0, len), 1 << 20);
    ASSERT_FALSE(out.ok()) << "len " << len;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << "len " << len;
  }
}

TEST(GunzipTest, TrailingGarbageIsInvalidArgument) {
  StatusOr<std::string> out = Gunzip(Compress("abc", 15 + 16) + "xyz", 100);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::http
