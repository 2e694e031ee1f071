#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "state/state.h"
#include "tests/testutil/manual_clock.h"

namespace vigil::auth {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t kNow = 1'790'000'000'000;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : clock_(kNow), verifier_(&keys_, &clock_, VerifierOptions{}) {
    keys_.Put(AccessKey{"AKIDSESSIONTEST00001", "secret/Session+Test0123456789", "root"});
    dir_ = std::filesystem::temp_directory_path() / ("vigil-session-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  ~SessionTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<state::Store> OpenStore() {
    auto store = state::OpenSqliteStore((dir_ / "state.db").string());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }

  VerifyResult Verify(const ServerAccessControl& auth, std::string_view method,
                      const Headers& headers) {
    return auth.Verify(SignedRequest{method, "/v1/apps", "", &headers, ""});
  }

  KeyStore keys_;
  testutil::ManualClock clock_;
  SigV4Verifier verifier_;
  std::filesystem::path dir_;
};

TEST_F(SessionTest, SignInWithTheRightSecretOnly) {
  Sessions sessions(&keys_, &clock_, SessionOptions{});
  auto wrong = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test012345678X");
  EXPECT_EQ(wrong.status().code(), StatusCode::kUnauthenticated);
  auto unknown = sessions.SignIn("AKIDNOSUCHKEY0000001", "secret/Session+Test0123456789");
  EXPECT_EQ(unknown.status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().message(), wrong.status().message());  // says nothing more
  EXPECT_EQ(sessions.SignIn("", "").status().code(), StatusCode::kUnauthenticated);

  auto in = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test0123456789");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  const auto& [token, session] = *in;
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(session.principal, "root");
  EXPECT_EQ(session.csrf_token.size(), 32u);
  EXPECT_EQ(session.expires_at_ms, kNow + SessionOptions{}.lifetime_ms);
  ASSERT_TRUE(sessions.Find(token));
  EXPECT_EQ(sessions.Find(token)->csrf_token, session.csrf_token);
  EXPECT_FALSE(sessions.Find(token.substr(1)));
  EXPECT_FALSE(sessions.Find(""));
}

TEST_F(SessionTest, EndsAtExpirySignOutOrWhenTheKeyIsGone) {
  SessionOptions options;
  options.lifetime_ms = 60'000;
  Sessions sessions(&keys_, &clock_, options);
  auto a = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test0123456789");
  auto b = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test0123456789");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->first, b->first);
  ASSERT_TRUE(sessions.SignOut(a->first).ok());
  EXPECT_FALSE(sessions.Find(a->first));
  EXPECT_TRUE(sessions.Find(b->first));
  clock_.Set(kNow + 60'000);
  EXPECT_FALSE(sessions.Find(b->first));

  KeyStore other;
  other.Put(AccessKey{"AKIDOTHERKEY00000001", "other-secret-0123456789", "alice"});
  Sessions by_other(&other, &clock_, SessionOptions{});
  auto c = by_other.SignIn("AKIDOTHERKEY00000001", "other-secret-0123456789");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(by_other.Find(c->first)->principal, "alice");
  other.Remove("AKIDOTHERKEY00000001");
  EXPECT_FALSE(by_other.Find(c->first));
}

TEST_F(SessionTest, SessionsSurviveARestartThroughTheStoreWithoutTheirTokens) {
  std::string token;
  {
    auto store = OpenStore();
    Sessions sessions(&keys_, &clock_, SessionOptions{.store = store.get()});
    ASSERT_TRUE(sessions.Load().ok());
    auto in = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test0123456789");
    ASSERT_TRUE(in.ok());
    token = in->first;
    auto rows = store->Scan("sessions", "");
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->front().key, Sha256Hex(token));
    EXPECT_EQ(rows->front().value.find(token), std::string::npos);
  }
  auto store = OpenStore();
  Sessions reopened(&keys_, &clock_, SessionOptions{.store = store.get()});
  ASSERT_TRUE(reopened.Load().ok());
  ASSERT_TRUE(reopened.Find(token));
  ASSERT_TRUE(reopened.SignOut(token).ok());
  Sessions again(&keys_, &clock_, SessionOptions{.store = store.get()});
  ASSERT_TRUE(again.Load().ok());
  EXPECT_FALSE(again.Find(token));
}

TEST_F(SessionTest, CookieParsing) {
  EXPECT_EQ(SessionCookieValue("vigil_session=abc"), "abc");
  EXPECT_EQ(SessionCookieValue("a=1; vigil_session=abc; b=2"), "abc");
  EXPECT_EQ(SessionCookieValue("a=1;vigil_session=abc"), "abc");
  EXPECT_EQ(SessionCookieValue("xvigil_session=abc"), "");
  EXPECT_EQ(SessionCookieValue("a=1"), "");
  EXPECT_EQ(SessionCookieValue(""), "");
}

TEST_F(SessionTest, AuthenticatorTakesACookieAndWantsTheCsrfTokenForChanges) {
  Sessions sessions(&keys_, &clock_, SessionOptions{});
  ServerAccessControl auth(&verifier_, &sessions);
  auto in = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test0123456789");
  ASSERT_TRUE(in.ok());
  const std::string cookie = "theme=dark; vigil_session=" + in->first;

  VerifyResult get = Verify(auth, "GET", {{"Cookie", cookie}});
  ASSERT_TRUE(get.ok()) << get.message;
  EXPECT_EQ(get.identity->principal, "root");
  EXPECT_EQ(get.identity->access_key_id, "AKIDSESSIONTEST00001");
  EXPECT_TRUE(get.identity->session);

  VerifyResult post = Verify(auth, "POST", {{"Cookie", cookie}});
  EXPECT_FALSE(post.ok());
  EXPECT_EQ(post.error, AuthError::kSignatureDoesNotMatch);
  EXPECT_NE(post.message.find("X-Vigil-Csrf"), std::string::npos);
  EXPECT_FALSE(Verify(auth, "POST", {{"Cookie", cookie}, {"X-Vigil-Csrf", "0123"}}).ok());
  EXPECT_TRUE(
      Verify(auth, "POST", {{"cookie", cookie}, {"x-vigil-csrf", in->second.csrf_token}}).ok());

  VerifyResult dead = Verify(auth, "GET", {{"Cookie", "vigil_session=feed"}});
  EXPECT_EQ(dead.error, AuthError::kInvalidClientTokenId);
  // Neither a cookie nor a signature: SigV4's answer.
  EXPECT_EQ(Verify(auth, "GET", {}).error, AuthError::kMissingAuthenticationToken);
  // A signature is checked as a signature, whatever cookie comes with it.
  EXPECT_FALSE(
      Verify(auth, "GET", {{"Cookie", cookie}, {"Authorization", "AWS4-HMAC-SHA256 x"}}).ok());
}

TEST_F(SessionTest, IdleExpiryAbsoluteExpiryAndTheLastRequest) {
  Sessions sessions(&keys_, &clock_,
                    SessionOptions{.lifetime_ms = 4 * 3600'000, .idle_ms = 3600'000});
  auto in = sessions.Start("alice", SignInMethod::kPassword, {"10.0.0.7", "Firefox"});
  ASSERT_TRUE(in.ok());
  const auto& [token, session] = *in;
  EXPECT_TRUE(session.id.starts_with("s-"));
  EXPECT_EQ(session.id.find(token), std::string::npos);
  EXPECT_EQ(session.source_ip, "10.0.0.7");
  EXPECT_EQ(session.user_agent, "Firefox");
  EXPECT_EQ(session.mfa_at_ms, 0);
  // Each request within the hour keeps it alive, up to its absolute end.
  for (int i = 1; i <= 3; ++i) {
    clock_.Set(kNow + i * 3599'000);
    ASSERT_TRUE(sessions.Find(token)) << i;
    EXPECT_EQ(sessions.Find(token)->last_seen_ms, kNow + i * 3599'000);
  }
  clock_.Set(kNow + 4 * 3600'000);
  EXPECT_FALSE(sessions.Find(token));  // 4 h after sign-in, however active

  auto idle = sessions.Start("alice", SignInMethod::kPassword, {});
  ASSERT_TRUE(idle.ok());
  clock_.Set(kNow + 5 * 3600'000);
  EXPECT_FALSE(sessions.Find(idle->first));  // an hour without a request
  EXPECT_TRUE(sessions.List().empty());
}

TEST_F(SessionTest, ListRevokeByIdAndByCredentials) {
  auto store = OpenStore();
  Sessions sessions(&keys_, &clock_, SessionOptions{.store = store.get()});
  auto alice = sessions.Start("alice", SignInMethod::kPasswordMfa, {"10.0.0.1", "a"});
  auto alice2 = sessions.Start("Alice", SignInMethod::kPassword, {"10.0.0.2", "b"});
  auto bob = sessions.Start("bob", SignInMethod::kPassword, {"10.0.0.3", "c"});
  auto key = sessions.SignIn("AKIDSESSIONTEST00001", "secret/Session+Test0123456789");
  ASSERT_TRUE(alice.ok() && alice2.ok() && bob.ok() && key.ok());
  EXPECT_EQ(alice->second.mfa_at_ms, kNow);
  EXPECT_EQ(sessions.List().size(), 4u);
  const std::vector<Session> of_alice = sessions.List("ALICE");
  ASSERT_EQ(of_alice.size(), 2u);
  EXPECT_TRUE(of_alice[0].csrf_token.empty());  // never listed
  ASSERT_TRUE(sessions.FindById(bob->second.id));
  EXPECT_EQ(sessions.FindById(bob->second.id)->principal, "bob");

  ASSERT_TRUE(sessions.Revoke(bob->second.id).ok());
  EXPECT_FALSE(sessions.Find(bob->first));
  EXPECT_EQ(sessions.Revoke(bob->second.id).code(), StatusCode::kNotFound);
  // A password change ends the user's password sessions; a key's change its sessions.
  sessions.RevokeFor("alice", "");
  EXPECT_FALSE(sessions.Find(alice->first));
  EXPECT_FALSE(sessions.Find(alice2->first));
  EXPECT_TRUE(sessions.Find(key->first));
  sessions.RevokeFor("", "AKIDSESSIONTEST00001");
  EXPECT_FALSE(sessions.Find(key->first));

  // Revoked stays revoked after a restart.
  Sessions reopened(&keys_, &clock_, SessionOptions{.store = store.get()});
  ASSERT_TRUE(reopened.Load().ok());
  EXPECT_TRUE(reopened.List().empty());
}

TEST_F(SessionTest, TheLastRequestIsStoredAtMostOnceAMinute) {
  auto store = OpenStore();
  std::string token;
  {
    Sessions sessions(&keys_, &clock_, SessionOptions{.idle_ms = 3600'000, .store = store.get()});
    auto in = sessions.Start("alice", SignInMethod::kPassword, {});
    ASSERT_TRUE(in.ok());
    token = in->first;
    clock_.Set(kNow + 30'000);
    ASSERT_TRUE(sessions.Find(token));  // not stored: within the minute
    clock_.Set(kNow + 3000'000);
    ASSERT_TRUE(sessions.Find(token));  // stored
  }
  Sessions reopened(&keys_, &clock_, SessionOptions{.idle_ms = 3600'000, .store = store.get()});
  ASSERT_TRUE(reopened.Load().ok());
  clock_.Set(kNow + 3000'000 + 3599'000);
  ASSERT_TRUE(reopened.Find(token));
  EXPECT_EQ(reopened.Find(token)->principal, "alice");
}

TEST_F(SessionTest, SessionIdentityCarriesItsIdAndMfaTime) {
  Sessions sessions(&keys_, &clock_, SessionOptions{});
  ServerAccessControl auth(&verifier_, &sessions);
  auto in = sessions.Start("carol", SignInMethod::kPasswordMfa, {});
  ASSERT_TRUE(in.ok());
  VerifyResult get = Verify(auth, "GET", {{"Cookie", "vigil_session=" + in->first}});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get.identity->principal, "carol");
  EXPECT_EQ(get.identity->access_key_id, "");
  EXPECT_EQ(get.identity->session_id, in->second.id);
  EXPECT_EQ(get.identity->mfa_at_ms, kNow);
  ASSERT_TRUE(sessions.Revoke(in->second.id).ok());
  VerifyResult revoked = Verify(auth, "GET", {{"Cookie", "vigil_session=" + in->first}});
  EXPECT_FALSE(revoked.ok());
  EXPECT_TRUE(revoked.session_ended);
}

}  // namespace
}  // namespace vigil::auth
