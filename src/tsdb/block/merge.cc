// MergeBlocks: a k-way merge of the inputs' series in canonical key order, streaming one
// series at a time through a BlockWriter.
#include <algorithm>
#include <limits>
#include <map>

#include "tsdb/block/block.h"
#include "storage/file_util.h"
#include "tsdb/block/index_format.h"

namespace vigil::tsdb::block {
namespace {

// The position of the merge in one input.
struct Cursor {
  const BlockReader* reader;
  size_t next = 0;
  std::string key;  // canonical key of series `next`, when next < reader->num_series()

  bool done() const { return next >= reader->num_series(); }
  void Load() {
    key.clear();
    if (!done()) AppendCanonicalKey(reader->key(next), &key);
  }
};

// Merges the consecutive sorted runs of *v delimited by `ends` (stable: ties keep run order).
template <typename Sample>
void MergeRuns(const std::vector<size_t>& ends, std::vector<Sample>* v) {
  auto by_time = [](const Sample& a, const Sample& b) { return a.timestamp_ms < b.timestamp_ms; };
  for (size_t k = 1; k < ends.size(); ++k) {
    std::inplace_merge(v->begin(), v->begin() + ends[k - 1], v->begin() + ends[k], by_time);
  }
}

// Checks that the inputs can be merged and derives the output's writer options.
StatusOr<BlockWriter::Options> MergeOptions(std::span<const BlockReader* const> inputs) {
  if (inputs.empty()) return InvalidArgumentError("MergeBlocks: no inputs");
  BlockWriter::Options options;
  options.resolution_ms = inputs.front()->meta().resolution_ms;
  options.sketch_accuracy = inputs.front()->meta().sketch_accuracy;
  for (const BlockReader* in : inputs) {
    if (in->meta().resolution_ms != options.resolution_ms ||
        in->meta().sketch_accuracy != options.sketch_accuracy) {
      return InvalidArgumentError("MergeBlocks: inputs of different resolutions or accuracies");
    }
    options.level = std::max(options.level, in->meta().level + 1);
    options.parents.push_back(in->meta().id);
  }
  return options;
}

// Calls fn(series) for the union of the inputs' series in canonical key order, each with the
// samples of every input merged by timestamp (ties in input order).
template <typename Fn>
Status ForEachMergedSeries(std::span<const BlockReader* const> inputs, Fn&& fn) {
  std::vector<Cursor> cursors;
  for (const BlockReader* in : inputs) {
    cursors.push_back(Cursor{in, 0, {}});
    cursors.back().Load();
  }
  // Blocks never hold a sample at INT64_MAX ms (the engine refuses far-future timestamps), so
  // [min, max) of int64 reads a whole series.
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Inputs' pages already merged are dropped from the resident set every this many series,
  // so a merge of large blocks holds a few megabytes of them, not all.
  constexpr size_t kReleaseEvery = 256;
  size_t merged_series = 0;
  for (;;) {
    const Cursor* first = nullptr;
    for (const Cursor& c : cursors) {
      if (!c.done() && (first == nullptr || c.key < first->key)) first = &c;
    }
    if (first == nullptr) break;
    const std::string key = first->key;
    SeriesData merged;
    merged.last_append_ms = kMin;
    std::vector<size_t> raw_ends{0};
    std::vector<size_t> stat_ends{0};
    std::vector<size_t> rollup_ends{0};
    for (Cursor& c : cursors) {
      if (c.done() || c.key != key) continue;
      SeriesData part;
      RETURN_IF_ERROR(c.reader->ReadSeries(c.next, kMin, kMax, &part));
      if (merged.raw.empty() && merged.stats.empty() && merged.rollups.empty()) {
        merged.raw = std::move(part.raw);
        merged.stats = std::move(part.stats);
        merged.rollups = std::move(part.rollups);
      } else {
        merged.raw.insert(merged.raw.end(), part.raw.begin(), part.raw.end());
        merged.stats.insert(merged.stats.end(), part.stats.begin(), part.stats.end());
        merged.rollups.insert(merged.rollups.end(), std::make_move_iterator(part.rollups.begin()),
                              std::make_move_iterator(part.rollups.end()));
      }
      raw_ends.push_back(merged.raw.size());
      stat_ends.push_back(merged.stats.size());
      rollup_ends.push_back(merged.rollups.size());
      merged.key = std::move(part.key);
      merged.unit = std::move(part.unit);
      merged.last_append_ms = std::max(merged.last_append_ms, part.last_append_ms);
      ++c.next;
      c.Load();
    }
    if (++merged_series % kReleaseEvery == 0) {
      for (const Cursor& c : cursors) c.reader->ReleasePagesBefore(c.next);
    }
    MergeRuns(raw_ends, &merged.raw);
    MergeRuns(stat_ends, &merged.stats);
    MergeRuns(rollup_ends, &merged.rollups);
    RETURN_IF_ERROR(fn(merged));
  }
  return OkStatus();
}

// The samples of `v` (sorted by time) in [lo, hi).
template <typename Sample>
std::span<const Sample> InRange(const std::vector<Sample>& v, int64_t lo, int64_t hi) {
  auto at = [&](int64_t t) {
    return std::lower_bound(v.begin(), v.end(), t,
                            [](const Sample& s, int64_t x) { return s.timestamp_ms < x; });
  };
  return {at(lo), at(hi)};
}

}  // namespace

Status MergeBlocks(const std::string& blocks_dir, const std::string& id,
                   std::span<const BlockReader* const> inputs, BlockMeta* meta,
                   storage::Cipher* cipher) {
  ASSIGN_OR_RETURN(BlockWriter::Options options, MergeOptions(inputs));
  options.cipher = cipher;
  ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> writer,
                   BlockWriter::Create(blocks_dir, id, std::move(options)));
  RETURN_IF_ERROR(
      ForEachMergedSeries(inputs, [&](const SeriesData& s) { return writer->Add(s); }));
  return writer->Finish(meta);
}

