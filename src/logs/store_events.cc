// The log store's events: PutEvents (CloudWatch's batch rules, the log, metric filters),
// GetEvents and FilterEvents over segments and the head.
#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <set>

#include "logs/store_impl.h"
#include "storage/coding.h"

namespace vigil::logs {
namespace {

constexpr size_t kMaxBatchEvents = 10'000;
constexpr size_t kMaxBatchBytes = 1'048'576;
constexpr size_t kEventOverhead = 26;  // CloudWatch counts each event's message plus 26 bytes
constexpr size_t kMaxEventBytes = 262'144 - kEventOverhead;
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr size_t kMaxFilterResponseBytes = 1 << 20;

bool AfterCursor(const StoredEvent& e, const Cursor& c) {
  return e.timestamp_ms != c.timestamp_ms ? e.timestamp_ms > c.timestamp_ms : e.id > c.id;
}

bool BeforeCursor(const StoredEvent& e, const Cursor& c) {
  return e.timestamp_ms != c.timestamp_ms ? e.timestamp_ms < c.timestamp_ms : e.id < c.id;
}

Event ToEvent(StoredEvent&& e, const std::map<uint64_t, std::string>& names) {
  Event out;
  const auto it = names.find(e.stream_id);
  if (it != names.end()) out.stream = it->second;
  out.timestamp_ms = e.timestamp_ms;
  out.ingestion_ms = e.ingestion_ms;
  out.message = std::move(e.message);
  out.id = e.id;
  return out;
}

}  // namespace

StatusOr<PutResult> StoreImpl::PutEvents(const std::string& group, const std::string& stream,
                                         const std::vector<InputEvent>& events, bool create) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  RETURN_IF_ERROR(ValidateStreamName(stream));
  if (events.empty() || events.size() > kMaxBatchEvents) {
    return InvalidArgumentError("a PutLogEvents batch holds 1 to 10,000 events, not " +
                                std::to_string(events.size()));
  }
  size_t bytes = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const InputEvent& e = events[i];
    if (e.message.empty()) {
      return InvalidArgumentError("log event " + std::to_string(i) + " has an empty message");
    }
    if (e.message.size() > kMaxEventBytes) {
      return InvalidArgumentError("log event " + std::to_string(i) + " is larger than " +
                                  std::to_string(kMaxEventBytes) + " bytes");
    }
    if (i > 0 && e.timestamp_ms < events[i - 1].timestamp_ms) {
      return InvalidArgumentError(
          "Log events in a single PutLogEvents request must be in chronological order "
          "(event " +
          std::to_string(i) + " is older than event " + std::to_string(i - 1) + ")");
    }
    bytes += e.message.size() + kEventOverhead;
  }
  if (bytes > kMaxBatchBytes) {
    return InvalidArgumentError("the batch is " + std::to_string(bytes) +
                                " bytes (26 per event included); the limit is 1,048,576");
  }
  if (events.back().timestamp_ms - events.front().timestamp_ms > kDayMs) {
    return InvalidArgumentError(
        "A batch of log events in a single request cannot span more than 24 hours");
  }

  gate_.Enter();
  struct Leave {
    StoreImpl::AppendGate* gate;
    bool left = false;
    void operator()() {
      if (!left) gate->Leave();
      left = true;
    }
    ~Leave() { (*this)(); }
  } leave{&gate_};
  const int64_t now = options_.clock->NowMillis();
  PutResult result;
  uint64_t gid = 0, sid = 0, first_id = 0;
  size_t begin = 0, end = events.size();  // the accepted range
  {
    std::lock_guard l(mu_);
    GroupState* g = FindGroup(group);
    if (g == nullptr && create) {
      RETURN_IF_ERROR(CreateGroupLocked(group, {}));
      g = FindGroup(group);
    }
    if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
    auto s = g->streams.find(stream);
    if (s == g->streams.end() && create) {
      RETURN_IF_ERROR(CreateStreamLocked(g, stream));
      s = g->streams.find(stream);
    }
    if (s == g->streams.end()) {
      return NotFoundError("The specified log stream does not exist: " + stream);
    }
    for (size_t i = 0; i < events.size(); ++i) {
      const int64_t ts = events[i].timestamp_ms;
      if (ts < now - 14 * kDayMs) {
        result.too_old_end_index = static_cast<int>(i);
      } else if (g->retention_days && ts < now - *g->retention_days * kDayMs) {
        result.expired_end_index = static_cast<int>(i);
      }
      if (ts > now + 2 * kHourMs && !result.too_new_start_index) {
        result.too_new_start_index = static_cast<int>(i);
      }
    }
    begin = static_cast<size_t>(
        std::max(result.too_old_end_index.value_or(-1), result.expired_end_index.value_or(-1)) + 1);
    end = static_cast<size_t>(result.too_new_start_index.value_or(static_cast<int>(end)));
    if (begin >= end) return result;  // every event refused; nothing logged
    gid = g->id;
    sid = s->second.id;
    first_id = next_event_id_;
    next_event_id_ += end - begin;
  }

  std::string record;
  storage::PutVarint64(&record, gid);
  storage::PutVarint64(&record, sid);
  storage::PutVarint64(&record, first_id);
  storage::PutVarint64(&record, end - begin);
  storage::PutVarsint64(&record, now);
  for (size_t i = begin; i < end; ++i) {
    storage::PutVarsint64(&record, events[i].timestamp_ms);
    storage::PutLengthPrefixed(&record, events[i].message);
  }
  RETURN_IF_ERROR(wal_->Append(record));

  std::vector<StoredEvent> stored;
  stored.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    stored.push_back(
        StoredEvent{sid, events[i].timestamp_ms, now, first_id + (i - begin), events[i].message});
  }
  std::vector<CompiledFilter> filters;
  bool cut_due = false;
  {
    std::lock_guard l(mu_);
    GroupState* g = FindGroup(group);
    if (g != nullptr && g->id == gid) {  // not deleted meanwhile
      auto s = g->streams.find(stream);
      for (const StoredEvent& e : stored) {
        if (s != g->streams.end() && s->second.id == sid) s->second.stats.Add(e);
        g->head_bytes += e.message.size();
        head_bytes_ += e.message.size();
      }
      head_[gid].push_back(std::make_shared<const std::vector<StoredEvent>>(stored));
      for (const auto& [name, f] : g->filters) filters.push_back(f);
    }
    cut_due = head_bytes_ >= options_.cut_bytes;
  }
  leave();
  if (cut_due) bg_cv_.notify_one();
  result.accepted = static_cast<int>(end - begin);
  if (!filters.empty() && options_.on_sample) {
    for (const CompiledFilter& f : filters) {
      for (const MetricTransformation& t : f.filter.transformations) {
        std::vector<std::string> selectors = {t.metric_value};
        for (const auto& [dim, selector] : t.dimensions) selectors.push_back(selector);
        for (const StoredEvent& e : stored) {
          const FilterPattern::Extraction x = f.pattern.Extract(e.message, selectors);
          // A default value (for an event that does not match) carries no dimensions.
          std::optional<double> value = t.default_value;
          if (x.matched) value = x.Number(0);
          if (!value || (!x.matched && !t.dimensions.empty())) continue;
          FilterSample sample;
          sample.metric_namespace = t.metric_namespace;
          sample.metric_name = t.metric_name;
          sample.unit = t.unit;
          sample.timestamp_ms = e.timestamp_ms;
          sample.value = *value;
          bool complete = true;
          size_t i = 1;
          for (const auto& [dim, selector] : t.dimensions) {
            const std::optional<std::string>& v = x.fields[i++];
            complete = complete && v && !v->empty();
            if (complete) sample.dimensions[dim] = *v;
          }
          if (complete) options_.on_sample(sample);
        }
      }
    }
  }
  return result;
}

