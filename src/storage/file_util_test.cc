#include "storage/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "storage/test_util.h"

namespace vigil::storage {
namespace {

TEST(FileUtilTest, CreateDirsIsMkdirP) {
  TempDir tmp;
  const std::string deep = tmp.Sub("a/b//c/");
  ASSERT_TRUE(CreateDirs(deep).ok());
  EXPECT_TRUE(PathExists(tmp.Sub("a/b/c")));
  EXPECT_TRUE(CreateDirs(deep).ok()) << "existing directories are fine";
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("file"), "x").ok());
  Status s = CreateDirs(tmp.Sub("file/sub"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(tmp.Sub("file")), std::string::npos) << s.ToString();
  EXPECT_FALSE(CreateDirs("").ok());
}

TEST(FileUtilTest, WriteFileAtomicAndReadFile) {
  TempDir tmp;
  const std::string path = tmp.Sub("data");
  ASSERT_TRUE(WriteFileAtomic(path, "first version").ok());
  ASSERT_TRUE(WriteFileAtomic(path, std::string("se\0cond", 7), 0600).ok());
  StatusOr<std::string> got = ReadFile(path);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, std::string("se\0cond", 7));
  EXPECT_FALSE(PathExists(path + ".tmp"));
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  StatusOr<uint64_t> size = FileSize(path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 7u);

  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("empty"), "").ok());
  got = ReadFile(tmp.Sub("empty"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "");
}

TEST(FileUtilTest, ErrorsNameThePath) {
  TempDir tmp;
  const std::string missing = tmp.Sub("missing");
  StatusOr<std::string> got = ReadFile(missing);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.status().message().find(missing), std::string::npos);
  StatusOr<uint64_t> size = FileSize(missing);
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.status().message().find(missing), std::string::npos);
  Status s = SyncDir(missing);
  EXPECT_NE(s.message().find(missing), std::string::npos);
  StatusOr<std::vector<std::string>> list = ListDir(missing);
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find(missing), std::string::npos);
  EXPECT_FALSE(WriteFileAtomic(tmp.Sub("no/such/dir/file"), "x").ok());
}

TEST(FileUtilTest, ListDirDiskUsageRemoveAll) {
  TempDir tmp;
  ASSERT_TRUE(CreateDirs(tmp.Sub("d/sub")).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("d/b"), std::string(100, 'b')).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("d/a"), std::string(10, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Sub("d/sub/c"), std::string(1000, 'c')).ok());
  StatusOr<std::vector<std::string>> names = ListDir(tmp.Sub("d"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "sub"}));
  EXPECT_EQ(DiskUsage(tmp.Sub("d")), 1110u);
  EXPECT_EQ(DiskUsage(tmp.Sub("d/sub/c")), 1000u);
  EXPECT_EQ(DiskUsage(tmp.Sub("nothing")), 0u);
  ASSERT_TRUE(SyncDir(tmp.Sub("d")).ok());

  ASSERT_TRUE(RemoveAll(tmp.Sub("d")).ok());
  EXPECT_FALSE(PathExists(tmp.Sub("d")));
  EXPECT_TRUE(RemoveAll(tmp.Sub("d")).ok()) << "missing is OK";
  EXPECT_TRUE(PathExists(tmp.path()));
}

}  // namespace
}  // namespace vigil::storage
