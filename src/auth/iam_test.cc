#include "auth/iam.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "auth/totp.h"
#include "state/state.h"
#include "tests/testutil/manual_clock.h"

namespace vigil::auth {
namespace {

class IamTest : public ::testing::Test {
 protected:
  IamTest() : clock_(1'790'000'000'000) {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-iam-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  ~IamTest() override {
    iam_.reset();
    keyring_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    iam_.reset();
    keyring_.reset();
    store_.reset();
    keys_ = std::make_unique<KeyStore>();
    auto store = state::OpenSqliteStore((dir_ / "state.db").string());
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto ring = Keyring::Open(KeyringOptions{(dir_ / "keys").string(), "", &clock_});
    ASSERT_TRUE(ring.ok()) << ring.status().ToString();
    keyring_ = std::move(*ring);
    auto iam = Iam::Open(store_.get(), keyring_.get(), keys_.get(), &clock_);
    ASSERT_TRUE(iam.ok()) << iam.status().ToString();
    iam_ = std::move(*iam);
  }
  Decision Decide(const std::string& who, const std::string& action,
                  const std::string& resource = "*") {
    AccessRequest r;
    r.action = action;
    r.resource = resource;
    return iam_->Authorize(who, r).evaluation.decision;
  }

  testutil::ManualClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<Iam> iam_;
};

TEST_F(IamTest, UsersKeysAndTheirSecretsSealed) {
  EXPECT_EQ(iam_->CreateUser("root").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(iam_->CreateUser("bad name").status().code(), StatusCode::kInvalidArgument);
  auto alice = iam_->CreateUser("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_TRUE(alice->id.starts_with("AIDA"));
  EXPECT_EQ(iam_->CreateUser("Alice").status().code(), StatusCode::kAlreadyExists);

  auto k1 = iam_->CreateAccessKey("alice");
  ASSERT_TRUE(k1.ok()) << k1.status().ToString();
  EXPECT_TRUE(k1->access_key_id.starts_with("AKIA"));
  EXPECT_EQ(k1->secret_access_key.size(), 40u);
  EXPECT_EQ(keys_->Find(k1->access_key_id)->principal, "alice");
  ASSERT_TRUE(iam_->CreateAccessKey("alice").ok());
  EXPECT_EQ(iam_->CreateAccessKey("alice").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(iam_->CreateAccessKey("bob").status().code(), StatusCode::kNotFound);

  // The store holds the secret sealed only.
  auto rows = store_->Scan("iam_keys", "");
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) EXPECT_EQ(r.value.find(k1->secret_access_key), std::string::npos);

  // Deactivated keys stop verifying; reactivated ones work again; all survives a reopen.
  ASSERT_TRUE(iam_->SetAccessKeyActive(k1->access_key_id, false).ok());
  EXPECT_FALSE(keys_->Find(k1->access_key_id));
  Reopen();
  EXPECT_FALSE(keys_->Find(k1->access_key_id));
  EXPECT_EQ(iam_->ListAccessKeys("alice").size(), 2u);
  ASSERT_TRUE(iam_->SetAccessKeyActive(k1->access_key_id, true).ok());
  EXPECT_EQ(keys_->Find(k1->access_key_id)->secret_access_key, k1->secret_access_key);

  clock_.Set(1'790'000'100'000);
  iam_->KeyUsed(k1->access_key_id);
  Reopen();
  for (const auto& k : iam_->ListAccessKeys("alice")) {
    if (k.access_key_id == k1->access_key_id) {
      EXPECT_EQ(k.last_used_ms, 1'790'000'100'000);
    }
  }
  EXPECT_EQ(iam_->DeleteUser("alice").code(), StatusCode::kFailedPrecondition);
  for (const auto& k : iam_->ListAccessKeys("alice")) {
    ASSERT_TRUE(iam_->DeleteAccessKey(k.access_key_id).ok());
  }
  EXPECT_FALSE(keys_->Find(k1->access_key_id));
  EXPECT_TRUE(iam_->DeleteUser("alice").ok());
  EXPECT_EQ(iam_->GetUser("alice").status().code(), StatusCode::kNotFound);
}

TEST_F(IamTest, PoliciesFromUserGroupsAndManagedOnes) {
  ASSERT_TRUE(iam_->CreateUser("dev").ok());
  EXPECT_EQ(Decide("dev", "cloudwatch:GetMetricData"), Decision::kImplicitDeny);
  EXPECT_EQ(Decide("root", "iam:CreateUser"), Decision::kAllow);
  EXPECT_EQ(Decide("nobody", "cloudwatch:GetMetricData"), Decision::kImplicitDeny);

  ASSERT_TRUE(iam_->AttachPolicy("user", "dev", "ReadOnlyAccess").ok());
  EXPECT_EQ(Decide("dev", "cloudwatch:GetMetricData"), Decision::kAllow);
  EXPECT_EQ(Decide("dev", "vigil:Deploy"), Decision::kImplicitDeny);

  ASSERT_TRUE(iam_->CreateGroup("deployers").ok());
  ASSERT_TRUE(iam_->AttachPolicy("group", "deployers", "DeployerAccess").ok());
  ASSERT_TRUE(iam_->AddUserToGroup("dev", "deployers").ok());
  EXPECT_EQ(Decide("dev", "vigil:Deploy", "arn:vigil:vigil:::app/shop"), Decision::kAllow);

  // An inline deny on the user beats the group's allow.
  EXPECT_EQ(iam_->PutInlinePolicy("user", "dev", "no-shop", "{oops").code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(iam_->PutInlinePolicy("user", "dev", "no-shop", R"({"Statement":{"Effect":"Deny",
      "Action":"vigil:Deploy","Resource":"arn:vigil:vigil:::app/shop"}})")
                  .ok());
  AccessRequest r;
  r.action = "vigil:Deploy";
  r.resource = "arn:vigil:vigil:::app/shop";
  Authorization a = iam_->Authorize("dev", r);
  EXPECT_EQ(a.evaluation.decision, Decision::kExplicitDeny);
  EXPECT_EQ(a.evaluation.policy, "user/dev/no-shop");
  EXPECT_EQ(Decide("dev", "vigil:Deploy", "arn:vigil:vigil:::app/api"), Decision::kAllow);

  // A customer-managed policy with aws:username.
  ASSERT_TRUE(iam_->CreatePolicy("own-alarms", R"({"Statement":{"Effect":"Allow",
      "Action":"cloudwatch:PutMetricAlarm","Resource":"*",
      "Condition":{"StringLike":{"aws:username":"dev"}}}})",
                                 "")
                  .ok());
  ASSERT_TRUE(iam_->AttachPolicy("group", "deployers", "own-alarms").ok());
  EXPECT_EQ(Decide("dev", "cloudwatch:PutMetricAlarm"), Decision::kAllow);
  EXPECT_EQ(iam_->DeletePolicy("own-alarms").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(iam_->DeletePolicy("ReadOnlyAccess").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(iam_->DeleteGroup("deployers").code(), StatusCode::kFailedPrecondition);

  // Everything holds after a reopen.
  Reopen();
  EXPECT_EQ(Decide("dev", "vigil:Deploy", "arn:vigil:vigil:::app/shop"), Decision::kExplicitDeny);
  EXPECT_EQ(Decide("dev", "cloudwatch:PutMetricAlarm"), Decision::kAllow);
  ASSERT_TRUE(iam_->RemoveUserFromGroup("dev", "deployers").ok());
  EXPECT_EQ(Decide("dev", "cloudwatch:PutMetricAlarm"), Decision::kImplicitDeny);
  ASSERT_TRUE(iam_->DetachPolicy("group", "deployers", "own-alarms").ok());
  ASSERT_TRUE(iam_->DeletePolicy("own-alarms").ok());
  ASSERT_TRUE(iam_->DeleteInlinePolicy("user", "dev", "no-shop").ok());
  EXPECT_EQ(iam_->DeleteInlinePolicy("user", "dev", "no-shop").code(), StatusCode::kNotFound);
  EXPECT_EQ(iam_->AttachPolicy("user", "dev", "NoSuch").code(), StatusCode::kNotFound);
  EXPECT_EQ(iam_->AttachPolicy("role", "dev", "ReadOnlyAccess").code(),
            StatusCode::kInvalidArgument);
  EXPECT_GE(iam_->ListPolicies().size(), 3u);
}

TEST_F(IamTest, LoginProfilesKeepOnlyAnArgon2idHash) {
  ASSERT_TRUE(iam_->CreateUser("alice").ok());
  std::vector<std::pair<std::string, std::string>> revoked;
  iam_->SetRevokeHook(
      [&](const std::string& u, const std::string& k) { revoked.emplace_back(u, k); });
  EXPECT_EQ(iam_->CreateLoginProfile("alice", "short").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(iam_->CreateLoginProfile("alice", "ALICE").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(iam_->CreateLoginProfile("nobody", "a long password").code(), StatusCode::kNotFound);
  EXPECT_EQ(iam_->UpdateLoginProfile("alice", "a long password").code(), StatusCode::kNotFound);
  ASSERT_TRUE(iam_->CreateLoginProfile("alice", "first password!").ok());
  EXPECT_EQ(iam_->CreateLoginProfile("alice", "first password!").code(),
            StatusCode::kAlreadyExists);
  auto rows = store_->Scan("iam_login_profiles", "");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NE(rows->front().value.find("$argon2id$v=19$m=65536,t=3,p=1$"), std::string::npos);
  EXPECT_EQ(rows->front().value.find("first password!"), std::string::npos);

  // Sign-in: the same answer for a wrong password, an unknown user, a user without a password.
  auto ok = iam_->CheckSignIn("ALICE", "first password!", "");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->user, "alice");
  EXPECT_FALSE(ok->mfa_used);
  ASSERT_TRUE(iam_->CreateUser("bob").ok());
  const Status wrong = iam_->CheckSignIn("alice", "first password?", "").status();
  EXPECT_EQ(wrong.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(iam_->CheckSignIn("nobody", "first password!", "").status().ToString(),
            wrong.ToString());
  EXPECT_EQ(iam_->CheckSignIn("bob", "first password!", "").status().ToString(), wrong.ToString());

  // Changing it wants the current one; every change ends the user's sessions.
  EXPECT_EQ(iam_->ChangePassword("alice", "not the password", "second password").code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(iam_->ChangePassword("alice", "first password!", "tiny").code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(revoked.empty());
  ASSERT_TRUE(iam_->ChangePassword("alice", "first password!", "second password").ok());
  EXPECT_EQ(revoked.size(), 1u);
  EXPECT_FALSE(iam_->CheckSignIn("alice", "first password!", "").ok());
  Reopen();
  iam_->SetRevokeHook(
      [&](const std::string& u, const std::string& k) { revoked.emplace_back(u, k); });
  EXPECT_TRUE(iam_->CheckSignIn("alice", "second password", "").ok());
  ASSERT_TRUE(iam_->UpdateLoginProfile("alice", "third password!").ok());
  EXPECT_EQ(iam_->DeleteUser("alice").code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(iam_->DeleteLoginProfile("alice").ok());
  EXPECT_EQ(iam_->GetLoginProfile("alice").status().code(), StatusCode::kNotFound);
  ASSERT_EQ(revoked.size(), 3u);
  EXPECT_EQ(revoked.back(), std::make_pair(std::string("alice"), std::string()));
  auto key = iam_->CreateAccessKey("bob");
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(iam_->SetAccessKeyActive(key->access_key_id, false).ok());
  EXPECT_EQ(revoked.back(), std::make_pair(std::string(), key->access_key_id));
}

TEST_F(IamTest, VirtualMfaEnrolmentSignInAndReplay) {
  ASSERT_TRUE(iam_->CreateUser("carol").ok());
  ASSERT_TRUE(iam_->CreateLoginProfile("carol", "carol's password").ok());
  EXPECT_EQ(iam_->EnableMfaDevice("carol", "000000", "000000").code(),
            StatusCode::kFailedPrecondition);
  auto device = iam_->CreateVirtualMfaDevice("carol");
  ASSERT_TRUE(device.ok()) << device.status().ToString();
  EXPECT_EQ(device->serial, "arn:vigil:iam:::mfa/carol");
  EXPECT_NE(device->otpauth_uri.find("secret=" + device->secret_base32), std::string::npos);
  const std::string secret = *Base32Decode(device->secret_base32);
  EXPECT_EQ(secret.size(), kTotpSecretBytes);
  auto rows = store_->Scan("iam_mfa_devices", "");
  ASSERT_TRUE(rows.ok() && rows->size() == 1u);
  EXPECT_EQ(rows->front().value.find(device->secret_base32), std::string::npos);
  EXPECT_EQ(rows->front().value.find(HexEncode(secret)), std::string::npos);
  // Not enabled yet: the password alone signs in.
  EXPECT_TRUE(iam_->CheckSignIn("carol", "carol's password", "").ok());

  auto step = [&] { return TotpStep(clock_.NowMillis() / 1000); };
  const int64_t s = step();
  EXPECT_EQ(iam_->EnableMfaDevice("carol", TotpCode(secret, s), TotpCode(secret, s)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(iam_->EnableMfaDevice("carol", TotpCode(secret, s - 5), TotpCode(secret, s - 4)).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(iam_->EnableMfaDevice("carol", TotpCode(secret, s - 1), TotpCode(secret, s)).ok());
  EXPECT_EQ(iam_->CreateVirtualMfaDevice("carol").status().code(), StatusCode::kAlreadyExists);

  const Status required = iam_->CheckSignIn("carol", "carol's password", "").status();
  EXPECT_EQ(required.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(required.message(), "MFA code required");
  // The wrong password says nothing about MFA.
  EXPECT_EQ(iam_->CheckSignIn("carol", "wrong password!", "").status().code(),
            StatusCode::kUnauthenticated);
  // The enabling codes are used up; the next step's code signs in once.
  EXPECT_EQ(iam_->CheckSignIn("carol", "carol's password", TotpCode(secret, s)).status().code(),
            StatusCode::kUnauthenticated);
  clock_.Set(clock_.NowMillis() + 30'000);
  auto in = iam_->CheckSignIn("carol", "carol's password", TotpCode(secret, step()));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_TRUE(in->mfa_used);
  EXPECT_EQ(
      iam_->CheckSignIn("carol", "carol's password", TotpCode(secret, step())).status().message(),
      "The MFA code is not valid.");
  // The last accepted step survives a restart, so a replay after one is refused too.
  Reopen();
  EXPECT_FALSE(iam_->CheckSignIn("carol", "carol's password", TotpCode(secret, step())).ok());
  clock_.Set(clock_.NowMillis() + 30'000);
  EXPECT_TRUE(iam_->CheckSignIn("carol", "carol's password", TotpCode(secret, step())).ok());
  ASSERT_TRUE(iam_->GetMfaDevice("carol")->enabled);

  ASSERT_TRUE(iam_->DeactivateMfaDevice("carol").ok());
  EXPECT_FALSE(iam_->GetMfaDevice("carol"));
  EXPECT_TRUE(iam_->CheckSignIn("carol", "carol's password", "").ok());
  EXPECT_EQ(iam_->DeactivateMfaDevice("carol").code(), StatusCode::kNotFound);
}

TEST_F(IamTest, SelfServiceOnOnesOwnUserUnlessDenied) {
  ASSERT_TRUE(iam_->CreateUser("dana").ok());
  const std::string own = IamUserArn("dana");
  EXPECT_EQ(Decide("dana", "iam:ChangePassword", own), Decision::kAllow);
  EXPECT_EQ(Decide("dana", "iam:RevokeSession", own), Decision::kAllow);
  EXPECT_EQ(Decide("dana", "iam:ChangePassword", IamUserArn("erin")), Decision::kImplicitDeny);
  EXPECT_EQ(Decide("dana", "iam:ListSessions", "*"), Decision::kImplicitDeny);
  EXPECT_EQ(Decide("dana", "iam:DeactivateMFADevice", own), Decision::kImplicitDeny);
  EXPECT_EQ(Decide("dana", "iam:CreateLoginProfile", own), Decision::kImplicitDeny);
  ASSERT_TRUE(iam_->PutInlinePolicy("user", "dana", "no-password-change",
                                    R"({"Statement":{"Effect":"Deny",
      "Action":"iam:ChangePassword","Resource":"*"}})")
                  .ok());
  EXPECT_EQ(Decide("dana", "iam:ChangePassword", own), Decision::kExplicitDeny);
}

TEST_F(IamTest, PoliciesSeeWhetherASessionUsedMfa) {
  ASSERT_TRUE(iam_->CreateUser("frank").ok());
  ASSERT_TRUE(iam_->AttachPolicy("user", "frank", "AdministratorAccess").ok());
  ASSERT_TRUE(iam_->PutInlinePolicy("user", "frank", "mfa-to-deploy", R"({"Statement":[
      {"Effect":"Deny","Action":"vigil:Deploy","Resource":"*",
       "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}},
      {"Effect":"Deny","Action":"vigil:Rollback","Resource":"*",
       "Condition":{"NumericGreaterThan":{"aws:MultiFactorAuthAge":"3600"}}}]})")
                  .ok());
  ServerAccessControl access(nullptr, nullptr, iam_.get(), &clock_);
  AccessRequest deploy{"vigil:Deploy", "arn:vigil:vigil:::app/shop", {}};
  AccessRequest rollback{"vigil:Rollback", "arn:vigil:vigil:::app/shop", {}};
  Identity password{"", "frank", "", "", /*session=*/true, "s-1", /*mfa_at_ms=*/0};
  Identity with_mfa{"", "frank", "", "", /*session=*/true, "s-2", clock_.NowMillis()};
  Identity signed_key{"AKID", "frank", "us-east-1", "monitoring", false, "", 0};
  EXPECT_EQ(access.Authorize(password, deploy).evaluation.decision, Decision::kExplicitDeny);
  EXPECT_EQ(access.Authorize(with_mfa, deploy).evaluation.decision, Decision::kAllow);
  // As AWS: a signed request has no aws:MultiFactorAuthPresent, so a Bool "false" does not match.
  EXPECT_EQ(access.Authorize(signed_key, deploy).evaluation.decision, Decision::kAllow);
  EXPECT_EQ(access.Authorize(with_mfa, rollback).evaluation.decision, Decision::kAllow);
  clock_.Set(clock_.NowMillis() + 3601'000);
  EXPECT_EQ(access.Authorize(with_mfa, rollback).evaluation.decision, Decision::kExplicitDeny);
}

}  // namespace
}  // namespace vigil::auth
