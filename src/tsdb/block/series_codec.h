#pragma once
// The record of one series in a block's chunks file: its raw and stat samples as columns
// (docs/format/block.md, "Series record"). Pure codec, no I/O. Private to tsdb/block.
#include <cstdint>
#include <string>
#include <string_view>

#include "tsdb/block/block.h"

namespace vigil::tsdb::block {

// Appends the record of series.raw and series.stats (key and unit live in the index) to *out.
// Timestamps are stored relative to `time_origin`. Samples must be sorted by timestamp for
// DecodeSeriesRecord's range filter to be right; the codec itself round-trips any order.
void EncodeSeriesRecord(const SeriesData& series, int64_t time_origin, std::string* out);

// Appends the samples of `record` with timestamps in [min_ms, max_ms) to out->raw (or, when
// `raw` is set, hands the raw ones to it as columns), out->stats and out->rollups (with their
// sketches unless !sketches). Columns after the last wanted sample are skipped, not decoded.
// False when the record is malformed.
bool DecodeSeriesRecord(std::string_view record, int64_t time_origin, int64_t min_ms,
                        int64_t max_ms, SeriesData* out, RawColumnSink* raw = nullptr,
                        bool sketches = true);

}  // namespace vigil::tsdb::block
