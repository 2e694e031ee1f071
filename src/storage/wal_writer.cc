#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "storage/coding.h"
#include "storage/file_util.h"
#include "storage/wal.h"
#include "storage/wal_format.h"

namespace vigil::storage {
namespace {

// One batch gathers at most this many payload bytes (the leader's own record always goes in).
// Bounded so that a small record queued behind a flood of large ones is not held back for an
// arbitrarily long write; 8 MiB is 16 of the largest (500 KB) metric requests.
constexpr size_t kMaxBatchBytes = 8 << 20;

// Creates segment `seq` in `dir` with its header. With `sync`, the file and the directory entry
// are durable on return. On failure nothing is left behind (best effort).
// `header` is the segment header (wal::EncodeSegmentHeader).
StatusOr<int> CreateSegment(const std::string& dir, uint64_t seq, bool sync,
                            const std::string& header) {
  const std::string path = wal::SegmentPath(dir, seq);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open", path, errno);
  Status s;
  ssize_t n;
  do {
    n = ::write(fd, header.data(), header.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(header.size())) {
    s = n < 0 ? IoError("write", path, errno) : UnavailableError("short write to " + path);
  } else if (sync && ::fdatasync(fd) != 0) {
    s = IoError("fdatasync", path, errno);
  }
  if (s.ok() && sync) s = SyncDir(dir);
  if (!s.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  return fd;
}

// Writes all of `iov` at the file position, resuming after short writes (and in IOV_MAX pieces).
// Adds the bytes actually written to *written, also on failure.
Status WriteFully(int fd, const std::string& path, std::vector<iovec>& iov, uint64_t* written) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::writev(fd, &iov[first], count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writev", path, errno);
    }
    if (n == 0) return UnavailableError("writev " + path + ": wrote nothing");
    *written += static_cast<uint64_t>(n);
    auto left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return OkStatus();
}

}  // namespace

// Group commit, after leveldb's DBImpl writer queue, split into two pipelined stages.
//
// Write stage: every Append or Rotate enqueues a Waiter and sleeps until it is done or at the
// front. The front waiter is the leader: it alone writes to (or switches) the segment file. An
// append leader takes the appends queued behind it into one writev, then leaves the queue.
// Sync stage: the leader then waits until an fdatasync that started after its write has
// finished, running that fdatasync itself when none is in flight, and finally wakes its batch.
//
// The stages overlap: while one batch's fdatasync runs, the next leader already writes the next
// batch (an fdatasync covers what was written before it started, and nothing depends on it
// covering more). With 16 threads appending 100 KB records this gave ~15-20% more appends/s
// than leveldb's serial write-then-sync on the dev VM, where write() of a 1 MB batch costs about
// 0.5 ms and its fdatasync about 1.3 ms.
struct WalWriter::Impl {
  struct Waiter {
    bool rotate = false;
    std::string_view payload;
    std::string sealed;  // the payload, when encrypted
    char header[wal::kRecordHeaderSize];
    bool done = false;  // guarded by mu
    Status status;      // guarded by mu; valid once done
    std::condition_variable cv;
  };

  Impl(std::string d, const WalOptions& o) : dir(std::move(d)), options(o) {}

  Status Append(std::string_view record);
  StatusOr<uint64_t> Rotate();

  // The helpers below REQUIRE mu held through `l`; they may release it while doing I/O.
  // Front of the queue only: waits until no written batch awaits its sync, then closes the
  // current segment and creates the next. Failure becomes the sticky error.
  Status SwitchSegment(std::unique_lock<std::mutex>& l);
  // Returns once batch number `batch` is durable, or the sticky error.
  Status WaitForSync(std::unique_lock<std::mutex>& l, uint64_t batch);
  void SetError(const Status& s, std::string_view what);
  void WakeFront() {
    if (!queue.empty()) queue.front()->cv.notify_one();
  }

  const std::string dir;
  const WalOptions options;
  std::string segment_header;               // set by Open, then read-only
  std::unique_ptr<FileCipher> file_cipher;  // set by Open when encrypting, then read-only
  std::atomic<uint64_t> next_record{0};     // encrypted records' numbers (their nonces)

