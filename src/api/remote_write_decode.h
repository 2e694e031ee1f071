#pragma once
// Prometheus remote-write 1.0 payloads: a snappy block holding a protobuf prometheus.WriteRequest
// {repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3}, TimeSeries
// {repeated Label labels = 1; repeated Sample samples = 2; exemplars = 3; histograms = 4},
// Label {string name = 1; string value = 2}, Sample {double value = 1; int64 timestamp = 2}.
//
// The decoder is hand-written and decodes into views: labels stay in the payload, and a
// request's dimensions and samples fill two buffers, so decoding allocates nothing per series.
// It skips metadata, exemplars, histograms and unknown fields. Pure functions, thread-safe.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tsdb/tsdb_types.h"

namespace vigil::api {

inline constexpr uint64_t kPrometheusStaleNaN = 0x7ff0000000000002ULL;
inline constexpr size_t kMaxRemoteWriteDimensions = 30;

struct WriteRequestStats {
  size_t series = 0;          // series appended to the batch
  size_t samples = 0;         // samples appended to the batch
  size_t stale_markers = 0;   // dropped: Prometheus staleness markers
  size_t invalid_values = 0;  // dropped: other NaN and ±Inf values
  size_t empty_series = 0;    // series left without samples, not appended
};

// A decoded WriteRequest. `series` views the payload, the namespace given to the decoder and
// the two buffers below: valid while all of those are, and until the next decode into it.
struct DecodedWrite {
  std::vector<tsdb::SeriesSamplesView> series;
  std::vector<tsdb::DimensionView> dimensions;  // of every series, in order
  std::vector<tsdb::RawSample> samples;         // of every series, in order
};

// Decodes into *out (cleared first) one series per TimeSeries that keeps at least one sample:
// namespace `ns`, metric = the __name__ label, the other labels as dimensions sorted by name
// (labels with an empty value are absent labels in Prometheus, and are left out), unit
// "None". InvalidArgument (with *out in an unspecified state) on a malformed message, a series
// without __name__, an empty or repeated label name, more than 30 dimensions, or label text
// that is not valid UTF-8 or holds control characters.
Status DecodeWriteRequest(std::string_view data, std::string_view ns, DecodedWrite* out,
                          WriteRequestStats* stats);

// Uncompresses a raw snappy block (remote write does not use the framing format). The
// declared length is checked before anything is allocated: ResourceExhausted when it exceeds
// max_bytes, InvalidArgument when the block is corrupt.
Status SnappyUncompress(std::string_view data, size_t max_bytes, std::string* out);

}  // namespace vigil::api
