#pragma once
// Typed WAL records of the metrics store (docs/format/tsdb-wal-records.md), apart from the
// WAL's framing (storage/wal.h), as Prometheus separates tsdb/record from tsdb/wlog.
//
// One record per Db::Append() call: the series definitions the batch needs (id -> canonical
// key + unit, written the first time a series is seen in the current WAL generation or when its
// unit changes), then the samples grouped by series id. Pure codec: no I/O, no state.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb {

inline constexpr uint8_t kWalRecordBatch = 1;

struct WalSeriesDef {
  uint64_t id;
  std::string_view key;  // canonical key string
  std::string_view unit;
};

struct WalSeriesSamples {
  uint64_t id;
  std::span<const RawSample> raw;
  std::span<const StatSample> stats;
};

// Appends the encoding of one batch record to *out.
void EncodeWalBatch(int64_t append_ms, std::span<const WalSeriesDef> defs,
                    std::span<const WalSeriesSamples> samples, std::string* out);

// A decoded batch record. Views point into the record passed to DecodeWalBatch; the sample
// vectors are reused across calls to avoid allocating per record during replay.
struct WalBatch {
  struct Group {
    uint64_t id;
    size_t raw_begin, raw_end;      // range of `raw`
    size_t stats_begin, stats_end;  // range of `stats`
  };
  int64_t append_ms = 0;
  std::vector<WalSeriesDef> defs;
  std::vector<Group> groups;
  std::vector<RawSample> raw;
  std::vector<StatSample> stats;

  std::span<const RawSample> RawOf(const Group& g) const {
    return std::span<const RawSample>(raw).subspan(g.raw_begin, g.raw_end - g.raw_begin);
  }
  std::span<const StatSample> StatsOf(const Group& g) const {
    return std::span<const StatSample>(stats).subspan(g.stats_begin, g.stats_end - g.stats_begin);
  }
};

// Decodes `record` into *out (cleared first). DataLoss describing the problem when the record
// is truncated, of an unknown type, or holds a value the store never accepts (non-finite
// value, count <= 0, minimum > maximum), which means it was not written by EncodeWalBatch.
Status DecodeWalBatch(std::string_view record, WalBatch* out);

}  // namespace vigil::tsdb
