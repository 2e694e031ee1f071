// People's sign-in end to end: a user and a password made with `vigil iam` (the password read
// from stdin), a sign-in with curl bound by the user's policies, wrong passwords answered alike
// and then throttled (429 with Retry-After), virtual MFA enrolment with codes computed here
// (RFC 6238), "MFA code required", a replayed code refused, a policy denying what a session
// without MFA asks, sessions listed and revoked (401 after), ConsoleLogin records with MFAUsed,
// and everything kept across a restart.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "auth/totp.h"
#include "tests/integration/assertions.h"
#include "tests/integration/vigil_server.h"

namespace vigil::integration {
namespace {

using Json = nlohmann::json;

// What `curl -sS -i <args>` prints (status line, headers, body), or "" when it could not run.
std::string Curl(std::vector<std::string> args) {
  testutil::SpawnOptions spawn;
  spawn.argv = {"curl", "-sS", "-i"};
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  StatusOr<testutil::CommandResult> r = testutil::RunCommand(spawn, std::chrono::seconds(60));
  return r.ok() ? r->out : "";
}

class SignInTest : public testing::Test {
 protected:
  // Sign-in throttling configured small, so the test counts to it: an address or a name may
  // fail 3 times, the 4th failure makes it wait 2 s.
  static constexpr int kFreeFailures = 3;
  void SetUp() override {
    ASSERT_OK(server_.Start(
        {"--config",
         server_.WriteScratchFile(
             "vigil.yaml", "auth:\n  sign_in_attempts: {free: " + std::to_string(kFreeFailures) +
                               ", first_delay: 2s, max_delay: 2s}\n")}));
  }
  void TearDown() override {
    if (server_.running()) EXPECT_OK(server_.Stop());
  }

  AwsResult Iam(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), "iam");
    return server_.RunVigil(args, stdin_text);
  }

