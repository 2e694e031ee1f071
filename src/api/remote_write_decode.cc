#include "api/remote_write_decode.h"

#include <snappy.h>

#include <algorithm>
#include <cmath>
#include <cstring>

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

// Builds the key of `series` from its labels. `labels` is scratch space.
Status BuildKey(const std::string& ns, std::vector<LabelView>& labels, tsdb::SeriesKey* key) {
  std::string_view name;
  bool sorted = true;
  size_t dims = 0;
  std::string_view previous;
  for (const auto& [label, value] : labels) {
    if (label.empty()) return InvalidArgumentError("remote write: empty label name");
    if (label == "__name__") {
      name = value;
      continue;
    }
    if (value.empty()) continue;
    if (dims > 0 && !(previous < label)) sorted = false;
    previous = label;
    ++dims;
  }
  if (name.empty()) return InvalidArgumentError("remote write: series without a __name__ label");
  if (!IsValidText(name)) {
    return InvalidArgumentError("remote write: invalid characters in metric name " +
                                Printable(name, 128));
  }
  if (dims > kMaxRemoteWriteDimensions) {
    return InvalidArgumentError("remote write: series " + std::string(name) + " has " +
                                std::to_string(dims) +
                                " labels besides __name__; at most 30 "
                                "are supported");
  }
  key->ns = ns;
  key->metric.assign(name);
  key->dimensions.reserve(dims);
  for (const auto& [label, value] : labels) {
    if (value.empty() || label == "__name__") continue;
    if (!IsValidText(label) || !IsValidText(value)) {
      return InvalidArgumentError("remote write: invalid characters in label " +
                                  Printable(label, 128));
    }
    key->dimensions.push_back({std::string(label), std::string(value)});
  }
  if (!sorted) std::sort(key->dimensions.begin(), key->dimensions.end());
  for (size_t i = 1; i < key->dimensions.size(); ++i) {
    if (key->dimensions[i].name == key->dimensions[i - 1].name) {
      return InvalidArgumentError("remote write: label " + key->dimensions[i].name +
                                  " repeated in series " + std::string(name));
    }
  }
  return OkStatus();
}

// The number of TimeSeries fields, so the batch is allocated once: growing a vector of 2,000
// SeriesSamples by doubling copied and page-faulted ~2x its final size per request.
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

Status DecodeWriteRequest(std::string_view data, const std::string& ns,
                          std::vector<tsdb::SeriesSamples>* out, WriteRequestStats* stats) {
  out->reserve(out->size() + CountTimeSeries(data));
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

    tsdb::SeriesSamples& series = out->emplace_back();
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
          series.raw.push_back(sample);
        }
      } else if (!r.Skip(w)) {  // exemplars, histograms, unknown fields
        return Malformed("truncated time series field");
      }
    }
    if (Status s = BuildKey(ns, labels, &series.key); !s.ok()) return s;
    if (series.raw.empty()) {
      ++stats->empty_series;
      out->pop_back();
      continue;
    }
    ++stats->series;
    stats->samples += series.raw.size();
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
