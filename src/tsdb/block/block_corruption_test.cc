// Damaged blocks: every corruption is reported as DataLoss naming the file and offset, never
// read as wrong samples and never a crash.
#include <fcntl.h>
#include <unistd.h>

#include <functional>

#include "gtest/gtest.h"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/block/block_test_util.h"
#include "tsdb/block/index_format.h"

namespace vigil::tsdb::block {
namespace {

std::vector<SeriesData> MakeSeries() {
  std::vector<SeriesData> out;
  for (int h = 0; h < 20; ++h) {
    SeriesData s;
    s.key = SeriesKey{"App", "latency", {{"host", "h" + std::to_string(10 + h)}}};
    for (int i = 0; i < 300; ++i) {
      s.raw.push_back(RawSample{1'000'000 + i * 1000, static_cast<double>((i * 7919) % 1000) / 8});
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string ReadAll(const std::string& path) { return *storage::ReadFile(path); }

void Overwrite(const std::string& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::close(fd);
}

// Returns the status of opening the block and reading every series of it.
Status OpenAndReadAll(const std::string& dir) {
  auto reader = BlockReader::Open(dir);
  if (!reader.ok()) return reader.status();
  for (size_t i = 0; i < (*reader)->num_series(); ++i) {
    SeriesData s;
    RETURN_IF_ERROR((*reader)->ReadSeries(i, INT64_MIN, INT64_MAX, &s));
  }
  return OkStatus();
}

struct Case {
  const char* name;
  const char* file;      // damaged file
  const char* mentions;  // the message must name this (file and offset)
  std::function<void(std::string*)> damage;
};

TEST(BlockCorruptionTest, EveryDamageIsDataLossNamingFileAndOffset) {
  const Case cases[] = {
      {"chunks: flipped bit in the first record", "chunks",
       "chunks offset 8:", [](std::string* f) { (*f)[20] ^= 0x10; }},
      {"chunks: flipped bit in the last checksum", "chunks", "chunks offset",
       [](std::string* f) { f->back() ^= 1; }},
      {"chunks: truncated", "chunks", "chunks offset",
       [](std::string* f) { f->resize(f->size() - 3); }},
      {"chunks: bytes appended", "chunks", "chunks offset",
       [](std::string* f) { f->append("xyz"); }},
      {"chunks: bad magic", "chunks", "chunks offset 0:", [](std::string* f) { (*f)[0] = 'X'; }},
      {"index: flipped bit", "index", "index", [](std::string* f) { (*f)[30] ^= 4; }},
      {"index: truncated", "index", "index", [](std::string* f) { f->resize(f->size() / 2); }},
      {"index: empty", "index", "index", [](std::string* f) { f->clear(); }},
      {"meta: not JSON", "meta.json", "meta.json", [](std::string* f) { f->insert(0, "garbage"); }},
      {"meta: wrong version", "meta.json", "meta.json",
       [](std::string* f) {
         const size_t at = f->find("\"version\": 1");
         f->replace(at, 12, "\"version\": 9");
       }},
      {"meta: wrong series count", "meta.json", "index",
       [](std::string* f) {
         const size_t at = f->find("\"num_series\": 20");
         f->replace(at, 16, "\"num_series\": 21");
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir tmp;
    BlockMeta meta;
    ASSERT_TRUE(WriteBlock(tmp.path(), "b", MakeSeries(), 0, &meta).ok());
    const std::string dir = tmp.path() + "/b";
    ASSERT_TRUE(OpenAndReadAll(dir).ok());
    const std::string path = dir + "/" + c.file;
    std::string data = ReadAll(path);
    c.damage(&data);
    Overwrite(path, data);
    const Status s = OpenAndReadAll(dir);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_NE(s.message().find(c.mentions), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find(dir), std::string::npos) << s.ToString();
  }
}

TEST(BlockCorruptionTest, DamagedRecordFailsOnlyItsSeries) {
  TempDir tmp;
  BlockMeta meta;
  ASSERT_TRUE(WriteBlock(tmp.path(), "b", MakeSeries(), 0, &meta).ok());
  const std::string chunks = tmp.path() + "/b/chunks";
  std::string data = ReadAll(chunks);
  data[data.size() - 10] ^= 0x01;  // inside the last series' record
  Overwrite(chunks, data);
  auto reader = BlockReader::Open(tmp.path() + "/b");
  ASSERT_TRUE(reader.ok());
  const size_t last = (*reader)->num_series() - 1;
  for (size_t i = 0; i < last; ++i) {
    SeriesData s;
    EXPECT_TRUE((*reader)->ReadSeries(i, INT64_MIN, INT64_MAX, &s).ok());
  }
  SeriesData s;
  const Status st = (*reader)->ReadSeries(last, INT64_MIN, INT64_MAX, &s);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos) << st.ToString();
  EXPECT_TRUE(s.raw.empty());
}

TEST(BlockCorruptionTest, MissingFilesAreErrors) {
  for (const char* file : {"meta.json", "index", "chunks"}) {
    SCOPED_TRACE(file);
    TempDir tmp;
    BlockMeta meta;
    ASSERT_TRUE(WriteBlock(tmp.path(), "b", MakeSeries(), 0, &meta).ok());
    ASSERT_EQ(::unlink((tmp.path() + "/b/" + file).c_str()), 0);
    const Status s = OpenAndReadAll(tmp.path() + "/b");
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(file), std::string::npos) << s.ToString();
  }
}

}  // namespace
}  // namespace vigil::tsdb::block