  // POST /v1/session with `body` through curl; (status, headers + body as curl -i prints them).
  std::pair<int, std::string> SignIn(const Json& body) {
    const std::string out =
        Curl({"-X", "POST", "-H", "Content-Type: application/json", "-A", "signin-test/1.0",
              "--data-binary", body.dump(), server_.endpoint() + "/v1/session"});
    return {StatusOf(out), out};
  }
  static int StatusOf(const std::string& out) {
    // "HTTP/1.1 200 OK\r\n..."
    const size_t space = out.find(' ');
    return space == std::string::npos ? 0 : std::atoi(out.c_str() + space + 1);
  }
  static Json BodyOf(const std::string& out) {
    const size_t blank = out.find("\r\n\r\n");
    if (blank == std::string::npos) return nullptr;
    return Json::parse(out.substr(blank + 4), nullptr, false);
  }
  static std::string Cookie(const std::string& out) {
    const size_t at = out.find("vigil_session=");
    if (at == std::string::npos) return "";
    return out.substr(at, out.find(';', at) - at);
  }
  // A request with a session cookie (and its CSRF token); the status and the output.
  std::pair<int, std::string> WithSession(const std::string& method, const std::string& path,
                                          const std::string& cookie, const std::string& csrf,
                                          const std::string& body = "") {
    std::vector<std::string> args = {"-X", method, "-H", "Cookie: " + cookie};
    if (!csrf.empty()) args.insert(args.end(), {"-H", "X-Vigil-Csrf: " + csrf});
    if (!body.empty()) {
      args.insert(args.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
    }
    args.push_back(server_.endpoint() + path);
    const std::string out = Curl(args);
    return {StatusOf(out), out};
  }

  VigilServer server_;
};

TEST_F(SignInTest, PasswordMfaThrottlingAndRevocation) {
  // A read-only person, with a password given on stdin.
  ASSERT_EQ(Iam({"create-user", "olivia"}).exit_code, 0);
  ASSERT_EQ(Iam({"attach-policy", "--user", "olivia", "--policy", "ReadOnlyAccess"}).exit_code, 0);
  AwsResult no_stdin_flag = Iam({"create-login-profile", "--user", "olivia"});
  EXPECT_NE(no_stdin_flag.exit_code, 0);
  EXPECT_NE(no_stdin_flag.err.find("--password-stdin"), std::string::npos) << no_stdin_flag.err;
  AwsResult too_short =
      Iam({"create-login-profile", "--user", "olivia", "--password-stdin"}, "short\n");
  EXPECT_NE(too_short.exit_code, 0);
  EXPECT_NE(too_short.err.find("at least 12"), std::string::npos) << too_short.Describe();
  const std::string password = "olivia's long passphrase";
  AwsResult created =
      Iam({"create-login-profile", "--user", "olivia", "--password-stdin"}, password + "\n");
  ASSERT_EQ(created.exit_code, 0) << created.Describe();

  // Signed in as herself, with her policies: she can list, not deploy.
  auto [status, out] = SignIn({{"username", "olivia"}, {"password", password}});
  ASSERT_EQ(status, 200) << out;
  const Json session = BodyOf(out);
  EXPECT_EQ(session["principal"], "olivia");
  EXPECT_EQ(session["method"], "password");
  EXPECT_EQ(session["mfa"], false);
  EXPECT_EQ(out.find(password), std::string::npos);
  const std::string cookie = Cookie(out);
  const std::string csrf = session["csrf_token"];
  ASSERT_FALSE(cookie.empty()) << out;
  EXPECT_EQ(WithSession("GET", "/v1/apps", cookie, "").first, 200);
  auto [deploy_status, deploy_out] = WithSession("POST", "/v1/apps/shop/deployments", cookie, csrf,
                                                 Json{{"version", "v2"}}.dump());
  EXPECT_EQ(deploy_status, 403) << deploy_out;
  EXPECT_NE(deploy_out.find("vigil:Deploy"), std::string::npos) << deploy_out;

  // Wrong password and unknown user: the same answer.
  auto wrong = SignIn({{"username", "olivia"}, {"password", "not her password"}});
  auto unknown = SignIn({{"username", "nobody"}, {"password", "not her password"}});
  EXPECT_EQ(wrong.first, 401);
  EXPECT_EQ(unknown.first, 401);
  EXPECT_EQ(BodyOf(wrong.second), BodyOf(unknown.second));

  // Repeated failures from this address (two above): the failure past the free ones is still
  // answered 401 and starts the wait; the next attempt is 429 with Retry-After, before any
  // password is checked, whoever it names.
  for (int failures = 2; failures <= kFreeFailures; ++failures) {
    auto guess =
        SignIn({{"username", "nobody"}, {"password", "guess " + std::to_string(failures)}});
    ASSERT_EQ(guess.first, 401) << "failure " << failures + 1 << ": " << guess.second;
  }
  const std::pair<int, std::string> throttled =
      SignIn({{"username", "olivia"}, {"password", password}});
  ASSERT_EQ(throttled.first, 429) << throttled.second;
  const size_t retry_at = throttled.second.find("Retry-After: ");
  ASSERT_NE(retry_at, std::string::npos) << throttled.second;
  const int retry_after = std::atoi(throttled.second.c_str() + retry_at + 13);
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 2);  // first_delay, not the default's escalation
  EXPECT_EQ(BodyOf(throttled.second)["error"]["code"], "Throttling");
  // The wait ends by itself; a 429 costs no failure, so poll.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (SignIn({{"username", "olivia"}, {"password", password}}).first == 429) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }

