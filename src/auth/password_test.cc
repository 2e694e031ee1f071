#include "auth/password.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::auth {
namespace {

// Light parameters where the cost is not what is tested.
constexpr PasswordHashParams kFast{.memory_kib = 1024, .iterations = 1, .parallelism = 1};

TEST(PasswordTest, DefaultHashIsArgon2idWithItsParametersAndARandomSalt) {
  auto phc = HashPassword("correct horse battery");
  ASSERT_TRUE(phc.ok()) << phc.status().ToString();
  // $argon2id$v=19$m=65536,t=3,p=1$<16-byte salt: 22 base64 chars>$<32-byte hash: 43 chars>
  const std::string prefix = "$argon2id$v=19$m=65536,t=3,p=1$";
  ASSERT_TRUE(phc->starts_with(prefix)) << *phc;
  const std::string rest = phc->substr(prefix.size());
  const size_t dollar = rest.find('$');
  ASSERT_NE(dollar, std::string::npos);
  EXPECT_EQ(dollar, 22u);
  EXPECT_EQ(rest.size() - dollar - 1, 43u);
  EXPECT_EQ(phc->find("correct horse"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*phc, "correct horse battery"));
  EXPECT_FALSE(VerifyPassword(*phc, "correct horse batterx"));
  EXPECT_FALSE(VerifyPassword(*phc, ""));
}

TEST(PasswordTest, SameSaltNeverTwiceAndParametersComeFromTheString) {
  auto a = HashPassword("same password here", kFast);
  auto b = HashPassword("same password here", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(a->starts_with("$argon2id$v=19$m=1024,t=1,p=1$")) << *a;
  EXPECT_TRUE(VerifyPassword(*a, "same password here"));
  EXPECT_TRUE(VerifyPassword(*b, "same password here"));
}

TEST(PasswordTest, MalformedOrOtherKindsOfHashNeverVerify) {
  EXPECT_FALSE(VerifyPassword("", "x"));
  EXPECT_FALSE(VerifyPassword("plain text password", "plain text password"));
  EXPECT_FALSE(VerifyPassword("$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAA", "x"));
  EXPECT_FALSE(VerifyPassword("$argon2id$v=19$m=1024,t=1,p=1$!!$??", "x"));
  auto good = HashPassword("some long password", kFast);
  ASSERT_TRUE(good.ok());
  std::string changed = *good;
  changed.back() = changed.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword(changed, "some long password"));
  EXPECT_FALSE(VerifyPassword(*good, std::string(kMaxPasswordLength + 1, 'a')));
}

TEST(PasswordTest, DummyHashMatchesNothingAndIsAFullCostHash) {
  EXPECT_TRUE(DummyPasswordHash().starts_with("$argon2id$v=19$m=65536,t=3,p=1$"));
  EXPECT_EQ(&DummyPasswordHash(), &DummyPasswordHash());
  EXPECT_FALSE(VerifyPassword(DummyPasswordHash(), ""));
  EXPECT_FALSE(VerifyPassword(DummyPasswordHash(), "password1234"));
}

TEST(PasswordTest, Rules) {
  EXPECT_TRUE(CheckPasswordRules("alice", "twelve chars").ok());
  Status short_one = CheckPasswordRules("alice", "eleven char");
  EXPECT_EQ(short_one.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(short_one.message().find("at least 12"), std::string::npos) << short_one.message();
  Status same = CheckPasswordRules("alice.operator", "Alice.Operator");
  EXPECT_EQ(same.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(same.message().find("user name"), std::string::npos);
  EXPECT_EQ(CheckPasswordRules("alice", "with a\nnewline inside").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckPasswordRules("alice", std::string(kMaxPasswordLength + 1, 'x')).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckPasswordRules("alice", "ünïcödé pässwörd").ok());
}

}  // namespace
}  // namespace vigil::auth
