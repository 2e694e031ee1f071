// The log store: open and recovery, groups and streams, retention and the background cut.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/thread_name.h"
#include "logs/store_impl.h"
#include "storage/coding.h"
#include "storage/file_util.h"

namespace vigil::logs {
namespace {

using Json = nlohmann::json;

constexpr char kGroups[] = "log_groups";
constexpr char kStreams[] = "log_streams";
constexpr char kFilters[] = "log_metric_filters";
constexpr char kMeta[] = "log_meta";
constexpr int64_t kDayMs = 86'400'000;

std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, v);
  return buf;
}

std::string StreamKey(uint64_t group_id, const std::string& stream) {
  return Hex16(group_id) + "/" + stream;
}

Json FilterToJson(const MetricFilter& f) {
  Json ts = Json::array();
  for (const MetricTransformation& t : f.transformations) {
    Json j = {{"name", t.metric_name},
              {"namespace", t.metric_namespace},
              {"value", t.metric_value},
              {"unit", t.unit},
              {"dimensions", t.dimensions}};
    if (t.default_value) j["default"] = *t.default_value;
    ts.push_back(std::move(j));
  }
  return {{"pattern", f.pattern}, {"transformations", ts}, {"creation_ms", f.creation_ms}};
}

MetricFilter FilterFromJson(const std::string& group, const std::string& name, const Json& j) {
  MetricFilter f;
  f.group = group;
  f.name = name;
  f.pattern = j.value("pattern", "");
  f.creation_ms = j.value("creation_ms", int64_t{0});
  for (const Json& t : j.value("transformations", Json::array())) {
    MetricTransformation m;
    m.metric_name = t.value("name", "");
    m.metric_namespace = t.value("namespace", "");
    m.metric_value = t.value("value", "");
    m.unit = t.value("unit", "");
    m.dimensions = t.value("dimensions", std::map<std::string, std::string>{});
    if (t.contains("default")) m.default_value = t["default"].get<double>();
    f.transformations.push_back(std::move(m));
  }
  return f;
}

bool ValidGroupChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_' || c == '/' || c == '#';
}

}  // namespace

Status ValidateGroupName(const std::string& name) {
  if (name.empty() || name.size() > 512) {
    return InvalidArgumentError("a log group name is 1 to 512 characters");
  }
  for (char c : name) {
    if (!ValidGroupChar(c)) {
      return InvalidArgumentError("log group name '" + name +
                                  "' may hold only letters, digits and . - _ / #");
    }
  }
  return OkStatus();
}

Status ValidateStreamName(const std::string& name) {
  if (name.empty() || name.size() > 512) {
    return InvalidArgumentError("a log stream name is 1 to 512 characters");
  }
  if (name.find_first_of(":*") != std::string::npos) {
    return InvalidArgumentError("log stream name '" + name + "' may not hold ':' or '*'");
  }
  return OkStatus();
}

