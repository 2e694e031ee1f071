#pragma once
// Private helpers around series keys: validation with readable messages, the inverse of
// CanonicalKeyString, and ListSeries filtering directly on the canonical text form.
//
// The head stores each series' key once, as its canonical string (ns \0 metric \0
// (name \1 value \0)*): one allocation instead of 3 + 2 per dimension, and it doubles as the
// hash-map key and the sort key. Keys are decoded only when a caller needs a SeriesKey.
#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tsdb/tsdb_types.h"

namespace vigil::tsdb {

// OK when `key` is canonical: ns and metric non-empty, dimension names non-empty and strictly
// increasing, no NUL byte anywhere and no \x01 in a dimension name (so the canonical string
// is unambiguous). Otherwise InvalidArgument naming the series and the rule broken.
Status ValidateSeriesKey(const SeriesKeyView& key);
Status ValidateSeriesKey(const SeriesKey& key);

// Inverse of CanonicalKeyString. False when `canonical` is not well-formed.
bool ParseCanonicalKey(std::string_view canonical, SeriesKey* key);

// "ns/metric{name=value,...}" for log and error messages.
std::string FormatSeriesKey(const SeriesKeyView& key);
std::string FormatSeriesKey(const SeriesKey& key);
std::string FormatCanonicalKey(std::string_view canonical);

// Hash used for stripe selection and the head's maps.
inline size_t HashCanonicalKey(std::string_view canonical) {
  return std::hash<std::string_view>{}(canonical);
}

// True when the series with this canonical key passes the namespace, metric and dimension
// filters of `query` (not `after`, `active_since_ms` or `limit`, which the caller applies).
bool MatchesListFilters(std::string_view canonical, const ListQuery& query);

}  // namespace vigil::tsdb
