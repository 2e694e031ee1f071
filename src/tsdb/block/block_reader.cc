// BlockReader: meta.json and the index in memory, series records read from a read-only mapping
// of the chunks file on demand.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/block/index_format.h"
#include "tsdb/block/meta_json.h"
#include "tsdb/block/series_codec.h"

namespace vigil::tsdb::block {
namespace {

class BlockReaderImpl final : public BlockReader {
 public:
  BlockReaderImpl(std::string dir, BlockMeta meta, BlockIndex index, const char* chunks,
                  size_t chunks_bytes, uint64_t size_bytes,
                  std::unique_ptr<storage::FileCipher> cipher)
      : cipher_(std::move(cipher)),
        dir_(std::move(dir)),
        chunks_path_(dir_ + "/chunks"),
        meta_(std::move(meta)),
        index_(std::move(index)),
        chunks_(chunks),
        chunks_bytes_(chunks_bytes),
        size_bytes_(size_bytes) {}
  ~BlockReaderImpl() override { ::munmap(const_cast<char*>(chunks_), chunks_bytes_); }

  const BlockMeta& meta() const override { return meta_; }
  const std::string& dir() const override { return dir_; }
  size_t num_series() const override { return index_.size(); }
  SeriesKey key(size_t i) const override { return index_.Key(i); }
  std::string CanonicalKey(size_t i) const override {
    std::string out;
    index_.AppendCanonicalKey(i, &out);
    return out;
  }
  std::string_view unit(size_t i) const override { return index_.Unit(i); }
  int64_t last_append_ms(size_t i) const override { return index_.LastAppend(i); }

  const std::vector<SeriesData>& series() const override {
    std::call_once(series_once_, [this] {
      series_.resize(index_.size());
      for (size_t i = 0; i < index_.size(); ++i) {
        series_[i].key = index_.Key(i);
        series_[i].unit = std::string(index_.Unit(i));
        series_[i].last_append_ms = index_.LastAppend(i);
      }
      series_built_.store(true, std::memory_order_release);
    });
    return series_;
  }

  int64_t Find(const SeriesKey& key) const override {
    std::string canonical;
    AppendCanonicalKey(key, &canonical);
    return index_.Find(canonical);
  }

  Status ReadSeries(size_t i, int64_t min_ms, int64_t max_ms, SeriesData* out) const override {
    if (i >= index_.size()) {
      return InvalidArgumentError("block " + dir_ + ": no series " + std::to_string(i));
    }
    out->key = index_.Key(i);
    out->unit = std::string(index_.Unit(i));
    out->last_append_ms = index_.LastAppend(i);
    return ScanSeries(i, min_ms, max_ms, nullptr, out, /*sketches=*/true);
  }

  Status ScanSeries(size_t i, int64_t min_ms, int64_t max_ms, RawColumnSink* raw,
                    SeriesData* out, bool sketches) const override {
    if (i >= index_.size()) {
      return InvalidArgumentError("block " + dir_ + ": no series " + std::to_string(i));
    }
    if (min_ms >= max_ms || max_ms <= meta_.min_time_ms || min_ms > meta_.max_time_ms) {
      return OkStatus();  // nothing of this block is wanted: no I/O
    }
    const uint64_t begin = index_.RecordBegin(i);
    const size_t n = index_.RecordEnd(i) - begin;  // Open checked the bounds
    std::string_view body(chunks_ + begin, n - 4);
    if (cipher_ != nullptr) {
      // The record's plaintext lives until it is decoded below; one buffer per thread keeps
      // its capacity from record to record.
      thread_local std::string plain;
      plain.clear();
      // An encrypted block is decrypted one series record at a time, as it is read, rather
      // than whole at open: the mapping (no copy, no read syscall) and the reader's small
      // resident set stay, a query pays only for the series it reads, and a block opened at
      // start costs nothing until queried. AES-GCM runs at 1-2 GB/s a core with AES-NI, under
      // a tenth of the columns' decode time for a record (bench/README.md, encryption).
      if (Status opened = cipher_->Open(i + 1, std::string_view(chunks_ + begin, n), &plain);
          !opened.ok()) {
        return DataLoss(begin, "series record " + std::to_string(i) +
                                   " does not authenticate (" + opened.message() + ")");
      }
      body = plain;
    } else if (storage::crc32c::Value(body) != storage::DecodeFixed32(chunks_ + begin + n - 4)) {
      return DataLoss(begin, "checksum mismatch");
    }
    if (!DecodeSeriesRecord(body, index_.time_origin(), min_ms, max_ms, out, raw, sketches)) {
      return DataLoss(begin, "malformed series record");
    }
    return OkStatus();
  }

