#include "tsdb/head.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "tsdb/series_key.h"

namespace vigil::tsdb {
namespace {

// Scan output is buffered this many samples at a time (4 KiB on the stack).
constexpr size_t kScanBatch = 170;

void AtomicMin(std::atomic<int64_t>* a, int64_t v) {
  int64_t cur = a->load(std::memory_order_relaxed);
  while (v < cur && !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void AtomicMax(std::atomic<int64_t>* a, int64_t v) {
  int64_t cur = a->load(std::memory_order_relaxed);
  while (v > cur && !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

MemSeries* MemSeries::New(chunk::ChunkArena* arena, std::string_view key, uint64_t id,
                          uint8_t stripe) {
  static_assert(alignof(MemSeries) <= 8, "the arena aligns to 8");
  void* mem = arena->Allocate(sizeof(MemSeries) + key.size());
  auto* s = new (mem) MemSeries(id, static_cast<uint32_t>(key.size()), stripe);
  std::memcpy(static_cast<char*>(mem) + sizeof(MemSeries), key.data(), key.size());
  return s;
}

size_t Head::KeyHash::operator()(std::string_view k) const { return HashCanonicalKey(k); }

Head::Head(const UnitTable* units, int64_t created_ms)
    : units_(units), created_ms_(created_ms), stripes_(new Stripe[kStripes]) {}

Head::~Head() {
  for (size_t i = 0; i < kStripes; ++i) {
    for (MemSeries* s : stripes_[i].series) s->~MemSeries();  // its memory goes with the arena
  }
}

MemSeries* Head::GetOrCreate(std::string_view canonical, size_t hash,
                             std::atomic<uint64_t>* next_id, bool* created) {
  const size_t st = StripeOf(hash);
  Stripe& stripe = stripes_[st];
  std::lock_guard lock(stripe.mu);
  auto it = stripe.series.find(canonical);
  if (it != stripe.series.end()) {
    *created = false;
    return *it;
  }
  MemSeries* s = MemSeries::New(&series_arena_, canonical,
                                next_id->fetch_add(1, std::memory_order_relaxed),
                                static_cast<uint8_t>(st));
  stripe.series.insert(s);
  num_series_.fetch_add(1, std::memory_order_relaxed);
  *created = true;
  return s;
}

const MemSeries* Head::Find(std::string_view canonical, size_t hash) const {
  const Stripe& stripe = stripes_[StripeOf(hash)];
  std::lock_guard lock(stripe.mu);
  auto it = stripe.series.find(canonical);
  return it == stripe.series.end() ? nullptr : *it;
}

void Head::WidenTimeRange(int64_t min_t, int64_t max_t) {
  AtomicMin(&min_t_, min_t);
  AtomicMax(&max_t_, max_t);
}

void Head::AppendLocked(MemSeries* s, std::span<const RawSample> raw,
                        std::span<const StatSample> stats, uint16_t unit, int64_t append_ms,
                        bool wal_defined) {
  int64_t lo = std::numeric_limits<int64_t>::max();
  int64_t hi = std::numeric_limits<int64_t>::min();
  // Growth of the memory outside the arena, counted where it happens: the chunk vector, extras.
  int64_t grown = 0;
  HeadChunk* open = s->chunks.empty() ? nullptr : &s->chunks.back();
  for (const RawSample& r : raw) {
    if (open == nullptr || open->chunk.num_samples() >= kHeadChunkSamples) {
      // Size the new chunk's buffer like the last one, plus an eighth and the 10 bytes a
      // 64-bit write reserves: regular series fill their chunks alike, and the arena does not
      // take back a buffer that had to grow.
      size_t expected = 0;
      if (open != nullptr) {
        const size_t last = open->chunk.bytes().size();
        expected = last + last / 8 + 10;
      }
      const size_t vec_cap = s->chunks.capacity();
      s->chunks.push_back(HeadChunk{chunk::XorChunk(&arena_, expected)});
      grown += static_cast<int64_t>((s->chunks.capacity() - vec_cap) * sizeof(HeadChunk));
      open = &s->chunks.back();
    }
    open->chunk.Append(r.timestamp_ms, r.value);
    open->min_t = std::min(open->min_t, r.timestamp_ms);
    open->max_t = std::max(open->max_t, r.timestamp_ms);
    if (r.count != 1) {
      if (!s->extra) {
        s->extra = std::make_unique<SeriesExtra>();
        grown += sizeof(SeriesExtra);
      }
      s->extra->counts.emplace_back(s->num_raw, r.count);
      grown += sizeof(s->extra->counts[0]);
    }
    ++s->num_raw;
    lo = std::min(lo, r.timestamp_ms);
    hi = std::max(hi, r.timestamp_ms);
  }
  if (!stats.empty()) {
    if (!s->extra) {
      s->extra = std::make_unique<SeriesExtra>();
      grown += sizeof(SeriesExtra);
    }
    grown += static_cast<int64_t>(stats.size() * sizeof(StatSample));
    for (const StatSample& st : stats) {
      s->extra->stats.push_back(st);
      lo = std::min(lo, st.timestamp_ms);
      hi = std::max(hi, st.timestamp_ms);
    }
  }
  s->unit = unit;
  s->last_append_ms = std::max(s->last_append_ms, append_ms);
  s->wal_defined = wal_defined;
  if (lo <= hi) {
    s->min_t = std::min(s->min_t, lo);
    s->max_t = std::max(s->max_t, hi);
    WidenTimeRange(lo, hi);
  }
  num_samples_.fetch_add(raw.size() + stats.size(), std::memory_order_relaxed);
  memory_bytes_.fetch_add(static_cast<uint64_t>(grown), std::memory_order_relaxed);
}

void Head::ScanLocked(const MemSeries& s, int64_t min_t, int64_t max_t, SampleSink* sink) const {
  if (s.max_t < min_t || s.min_t >= max_t) return;
  RawSample buf[kScanBatch];
  size_t n = 0;
  static const std::vector<std::pair<uint32_t, double>> kNoCounts;
  const auto& counts = s.extra ? s.extra->counts : kNoCounts;
  size_t ci = 0;  // next entry of `counts` at or after `ordinal`
  uint32_t ordinal = 0;
  for (const HeadChunk& c : s.chunks) {
    if (c.max_t < min_t || c.min_t >= max_t) {
      ordinal += c.chunk.num_samples();
      while (ci < counts.size() && counts[ci].first < ordinal) ++ci;
      continue;
    }
    auto it = c.chunk.NewIterator();
    for (;;) {
      int64_t ts[kHeadChunkSamples];
      double vs[kHeadChunkSamples];
      const size_t got = it.NextBatch(ts, vs, kHeadChunkSamples);
      if (got == 0) break;
      for (size_t k = 0; k < got; ++k) {
        double count = 1;
        if (ci < counts.size() && counts[ci].first == ordinal) count = counts[ci++].second;
        ++ordinal;
        if (ts[k] < min_t || ts[k] >= max_t) continue;
        buf[n++] = RawSample{ts[k], vs[k], count};
        if (n == kScanBatch) {
          sink->OnRaw(std::span<const RawSample>(buf, n));
          n = 0;
        }
      }
    }
  }
  if (n > 0) sink->OnRaw(std::span<const RawSample>(buf, n));
  if (!s.extra || s.extra->stats.empty()) return;
  const auto& stats = s.extra->stats;
  if (std::all_of(stats.begin(), stats.end(), [&](const StatSample& st) {
        return st.timestamp_ms >= min_t && st.timestamp_ms < max_t;
      })) {
    sink->OnStats(stats);
    return;
  }
  std::vector<StatSample> in_range;
  for (const StatSample& st : stats) {
    if (st.timestamp_ms >= min_t && st.timestamp_ms < max_t) in_range.push_back(st);
  }
  if (!in_range.empty()) sink->OnStats(in_range);
}

void Head::ForEachSeries(const std::function<void(const MemSeries&)>& fn) const {
  for (size_t i = 0; i < kStripes; ++i) {
    std::lock_guard lock(stripes_[i].mu);
    for (const MemSeries* s : stripes_[i].series) fn(*s);
  }
}

namespace {

// Collects every sample of a series into a SeriesData.
class ExportSink final : public SampleSink {
 public:
  explicit ExportSink(block::SeriesData* out) : out_(out) {}
  void OnRaw(std::span<const RawSample> s) override {
    out_->raw.insert(out_->raw.end(), s.begin(), s.end());
  }
  void OnStats(std::span<const StatSample> s) override {
    out_->stats.insert(out_->stats.end(), s.begin(), s.end());
  }

 private:
  block::SeriesData* out_;
};

}  // namespace

Status Head::ExportSorted(const std::function<Status(const block::SeriesData&)>& fn) const {
  std::vector<const MemSeries*> all;
  all.reserve(num_series());
  ForEachSeries([&](const MemSeries& s) { all.push_back(&s); });
  std::sort(all.begin(), all.end(),
            [](const MemSeries* a, const MemSeries* b) { return a->key() < b->key(); });
  block::SeriesData d;
  for (const MemSeries* s : all) {
    auto lock = Lock(*s);
    if (s->num_raw == 0 && (!s->extra || s->extra->stats.empty())) continue;
    // Keys in the head were validated on append or replay, so parsing cannot fail.
    ParseCanonicalKey(s->key(), &d.key);
    d.unit = units_->Name(s->unit);
    d.last_append_ms = s->last_append_ms;
    d.raw.clear();
    d.stats.clear();
    d.raw.reserve(s->num_raw);
    ExportSink sink(&d);
    ScanLocked(*s, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &sink);
    lock.unlock();
    auto by_time = [](const auto& a, const auto& b) { return a.timestamp_ms < b.timestamp_ms; };
    if (!std::is_sorted(d.raw.begin(), d.raw.end(), by_time)) {
      std::stable_sort(d.raw.begin(), d.raw.end(), by_time);
    }
    if (!std::is_sorted(d.stats.begin(), d.stats.end(), by_time)) {
      std::stable_sort(d.stats.begin(), d.stats.end(), by_time);
    }
    RETURN_IF_ERROR(fn(d));
  }
  return OkStatus();
}

Head::MemoryUse Head::Memory() const {
  MemoryUse m;
  m.series_and_chunks = arena_.MemoryBytes() + series_arena_.MemoryBytes();
  ForEachSeries([&](const MemSeries& s) {
    m.series_and_chunks += s.chunks.capacity() * sizeof(HeadChunk);
    for (const HeadChunk& c : s.chunks) m.chunk_data += c.chunk.bytes().size();
    if (s.extra) {
      m.series_and_chunks += sizeof(SeriesExtra) +
                             s.extra->counts.capacity() * sizeof(s.extra->counts[0]) +
                             s.extra->stats.capacity() * sizeof(StatSample);
    }
  });
  return m;
}

}  // namespace vigil::tsdb
