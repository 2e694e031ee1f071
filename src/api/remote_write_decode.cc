#include "api/remote_write_decode.h"

#include <snappy.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

#include "api/text.h"

namespace vigil::api {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// A cursor over protobuf bytes. Every Read returns false on truncated or malformed input.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view data)
      : p_(reinterpret_cast<const uint8_t*>(data.data())), end_(p_ + data.size()) {}

  bool done() const { return p_ == end_; }

  bool ReadVarint(uint64_t* v) {
    // One-byte fast path: tags and small lengths.
    if (p_ < end_ && *p_ < 0x80) {
      *v = *p_++;
      return true;
    }
    uint64_t result = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      const uint8_t b = *p_++;
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool ReadTag(uint32_t* field, uint32_t* wire_type) {
    uint64_t tag;
    if (!ReadVarint(&tag) || tag > 0xFFFFFFFFu) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    return *field != 0;
  }

  bool ReadBytes(std::string_view* out) {
    uint64_t len;
    if (!ReadVarint(&len) || len > static_cast<uint64_t>(end_ - p_)) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p_), len);
    p_ += len;
    return true;
  }

  bool ReadFixed64(uint64_t* v) {
    if (end_ - p_ < 8) return false;
    std::memcpy(v, p_, 8);  // little-endian on every platform we build for
    p_ += 8;
    return true;
  }

  bool Skip(uint32_t wire_type) {
    uint64_t ignored;
    std::string_view bytes;
    switch (wire_type) {
      case kVarint:
        return ReadVarint(&ignored);
      case kFixed64:
        return ReadFixed64(&ignored);
      case kLengthDelimited:
        return ReadBytes(&bytes);
      case kFixed32:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      default:  // groups (3, 4) are not used by remote write
        return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

Status Malformed(std::string_view what) {
  return InvalidArgumentError("malformed remote-write request: " + std::string(what));
}

using LabelView = std::pair<std::string_view, std::string_view>;

bool DecodeLabel(std::string_view data, LabelView* label) {
  ProtoReader r(data);
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt)) return false;
    if (field == 1 && wt == kLengthDelimited) {
      if (!r.ReadBytes(&label->first)) return false;
    } else if (field == 2 && wt == kLengthDelimited) {
      if (!r.ReadBytes(&label->second)) return false;
    } else if (!r.Skip(wt)) {
      return false;
    }
  }
  return true;
}

bool DecodeSample(std::string_view data, tsdb::RawSample* sample) {
  ProtoReader r(data);
  uint64_t bits = 0, ts = 0;
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt)) return false;
    if (field == 1 && wt == kFixed64) {
      if (!r.ReadFixed64(&bits)) return false;
    } else if (field == 2 && wt == kVarint) {
      if (!r.ReadVarint(&ts)) return false;
    } else if (!r.Skip(wt)) {
      return false;
    }
  }
  std::memcpy(&sample->value, &bits, 8);
  sample->timestamp_ms = static_cast<int64_t>(ts);
  sample->count = 1;
  return true;
}

// Appends the dimensions of a series with these labels to *dims and returns the metric name
// (the __name__ label) in *name.
Status AppendDimensions(std::span<const LabelView> labels, std::string_view* name,
                        std::vector<tsdb::DimensionView>* dims) {
  const size_t first = dims->size();
  *name = {};
  bool sorted = true;
  for (const auto& [label, value] : labels) {
    if (label.empty()) return InvalidArgumentError("remote write: empty label name");
    if (label == "__name__") {
      *name = value;
      continue;
    }
    if (value.empty()) continue;
    if (!IsValidText(label) || !IsValidText(value)) {
      return InvalidArgumentError("remote write: invalid characters in label " +
                                  Printable(label, 128));
    }
    if (dims->size() > first && !(dims->back().name < label)) sorted = false;
    dims->push_back({label, value});
  }
  if (name->empty()) return InvalidArgumentError("remote write: series without a __name__ label");
  if (!IsValidText(*name)) {
    return InvalidArgumentError("remote write: invalid characters in metric name " +
                                Printable(*name, 128));
  }
  const auto begin = dims->begin() + static_cast<ptrdiff_t>(first);
  const size_t count = dims->size() - first;
  if (count > kMaxRemoteWriteDimensions) {
    return InvalidArgumentError("remote write: series " + std::string(*name) + " has " +
                                std::to_string(count) +
                                " labels besides __name__; at most 30 are supported");
  }
  if (!sorted) {
    std::sort(begin, dims->end(), [](const tsdb::DimensionView& a, const tsdb::DimensionView& b) {
      return a.name < b.name;
    });
  }
  const auto repeated = std::adjacent_find(
      begin, dims->end(),
      [](const tsdb::DimensionView& a, const tsdb::DimensionView& b) { return a.name == b.name; });
  if (repeated != dims->end()) {
    return InvalidArgumentError("remote write: label " + std::string(repeated->name) +
                                " repeated in series " + std::string(*name));
  }
  return OkStatus();
}