StatusOr<std::vector<StoredEvent>> StoreImpl::Scan(
    const std::string& group, const std::vector<std::string>& streams,
    const std::string& stream_prefix, int64_t start, int64_t end,
    const std::optional<Cursor>& after, const std::optional<Cursor>& before, bool backward,
    size_t limit, const std::function<bool(std::string_view message)>& keep,
    std::map<uint64_t, std::string>* stream_names) const {
  std::vector<std::shared_ptr<const Segment>> segments;
  std::vector<HeadChunk> head;  // read outside the lock: chunks are immutable
  std::set<uint64_t> wanted;
  {
    std::lock_guard l(mu_);
    const GroupState* g = FindGroup(group);
    if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
    for (const auto& [name, s] : g->streams) {
      const bool named = streams.empty()
                             ? name.compare(0, stream_prefix.size(), stream_prefix) == 0
                             : std::find(streams.begin(), streams.end(), name) != streams.end();
      if (!named) continue;
      wanted.insert(s.id);
      (*stream_names)[s.id] = name;
    }
    if (g->retention_days) {
      start = std::max(start, options_.clock->NowMillis() - *g->retention_days * kDayMs);
    }
    segments = g->segments;
    auto take = [&](const Head& h) {
      const auto it = h.find(g->id);
      if (it != h.end()) head.insert(head.end(), it->second.begin(), it->second.end());
    };
    take(head_);
    if (frozen_) take(*frozen_);
  }
  if (wanted.empty() || limit == 0 || start > end) return std::vector<StoredEvent>{};

  // The best `limit` events so far, the worst of them on top of the heap.
  auto worse = [backward](const StoredEvent& a, const StoredEvent& b) {
    return backward ? EventBefore(b, a) : EventBefore(a, b);
  };
  std::vector<StoredEvent> best;
  // Whether an event at (ts, id) would enter the best `limit` (checked before the pattern).
  auto could_enter = [&](int64_t ts, uint64_t id) {
    if (best.size() < limit) return true;
    const StoredEvent& w = best.front();
    const bool before = ts != w.timestamp_ms ? ts < w.timestamp_ms : id < w.id;
    return backward ? !before : before;
  };
  auto offer = [&](StoredEvent&& e) {
    if (best.size() < limit) {
      best.push_back(std::move(e));
      std::push_heap(best.begin(), best.end(), worse);
    } else {
      std::pop_heap(best.begin(), best.end(), worse);
      best.back() = std::move(e);
      std::push_heap(best.begin(), best.end(), worse);
    }
  };
  for (const HeadChunk& chunk : head) {
    for (const StoredEvent& e : *chunk) {
      if (e.timestamp_ms < start || e.timestamp_ms > end || wanted.count(e.stream_id) == 0) {
        continue;
      }
      if ((after && !AfterCursor(e, *after)) || (before && !BeforeCursor(e, *before))) continue;
      if (could_enter(e.timestamp_ms, e.id) && keep(e.message)) offer(StoredEvent(e));
    }
  }

  struct Candidate {
    const Segment* segment;
    size_t block;
  };
  std::vector<Candidate> candidates;
  for (const auto& seg : segments) {
    for (size_t b = 0; b < seg->blocks().size(); ++b) {
      const BlockMeta& m = seg->blocks()[b];
      if (m.max_ts < start || m.min_ts > end) continue;
      if (after && m.max_ts < after->timestamp_ms) continue;
      if (before && m.min_ts > before->timestamp_ms) continue;
      if (std::none_of(m.streams.begin(), m.streams.end(),
                       [&](uint64_t s) { return wanted.count(s) > 0; })) {
        continue;
      }
      candidates.push_back({seg.get(), b});
    }
  }
  // Blocks in the order their events can first matter: once the heap is full, a block that
  // starts past its worst event (in the scan's direction) holds nothing better, nor do the rest.
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    const BlockMeta& x = a.segment->blocks()[a.block];
    const BlockMeta& y = b.segment->blocks()[b.block];
    return backward ? x.max_ts > y.max_ts : x.min_ts < y.min_ts;
  });
  for (const Candidate& c : candidates) {
    const BlockMeta& m = c.segment->blocks()[c.block];
    if (best.size() >= limit) {
      if (!backward && m.min_ts > best.front().timestamp_ms) break;
      if (backward && m.max_ts < best.front().timestamp_ms) break;
    }
    RETURN_IF_ERROR(c.segment->ForEachInBlock(c.block, [&](const EventView& e) {
      if (e.timestamp_ms < start || e.timestamp_ms > end || wanted.count(e.stream_id) == 0) {
        return;
      }
      const StoredEvent key{0, e.timestamp_ms, 0, e.id, {}};
      if ((after && !AfterCursor(key, *after)) || (before && !BeforeCursor(key, *before))) return;
      if (!could_enter(e.timestamp_ms, e.id) || !keep(e.message)) return;
      offer(StoredEvent{e.stream_id, e.timestamp_ms, e.ingestion_ms, e.id, std::string(e.message)});
    }));
  }
  std::sort(best.begin(), best.end(), EventBefore);
  return best;
}