  // MFA: enrolled through the CLI, enabled with two consecutive codes computed here.
  AwsResult mfa = Iam({"create-virtual-mfa-device", "--user", "olivia", "--output", "json"});
  ASSERT_EQ(mfa.exit_code, 0) << mfa.Describe();
  const std::string secret =
      auth::Base32Decode(mfa.Json()["secret_base32"].get<std::string>()).value_or("");
  ASSERT_EQ(secret.size(), auth::kTotpSecretBytes);
  EXPECT_TRUE(mfa.Json()["otpauth_uri"].get<std::string>().starts_with("otpauth://totp/Vigil:"));
  auto step = [] {
    return auth::TotpStep(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  };
  const int64_t now_step = step();
  AwsResult enabled =
      Iam({"enable-mfa-device", "--user", "olivia", "--code1", auth::TotpCode(secret, now_step - 1),
           "--code2", auth::TotpCode(secret, now_step)});
  ASSERT_EQ(enabled.exit_code, 0) << enabled.Describe();

  auto required = SignIn({{"username", "olivia"}, {"password", password}});
  EXPECT_EQ(required.first, 401);
  EXPECT_EQ(BodyOf(required.second)["error"]["code"], "MfaCodeRequired") << required.second;
  // The enabling codes are used up: wait for the next step's code (at most 30 s).
  while (step() <= now_step) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const std::string code = auth::TotpCode(secret, step());
  auto with_mfa = SignIn({{"username", "olivia"}, {"password", password}, {"totp", code}});
  ASSERT_EQ(with_mfa.first, 200) << with_mfa.second;
  EXPECT_EQ(BodyOf(with_mfa.second)["method"], "password+mfa");
  const std::string mfa_cookie = Cookie(with_mfa.second);
  auto replayed = SignIn({{"username", "olivia"}, {"password", password}, {"totp", code}});
  EXPECT_EQ(replayed.first, 401) << replayed.second;
  EXPECT_NE(replayed.second.find("MFA code is not valid"), std::string::npos);

  // A policy can demand MFA: the password-only session may no longer list apps.
  ASSERT_EQ(Iam({"put-user-policy", "--user", "olivia", "--policy-name", "mfa-only", "--document",
                 R"({"Statement":{"Effect":"Deny","Action":"vigil:List*","Resource":"*",
                     "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}})"})
                .exit_code,
            0);
  EXPECT_EQ(WithSession("GET", "/v1/apps", cookie, "").first, 403);
  EXPECT_EQ(WithSession("GET", "/v1/apps", mfa_cookie, "").first, 200);

  // Sessions listed (by the CLI, as root) and one revoked: its next request is 401.
  AwsResult listed = Iam({"list-sessions", "--user", "olivia", "--output", "json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  const Json sessions = listed.Json()["sessions"];
  ASSERT_EQ(sessions.size(), 3u) << listed.out;  // the first, the one after the wait, with MFA
  EXPECT_EQ(sessions[0]["user_agent"], "signin-test/1.0");
  EXPECT_EQ(sessions[0]["source_ip"], "127.0.0.1");
  const std::string first_id = sessions[0]["id"];
  EXPECT_EQ(first_id, session["session_id"]);
  ASSERT_EQ(Iam({"revoke-session", first_id}).exit_code, 0);
  EXPECT_EQ(WithSession("GET", "/v1/apps", cookie, "").first, 401);

  // The trail: ConsoleLogin records, with MFAUsed, and none holds a password or a code.
  AwsResult logins =
      server_.RunAws(Cli::kV2Query, {"cloudtrail", "lookup-events", "--lookup-attributes",
                                     "AttributeKey=EventName,AttributeValue=ConsoleLogin"});
  ASSERT_EQ(logins.exit_code, 0) << logins.Describe();
  bool saw_mfa = false, saw_throttle = false;
  const Json events = logins.Json()["Events"];
  for (const Json& e : events) {
    const Json event = Json::parse(e["CloudTrailEvent"].get<std::string>());
    if (event.value("errorCode", "") == "Throttling") saw_throttle = true;
    if (!event.contains("errorCode") &&
        event.value("additionalEventData", Json::object()).value("MFAUsed", "") == "Yes") {
      saw_mfa = true;
      EXPECT_EQ(event["userIdentity"]["userName"], "olivia");
    }
  }
  EXPECT_TRUE(saw_mfa) << logins.out;
  EXPECT_TRUE(saw_throttle) << logins.out;
  EXPECT_EQ(logins.out.find(password), std::string::npos);
  EXPECT_EQ(logins.out.find("\"" + code + "\""), std::string::npos);

  // A restart keeps the password, the MFA device (and its used codes) and the live session.
  ASSERT_OK(server_.Restart());
  EXPECT_EQ(WithSession("GET", "/v1/apps", mfa_cookie, "").first, 200);
  EXPECT_EQ(WithSession("GET", "/v1/apps", cookie, "").first, 401);
  auto after = SignIn({{"username", "olivia"}, {"password", password}, {"totp", code}});
  EXPECT_EQ(after.first, 401) << after.second;
  auto still_required = SignIn({{"username", "olivia"}, {"password", password}});
  EXPECT_EQ(BodyOf(still_required.second)["error"]["code"], "MfaCodeRequired");

  // Changing the password (her own, from her session) ends her sessions.
  auto changed = WithSession(
      "POST", "/v1/iam/change-password", mfa_cookie, BodyOf(with_mfa.second)["csrf_token"],
      Json{{"old_password", password}, {"new_password", "a brand new passphrase"}}.dump());
  EXPECT_EQ(changed.first, 204) << changed.second;
  EXPECT_EQ(WithSession("GET", "/v1/apps", mfa_cookie, "").first, 401);
}

}  // namespace
}  // namespace vigil::integration
