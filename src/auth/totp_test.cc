#include "auth/totp.h"

#include <gtest/gtest.h>

namespace vigil::auth {
namespace {

// RFC 6238 appendix B, the SHA-1 rows: the 20-byte ASCII seed, 8 digits.
TEST(TotpTest, Rfc6238TestVectors) {
  const std::string seed = "12345678901234567890";
  const std::pair<int64_t, const char*> kVectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [t, code] : kVectors) {
    EXPECT_EQ(TotpCode(seed, TotpStep(t), 8), code) << "T=" << t;
    // The six-digit code of an authenticator app is the same number modulo 10^6.
    EXPECT_EQ(TotpCode(seed, TotpStep(t)), std::string(code).substr(2)) << "T=" << t;
  }
}

// RFC 4226 appendix D: HOTP values for counters 0..9 (TOTP's step is HOTP's counter).
TEST(TotpTest, Rfc4226HotpValues) {
  const char* kCodes[] = {"755224", "287082", "359152", "969429", "338314",
                          "254676", "287922", "162583", "399871", "520489"};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(TotpCode("12345678901234567890", i), kCodes[i]);
}

TEST(TotpTest, MatchAcceptsOneStepEitherSide) {
  const std::string secret = "12345678901234567890";
  const int64_t now = 1000;
  EXPECT_EQ(TotpMatch(secret, TotpCode(secret, now), now), now);
  EXPECT_EQ(TotpMatch(secret, TotpCode(secret, now - 1), now), now - 1);
  EXPECT_EQ(TotpMatch(secret, TotpCode(secret, now + 1), now), now + 1);
  EXPECT_FALSE(TotpMatch(secret, TotpCode(secret, now - 2), now));
  EXPECT_FALSE(TotpMatch(secret, TotpCode(secret, now + 2), now));
  EXPECT_FALSE(TotpMatch(secret, "", now));
  EXPECT_FALSE(TotpMatch(secret, TotpCode(secret, now, 8), now));  // six digits only
  EXPECT_FALSE(TotpMatch("another secret......", TotpCode(secret, now), now));
}

TEST(TotpTest, Base32Rfc4648VectorsAndRoundTrip) {
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [raw, text] : kVectors) {
    EXPECT_EQ(Base32Encode(raw), text);
    EXPECT_EQ(Base32Decode(text), raw);
  }
  EXPECT_EQ(Base32Decode("mzxw 6ytb oi======"), "foobar");
  EXPECT_FALSE(Base32Decode("MZXW1"));  // '1' is not base32
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  EXPECT_EQ(Base32Decode(Base32Encode(bytes)), bytes);
}

TEST(TotpTest, OtpauthUri) {
  EXPECT_EQ(OtpauthUri("Vigil", "alice@ops", "JBSWY3DPEHPK3PXP"),
            "otpauth://totp/Vigil:alice%40ops?secret=JBSWY3DPEHPK3PXP&issuer=Vigil"
            "&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace vigil::auth
