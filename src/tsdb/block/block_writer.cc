// BlockWriter and WriteBlock: stream series records into <id>.tmp/chunks, then write the index
// and meta.json, fsync, and rename the directory into place.
#include <cstdio>
#include <limits>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/file_util.h"
#include "tsdb/block/block.h"
#include "tsdb/block/file_writer.h"
#include "tsdb/block/index_format.h"
#include "tsdb/block/meta_json.h"
#include "tsdb/block/series_codec.h"

namespace vigil::tsdb::block {
namespace {

template <typename Sample>
bool SortedByTime(const std::vector<Sample>& samples) {
  for (size_t i = 1; i < samples.size(); ++i) {
    if (samples[i].timestamp_ms < samples[i - 1].timestamp_ms) return false;
  }
  return true;
}

Status WriteSmallFile(const std::string& path, std::string_view data) {
  ASSIGN_OR_RETURN(std::unique_ptr<FileWriter> file, FileWriter::Create(path));
  RETURN_IF_ERROR(file->Append(data));
  return file->SyncAndClose();
}

class BlockWriterImpl final : public BlockWriter {
 public:
  BlockWriterImpl(std::string blocks_dir, std::string id, Options options,
                  std::unique_ptr<FileWriter> chunks, std::string key_header,
                  std::unique_ptr<storage::FileCipher> cipher)
      : blocks_dir_(std::move(blocks_dir)),
        id_(std::move(id)),
        tmp_dir_(blocks_dir_ + "/" + id_ + ".tmp"),
        options_(std::move(options)),
        chunks_(std::move(chunks)),
        key_header_(std::move(key_header)),
        cipher_(std::move(cipher)) {}

  ~BlockWriterImpl() override {
    if (finished_) return;
    chunks_.reset();
    storage::RemoveAll(tmp_dir_).IgnoreError();
  }

  Status Add(const SeriesData& series) override {
    if (!error_.ok()) return error_;
    if (finished_) return FailedPreconditionError("block writer already finished");
    std::string canonical;
    RETURN_IF_ERROR(Validate(series, &canonical));
    if (!has_origin_) {
      if (!series.raw.empty()) {
        has_origin_ = true;
        origin_ = series.raw.front().timestamp_ms;
      } else if (!series.stats.empty()) {
        has_origin_ = true;
        origin_ = series.stats.front().timestamp_ms;
      } else if (!series.rollups.empty()) {
        has_origin_ = true;
        origin_ = series.rollups.front().timestamp_ms;
      }
    }
    record_.clear();
    EncodeSeriesRecord(series, origin_, &record_);
    std::string_view stored = record_;
    if (cipher_ != nullptr) {
      // Series i is record i + 1 of the file key (the index is record 0).
      sealed_.clear();
      RETURN_IF_ERROR(cipher_->Seal(index_.num_series() + 1, record_, &sealed_));
      stored = sealed_;
    } else {
      storage::PutFixed32(&record_, storage::crc32c::Value(record_));
      stored = record_;
    }
    if (stored.size() > BlockIndex::kMaxRecordBytes) {
      return InvalidArgumentError("block " + id_ + ": series too large for one block");
    }
    if (Status s = chunks_->Append(stored); !s.ok()) return error_ = s;
    index_.Add(series, stored.size());
    for (const RawSample& s : series.raw) Extend(s.timestamp_ms);
    for (const StatSample& s : series.stats) Extend(s.timestamp_ms);
    for (const RollupSample& s : series.rollups) Extend(s.timestamp_ms);
    raw_samples_ += series.raw.size();
    stat_samples_ += series.stats.size() + series.rollups.size();
    prev_key_ = std::move(canonical);
    return OkStatus();
  }

  using BlockWriter::Finish;
  Status Finish(BlockMeta* meta, std::vector<std::string> siblings) override {
    if (!error_.ok()) return error_;
    if (finished_) return FailedPreconditionError("block writer already finished");
    if (Status s = FinishFiles(meta, std::move(siblings)); !s.ok()) return error_ = s;
    finished_ = true;
    return OkStatus();
  }

 private:
  Status Validate(const SeriesData& series, std::string* canonical) const {
    const std::vector<Dimension>& dims = series.key.dimensions;
    for (size_t i = 1; i < dims.size(); ++i) {
      if (!(dims[i - 1].name < dims[i].name)) {
        return InvalidArgumentError("block " + id_ + ": dimensions of a key not canonical");
      }
    }
    AppendCanonicalKey(series.key, canonical);
    if (index_.num_series() > 0 && !(prev_key_ < *canonical)) {
      return InvalidArgumentError("block " + id_ + ": series keys not strictly increasing");
    }
    if (!SortedByTime(series.raw) || !SortedByTime(series.stats) ||
        !SortedByTime(series.rollups)) {
      return InvalidArgumentError("block " + id_ + ": samples not sorted by timestamp");
    }
    return OkStatus();
  }

  void Extend(int64_t t) {
    min_time_ = std::min(min_time_, t);
    max_time_ = std::max(max_time_, t);
  }

