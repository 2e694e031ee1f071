// Reads: GetStatistics, ListSeries, GetStats.
#include <algorithm>
#include <limits>

#include "tsdb/db_impl.h"
#include "tsdb/query.h"
#include "tsdb/series_key.h"

namespace vigil::tsdb {

DbImpl::Snapshot DbImpl::TakeSnapshot(int tier) const {
  Snapshot s;
  std::lock_guard l(state_mu_);
  s.blocks = blocks_;
  if (tier >= 0) s.rollups = tiers_[static_cast<size_t>(tier)].blocks;
  s.frozen = frozen_;
  s.head = head_;
  return s;
}

StatusOr<std::vector<Datapoint>> DbImpl::GetStatistics(const StatisticsQuery& query) const {
  RETURN_IF_ERROR(ValidateStatisticsQuery(query));
  ASSIGN_OR_RETURN(const int tier, SelectTier(query));
  const std::string canonical = CanonicalKeyString(query.key);
  const size_t hash = HashCanonicalKey(canonical);
  const Snapshot snap = TakeSnapshot(tier);
  PeriodAggregator agg(query, tier >= 0 ? options_.rollup_sketch_accuracy : 0);
  const int64_t lo = agg.min_time(), hi = agg.max_time();

  // The blocks to read, oldest first, so a period reports the unit of the newest data in it:
  // the tier's rollup blocks, and the raw blocks it has no rollups of.
  BlockList sources;
  if (tier < 0) {
    sources = snap.blocks;
  } else {
    std::vector<uint64_t> rolled;
    for (const auto& r : snap.rollups) {
      if (r->from_source) rolled.push_back(r->seq);
    }
    std::sort(rolled.begin(), rolled.end());
    for (const auto& b : snap.blocks) {
      if (!std::binary_search(rolled.begin(), rolled.end(), b->seq)) sources.push_back(b);
    }
    sources.insert(sources.end(), snap.rollups.begin(), snap.rollups.end());
    std::sort(sources.begin(), sources.end(), ByMinTime);
  }

  // Raw samples go from the decoded columns straight into the aggregator; statistic sets and
  // rollup points pass through a buffer kept per thread, unless a query made it unusually large.
  thread_local block::SeriesData buf;
  struct TrimOnExit {
    ~TrimOnExit() {
      if (buf.stats.capacity() > (size_t{1} << 14)) std::vector<StatSample>().swap(buf.stats);
      if (buf.rollups.capacity() > (size_t{1} << 12)) {
        std::vector<block::RollupSample>().swap(buf.rollups);
      }
    }
  } trim_on_exit;
  for (const auto& b : sources) {
    const block::BlockReader& r = *b->reader;
    const block::BlockMeta& meta = r.meta();
    // A rollup point starting before lo may not hold samples of the query's periods; one
    // starting before hi counts whole.
    if (meta.max_time_ms < lo || meta.min_time_ms >= hi) continue;
    if (!std::binary_search(b->key_hashes.begin(), b->key_hashes.end(), hash)) continue;
    const int64_t i = r.Find(query.key);
    if (i < 0) continue;
    const std::string_view unit = r.unit(static_cast<size_t>(i));
    if (query.unit && unit != *query.unit) continue;
    buf.stats.clear();
    buf.rollups.clear();
    agg.SetUnit(unit);
    RETURN_IF_ERROR(r.ScanSeries(static_cast<size_t>(i), lo, hi, &agg, &buf,
                                 /*sketches=*/!query.percentiles.empty()));
    agg.OnStats(buf.stats);
    if (!buf.rollups.empty()) agg.OnRollups(buf.rollups, meta.sketch_accuracy);
  }
  for (const Head* head : {snap.frozen.get(), snap.head.get()}) {
    if (head == nullptr) continue;
    const MemSeries* s = head->Find(canonical, hash);
    if (s == nullptr) continue;
    auto lock = head->Lock(*s);
    const std::string& unit = units_.Name(s->unit);
    if (query.unit && unit != *query.unit) continue;
    agg.SetUnit(unit);
    head->ScanLocked(*s, lo, hi, &agg);
  }
  return agg.Finish();
}

namespace {

struct Candidate {
  std::string key;  // canonical
  int64_t last_append_ms;
};

}  // namespace

StatusOr<ListResult> DbImpl::ListSeries(const ListQuery& query) const {
  const std::string after = query.after ? CanonicalKeyString(*query.after) : std::string();
  // Canonical keys sort by namespace, then metric: with a namespace filter (and a metric
  // one), blocks are read from the first key with that prefix (or after `after`) and until
  // the prefix ends.
  std::string prefix;
  if (query.ns) {
    prefix = *query.ns + std::string(1, '\0');
    if (query.metric) prefix += *query.metric + std::string(1, '\0');
  }
  const std::string from = std::max(after, prefix);
  // Without RecentlyActive each source need give only its first limit+1 matches (sources are
  // sorted and merged); with it, activity is the newest append over all sources, so a series
  // inactive in one source may be active in another: take every match.
  const size_t per_source =
      query.active_since_ms || query.limit == std::numeric_limits<size_t>::max()
          ? std::numeric_limits<size_t>::max()
          : query.limit + 1;
  const Snapshot snap = TakeSnapshot();
  std::vector<Candidate> cands;
  auto accept = [&](std::string_view k) {
    if (query.after && !(k > std::string_view(after))) return false;
    return MatchesListFilters(k, query);
  };

  for (const auto& b : snap.blocks) {
    const block::BlockReader& r = *b->reader;
    // First series >= from (binary search, materializing O(log n) keys).
    size_t lo = 0, hi = r.num_series();
    if (!from.empty()) {
      while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (CanonicalKeyString(r.key(mid)) < from) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
    }
    size_t taken = 0;
    for (size_t i = lo; i < r.num_series() && taken < per_source; ++i) {
      std::string k = CanonicalKeyString(r.key(i));
      if (!std::string_view(k).starts_with(prefix)) break;
      if (!accept(k)) continue;
      cands.push_back(Candidate{std::move(k), r.last_append_ms(i)});
      ++taken;
    }
  }
  for (const Head* head : {snap.frozen.get(), snap.head.get()}) {
    if (head == nullptr) continue;
    const size_t begin = cands.size();
    head->ForEachSeries([&](const MemSeries& s) {
      if (s.num_raw == 0 && (!s.extra || s.extra->stats.empty())) return;  // failed append
      if (!accept(s.key())) return;
      cands.push_back(Candidate{std::string(s.key()), s.last_append_ms});
    });
    if (cands.size() - begin > per_source) {
      auto first = cands.begin() + static_cast<std::ptrdiff_t>(begin);
      auto keep = first + static_cast<std::ptrdiff_t>(per_source);
      std::nth_element(first, keep, cands.end(),
                       [](const Candidate& a, const Candidate& b) { return a.key < b.key; });
      cands.erase(keep, cands.end());
    }
  }

  std::sort(cands.begin(), cands.end(),
            [](const Candidate& a, const Candidate& b) { return a.key < b.key; });
  ListResult result;
  for (size_t i = 0; i < cands.size();) {
    size_t j = i;
    int64_t last = cands[i].last_append_ms;
    while (++j < cands.size() && cands[j].key == cands[i].key) {
      last = std::max(last, cands[j].last_append_ms);
    }
    if (!query.active_since_ms || last >= *query.active_since_ms) {
      if (result.series.size() == query.limit) {
        result.more = true;
        break;
      }
      SeriesKey key;
      ParseCanonicalKey(cands[i].key, &key);
      result.series.push_back(std::move(key));
    }
    i = j;
  }
  return result;
}

Db::Stats DbImpl::GetStats() const {
  Stats st;
  std::shared_ptr<const std::vector<uint64_t>> hashes;
  Snapshot snap;
  {
    std::lock_guard l(state_mu_);
    snap.blocks = blocks_;
    snap.frozen = frozen_;
    snap.head = head_;
    hashes = block_key_hashes_;
  }
  const int64_t unblocked = unblocked_series_.load(std::memory_order_relaxed);
  st.series =
      (hashes ? hashes->size() : 0) + static_cast<uint64_t>(std::max<int64_t>(0, unblocked));
  for (const Head* h : {snap.frozen.get(), snap.head.get()}) {
    if (h == nullptr) continue;
    st.head_series += h->num_series();
    st.head_samples += h->num_samples();
    st.head_bytes += h->memory_bytes();
  }
  st.blocks = snap.blocks.size();
  for (const auto& b : snap.blocks) {
    st.block_bytes += b->reader->SizeBytes();
    st.block_samples += b->reader->meta().num_samples;
  }
  {
    std::lock_guard l(state_mu_);
    for (const Tier& tier : tiers_) {
      st.rollup_blocks += tier.blocks.size();
      for (const auto& r : tier.blocks) st.rollup_bytes += r->reader->SizeBytes();
    }
  }
  st.wal_bytes = wal_ ? wal_->SizeBytes() : 0;
  return st;
}

Head::MemoryUse DbImpl::HeadMemoryForTest() const { return TakeSnapshot().head->Memory(); }

std::vector<std::pair<int64_t, int64_t>> DbImpl::BlockRangesForTest() const {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (const auto& b : TakeSnapshot().blocks) {
    out.emplace_back(b->reader->meta().min_time_ms, b->reader->meta().max_time_ms);
  }
  return out;
}

std::vector<std::string> DbImpl::BlockIdsForTest() const {
  std::vector<std::string> ids;
  for (const auto& b : TakeSnapshot().blocks) ids.push_back(b->reader->meta().id);
  return ids;
}

}  // namespace vigil::tsdb