StatusOr<GetResult> StoreImpl::GetEvents(const GetQuery& q) const {
  {
    std::lock_guard l(mu_);
    const GroupState* g = FindGroup(q.group);
    if (g == nullptr) return NotFoundError("The specified log group does not exist: " + q.group);
    if (g->streams.count(q.stream) == 0) {
      return NotFoundError("The specified log stream does not exist: " + q.stream);
    }
  }
  if (q.limit < 1 || q.limit > 10000) {
    return InvalidArgumentError("limit must be between 1 and 10000");
  }
  const int64_t start = q.start_ms.value_or(INT64_MIN);
  const int64_t end = q.end_ms ? *q.end_ms - 1 : INT64_MAX;  // GetLogEvents' end is exclusive
  const bool backward = q.before.has_value() || (!q.after && !q.start_from_head);
  std::map<uint64_t, std::string> names;
  ASSIGN_OR_RETURN(
      std::vector<StoredEvent> events,
      Scan(
          q.group, {q.stream}, "", start, end, q.after, q.before, backward,
          static_cast<size_t>(q.limit), [](std::string_view) { return true; }, &names));
  GetResult r;
  if (events.empty()) {
    const Cursor edge = q.after    ? *q.after
                        : q.before ? *q.before
                        : backward ? Cursor{end == INT64_MAX ? INT64_MAX : end + 1, 0}
                                   : Cursor{start == INT64_MIN ? INT64_MIN : start - 1, UINT64_MAX};
    r.first = r.last = edge;
  } else {
    r.first = {events.front().timestamp_ms, events.front().id};
    r.last = {events.back().timestamp_ms, events.back().id};
  }
  r.events.reserve(events.size());
  for (StoredEvent& e : events) r.events.push_back(ToEvent(std::move(e), names));
  return r;
}

