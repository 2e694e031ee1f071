// MergeBlocks: a k-way merge of the inputs' series in canonical key order, streaming one
// series at a time through a BlockWriter.
#include <algorithm>
#include <limits>

#include "tsdb/block/block.h"
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

}  // namespace

Status MergeBlocks(const std::string& blocks_dir, const std::string& id,
                   std::span<const BlockReader* const> inputs, BlockMeta* meta) {
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
  ASSIGN_OR_RETURN(std::unique_ptr<BlockWriter> writer,
                   BlockWriter::Create(blocks_dir, id, std::move(options)));
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
    RETURN_IF_ERROR(writer->Add(merged));
  }
  return writer->Finish(meta);
}

}  // namespace vigil::tsdb::block
