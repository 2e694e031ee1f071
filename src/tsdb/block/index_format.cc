#include "tsdb/block/index_format.h"

#include <zstd.h>

#include <algorithm>
#include <numeric>

#include "storage/coding.h"
#include "storage/crc32c.h"

namespace vigil::tsdb::block {
namespace {

enum Compression : uint8_t { kNone = 0, kZstd = 1 };
constexpr size_t kHeaderBytes = 12;  // magic, version, compression, 2 zero bytes, body length
constexpr int kZstdLevel = 9;        // the index is small; favour size
constexpr uint64_t kMaxBodyBytes = uint64_t{1} << 32;

Status Malformed(const std::string& path, uint64_t offset, std::string_view what) {
  return DataLossError("block index " + path + " offset " + std::to_string(offset) + ": " +
                       std::string(what));
}

}  // namespace

uint32_t IndexBuilder::Intern(const std::string& s) {
  const auto [it, inserted] = ids_.try_emplace(s, static_cast<uint32_t>(symbols_.size()));
  if (inserted) symbols_.push_back(&it->first);
  return it->second;
}

void IndexBuilder::Add(const SeriesData& series, uint64_t record_bytes) {
  refs_.push_back(Intern(series.key.ns));
  refs_.push_back(Intern(series.key.metric));
  refs_.push_back(Intern(series.unit));
  refs_.push_back(static_cast<uint32_t>(series.key.dimensions.size()));
  for (const Dimension& d : series.key.dimensions) {
    refs_.push_back(Intern(d.name));
    refs_.push_back(Intern(d.value));
  }
  last_append_.push_back(series.last_append_ms);
  record_bytes_.push_back(record_bytes);
}

std::string IndexBuilder::Finish(int64_t time_origin) const {
  // Sorted symbols make the table deterministic and compress better.
  std::vector<uint32_t> order(symbols_.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return *symbols_[a] < *symbols_[b]; });
  std::vector<uint32_t> new_id(symbols_.size());
  for (uint32_t k = 0; k < order.size(); ++k) new_id[order[k]] = k;

  std::string body;
  storage::PutVarsint64(&body, time_origin);
  storage::PutVarint64(&body, symbols_.size());
  for (const uint32_t old : order) storage::PutLengthPrefixed(&body, *symbols_[old]);
  storage::PutVarint64(&body, last_append_.size());
  size_t r = 0;
  int64_t prev_append = 0;
  for (size_t i = 0; i < last_append_.size(); ++i) {
    for (int k = 0; k < 3; ++k) storage::PutVarint64(&body, new_id[refs_[r++]]);
    const uint32_t ndims = refs_[r++];
    storage::PutVarint64(&body, ndims);
    for (uint32_t k = 0; k < 2 * ndims; ++k) storage::PutVarint64(&body, new_id[refs_[r++]]);
    storage::PutVarsint64(&body, static_cast<int64_t>(static_cast<uint64_t>(last_append_[i]) -
                                                      static_cast<uint64_t>(prev_append)));
    prev_append = last_append_[i];
    storage::PutVarint64(&body, record_bytes_[i]);
  }

  std::string compressed(ZSTD_compressBound(body.size()), '\0');
  const size_t n =
      ZSTD_compress(compressed.data(), compressed.size(), body.data(), body.size(), kZstdLevel);
  const bool use_zstd = !ZSTD_isError(n) && n < body.size();
  std::string file(kIndexMagic, 4);
  file.push_back(static_cast<char>(kFormatVersion));
  file.push_back(static_cast<char>(use_zstd ? kZstd : kNone));
  file.append(2, '\0');
  storage::PutFixed32(&file, static_cast<uint32_t>(body.size()));
  file.append(use_zstd ? std::string_view(compressed.data(), n) : std::string_view(body));
  storage::PutFixed32(&file, storage::crc32c::Value(file));
  return file;
}

