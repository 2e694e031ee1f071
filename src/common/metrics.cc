#include "common/metrics.h"

#include <algorithm>

namespace vigil {

Counter* Registry::NewCounter(const std::string& name, const std::string& help,
                              std::vector<std::pair<std::string, std::string>> labels) {
  std::lock_guard lock(mu_);
  for (auto& e : entries_) {
    if (e->name == name && e->labels == labels && e->counter) return e->counter.get();
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = MetricType::kCounter;
  e->labels = std::move(labels);
  e->counter = std::make_unique<Counter>();
  Counter* c = e->counter.get();
  entries_.push_back(std::move(e));
  return c;
}

Gauge* Registry::NewGauge(const std::string& name, const std::string& help,
                          std::vector<std::pair<std::string, std::string>> labels) {
  std::lock_guard lock(mu_);
  for (auto& e : entries_) {
    if (e->name == name && e->labels == labels && e->gauge) return e->gauge.get();
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = MetricType::kGauge;
  e->labels = std::move(labels);
  e->gauge = std::make_unique<Gauge>();
  Gauge* g = e->gauge.get();
  entries_.push_back(std::move(e));
  return g;
}

void Registry::NewCallbackGauge(const std::string& name, const std::string& help,
                                std::function<double()> fn) {
  std::lock_guard lock(mu_);
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->type = MetricType::kGauge;
  e->callback = std::move(fn);
  entries_.push_back(std::move(e));
}

std::vector<MetricSample> Registry::Collect() const {
  std::vector<MetricSample> out;
  std::vector<const Entry*> entries;
  {
    std::lock_guard lock(mu_);
    for (auto& e : entries_) entries.push_back(e.get());
  }
  // Group by name, keeping first-registration order, so each family renders contiguously.
  std::vector<std::string> order;
  for (const Entry* e : entries) {
    if (std::find(order.begin(), order.end(), e->name) == order.end()) order.push_back(e->name);
  }
  std::stable_sort(entries.begin(), entries.end(), [&](const Entry* a, const Entry* b) {
    return std::find(order.begin(), order.end(), a->name) <
           std::find(order.begin(), order.end(), b->name);
  });
  for (const Entry* e : entries) {
    double v = e->counter  ? static_cast<double>(e->counter->Value())
               : e->gauge  ? e->gauge->Value()
                           : e->callback();
    out.push_back(MetricSample{e->name, e->help, e->type, e->labels, v});
  }
  return out;
}

}  // namespace vigil
