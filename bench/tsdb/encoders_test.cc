#include "bench/tsdb/encoders.h"

#include <gtest/gtest.h>
#include <snappy.h>
#include <zlib.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/tsdb/fleet_source.h"
#include "bench/tsdb/sigv4.h"

namespace vigil::bench {
namespace {

constexpr int64_t kEnd = 1'764'100'020'000;  // a whole minute

FleetSpec SmallSpec() {
  FleetSpec spec;
  spec.series = 40;
  spec.hours = 0.1;  // 36 steps
  spec.end_ms = kEnd;
  return spec;
}

// A minimal protobuf reader: enough to check the WriteRequest we encode.
struct Reader {
  std::string_view in;
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; !in.empty(); shift += 7) {
      auto b = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  }
  std::string_view Bytes() {
    size_t n = Varint();
    std::string_view out = in.substr(0, n);
    in.remove_prefix(n);
    return out;
  }
};

struct DecodedSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<int64_t, double>> samples;
};

std::vector<DecodedSeries> DecodeWriteRequest(std::string_view proto) {
  std::vector<DecodedSeries> out;
  Reader req{proto};
  while (!req.in.empty()) {
    EXPECT_EQ(req.Varint(), 0x0au);
    Reader ts{req.Bytes()};
    DecodedSeries series;
    while (!ts.in.empty()) {
      uint64_t tag = ts.Varint();
      Reader msg{ts.Bytes()};
      if (tag == 0x0a) {
        std::pair<std::string, std::string> label;
        EXPECT_EQ(msg.Varint(), 0x0au);
        label.first = msg.Bytes();
        EXPECT_EQ(msg.Varint(), 0x12u);
        label.second = msg.Bytes();
        series.labels.push_back(label);
      } else {
        EXPECT_EQ(tag, 0x12u);
        EXPECT_EQ(msg.Varint(), 0x09u);
        double v;
        std::memcpy(&v, msg.in.data(), 8);
        msg.in.remove_prefix(8);
        EXPECT_EQ(msg.Varint(), 0x10u);
        series.samples.emplace_back(static_cast<int64_t>(msg.Varint()), v);
      }
    }
    out.push_back(std::move(series));
  }
  return out;
}

std::string Gunzip(const std::string& gz) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::vector<tsdb::RawSample> Expected(const FleetSource& source, size_t i, int64_t a, int64_t b) {
  std::vector<tsdb::RawSample> out;
  source.Fill(Chunk{a, b, i, i + 1}, &out);
  return out;
}

TEST(FleetSourceTest, KeepsTheFleetProportionsAndGrid) {
  FleetSource all(SmallSpec());
  EXPECT_EQ(all.series(), 40u);
  EXPECT_EQ(all.steps(), 36);
  EXPECT_EQ(all.end_ms(), kEnd);
  EXPECT_EQ(all.samples(), 40u * 36);
  size_t counts[3] = {0, 0, 0};
  for (size_t i = 0; i < all.series(); ++i) ++counts[static_cast<int>(all.meta(i).kind)];
  EXPECT_EQ(counts[0], 20u);
  EXPECT_EQ(counts[1], 10u);
  EXPECT_EQ(counts[2], 10u);
  for (Kind k : {Kind::kCounter, Kind::kLatency, Kind::kGauge}) {
    FleetSpec spec = SmallSpec();
    spec.only = k;
    FleetSource one(spec);
    EXPECT_EQ(one.series(), counts[static_cast<int>(k)]);
    for (size_t i = 0; i < one.series(); ++i) EXPECT_EQ(one.meta(i).kind, k);
  }
  EXPECT_EQ(ParseKind("latency"), Kind::kLatency);
  EXPECT_FALSE(ParseKind("histogram").has_value());
}

TEST(FleetSourceTest, SamplesFallInTheirStepWhateverTheFillOrder) {
  FleetSource source(SmallSpec());
  std::vector<tsdb::RawSample> in_order, a, b;
  source.Fill(Chunk{0, 36, 0, 40}, &in_order);
  for (size_t i = 0; i < 40; ++i) {
    for (int64_t s = 0; s < 36; ++s) {
      const int64_t ts = in_order[i * 36 + static_cast<size_t>(s)].timestamp_ms;
      EXPECT_GE(ts, source.start_ms() + s * source.step_ms());
      EXPECT_LT(ts, source.start_ms() + (s + 1) * source.step_ms());
    }
  }
  source.Fill(Chunk{10, 20, 3, 4}, &a);  // out of order: replays the cursor
  source.Fill(Chunk{20, 22, 3, 4}, &b);  // in order
  for (int64_t s = 10; s < 22; ++s) {
    const tsdb::RawSample& x =
        s < 20 ? a[static_cast<size_t>(s - 10)] : b[static_cast<size_t>(s - 20)];
    EXPECT_EQ(x.timestamp_ms, in_order[3 * 36 + static_cast<size_t>(s)].timestamp_ms);
    EXPECT_EQ(x.value, in_order[3 * 36 + static_cast<size_t>(s)].value);
  }
  EXPECT_EQ(source.key(3).ns, "Fleet");
}

