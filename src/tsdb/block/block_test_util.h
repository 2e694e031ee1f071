#pragma once
// Helpers shared by the block tests.
#include <stdlib.h>

#include <string>

#include "gtest/gtest.h"
#include "storage/file_util.h"

namespace vigil::tsdb::block {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr ? base : "/tmp") + "/vigil_block_XXXXXX";
    char* p = ::mkdtemp(templ.data());
    EXPECT_NE(p, nullptr);
    path_ = templ;
  }
  ~TempDir() { EXPECT_TRUE(storage::RemoveAll(path_).ok()); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace vigil::tsdb::block
