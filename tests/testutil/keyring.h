#pragma once
// A keyring for the tests of encryption at rest: the real auth::Keyring in `dir`, with a fixed
// master key (so a test can reopen it), failing the test when it does not open.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "auth/keyring.h"

namespace vigil::testutil {

inline constexpr char kTestMasterKey[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

inline std::unique_ptr<auth::Keyring> OpenTestKeyring(const std::string& dir,
                                                      const Clock* clock = nullptr) {
  auto ring = auth::Keyring::Open(auth::KeyringOptions{dir, kTestMasterKey, clock});
  EXPECT_TRUE(ring.ok()) << ring.status().ToString();
  return ring.ok() ? std::move(*ring) : nullptr;
}

}  // namespace vigil::testutil
