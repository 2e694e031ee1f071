// Identities and policies end to end, with both aws CLIs: users and keys made with `vigil iam`,
// their calls allowed or refused (AccessDenied naming action and resource) by their policies —
// managed, group and inline, explicit deny over allow, resource ARNs, conditions — refusals in
// the audit trail, inactive keys refused, the simulator, and a dashboard session bound by its
// user's policies.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using Json = nlohmann::json;

class IamTest : public ServerTest {
 protected:
  // `vigil iam <args>` as root; the run (stdout, exit code).
  AwsResult Iam(std::vector<std::string> args) {
    args.insert(args.begin(), "iam");
    return server_.RunVigil(args);
  }
  // A new user with one key; the key's (id, secret).
  std::pair<std::string, std::string> User(const std::string& name) {
    AwsResult created = Iam({"create-user", name});
    EXPECT_EQ(created.exit_code, 0) << created.Describe();
    // The new user as a one-row table (not the user's own empty list of groups).
    EXPECT_TRUE(created.out.starts_with("USER ")) << created.out;
    EXPECT_NE(created.out.find("\n" + name + " "), std::string::npos) << created.out;
    AwsResult key = Iam({"create-access-key", name, "--output", "json"});
    EXPECT_EQ(key.exit_code, 0) << key.Describe();
    const Json k = key.Json();
    return {k.value("access_key_id", ""), k.value("secret_access_key", "")};
  }
  // The CLI under test, as the user with `key`.
  AwsResult As(const std::pair<std::string, std::string>& key, std::vector<std::string> args) {
    AwsOptions o;
    o.env = {{"AWS_SHARED_CREDENTIALS_FILE", std::nullopt},
             {"AWS_ACCESS_KEY_ID", key.first},
             {"AWS_SECRET_ACCESS_KEY", key.second}};
    return server_.RunAws(GetParam(), args, o);
  }
  std::string Doc(const std::string& name, const std::string& json) {
    return "@" + server_.WriteScratchFile(name, json);
  }
};

const std::vector<std::string> kPutAlarm = {"cloudwatch",
                                            "put-metric-alarm",
                                            "--alarm-name",
                                            "prod-errors",
                                            "--namespace",
                                            "Shop",
                                            "--metric-name",
                                            "Errors",
                                            "--statistic",
                                            "Sum",
                                            "--period",
                                            "60",
                                            "--evaluation-periods",
                                            "1",
                                            "--threshold",
                                            "1",
                                            "--comparison-operator",
                                            "GreaterThanThreshold"};

