// The dashboard's sign-in end to end: the page served at /, an access key pair exchanged for a
// session cookie, the cookie taken by the REST and AWS APIs (changes only with the session's
// CSRF token), sign-in attempts in the audit trail as ConsoleLogin, the session kept across a
// restart and ended by sign-out.
#include <gtest/gtest.h>

#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using Json = nlohmann::json;

class SessionTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(server_.Start()); }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }

  // Sends `method path` with `headers` (and a Cookie when `cookie` is set) over a new connection.
  HttpResponse Send(const std::string& method, const std::string& path, std::string body = "",
                    testutil::HeaderList headers = {}) {
    auto client = server_.NewClient();
    HttpRequest r;
    r.method = method;
    r.target = path;
    r.headers = std::move(headers);
    if (!cookie_.empty()) r.headers.emplace_back("Cookie", "theme=dark; " + cookie_);
    r.body = std::move(body);
    StatusOr<HttpResponse> out = client->Send(r);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? *out : HttpResponse{};
  }

  HttpResponse SignIn(const std::string& key_id, const std::string& secret) {
    return Send("POST", "/v1/session",
                Json{{"access_key_id", key_id}, {"secret_access_key", secret}}.dump(),
                {{"Content-Type", "application/json"}});
  }

  VigilServer server_;
  std::string cookie_;  // "vigil_session=..." once signed in
};

TEST_F(SessionTest, SignInUseTheApisAndSignOut) {
  // The page needs no sign-in; the data does.
  HttpResponse page = Send("GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_NE(page.Header("Content-Security-Policy").value_or("").find("script-src 'self'"),
            std::string::npos);
  EXPECT_EQ(Send("GET", "/v1/apps").status, 403);
  EXPECT_EQ(Send("GET", "/v1/session").status, 401);

  HttpResponse wrong = SignIn(kAccessKeyId, "not-the-secret");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  EXPECT_FALSE(wrong.Header("Set-Cookie"));
  EXPECT_EQ(SignIn(kAccessKeyId, "").status, 401);
  EXPECT_EQ(Send("POST", "/v1/session", "{not json").status, 400);

  HttpResponse in = SignIn(kAccessKeyId, kSecretAccessKey);
  ASSERT_EQ(in.status, 200) << in.body;
  const std::string set_cookie = in.Header("Set-Cookie").value_or("");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << set_cookie;  // plain HTTP
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  cookie_ = set_cookie.substr(0, set_cookie.find(';'));
  ASSERT_TRUE(cookie_.starts_with("vigil_session=")) << set_cookie;
  const Json session = Json::parse(in.body);
  EXPECT_EQ(session["principal"], "root");
  EXPECT_EQ(session["access_key_id"], kAccessKeyId);
  EXPECT_EQ(in.body.find(kSecretAccessKey), std::string::npos);
  const std::string csrf = session["csrf_token"];

  // A page load reads the session back, CSRF token included.
  HttpResponse again = Send("GET", "/v1/session");
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(Json::parse(again.body)["csrf_token"], csrf);

  // Reads take the cookie alone; changes also want X-Vigil-Csrf.
  HttpResponse apps = Send("GET", "/v1/apps");
  ASSERT_EQ(apps.status, 200) << apps.body;
  const std::string put_alarm = Json{
      {"AlarmName", "from-the-dashboard"},
      {"Namespace", "Shop"},
      {"MetricName", "Errors"},
      {"Statistic", "Sum"},
      {"Period", 60},
      {"EvaluationPeriods", 1},
      {"Threshold", 1},
      {"ComparisonOperator",
       "GreaterThanThreshold"}}.dump();
  const testutil::HeaderList json10 = {
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Target", "GraniteServiceVersion20100801.PutMetricAlarm"}};
  HttpResponse forged = Send("POST", "/", put_alarm, json10);
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_NE(forged.body.find("X-Vigil-Csrf"), std::string::npos) << forged.body;
  testutil::HeaderList with_token = json10;
  with_token.emplace_back("X-Vigil-Csrf", csrf);
  HttpResponse put = Send("POST", "/", put_alarm, with_token);
  ASSERT_EQ(put.status, 200) << put.body;

  // The trail says who: the failed and the good sign-in, and the alarm made in the session.
  AwsResult logins =
      server_.RunAws(Cli::kV2Query, {"cloudtrail", "lookup-events", "--lookup-attributes",
                                     "AttributeKey=EventName,AttributeValue=ConsoleLogin"});
  ASSERT_EQ(logins.exit_code, 0) << logins.Describe();
  const Json events = logins.Json()["Events"];
  ASSERT_EQ(events.size(), 3u) << logins.out;  // newest first: ok, empty secret, wrong secret
  EXPECT_EQ(events[0]["Username"], "root");
  const Json failed = Json::parse(events[2]["CloudTrailEvent"].get<std::string>());
  EXPECT_EQ(failed["eventSource"], "signin.amazonaws.com");
  EXPECT_EQ(failed["errorCode"], "Failed authentication");
  EXPECT_EQ(logins.out.find("not-the-secret"), std::string::npos);
  auto alarm = server_.GetJson("/v1/alarms");
  ASSERT_OK(alarm);
  EXPECT_EQ(alarm->second["alarms"][0]["name"], "from-the-dashboard");

  // The session outlives a restart (the store keeps it), and ends at sign-out.
  ASSERT_OK(server_.Restart());
  ASSERT_EQ(Send("GET", "/v1/apps").status, 200);
  HttpResponse out = Send("DELETE", "/v1/session");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.Header("Set-Cookie").value_or("").find("Max-Age=0"), std::string::npos);
  HttpResponse after = Send("GET", "/v1/apps");
  EXPECT_EQ(after.status, 401);  // an ended session: the dashboard signs in again
  EXPECT_NE(after.body.find("sign in again"), std::string::npos) << after.body;
}

}  // namespace
}  // namespace vigil::integration