StatusOr<std::unique_ptr<Store>> Store::Open(Options options) {
  if (options.state == nullptr || options.clock == nullptr || options.logger == nullptr) {
    return InvalidArgumentError("the log store needs a state store, a clock and a logger");
  }
  if (options.encrypt && options.cipher == nullptr) {
    return InvalidArgumentError("the log store's encrypt needs a cipher");
  }
  auto store = std::make_unique<StoreImpl>(std::move(options));
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

StoreImpl::~StoreImpl() { Close().IgnoreError(); }

Status StoreImpl::Init() {
  RETURN_IF_ERROR(storage::CreateDirs(options_.dir + "/groups"));
  RETURN_IF_ERROR(LoadMetadata());
  // Stream ids are unique across groups: one index for matching segments' and the log's
  // stream ids while recovering.
  std::map<uint64_t, StreamState*> streams_by_id;
  for (auto& [name, g] : groups_) {
    for (auto& [sname, st] : g.streams) streams_by_id[st.id] = &st;
  }
  RETURN_IF_ERROR(LoadSegments(streams_by_id));
  RETURN_IF_ERROR(ReplayLog(streams_by_id));
  storage::WalOptions wal_options;
  wal_options.sync = options_.sync;
  wal_options.logger = options_.logger;
  wal_options.cipher = WriteCipher();
  wal_options.cipher_context = kWalCipherContext;
  ASSIGN_OR_RETURN(wal_, storage::WalWriter::Open(options_.dir + "/wal", wal_options));
  last_cut_ms_ = options_.clock->NowMillis();
  if (options_.background) {
    bg_ = std::thread([this] {
      SetThreadName("vigil-logs");
      BackgroundLoop();
    });
  }
  return OkStatus();
}

Status StoreImpl::LoadMetadata() {
  ASSIGN_OR_RETURN(auto meta, options_.state->Get(kMeta, "next_id"));
  if (meta) next_meta_id_ = std::stoull(*meta);
  ASSIGN_OR_RETURN(auto groups, options_.state->Scan(kGroups, ""));
  std::map<uint64_t, GroupState*> by_id;
  for (const state::Record& r : groups) {
    const Json j = Json::parse(r.value, nullptr, false);
    if (!j.is_object()) return DataLossError("log group record '" + r.key + "' is not JSON");
    GroupState g;
    g.name = r.key;
    g.id = j.value("id", uint64_t{0});
    g.creation_ms = j.value("creation_ms", int64_t{0});
    if (j.contains("retention_days")) g.retention_days = j["retention_days"].get<int>();
    g.tags = j.value("tags", std::map<std::string, std::string>{});
    GroupState& stored = groups_[g.name] = std::move(g);
    by_id[stored.id] = &stored;
  }
  ASSIGN_OR_RETURN(auto streams, options_.state->Scan(kStreams, ""));
  for (const state::Record& r : streams) {
    const auto gid = std::strtoull(r.key.substr(0, 16).c_str(), nullptr, 16);
    const auto it = by_id.find(gid);
    if (it == by_id.end() || r.key.size() < 18) continue;  // of a group being deleted
    const Json j = Json::parse(r.value, nullptr, false);
    StreamState s;
    s.name = r.key.substr(17);
    s.id = j.value("id", uint64_t{0});
    s.creation_ms = j.value("creation_ms", int64_t{0});
    it->second->streams[s.name] = std::move(s);
  }
  ASSIGN_OR_RETURN(auto filters, options_.state->Scan(kFilters, ""));
  for (const state::Record& r : filters) {
    const auto gid = std::strtoull(r.key.substr(0, 16).c_str(), nullptr, 16);
    const auto it = by_id.find(gid);
    if (it == by_id.end() || r.key.size() < 18) continue;
    CompiledFilter cf;
    cf.filter = FilterFromJson(it->second->name, r.key.substr(17), Json::parse(r.value));
    StatusOr<FilterPattern> p = FilterPattern::Parse(cf.filter.pattern);
    if (!p.ok()) continue;  // accepted when put; cannot fail unless the grammar narrowed
    cf.pattern = std::move(*p);
    it->second->filters[cf.filter.name] = std::move(cf);
  }
  return OkStatus();
}

Status StoreImpl::LoadSegments(const std::map<uint64_t, StreamState*>& streams_by_id) {
  std::map<std::string, GroupState*> by_dir;
  for (auto& [name, g] : groups_) by_dir[Hex16(g.id)] = &g;
  ASSIGN_OR_RETURN(const std::vector<std::string> dirs, storage::ListDir(options_.dir + "/groups"));
  for (const std::string& d : dirs) {
    const std::string path = options_.dir + "/groups/" + d;
    const auto it = by_dir.find(d);
    if (it == by_dir.end()) {  // a deleted group whose files outlived a crash
      RETURN_IF_ERROR(storage::RemoveAll(path));
      continue;
    }
    GroupState& g = *it->second;
    ASSIGN_OR_RETURN(const std::vector<std::string> files, storage::ListDir(path));
    for (const std::string& f : files) {
      if (f.size() < 4 || f.substr(f.size() - 4) != ".seg") {
        if (f.find(".tmp") != std::string::npos)
          RETURN_IF_ERROR(storage::RemoveAll(path + "/" + f));
        continue;
      }
      StatusOr<std::shared_ptr<const Segment>> seg = Segment::Open(path + "/" + f, options_.cipher);
      if (!seg.ok()) {
        // Set aside, not deleted: the events it holds may still be read by hand.
        options_.logger->Error("logs", seg.status().message() + "; renamed to .damaged");
        std::rename((path + "/" + f).c_str(), (path + "/" + f + ".damaged").c_str());
        continue;
      }
      next_event_id_ = std::max(next_event_id_, (*seg)->max_id() + 1);
      for (const auto& [sid, stats] : (*seg)->streams()) {
        const auto s = streams_by_id.find(sid);
        if (s != streams_by_id.end()) s->second->stats.Merge(stats);  // else deleted since
      }
      g.segments.push_back(std::move(*seg));
    }
  }
  return OkStatus();
}

// The log's records: kEvents = varint group, varint stream, varint first id, varint count,
// varsint ingestion ms, then per event varsint timestamp and a length-prefixed message (ids
// consecutive from the first).
Status StoreImpl::ReplayLog(const std::map<uint64_t, StreamState*>& streams_by_id) {
  std::map<uint64_t, GroupState*> by_id;
  std::map<uint64_t, uint64_t> covered;  // group id -> logged segments below this are in files
  for (auto& [name, g] : groups_) {
    by_id[g.id] = &g;
    for (const auto& seg : g.segments) covered[g.id] = std::max(covered[g.id], seg->cut());
  }
  return storage::WalReplay(
      options_.dir + "/wal", *options_.logger,
      [&](uint64_t segment, std::string_view record) -> Status {
        uint64_t gid = 0, sid = 0, first = 0, count = 0;
        int64_t ingestion = 0;
        if (!storage::GetVarint64(&record, &gid) || !storage::GetVarint64(&record, &sid) ||
            !storage::GetVarint64(&record, &first) || !storage::GetVarint64(&record, &count) ||
            !storage::GetVarsint64(&record, &ingestion)) {
          return DataLossError("logs: malformed record in log segment " + std::to_string(segment));
        }
        next_event_id_ = std::max(next_event_id_, first + count);
        const auto g = by_id.find(gid);
        if (g == by_id.end() || segment < covered[gid]) return OkStatus();
        const auto found = streams_by_id.find(sid);
        if (found == streams_by_id.end()) return OkStatus();  // deleted since
        StreamState* stream = found->second;
        auto events = std::make_shared<std::vector<StoredEvent>>();
        events->reserve(count);
        for (uint64_t i = 0; i < count; ++i) {
          StoredEvent e;
          std::string_view message;
          if (!storage::GetVarsint64(&record, &e.timestamp_ms) ||
              !storage::GetLengthPrefixed(&record, &message)) {
            return DataLossError("logs: malformed event in log segment " + std::to_string(segment));
          }
          e.stream_id = sid;
          e.ingestion_ms = ingestion;
          e.id = first + i;
          e.message.assign(message);
          stream->stats.Add(e);
          g->second->head_bytes += e.message.size();
          head_bytes_ += e.message.size();
          events->push_back(std::move(e));
        }
        head_[gid].push_back(std::move(events));
        return OkStatus();
      },
      options_.cipher, kWalCipherContext);
}

uint64_t StoreImpl::NextId() { return next_meta_id_++; }

void StoreImpl::AppendGate::Enter() {
  std::unique_lock l(mu_);
  cv_.wait(l, [&] { return !closed_; });
  ++in_flight_;
}

void StoreImpl::AppendGate::Leave() {
  std::lock_guard l(mu_);
  if (--in_flight_ == 0) cv_.notify_all();
}

void StoreImpl::AppendGate::Close() {
  std::unique_lock l(mu_);
  cv_.wait(l, [&] { return !closed_; });
  closed_ = true;
  cv_.wait(l, [&] { return in_flight_ == 0; });
}

void StoreImpl::AppendGate::Open() {
  std::lock_guard l(mu_);
  closed_ = false;
  cv_.notify_all();
}

GroupState* StoreImpl::FindGroup(const std::string& name) {
  const auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

const GroupState* StoreImpl::FindGroup(const std::string& name) const {
  const auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

std::string StoreImpl::GroupDir(uint64_t group_id) const {
  return options_.dir + "/groups/" + Hex16(group_id);
}

Status StoreImpl::SaveGroup(const GroupState& g) {
  Json j = {{"id", g.id}, {"creation_ms", g.creation_ms}, {"tags", g.tags}};
  if (g.retention_days) j["retention_days"] = *g.retention_days;
  return options_.state->Put(kGroups, g.name, j.dump());
}

Status StoreImpl::CreateGroup(const std::string& group,
                              const std::map<std::string, std::string>& tags) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  std::lock_guard l(mu_);
  return CreateGroupLocked(group, tags);
}

Status StoreImpl::CreateGroupLocked(const std::string& group,
                                    const std::map<std::string, std::string>& tags) {
  if (groups_.count(group) > 0) {
    return AlreadyExistsError("The specified log group already exists: " + group);
  }
  GroupState g;
  g.name = group;
  g.id = NextId();
  g.creation_ms = options_.clock->NowMillis();
  g.tags = tags;
  Json j = {{"id", g.id}, {"creation_ms", g.creation_ms}, {"tags", g.tags}};
  state::Batch b;
  b.Put(kGroups, group, j.dump());
  b.Put(kMeta, "next_id", std::to_string(next_meta_id_));
  RETURN_IF_ERROR(options_.state->Apply(b));
  groups_[group] = std::move(g);
  return OkStatus();
}

Status StoreImpl::DeleteGroup(const std::string& group) {
  uint64_t id = 0;
  {
    std::lock_guard l(mu_);
    GroupState* g = FindGroup(group);
    if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
    id = g->id;
    state::Batch b;
    b.Delete(kGroups, group);
    b.DeletePrefix(kStreams, Hex16(id) + "/");
    b.DeletePrefix(kFilters, Hex16(id) + "/");
    RETURN_IF_ERROR(options_.state->Apply(b));
    head_bytes_ -= std::min(head_bytes_, g->head_bytes);
    head_.erase(id);
    groups_.erase(group);
  }
  // Logged events of the group are skipped on replay (its id is gone), and a crash before this
  // leaves a directory Open removes.
  return storage::RemoveAll(GroupDir(id));
}

Status StoreImpl::CreateStream(const std::string& group, const std::string& stream) {
  RETURN_IF_ERROR(ValidateStreamName(stream));
  std::lock_guard l(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
  return CreateStreamLocked(g, stream);
}

Status StoreImpl::CreateStreamLocked(GroupState* g, const std::string& stream) {
  if (g->streams.count(stream) > 0) {
    return AlreadyExistsError("The specified log stream already exists: " + stream);
  }
  StreamState s;
  s.name = stream;
  s.id = NextId();
  s.creation_ms = options_.clock->NowMillis();
  state::Batch b;
  b.Put(kStreams, StreamKey(g->id, stream),
        Json({{"id", s.id}, {"creation_ms", s.creation_ms}}).dump());
  b.Put(kMeta, "next_id", std::to_string(next_meta_id_));
  RETURN_IF_ERROR(options_.state->Apply(b));
  g->streams[stream] = std::move(s);
  return OkStatus();
}

Status StoreImpl::DeleteStream(const std::string& group, const std::string& stream) {
  std::lock_guard l(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
  const auto it = g->streams.find(stream);
  if (it == g->streams.end()) {
    return NotFoundError("The specified log stream does not exist: " + stream);
  }
  RETURN_IF_ERROR(options_.state->Delete(kStreams, StreamKey(g->id, stream)));
  // Its events stay in segments until retention removes them; reads skip unknown streams.
  const uint64_t sid = it->second.id;
  if (const auto h = head_.find(g->id); h != head_.end()) {
    for (HeadChunk& chunk : h->second) {
      auto kept = std::make_shared<std::vector<StoredEvent>>();
      for (const StoredEvent& e : *chunk) {
        if (e.stream_id != sid) {
          kept->push_back(e);
        } else {
          g->head_bytes -= e.message.size();
          head_bytes_ -= e.message.size();
        }
      }
      if (kept->size() != chunk->size()) chunk = std::move(kept);
    }
  }
  g->streams.erase(it);
  return OkStatus();
}

StatusOr<std::vector<GroupInfo>> StoreImpl::DescribeGroups(const std::string& prefix,
                                                           const std::string& after,
                                                           size_t limit) const {
  std::lock_guard l(mu_);
  std::vector<GroupInfo> out;
  for (auto it = groups_.lower_bound(std::max(prefix, after)); it != groups_.end(); ++it) {
    const GroupState& g = it->second;
    if (g.name.compare(0, prefix.size(), prefix) != 0) break;
    if (!after.empty() && g.name <= after) continue;
    if (limit > 0 && out.size() >= limit) break;
    GroupInfo info;
    info.name = g.name;
    info.creation_ms = g.creation_ms;
    info.retention_days = g.retention_days;
    info.stored_bytes = g.head_bytes;
    for (const auto& seg : g.segments) info.stored_bytes += seg->file_bytes();
    info.metric_filter_count = static_cast<int>(g.filters.size());
    info.tags = g.tags;
    out.push_back(std::move(info));
  }
  return out;
}

StatusOr<std::vector<StreamInfo>> StoreImpl::DescribeStreams(const std::string& group,
                                                             const std::string& prefix,
                                                             bool by_last_event,
                                                             bool descending) const {
  std::lock_guard l(mu_);
  const GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
  std::vector<StreamInfo> out;
  for (auto it = g->streams.lower_bound(prefix); it != g->streams.end(); ++it) {
    const StreamState& s = it->second;
    if (s.name.compare(0, prefix.size(), prefix) != 0) break;
    StreamInfo info;
    info.name = s.name;
    info.creation_ms = s.creation_ms;
    if (s.stats.count > 0) {
      info.first_event_ms = s.stats.min_ts;
      info.last_event_ms = s.stats.max_ts;
      info.last_ingestion_ms = s.stats.last_ingestion;
    }
    info.stored_bytes = s.stats.bytes;
    out.push_back(std::move(info));
  }
  if (by_last_event) {
    std::stable_sort(out.begin(), out.end(), [](const StreamInfo& a, const StreamInfo& b) {
      return a.last_event_ms.value_or(INT64_MIN) < b.last_event_ms.value_or(INT64_MIN);
    });
  }
  if (descending) std::reverse(out.begin(), out.end());
  return out;
}

Status StoreImpl::SetRetention(const std::string& group, std::optional<int> days) {
  static constexpr int kAllowed[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                     365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
  if (days && std::find(std::begin(kAllowed), std::end(kAllowed), *days) == std::end(kAllowed)) {
    return InvalidArgumentError("retentionInDays " + std::to_string(*days) +
                                " is not one of CloudWatch's values (1, 3, 5, 7, 14, 30, 60, 90, "
                                "120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, "
                                "3288, 3653)");
  }
  {
    std::lock_guard l(mu_);
    GroupState* g = FindGroup(group);
    if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
    const std::optional<int> old = g->retention_days;
    g->retention_days = days;
    if (Status s = SaveGroup(*g); !s.ok()) {
      g->retention_days = old;
      return s;
    }
  }
  ApplyRetention();
  return OkStatus();
}

Status StoreImpl::TagGroup(const std::string& group, const std::map<std::string, std::string>& tags,
                           const std::vector<std::string>& untag) {
  std::lock_guard l(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
  std::map<std::string, std::string> next = g->tags;
  for (const auto& [k, v] : tags) next[k] = v;
  for (const std::string& k : untag) next.erase(k);
  if (next.size() > 50) return InvalidArgumentError("a log group has at most 50 tags");
  std::swap(g->tags, next);
  if (Status s = SaveGroup(*g); !s.ok()) {
    std::swap(g->tags, next);
    return s;
  }
  return OkStatus();
}

StatusOr<std::map<std::string, std::string>> StoreImpl::GroupTags(const std::string& group) const {
  std::lock_guard l(mu_);
  const GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
  return g->tags;
}

Status StoreImpl::PutMetricFilter(const MetricFilter& filter) {
  if (filter.name.empty() || filter.name.size() > 512 ||
      filter.name.find_first_of(":*") != std::string::npos) {
    return InvalidArgumentError("a metric filter name is 1 to 512 characters without ':' or '*'");
  }
  if (filter.transformations.size() != 1) {
    return InvalidArgumentError("a metric filter has exactly one metric transformation");
  }
  const MetricTransformation& t = filter.transformations[0];
  if (t.metric_name.empty() || t.metric_namespace.empty() || t.metric_value.empty()) {
    return InvalidArgumentError("a metric transformation names a metric, a namespace and a value");
  }
  if (t.dimensions.size() > 3) {
    return InvalidArgumentError("a metric transformation has at most 3 dimensions");
  }
  ASSIGN_OR_RETURN(FilterPattern pattern, FilterPattern::Parse(filter.pattern));
  std::lock_guard l(mu_);
  GroupState* g = FindGroup(filter.group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + filter.group);
  if (g->filters.count(filter.name) == 0 && g->filters.size() >= 100) {
    return ResourceExhaustedError("a log group has at most 100 metric filters");
  }
  CompiledFilter cf{filter, std::move(pattern)};
  const auto old = g->filters.find(filter.name);
  cf.filter.creation_ms =
      old != g->filters.end() ? old->second.filter.creation_ms : options_.clock->NowMillis();
  RETURN_IF_ERROR(
      options_.state->Put(kFilters, StreamKey(g->id, filter.name), FilterToJson(cf.filter).dump()));
  g->filters[filter.name] = std::move(cf);
  return OkStatus();
}

Status StoreImpl::DeleteMetricFilter(const std::string& group, const std::string& name) {
  std::lock_guard l(mu_);
  GroupState* g = FindGroup(group);
  if (g == nullptr) return NotFoundError("The specified log group does not exist: " + group);
  if (g->filters.count(name) == 0) {
    return NotFoundError("The specified metric filter does not exist: " + name);
  }
  RETURN_IF_ERROR(options_.state->Delete(kFilters, StreamKey(g->id, name)));
  g->filters.erase(name);
  return OkStatus();
}

StatusOr<std::vector<MetricFilter>> StoreImpl::DescribeMetricFilters(
    const std::string& group, const std::string& prefix) const {
  std::lock_guard l(mu_);
  std::vector<MetricFilter> out;
  for (const auto& [name, g] : groups_) {
    if (!group.empty() && name != group) continue;
    for (const auto& [fname, cf] : g.filters) {
      if (fname.compare(0, prefix.size(), prefix) == 0) out.push_back(cf.filter);
    }
  }
  if (!group.empty() && FindGroup(group) == nullptr) {
    return NotFoundError("The specified log group does not exist: " + group);
  }
  return out;
}

void StoreImpl::ApplyRetention() {
  const int64_t now = options_.clock->NowMillis();
  std::vector<std::string> doomed;
  {
    std::lock_guard l(mu_);
    for (auto& [name, g] : groups_) {
      if (!g.retention_days) continue;
      const int64_t cutoff = now - *g.retention_days * kDayMs;
      std::erase_if(g.segments, [&](const std::shared_ptr<const Segment>& s) {
        if (s->max_ts() >= cutoff) return false;
        doomed.push_back(s->path());
        return true;
      });
    }
  }
  for (const std::string& path : doomed) {
    if (Status s = storage::RemoveAll(path); !s.ok()) options_.logger->Warning("logs", s.message());
  }
}

Status StoreImpl::Flush() {
  std::lock_guard flush(flush_mu_);
  if (closed_ || wal_ == nullptr) return OkStatus();
  uint64_t cut = 0;
  std::shared_ptr<const Head> taken;
  std::map<uint64_t, std::string> dirs;
  {
    bool empty = false;
    {
      std::lock_guard l(mu_);
      empty = head_bytes_ == 0;
    }
    if (empty) {
      ApplyRetention();
      return OkStatus();
    }
    gate_.Close();
    StatusOr<uint64_t> rotated = wal_->Rotate();
    if (!rotated.ok()) {
      gate_.Open();
      return rotated.status();
    }
    cut = *rotated;
    std::lock_guard l(mu_);
    taken = std::make_shared<const Head>(std::move(head_));
    head_.clear();
    frozen_ = taken;
    last_cut_ms_ = options_.clock->NowMillis();
    for (const auto& [name, g] : groups_) dirs[g.id] = GroupDir(g.id);
    gate_.Open();
  }
  Status result = OkStatus();
  std::map<uint64_t, std::shared_ptr<const Segment>> written;
  for (const auto& [gid, chunks] : *taken) {
    const auto dir = dirs.find(gid);
    if (chunks.empty() || dir == dirs.end()) continue;  // deleted meanwhile
    std::vector<const StoredEvent*> sorted;             // the chunks stay alive in `taken`
    for (const HeadChunk& c : chunks) {
      for (const StoredEvent& e : *c) sorted.push_back(&e);
    }
    if (sorted.empty()) continue;
    std::sort(sorted.begin(), sorted.end(),
              [](const StoredEvent* a, const StoredEvent* b) { return EventBefore(*a, *b); });
    char name[32];
    std::snprintf(name, sizeof(name), "/%016" PRIu64 ".seg", cut);
    Status s = storage::CreateDirs(dir->second);
    if (s.ok()) s = Segment::Write(dir->second + name, cut, sorted, WriteCipher());
    StatusOr<std::shared_ptr<const Segment>> seg =
        s.ok() ? Segment::Open(dir->second + name, options_.cipher)
               : StatusOr<std::shared_ptr<const Segment>>(s);
    if (!seg.ok()) {
      result = seg.status();
      break;
    }
    written[gid] = std::move(*seg);
  }
  {
    std::lock_guard l(mu_);
    if (!result.ok()) {
      // The log keeps every event (nothing is removed below): put them back to be read and cut
      // again; the segments already written are dropped.
      for (const auto& [gid, seg] : written) storage::RemoveAll(seg->path()).IgnoreError();
      for (const auto& [gid, chunks] : *taken) {
        auto& head = head_[gid];
        head.insert(head.begin(), chunks.begin(), chunks.end());
      }
      frozen_.reset();
      options_.logger->Error(
          "logs", "cutting segments failed, events stay in the log: " + result.message());
      return result;
    }
    head_bytes_ = 0;
    for (auto& [name, g] : groups_) {
      g.head_bytes = 0;
      const auto it = written.find(g.id);
      if (it != written.end()) g.segments.push_back(it->second);
      for (const HeadChunk& c : head_[g.id]) {
        for (const StoredEvent& e : *c) g.head_bytes += e.message.size();
      }
      head_bytes_ += g.head_bytes;
    }
    frozen_.reset();
  }
  RETURN_IF_ERROR(wal_->RemoveSegmentsBefore(cut));
  ApplyRetention();
  return OkStatus();
}

void StoreImpl::BackgroundLoop() {
  std::unique_lock l(bg_mu_);
  auto last_retention = std::chrono::steady_clock::now();
  while (!bg_stop_) {
    bg_cv_.wait_for(l, std::chrono::seconds(1));
    if (bg_stop_) break;
    if (std::chrono::steady_clock::now() - last_retention >= std::chrono::minutes(1)) {
      last_retention = std::chrono::steady_clock::now();
      l.unlock();
      ApplyRetention();
      l.lock();
    }
    bool due = false;
    {
      std::lock_guard m(mu_);
      due = head_bytes_ >= options_.cut_bytes ||
            (head_bytes_ > 0 &&
             options_.clock->NowMillis() - last_cut_ms_ >= options_.cut_interval_ms);
    }
    if (!due) continue;
    l.unlock();
    if (Status s = Flush(); !s.ok()) options_.logger->Error("logs", s.message());
    l.lock();
  }
}

Status StoreImpl::Close() {
  {
    std::lock_guard l(bg_mu_);
    bg_stop_ = true;
  }
  bg_cv_.notify_all();
  if (bg_.joinable()) bg_.join();
  Status s = Flush();
  std::lock_guard flush(flush_mu_);
  closed_ = true;
  wal_.reset();
  return s;
}

}  // namespace vigil::logs