TEST_P(IamTest, PoliciesDecideEveryCall) {
  const auto alice = User("alice");
  // No policy: everything is implicitly denied, named with its action and resource.
  AwsResult none = As(alice, {"cloudwatch", "list-metrics"});
  ASSERT_TRUE(AwsError(GetParam(), none, "AccessDenied"));
  EXPECT_NE(none.err.find("cloudwatch:ListMetrics"), std::string::npos) << none.err;

  // ReadOnlyAccess: reads pass, changes do not.
  ASSERT_EQ(Iam({"attach-policy", "--user", "alice", "--policy", "ReadOnlyAccess"}).exit_code, 0);
  EXPECT_TRUE(AwsOk(As(alice, {"cloudwatch", "list-metrics"})));
  EXPECT_TRUE(AwsOk(As(alice, {"logs", "describe-log-groups"})));
  AwsResult put = As(alice, kPutAlarm);
  ASSERT_TRUE(AwsError(GetParam(), put, "AccessDenied"));
  EXPECT_NE(put.err.find("cloudwatch:PutMetricAlarm on resource: "
                         "arn:vigil:cloudwatch:::alarm:prod-errors"),
            std::string::npos)
      << put.err;

  // A group grants alarms on dev-* only (resource ARNs with wildcards).
  ASSERT_EQ(Iam({"create-group", "oncall"}).exit_code, 0);
  ASSERT_EQ(Iam({"add-user-to-group", "--user", "alice", "--group", "oncall"}).exit_code, 0);
  ASSERT_EQ(
      Iam({"put-group-policy", "--group", "oncall", "--policy-name", "dev-alarms", "--document",
           Doc("dev.json", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                     "Action":"cloudwatch:*Alarm*","Resource":"arn:vigil:cloudwatch:::alarm:dev-*"}]})")})
          .exit_code,
      0);
  std::vector<std::string> dev_alarm = kPutAlarm;
  dev_alarm[3] = "dev-errors";
  EXPECT_TRUE(AwsOk(As(alice, dev_alarm)));
  EXPECT_TRUE(AwsError(GetParam(), As(alice, kPutAlarm), "AccessDenied"));

  // An explicit deny on the user beats the group's allow, and says which policy decided.
  ASSERT_EQ(Iam({"put-user-policy", "--user", "alice", "--policy-name", "no-deletes", "--document",
                 Doc("deny.json", R"({"Statement":{"Sid":"NoDeletes","Effect":"Deny",
                     "Action":"cloudwatch:DeleteAlarms","Resource":"*"}})")})
                .exit_code,
            0);
  AwsResult del = As(alice, {"cloudwatch", "delete-alarms", "--alarm-names", "dev-errors"});
  ASSERT_TRUE(AwsError(GetParam(), del, "AccessDenied"));
  EXPECT_NE(del.err.find("explicit deny"), std::string::npos) << del.err;
  EXPECT_NE(del.err.find("NoDeletes"), std::string::npos) << del.err;

  // Conditions: from 10.0.0.0/8 only — the CLI calls from 127.0.0.1.
  ASSERT_EQ(Iam({"put-user-policy", "--user", "alice", "--policy-name", "office", "--document",
                 Doc("ip.json", R"({"Statement":{"Effect":"Deny","Action":"logs:*",
                     "Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}})")})
                .exit_code,
            0);
  EXPECT_TRUE(
      AwsError(GetParam(), As(alice, {"logs", "describe-log-groups"}), "AccessDeniedException"));

  // The root key is never bound by policies.
  EXPECT_TRUE(AwsOk(Aws(kPutAlarm)));

  // Refusals are in the audit trail, under the user.
  AwsResult trail = Aws({"cloudtrail", "lookup-events", "--lookup-attributes",
                         "AttributeKey=Username,AttributeValue=alice"});
  ASSERT_TRUE(AwsOk(trail));
  int denied = 0;
  const Json events = trail.Json()["Events"];
  for (const Json& e : events) {
    const Json event = Json::parse(e["CloudTrailEvent"].get<std::string>());
    if (event.value("errorCode", "") == "AccessDenied") ++denied;
  }
  EXPECT_GE(denied, 5) << trail.out;

  // The simulator says the same, and names the statement.
  AwsResult sim = Iam(
      {"simulate", "--user", "alice", "--action", "cloudwatch:DeleteAlarms", "--output", "json"});
  EXPECT_EQ(sim.exit_code, 1) << sim.Describe();
  EXPECT_EQ(sim.Json()["decision"], "explicitly denied");
  EXPECT_EQ(sim.Json()["statement"], "NoDeletes");
  AwsResult allowed = Iam({"simulate", "--user", "alice", "--action", "cloudwatch:GetMetricData"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.Describe();
  EXPECT_NE(allowed.out.find("allowed by ReadOnlyAccess"), std::string::npos) << allowed.out;
}

TEST_P(IamTest, InactiveAndDeletedKeysAreRefused) {
  const auto bob = User("bob");
  ASSERT_EQ(Iam({"attach-policy", "--user", "bob", "--policy", "AdministratorAccess"}).exit_code,
            0);
  EXPECT_TRUE(AwsOk(As(bob, {"cloudwatch", "list-metrics"})));
  ASSERT_EQ(Iam({"update-access-key", bob.first, "--status", "Inactive"}).exit_code, 0);
  EXPECT_TRUE(
      AwsError(GetParam(), As(bob, {"cloudwatch", "list-metrics"}), "InvalidClientTokenId"));
  ASSERT_EQ(Iam({"update-access-key", bob.first, "--status", "Active"}).exit_code, 0);
  EXPECT_TRUE(AwsOk(As(bob, {"cloudwatch", "list-metrics"})));
  // The key's last use is recorded.
  AwsResult users = Iam({"list-users", "--output", "json"});
  ASSERT_EQ(users.exit_code, 0) << users.Describe();
  const Json listed = users.Json()["users"];
  ASSERT_EQ(listed.size(), 1u) << users.out;
  EXPECT_TRUE(listed[0]["access_keys"][0]["last_used_at"].is_string()) << users.out;
  // The user's keys, groups and policies must go before the user does.
  AwsResult busy = Iam({"delete-user", "bob"});
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_NE(busy.err.find("Conflict"), std::string::npos) << busy.Describe();
  ASSERT_EQ(Iam({"delete-access-key", bob.first}).exit_code, 0);
  EXPECT_TRUE(
      AwsError(GetParam(), As(bob, {"cloudwatch", "list-metrics"}), "InvalidClientTokenId"));
  // Keys, users and policies outlive a restart; secrets are not in state.db in the clear.
  const auto carol = User("carol");
  ASSERT_EQ(Iam({"attach-policy", "--user", "carol", "--policy", "ReadOnlyAccess"}).exit_code, 0);
  ASSERT_OK(server_.Restart());
  EXPECT_TRUE(AwsOk(As(carol, {"cloudwatch", "list-metrics"})));
  std::ifstream db(server_.data_dir() + "/state.db", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(db)), std::istreambuf_iterator<char>());
  EXPECT_EQ(bytes.find(carol.second), std::string::npos);
}

