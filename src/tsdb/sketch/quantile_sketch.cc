#include "tsdb/sketch/quantile_sketch.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <cstddef>
#include <cmath>

#include "storage/coding.h"

namespace vigil::tsdb::sketch {
namespace {

constexpr uint8_t kIntegralCounts = 1;  // every count is an integer below 2^53: varints

bool IsIntegral(double c) { return c >= 0 && c < 9007199254740992.0 && c == std::floor(c); }

}  // namespace

QuantileSketch::QuantileSketch(double relative_accuracy)
    : relative_accuracy_(relative_accuracy),
      gamma_((1 + relative_accuracy) / (1 - relative_accuracy)),
      log_gamma_(std::log(gamma_)) {}

int32_t QuantileSketch::Index(double magnitude) const {
  return static_cast<int32_t>(std::ceil(std::log(magnitude) / log_gamma_));
}

double QuantileSketch::Value(int32_t index) const {
  return 2 * std::pow(gamma_, index) / (gamma_ + 1);
}

void QuantileSketch::Store::Add(int32_t index, double count) {
  if (counts.empty()) {
    offset = index;
    counts.assign(1, count);
    return;
  }
  if (index < offset) {
    counts.insert(counts.begin(), static_cast<size_t>(offset - index), 0.0);
    offset = index;
  } else if (static_cast<size_t>(index - offset) >= counts.size()) {
    counts.resize(static_cast<size_t>(index - offset) + 1, 0.0);
  }
  counts[static_cast<size_t>(index - offset)] += count;
  if (counts.size() > kMaxBuckets) Collapse();
}

void QuantileSketch::Store::Collapse() {
  const size_t drop = counts.size() - kMaxBuckets;
  double folded = 0;
  for (size_t i = 0; i < drop; ++i) folded += counts[i];
  counts.erase(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(drop));
  counts[0] += folded;
  offset += static_cast<int32_t>(drop);
}

double QuantileSketch::Store::Total() const {
  double t = 0;
  for (double c : counts) t += c;
  return t;
}

void QuantileSketch::Add(double value, double count) {
  if (!(count > 0) || !std::isfinite(value)) return;
  if (count_ <= 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  count_ += count;
  const double magnitude = std::fabs(value);
  if (magnitude < kMinIndexable) {
    zero_count_ += count;
  } else if (value > 0) {
    positive_.Add(Index(magnitude), count);
  } else {
    negative_.Add(Index(magnitude), count);
  }
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (other.count_ <= 0) return;
  if (other.relative_accuracy_ != relative_accuracy_) {
    const double mn = count_ > 0 ? std::min(min_, other.min_) : other.min_;
    const double mx = count_ > 0 ? std::max(max_, other.max_) : other.max_;
    if (other.zero_count_ > 0) Add(0, other.zero_count_);
    for (size_t i = 0; i < other.positive_.counts.size(); ++i) {
      const double c = other.positive_.counts[i];
      if (c > 0) Add(other.Value(other.positive_.offset + static_cast<int32_t>(i)), c);
    }
    for (size_t i = 0; i < other.negative_.counts.size(); ++i) {
      const double c = other.negative_.counts[i];
      if (c > 0) Add(-other.Value(other.negative_.offset + static_cast<int32_t>(i)), c);
    }
    min_ = mn;
    max_ = mx;
    return;
  }
  if (count_ <= 0) {
    min_ = other.min_;
    max_ = other.max_;
  } else {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  for (auto [mine, theirs] : {std::pair{&positive_, &other.positive_},
                              std::pair{&negative_, &other.negative_}}) {
    for (size_t i = 0; i < theirs->counts.size(); ++i) {
      if (theirs->counts[i] > 0) {
        mine->Add(theirs->offset + static_cast<int32_t>(i), theirs->counts[i]);
      }
    }
  }
}

double QuantileSketch::Quantile(double p) const {
  if (count_ <= 0) return 0;
  if (p <= 0) return min_;
  const double target = p / 100 * count_;
  double cumulative = 0;
  double answer = max_;
  bool found = false;
  // Ascending values: negative buckets from the largest magnitude, zero, positive buckets.
  for (size_t i = negative_.counts.size(); i-- > 0 && !found;) {
    cumulative += negative_.counts[i];
    if (negative_.counts[i] > 0 && cumulative >= target) {
      answer = -Value(negative_.offset + static_cast<int32_t>(i));
      found = true;
    }
  }
  if (!found) {
    cumulative += zero_count_;
    if (zero_count_ > 0 && cumulative >= target) {
      answer = 0;
      found = true;
    }
  }
  for (size_t i = 0; i < positive_.counts.size() && !found; ++i) {
    cumulative += positive_.counts[i];
    if (positive_.counts[i] > 0 && cumulative >= target) {
      answer = Value(positive_.offset + static_cast<int32_t>(i));
      found = true;
    }
  }
  return std::clamp(answer, min_, max_);
}

void QuantileSketch::EncodeTo(std::string* out) const {
  bool integral = IsIntegral(zero_count_);
  for (const Store* s : {&positive_, &negative_}) {
    for (double c : s->counts) integral = integral && IsIntegral(c);
  }
  out->push_back(static_cast<char>(integral ? kIntegralCounts : 0));
  auto put_count = [&](double c) {
    if (integral) {
      storage::PutVarint64(out, static_cast<uint64_t>(c));
    } else {
      storage::PutFixed64(out, std::bit_cast<uint64_t>(c));
    }
  };
  put_count(zero_count_);
  for (const Store* s : {&positive_, &negative_}) {
    uint64_t occupied = 0;
    for (double c : s->counts) occupied += c > 0;
    storage::PutVarint64(out, occupied);
    int64_t previous = 0;
    bool first = true;
    for (size_t i = 0; i < s->counts.size(); ++i) {
      if (!(s->counts[i] > 0)) continue;
      const int64_t index = s->offset + static_cast<int64_t>(i);
      if (first) {
        storage::PutVarsint64(out, index);
        first = false;
      } else {
        storage::PutVarint64(out, static_cast<uint64_t>(index - previous - 1));
      }
      previous = index;
      put_count(s->counts[i]);
    }
  }
}

bool QuantileSketch::DecodeFrom(std::string_view* in, double relative_accuracy, double min,
                                double max, QuantileSketch* out) {
  *out = QuantileSketch(relative_accuracy);
  if (in->empty()) return false;
  const bool integral = (static_cast<uint8_t>(in->front()) & kIntegralCounts) != 0;
  if ((static_cast<uint8_t>(in->front()) & ~kIntegralCounts) != 0) return false;
  in->remove_prefix(1);
  auto get_count = [&](double* c) {
    if (integral) {
      uint64_t v;
      if (!storage::GetVarint64(in, &v)) return false;
      *c = static_cast<double>(v);
      return true;
    }
    uint64_t bits;
    if (!storage::GetFixed64(in, &bits)) return false;
    *c = std::bit_cast<double>(bits);
    return std::isfinite(*c) && *c >= 0;
  };
  if (!get_count(&out->zero_count_)) return false;
  out->count_ = out->zero_count_;
  for (Store* s : {&out->positive_, &out->negative_}) {
    uint64_t occupied;
    if (!storage::GetVarint64(in, &occupied) || occupied > kMaxBuckets) return false;
    int64_t index = 0;
    for (uint64_t k = 0; k < occupied; ++k) {
      if (k == 0) {
        if (!storage::GetVarsint64(in, &index)) return false;
      } else {
        uint64_t gap;
        if (!storage::GetVarint64(in, &gap) || gap >= kMaxBuckets) return false;
        index += static_cast<int64_t>(gap) + 1;
      }
      double c;
      if (!get_count(&c) || !(c > 0) || index < INT32_MIN || index > INT32_MAX) return false;
      if (!s->counts.empty() && index - s->offset >= static_cast<int64_t>(kMaxBuckets)) {
        return false;
      }
      s->Add(static_cast<int32_t>(index), c);
      out->count_ += c;
    }
  }
  out->min_ = min;
  out->max_ = max;
  return true;
}

}  // namespace vigil::tsdb::sketch
