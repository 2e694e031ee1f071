#include "tsdb/block/series_codec.h"

#include <algorithm>
#include <bit>
#include <memory>
#include <vector>

#include "storage/coding.h"
#include "tsdb/block/column_codec.h"

namespace vigil::tsdb::block {
namespace {

constexpr uint8_t kHasRaw = 1;
constexpr uint8_t kHasStats = 2;
constexpr uint8_t kUnitCounts = 4;  // every raw count is 1.0: the count column is omitted
constexpr uint8_t kHasRollups = 8;
// A bound on the sample count of one record, so a malformed count cannot make the decoder
// allocate without limit (a constant column legitimately holds many samples in few bytes).
constexpr uint64_t kMaxSamples = uint64_t{1} << 32;

bool IsOne(double v) { return std::bit_cast<uint64_t>(v) == std::bit_cast<uint64_t>(1.0); }

template <typename Sample, typename Field>
void EncodeFloats(const std::vector<Sample>& samples, Field field, std::vector<double>* scratch,
                  std::string* out) {
  scratch->clear();
  for (const Sample& s : samples) scratch->push_back(s.*field);
  EncodeFloatColumn(*scratch, out);
}

// Decodes the timestamp column of a section of `n` samples and finds the range [lo, hi) of
// the wanted ones.
bool DecodeTimes(std::string_view* in, size_t n, int64_t origin, int64_t min_ms, int64_t max_ms,
                 int64_t* ts, size_t* lo, size_t* hi) {
  if (!DecodeIntColumn(in, n, origin, n, ts)) return false;
  *lo = std::lower_bound(ts, ts + n, min_ms) - ts;
  *hi = std::max(*lo, static_cast<size_t>(std::lower_bound(ts, ts + n, max_ms) - ts));
  return true;
}

// The sample count, timestamps and four statistic columns of a statistic-set or rollup
// section (both sample types have the same statistic fields).
template <typename Sample>
void EncodeStatSection(const std::vector<Sample>& samples, int64_t time_origin,
                       std::vector<int64_t>* ts, std::vector<double>* scratch, std::string* out) {
  storage::PutVarint64(out, samples.size());
  ts->clear();
  for (const Sample& s : samples) ts->push_back(s.timestamp_ms);
  EncodeIntColumn(*ts, time_origin, out);
  EncodeFloats(samples, &Sample::sample_count, scratch, out);
  EncodeFloats(samples, &Sample::sum, scratch, out);
  EncodeFloats(samples, &Sample::minimum, scratch, out);
  EncodeFloats(samples, &Sample::maximum, scratch, out);
}

}  // namespace

void EncodeSeriesRecord(const SeriesData& series, int64_t time_origin, std::string* out) {
  const bool unit_counts = std::all_of(series.raw.begin(), series.raw.end(),
                                       [](const RawSample& s) { return IsOne(s.count); });
  uint8_t flags = 0;
  if (!series.raw.empty()) flags |= kHasRaw | (unit_counts ? kUnitCounts : 0);
  if (!series.stats.empty()) flags |= kHasStats;
  if (!series.rollups.empty()) flags |= kHasRollups;
  out->push_back(static_cast<char>(flags));
  std::vector<int64_t> ts;
  std::vector<double> scratch;
  if (!series.raw.empty()) {
    storage::PutVarint64(out, series.raw.size());
    for (const RawSample& s : series.raw) ts.push_back(s.timestamp_ms);
    EncodeIntColumn(ts, time_origin, out);
    EncodeFloats(series.raw, &RawSample::value, &scratch, out);
    if (!unit_counts) EncodeFloats(series.raw, &RawSample::count, &scratch, out);
  }
  if (!series.stats.empty()) EncodeStatSection(series.stats, time_origin, &ts, &scratch, out);
  if (!series.rollups.empty()) {
    EncodeStatSection(series.rollups, time_origin, &ts, &scratch, out);
    // The sketches as two integer columns, their lengths and their bytes, so the column codec
    // entropy-codes them: a sketch's bytes are mostly small bucket gaps and counts, which take
    // two to four bits each that way (a third of the bytes they are).
    ts.clear();
    size_t total = 0;
    for (const RollupSample& s : series.rollups) {
      ts.push_back(static_cast<int64_t>(s.sketch.size()));
      total += s.sketch.size();
    }
    EncodeIntColumn(ts, 0, out);
    if (total > 0) {
      ts.clear();
      for (const RollupSample& s : series.rollups) {
        for (const char b : s.sketch) ts.push_back(static_cast<uint8_t>(b));
      }
      EncodeIntColumn(ts, 0, out);
    }
  }
}

namespace {

// Decode columns, kept per thread between calls: a query decodes a whole series record (a day
// of 10 s samples is 8,640 of each), and fresh arrays of that size come from mmap or a trimmed
// heap top, page-faulting on every query. Arrays above kKeepElements are freed after use.
struct DecodeColumns {
  static constexpr size_t kKeepElements = size_t{1} << 16;
  std::vector<int64_t> ts;
  std::vector<double> cols[4];
  std::vector<int64_t> sketch_lengths;
  std::vector<int64_t> sketch_bytes;

