#include "bench/tsdb/encoders.h"

#include "http/http.h"

#include <snappy.h>
#include <zlib.h>

#include <charconv>
#include <cstring>

namespace vigil::bench {
namespace {

// Protobuf wire-format helpers (https://protobuf.dev/programming-guides/encoding/).
void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutLengthDelimited(int field, std::string_view bytes, std::string* out) {
  PutVarint(static_cast<uint64_t>(field) << 3 | 2, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

// The encoded size of a Sample {double value = 1; int64 timestamp = 2;}.
size_t SampleLength(int64_t ts) { return 1 + 8 + 1 + VarintLength(static_cast<uint64_t>(ts)); }

void PutSample(double value, int64_t ts, std::string* out) {
  out->push_back(0x09);  // field 1, fixed64
  char raw[8];
  std::memcpy(raw, &value, 8);  // little-endian hosts only (x86-64, arm64)
  out->append(raw, 8);
  out->push_back(0x10);  // field 2, varint
  PutVarint(static_cast<uint64_t>(ts), out);
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

}  // namespace

void AppendDouble(double v, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

Encoders::Encoders(const FleetSource* source, std::string ns) : source_(source) {
  AppendJsonString(ns, &ns_json_);
  const size_t n = source->series();
  proto_labels_.resize(n);
  text_prefix_.resize(n);
  json_prefix_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const SeriesMeta& m = source->meta(i);
    std::string label;
    PutLengthDelimited(1, "__name__", &label);
    PutLengthDelimited(2, m.metric, &label);
    PutLengthDelimited(1, label, &proto_labels_[i]);
    std::string& text = text_prefix_[i];
    text = m.metric + "{";
    std::string& json = json_prefix_[i];
    json = "{\"MetricName\":";
    AppendJsonString(m.metric, &json);
    json += ",\"Dimensions\":[";
    for (size_t d = 0; d < m.labels.size(); ++d) {
      const auto& [name, value] = m.labels[d];
      label.clear();
      PutLengthDelimited(1, name, &label);
      PutLengthDelimited(2, value, &label);
      PutLengthDelimited(1, label, &proto_labels_[i]);
      if (d > 0) text += ',';
      text += name + "=\"" + value + "\"";  // fleet label values need no escaping
      if (d > 0) json += ',';
      json += "{\"Name\":";
      AppendJsonString(name, &json);
      json += ",\"Value\":";
      AppendJsonString(value, &json);
      json += '}';
    }
    text += "} ";
    json += "],\"Unit\":";
    AppendJsonString(m.unit, &json);
    json += ",\"Timestamp\":";
  }
}

std::string Encoders::RemoteWriteProto(const Chunk& c) const {
  std::vector<tsdb::RawSample> samples;
  source_->Fill(c, &samples);
  const size_t n = static_cast<size_t>(c.step_hi - c.step_lo);
  std::string out;
  out.reserve((c.series_hi - c.series_lo) * (n * 18 + 160));
  for (size_t i = c.series_lo; i < c.series_hi; ++i) {
    const tsdb::RawSample* row = &samples[(i - c.series_lo) * n];
    size_t samples_len = 0;
    for (size_t k = 0; k < n; ++k) {
      const size_t len = SampleLength(row[k].timestamp_ms);
      samples_len += 1 + VarintLength(len) + len;
    }
    const std::string& labels = proto_labels_[i];
    out.push_back(0x0a);  // WriteRequest.timeseries, field 1
    PutVarint(labels.size() + samples_len, &out);
    out += labels;
    for (size_t k = 0; k < n; ++k) {
      out.push_back(0x12);  // TimeSeries.samples, field 2
      PutVarint(SampleLength(row[k].timestamp_ms), &out);
      PutSample(row[k].value, row[k].timestamp_ms, &out);
    }
  }
  return out;
}

std::string Encoders::RemoteWriteBody(const Chunk& chunk) const {
  std::string proto = RemoteWriteProto(chunk);
  std::string out;
  snappy::Compress(proto.data(), proto.size(), &out);
  return out;
}

std::string Encoders::VmImportText(const Chunk& c) const {
  std::vector<tsdb::RawSample> samples;
  source_->Fill(c, &samples);
  const size_t n = static_cast<size_t>(c.step_hi - c.step_lo);
  std::string out;
  out.reserve(c.samples() * (text_prefix_.empty() ? 0 : text_prefix_[c.series_lo].size() + 32));
  for (int64_t s = c.step_lo; s < c.step_hi; ++s) {
    for (size_t i = c.series_lo; i < c.series_hi; ++i) {
      const tsdb::RawSample& x =
          samples[(i - c.series_lo) * n + static_cast<size_t>(s - c.step_lo)];
      out += text_prefix_[i];
      AppendDouble(x.value, &out);
      out.push_back(' ');
      AppendInt(x.timestamp_ms, &out);
      out.push_back('\n');
    }
  }
  return out;
}

std::string Encoders::PutMetricDataJson(const Chunk& c) const {
  std::vector<tsdb::RawSample> samples;
  source_->Fill(c, &samples);
  const size_t n = static_cast<size_t>(c.step_hi - c.step_lo);
  std::string out = "{\"Namespace\":" + ns_json_ + ",\"MetricData\":[";
  out.reserve(c.samples() * (json_prefix_.empty() ? 0 : json_prefix_[c.series_lo].size() + 40));
  bool first = true;
  for (int64_t s = c.step_lo; s < c.step_hi; ++s) {
    for (size_t i = c.series_lo; i < c.series_hi; ++i) {
      const tsdb::RawSample& x =
          samples[(i - c.series_lo) * n + static_cast<size_t>(s - c.step_lo)];
      const int64_t ts = x.timestamp_ms;
      if (!first) out.push_back(',');
      first = false;
      out += json_prefix_[i];
      if (ts % 1000 == 0) {
        AppendInt(ts / 1000, &out);
      } else {
        AppendDouble(static_cast<double>(ts) / 1000, &out);
      }
      out += ",\"Value\":";
      AppendDouble(x.value, &out);
      out.push_back('}');
    }
  }
  out += "]}";
  return out;
}

std::string Gzip(std::string_view data, int level) { return http::Gzip(data, level); }

}  // namespace vigil::bench
