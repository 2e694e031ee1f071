// ListMetrics's rules (CloudWatch API reference, ListMetrics) and its continuation token.
#include <string>

#include "api/cloudwatch_ops.h"
#include "api/text.h"

namespace vigil::api {
namespace {

constexpr size_t kMaxDimensionFilters = 10;
constexpr int64_t kRecentlyActiveMs = 3LL * 3600 * 1000;  // PT3H

// Reads up to the next `delim` from *pos; false when there is none.
bool ReadField(std::string_view text, size_t* pos, char delim, std::string* out) {
  const size_t end = text.find(delim, *pos);
  if (end == std::string_view::npos) return false;
  out->assign(text.substr(*pos, end - *pos));
  *pos = end + 1;
  return true;
}

}  // namespace

std::string EncodeListToken(const tsdb::SeriesKey& key) {
  std::string canonical = key.ns;
  canonical += '\0';
  canonical += key.metric;
  canonical += '\0';
  for (const tsdb::Dimension& d : key.dimensions) {
    canonical += d.name;
    canonical += '\1';
    canonical += d.value;
    canonical += '\0';
  }
  return Base64Encode(canonical);
}

std::optional<tsdb::SeriesKey> DecodeListToken(std::string_view token) {
  const std::optional<std::string> raw = Base64Decode(token);
  if (!raw) return std::nullopt;
  const std::string_view text = *raw;
  tsdb::SeriesKey key;
  size_t pos = 0;
  if (!ReadField(text, &pos, '\0', &key.ns) || !ReadField(text, &pos, '\0', &key.metric)) {
    return std::nullopt;
  }
  if (key.ns.empty() || key.metric.empty()) return std::nullopt;
  while (pos < text.size()) {
    tsdb::Dimension d;
    if (!ReadField(text, &pos, '\1', &d.name) || !ReadField(text, &pos, '\0', &d.value)) {
      return std::nullopt;
    }
    if (d.name.empty() || d.name.find('\0') != std::string::npos) return std::nullopt;
    if (!key.dimensions.empty() && !(key.dimensions.back().name < d.name)) return std::nullopt;
    key.dimensions.push_back(std::move(d));
  }
  return key;
}

ApiOr<tsdb::ListQuery> PlanListMetrics(const ListMetricsInput& in, int64_t now_ms) {
  tsdb::ListQuery q;
  if (in.ns) {
    if (auto e = CheckNamespace(in.ns, /*for_write=*/false)) return *e;
    q.ns = in.ns;
  }
  if (in.metric_name) {
    if (auto e = CheckMetricName(in.metric_name, "MetricName")) return *e;
    q.metric = in.metric_name;
  }
  if (in.dimensions.size() > kMaxDimensionFilters) {
    return ApiError{ErrorCode::kInvalidParameterValue,
                    "The collection Dimensions must not have a size greater than 10."};
  }
  for (size_t i = 0; i < in.dimensions.size(); ++i) {
    const DimensionInput& d = in.dimensions[i];
    const std::string p = "Dimensions.member." + std::to_string(i + 1) + ".";
    if (!d.name) return MissingParameter(p + "Name");
    if (auto e = CheckText(*d.name, p + "Name", kMaxNameLength)) return *e;
    if (d.value) {
      if (auto e = CheckText(*d.value, p + "Value", kMaxDimensionValueLength)) return *e;
    }
    q.dimensions.push_back({*d.name, d.value});
  }
  if (in.recently_active) {
    if (*in.recently_active != "PT3H") {
      ApiError e = InvalidValue(*in.recently_active, "RecentlyActive");
      e.message += " The only valid value is PT3H.";
      return e;
    }
    q.active_since_ms = now_ms - kRecentlyActiveMs;
  }
  if (in.next_token) {
    std::optional<tsdb::SeriesKey> after = DecodeListToken(*in.next_token);
    if (!after) return ApiError{ErrorCode::kInvalidNextToken, "The NextToken is not valid."};
    q.after = std::move(*after);
  }
  q.limit = kListMetricsPageSize;
  return q;
}

ListMetricsOutput MakeListOutput(tsdb::ListResult result) {
  ListMetricsOutput out;
  out.metrics = std::move(result.series);
  if (result.more && !out.metrics.empty()) out.next_token = EncodeListToken(out.metrics.back());
  return out;
}

}  // namespace vigil::api
