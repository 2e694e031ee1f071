#include "auth/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/testutil/manual_clock.h"

namespace vigil::auth {
namespace {

constexpr char kMaster[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

class KeyringTest : public ::testing::Test {
 protected:
  KeyringTest() : clock_(1'790'000'000'000) {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-keyring-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
  }
  ~KeyringTest() override { std::filesystem::remove_all(dir_); }

  StatusOr<std::unique_ptr<Keyring>> Open(std::string master = "") {
    return Keyring::Open(KeyringOptions{(dir_ / "keys").string(), std::move(master), &clock_});
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / "keys" / name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  testutil::ManualClock clock_;
  std::filesystem::path dir_;
};

TEST_F(KeyringTest, SealsAndOpensAcrossReopens) {
  std::string sealed;
  {
    auto ring = Open();
    ASSERT_TRUE(ring.ok()) << ring.status().ToString();
    auto s = (*ring)->Seal("secrets", "the secret access key", "iam:secret:AKID1");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    sealed = *s;
    EXPECT_EQ(sealed.find("the secret"), std::string::npos);
    EXPECT_TRUE(sealed.starts_with("VK1"));
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "keys").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((dir_ / "keys" / "master.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Neither the master key nor a data key appears in datakeys.json in the clear.
  const std::string master = Read("master.key").substr(0, 64);
  EXPECT_EQ(Read("datakeys.json").find(master), std::string::npos);

  auto ring = Open();
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  auto plain = (*ring)->Unseal(sealed, "iam:secret:AKID1");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "the secret access key");
}

TEST_F(KeyringTest, TamperingAndTheWrongPlaceAreDataLoss) {
  auto ring = Open();
  ASSERT_TRUE(ring.ok());
  auto sealed = (*ring)->Seal("secrets", "value", "ctx-a");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ((*ring)->Unseal(*sealed, "ctx-b").status().code(), StatusCode::kDataLoss);
  for (size_t i = 7; i < sealed->size(); ++i) {  // every byte after the header
    std::string bad = *sealed;
    bad[i] ^= 0x01;
    EXPECT_EQ((*ring)->Unseal(bad, "ctx-a").status().code(), StatusCode::kDataLoss) << i;
  }
  EXPECT_EQ((*ring)->Unseal(sealed->substr(0, sealed->size() - 1), "ctx-a").status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ((*ring)->Unseal("plain text", "ctx-a").status().code(), StatusCode::kDataLoss);
  std::string unknown_key = *sealed;
  unknown_key[6] = 9;
  EXPECT_EQ((*ring)->Unseal(unknown_key, "ctx-a").status().code(), StatusCode::kNotFound);
}

TEST_F(KeyringTest, MasterRotationRewrapsWithoutTouchingData) {
  auto ring = Open(kMaster);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  auto sealed = (*ring)->Seal("logs", "old data", "segment-1");
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE((*ring)->RotateDataKey("logs").ok());
  auto newer = (*ring)->Seal("logs", "new data", "segment-2");
  ASSERT_TRUE(newer.ok());
  EXPECT_NE(sealed->substr(3, 4), newer->substr(3, 4));  // another data key

  const std::string next = std::string(kMaster).replace(0, 2, "ff");
  auto fp = (*ring)->RotateMasterKey(next);
  ASSERT_TRUE(fp.ok()) << fp.status().ToString();
  EXPECT_EQ(*fp, (*ring)->MasterFingerprint());
  ring->reset();

  auto old_master = Open(kMaster);
  ASSERT_EQ(old_master.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(old_master.status().message().find("VIGIL_MASTER_KEY"), std::string::npos);
  EXPECT_EQ(old_master.status().message().find(kMaster), std::string::npos);  // never shown

  auto reopened = Open(next);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(*(*reopened)->Unseal(*sealed, "segment-1"), "old data");
  EXPECT_EQ(*(*reopened)->Unseal(*newer, "segment-2"), "new data");
  EXPECT_EQ((*reopened)->DataKeys().size(), 2u);
}

TEST_F(KeyringTest, AFileMasterKeyRotatesAndAnInterruptedRotationFinishesAtOpen) {
  auto ring = Open();
  ASSERT_TRUE(ring.ok());
  auto sealed = (*ring)->Seal("secrets", "s", "c");
  ASSERT_TRUE(sealed.ok());
  ASSERT_TRUE((*ring)->RotateMasterKey("").ok());
  const std::string rotated = Read("master.key");
  ring->reset();
  auto again = Open();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*(*again)->Unseal(*sealed, "c"), "s");

  // A crash after datakeys.json was rewrapped but before the new key was renamed in: the old
  // master.key is back beside master.key.next.
  const std::string before = Read("master.key");
  ASSERT_TRUE((*again)->RotateMasterKey(kMaster).ok());
  again->reset();
  std::ofstream(dir_ / "keys" / "master.key.next") << kMaster << "\n";
  std::ofstream(dir_ / "keys" / "master.key") << before;
  auto recovered = Open();
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(*(*recovered)->Unseal(*sealed, "c"), "s");
  EXPECT_EQ(Read("master.key").substr(0, 64), kMaster);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "keys" / "master.key.next"));
}

TEST_F(KeyringTest, BadMasterKeysAndDamagedFilesAreNamed) {
  EXPECT_EQ(Open("abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Open(std::string(64, 'x')).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Open().ok());
  std::ofstream(dir_ / "keys" / "datakeys.json") << "{\"nope\": 1}";
  auto damaged = Open();
  EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(damaged.status().message().find("datakeys.json"), std::string::npos);
}

TEST_F(KeyringTest, CiphersArePurposeSeparatedAndOutliveRotations) {
  auto ring = Open();
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  std::unique_ptr<storage::Cipher> deploy = (*ring)->CipherFor("deploy");
  std::unique_ptr<storage::Cipher> logs = (*ring)->CipherFor("logs");
  auto value = deploy->Seal("ENV=secret", "deploy:manifest:web/v2");
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_TRUE(deploy->IsSealed(*value));
  EXPECT_FALSE(deploy->IsSealed("ENV=secret"));
  EXPECT_EQ(*deploy->Open(*value, "deploy:manifest:web/v2"), "ENV=secret");
  EXPECT_EQ(deploy->Open(*value, "deploy:manifest:web/v3").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(logs->Open(*value, "deploy:manifest:web/v2").status().code(), StatusCode::kDataLoss);

  std::string header;
  auto file = logs->NewFile("logs-segment:g/1.seg", &header);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(header.size(), storage::FileCipher::kHeaderBytes);
  std::string sealed;
  ASSERT_TRUE((*file)->Seal(7, "record seven", &sealed).ok());
  EXPECT_EQ(sealed.size(), 12 + storage::FileCipher::kTagBytes);
  // A new data key version and a new master key: the file still opens, by its header.
  ASSERT_TRUE((*ring)->RotateDataKey("logs").ok());
  ASSERT_TRUE((*ring)->RotateMasterKey("").ok());
  ring->reset();
  ring = Open();
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  logs = (*ring)->CipherFor("logs");
  auto reopened = logs->OpenFile(header, "logs-segment:g/1.seg");
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  std::string plain;
  ASSERT_TRUE((*reopened)->Open(7, sealed, &plain).ok());
  EXPECT_EQ(plain, "record seven");
  // Another record number, another file's context, or another purpose: DataLoss.
  plain.clear();
  EXPECT_EQ((*reopened)->Open(8, sealed, &plain).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(plain.empty());
  auto elsewhere = logs->OpenFile(header, "logs-segment:g/2.seg");
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_EQ((*elsewhere)->Open(7, sealed, &plain).code(), StatusCode::kDataLoss);
  EXPECT_EQ((*ring)->CipherFor("tsdb")->OpenFile(header, "logs-segment:g/1.seg").status().code(),
            StatusCode::kDataLoss);
  // Versions count per purpose; the newest is current.
  int logs_keys = 0;
  for (const auto& k : (*ring)->DataKeys()) {
    if (k.purpose != "logs") continue;
    ++logs_keys;
    EXPECT_EQ(k.version, logs_keys);
    EXPECT_EQ(k.current, logs_keys == 2);
  }
  EXPECT_EQ(logs_keys, 2);
}

TEST_F(KeyringTest, SealedSecretFileReplacesThePlaintextOne) {
  auto ring = Open();
  ASSERT_TRUE(ring.ok());
  const std::string plain_secret = "an-old-plaintext-webhook-secret-0123456789";
  std::ofstream(dir_ / "keys" / "webhook-secret") << plain_secret << "\n";
  auto migrated = LoadOrCreateSealedSecret(**ring, (dir_ / "keys").string(), "webhook-secret");
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
  EXPECT_EQ(*migrated, plain_secret);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "keys" / "webhook-secret"));
  EXPECT_EQ(Read("webhook-secret.sealed").find(plain_secret), std::string::npos);
  auto again = LoadOrCreateSealedSecret(**ring, (dir_ / "keys").string(), "webhook-secret");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, plain_secret);

  // A fresh one is made sealed; a damaged sealed file is DataLoss naming it.
  auto fresh = LoadOrCreateSealedSecret(**ring, (dir_ / "keys").string(), "other-secret");
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->size(), 64u);
  std::string text = Read("other-secret.sealed");
  text[20] = text[20] == 'a' ? 'b' : 'a';
  std::ofstream(dir_ / "keys" / "other-secret.sealed") << text;
  auto damaged = LoadOrCreateSealedSecret(**ring, (dir_ / "keys").string(), "other-secret");
  EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(damaged.status().message().find("other-secret.sealed"), std::string::npos);
}

}  // namespace
}  // namespace vigil::auth
