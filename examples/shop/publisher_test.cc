#include "examples/shop/publisher.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <variant>

#include "api/cloudwatch_decode.h"

namespace vigil::shop {
namespace {

// The body as Vigil's own query-protocol decoder reads it.
api::PutMetricDataInput Decode(const std::string& body) {
  std::string action;
  api::ApiOr<api::DecodedRequest> decoded = api::DecodeQueryRequest(body, &action);
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  EXPECT_EQ(action, "PutMetricData");
  if (!decoded.ok()) return {};
  return std::get<api::PutMetricDataInput>(decoded.value().input);
}

void ExpectHead(const api::MetricDatumInput& d, const std::string& name, const std::string& unit,
                const std::string& app) {
  EXPECT_EQ(d.metric_name, name);
  EXPECT_EQ(d.unit, unit);
  ASSERT_EQ(d.dimensions.size(), 1u);
  EXPECT_EQ(d.dimensions[0].name, "App");
  EXPECT_EQ(d.dimensions[0].value, app);
}

TEST(PutMetricDataBodyTest, PurchasesAndLatencyValuesWithCounts) {
  Period period{{7.25, 1.5, 1.5004, 1.4996}, 4};
  api::PutMetricDataInput in = Decode(PutMetricDataBody(period, "shop blue"));
  EXPECT_EQ(in.ns, "Shop");
  ASSERT_TRUE(in.metric_data.has_value());
  ASSERT_EQ(in.metric_data->size(), 2u);
  const api::MetricDatumInput& purchases = (*in.metric_data)[0];
  ExpectHead(purchases, "Purchases", "Count", "shop blue");  // the space survives encoding
  EXPECT_EQ(purchases.value, 4);
  const api::MetricDatumInput& latency = (*in.metric_data)[1];
  ExpectHead(latency, "CheckoutLatency", "Milliseconds", "shop blue");
  // Rounded to the microsecond, equal values go once with their count.
  EXPECT_EQ(latency.values, (std::vector<double>{1.5, 7.25}));
  EXPECT_EQ(latency.counts, (std::vector<double>{3, 1}));
}

TEST(PutMetricDataBodyTest, QuietPeriodSendsZeroPurchasesAndNoLatency) {
  api::PutMetricDataInput in = Decode(PutMetricDataBody(Period{}, "shop"));
  ASSERT_EQ(in.metric_data->size(), 1u);
  EXPECT_EQ((*in.metric_data)[0].metric_name, "Purchases");
  EXPECT_EQ((*in.metric_data)[0].value, 0);
}

TEST(PutMetricDataBodyTest, MoreThan150DistinctValuesSpillIntoMoreDatums) {
  Period period;
  for (int i = 1; i <= 151; ++i) period.checkout_latency_ms.push_back(i);
  period.purchases = 151;
  api::PutMetricDataInput in = Decode(PutMetricDataBody(period, "shop"));
  ASSERT_EQ(in.metric_data->size(), 3u);
  EXPECT_EQ((*in.metric_data)[1].values->size(), 150u);
  EXPECT_EQ((*in.metric_data)[1].values->front(), 1);
  EXPECT_EQ((*in.metric_data)[2].values, (std::vector<double>{151}));
}

TEST(PublisherTest, FailedPublishIsLoggedAndNotFatal) {
  std::FILE* log = std::tmpfile();
  ASSERT_NE(log, nullptr);
  Logger logger(log);
  ShopOptions options;
  options.vigil_endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options.access_key_id = "AKID";
  options.secret_access_key = "secret";
  ShopMetrics metrics;
  metrics.RecordCheckout(3);
  Publisher publisher(options, &metrics, &logger);
  ASSERT_TRUE(publisher.Start().ok());
  publisher.Stop();  // publishes the last period, which fails
  std::rewind(log);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), log));
  std::fclose(log);
  EXPECT_NE(text.find("WARN publisher: PutMetricData failed: Unavailable"), std::string::npos)
      << text;
}

TEST(PublisherTest, StartRefusesAnEndpointThatIsNotAUrl) {
  ShopOptions options;
  options.vigil_endpoint = "127.0.0.1:4510";
  ShopMetrics metrics;
  Publisher publisher(options, &metrics, &NullLogger());
  EXPECT_EQ(publisher.Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace vigil::shop
