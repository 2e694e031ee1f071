#include "bench/tsdb/fleet_source.h"

#include <algorithm>
#include <cmath>

namespace vigil::bench {
namespace {

using testutil::Fleet;
using testutil::FleetKind;

constexpr int64_t kStepMs = 10'000;

Kind FromFleetKind(FleetKind kind) {
  switch (kind) {
    case FleetKind::kCounter:
      return Kind::kCounter;
    case FleetKind::kLatency:
      return Kind::kLatency;
    case FleetKind::kGauge:
      return Kind::kGauge;
  }
  return Kind::kGauge;
}

testutil::FleetOptions Options(const FleetSpec& spec) {
  testutil::FleetOptions options;
  options.step_ms = kStepMs;
  const int64_t steps = static_cast<int64_t>(std::llround(spec.hours * 3600'000.0 / kStepMs));
  options.start_ms = spec.end_ms - steps * kStepMs;
  return options;
}

}  // namespace

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kCounter:
      return "counter";
    case Kind::kLatency:
      return "latency";
    case Kind::kGauge:
      return "gauge";
  }
  return "?";
}

std::optional<Kind> ParseKind(std::string_view name) {
  for (Kind k : {Kind::kCounter, Kind::kLatency, Kind::kGauge}) {
    if (KindName(k) == name) return k;
  }
  return std::nullopt;
}

FleetSource::FleetSource(const FleetSpec& spec) : fleet_(Options(spec)) {
  steps_ = static_cast<int64_t>(std::llround(spec.hours * 3600'000.0 / kStepMs));
  const size_t total = std::min(spec.series, Fleet::kNumSeries);
  // The fleet's proportions at any size: counters, latencies and gauges as 2:1:1.
  const size_t counters = total / 2;
  const size_t latencies = (total - counters) / 2;
  const size_t gauges = total - counters - latencies;
  const std::pair<FleetKind, size_t> plan[] = {{FleetKind::kCounter, counters},
                                               {FleetKind::kLatency, latencies},
                                               {FleetKind::kGauge, gauges}};
  for (const auto& [fleet_kind, count] : plan) {
    const Kind kind = FromFleetKind(fleet_kind);
    if (spec.only && *spec.only != kind) continue;
    for (size_t j = 0; j < count; ++j) {
      const size_t idx = Fleet::SeriesOf(fleet_kind, j);
      tsdb::SeriesKey key = fleet_.Key(idx);
      SeriesMeta meta{key.metric, {}, kind, Fleet::Unit(idx)};
      for (const tsdb::Dimension& d : key.dimensions) meta.labels.emplace_back(d.name, d.value);
      std::sort(meta.labels.begin(), meta.labels.end());
      fleet_index_.push_back(idx);
      metas_.push_back(std::move(meta));
      keys_.push_back(std::move(key));
      cursors_.push_back(fleet_.Start(idx, 0));
    }
  }
}

void FleetSource::Fill(const Chunk& chunk, std::vector<tsdb::RawSample>* out) const {
  out->clear();
  out->reserve(chunk.samples());
  for (size_t i = chunk.series_lo; i < chunk.series_hi; ++i) {
    Fleet::Cursor& cursor = cursors_[i];
    if (cursor.step() != chunk.step_lo) cursor = fleet_.Start(fleet_index_[i], chunk.step_lo);
    for (int64_t s = chunk.step_lo; s < chunk.step_hi; ++s) out->push_back(cursor.Next());
  }
}

}  // namespace vigil::bench
