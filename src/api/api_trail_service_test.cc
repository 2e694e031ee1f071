// CloudTrailService's LookupEvents over a real audit trail: attributes, and malformed
// LookupAttributes answered with CloudTrail's error rather than a thrown exception (found by
// fuzz/cloudtrail_lookup_fuzz: `[1]` or a numeric AttributeKey made nlohmann's value() throw,
// which the HTTP server turned into a bare 500).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/api.h"
#include "api/testing/service_harness.h"
#include "audit/audit.h"

namespace vigil::api {
namespace {

using Json = nlohmann::json;

class TrailServiceTest : public testing::ServiceHarness {
 protected:
  void SetUp() override {
    ServiceHarness::SetUp();
    auto trail = audit::Trail::Open(dir_ + "/audit", &clock_, &NullLogger());
    ASSERT_TRUE(trail.ok()) << trail.status().ToString();
    trail_ = std::move(*trail);
    for (const char* name : {"CreateLogGroup", "ConsoleLogin"}) {
      audit::Record r;
      r.event_source = "logs.amazonaws.com";
      r.event_name = name;
      r.username = "olivia";
      ASSERT_TRUE(trail_->Append(std::move(r)).ok());
    }
    service_ = std::make_unique<CloudTrailService>(trail_.get(), verifier_.get(), "us-east-1");
  }

  http::Response Lookup(const std::string& body) {
    testutil::HttpRequest r{
        "POST",
        "/",
        {{"X-Amz-Target", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"},
         {"Content-Type", "application/x-amz-json-1.1"}},
        body};
    return Send([&](const http::Request& q) { return service_->Handle(q); }, r, true,
                testing::kSecretKey, "cloudtrail");
  }

  std::unique_ptr<audit::Trail> trail_;
  std::unique_ptr<CloudTrailService> service_;
};

TEST_F(TrailServiceTest, LookupByAttribute) {
  const http::Response r = Lookup(
      R"({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const Json events = Json::parse(r.body)["Events"];
  ASSERT_EQ(events.size(), 1u) << r.body;
  EXPECT_EQ(events[0]["EventName"], "ConsoleLogin");
  EXPECT_EQ(events[0]["Username"], "olivia");
}

TEST_F(TrailServiceTest, MalformedLookupAttributesAreCloudTrailErrors) {
  for (const char* attributes : {R"([1])", R"(["EventName"])", R"([null])",
                                 R"([{"AttributeKey": 5, "AttributeValue": "x"}])",
                                 R"([{"AttributeKey": "EventName", "AttributeValue": 5}])",
                                 R"([{"AttributeKey": "EventName"}])",
                                 R"([{"AttributeKey": "Nope", "AttributeValue": "x"}])",
                                 R"({"AttributeKey": "EventName"})"}) {
    const http::Response r = Lookup(std::string(R"({"LookupAttributes": )") + attributes + "}");
    EXPECT_EQ(r.status, 400) << attributes << ": " << r.body;
    EXPECT_EQ(Json::parse(r.body)["__type"], "InvalidLookupAttributesException") << attributes;
  }
}

}  // namespace
}  // namespace vigil::api