  Status FinishFiles(BlockMeta* meta, std::vector<std::string> siblings) {
    RETURN_IF_ERROR(chunks_->SyncAndClose());
    std::string index = index_.Finish(origin_);
    if (cipher_ != nullptr) {
      std::string file(kEncryptedIndexMagic, 4);
      file.append({1, 0, 0, 0});
      file.append(key_header_);
      RETURN_IF_ERROR(cipher_->Seal(0, index, &file));
      index = std::move(file);
    }
    RETURN_IF_ERROR(WriteSmallFile(tmp_dir_ + "/index", index));
    BlockMeta m;
    m.id = id_;
    const bool empty = raw_samples_ + stat_samples_ == 0;
    m.min_time_ms = empty ? 0 : min_time_;
    m.max_time_ms = empty ? 0 : max_time_;
    m.num_series = index_.num_series();
    m.num_samples = raw_samples_ + stat_samples_;
    m.level = options_.level;
    m.resolution_ms = options_.resolution_ms;
    m.sketch_accuracy = options_.sketch_accuracy;
    m.parents = options_.parents;
    m.siblings = std::move(siblings);
    MetaFiles files{index.size(), chunks_->size(), raw_samples_, stat_samples_};
    RETURN_IF_ERROR(WriteSmallFile(tmp_dir_ + "/meta.json", EncodeMeta(m, files)));
    RETURN_IF_ERROR(storage::SyncDir(tmp_dir_));
    const std::string final_dir = blocks_dir_ + "/" + id_;
    if (std::rename(tmp_dir_.c_str(), final_dir.c_str()) != 0) {
      return IoError("rename " + tmp_dir_ + " to", final_dir, errno);
    }
    if (Status s = storage::SyncDir(blocks_dir_); !s.ok()) {
      // The block is in place but its name may not be durable; do not leave it half-known.
      storage::RemoveAll(final_dir).IgnoreError();
      return s;
    }
    *meta = std::move(m);
    return OkStatus();
  }

  const std::string blocks_dir_;
  const std::string id_;
  const std::string tmp_dir_;
  const Options options_;
  std::unique_ptr<FileWriter> chunks_;
  const std::string key_header_;                    // encrypted blocks only
  const std::unique_ptr<storage::FileCipher> cipher_;  // null: plaintext
  std::string sealed_;                              // scratch for a sealed record
  IndexBuilder index_;
  std::string prev_key_;  // canonical key of the last series added
  std::string record_;    // scratch for the record being encoded
  bool has_origin_ = false;
  int64_t origin_ = 0;  // time origin of the block: the first timestamp written
  int64_t min_time_ = std::numeric_limits<int64_t>::max();
  int64_t max_time_ = std::numeric_limits<int64_t>::min();
  uint64_t raw_samples_ = 0;
  uint64_t stat_samples_ = 0;
  Status error_;  // sticky after an I/O failure
  bool finished_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<BlockWriter>> BlockWriter::Create(const std::string& blocks_dir,
                                                           const std::string& id, Options options) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos) {
    return InvalidArgumentError("bad block id \"" + id + "\"");
  }
  RETURN_IF_ERROR(storage::CreateDirs(blocks_dir));
  const std::string final_dir = blocks_dir + "/" + id;
  if (storage::PathExists(final_dir)) return AlreadyExistsError("block " + final_dir + " exists");
  const std::string tmp_dir = final_dir + ".tmp";
  RETURN_IF_ERROR(storage::RemoveAll(tmp_dir));
  RETURN_IF_ERROR(storage::CreateDirs(tmp_dir));
  std::string key_header;
  StatusOr<std::unique_ptr<storage::FileCipher>> cipher =
      std::unique_ptr<storage::FileCipher>();
  if (options.cipher != nullptr) cipher = options.cipher->NewFile(BlockCipherContext(id), &key_header);
  auto chunks = FileWriter::Create(tmp_dir + "/chunks");
  Status s = cipher.ok() ? chunks.status() : cipher.status();
  if (s.ok()) {
    std::string header(kChunksMagic, 4);
    header.push_back(static_cast<char>(*cipher != nullptr ? kEncryptedChunksVersion
                                                          : kFormatVersion));
    header.append(3, '\0');
    s = (*chunks)->Append(header);
  }
  if (!s.ok()) {
    storage::RemoveAll(tmp_dir).IgnoreError();
    return s;
  }
  return std::unique_ptr<BlockWriter>(new BlockWriterImpl(blocks_dir, id, std::move(options),
                                                          std::move(*chunks),
                                                          std::move(key_header),
                                                          *std::move(cipher)));
}

Status WriteBlock(const std::string& blocks_dir, const std::string& id,
                  std::span<const SeriesData> series, int level, BlockMeta* meta,
                  storage::Cipher* cipher) {
  BlockWriter::Options options;
  options.level = level;
  options.cipher = cipher;
  ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> writer,
                   BlockWriter::Create(blocks_dir, id, std::move(options)));
  for (const SeriesData& s : series) RETURN_IF_ERROR(writer->Add(s));
  return writer->Finish(meta);
}

}  // namespace vigil::tsdb::block