StatusOr<BlockIndex> BlockIndex::Parse(const std::string& path, std::string_view file) {
  if (file.size() < kHeaderBytes + 4) return Malformed(path, 0, "file too short");
  const uint32_t stored_crc = storage::DecodeFixed32(file.data() + file.size() - 4);
  if (storage::crc32c::Extend(0, file.data(), file.size() - 4) != stored_crc) {
    return Malformed(path, file.size() - 4, "checksum mismatch");
  }
  if (file.substr(0, 4) != std::string_view(kIndexMagic, 4)) return Malformed(path, 0, "bad magic");
  if (static_cast<uint8_t>(file[4]) != kFormatVersion) {
    return Malformed(path, 4, "unsupported version " + std::to_string(uint8_t(file[4])));
  }
  const uint8_t compression = static_cast<uint8_t>(file[5]);
  const uint64_t body_size = storage::DecodeFixed32(file.data() + 8);
  const std::string_view stored = file.substr(kHeaderBytes, file.size() - kHeaderBytes - 4);
  std::string body;
  if (compression == kZstd) {
    if (body_size > kMaxBodyBytes) return Malformed(path, 8, "body too large");
    body.resize(body_size);
    const size_t n = ZSTD_decompress(body.data(), body.size(), stored.data(), stored.size());
    if (ZSTD_isError(n) || n != body_size) return Malformed(path, kHeaderBytes, "bad zstd body");
  } else if (compression == kNone && stored.size() == body_size) {
    body.assign(stored);
  } else {
    return Malformed(path, 5, "bad compression or body length");
  }

  // Offsets below are within the (decompressed) body, which starts at file offset 12.
  BlockIndex index;
  std::string_view in(body);
  auto here = [&] { return kHeaderBytes + (body.size() - in.size()); };
  auto bad = [&](std::string_view what) {
    return Malformed(path, here(), std::string(what) + " (offset in the decompressed body)");
  };
  uint64_t num_symbols = 0;
  if (!storage::GetVarsint64(&in, &index.time_origin_) ||
      !storage::GetVarint64(&in, &num_symbols) || num_symbols > in.size()) {
    return bad("bad symbol table header");
  }
  index.symbol_offsets_.reserve(num_symbols + 1);
  for (uint64_t k = 0; k < num_symbols; ++k) {
    std::string_view sym;
    if (!storage::GetLengthPrefixed(&in, &sym)) return bad("truncated symbol");
    index.symbol_offsets_.push_back(static_cast<uint32_t>(index.symbol_bytes_.size()));
    index.symbol_bytes_.append(sym);
  }
  index.symbol_offsets_.push_back(static_cast<uint32_t>(index.symbol_bytes_.size()));
  uint64_t num_series = 0;
  if (!storage::GetVarint64(&in, &num_series) || num_series > in.size()) {
    return bad("bad series count");
  }
  index.ref_offsets_.reserve(num_series);
  index.record_bytes_.reserve(num_series);
  index.group_offsets_.reserve((num_series + kGroup - 1) / kGroup);
  std::vector<int64_t> last_appends;
  last_appends.reserve(num_series);
  std::unordered_map<std::string, uint32_t> shape_ids;
  std::string shape;
  std::string values;
  uint64_t offset = kChunksHeaderBytes;
  int64_t last_append = 0;
  auto symbol = [&](uint64_t* v) { return storage::GetVarint64(&in, v) && *v < num_symbols; };
  for (uint64_t i = 0; i < num_series; ++i) {
    shape.clear();
    values.clear();
    uint64_t v = 0;
    for (int k = 0; k < 3; ++k) {
      if (!symbol(&v)) return bad("bad symbol reference");
      storage::PutVarint64(&shape, v);
    }
    uint64_t ndims = 0;
    if (!storage::GetVarint64(&in, &ndims) || ndims > in.size()) return bad("bad dimension count");
    storage::PutVarint64(&shape, ndims);
    for (uint64_t k = 0; k < ndims; ++k) {
      if (!symbol(&v)) return bad("bad symbol reference");
      storage::PutVarint64(&shape, v);
      if (!symbol(&v)) return bad("bad symbol reference");
      storage::PutVarint64(&values, v);
    }
    const auto [it, added] = shape_ids.try_emplace(shape, index.shape_offsets_.size());
    if (added) {
      index.shape_offsets_.push_back(static_cast<uint32_t>(index.shapes_.size()));
      index.shapes_.append(shape);
    }
    index.ref_offsets_.push_back(static_cast<uint32_t>(index.refs_.size()));
    storage::PutVarint64(&index.refs_, it->second);
    index.refs_.append(values);

    int64_t delta = 0;
    uint64_t record_bytes = 0;
    if (!storage::GetVarsint64(&in, &delta) || !storage::GetVarint64(&in, &record_bytes) ||
        record_bytes < 5 || record_bytes > kMaxRecordBytes) {
      return bad("bad series entry");
    }
    last_append =
        static_cast<int64_t>(static_cast<uint64_t>(last_append) + static_cast<uint64_t>(delta));
    last_appends.push_back(last_append);
    if (i % kGroup == 0) index.group_offsets_.push_back(offset);
    index.record_bytes_.push_back(static_cast<uint32_t>(record_bytes));
    offset += record_bytes;
  }
  if (!in.empty()) return bad("trailing bytes");
  index.chunks_end_ = offset;
  if (!last_appends.empty()) {
    const auto [lo, hi] = std::minmax_element(last_appends.begin(), last_appends.end());
    if (static_cast<uint64_t>(*hi) - static_cast<uint64_t>(*lo) <= UINT32_MAX) {
      index.last_append_base_ = *lo;
      index.last_append_delta_.reserve(last_appends.size());
      for (const int64_t t : last_appends) {
        index.last_append_delta_.push_back(
            static_cast<uint32_t>(static_cast<uint64_t>(t) - static_cast<uint64_t>(*lo)));
      }
    } else {
      index.last_append_wide_ = std::move(last_appends);
    }
  }
  index.symbol_bytes_.shrink_to_fit();
  index.shapes_.shrink_to_fit();
  index.shape_offsets_.shrink_to_fit();
  index.refs_.shrink_to_fit();
  return index;
}