Status MergeBlocksByRange(const std::string& blocks_dir,
                          const std::function<std::string()>& new_id,
                          std::span<const BlockReader* const> inputs, int64_t range_ms,
                          std::vector<BlockMeta>* metas, storage::Cipher* cipher) {
  ASSIGN_OR_RETURN(BlockWriter::Options options, MergeOptions(inputs));
  options.cipher = cipher;
  struct Output {
    std::string id;
    std::unique_ptr<BlockWriter> writer;
  };
  std::map<int64_t, Output> outputs;  // by range start
  SeriesData part;
  Status s = ForEachMergedSeries(inputs, [&](const SeriesData& merged) -> Status {
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    auto extend = [&](const auto& v) {
      if (v.empty()) return;
      lo = std::min(lo, v.front().timestamp_ms);
      hi = std::max(hi, v.back().timestamp_ms);
    };
    extend(merged.raw);
    extend(merged.stats);
    extend(merged.rollups);
    if (lo > hi) return OkStatus();  // no samples: nothing to keep
    for (int64_t start = AlignDown(lo, range_ms); start <= hi; start += range_ms) {
      const auto raw = InRange(merged.raw, start, start + range_ms);
      const auto stats = InRange(merged.stats, start, start + range_ms);
      const auto rollups = InRange(merged.rollups, start, start + range_ms);
      if (raw.empty() && stats.empty() && rollups.empty()) continue;
      Output& out = outputs[start];
      if (!out.writer) {
        out.id = new_id();
        ASSIGN_OR_RETURN(out.writer, BlockWriter::Create(blocks_dir, out.id, options));
      }
      part.key = merged.key;
      part.unit = merged.unit;
      part.last_append_ms = merged.last_append_ms;
      part.raw.assign(raw.begin(), raw.end());
      part.stats.assign(stats.begin(), stats.end());
      part.rollups.assign(rollups.begin(), rollups.end());
      RETURN_IF_ERROR(out.writer->Add(part));
    }
    return OkStatus();
  });
  std::vector<std::string> ids;
  for (const auto& [start, out] : outputs) ids.push_back(out.id);
  metas->clear();
  for (auto& [start, out] : outputs) {
    if (!s.ok()) break;
    std::vector<std::string> siblings;
    for (const std::string& id : ids) {
      if (id != out.id) siblings.push_back(id);
    }
    BlockMeta meta;
    s = out.writer->Finish(&meta, std::move(siblings));
    if (s.ok()) metas->push_back(std::move(meta));
  }
  if (!s.ok()) {
    // Published outputs would otherwise sit beside their parents until the next Open.
    for (const BlockMeta& m : *metas) storage::RemoveAll(blocks_dir + "/" + m.id).IgnoreError();
    metas->clear();
  }
  return s;
}

}  // namespace vigil::tsdb::block