// Forged signatures: refused with AWS's codes, recorded in the trail under the key they claim,
// and an address that keeps forging is made to wait (Throttling, Retry-After) — after which
// the right key works again.
TEST_P(IamTest, ForgedSignaturesAreRecordedAndThrottled) {
  // A first wait long enough for both CLIs to start within it.
  ASSERT_OK(server_.Stop());
  ASSERT_OK(server_.Start({"--config", server_.WriteScratchFile("vigil.yaml", R"(
auth:
  failed_attempts: {free: 10, first_delay: 6s}
)")}));
  const std::pair<std::string, std::string> forged = {kAccessKeyId, "not-the-secret"};
  EXPECT_TRUE(
      AwsError(GetParam(), As(forged, {"cloudwatch", "list-metrics"}), "SignatureDoesNotMatch"));
  EXPECT_TRUE(AwsError(GetParam(), As(forged, {"logs", "describe-log-groups"}),
                       "InvalidSignatureException"));
  EXPECT_TRUE(AwsError(GetParam(),
                       As({"AKIANOSUCHKEY0000001", "whatever"}, {"cloudwatch", "list-metrics"}),
                       "InvalidClientTokenId"));
  AwsResult trail = Aws({"cloudtrail", "lookup-events", "--lookup-attributes",
                         std::string("AttributeKey=AccessKeyId,AttributeValue=") + kAccessKeyId});
  ASSERT_TRUE(AwsOk(trail));
  std::map<std::string, std::string> failed;  // eventName -> errorCode
  const Json events = trail.Json()["Events"];
  for (const Json& e : events) {
    const Json event = Json::parse(e["CloudTrailEvent"].get<std::string>());
    if (event.contains("errorCode")) {
      failed[event["eventName"].get<std::string>()] = event["errorCode"].get<std::string>();
    }
  }
  EXPECT_EQ(failed["ListMetrics"], "SignatureDoesNotMatch") << trail.out;
  EXPECT_EQ(failed["DescribeLogGroups"], "SignatureDoesNotMatch") << trail.out;

  // Three failures so far; ten are free, the next ones make this address wait.
  std::unique_ptr<HttpClient> client = server_.NewClient();
  auto list_metrics = [&](const testutil::SigV4Key& key) {
    return SendSigned(client.get(), key, CloudWatchJsonRequest(*client, "ListMetrics", "{}"));
  };
  for (int i = 0; i < 8; ++i) {
    auto r = list_metrics({kAccessKeyId, "not-the-secret"});
    ASSERT_OK(r);
    ASSERT_EQ(r->status, 403) << r->body;
  }
  auto throttled = list_metrics(server_.Key());
  ASSERT_OK(throttled);
  EXPECT_EQ(throttled->status, 400) << throttled->body;
  EXPECT_NE(throttled->body.find("Throttling"), std::string::npos) << throttled->body;
  EXPECT_EQ(throttled->Header("Retry-After"), "6");
  EXPECT_TRUE(AwsError(GetParam(), Aws({"cloudwatch", "list-metrics"}), "Throttling"));
  AwsResult rest = server_.RunVigil({"apps", "list"});
  EXPECT_NE(rest.exit_code, 0) << rest.Describe();
  // After the wait, the right key gets through.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline && status != 200) {
    auto r = list_metrics(server_.Key());
    ASSERT_OK(r);
    status = r->status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(status, 200);
}

// A signature is valid only for the service it is scoped to, as AWS's are.
TEST(SignatureScopeTest, ACredentialScopedToAnotherServiceIsRefused) {
  VigilServer server;
  ASSERT_OK(server.Start());
  std::unique_ptr<HttpClient> client = server.NewClient();
  testutil::SigV4Key logs_key = server.Key();
  logs_key.service = "logs";
  auto r = SendSigned(client.get(), logs_key, CloudWatchJsonRequest(*client, "ListMetrics", "{}"));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("scoped to correct service: 'monitoring'"), std::string::npos) << r->body;
  // Another region's credential scope.
  testutil::SigV4Key elsewhere = server.Key();
  elsewhere.region = "eu-west-3";
  r = SendSigned(client.get(), elsewhere, CloudWatchJsonRequest(*client, "ListMetrics", "{}"));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("eu-west-3"), std::string::npos) << r->body;
  // A request signed right but sent (or replayed) 20 minutes later: past the 15-minute skew.
  const HttpRequest signed_earlier = CloudWatchQueryRequest(*client, "Action=ListMetrics&Version=2010-08-01");
  r = SendSigned(client.get(), server.Key(), signed_earlier,
                 std::chrono::system_clock::now() - std::chrono::minutes(20));
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_NE(r->body.find("<Code>RequestExpired</Code>"), std::string::npos) << r->body;
  r = SendSigned(client.get(), server.Key(), signed_earlier);  // the same request, signed now
  ASSERT_OK(r);
  EXPECT_EQ(r->status, 200) << r->body;
  HttpRequest apps;
  apps.method = "GET";
  apps.target = "/v1/apps";
  apps.headers = {{"Host", client->Host()}};
  auto rest = SendSigned(client.get(), server.Key(), apps);  // scoped to "monitoring"
  ASSERT_OK(rest);
  EXPECT_EQ(rest->status, 403) << rest->body;
  EXPECT_NE(rest->body.find("'vigil'"), std::string::npos) << rest->body;
  auto right = server.GetJson("/v1/apps");
  ASSERT_OK(right);
  EXPECT_EQ(right->first, 200);
  EXPECT_OK(server.Stop());
}

INSTANTIATE_TEST_SUITE_P(BothClis, IamTest, testing::ValuesIn(kBothClis), CliParamName);

// The dashboard's session carries its user's policies.
TEST(IamSessionTest, ASessionIsBoundByItsUsersPolicies) {
  VigilServer server;
  ASSERT_OK(server.Start());
  ASSERT_EQ(server.RunVigil({"iam", "create-user", "viewer"}).exit_code, 0);
  AwsResult key = server.RunVigil({"iam", "create-access-key", "viewer", "--output", "json"});
  ASSERT_EQ(key.exit_code, 0) << key.Describe();
  ASSERT_EQ(
      server.RunVigil({"iam", "attach-policy", "--user", "viewer", "--policy", "ReadOnlyAccess"})
          .exit_code,
      0);
  auto client = server.NewClient();
  HttpRequest sign_in;
  sign_in.target = "/v1/session";
  sign_in.body = Json{{"access_key_id", key.Json()["access_key_id"]},
                      {"secret_access_key", key.Json()["secret_access_key"]}}
                     .dump();
  auto in = client->Send(sign_in);
  ASSERT_OK(in);
  ASSERT_EQ(in->status, 200) << in->body;
  EXPECT_EQ(Json::parse(in->body)["principal"], "viewer");
  const std::string set_cookie = in->Header("Set-Cookie").value_or("");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  const std::string csrf = Json::parse(in->body)["csrf_token"];

  HttpRequest apps;
  apps.method = "GET";
  apps.target = "/v1/apps";
  apps.headers = {{"Cookie", cookie}};
  auto listed = client->Send(apps);
  ASSERT_OK(listed);
  EXPECT_EQ(listed->status, 200) << listed->body;

  HttpRequest rollback;
  rollback.target = "/v1/apps/shop/rollback";
  rollback.headers = {{"Cookie", cookie}, {"X-Vigil-Csrf", csrf}};
  auto refused = client->Send(rollback);
  ASSERT_OK(refused);
  EXPECT_EQ(refused->status, 403) << refused->body;
  EXPECT_EQ(Json::parse(refused->body)["error"]["code"], "AccessDenied");
  EXPECT_NE(refused->body.find("vigil:Rollback"), std::string::npos) << refused->body;
  EXPECT_OK(server.Stop());
}

}  // namespace
}  // namespace vigil::integration
