#include "storage/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "storage/crc32c_internal.h"

namespace vigil::storage::crc32c {
namespace {

// Vectors from RFC 3720 (iSCSI), appendix B.4, plus the common "123456789" check value.
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Value("123456789"), 0xE3069283u);
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Value(ascending), 0x46DD794Eu);
  EXPECT_EQ(Value(descending), 0x113FDB5Cu);
  EXPECT_EQ(Value(""), 0u);
  EXPECT_EQ(Extend(0, nullptr, 0), 0u);
}

TEST(Crc32cTest, PortableMatchesKnownVectors) {
  EXPECT_EQ(ExtendPortableForTest(0, "123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(ExtendPortableForTest(0, zeros.data(), zeros.size()), 0x8A9136AAu);
}

TEST(Crc32cTest, ExtendIsConcatenation) {
  const std::string a = "hello, ", b = "write-ahead world";
  EXPECT_EQ(Extend(Value(a), b.data(), b.size()), Value(a + b));
  EXPECT_NE(Value("a"), Value("b"));
}

TEST(Crc32cTest, HardwareAndPortableAgreeOnRandomData) {
  if (!HardwareAvailableForTest()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  std::mt19937_64 rng(20240611);
  std::string buf(200000, '\0');
  for (char& c : buf) c = static_cast<char>(rng());
  // Lengths around the boundaries of the 8-byte loop and of the 3-way short/long blocks.
  std::vector<size_t> lengths = {0,   1,    7,     8,     9,     255,   256,   767,    768,
                                 769, 1000, 24575, 24576, 24577, 49152, 73727, 100001, 199990};
  for (int i = 0; i < 200; ++i) lengths.push_back(rng() % 60000);
  for (size_t len : lengths) {
    for (size_t align = 0; align < 8; align += (len > 1000 ? 3 : 1)) {
      const char* p = buf.data() + align;
      uint32_t init = static_cast<uint32_t>(rng());
      ASSERT_EQ(ExtendHardwareForTest(init, p, len), ExtendPortableForTest(init, p, len))
          << "len=" << len << " align=" << align;
    }
  }
  EXPECT_EQ(Extend(0, buf.data(), buf.size()), ExtendPortableForTest(0, buf.data(), buf.size()));
}

}  // namespace
}  // namespace vigil::storage::crc32c