StatusOr<FilterResult> StoreImpl::FilterEvents(const FilterQuery& q) const {
  if (q.limit < 1 || q.limit > 10000) {
    return InvalidArgumentError("limit must be between 1 and 10000");
  }
  if (!q.streams.empty() && !q.stream_prefix.empty()) {
    return InvalidArgumentError("logStreamNames and logStreamNamePrefix cannot both be given");
  }
  std::map<uint64_t, std::string> names;
  const FilterPattern& pattern = q.pattern;
  ASSIGN_OR_RETURN(std::vector<StoredEvent> events,
                   Scan(
                       q.group, q.streams, q.stream_prefix, q.start_ms.value_or(INT64_MIN),
                       q.end_ms.value_or(INT64_MAX), q.after, std::nullopt, /*backward=*/false,
                       static_cast<size_t>(q.limit),
                       [&](std::string_view message) { return pattern.Matches(message); }, &names));
  FilterResult r;
  size_t bytes = 0;
  const bool full = events.size() >= static_cast<size_t>(q.limit);
  for (StoredEvent& e : events) {
    bytes += e.message.size() + 100;
    if (bytes > kMaxFilterResponseBytes && !r.events.empty()) {
      r.next = Cursor{r.events.back().timestamp_ms, r.events.back().id};
      break;
    }
    r.events.push_back(ToEvent(std::move(e), names));
  }
  if (!r.next && full && !r.events.empty()) {
    r.next = Cursor{r.events.back().timestamp_ms, r.events.back().id};
  }
  for (const auto& [id, name] : names) r.searched_streams.push_back(name);
  return r;
}

}  // namespace vigil::logs