  void Trim() {
    if (ts.capacity() > kKeepElements) std::vector<int64_t>().swap(ts);
    if (sketch_lengths.capacity() > kKeepElements) std::vector<int64_t>().swap(sketch_lengths);
    if (sketch_bytes.capacity() > kKeepElements) std::vector<int64_t>().swap(sketch_bytes);
    for (auto& c : cols) {
      if (c.capacity() > kKeepElements) std::vector<double>().swap(c);
    }
  }
};

// Resizes without value-initializing the new elements (every one is written before it is read).
template <typename T>
T* Room(std::vector<T>* v, size_t n) {
  if (v->size() < n) v->resize(n);
  return v->data();
}

// Decodes the header and columns EncodeStatSection wrote: *n samples, of which [*lo, *hi)
// are wanted, their timestamps at *ts and the four statistic columns at cols (valid below *hi).
bool DecodeStatSection(std::string_view* in, int64_t time_origin, int64_t min_ms, int64_t max_ms,
                       DecodeColumns* c, uint64_t* n, size_t* lo, size_t* hi, int64_t** ts,
                       double* cols[4]) {
  if (!storage::GetVarint64(in, n) || *n == 0 || *n > kMaxSamples) return false;
  *ts = Room(&c->ts, *n);
  if (!DecodeTimes(in, *n, time_origin, min_ms, max_ms, *ts, lo, hi)) return false;
  for (int k = 0; k < 4; ++k) {
    cols[k] = Room(&c->cols[k], *hi);
    if (!DecodeFloatColumn(in, *n, *hi, cols[k])) return false;
  }
  return true;
}

bool DecodeRecord(std::string_view in, int64_t time_origin, int64_t min_ms, int64_t max_ms,
                  DecodeColumns* c, SeriesData* out, RawColumnSink* sink, bool sketches) {
  if (in.empty()) return false;
  const uint8_t flags = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if ((flags & ~(kHasRaw | kHasStats | kUnitCounts | kHasRollups)) != 0) return false;
  if ((flags & kUnitCounts) != 0 && (flags & kHasRaw) == 0) return false;
  size_t lo = 0;
  size_t hi = 0;
  uint64_t n = 0;
  if ((flags & kHasRaw) != 0) {
    if (!storage::GetVarint64(&in, &n) || n == 0 || n > kMaxSamples) return false;
    int64_t* ts = Room(&c->ts, n);
    if (!DecodeTimes(&in, n, time_origin, min_ms, max_ms, ts, &lo, &hi)) return false;
    double* values = Room(&c->cols[0], hi);
    if (!DecodeFloatColumn(&in, n, hi, values)) return false;
    double* counts = nullptr;
    if ((flags & kUnitCounts) == 0) {
      counts = Room(&c->cols[1], hi);
      if (!DecodeFloatColumn(&in, n, hi, counts)) return false;
    }
    if (sink != nullptr) {
      if (hi > lo) sink->OnRawColumns(ts + lo, values + lo, counts ? counts + lo : nullptr, hi - lo);
    } else {
      const size_t old = out->raw.size();
      out->raw.resize(old + (hi - lo));
      RawSample* dst = out->raw.data() + old;
      for (size_t i = lo; i < hi; ++i, ++dst) {
        dst->timestamp_ms = ts[i];
        dst->value = values[i];
        dst->count = counts ? counts[i] : 1.0;
      }
    }
  }
  int64_t* ts;
  double* cols[4];
  if ((flags & kHasStats) != 0) {
    if (!DecodeStatSection(&in, time_origin, min_ms, max_ms, c, &n, &lo, &hi, &ts, cols)) {
      return false;
    }
    out->stats.reserve(out->stats.size() + (hi - lo));
    for (size_t i = lo; i < hi; ++i) {
      out->stats.push_back(StatSample{ts[i], cols[0][i], cols[1][i], cols[2][i], cols[3][i]});
    }
  }
  if ((flags & kHasRollups) != 0) {
    if (!DecodeStatSection(&in, time_origin, min_ms, max_ms, c, &n, &lo, &hi, &ts, cols)) {
      return false;
    }
    if (!sketches) {
      // The sketch columns end the record (its checksum already matched): stop here.
      for (size_t i = lo; i < hi; ++i) {
        out->rollups.push_back(RollupSample{ts[i], cols[0][i], cols[1][i], cols[2][i], cols[3][i], {}});
      }
      return true;
    }
    int64_t* lengths = Room(&c->sketch_lengths, n);
    if (!DecodeIntColumn(&in, n, 0, n, lengths)) return false;
    // Bytes of the sketches before point i, for i = lo, hi and n.
    uint64_t total = 0, before_lo = 0, before_hi = 0;
    for (size_t i = 0; i <= n; ++i) {
      if (i == lo) before_lo = total;
      if (i == hi) before_hi = total;
      if (i == n) break;
      if (lengths[i] < 0 || static_cast<uint64_t>(lengths[i]) > kMaxSamples) return false;
      total += static_cast<uint64_t>(lengths[i]);
    }
    if (total > kMaxSamples) return false;
    int64_t* bytes = nullptr;
    if (total > 0) {
      bytes = Room(&c->sketch_bytes, total);
      if (!DecodeIntColumn(&in, total, 0, before_hi, bytes)) return false;
    }
    out->rollups.reserve(out->rollups.size() + (hi - lo));
    uint64_t off = before_lo;
    for (size_t i = lo; i < hi; ++i) {
      RollupSample r{ts[i], cols[0][i], cols[1][i], cols[2][i], cols[3][i], {}};
      r.sketch.resize(static_cast<size_t>(lengths[i]));
      for (char& b : r.sketch) {
        const int64_t v = bytes[off++];
        if (v < 0 || v > 255) return false;
        b = static_cast<char>(v);
      }
      out->rollups.push_back(std::move(r));
    }
  }
  return in.empty();
}

}  // namespace

bool DecodeSeriesRecord(std::string_view in, int64_t time_origin, int64_t min_ms, int64_t max_ms,
                        SeriesData* out, RawColumnSink* raw, bool sketches) {
  thread_local DecodeColumns columns;
  const bool ok = DecodeRecord(in, time_origin, min_ms, max_ms, &columns, out, raw, sketches);
  columns.Trim();
  return ok;
}

}  // namespace vigil::tsdb::block
