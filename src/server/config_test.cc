#include "server/config.h"

#include <gtest/gtest.h>

namespace vigil::server {
namespace {

TEST(ConfigTest, Durations) {
  EXPECT_EQ(*ParseDurationMillis("15m"), 15 * 60 * 1000);
  EXPECT_EQ(*ParseDurationMillis("15d"), 15LL * 86'400'000);
  EXPECT_EQ(*ParseDurationMillis("250ms"), 250);
  EXPECT_FALSE(ParseDurationMillis("15").ok());
  EXPECT_FALSE(ParseDurationMillis("m").ok());
  EXPECT_FALSE(ParseDurationMillis("5w").ok());
}

TEST(ConfigTest, Sizes) {
  EXPECT_EQ(*ParseBytes("16MiB"), 16 << 20);
  EXPECT_EQ(*ParseBytes("512KiB"), 512 << 10);
  EXPECT_EQ(*ParseBytes("2GiB"), int64_t{2} << 30);
  EXPECT_EQ(*ParseBytes("4096"), 4096);
  EXPECT_EQ(*ParseBytes("10B"), 10);
  EXPECT_FALSE(ParseBytes("16MB").ok());
  EXPECT_FALSE(ParseBytes("MiB").ok());
  EXPECT_FALSE(ParseBytes("-1MiB").ok());
}

TEST(ConfigTest, Listen) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(ParseListen("0.0.0.0:8080", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 8080);
  ASSERT_TRUE(ParseListen("[::1]:0", &host, &port).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 0);
  EXPECT_FALSE(ParseListen("localhost", &host, &port).ok());
  EXPECT_FALSE(ParseListen("localhost:70000", &host, &port).ok());
}

TEST(ConfigTest, YamlOverridesDefaults) {
  Config c;
  ASSERT_TRUE(ApplyYaml(R"(
listen: 127.0.0.1:0
data_dir: /tmp/x
auth:
  max_clock_skew: 5m
tsdb:
  retention: 30d
  head_chunk_memory: 8MiB
remote_write:
  allow_unsigned: true
  namespace: Prom
http:
  worker_threads: 8
)",
                        &c)
                  .ok());
  EXPECT_EQ(c.listen_port, 0);
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.max_clock_skew_ms, 5 * 60 * 1000);
  EXPECT_EQ(c.retention_ms, 30LL * 86'400'000);
  EXPECT_EQ(c.head_chunk_bytes, 8 << 20);
  EXPECT_TRUE(c.remote_write_allow_unsigned);
  EXPECT_EQ(c.remote_write_namespace, "Prom");
  EXPECT_EQ(c.worker_threads, 8);
}

TEST(ConfigTest, RollupTiers) {
  Config c;
  EXPECT_EQ(c.rollups, tsdb::DefaultRollupTiers());
  ASSERT_TRUE(ApplyYaml(R"(
tsdb:
  retention: 3h
  max_sample_age: 90d
  rollup_sketch_accuracy: 0.05
  rollups:
    - {period: 1m, retention: 15d}
    - {period: 1h, retention: 730d, eager: true}
)",
                        &c)
                  .ok());
  EXPECT_EQ(c.retention_ms, 3 * 3'600'000);
  EXPECT_EQ(c.max_sample_age_ms, 90LL * 86'400'000);
  EXPECT_EQ(c.rollup_sketch_accuracy, 0.05);
  ASSERT_EQ(c.rollups.size(), 2u);
  EXPECT_EQ(c.rollups[0], (tsdb::RollupTier{60'000, 15LL * 86'400'000, false}));
  EXPECT_EQ(c.rollups[1].period_ms, 3'600'000);
  EXPECT_TRUE(c.rollups[1].eager);
  ASSERT_TRUE(ApplyYaml("tsdb:\n  rollups: []\n", &c).ok());
  EXPECT_TRUE(c.rollups.empty());
  for (const char* bad : {"tsdb:\n  rollups: 5m\n",
                          "tsdb:\n  rollups:\n    - {period: 5m}\n",
                          "tsdb:\n  rollups:\n    - {period: 1h, retention: 9d}\n"
                          "    - {period: 5m, retention: 9d}\n",
                          "tsdb:\n  rollups:\n    - {period: 5m, retention: 9d, size: 1}\n",
                          "tsdb:\n  rollup_sketch_accuracy: 2\n"}) {
    Status s = ApplyYaml(bad, &c);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("tsdb.rollup"), std::string::npos) << s.message();
  }
}

TEST(ConfigTest, HeadChunkMemoryHasAFloor) {
  Config c;
  Status s = ApplyYaml("tsdb:\n  head_chunk_memory: 64KiB\n", &c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("head_chunk_memory"), std::string::npos) << s.message();
}

TEST(ConfigTest, UnknownKeysAreErrors) {
  Config c;
  Status s = ApplyYaml("tsdb:\n  retension: 5d\n", &c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("retension"), std::string::npos) << s.message();
  EXPECT_FALSE(ApplyYaml("bogus: 1\n", &c).ok());
  EXPECT_FALSE(ApplyYaml("[1, 2]\n", &c).ok());
}

TEST(ConfigTest, FlagsOverrideConfig) {
  Config c;
  ASSERT_TRUE(ParseServerFlags({"--data-dir", "/d", "--listen", "127.0.0.1:9"}, &c).ok());
  EXPECT_EQ(c.data_dir, "/d");
  EXPECT_EQ(c.listen_port, 9);
  EXPECT_FALSE(ParseServerFlags({"--nope"}, &c).ok());
  EXPECT_FALSE(ParseServerFlags({"--config", "/nonexistent/vigil.yaml"}, &c).ok());
}

}  // namespace
}  // namespace vigil::server
