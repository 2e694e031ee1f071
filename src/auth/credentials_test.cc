#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "auth/auth.h"

namespace vigil::auth {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  CredentialsTest() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vigil-auth-XXXXXX").string();
    char* dir = mkdtemp(tmpl.data());
    EXPECT_NE(dir, nullptr);
    root_ = tmpl;
  }
  ~CredentialsTest() override { std::filesystem::remove_all(root_); }

  static std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static void WriteAll(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::string root_;
};

bool AllIn(const std::string& s, std::string_view alphabet) {
  return s.find_first_not_of(alphabet) == std::string::npos;
}

TEST_F(CredentialsTest, GeneratesPersistsAndReloads) {
  const std::string dir = root_ + "/data/nested";  // created when missing
  StatusOr<AccessKey> key = LoadOrCreateRootKey(dir, "", "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->access_key_id.size(), 20u);
  EXPECT_EQ(key->access_key_id.rfind("AKIA", 0), 0u);
  EXPECT_TRUE(AllIn(key->access_key_id.substr(4), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"));
  EXPECT_EQ(key->secret_access_key.size(), 40u);
  EXPECT_TRUE(AllIn(key->secret_access_key,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"));
  EXPECT_EQ(key->principal, "root");

  const std::string path = dir + "/credentials";
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadAll(path), "[default]\naws_access_key_id = " + key->access_key_id +
                               "\naws_secret_access_key = " + key->secret_access_key + "\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // The existing file wins over env values.
  StatusOr<AccessKey> again = LoadOrCreateRootKey(dir, "AKIAENVENVENVENVENVE", "envsecret");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->access_key_id, key->access_key_id);
  EXPECT_EQ(again->secret_access_key, key->secret_access_key);
}

TEST_F(CredentialsTest, GeneratedKeysDiffer) {
  StatusOr<AccessKey> a = LoadOrCreateRootKey(root_ + "/a", "", "");
  StatusOr<AccessKey> b = LoadOrCreateRootKey(root_ + "/b", "", "");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->access_key_id, b->access_key_id);
  EXPECT_NE(a->secret_access_key, b->secret_access_key);
}

TEST_F(CredentialsTest, EnvValuesUsedOnFirstStart) {
  StatusOr<AccessKey> key =
      LoadOrCreateRootKey(root_, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(key->secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  StatusOr<AccessKey> reloaded = LoadOrCreateRootKey(root_, "", "");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->access_key_id, "AKIDEXAMPLE");
  struct stat st;
  ASSERT_EQ(stat((root_ + "/credentials").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(CredentialsTest, OnlyOneEnvValueMeansGenerate) {
  StatusOr<AccessKey> key = LoadOrCreateRootKey(root_, "AKIDEXAMPLE", "");
  ASSERT_TRUE(key.ok());
  EXPECT_NE(key->access_key_id, "AKIDEXAMPLE");
}

TEST_F(CredentialsTest, EnvValuesWithWhitespaceAreRejected) {
  StatusOr<AccessKey> key = LoadOrCreateRootKey(root_, "AKID EXAMPLE", "secret");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/credentials"));
}

TEST_F(CredentialsTest, ParsesHandEditedFiles) {
  WriteAll(root_ + "/credentials",
           "# edited by hand\r\n[other]\naws_access_key_id = WRONG\naws_secret_access_key=W\n"
           "\n[ default ]\r\n; comment\r\naws_access_key_id=AKIAHAND\r\n"
           "  aws_secret_access_key =  s3cr/t+x==  \r\n[later]\naws_access_key_id = LATER\n");
  StatusOr<AccessKey> key = LoadOrCreateRootKey(root_, "", "");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->access_key_id, "AKIAHAND");
  EXPECT_EQ(key->secret_access_key, "s3cr/t+x==");
}

TEST_F(CredentialsTest, IncompleteFileIsInvalidArgument) {
  WriteAll(root_ + "/credentials", "[default]\naws_access_key_id = AKIAONLY\n");
  StatusOr<AccessKey> key = LoadOrCreateRootKey(root_, "AKIDEXAMPLE", "secret");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(key.status().message().find("credentials"), std::string::npos);
}

TEST_F(CredentialsTest, UnwritableDirectoryIsAnError) {
  WriteAll(root_ + "/file", "x");  // a file where a directory should be
  StatusOr<AccessKey> key = LoadOrCreateRootKey(root_ + "/file/sub", "", "");
  ASSERT_FALSE(key.ok());
}

}  // namespace
TEST(SecretTest, CreatedOnceThenRead) {
  char tmpl[] = "/tmp/vigil-secret-test-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto first = LoadOrCreateSecret(dir + "/keys", "webhook-secret");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 64u);
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/keys/webhook-secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadOrCreateSecret(dir + "/keys", "webhook-secret");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  { std::ofstream(dir + "/keys/short") << "abc\n"; }
  EXPECT_EQ(LoadOrCreateSecret(dir + "/keys", "short").status().code(),
            StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace vigil::auth
