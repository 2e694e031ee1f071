#pragma once
// Test-only helpers shared by the storage tests.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "storage/file_util.h"
#include "storage/wal.h"

namespace vigil::storage {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                       "/vigil_storage_test.XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << tmpl;
    path_ = tmpl;
  }
  ~TempDir() { RemoveAll(path_).IgnoreError(); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct ReplayedRecord {
  uint64_t segment;
  std::string data;
};

// Replays `dir` and returns every record delivered, in order.
// Encrypted segments are opened with `cipher` and `context`.
inline StatusOr<std::vector<ReplayedRecord>> ReplayAll(const std::string& dir,
                                                       Logger& logger = NullLogger(),
                                                       const Cipher* cipher = nullptr,
                                                       std::string_view context = "wal") {
  std::vector<ReplayedRecord> out;
  Status s = WalReplay(
      dir, logger,
      [&](uint64_t segment, std::string_view record) {
        out.push_back({segment, std::string(record)});
        return OkStatus();
      },
      cipher, context);
  if (!s.ok()) return s;
  return out;
}

// Just the payloads of ReplayAll.
inline std::vector<std::string> Payloads(const std::vector<ReplayedRecord>& records) {
  std::vector<std::string> out;
  for (const ReplayedRecord& r : records) out.push_back(r.data);
  return out;
}

}  // namespace vigil::storage
