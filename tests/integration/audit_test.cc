// The audit trail end to end: control-plane calls made with both aws CLIs are recorded (who,
// from where, what, on which resources, how it ended), read back with
// `aws cloudtrail lookup-events` and `vigil audit events`; `vigil audit verify` holds for the
// trail as written and names the record an edit broke.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using Json = nlohmann::json;

class AuditTest : public ServerTest {};

TEST_P(AuditTest, RecordsControlPlaneCallsAndVerifiesTheChain) {
  ASSERT_TRUE(AwsOk(Aws({"cloudwatch", "put-metric-alarm", "--alarm-name", "audit-me",
                         "--namespace", "Shop", "--metric-name", "Errors", "--statistic", "Sum",
                         "--period", "60", "--evaluation-periods", "1", "--threshold", "1",
                         "--comparison-operator", "GreaterThanThreshold"})));
  ASSERT_TRUE(AwsOk(Aws({"logs", "create-log-group", "--log-group-name", "/audit/g"})));
  ASSERT_FALSE(AwsOk(Aws({"logs", "create-log-group", "--log-group-name", "/audit/g"})));
  // Data-plane calls are not recorded (as in CloudTrail).
  ASSERT_TRUE(AwsOk(Aws({"cloudwatch", "put-metric-data", "--namespace", "Shop", "--metric-name",
                         "Errors", "--value", "1"})));

  AwsResult all = Aws({"cloudtrail", "lookup-events"});
  ASSERT_TRUE(AwsOk(all));
  const Json events = all.Json()["Events"];
  ASSERT_EQ(events.size(), 3u) << all.out;
  EXPECT_EQ(events[0]["EventName"], "CreateLogGroup");  // newest first
  EXPECT_EQ(events[2]["EventName"], "PutMetricAlarm");
  EXPECT_EQ(events[2]["AccessKeyId"], kAccessKeyId);
  EXPECT_EQ(events[2]["Resources"][0]["ResourceName"], "audit-me");
  const Json failed = Json::parse(events[0]["CloudTrailEvent"].get<std::string>());
  EXPECT_EQ(failed["errorCode"], "ResourceAlreadyExistsException");
  EXPECT_EQ(failed["sourceIPAddress"], "127.0.0.1");
  EXPECT_EQ(failed["requestParameters"]["logGroupName"], "/audit/g");
  const Json ok = Json::parse(events[1]["CloudTrailEvent"].get<std::string>());
  EXPECT_FALSE(ok.contains("errorCode"));

  AwsResult by_name = Aws({"cloudtrail", "lookup-events", "--lookup-attributes",
                           "AttributeKey=EventName,AttributeValue=PutMetricAlarm"});
  ASSERT_TRUE(AwsOk(by_name));
  ASSERT_EQ(by_name.Json()["Events"].size(), 1u) << by_name.out;
  EXPECT_TRUE(AwsError(GetParam(), Aws({"cloudtrail", "lookup-events", "--max-results", "51"}),
                       "InvalidMaxResultsException"));

  AwsResult listed = server_.RunVigil({"audit", "events", "--resource", "/audit/g"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_NE(listed.out.find("ResourceAlreadyExistsException"), std::string::npos) << listed.out;

  AwsResult verified = server_.RunVigil({"audit", "verify"});
  ASSERT_EQ(verified.exit_code, 0) << verified.Describe();
  EXPECT_NE(verified.out.find("ok: 3 records"), std::string::npos) << verified.out;

  // An edit of the second record, made while the server is down, is named.
  ASSERT_OK(server_.Stop());
  const std::string path = server_.data_dir() + "/audit/trail-00000001.jsonl";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string trail = text.str();
  const size_t at = trail.find("\"/audit/g\"");
  ASSERT_NE(at, std::string::npos);
  trail.replace(at, 10, "\"/audit/h\"");
  std::ofstream(path, std::ios::trunc) << trail;
  AwsResult broken = server_.RunVigil({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1) << broken.Describe();
  EXPECT_NE(broken.out.find("trail-00000001.jsonl:2 (record 2)"), std::string::npos) << broken.out;
}

INSTANTIATE_TEST_SUITE_P(BothClis, AuditTest, testing::ValuesIn(kBothClis), CliParamName);

}  // namespace
}  // namespace vigil::integration
