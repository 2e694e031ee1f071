#include "examples/shop/load_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

namespace vigil::shop {

double Percentile(std::vector<double>* values, double q) {
  if (values->empty()) return 0;
  std::sort(values->begin(), values->end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values->size())));
  return (*values)[std::clamp<size_t>(rank, 1, values->size()) - 1];
}

std::string LoadSummary::Line() const {
  char text[160];
  std::snprintf(text, sizeof(text), "requests=%lld failed=%lld p50=%.1fms p99=%.1fms versions",
                static_cast<long long>(requests), static_cast<long long>(failed), p50_ms, p99_ms);
  std::string line = text;
  for (const auto& [version, count] : versions) {
    line += " " + version + "=" + std::to_string(count);
  }
  if (versions.empty()) line += " -";
  return line;
}

std::string LoadSummary::Json() const {
  // Milliseconds to the microsecond: more digits would be noise.
  auto ms = [](double v) { return std::round(v * 1000) / 1000; };
  nlohmann::ordered_json doc = {{"requests", requests},
                                {"failed", failed},
                                {"p50_ms", ms(p50_ms)},
                                {"p99_ms", ms(p99_ms)},
                                {"versions", nlohmann::ordered_json::object()}};
  for (const auto& [version, count] : versions) doc["versions"][version] = count;
  return doc.dump();
}

void LoadStats::Add(Window* w, bool answered, int status, double latency_ms,
                    const std::string& version) {
  ++w->requests;
  if (!answered || status < 200 || status > 299) ++w->failed;
  if (answered) w->latencies_ms.push_back(latency_ms);
  if (!version.empty()) ++w->versions[version];
}

void LoadStats::Record(bool answered, int status, double latency_ms, const std::string& version) {
  std::lock_guard lock(mu_);
  Add(&second_, answered, status, latency_ms, version);
  Add(&total_, answered, status, latency_ms, version);
}

LoadSummary LoadStats::Summarize(Window w) {
  LoadSummary s;
  s.requests = w.requests;
  s.failed = w.failed;
  s.p50_ms = Percentile(&w.latencies_ms, 0.50);
  s.p99_ms = Percentile(&w.latencies_ms, 0.99);
  s.versions = std::move(w.versions);
  return s;
}

LoadSummary LoadStats::TakeSecond() {
  Window w;
  {
    std::lock_guard lock(mu_);
    w = std::exchange(second_, Window{});
  }
  return Summarize(std::move(w));
}

LoadSummary LoadStats::Total() const {
  Window w;
  {
    std::lock_guard lock(mu_);
    w = total_;
  }
  return Summarize(std::move(w));
}

}  // namespace vigil::shop
