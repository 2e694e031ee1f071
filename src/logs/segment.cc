#include "logs/segment.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/file_util.h"

namespace vigil::logs {
namespace {

constexpr std::string_view kHeader = "VLOGSEG1";
// An encrypted segment: this magic, the file key header, then sealed blocks (block b is record
// b + 1) and the sealed index (record 0).
constexpr std::string_view kEncryptedHeader = "VLOGSEG2";

// The file key's context: "<group dir>/<file name>", the last two parts of the path.
std::string CipherContext(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t before = slash == std::string::npos || slash == 0
                            ? std::string::npos
                            : path.find_last_of('/', slash - 1);
  return "logs-segment:" + path.substr(before == std::string::npos ? 0 : before + 1);
}
constexpr std::string_view kEnd = "VLOGEND1";
constexpr size_t kFooterBytes = 8 + 4 + 8;  // index offset, index crc, end magic
// Raw bytes gathered into one block: big enough to compress well, small enough that a query
// touching one event decompresses little.
constexpr size_t kBlockRawBytes = 64 << 10;

Status Corrupt(const std::string& path, uint64_t offset, const std::string& what) {
  return DataLossError("log segment " + path + " at offset " + std::to_string(offset) + ": " +
                       what);
}

// Reads [offset, offset + n) of fd.
Status PRead(int fd, const std::string& path, uint64_t offset, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return UnavailableError("reading " + path + ": " + std::strerror(errno));
    if (r == 0) return Corrupt(path, offset + done, "the file ends early");
    done += static_cast<size_t>(r);
  }
  return OkStatus();
}

bool Deflate(std::string_view raw, std::string* out) {
  uLongf n = compressBound(static_cast<uLong>(raw.size()));
  out->resize(n);
  if (compress2(reinterpret_cast<Bytef*>(out->data()), &n,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    return false;
  }
  out->resize(n);
  return true;
}

bool Inflate(std::string_view stored, size_t raw_size, std::string* out) {
  out->resize(raw_size);
  uLongf n = static_cast<uLongf>(raw_size);
  if (uncompress(reinterpret_cast<Bytef*>(out->data()), &n,
                 reinterpret_cast<const Bytef*>(stored.data()),
                 static_cast<uLong>(stored.size())) != Z_OK) {
    return false;
  }
  return n == raw_size;
}

void PutStats(std::string* dst, uint64_t stream, const StreamStats& s) {
  storage::PutVarint64(dst, stream);
  storage::PutVarint64(dst, s.count);
  storage::PutVarsint64(dst, s.min_ts);
  storage::PutVarsint64(dst, s.max_ts);
  storage::PutVarsint64(dst, s.last_ingestion);
  storage::PutVarint64(dst, s.bytes);
}

}  // namespace

void StreamStats::Add(const StoredEvent& e) {
  if (count == 0 || e.timestamp_ms < min_ts) min_ts = e.timestamp_ms;
  if (count == 0 || e.timestamp_ms > max_ts) max_ts = e.timestamp_ms;
  last_ingestion = std::max(last_ingestion, e.ingestion_ms);
  bytes += e.message.size();
  ++count;
}

void StreamStats::Merge(const StreamStats& o) {
  if (o.count == 0) return;
  if (count == 0 || o.min_ts < min_ts) min_ts = o.min_ts;
  if (count == 0 || o.max_ts > max_ts) max_ts = o.max_ts;
  last_ingestion = std::max(last_ingestion, o.last_ingestion);
  bytes += o.bytes;
  count += o.count;
}

Segment::~Segment() {
  if (fd_ >= 0) ::close(fd_);
}

Status Segment::Write(const std::string& path, uint64_t cut,
                      const std::vector<const StoredEvent*>& events, storage::Cipher* cipher) {
  std::string file(cipher != nullptr ? kEncryptedHeader : kHeader);
  std::unique_ptr<storage::FileCipher> key;
  if (cipher != nullptr) {
    std::string key_header;
    ASSIGN_OR_RETURN(key, cipher->NewFile(CipherContext(path), &key_header));
    file += key_header;
  }
  std::string sealed;
  std::string index, raw, stored;
  std::map<uint64_t, StreamStats> streams;
  uint64_t max_id = 0;
  size_t n_blocks = 0;
  std::string block_index;
  size_t i = 0;
  while (i < events.size()) {
    raw.clear();
    const int64_t base = events[i]->timestamp_ms;
    std::set<uint64_t> in_block;
    BlockMeta meta;
    meta.min_ts = base;
    const size_t first = i;
    while (i < events.size() && (raw.size() < kBlockRawBytes || i == first)) {
      const StoredEvent& e = *events[i];
      storage::PutVarint64(&raw, e.stream_id);
      storage::PutVarsint64(&raw, e.timestamp_ms - base);
      storage::PutVarsint64(&raw, e.ingestion_ms - e.timestamp_ms);
      storage::PutVarint64(&raw, e.id);
      storage::PutLengthPrefixed(&raw, e.message);
      in_block.insert(e.stream_id);
      streams[e.stream_id].Add(e);
      max_id = std::max(max_id, e.id);
      meta.max_ts = e.timestamp_ms;
      ++i;
    }
    if (!Deflate(raw, &stored)) return InternalError("compressing a block of " + path);
    if (key != nullptr) {
      sealed.clear();
      RETURN_IF_ERROR(key->Seal(n_blocks + 1, stored, &sealed));
      stored.swap(sealed);
    }
    storage::PutVarint64(&block_index, file.size());
    storage::PutVarint64(&block_index, stored.size());
    storage::PutVarint64(&block_index, raw.size());
    storage::PutVarsint64(&block_index, meta.min_ts);
    storage::PutVarsint64(&block_index, meta.max_ts);
    storage::PutVarint64(&block_index, i - first);
    storage::PutVarint64(&block_index, in_block.size());
    for (uint64_t s : in_block) storage::PutVarint64(&block_index, s);
    storage::PutFixed32(&block_index, storage::crc32c::Value(stored));
    file += stored;
    ++n_blocks;
  }
  storage::PutVarint64(&index, cut);
  storage::PutVarint64(&index, max_id);
  storage::PutVarint64(&index, n_blocks);
  index += block_index;
  storage::PutVarint64(&index, streams.size());
  for (const auto& [id, s] : streams) PutStats(&index, id, s);
  if (key != nullptr) {
    sealed.clear();
    RETURN_IF_ERROR(key->Seal(0, index, &sealed));
    index.swap(sealed);
  }
  const uint64_t index_offset = file.size();
  file += index;
  storage::PutFixed64(&file, index_offset);
  storage::PutFixed32(&file, storage::crc32c::Value(index));
  file += kEnd;
  return storage::WriteFileAtomic(path, file);
}

StatusOr<std::shared_ptr<const Segment>> Segment::Open(const std::string& path,
                                                       const storage::Cipher* cipher) {
  auto seg = std::make_shared<Segment>();
  seg->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (seg->fd_ < 0) return UnavailableError("opening " + path + ": " + std::strerror(errno));
  ASSIGN_OR_RETURN(const uint64_t size, storage::FileSize(path));
  if (size < kHeader.size() + kFooterBytes) return Corrupt(path, 0, "too short for a segment");
  std::string head, footer, index;
  RETURN_IF_ERROR(PRead(seg->fd_, path, 0, kHeader.size(), &head));
  size_t header_bytes = kHeader.size();
  if (head == kEncryptedHeader) {
    if (cipher == nullptr) {
      return FailedPreconditionError(path + ": the segment is encrypted and no keyring was given");
    }
    header_bytes += storage::FileCipher::kHeaderBytes;
    std::string key_header;
    if (size < header_bytes + kFooterBytes) return Corrupt(path, 0, "too short for a segment");
    RETURN_IF_ERROR(PRead(seg->fd_, path, kHeader.size(), storage::FileCipher::kHeaderBytes,
                          &key_header));
    StatusOr<std::unique_ptr<storage::FileCipher>> key =
        cipher->OpenFile(key_header, CipherContext(path));
    if (!key.ok()) return Status(key.status().code(), path + ": " + key.status().message());
    seg->cipher_ = *std::move(key);
  } else if (head != kHeader) {
    return Corrupt(path, 0, "not a log segment (bad magic)");
  }
  RETURN_IF_ERROR(PRead(seg->fd_, path, size - kFooterBytes, kFooterBytes, &footer));
  if (std::string_view(footer).substr(12) != kEnd) {
    return Corrupt(path, size - 8, "no end marker (a torn write?)");
  }
  const uint64_t index_offset = storage::DecodeFixed64(footer.data());
  const uint32_t index_crc = storage::DecodeFixed32(footer.data() + 8);
  if (index_offset < header_bytes || index_offset > size - kFooterBytes) {
    return Corrupt(path, size - kFooterBytes, "index offset out of range");
  }
  RETURN_IF_ERROR(PRead(seg->fd_, path, index_offset, size - kFooterBytes - index_offset, &index));
  if (storage::crc32c::Value(index) != index_crc) {
    return Corrupt(path, index_offset, "index checksum mismatch");
  }
  if (seg->cipher_ != nullptr) {
    std::string plain;
    if (Status s = seg->cipher_->Open(0, index, &plain); !s.ok()) {
      return Corrupt(path, index_offset, "the index does not authenticate (" + s.message() + ")");
    }
    index.swap(plain);
  }

  seg->path_ = path;
  seg->file_bytes_ = size;
  std::string_view in(index);
  uint64_t n_blocks = 0, n_streams = 0;
  bool ok = storage::GetVarint64(&in, &seg->cut_) && storage::GetVarint64(&in, &seg->max_id_) &&
            storage::GetVarint64(&in, &n_blocks);
  for (uint64_t b = 0; ok && b < n_blocks; ++b) {
    BlockMeta m;
    uint64_t ns = 0;
    ok = storage::GetVarint64(&in, &m.offset) && storage::GetVarint64(&in, &m.size) &&
         storage::GetVarint64(&in, &m.raw_size) && storage::GetVarsint64(&in, &m.min_ts) &&
         storage::GetVarsint64(&in, &m.max_ts) && storage::GetVarint64(&in, &m.count) &&
         storage::GetVarint64(&in, &ns) && ns <= m.count;
    for (uint64_t s = 0; ok && s < ns; ++s) {
      uint64_t id = 0;
      ok = storage::GetVarint64(&in, &id);
      m.streams.push_back(id);
    }
    ok = ok && storage::GetFixed32(&in, &m.crc) && m.offset + m.size <= index_offset;
    if (ok) {
      if (seg->blocks_.empty() || m.min_ts < seg->min_ts_) seg->min_ts_ = m.min_ts;
      if (seg->blocks_.empty() || m.max_ts > seg->max_ts_) seg->max_ts_ = m.max_ts;
      seg->blocks_.push_back(std::move(m));
    }
  }
  ok = ok && storage::GetVarint64(&in, &n_streams);
  for (uint64_t s = 0; ok && s < n_streams; ++s) {
    uint64_t id = 0;
    StreamStats st;
    ok = storage::GetVarint64(&in, &id) && storage::GetVarint64(&in, &st.count) &&
         storage::GetVarsint64(&in, &st.min_ts) && storage::GetVarsint64(&in, &st.max_ts) &&
         storage::GetVarsint64(&in, &st.last_ingestion) && storage::GetVarint64(&in, &st.bytes);
    seg->streams_[id] = st;
  }
  if (!ok || !in.empty()) return Corrupt(path, index_offset, "malformed index");
  return std::shared_ptr<const Segment>(std::move(seg));
}

Status Segment::ForEachInBlock(size_t b, const std::function<void(const EventView&)>& fn) const {
  const BlockMeta& m = blocks_.at(b);
  std::string stored, raw;
  RETURN_IF_ERROR(PRead(fd_, path_, m.offset, m.size, &stored));
  if (storage::crc32c::Value(stored) != m.crc) {
    return Corrupt(path_, m.offset, "block checksum mismatch");
  }
  if (cipher_ != nullptr) {
    std::string plain;
    if (Status s = cipher_->Open(b + 1, stored, &plain); !s.ok()) {
      return Corrupt(path_, m.offset, "block " + std::to_string(b) + " does not authenticate (" +
                                          s.message() + ")");
    }
    stored.swap(plain);
  }
  if (!Inflate(stored, m.raw_size, &raw)) return Corrupt(path_, m.offset, "block does not inflate");
  std::string_view in(raw);
  uint64_t count = 0;
  while (!in.empty()) {
    EventView e;
    int64_t delta = 0, lag = 0;
    if (!storage::GetVarint64(&in, &e.stream_id) || !storage::GetVarsint64(&in, &delta) ||
        !storage::GetVarsint64(&in, &lag) || !storage::GetVarint64(&in, &e.id) ||
        !storage::GetLengthPrefixed(&in, &e.message)) {
      return Corrupt(path_, m.offset, "malformed event in block");
    }
    e.timestamp_ms = m.min_ts + delta;
    e.ingestion_ms = e.timestamp_ms + lag;
    fn(e);
    ++count;
  }
  if (count != m.count) return Corrupt(path_, m.offset, "block event count mismatch");
  return OkStatus();
}

}  // namespace vigil::logs
