#pragma once
// A minimal protobuf encoder for prometheus.WriteRequest, for tests and the benchmark: builds
// the messages the decoder reads, independently of it.
#include <snappy.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::api::testing {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    *out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *out += static_cast<char>(v);
}
inline void PutTag(std::string* out, int field, int wire_type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | wire_type);
}
inline void PutBytes(std::string* out, int field, std::string_view data) {
  PutTag(out, field, 2);
  PutVarint(out, data.size());
  out->append(data);
}
inline void PutFixed64(std::string* out, int field, uint64_t bits) {
  PutTag(out, field, 1);
  char buf[8];
  std::memcpy(buf, &bits, 8);
  out->append(buf, 8);
}
inline uint64_t DoubleBits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

struct PromSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<uint64_t, int64_t>> samples;  // value bits, timestamp ms
};

// TimeSeries { labels = 1; samples = 2 }; with `extras`, also an exemplar (3), a histogram (4)
// and unknown fields the decoder must skip.
inline std::string EncodeTimeSeries(const PromSeries& s, bool extras = false) {
  std::string m;
  for (const auto& [name, value] : s.labels) {
    std::string label;
    PutBytes(&label, 1, name);
    PutBytes(&label, 2, value);
    PutBytes(&m, 1, label);
  }
  for (const auto& [bits, ts] : s.samples) {
    std::string sample;
    PutFixed64(&sample, 1, bits);
    PutTag(&sample, 2, 0);
    PutVarint(&sample, static_cast<uint64_t>(ts));
    PutBytes(&m, 2, sample);
  }
  if (extras) {
    PutBytes(&m, 3,
             "\x0a\x0a\x0a\x03trace\x12\x03"
             "abc");
    PutBytes(&m, 4, "histogram");
    PutTag(&m, 15, 0);
    PutVarint(&m, 12345);
    PutTag(&m, 14, 5);
    m.append("\1\2\3\4", 4);
  }
  return m;
}

// WriteRequest { timeseries = 1; metadata = 3 }.
inline std::string EncodeWriteRequest(const std::vector<std::string>& series,
                                      bool metadata = false) {
  std::string m;
  if (metadata) PutBytes(&m, 3, "\x08\x01\x12\x02up");
  for (const std::string& s : series) PutBytes(&m, 1, s);
  return m;
}

inline std::string SnappyCompress(std::string_view data) {
  std::string out;
  snappy::Compress(data.data(), data.size(), &out);
  return out;
}

}  // namespace vigil::api::testing
