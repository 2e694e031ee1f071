#pragma once
// Private to vigil::logs: segment files — one group's events from one cut, sorted by
// (timestamp, id), in zlib-compressed blocks with a time index. Format: docs/format/logs.md.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/cipher.h"

namespace vigil::logs {

// An event as the store keeps it: group and stream by id.
struct StoredEvent {
  uint64_t stream_id = 0;
  int64_t timestamp_ms = 0;
  int64_t ingestion_ms = 0;
  uint64_t id = 0;
  std::string message;
};

// An event of a block being read: `message` points into the block, valid during the call.
struct EventView {
  uint64_t stream_id = 0;
  int64_t timestamp_ms = 0;
  int64_t ingestion_ms = 0;
  uint64_t id = 0;
  std::string_view message;
};

inline bool EventBefore(const StoredEvent& a, const StoredEvent& b) {
  return a.timestamp_ms != b.timestamp_ms ? a.timestamp_ms < b.timestamp_ms : a.id < b.id;
}

struct StreamStats {
  uint64_t count = 0;
  int64_t min_ts = 0, max_ts = 0, last_ingestion = 0;
  uint64_t bytes = 0;  // message bytes
  void Add(const StoredEvent& e);
  void Merge(const StreamStats& o);
};

struct BlockMeta {
  uint64_t offset = 0, size = 0, raw_size = 0;
  int64_t min_ts = 0, max_ts = 0;
  uint64_t count = 0;
  std::vector<uint64_t> streams;  // sorted
  uint32_t crc = 0;               // crc32c of the stored (compressed) bytes
};

// An open segment: its index in memory, its blocks read on demand. Immutable; thread-safe.
class Segment {
 public:
  // Writes `events` (sorted by EventBefore, non-empty; not copied) as the segment file `path`
  // (atomically: a temporary file renamed into place, fsynced). `cut` is the log segment number the
  // cut began, recorded so that Open knows which logged events this file already holds.
  // With `cipher`, the segment is encrypted ("VLOGSEG2"): each compressed block and the index
  // sealed with a key of the file's own, bound to its group directory and name.
  static Status Write(const std::string& path, uint64_t cut,
                      const std::vector<const StoredEvent*>& events,
                      storage::Cipher* cipher = nullptr);
  // Reads and checks the index of the segment file at `path`, and keeps the file open for
  // reading its blocks (so a segment deleted by retention stays readable while in use).
  // DataLoss naming the file and what is wrong when it is not a whole segment, or (encrypted)
  // when its index does not authenticate; FailedPrecondition for an encrypted segment without
  // a cipher. Plaintext segments open with or without one.
  static StatusOr<std::shared_ptr<const Segment>> Open(const std::string& path,
                                                       const storage::Cipher* cipher = nullptr);

  // Calls fn for each event of block `b`, in order, without copying messages (a search decides
  // what to keep). DataLoss naming the file and offset on a checksum mismatch, a block that
  // does not authenticate (encrypted), or bad data (some events may have been passed to fn
  // before it was found).
  Status ForEachInBlock(size_t b, const std::function<void(const EventView&)>& fn) const;

  const std::string& path() const { return path_; }
  uint64_t cut() const { return cut_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint64_t max_id() const { return max_id_; }
  int64_t min_ts() const { return blocks_.empty() ? 0 : min_ts_; }
  int64_t max_ts() const { return max_ts_; }
  const std::vector<BlockMeta>& blocks() const { return blocks_; }
  const std::map<uint64_t, StreamStats>& streams() const { return streams_; }

  Segment() = default;
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

 private:
  int fd_ = -1;
  std::unique_ptr<storage::FileCipher> cipher_;  // encrypted segments only
  std::string path_;
  uint64_t cut_ = 0, file_bytes_ = 0, max_id_ = 0;
  int64_t min_ts_ = 0, max_ts_ = 0;
  std::vector<BlockMeta> blocks_;
  std::map<uint64_t, StreamStats> streams_;
};

}  // namespace vigil::logs
