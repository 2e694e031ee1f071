#pragma once
// vigil::logs — the log store: CloudWatch Logs' model of groups, streams and events, kept on
// local disk. Knows nothing of HTTP or AWS's wire formats (api/ does).
//
// Durability: PutEvents returns once its events are in the store's write-ahead log and that
// log is fsynced (group commit: concurrent puts share one fsync). A background thread turns
// the log's events, every `cut_bytes` or `cut_interval_ms`, into one compressed segment file
// per group with a time index (docs/format/logs.md) and then drops that part of the log.
// Open replays what the log holds; a torn tail is cut off with a warning, never a crash.
//
// Metadata (groups, streams, retention, tags, metric filters) lives in the state store.
//
// Thread-safety: a Store is safe for concurrent use.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/status.h"
#include "storage/cipher.h"
#include "logs/filter_pattern.h"
#include "state/state.h"

namespace vigil::logs {

struct InputEvent {
  int64_t timestamp_ms = 0;
  std::string message;
};

struct Event {
  std::string stream;
  int64_t timestamp_ms = 0;
  int64_t ingestion_ms = 0;
  std::string message;
  uint64_t id = 0;  // unique in the store, increasing with ingestion
};

struct GroupInfo {
  std::string name;
  int64_t creation_ms = 0;
  std::optional<int> retention_days;
  uint64_t stored_bytes = 0;  // compressed on disk, plus events not yet in a segment
  int metric_filter_count = 0;
  std::map<std::string, std::string> tags;
};

struct StreamInfo {
  std::string name;
  int64_t creation_ms = 0;
  std::optional<int64_t> first_event_ms, last_event_ms, last_ingestion_ms;
  uint64_t stored_bytes = 0;  // raw message bytes
};

// Which events of a batch were refused by age (CloudWatch's rejectedLogEventsInfo): indexes
// into the batch; the others were stored.
struct PutResult {
  std::optional<int> too_new_start_index;  // this and later: more than 2 h in the future
  std::optional<int> too_old_end_index;    // this and earlier: older than 14 days
  std::optional<int> expired_end_index;    // this and earlier: older than the retention
  int accepted = 0;
};

// A position between events in (timestamp, id) order, for paging.
struct Cursor {
  int64_t timestamp_ms = 0;
  uint64_t id = 0;
};

struct GetQuery {
  std::string group, stream;
  std::optional<int64_t> start_ms, end_ms;  // [start, end)
  int limit = 10000;
  bool start_from_head = false;  // without a cursor: the oldest events first, else the newest
  std::optional<Cursor> after;   // forward page: events after this
  std::optional<Cursor> before;  // backward page: events before this
};

struct GetResult {
  std::vector<Event> events;  // oldest first
  Cursor first, last;         // positions for the backward and forward tokens
};

struct FilterQuery {
  std::string group;
  std::vector<std::string> streams;  // empty: every stream (or those with stream_prefix)
  std::string stream_prefix;
  std::optional<int64_t> start_ms, end_ms;  // [start, end]
  FilterPattern pattern;
  int limit = 10000;
  std::optional<Cursor> after;  // the next page
};

struct FilterResult {
  std::vector<Event> events;   // oldest first
  std::optional<Cursor> next;  // set when more may follow
  std::vector<std::string> searched_streams;
};

struct MetricTransformation {
  std::string metric_name, metric_namespace;
  std::string metric_value;  // "1", "$.latency", "$bytes"
  std::optional<double> default_value;
  std::map<std::string, std::string> dimensions;  // name -> "$.field" / "$field" or a constant
  std::string unit;
};

struct MetricFilter {
  std::string name;
  std::string group;
  std::string pattern;
  std::vector<MetricTransformation> transformations;
  int64_t creation_ms = 0;
};

// A sample a metric filter made of a matching event.
struct FilterSample {
  std::string metric_namespace, metric_name, unit;
  std::map<std::string, std::string> dimensions;
  int64_t timestamp_ms = 0;
  double value = 0;
};

struct Options {
  std::string dir;                // <data-dir>/logs
  state::Store* state = nullptr;  // required
  const Clock* clock = nullptr;   // required
  Logger* logger = nullptr;       // required
  bool sync = true;               // fsync the log (tests of other things may turn it off)
  size_t cut_bytes = 32 << 20;    // events in the log before they are cut into segments
  int64_t cut_interval_ms = 5 * 60 * 1000;
  bool background = true;  // cut and apply retention on a thread of the store's own
  // Called for each sample a metric filter makes (from the putting thread); may be empty.
  std::function<void(const FilterSample&)> on_sample;
  // Encryption at rest (docs/format/logs.md, wal.md). `cipher` opens encrypted log segments
  // and segment files (null: an encrypted one is an error); with `encrypt`, every segment and
  // log segment written from now on is encrypted with it. Older files keep their form and stay
  // readable. Must outlive the store.
  storage::Cipher* cipher = nullptr;
  bool encrypt = false;
};

class Store {
 public:
  // Opens (creating) the store in options.dir, replaying its log. DataLoss naming the file
  // when a segment is damaged beyond its torn tail is logged and that segment set aside.
  static StatusOr<std::unique_ptr<Store>> Open(Options options);
  virtual ~Store() = default;

