// RemoteWriteService end to end: Prometheus-signed (service "aps") snappy protobuf into a real
// store, and every refusal with the status Prometheus acts on (4xx drop, 5xx retry).
#include <gtest/gtest.h>

#include <cmath>

#include "api/remote_write_decode.h"
#include "api/testing/remote_write_encoder.h"
#include "api/testing/service_harness.h"

namespace vigil::api {
namespace {

using testing::DoubleBits;
using testing::EncodeTimeSeries;
using testing::EncodeWriteRequest;
using testing::PromSeries;

class RemoteWriteServiceTest : public testing::ServiceHarness {
 protected:
  void SetUp() override {
    ServiceHarness::SetUp();
    Make(RemoteWriteOptions{});
  }
  void Make(RemoteWriteOptions options) {
    rw_ = std::make_unique<RemoteWriteService>(db_.get(), verifier_.get(), &NullLogger(),
                                               &registry_, std::move(options));
  }

  static testutil::HttpRequest Request(const std::string& payload,
                                       const std::string& target = "/api/v1/write") {
    testutil::HttpRequest r;
    r.target = target;
    r.headers = {{"Content-Encoding", "snappy"},
                 {"Content-Type", "application/x-protobuf"},
                 {"User-Agent", "Prometheus/2.53.0"},
                 {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
    r.body = testing::SnappyCompress(payload);
    return r;
  }

  http::Response Write(testutil::HttpRequest r, bool sign = true) {
    return Send([this](const http::Request& q) { return rw_->Handle(q); }, std::move(r), sign,
                testing::kSecretKey, "aps");
  }

  std::vector<tsdb::Datapoint> Stats(const tsdb::SeriesKey& key) {
    tsdb::StatisticsQuery q;
    q.key = key;
    q.start_ms = testing::kJan15;
    q.end_ms = kNow;
    q.period_ms = 3'600'000;
    auto r = db_->GetStatistics(q);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r.value() : std::vector<tsdb::Datapoint>{};
  }

  std::string OnePayload(int64_t ts = testing::kJan15 + 60'000) {
    const PromSeries up{{{"__name__", "up"}, {"instance", "a:9090"}, {"job", "node"}},
                        {{DoubleBits(1), ts},
                         {kPrometheusStaleNaN, ts + 15'000},
                         {DoubleBits(NAN), ts + 20'000},
                         {DoubleBits(3), ts + 30'000}}};
    return EncodeWriteRequest({EncodeTimeSeries(up, true)}, true);
  }

  std::unique_ptr<RemoteWriteService> rw_;
};

TEST_F(RemoteWriteServiceTest, StoresSignedWritesAndDropsStaleMarkers) {
  auto r = Write(Request(OnePayload()));
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_TRUE(r.body.empty());
  const auto dps = Stats({"Prometheus", "up", {{"instance", "a:9090"}, {"job", "node"}}});
  ASSERT_EQ(dps.size(), 1u);
  EXPECT_EQ(dps[0].sample_count, 2);
  EXPECT_EQ(dps[0].sum, 4);
  EXPECT_EQ(dps[0].unit, "None");
  const std::string text = RenderPrometheusText(registry_);
  EXPECT_NE(text.find("vigil_remote_write_dropped_samples_total{reason=\"stale\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("vigil_remote_write_dropped_samples_total{reason=\"nan_or_inf\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vigil_remote_write_samples_total 2"), std::string::npos);
  EXPECT_NE(text.find("vigil_remote_write_requests_total{result=\"ok\"} 1"), std::string::npos);
}

TEST_F(RemoteWriteServiceTest, NamespaceParameter) {
  ASSERT_EQ(Write(Request(OnePayload(), "/api/v1/write?namespace=Edge%2FEU")).status, 204);
  EXPECT_EQ(Stats({"Edge/EU", "up", {{"instance", "a:9090"}, {"job", "node"}}}).size(), 1u);
  EXPECT_EQ(Write(Request(OnePayload(), "/api/v1/write?namespace=")).status, 400);
  // (Unsigned: a malformed query string would already fail signature canonicalization.)
  Make(RemoteWriteOptions{.allow_unsigned = true});
  EXPECT_EQ(Write(Request(OnePayload(), "/api/v1/write?namespace=%ZZ"), false).status, 400);
}

TEST_F(RemoteWriteServiceTest, SigningRules) {
  EXPECT_EQ(Write(Request(OnePayload()), /*sign=*/false).status, 403);
  auto wrong = Send([this](const http::Request& q) { return rw_->Handle(q); },
                    Request(OnePayload()), true, "wrong-secret", "aps");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_NE(wrong.body.find("SignatureDoesNotMatch"), std::string::npos) << wrong.body;

  Make(RemoteWriteOptions{.allow_unsigned = true});
  EXPECT_EQ(Write(Request(OnePayload()), /*sign=*/false).status, 204);
  // A signature that is present is still checked.
  wrong = Send([this](const http::Request& q) { return rw_->Handle(q); }, Request(OnePayload()),
               true, "wrong-secret", "aps");
  EXPECT_EQ(wrong.status, 403);
}

TEST_F(RemoteWriteServiceTest, OtherProtocolsAreUnsupportedMediaTypes) {
  auto r = Request(OnePayload());
  r.headers[0].second = "gzip";
  EXPECT_EQ(Write(r).status, 415);
  r = Request(OnePayload());
  r.headers[1].second = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
  EXPECT_EQ(Write(r).status, 415);
  r = Request(OnePayload());
  r.headers[3].second = "2.0.0";
  EXPECT_EQ(Write(r).status, 415);
  r = Request(OnePayload());
  r.headers[1].second = "application/json";
  EXPECT_EQ(Write(r).status, 415);
}

TEST_F(RemoteWriteServiceTest, BadInputIsA400AndNothingIsStored) {
  auto r = Request(OnePayload());
  r.body = "definitely not snappy";
  EXPECT_EQ(Write(r).status, 400);

  r = Request("\xFF\xFF\xFF");  // snappy of a malformed protobuf
  auto resp = Write(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("malformed"), std::string::npos) << resp.body;

  const PromSeries nameless{{{"job", "x"}}, {{DoubleBits(1), testing::kJan15}}};
  resp = Write(Request(EncodeWriteRequest({EncodeTimeSeries(nameless)})));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("__name__"), std::string::npos) << resp.body;

  PromSeries wide{{{"__name__", "wide"}}, {{DoubleBits(1), testing::kJan15}}};
  for (int i = 0; i < 31; ++i) wide.labels.emplace_back("l" + std::to_string(10 + i), "v");
  EXPECT_EQ(Write(Request(EncodeWriteRequest({EncodeTimeSeries(wide)}))).status, 400);

  // Three weeks old: the store refuses the batch (Prometheus drops it rather than retrying).
  resp = Write(Request(OnePayload(kNow - 21LL * 86'400'000)));
  EXPECT_EQ(resp.status, 400) << resp.body;

  tsdb::ListQuery all;
  auto listed = db_->ListSeries(all);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->series.empty());
}

TEST_F(RemoteWriteServiceTest, SizeLimitAfterDecompression) {
  Make(RemoteWriteOptions{.max_body_bytes = 64});
  auto r = Write(Request(OnePayload()));
  EXPECT_EQ(r.status, 413) << r.body;
}

TEST_F(RemoteWriteServiceTest, EmptyWriteIsFine) { EXPECT_EQ(Write(Request("")).status, 204); }

TEST_F(RemoteWriteServiceTest, StorageFailureIsRetryable) {
  ASSERT_TRUE(db_->Close().ok());
  auto r = Write(Request(OnePayload()));
  EXPECT_GE(r.status, 500) << r.body;
  EXPECT_LT(r.status, 600);
  EXPECT_NE(RenderPrometheusText(registry_).find(
                "vigil_remote_write_requests_total{result=\"failed\"} 1"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil::api