// The number of TimeSeries fields, so the series are allocated once.
size_t CountTimeSeries(std::string_view data) {
  ProtoReader r(data);
  size_t n = 0;
  while (!r.done()) {
    uint32_t field, wt;
    if (!r.ReadTag(&field, &wt) || !r.Skip(wt)) break;  // the real pass reports the error
    if (field == 1 && wt == kLengthDelimited) ++n;
  }
  return n;
}

}  // namespace

Status DecodeWriteRequest(std::string_view data, std::string_view ns, DecodedWrite* out,
                          WriteRequestStats* stats) {
  out->series.clear();
  out->dimensions.clear();
  out->samples.clear();
  // Where each series' dimensions and samples start: the buffers may still move while they
  // grow, so the views are made at the end.
  struct Extent {
    size_t dims_end;
    size_t samples_end;
  };
  std::vector<Extent> extents;
  extents.reserve(CountTimeSeries(data));
  out->series.reserve(extents.capacity());
  ProtoReader request(data);
  std::vector<LabelView> labels;
  labels.reserve(32);
  while (!request.done()) {
    uint32_t field, wt;
    if (!request.ReadTag(&field, &wt)) return Malformed("bad tag");
    if (field != 1 || wt != kLengthDelimited) {
      if (!request.Skip(wt)) return Malformed("truncated field");
      continue;
    }
    std::string_view ts_bytes;
    if (!request.ReadBytes(&ts_bytes)) return Malformed("truncated time series");

    const size_t first_sample = out->samples.size();
    labels.clear();
    ProtoReader r(ts_bytes);
    while (!r.done()) {
      uint32_t f, w;
      std::string_view bytes;
      if (!r.ReadTag(&f, &w)) return Malformed("bad tag in time series");
      if ((f == 1 || f == 2) && w == kLengthDelimited) {
        if (!r.ReadBytes(&bytes)) return Malformed("truncated time series field");
        if (f == 1) {
          LabelView label;
          if (!DecodeLabel(bytes, &label)) return Malformed("bad label");
          labels.push_back(label);
          continue;
        }
        tsdb::RawSample sample;
        if (!DecodeSample(bytes, &sample)) return Malformed("bad sample");
        uint64_t bits;
        std::memcpy(&bits, &sample.value, 8);
        if (bits == kPrometheusStaleNaN) {
          ++stats->stale_markers;
        } else if (!std::isfinite(sample.value)) {
          ++stats->invalid_values;
        } else {
          out->samples.push_back(sample);
        }
      } else if (!r.Skip(w)) {  // exemplars, histograms, unknown fields
        return Malformed("truncated time series field");
      }
    }
    const size_t first_dim = out->dimensions.size();
    std::string_view name;
    RETURN_IF_ERROR(AppendDimensions(labels, &name, &out->dimensions));
    const size_t num_samples = out->samples.size() - first_sample;
    if (num_samples == 0) {
      ++stats->empty_series;
      out->dimensions.resize(first_dim);
      continue;
    }
    ++stats->series;
    stats->samples += num_samples;
    tsdb::SeriesSamplesView& series = out->series.emplace_back();
    series.key.ns = ns;
    series.key.metric = name;
    extents.push_back({out->dimensions.size(), out->samples.size()});
  }
  size_t dims_begin = 0, samples_begin = 0;
  for (size_t i = 0; i < out->series.size(); ++i) {
    tsdb::SeriesSamplesView& series = out->series[i];
    series.key.dimensions =
        std::span(out->dimensions).subspan(dims_begin, extents[i].dims_end - dims_begin);
    series.raw = std::span(out->samples).subspan(samples_begin, extents[i].samples_end - samples_begin);
    dims_begin = extents[i].dims_end;
    samples_begin = extents[i].samples_end;
  }
  return OkStatus();
}

Status SnappyUncompress(std::string_view data, size_t max_bytes, std::string* out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(data.data(), data.size(), &length)) {
    return InvalidArgumentError("remote write: body is not a snappy block");
  }
  if (length > max_bytes) {
    return ResourceExhaustedError("remote write: uncompressed body of " + std::to_string(length) +
                                  " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  out->resize(length);
  if (!snappy::RawUncompress(data.data(), data.size(), out->data())) {
    return InvalidArgumentError("remote write: corrupt snappy block");
  }
  return OkStatus();
}

}  // namespace vigil::api
