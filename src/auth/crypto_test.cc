// AES-256-GCM, one-off (AesGcmSealTo/OpenTo) and with a key set up once (AesGcmKey): keys,
// nonces and failures in any order give the same answers.
#include "auth/crypto.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace vigil::auth {
namespace {

std::string Nonce(char n) { return std::string(kGcmNonceBytes - 1, '\0') + n; }

std::string Sealed(std::string_view key, char n, std::string_view plaintext) {
  std::string out;
  EXPECT_TRUE(AesGcmSealTo(key, Nonce(n), plaintext, "aad", &out).ok());
  return out;
}

TEST(AesGcmTest, AlternatingKeysAndNoncesRoundTrip) {
  const std::string a(32, 'a'), b(32, 'b');
  for (int i = 0; i < 4; ++i) {
    for (const std::string* key : {&a, &b, &b, &a}) {
      const char n = static_cast<char>('0' + i);
      const std::string sealed = Sealed(*key, n, "record " + std::string(1, n));
      std::string plain = "prefix:";
      ASSERT_TRUE(AesGcmOpenTo(*key, Nonce(n), sealed, "aad", &plain).ok());
      EXPECT_EQ(plain, "prefix:record " + std::string(1, n));
    }
  }
}

TEST(AesGcmTest, TheSameKeyAndNonceSealTheSameWay) {
  const std::string key(32, 'k');
  EXPECT_EQ(Sealed(key, '1', "same"), Sealed(key, '1', "same"));
  EXPECT_NE(Sealed(key, '1', "same"), Sealed(key, '2', "same"));
  EXPECT_NE(Sealed(key, '1', "same"), Sealed(std::string(32, 'j'), '1', "same"));
}

TEST(AesGcmTest, AFailureLeavesTheNextOpenRight) {
  const std::string a(32, 'a'), b(32, 'b');
  const std::string sealed = Sealed(a, '1', "secret");
  std::string tampered = sealed;
  tampered[0] ^= 1;
  std::string out = "kept";
  EXPECT_EQ(AesGcmOpenTo(a, Nonce('1'), tampered, "aad", &out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(out, "kept");  // nothing appended
  EXPECT_EQ(AesGcmOpenTo(b, Nonce('1'), sealed, "aad", &out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpenTo(a, Nonce('2'), sealed, "aad", &out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(AesGcmOpenTo(a, Nonce('1'), sealed, "other", &out).code(), StatusCode::kDataLoss);
  ASSERT_TRUE(AesGcmOpenTo(a, Nonce('1'), sealed, "aad", &out).ok());
  EXPECT_EQ(out, "keptsecret");
  // And right after a success under the same key, a wrong key still fails.
  EXPECT_EQ(AesGcmOpenTo(b, Nonce('1'), sealed, "aad", &out).code(), StatusCode::kDataLoss);
}

TEST(AesGcmTest, ThreadsEachWithTheirOwnKey) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      const std::string key(32, static_cast<char>('a' + t));
      for (int i = 0; i < 500; ++i) {
        const std::string text = std::to_string(t) + ":" + std::to_string(i);
        std::string sealed, plain;
        if (!AesGcmSealTo(key, Nonce(static_cast<char>(i)), text, {}, &sealed).ok() ||
            !AesGcmOpenTo(key, Nonce(static_cast<char>(i)), sealed, {}, &plain).ok() ||
            plain != text) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(AesGcmKeyTest, AnswersAsTheOneOffCalls) {
  const std::string raw(32, 'k');
  const AesGcmKey key(raw);
  for (char n : {'1', '2', '1'}) {
    std::string sealed;
    ASSERT_TRUE(key.SealTo(Nonce(n), "a record", "aad", &sealed).ok());
    EXPECT_EQ(sealed, Sealed(raw, n, "a record"));
    std::string plain;
    ASSERT_TRUE(key.OpenTo(Nonce(n), sealed, "aad", &plain).ok());
    EXPECT_EQ(plain, "a record");
  }
}

TEST(AesGcmKeyTest, AFailureLeavesTheNextOpenRight) {
  const AesGcmKey key(std::string(32, 'k'));
  const AesGcmKey other(std::string(32, 'o'));
  std::string sealed;
  ASSERT_TRUE(key.SealTo(Nonce('1'), "secret", {}, &sealed).ok());
  std::string tampered = sealed;
  tampered.back() ^= 1;
  std::string out;
  EXPECT_EQ(key.OpenTo(Nonce('1'), tampered, {}, &out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(other.OpenTo(Nonce('1'), sealed, {}, &out).code(), StatusCode::kDataLoss);
  EXPECT_EQ(key.OpenTo(Nonce('2'), sealed, {}, &out).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(key.OpenTo(Nonce('1'), sealed, {}, &out).ok());
  EXPECT_EQ(out, "secret");
  EXPECT_EQ(AesGcmKey("short").SealTo(Nonce('1'), "x", {}, &out).code(),
            StatusCode::kInvalidArgument);
}

TEST(AesGcmKeyTest, ThreadsShareOneKey) {
  const AesGcmKey key(std::string(32, 's'));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &key, &failures] {
      for (int i = 0; i < 256; ++i) {
        // Each thread its own nonces: (t, i) is unique under the shared key.
        std::string nonce = Nonce(static_cast<char>(i));
        nonce[0] = static_cast<char>(t);
        const std::string text = std::to_string(t) + ":" + std::to_string(i);
        std::string sealed, plain;
        if (!key.SealTo(nonce, text, {}, &sealed).ok() ||
            !key.OpenTo(nonce, sealed, {}, &plain).ok() || plain != text) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(AesGcmTest, BadSizesAreRefused) {
  std::string out;
  EXPECT_EQ(AesGcmSealTo(std::string(16, 'k'), Nonce('1'), "x", {}, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmSealTo(std::string(32, 'k'), "short", "x", {}, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(AesGcmOpenTo(std::string(32, 'k'), Nonce('1'), "short", {}, &out).code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace vigil::auth