  // AlreadyExists, NotFound (naming the group or stream), InvalidArgument for bad names.
  virtual Status CreateGroup(const std::string& group,
                             const std::map<std::string, std::string>& tags) = 0;
  virtual Status DeleteGroup(const std::string& group) = 0;
  virtual Status CreateStream(const std::string& group, const std::string& stream) = 0;
  virtual Status DeleteStream(const std::string& group, const std::string& stream) = 0;
  // Groups whose names start with `prefix`, in name order, after `after`; at most `limit`.
  virtual StatusOr<std::vector<GroupInfo>> DescribeGroups(const std::string& prefix,
                                                          const std::string& after,
                                                          size_t limit) const = 0;
  // Streams of `group` by name (prefix, after, limit) or by last event time (newest first when
  // `descending`), paged by index.
  virtual StatusOr<std::vector<StreamInfo>> DescribeStreams(const std::string& group,
                                                            const std::string& prefix,
                                                            bool by_last_event,
                                                            bool descending) const = 0;
  virtual Status SetRetention(const std::string& group, std::optional<int> days) = 0;
  virtual Status TagGroup(const std::string& group, const std::map<std::string, std::string>& tags,
                          const std::vector<std::string>& untag) = 0;
  virtual StatusOr<std::map<std::string, std::string>> GroupTags(
      const std::string& group) const = 0;

  // Appends `events` (in timestamp order; at most 10,000 and 1 MB counting 26 bytes each, within
  // 24 h) to a stream, durably. With `create` a missing group and stream are made first (the
  // instances' output). InvalidArgument for a batch breaking CloudWatch's rules, NotFound.
  virtual StatusOr<PutResult> PutEvents(const std::string& group, const std::string& stream,
                                        const std::vector<InputEvent>& events,
                                        bool create = false) = 0;
  virtual StatusOr<GetResult> GetEvents(const GetQuery& query) const = 0;
  virtual StatusOr<FilterResult> FilterEvents(const FilterQuery& query) const = 0;

  virtual Status PutMetricFilter(const MetricFilter& filter) = 0;
  virtual Status DeleteMetricFilter(const std::string& group, const std::string& name) = 0;
  // Filters of `group` (or of every group when empty) whose names start with `prefix`.
  virtual StatusOr<std::vector<MetricFilter>> DescribeMetricFilters(
      const std::string& group, const std::string& prefix) const = 0;

  // Cuts the log's events into segments now and applies retention (the background thread does
  // this on its own; tests and Close call it).
  virtual Status Flush() = 0;
  // Flushes and stops the background thread. Idempotent.
  virtual Status Close() = 0;
};

// Names CloudWatch accepts: groups 1-512 of [.-_/#A-Za-z0-9], streams 1-512 without ':' or '*'.
Status ValidateGroupName(const std::string& name);
Status ValidateStreamName(const std::string& name);

}  // namespace vigil::logs
