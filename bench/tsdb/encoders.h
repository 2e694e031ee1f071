#pragma once
// Request bodies for each bulk-ingest protocol, encoded straight from the fleet generator:
//   remote-write  Prometheus remote-write 1.0: WriteRequest protobuf (hand-encoded), snappy block
//   vm-import     Prometheus text exposition with millisecond timestamps
//   put-metric-data  CloudWatch JSON 1.0 PutMetricData (one Value per datum)
//
// Thread-safety: an Encoders is immutable after construction; the Encode functions may run
// concurrently for chunks of different series (they call FleetSource::Fill).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/tsdb/fleet_source.h"

namespace vigil::bench {

class Encoders {
 public:
  // `source` must outlive the Encoders. `ns` is the CloudWatch namespace of put-metric-data.
  Encoders(const FleetSource* source, std::string ns);

  // Uncompressed WriteRequest protobuf: one TimeSeries per series (labels sorted, __name__
  // first), its samples in time order.
  std::string RemoteWriteProto(const Chunk& chunk) const;
  // Snappy (block format) of RemoteWriteProto, the body Prometheus sends.
  std::string RemoteWriteBody(const Chunk& chunk) const;
  // One line per sample, time-major: `metric{l="v",...} value timestamp_ms`.
  std::string VmImportText(const Chunk& chunk) const;
  // {"Namespace":..,"MetricData":[datum...]}, time-major, timestamps in epoch seconds (with
  // a fraction for the fleet's sub-second phases).
  std::string PutMetricDataJson(const Chunk& chunk) const;

 private:
  const FleetSource* source_;
  std::string ns_json_;                    // JSON-escaped namespace
  std::vector<std::string> proto_labels_;  // encoded Label fields (tag 1) of each series
  std::vector<std::string> text_prefix_;   // `metric{l="v"} `
  std::vector<std::string> json_prefix_;   // `{"MetricName":..,"Dimensions":[..],"Unit":..,`
};

// gzip (RFC 1952) of `data` at zlib `level`.
std::string Gzip(std::string_view data, int level);

// Appends the shortest text that reads back as `v` exactly.
void AppendDouble(double v, std::string* out);

}  // namespace vigil::bench
