#pragma once
// The index file of a block (docs/format/block.md, "Index"): interned series keys, units,
// last-append times and the length of every series record in the chunks file.
// Private to tsdb/block.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "tsdb/block/block.h"

namespace vigil::tsdb::block {

inline constexpr char kChunksMagic[4] = {'V', 'G', 'C', 'K'};
inline constexpr char kIndexMagic[4] = {'V', 'G', 'I', 'X'};
inline constexpr uint8_t kFormatVersion = 1;
inline constexpr uint64_t kChunksHeaderBytes = 8;  // magic, version, 3 zero bytes
// Encrypted blocks (docs/format/block.md): the chunks file's version byte is 2 and each record
// is sealed instead of checksummed; the index file is "VGXE", version 1, 3 zero bytes, the file
// key header (storage::FileCipher::kHeaderBytes), then the plain index file sealed as record 0.
inline constexpr uint8_t kEncryptedChunksVersion = 2;
inline constexpr char kEncryptedIndexMagic[4] = {'V', 'G', 'X', 'E'};
inline constexpr uint64_t kEncryptedIndexHeaderBytes = 8 + 20;
// The file key's context: a block's files open only as that block's.
inline std::string BlockCipherContext(std::string_view id) {
  return "tsdb-block:" + std::string(id);
}

// The size of tsdb::CanonicalKeyString(key) (tsdb.h defines the form). Key: SeriesKey or
// SeriesKeyView.
template <typename Key>
size_t CanonicalKeySize(const Key& key) {
  size_t n = key.ns.size() + key.metric.size() + 2;
  for (const auto& d : key.dimensions) n += d.name.size() + d.value.size() + 2;
  return n;
}

// Appends tsdb::CanonicalKeyString(key) (same bytes) to *out. Implemented here so the block
// library does not depend on the engine's.
template <typename Key>
void AppendCanonicalKey(const Key& key, std::string* out) {
  out->reserve(out->size() + CanonicalKeySize(key));
  out->append(key.ns);
  out->push_back('\0');
  out->append(key.metric);
  out->push_back('\0');
  for (const auto& d : key.dimensions) {
    out->append(d.name);
    out->push_back('\1');
    out->append(d.value);
    out->push_back('\0');
  }
}

// Collects the index of a block being written. Not thread-safe.
class IndexBuilder {
 public:
  // Records one series (key, unit, last_append_ms) whose record takes `record_bytes` bytes
  // (checksum included) in the chunks file, after the previous series' record.
  void Add(const SeriesData& series, uint64_t record_bytes);
  size_t num_series() const { return last_append_.size(); }
  // The bytes of the index file; symbols are sorted and renumbered here.
  std::string Finish(int64_t time_origin) const;

 private:
  uint32_t Intern(const std::string& s);

  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<const std::string*> symbols_;  // by id, pointing into ids_' keys
  // Per series: ns, metric, unit, dimension count, then name/value pairs (symbol ids).
  std::vector<uint32_t> refs_;
  std::vector<int64_t> last_append_;
  std::vector<uint64_t> record_bytes_;
};

// A parsed index, as held by a BlockReader. Immutable, so thread-safe.
//
// Memory is what a store with many blocks pays per series per block, so the layout is packed
// (~18 bytes a series for keys of three dimensions): keys are symbol ids, split into a few
// shared "shapes" (namespace, metric, unit, dimension names) and the per-series dimension
// values; record offsets are a 64-bit base per group of 16 series plus 32-bit lengths; and
// last-append times are 32-bit offsets from the block's smallest one when they fit.
class BlockIndex {
 public:
  // Records longer than this are refused by the writer (their length is stored in 32 bits).
  static constexpr uint64_t kMaxRecordBytes = UINT32_MAX;

  // Parses the bytes of an index file. DataLoss naming `path` and the offset of the problem
  // on a checksum mismatch or malformed content.
  static StatusOr<BlockIndex> Parse(const std::string& path, std::string_view file);

  size_t size() const { return record_bytes_.size(); }
  int64_t time_origin() const { return time_origin_; }
  SeriesKey Key(size_t i) const;
  std::string_view Unit(size_t i) const;
  int64_t LastAppend(size_t i) const {
    return last_append_wide_.empty()
               ? static_cast<int64_t>(static_cast<uint64_t>(last_append_base_) +
                                      last_append_delta_[i])
               : last_append_wide_[i];
  }
  // Bytes [RecordBegin(i), RecordEnd(i)) of the chunks file hold series i (checksum last).
  uint64_t RecordBegin(size_t i) const {
    uint64_t offset = group_offsets_[i / kGroup];
    for (size_t j = i - i % kGroup; j < i; ++j) offset += record_bytes_[j];
    return offset;
  }
  uint64_t RecordEnd(size_t i) const { return RecordBegin(i) + record_bytes_[i]; }
  // The size the chunks file must have.
  uint64_t ChunksEnd() const { return chunks_end_; }
  // Index of the series whose canonical key string is `canonical`, or -1.
  int64_t Find(std::string_view canonical) const;
  void AppendCanonicalKey(size_t i, std::string* out) const;
  size_t MemoryBytes() const;

 private:
  static constexpr size_t kGroup = 16;

  std::string_view Symbol(uint64_t id) const {
    return std::string_view(symbol_bytes_)
        .substr(symbol_offsets_[id], symbol_offsets_[id + 1] - symbol_offsets_[id]);
  }
  // Cursors over the shape and the values of series i (see refs_ and shapes_).
  void Refs(size_t i, std::string_view* shape, std::string_view* values) const;

  int64_t time_origin_ = 0;
  std::string symbol_bytes_;              // every symbol, concatenated
  std::vector<uint32_t> symbol_offsets_;  // symbol id -> offset in symbol_bytes_; one extra
  // Shapes: varint symbol ids of ns, metric, unit, then the dimension count and names.
  std::string shapes_;
  std::vector<uint32_t> shape_offsets_;  // shape id -> offset in shapes_
  // Per series: varint shape id, then one varint symbol id per dimension value.
  std::string refs_;
  std::vector<uint32_t> ref_offsets_;    // series -> offset in refs_
  std::vector<uint64_t> group_offsets_;  // chunks offset of series 0, 16, 32, ...
  std::vector<uint32_t> record_bytes_;   // per series, checksum included
  uint64_t chunks_end_ = 0;
  int64_t last_append_base_ = 0;             // smallest last_append_ms of the block
  std::vector<uint32_t> last_append_delta_;  // per series, from the base, when all fit
  std::vector<int64_t> last_append_wide_;    // per series, otherwise
};

}  // namespace vigil::tsdb::block
