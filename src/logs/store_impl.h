#pragma once
// Private to vigil::logs: the Store implementation.
//
//   store.cc        open and recovery, groups and streams, retention, the background cut
//   store_events.cc PutEvents (validation, the log, metric filters), GetEvents, FilterEvents
//   segment.cc      segment files
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "logs/logs.h"
#include "logs/segment.h"
#include "storage/wal.h"

namespace vigil::logs {

struct StreamState {
  uint64_t id = 0;
  std::string name;
  int64_t creation_ms = 0;
  StreamStats stats;  // over segments and the head
};

struct CompiledFilter {
  MetricFilter filter;
  FilterPattern pattern;
};

struct GroupState {
  uint64_t id = 0;
  std::string name;
  int64_t creation_ms = 0;
  std::optional<int> retention_days;
  std::map<std::string, std::string> tags;
  std::map<std::string, StreamState> streams;  // by name
  std::vector<std::shared_ptr<const Segment>> segments;
  uint64_t head_bytes = 0;  // message bytes of this group's events in the head
  std::map<std::string, CompiledFilter> filters;  // by name
};

// Events not yet in segments, by group id, in arrival order: one immutable chunk per logged
// batch, so that a search takes the chunks' pointers under the lock and reads them outside it.
using HeadChunk = std::shared_ptr<const std::vector<StoredEvent>>;
using Head = std::map<uint64_t, std::vector<HeadChunk>>;

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(Options options) : options_(std::move(options)) {}
  ~StoreImpl() override;
  Status Init();

  Status CreateGroup(const std::string& group,
                     const std::map<std::string, std::string>& tags) override;
  Status DeleteGroup(const std::string& group) override;
  Status CreateStream(const std::string& group, const std::string& stream) override;
  Status DeleteStream(const std::string& group, const std::string& stream) override;
  StatusOr<std::vector<GroupInfo>> DescribeGroups(const std::string& prefix,
                                                  const std::string& after,
                                                  size_t limit) const override;
  StatusOr<std::vector<StreamInfo>> DescribeStreams(const std::string& group,
                                                    const std::string& prefix, bool by_last_event,
                                                    bool descending) const override;
  Status SetRetention(const std::string& group, std::optional<int> days) override;
  Status TagGroup(const std::string& group, const std::map<std::string, std::string>& tags,
                  const std::vector<std::string>& untag) override;
  StatusOr<std::map<std::string, std::string>> GroupTags(const std::string& group) const override;

  StatusOr<PutResult> PutEvents(const std::string& group, const std::string& stream,
                                const std::vector<InputEvent>& events, bool create) override;
  StatusOr<GetResult> GetEvents(const GetQuery& query) const override;
  StatusOr<FilterResult> FilterEvents(const FilterQuery& query) const override;

  Status PutMetricFilter(const MetricFilter& filter) override;
  Status DeleteMetricFilter(const std::string& group, const std::string& name) override;
  StatusOr<std::vector<MetricFilter>> DescribeMetricFilters(
      const std::string& group, const std::string& prefix) const override;

  Status Flush() override;
  Status Close() override;

 private:
  // store.cc
  Status LoadMetadata();
  // Recovery: `streams_by_id` indexes every stream of groups_.
  Status LoadSegments(const std::map<uint64_t, StreamState*>& streams_by_id);
  Status ReplayLog(const std::map<uint64_t, StreamState*>& streams_by_id);
  Status SaveGroup(const GroupState& g);  // its record in the state store
  uint64_t NextId();                      // REQUIRES: mu_; persisted with the record using it
  GroupState* FindGroup(const std::string& name);  // REQUIRES: mu_
  const GroupState* FindGroup(const std::string& name) const;
  Status CreateGroupLocked(const std::string& group,
                           const std::map<std::string, std::string>& tags);
  Status CreateStreamLocked(GroupState* g, const std::string& stream);
  std::string GroupDir(uint64_t group_id) const;
  void ApplyRetention();  // drops segments past their group's retention
  void BackgroundLoop();

  // store_events.cc
  // The events of group `g` (streams in `streams`, or all when empty) within [start, end] that
  // `keep` accepts, ordered by (timestamp, id) from `after` forward, or backward from
  // `before`; the first `limit` in that order, in ascending order. REQUIRES: not mu_.
  StatusOr<std::vector<StoredEvent>> Scan(const std::string& group,
                                          const std::vector<std::string>& streams,
                                          const std::string& stream_prefix, int64_t start,
                                          int64_t end, const std::optional<Cursor>& after,
                                          const std::optional<Cursor>& before, bool backward,
                                          size_t limit,
                                          const std::function<bool(std::string_view)>& keep,
                                          std::map<uint64_t, std::string>* stream_names) const;

  // The cipher new files are written with: null unless options_.encrypt.
  storage::Cipher* WriteCipher() const { return options_.encrypt ? options_.cipher : nullptr; }
  static constexpr std::string_view kWalCipherContext = "logs-wal";

  Options options_;
  std::unique_ptr<storage::WalWriter> wal_;
  // Puts are "in flight" from taking their ids until their events are in the head; a cut waits
  // for none to be, and holds new ones back, while it rotates the log and takes the head: every
  // event logged before the rotation is in the head it takes. (A reader-preferring rwlock
  // would let a steady stream of puts starve the cut.)
  class AppendGate {
   public:
    void Enter();  // blocks while a cut is closing the gate
    void Leave();
    void Close();  // waits until no put is in flight; new ones wait
    void Open();

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    int in_flight_ = 0;    // guarded by mu_
    bool closed_ = false;  // guarded by mu_
  };
  AppendGate gate_;
  mutable std::mutex mu_;
  std::map<std::string, GroupState> groups_;  // guarded by mu_
  uint64_t next_meta_id_ = 1;                 // guarded by mu_
  uint64_t next_event_id_ = 1;                // guarded by mu_
  Head head_;                                 // guarded by mu_
  std::shared_ptr<const Head> frozen_;        // guarded by mu_: being cut, still readable
  uint64_t head_bytes_ = 0;                   // guarded by mu_
  int64_t last_cut_ms_ = 0;                   // guarded by mu_
  std::mutex flush_mu_;                       // one cut at a time

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool bg_stop_ = false;  // guarded by bg_mu_
  bool closed_ = false;   // guarded by flush_mu_
  std::thread bg_;
};

}  // namespace vigil::logs
