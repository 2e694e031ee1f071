#include "auth/iam.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

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

}  // namespace
}  // namespace vigil::auth