  void ReleasePagesBefore(size_t i) const override {
    static const uint64_t kPage = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t end = (i < index_.size() ? index_.RecordBegin(i) : chunks_bytes_) / kPage * kPage;
    uint64_t from = released_.load(std::memory_order_relaxed);
    // One caller releases a range; concurrent callers skip it. Pages below the mark that a
    // query faults in again stay until the reader is closed.
    if (end <= from || !released_.compare_exchange_strong(from, end)) return;
    ::madvise(const_cast<char*>(chunks_) + from, end - from, MADV_DONTNEED);
  }

  uint64_t SizeBytes() const override { return size_bytes_; }

  size_t MemoryBytes() const override {
    size_t bytes = sizeof(*this) + index_.MemoryBytes() + dir_.capacity() + chunks_path_.capacity();
    if (!series_built_.load(std::memory_order_acquire)) return bytes;
    for (const SeriesData& s : series_) {
      bytes += sizeof(s) + s.unit.capacity() + s.key.ns.capacity() + s.key.metric.capacity();
      for (const Dimension& d : s.key.dimensions) {
        bytes += sizeof(d) + d.name.capacity() + d.value.capacity();
      }
    }
    return bytes;
  }

 private:
  Status DataLoss(uint64_t offset, std::string_view what) const {
    return DataLossError("block chunks " + chunks_path_ + " offset " + std::to_string(offset) +
                         ": " + std::string(what));
  }

