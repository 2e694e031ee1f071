#include "tsdb/series_key.h"

#include <algorithm>
#include <utility>

#include "tsdb/block/index_format.h"
#include "tsdb/tsdb.h"

namespace vigil::tsdb {
namespace {

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// Splits the next NUL-terminated field off *rest.
bool NextField(std::string_view* rest, std::string_view* field) {
  const size_t pos = rest->find('\0');
  if (pos == std::string_view::npos) return false;
  *field = rest->substr(0, pos);
  rest->remove_prefix(pos + 1);
  return true;
}

// Splits a "name \x01 value" dimension field.
bool SplitDimension(std::string_view field, std::string_view* name, std::string_view* value) {
  const size_t pos = field.find('\x01');
  if (pos == std::string_view::npos) return false;
  *name = field.substr(0, pos);
  *value = field.substr(pos + 1);
  return true;
}

// A SeriesKeyView of a SeriesKey, with the dimension views it points to.
struct KeyViewHolder {
  explicit KeyViewHolder(const SeriesKey& k) {
    dims.reserve(k.dimensions.size());
    for (const Dimension& d : k.dimensions) dims.push_back({d.name, d.value});
    key = {k.ns, k.metric, dims};
  }
  std::vector<DimensionView> dims;
  SeriesKeyView key;
};

}  // namespace

Status ValidateSeriesKey(const SeriesKeyView& key) {
  auto fail = [&](std::string_view why) {
    return InvalidArgumentError("series " + FormatSeriesKey(key) + ": " + std::string(why));
  };
  if (key.ns.empty()) return fail("namespace is empty");
  if (key.metric.empty()) return fail("metric name is empty");
  if (HasNul(key.ns) || HasNul(key.metric)) return fail("namespace or metric holds a NUL byte");
  for (size_t i = 0; i < key.dimensions.size(); ++i) {
    const DimensionView& d = key.dimensions[i];
    if (d.name.empty()) return fail("a dimension name is empty");
    if (HasNul(d.name) || HasNul(d.value) || d.name.find('\x01') != std::string_view::npos) {
      return fail("dimension " + std::string(d.name) + " holds a NUL or \\x01 byte");
    }
    if (i > 0 && !(key.dimensions[i - 1].name < d.name)) {
      return fail(key.dimensions[i - 1].name == d.name
                      ? "dimension " + std::string(d.name) + " appears twice"
                      : "dimensions are not sorted by name (use MakeSeriesKey)");
    }
  }
  return OkStatus();
}

Status ValidateSeriesKey(const SeriesKey& key) {
  const KeyViewHolder view(key);
  return ValidateSeriesKey(view.key);
}

StatusOr<SeriesKey> MakeSeriesKey(std::string ns, std::string metric,
                                  std::vector<Dimension> dimensions) {
  std::stable_sort(dimensions.begin(), dimensions.end(),
                   [](const Dimension& a, const Dimension& b) { return a.name < b.name; });
  SeriesKey key{std::move(ns), std::move(metric), std::move(dimensions)};
  RETURN_IF_ERROR(ValidateSeriesKey(key));
  return key;
}

std::string CanonicalKeyString(const SeriesKey& key) {
  std::string out;
  block::AppendCanonicalKey(key, &out);
  return out;
}

bool ParseCanonicalKey(std::string_view canonical, SeriesKey* key) {
  std::string_view rest = canonical, ns, metric, field, name, value;
  if (!NextField(&rest, &ns) || !NextField(&rest, &metric)) return false;
  key->ns.assign(ns);
  key->metric.assign(metric);
  key->dimensions.clear();
  while (!rest.empty()) {
    if (!NextField(&rest, &field) || !SplitDimension(field, &name, &value)) return false;
    key->dimensions.push_back(Dimension{std::string(name), std::string(value)});
  }
  return true;
}

std::string FormatSeriesKey(const SeriesKeyView& key) {
  std::string out(key.ns);
  out.push_back('/');
  out.append(key.metric);
  if (key.dimensions.empty()) return out;
  out.push_back('{');
  for (size_t i = 0; i < key.dimensions.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(key.dimensions[i].name).push_back('=');
    out.append(key.dimensions[i].value);
  }
  out.push_back('}');
  return out;
}

std::string FormatSeriesKey(const SeriesKey& key) {
  const KeyViewHolder view(key);
  return FormatSeriesKey(view.key);
}

std::string FormatCanonicalKey(std::string_view canonical) {
  SeriesKey key;
  if (!ParseCanonicalKey(canonical, &key)) return "<malformed key>";
  return FormatSeriesKey(key);
}

bool MatchesListFilters(std::string_view canonical, const ListQuery& query) {
  std::string_view rest = canonical, ns, metric;
  if (!NextField(&rest, &ns) || !NextField(&rest, &metric)) return false;
  if (query.ns && ns != *query.ns) return false;
  if (query.metric && metric != *query.metric) return false;
  for (const DimensionFilter& f : query.dimensions) {
    bool found = false;
    std::string_view dims = rest, field, name, value;
    while (!found && NextField(&dims, &field) && SplitDimension(field, &name, &value)) {
      found = name == f.name && (!f.value || value == *f.value);
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace vigil::tsdb