  mutable std::mutex mu;
  std::deque<Waiter*> queue;        // guarded by mu
  Status error;                     // guarded by mu; sticky once set
  uint64_t written_batches = 0;     // guarded by mu; batches written so far
  uint64_t synced_batches = 0;      // guarded by mu; a prefix of them known durable
  bool sync_running = false;        // guarded by mu
  uint64_t syncs = 0;               // guarded by mu; fdatasync calls of WaitForSync
  std::condition_variable sync_cv;  // signalled when sync_running or synced_batches change
  uint64_t current_seq = 0;         // guarded by mu
  uint64_t current_bytes = 0;       // guarded by mu; bytes in the current segment
  std::map<uint64_t, uint64_t> closed_sizes;  // guarded by mu; older segments on disk
  // The current segment. Replaced only by the front of the queue, under mu, while no sync is
  // running or pending; written only by the front; synced by whoever read it under mu.
  int fd = -1;
};

void WalWriter::Impl::SetError(const Status& s, std::string_view what) {
  if (!error.ok()) return;
  error = s;
  options.logger->Error("wal", std::string(what) + ", refusing further writes: " + s.ToString());
}

Status WalWriter::Impl::WaitForSync(std::unique_lock<std::mutex>& l, uint64_t batch) {
  while (synced_batches < batch) {
    if (!error.ok()) return error;
    if (sync_running) {
      sync_cv.wait(l);
      continue;
    }
    // Sync everything written so far: later batches get a free ride.
    sync_running = true;
    const uint64_t target = written_batches;
    const int sync_fd = fd;
    const uint64_t seq = current_seq;
    l.unlock();
    const int rc = ::fdatasync(sync_fd);
    const int err = errno;
    l.lock();
    sync_running = false;
    ++syncs;
    if (rc == 0) {
      synced_batches = target;
    } else {
      SetError(IoError("fdatasync", wal::SegmentPath(dir, seq), err), "sync failed");
    }
    sync_cv.notify_all();
  }
  return OkStatus();
}

Status WalWriter::Impl::SwitchSegment(std::unique_lock<std::mutex>& l) {
  while (sync_running || synced_batches < written_batches) {
    if (!error.ok()) return error;
    if (sync_running) {
      sync_cv.wait(l);
    } else {
      RETURN_IF_ERROR(WaitForSync(l, written_batches));
    }
  }
  RETURN_IF_ERROR(error);
  const uint64_t next = current_seq + 1;
  const int old_fd = fd;
  l.unlock();
  ::close(old_fd);  // its records are already as durable as options.sync promises
  StatusOr<int> created = CreateSegment(dir, next, options.sync, segment_header);
  l.lock();
  fd = -1;
  if (!created.ok()) {
    SetError(created.status(), "cannot start a new segment");
    return error;
  }
  fd = *created;
  closed_sizes[current_seq] = current_bytes;
  current_seq = next;
  current_bytes = segment_header.size();
  return OkStatus();
}

Status WalWriter::Impl::Append(std::string_view record) {
  if (record.size() > wal::kMaxRecordSize) {
    return InvalidArgumentError("wal record of " + std::to_string(record.size()) +
                                " bytes exceeds the 4 GiB limit");
  }
  Waiter w;
  w.payload = record;
  if (file_cipher != nullptr) {
    // Sealed by each caller in parallel, like the CRC. The number is unique under the writer's
    // key (its nonce), stored with the record; callers may queue in another order than they
    // took their numbers, so records authenticate one by one, not their order.
    const uint64_t n = next_record.fetch_add(1, std::memory_order_relaxed);
    w.sealed.reserve(record.size() + wal::kSealedRecordOverhead);
    PutFixed64(&w.sealed, n);
    RETURN_IF_ERROR(file_cipher->Seal(n, record, &w.sealed));
    w.payload = w.sealed;
  }
  // The CRC is computed here, by each caller in parallel, not by the leader.
  wal::EncodeRecordHeader(w.header, w.payload);

  std::unique_lock<std::mutex> l(mu);
  queue.push_back(&w);
  while (!w.done && queue.front() != &w) w.cv.wait(l);
  if (w.done) return w.status;

  // Leader. A full segment is switched lazily, by the first batch that would go past it.
  if (error.ok() && current_bytes >= options.segment_bytes) SwitchSegment(l).IgnoreError();
  // Take the appends queued behind us, up to the first Rotate or the byte limit.
  std::vector<Waiter*> batch;
  size_t batch_bytes = 0;
  for (Waiter* q : queue) {
    if (q->rotate || (!batch.empty() && batch_bytes + q->payload.size() > kMaxBatchBytes)) break;
    batch.push_back(q);
    batch_bytes += q->payload.size();
  }
  Status s = error;
  uint64_t my_batch = 0;
  if (s.ok()) {
    const std::string path = wal::SegmentPath(dir, current_seq);
    const int write_fd = fd;
    l.unlock();
    std::vector<iovec> iov;
    iov.reserve(2 * batch.size());
    for (Waiter* q : batch) {
      iov.push_back({q->header, wal::kRecordHeaderSize});
      if (!q->payload.empty()) {
        iov.push_back({const_cast<char*>(q->payload.data()), q->payload.size()});
      }
    }
    uint64_t written = 0;
    s = WriteFully(write_fd, path, iov, &written);
    l.lock();
    current_bytes += written;
    my_batch = ++written_batches;
    if (!options.sync) synced_batches = written_batches;  // nothing to wait for
    if (!s.ok()) SetError(s, "write failed");
  }
  // Hand the write stage to the next leader, then wait for (or run) our sync.
  queue.erase(queue.begin(), queue.begin() + static_cast<ptrdiff_t>(batch.size()));
  WakeFront();
  if (s.ok() && options.sync) s = WaitForSync(l, my_batch);
  for (Waiter* q : batch) {
    if (q == &w) continue;
    q->status = s;
    q->done = true;
    q->cv.notify_one();
  }
  return s;
}

StatusOr<uint64_t> WalWriter::Impl::Rotate() {
  Waiter w;
  w.rotate = true;
  std::unique_lock<std::mutex> l(mu);
  queue.push_back(&w);
  while (queue.front() != &w) w.cv.wait(l);
  Status s = error.ok() ? SwitchSegment(l) : error;
  const uint64_t seq = current_seq;
  queue.pop_front();
  WakeFront();
  if (!s.ok()) return s;
  return seq;
}

WalWriter::WalWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WalWriter::~WalWriter() {
  if (impl_->fd >= 0) {
    ::fdatasync(impl_->fd);
    ::close(impl_->fd);
  }
}

StatusOr<std::unique_ptr<WalWriter>> WalWriter::Open(const std::string& dir,
                                                     const WalOptions& options) {
  if (options.logger == nullptr) return InvalidArgumentError("WalOptions.logger is required");
  RETURN_IF_ERROR(CreateDirs(dir));
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, wal::ListSegments(dir));
  auto impl = std::make_unique<Impl>(dir, options);
  std::string key_header;
  if (options.cipher != nullptr) {
    ASSIGN_OR_RETURN(impl->file_cipher, options.cipher->NewFile(options.cipher_context,
                                                                &key_header));
  }
  impl->segment_header = wal::EncodeSegmentHeader(key_header);
  for (uint64_t seq : seqs) {
    ASSIGN_OR_RETURN(impl->closed_sizes[seq], FileSize(wal::SegmentPath(dir, seq)));
  }
  impl->current_seq = seqs.empty() ? 1 : seqs.back() + 1;
  ASSIGN_OR_RETURN(impl->fd,
                   CreateSegment(dir, impl->current_seq, options.sync, impl->segment_header));
  impl->current_bytes = impl->segment_header.size();
  return std::unique_ptr<WalWriter>(new WalWriter(std::move(impl)));
}

Status WalWriter::Append(std::string_view record) { return impl_->Append(record); }

StatusOr<uint64_t> WalWriter::Rotate() { return impl_->Rotate(); }

Status WalWriter::RemoveSegmentsBefore(uint64_t seq) {
  // Listing the directory (not only closed_sizes) also catches segments left by earlier runs.
  ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, wal::ListSegments(impl_->dir));
  uint64_t limit;
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    limit = std::min(seq, impl_->current_seq);  // current_seq only grows
  }
  bool removed = false;
  for (uint64_t s : seqs) {
    if (s >= limit) break;
    const std::string path = wal::SegmentPath(impl_->dir, s);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("unlink", path, errno);
    removed = true;
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->closed_sizes.erase(s);
  }
  // Without the directory sync a crash could resurrect the segments, which replay would then
  // deliver again; callers delete segments whose records are persisted elsewhere.
  if (removed && impl_->options.sync) RETURN_IF_ERROR(SyncDir(impl_->dir));
  return OkStatus();
}

uint64_t WalWriter::syncs() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->syncs;
}

uint64_t WalWriter::current_segment() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->current_seq;
}

uint64_t WalWriter::SizeBytes() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  uint64_t total = impl_->current_bytes;
  for (const auto& [seq, bytes] : impl_->closed_sizes) total += bytes;
  return total;
}

}  // namespace vigil::storage
