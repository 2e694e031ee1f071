// Append: validation, WAL record, head insert.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <shared_mutex>

#include "tsdb/block/index_format.h"
#include "tsdb/db_impl.h"
#include "tsdb/series_key.h"
#include "tsdb/wal_records.h"

namespace vigil::tsdb {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string IsoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

// OK when every sample of `s` may be stored; otherwise InvalidArgument naming the series,
// the sample and the problem. Messages are built only on failure: this runs for every sample.
Status ValidateSamples(const SeriesSamplesView& s, int64_t min_t, int64_t max_t) {
  RETURN_IF_ERROR(ValidateSeriesKey(s.key));
  auto fail = [&](const char* kind, size_t i, const std::string& what) {
    return InvalidArgumentError("series " + FormatSeriesKey(s.key) + ": " + kind + " " +
                                std::to_string(i + 1) + " " + what);
  };
  auto check_time = [&](int64_t t, const char* kind, size_t i) -> Status {
    if (t < min_t || t > max_t) {
      return fail(kind, i,
                  "has timestamp " + IsoTime(t) + ", outside the accepted window " +
                      IsoTime(min_t) + " to " + IsoTime(max_t));
    }
    return OkStatus();
  };
  for (size_t i = 0; i < s.raw.size(); ++i) {
    const RawSample& r = s.raw[i];
    if (!std::isfinite(r.value)) return fail("value", i, "is " + Num(r.value) + ", not finite");
    if (!(r.count > 0) || !std::isfinite(r.count)) {
      return fail("value", i, "has count " + Num(r.count) + ", must be finite and > 0");
    }
    RETURN_IF_ERROR(check_time(r.timestamp_ms, "value", i));
  }
  for (size_t i = 0; i < s.stats.size(); ++i) {
    const StatSample& st = s.stats[i];
    if (!std::isfinite(st.sample_count) || !std::isfinite(st.sum) || !std::isfinite(st.minimum) ||
        !std::isfinite(st.maximum)) {
      return fail("statistic set", i, "holds a non-finite number");
    }
    if (!(st.sample_count > 0))
      return fail("statistic set", i, "has SampleCount " + Num(st.sample_count) + ", must be > 0");
    if (st.minimum > st.maximum) {
      return fail("statistic set", i,
                  "has Minimum " + Num(st.minimum) + " > Maximum " + Num(st.maximum));
    }
    RETURN_IF_ERROR(check_time(st.timestamp_ms, "statistic set", i));
  }
  return OkStatus();
}

size_t CanonicalKeysSize(std::span<const SeriesSamplesView> batch) {
  size_t n = 0;
  for (const SeriesSamplesView& s : batch) n += block::CanonicalKeySize(s.key);
  return n;
}

std::string_view KeyOf(const std::string& keys, size_t begin, size_t end) {
  return std::string_view(keys).substr(begin, end - begin);
}

}  // namespace