TEST(EncodersTest, RemoteWriteCarriesEverySampleWithSortedLabels) {
  FleetSource source(SmallSpec());
  Encoders enc(&source, "Fleet");
  Chunk chunk{3, 7, 5, 12};
  std::string body = enc.RemoteWriteBody(chunk);
  std::string proto;
  ASSERT_TRUE(snappy::Uncompress(body.data(), body.size(), &proto));
  EXPECT_EQ(proto, enc.RemoteWriteProto(chunk));
  std::vector<DecodedSeries> decoded = DecodeWriteRequest(proto);
  ASSERT_EQ(decoded.size(), 7u);
  for (size_t k = 0; k < decoded.size(); ++k) {
    const SeriesMeta& meta = source.meta(5 + k);
    ASSERT_EQ(decoded[k].labels.size(), meta.labels.size() + 1);
    EXPECT_EQ(decoded[k].labels[0], std::make_pair(std::string("__name__"), meta.metric));
    for (size_t l = 1; l + 1 < decoded[k].labels.size(); ++l) {
      EXPECT_LT(decoded[k].labels[l].first, decoded[k].labels[l + 1].first);
    }
    std::vector<tsdb::RawSample> expected = Expected(source, 5 + k, 3, 7);
    ASSERT_EQ(decoded[k].samples.size(), 4u);
    for (size_t s = 0; s < 4; ++s) {
      EXPECT_EQ(decoded[k].samples[s].first, expected[s].timestamp_ms);
      EXPECT_EQ(decoded[k].samples[s].second, expected[s].value);
    }
  }
}

TEST(EncodersTest, VmImportTextIsTimeMajorWithMillisecondTimestamps) {
  FleetSource source(SmallSpec());
  Encoders enc(&source, "Fleet");
  std::istringstream text(enc.VmImportText(Chunk{0, 2, 0, 3}));
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(text, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  const SeriesMeta& m = source.meta(1);
  std::string expected = m.metric + "{";
  for (size_t i = 0; i < m.labels.size(); ++i) {
    expected += (i ? "," : "") + m.labels[i].first + "=\"" + m.labels[i].second + "\"";
  }
  expected += "} ";
  std::vector<tsdb::RawSample> x = Expected(source, 1, 0, 2);
  AppendDouble(x[0].value, &expected);
  expected += " " + std::to_string(x[0].timestamp_ms);
  EXPECT_EQ(lines[1], expected);
  EXPECT_NE(lines[4].find(" " + std::to_string(x[1].timestamp_ms)), std::string::npos);
}

TEST(EncodersTest, PutMetricDataJsonHasOneDatumPerSample) {
  FleetSource source(SmallSpec());
  Encoders enc(&source, "Fleet");
  nlohmann::json doc = nlohmann::json::parse(enc.PutMetricDataJson(Chunk{2, 4, 10, 20}));
  EXPECT_EQ(doc["Namespace"], "Fleet");
  ASSERT_EQ(doc["MetricData"].size(), 20u);
  const auto& d = doc["MetricData"][11];  // step 3, series 11
  std::vector<tsdb::RawSample> x = Expected(source, 11, 3, 4);
  EXPECT_EQ(d["MetricName"], source.meta(11).metric);
  EXPECT_EQ(d["Unit"], source.meta(11).unit);
  EXPECT_DOUBLE_EQ(d["Timestamp"].get<double>() * 1000, static_cast<double>(x[0].timestamp_ms));
  EXPECT_EQ(d["Value"].get<double>(), x[0].value);
  EXPECT_EQ(d["Dimensions"].size(), source.meta(11).labels.size());
}

TEST(EncodersTest, GzipRoundTrips) {
  std::string data(50'000, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>('a' + i % 26);
  std::string gz = Gzip(data, 1);
  EXPECT_LT(gz.size(), data.size());
  EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
  EXPECT_EQ(Gunzip(gz), data);
}

// AWS's published SigV4 test vector "get-vanilla".
TEST(SigV4Test, MatchesAwsGetVanilla) {
  SigV4Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1",
                         "service"};
  http::ClientRequest req;
  req.method = "GET";
  req.target = "/";
  SignRequest(creds, "example.amazonaws.com", 1440938160, &req);
  ASSERT_EQ(req.headers.size(), 2u);
  EXPECT_EQ(req.headers[0],
            std::make_pair(std::string("X-Amz-Date"), std::string("20150830T123600Z")));
  EXPECT_EQ(req.headers[1].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

}  // namespace
}  // namespace vigil::bench