  const std::unique_ptr<storage::FileCipher> cipher_;  // null: a plaintext block
  const std::string dir_;
  const std::string chunks_path_;
  const BlockMeta meta_;
  const BlockIndex index_;
  // The chunks file, mapped read-only for the reader's life. A block's files are never
  // rewritten in place (retention unlinks them, which leaves the mapping valid), so reads are
  // plain memory accesses: no syscall and no copy per ReadSeries, which in a VM were most of
  // the cost of reading a 2-hour series.
  const char* const chunks_;
  const size_t chunks_bytes_;
  const uint64_t size_bytes_;
  mutable std::atomic<uint64_t> released_{0};  // ReleasePagesBefore's mark, page-aligned
  mutable std::once_flag series_once_;
  mutable std::vector<SeriesData> series_;  // built by series() under series_once_
  mutable std::atomic<bool> series_built_{false};
};

}  // namespace

namespace {

// An encrypted index file's plain contents, and the block's file key to *cipher.
StatusOr<std::string> OpenEncryptedIndex(const std::string& block_dir, const std::string& path,
                                         std::string_view file, const storage::Cipher* cipher,
                                         std::unique_ptr<storage::FileCipher>* file_cipher) {
  if (cipher == nullptr) {
    return FailedPreconditionError("block index " + path + " is encrypted and no keyring was given");
  }
  if (file.size() < kEncryptedIndexHeaderBytes ||
      file.substr(4, 4) != std::string_view("\x01\0\0\0", 4)) {
    return DataLossError("block index " + path + " offset 0: bad encrypted index header");
  }
  const std::string id = block_dir.substr(block_dir.find_last_of('/') + 1);
  StatusOr<std::unique_ptr<storage::FileCipher>> opened =
      cipher->OpenFile(file.substr(8, kEncryptedIndexHeaderBytes - 8), BlockCipherContext(id));
  if (!opened.ok()) {
    return Status(opened.status().code(), "block index " + path + ": " + opened.status().message());
  }
  *file_cipher = *std::move(opened);
  std::string plain;
  if (Status s = (*file_cipher)->Open(0, file.substr(kEncryptedIndexHeaderBytes), &plain);
      !s.ok()) {
    return DataLossError("block index " + path + " offset " +
                         std::to_string(kEncryptedIndexHeaderBytes) +
                         ": does not authenticate (" + s.message() + ")");
  }
  return plain;
}

}  // namespace

StatusOr<std::unique_ptr<BlockReader>> BlockReader::Open(const std::string& block_dir,
                                                         const storage::Cipher* cipher) {
  const std::string meta_path = block_dir + "/meta.json";
  const std::string index_path = block_dir + "/index";
  const std::string chunks_path = block_dir + "/chunks";
  ASSIGN_OR_RETURN(std::string meta_text, storage::ReadFile(meta_path));
  BlockMeta meta;
  MetaFiles files;
  RETURN_IF_ERROR(DecodeMeta(meta_path, meta_text, &meta, &files));
  ASSIGN_OR_RETURN(std::string index_file, storage::ReadFile(index_path));
  if (index_file.size() != files.index_bytes) {
    return DataLossError("block index " + index_path + " offset " +
                         std::to_string(index_file.size()) + ": size differs from meta.json's " +
                         std::to_string(files.index_bytes));
  }
  std::unique_ptr<storage::FileCipher> file_cipher;
  if (std::string_view(index_file).starts_with(std::string_view(kEncryptedIndexMagic, 4))) {
    ASSIGN_OR_RETURN(index_file,
                     OpenEncryptedIndex(block_dir, index_path, index_file, cipher, &file_cipher));
  }
  const uint8_t chunks_version =
      file_cipher != nullptr ? kEncryptedChunksVersion : kFormatVersion;
  ASSIGN_OR_RETURN(BlockIndex index, BlockIndex::Parse(index_path, index_file));
  if (index.size() != meta.num_series) {
    return DataLossError("block index " + index_path + ": " + std::to_string(index.size()) +
                         " series, meta.json says " + std::to_string(meta.num_series));
  }

  const int fd = ::open(chunks_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", chunks_path, errno);
  auto fail = [fd](Status s) {
    ::close(fd);
    return s;
  };
  struct stat st;
  if (::fstat(fd, &st) != 0) return fail(IoError("fstat", chunks_path, errno));
  const uint64_t chunks_bytes = static_cast<uint64_t>(st.st_size);
  const uint64_t expected = index.ChunksEnd();
  if (chunks_bytes != expected || chunks_bytes != files.chunks_bytes) {
    return fail(DataLossError("block chunks " + chunks_path + " offset " +
                              std::to_string(std::min(chunks_bytes, expected)) + ": size " +
                              std::to_string(chunks_bytes) + ", index expects " +
                              std::to_string(expected)));
  }
  // chunks_bytes >= kChunksHeaderBytes: the record offsets start there.
  void* map = ::mmap(nullptr, chunks_bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return fail(IoError("mmap", chunks_path, errno));
  ::close(fd);  // the mapping keeps the file
  const char* header = static_cast<const char*>(map);
  if (std::string_view(header, 4) != std::string_view(kChunksMagic, 4) ||
      static_cast<uint8_t>(header[4]) != chunks_version ||
      std::string_view(header + 5, 3) != std::string_view("\0\0\0", 3)) {
    ::munmap(map, chunks_bytes);
    return DataLossError("block chunks " + chunks_path + " offset 0: bad header" +
                         (file_cipher != nullptr ? " (the index is encrypted, the chunks not)"
                                                 : ""));
  }
  const uint64_t size_bytes = meta_text.size() + files.index_bytes + chunks_bytes;
  return std::unique_ptr<BlockReader>(new BlockReaderImpl(
      block_dir, std::move(meta), std::move(index), static_cast<const char*>(map), chunks_bytes,
      size_bytes, std::move(file_cipher)));
}

}  // namespace vigil::tsdb::block