Status DbImpl::AppendViews(std::span<const SeriesSamplesView> batch) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t now = options_.clock->NowMillis();
  const int64_t min_t = now - options_.max_sample_age_ms;
  const int64_t max_t = now + options_.max_future_ms;

  struct Item {
    const SeriesSamplesView* in;
    size_t key_begin;  // the canonical key is keys[key_begin, key_end)
    size_t key_end;
    size_t hash;
    uint16_t unit;
    MemSeries* series = nullptr;
  };
  std::vector<Item> items;
  items.reserve(batch.size());
  // Every canonical key of the batch in one buffer, sized once: one allocation per Append
  // rather than one per series (a remote-write request holds thousands).
  std::string keys;
  keys.reserve(CanonicalKeysSize(batch));
  uint64_t num_samples = 0;
  std::optional<std::string_view> last_unit;
  uint16_t last_unit_id = 0;
  for (const SeriesSamplesView& s : batch) {
    RETURN_IF_ERROR(ValidateSamples(s, min_t, max_t));
    if (s.raw.empty() && s.stats.empty()) continue;
    if (!last_unit || *last_unit != s.unit) {
      std::optional<uint16_t> id = units_.Intern(s.unit);
      if (!id) {
        return InvalidArgumentError("too many distinct units; refusing unit " +
                                    std::string(s.unit));
      }
      last_unit = s.unit;
      last_unit_id = *id;
    }
    Item item{&s, keys.size(), 0, 0, last_unit_id};
    block::AppendCanonicalKey(s.key, &keys);
    item.key_end = keys.size();
    item.hash = HashCanonicalKey(KeyOf(keys, item.key_begin, item.key_end));
    items.push_back(item);
    num_samples += s.raw.size() + s.stats.size();
  }
  if (items.empty()) {
    std::shared_lock g(gate_);
    return closed_ ? FailedPreconditionError("tsdb: Append after Close") : OkStatus();
  }
  RETURN_IF_ERROR(WaitForHeadRoom());

  bool cut_wanted;
  {
    std::shared_lock g(gate_);
    if (closed_) return FailedPreconditionError("tsdb: Append after Close");
    // head_ is only replaced with gate_ held exclusively, so it is stable here.
    Head* head = head_.get();
    std::vector<WalSeriesDef> defs;  // sized at the first definition (most batches have none)
    std::vector<WalSeriesSamples> samples;
    samples.reserve(items.size());
    for (Item& item : items) {
      bool created;
      const std::string_view canonical = KeyOf(keys, item.key_begin, item.key_end);
      item.series = head->GetOrCreate(canonical, item.hash, &next_series_id_, &created);
      if (created) NoteNewSeries(canonical, item.hash);
      bool define;
      {
        auto lock = head->Lock(*item.series);
        // Defined again when its definition may not be durable yet (another append may be
        // writing it concurrently: duplicates are harmless) or its unit changes.
        define = !item.series->wal_defined || item.series->unit != item.unit;
      }
      if (define) {
        if (defs.empty()) defs.reserve(items.size());
        defs.push_back(WalSeriesDef{item.series->id, item.series->key(), units_.Name(item.unit)});
      }
      samples.push_back(WalSeriesSamples{item.series->id, item.in->raw, item.in->stats});
    }
    std::string record;
    EncodeWalBatch(now, defs, samples, &record);
    RETURN_IF_ERROR(wal_->Append(record));
    for (Item& item : items) {
      auto lock = head->Lock(*item.series);
      head->AppendLocked(item.series, item.in->raw, item.in->stats, item.unit, now,
                         /*wal_defined=*/true);
    }
    cut_wanted = CutWanted(*head, now);
  }
  if (cut_wanted && options_.background) {
    std::lock_guard l(bg_mu_);
    bg_wake_ = true;
    bg_cv_.notify_all();
  }
  NoteAppendMetrics(
      num_samples,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return OkStatus();
}

Status DbImpl::WaitForHeadRoom() {
  std::unique_lock l(state_mu_);
  // Bounded memory: with one frozen head still being written, a full head waits for it.
  room_cv_.wait(l, [&] {
    return frozen_ == nullptr || !frozen_error_.ok() ||
           !HeadFull(*head_);
  });
  if (frozen_ != nullptr && !frozen_error_.ok() &&
      HeadFull(*head_)) {
    return UnavailableError("tsdb: head is full and the previous head cannot be written: " +
                            frozen_error_.ToString());
  }
  return OkStatus();
}

bool DbImpl::HeadFull(const Head& head) const {
  constexpr uint64_t kMinChunkBytesPerSeries = 256;
  return head.chunk_bytes() >=
         std::max<uint64_t>(options_.head_chunk_bytes, kMinChunkBytesPerSeries * head.num_series());
}

bool DbImpl::CutWanted(const Head& head, int64_t now_ms) const {
  const uint64_t n = head.num_samples();
  if (n == 0) return false;
  if (HeadFull(head)) return true;
  // Late samples (accepted up to max_sample_age_ms back) can widen the span at once; requiring
  // the head to have lived an eighth of a block range keeps a backfilling client from
  // producing a block per append. With current timestamps the span grows with wall time, so
  // this never delays an ordinary cut.
  const uint64_t span =
      static_cast<uint64_t>(head.max_time()) - static_cast<uint64_t>(head.min_time());
  return span > static_cast<uint64_t>(options_.block_range_ms) &&
         now_ms - head.created_ms() >= options_.block_range_ms / 8;
}

void DbImpl::NoteNewSeries(std::string_view canonical, size_t hash) {
  std::shared_ptr<const std::vector<uint64_t>> hashes;
  std::shared_ptr<const Head> frozen;
  {
    std::lock_guard l(state_mu_);
    hashes = block_key_hashes_;
    frozen = frozen_;
  }
  if (hashes && std::binary_search(hashes->begin(), hashes->end(), hash)) return;
  if (frozen && frozen->Find(canonical, hash) != nullptr) return;
  unblocked_series_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace vigil::tsdb
