#pragma once
// A segmented, CRC-checked write-ahead log with group commit.
// Format: docs/format/wal.md. A WAL is a directory of segment files named by an 8-digit,
// zero-padded, increasing sequence number ("00000001"). Records are opaque byte strings;
// the typed records of each engine live in that engine (e.g. tsdb/wal_records.h).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/logging.h"
#include "common/status.h"
#include "storage/cipher.h"

namespace vigil::storage {

struct WalOptions {
  // A segment is closed once it holds at least this many bytes; the next append starts a new one.
  size_t segment_bytes = 64 << 20;
  // When false, Append() does not fsync (for tests and benchmarks of everything else).
  bool sync = true;
  Logger* logger = nullptr;  // required; must outlive the writer
  // When set, new segments are encrypted (format version 2, docs/format/wal.md): one file key
  // for the writer's life, bound to `cipher_context`, its header in every segment it writes;
  // each record sealed by the appending thread. Must outlive the writer.
  Cipher* cipher = nullptr;
  std::string cipher_context = "wal";
};

// Appends records to the newest segment.
// Thread-safe. Group commit: concurrent Append() calls share one write + fdatasync; each call
// returns only after its own record is durable.
class WalWriter {
 public:
  // Opens the WAL in `dir` (creating it), starting a fresh segment after the last existing one.
  // Recovery (WalReplay) must have run first: existing segments are never appended to.
  static StatusOr<std::unique_ptr<WalWriter>> Open(const std::string& dir,
                                                   const WalOptions& options);
  ~WalWriter();  // closes the current segment (fsync), ignoring errors

  // Appends one record (any size, including 0 and larger than a segment) and waits until it is
  // durable. On a write or sync failure returns Unavailable, and the writer becomes unusable:
  // every later Append() fails with the same error (leveldb's sticky background error).
  Status Append(std::string_view record);

  // Closes the current segment and starts a new one; returns the new segment's number.
  // Records appended after Rotate() returns land in segments >= that number.
  StatusOr<uint64_t> Rotate();

  // Deletes every segment numbered below `seq` (never the current one).
  Status RemoveSegmentsBefore(uint64_t seq);

  uint64_t current_segment() const;
  // fdatasync calls made for appends so far (with group commit, fewer than appends).
  uint64_t syncs() const;
  // Total bytes of all segments in the directory.
  uint64_t SizeBytes() const;

 private:
  struct Impl;
  explicit WalWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads every record of every segment in `dir`, in order, calling fn(segment, record).
// A torn or corrupt record ends replay there: the segment is truncated at that offset and any
// later segments are deleted (they could only hold records written after the damaged one),
// with a warning naming file and offset. The WAL is then consistent for WalWriter::Open.
// Returns an error only when the directory cannot be read or repaired, or when fn fails (that
// error, unchanged, with nothing repaired). An intact segment header of an unknown format
// version is FailedPrecondition, also with nothing changed. A missing directory is an empty WAL.
// `record` is valid only during the call to fn.
//
// Encrypted segments (version 2) are opened with `cipher` and `cipher_context` (the writer's).
// A record whose checksum matches but which does not authenticate (a changed byte with its CRC
// fixed up, the wrong key or context, a record out of order) is DataLoss naming the file and
// offset, with nothing repaired: that is tampering, not a torn write. An encrypted segment
// without a cipher is FailedPrecondition, nothing changed.
Status WalReplay(const std::string& dir, Logger& logger,
                 const std::function<Status(uint64_t segment, std::string_view record)>& fn,
                 const Cipher* cipher = nullptr, std::string_view cipher_context = "wal");

}  // namespace vigil::storage