void BlockIndex::Refs(size_t i, std::string_view* shape, std::string_view* values) const {
  *values = std::string_view(refs_).substr(ref_offsets_[i]);
  uint64_t id = 0;
  storage::GetVarint64(values, &id);
  *shape = std::string_view(shapes_).substr(shape_offsets_[id]);
}

SeriesKey BlockIndex::Key(size_t i) const {
  std::string_view shape, values;
  Refs(i, &shape, &values);
  uint64_t ns = 0, metric = 0, unit = 0, ndims = 0;
  storage::GetVarint64(&shape, &ns);
  storage::GetVarint64(&shape, &metric);
  storage::GetVarint64(&shape, &unit);
  storage::GetVarint64(&shape, &ndims);
  SeriesKey key{std::string(Symbol(ns)), std::string(Symbol(metric)), {}};
  key.dimensions.reserve(ndims);
  for (uint64_t k = 0; k < ndims; ++k) {
    uint64_t name = 0, value = 0;
    storage::GetVarint64(&shape, &name);
    storage::GetVarint64(&values, &value);
    key.dimensions.push_back(Dimension{std::string(Symbol(name)), std::string(Symbol(value))});
  }
  return key;
}

std::string_view BlockIndex::Unit(size_t i) const {
  std::string_view shape, values;
  Refs(i, &shape, &values);
  uint64_t v = 0;
  for (int k = 0; k < 3; ++k) storage::GetVarint64(&shape, &v);
  return Symbol(v);
}

void BlockIndex::AppendCanonicalKey(size_t i, std::string* out) const {
  std::string_view shape, values;
  Refs(i, &shape, &values);
  uint64_t ns = 0, metric = 0, unit = 0, ndims = 0;
  storage::GetVarint64(&shape, &ns);
  storage::GetVarint64(&shape, &metric);
  storage::GetVarint64(&shape, &unit);
  storage::GetVarint64(&shape, &ndims);
  out->append(Symbol(ns));
  out->push_back('\0');
  out->append(Symbol(metric));
  out->push_back('\0');
  for (uint64_t k = 0; k < ndims; ++k) {
    uint64_t name = 0, value = 0;
    storage::GetVarint64(&shape, &name);
    storage::GetVarint64(&values, &value);
    out->append(Symbol(name));
    out->push_back('\1');
    out->append(Symbol(value));
    out->push_back('\0');
  }
}

int64_t BlockIndex::Find(std::string_view canonical) const {
  size_t lo = 0;
  size_t hi = size();
  std::string probe;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    probe.clear();
    AppendCanonicalKey(mid, &probe);
    const int c = std::string_view(probe).compare(canonical);
    if (c == 0) return static_cast<int64_t>(mid);
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return -1;
}

size_t BlockIndex::MemoryBytes() const {
  return sizeof(*this) + symbol_bytes_.capacity() + symbol_offsets_.capacity() * 4 +
         shapes_.capacity() + shape_offsets_.capacity() * 4 + refs_.capacity() +
         ref_offsets_.capacity() * 4 + group_offsets_.capacity() * 8 +
         record_bytes_.capacity() * 4 + last_append_delta_.capacity() * 4 +
         last_append_wide_.capacity() * 8;
}

}  // namespace vigil::tsdb::block
