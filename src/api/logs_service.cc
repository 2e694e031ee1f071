// LogsService: CloudWatch Logs' JSON 1.1 protocol (X-Amz-Target Logs_20140328.<Op>) over the
// log store. Every error leaves through Fail, as {"__type", "message"}.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <functional>
#include <nlohmann/json.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/authenticate.h"
#include "api/request_id.h"
#include "api/text.h"
#include "logs/logs.h"

namespace vigil::api {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kTargetPrefix = "Logs_20140328.";

// A Logs error: the exception shape's name and the HTTP status.
struct LogsError {
  std::string type;
  std::string message;
  int status = 400;
};

LogsError FromStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return {"InvalidParameterException", s.message()};
    case StatusCode::kNotFound:
      return {"ResourceNotFoundException", s.message()};
    case StatusCode::kAlreadyExists:
      return {"ResourceAlreadyExistsException", s.message()};
    case StatusCode::kResourceExhausted:
      return {"LimitExceededException", s.message()};
    case StatusCode::kUnavailable:
    case StatusCode::kFailedPrecondition:
      return {"ServiceUnavailableException", s.message(), 503};
    default:
      return {"ServiceUnavailableException", "internal error: " + s.message(), 500};
  }
}

// Reads the members of a request body, saying which one is wrong and how.
class Input {
 public:
  explicit Input(const Json& j) : j_(j) {}

  StatusOr<std::string> String(const char* name, bool required = true) const {
    const auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) {
      if (required)
        return InvalidArgumentError("Value null at '" + std::string(name) +
                                    "' failed to satisfy constraint: Member must not be null");
      return std::string();
    }
    if (!it->is_string())
      return InvalidArgumentError("'" + std::string(name) + "' must be a string");
    return it->get<std::string>();
  }
  StatusOr<std::optional<int64_t>> Integer(const char* name) const {
    const auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return std::optional<int64_t>();
    if (!it->is_number_integer()) {
      return InvalidArgumentError("'" + std::string(name) + "' must be an integer");
    }
    return std::optional<int64_t>(it->get<int64_t>());
  }
  bool Bool(const char* name) const {
    const auto it = j_.find(name);
    return it != j_.end() && it->is_boolean() && it->get<bool>();
  }
  StatusOr<std::map<std::string, std::string>> StringMap(const char* name) const {
    std::map<std::string, std::string> out;
    const auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return out;
    if (!it->is_object()) return InvalidArgumentError("'" + std::string(name) + "' must be a map");
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string())
        return InvalidArgumentError("'" + std::string(name) + "' values are strings");
      out[k] = v.get<std::string>();
    }
    return out;
  }
  StatusOr<std::vector<std::string>> StringList(const char* name) const {
    std::vector<std::string> out;
    const auto it = j_.find(name);
    if (it == j_.end() || it->is_null()) return out;
    if (!it->is_array()) return InvalidArgumentError("'" + std::string(name) + "' must be a list");
    for (const Json& v : *it) {
      if (!v.is_string()) return InvalidArgumentError("'" + std::string(name) + "' holds strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  const Json& json() const { return j_; }

 private:
  const Json& j_;
};

std::string EncodeCursor(char kind, const logs::Cursor& c) {
  std::string out;
  if (kind != 0) out = std::string(1, kind) + "/";
  return out + std::to_string(c.timestamp_ms) + "/" + std::to_string(c.id);
}

// "f/<ts>/<id>", "b/<ts>/<id>" or (kind 0) "<ts>/<id>".
std::optional<logs::Cursor> DecodeCursor(std::string_view token, char kind) {
  if (kind != 0) {
    if (token.size() < 2 || token[0] != kind || token[1] != '/') return std::nullopt;
    token.remove_prefix(2);
  }
  const size_t slash = token.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  logs::Cursor c;
  const auto [p1, e1] = std::from_chars(token.data(), token.data() + slash, c.timestamp_ms);
  const auto [p2, e2] =
      std::from_chars(token.data() + slash + 1, token.data() + token.size(), c.id);
  if (e1 != std::errc() || e2 != std::errc() || p1 != token.data() + slash ||
      p2 != token.data() + token.size()) {
    return std::nullopt;
  }
  return c;
}

// Paging of listings by index: the token is the index of the next item.
StatusOr<size_t> PageStart(const Input& in) {
  ASSIGN_OR_RETURN(auto token, in.String("nextToken", false));
  if (token.empty()) return size_t{0};
  size_t index = 0;
  const auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec != std::errc() || p != token.data() + token.size()) {
    return InvalidArgumentError("The specified nextToken is invalid.");
  }
  return index;
}

StatusOr<size_t> Limit(const Input& in, int64_t max) {
  ASSIGN_OR_RETURN(auto limit, in.Integer("limit"));
  if (!limit) return static_cast<size_t>(max);
  if (*limit < 1 || *limit > max) {
    return InvalidArgumentError("limit must be between 1 and " + std::to_string(max));
  }
  return static_cast<size_t>(*limit);
}

}  // namespace

struct LogsService::Impl {
  logs::Store* store;
  audit::Trail* trail;
  const auth::AccessControl* verifier;
  Logger* logger;
  LogsOptions options;
  RequestIdGenerator ids;
  mutable std::atomic<uint64_t> sequence{
      1};  // PutLogEvents' nextSequenceToken (ignored by AWS too)

  std::string GroupArn(const std::string& group) const {
    return "arn:aws:logs:" + options.region + ":" + options.account_id + ":log-group:" + group;
  }

  using Op = std::function<StatusOr<Json>(const Impl&, const Input&)>;
  static const std::map<std::string, Op, std::less<>>& Ops();

  http::Response Handle(const http::Request& request) const;
};

const std::map<std::string, LogsService::Impl::Op, std::less<>>& LogsService::Impl::Ops() {
  using Impl = LogsService::Impl;
  static const auto* ops = new std::map<std::string, Op, std::less<>>{
      {"CreateLogGroup",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto tags, in.StringMap("tags"));
         RETURN_IF_ERROR(s.store->CreateGroup(group, tags));
         return Json::object();
       }},
      {"DeleteLogGroup",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         RETURN_IF_ERROR(s.store->DeleteGroup(group));
         return Json::object();
       }},
      {"CreateLogStream",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto stream, in.String("logStreamName"));
         RETURN_IF_ERROR(s.store->CreateStream(group, stream));
         return Json::object();
       }},
      {"DeleteLogStream",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto stream, in.String("logStreamName"));
         RETURN_IF_ERROR(s.store->DeleteStream(group, stream));
         return Json::object();
       }},
      {"DescribeLogGroups",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto prefix, in.String("logGroupNamePrefix", false));
         ASSIGN_OR_RETURN(auto token, in.String("nextToken", false));
         ASSIGN_OR_RETURN(auto limit, Limit(in, 50));
         auto groups = s.store->DescribeGroups(prefix, token, limit + 1);
         if (!groups.ok()) return groups.status();
         Json out = {{"logGroups", Json::array()}};
         for (size_t i = 0; i < groups->size() && i < limit; ++i) {
           const logs::GroupInfo& g = (*groups)[i];
           Json j = {{"logGroupName", g.name},
                     {"creationTime", g.creation_ms},
                     {"metricFilterCount", g.metric_filter_count},
                     {"arn", s.GroupArn(g.name) + ":*"},
                     {"logGroupArn", s.GroupArn(g.name)},
                     {"storedBytes", g.stored_bytes}};
           if (g.retention_days) j["retentionInDays"] = *g.retention_days;
           out["logGroups"].push_back(std::move(j));
         }
         if (groups->size() > limit) out["nextToken"] = (*groups)[limit - 1].name;
         return out;
       }},
      {"DescribeLogStreams",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName", false));
         if (group.empty()) {
           ASSIGN_OR_RETURN(auto identifier, in.String("logGroupIdentifier"));
           group = identifier.substr(identifier.rfind(":log-group:") == std::string::npos
                                         ? 0
                                         : identifier.rfind(":log-group:") + 11);
         }
         ASSIGN_OR_RETURN(auto prefix, in.String("logStreamNamePrefix", false));
         ASSIGN_OR_RETURN(auto order, in.String("orderBy", false));
         if (!order.empty() && order != "LogStreamName" && order != "LastEventTime") {
           return InvalidArgumentError("orderBy must be LogStreamName or LastEventTime");
         }
         const bool by_time = order == "LastEventTime";
         if (by_time && !prefix.empty()) {
           return InvalidArgumentError("Cannot order by LastEventTime with a logStreamNamePrefix.");
         }
         ASSIGN_OR_RETURN(auto start, PageStart(in));
         ASSIGN_OR_RETURN(auto limit, Limit(in, 50));
         auto streams = s.store->DescribeStreams(group, prefix, by_time, in.Bool("descending"));
         if (!streams.ok()) return streams.status();
         Json out = {{"logStreams", Json::array()}};
         for (size_t i = start; i < streams->size() && i < start + limit; ++i) {
           const logs::StreamInfo& st = (*streams)[i];
           Json j = {{"logStreamName", st.name},
                     {"creationTime", st.creation_ms},
                     {"arn", s.GroupArn(group) + ":log-stream:" + st.name},
                     {"storedBytes", st.stored_bytes}};
           if (st.first_event_ms) j["firstEventTimestamp"] = *st.first_event_ms;
           if (st.last_event_ms) j["lastEventTimestamp"] = *st.last_event_ms;
           if (st.last_ingestion_ms) j["lastIngestionTime"] = *st.last_ingestion_ms;
           out["logStreams"].push_back(std::move(j));
         }
         if (start + limit < streams->size()) out["nextToken"] = std::to_string(start + limit);
         return out;
       }},
      {"PutLogEvents",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto stream, in.String("logStreamName"));
         const auto it = in.json().find("logEvents");
         if (it == in.json().end() || !it->is_array()) {
           return InvalidArgumentError(
               "Value null at 'logEvents' failed to satisfy constraint: "
               "Member must not be null");
         }
         std::vector<logs::InputEvent> events;
         events.reserve(it->size());
         for (const Json& e : *it) {
           const auto ts = e.find("timestamp");
           const auto msg = e.find("message");
           if (!e.is_object() || ts == e.end() || !ts->is_number_integer() || msg == e.end() ||
               !msg->is_string()) {
             return InvalidArgumentError("each log event has an integer timestamp and a message");
           }
           events.push_back({ts->get<int64_t>(), msg->get<std::string>()});
         }
         auto r = s.store->PutEvents(group, stream, events);
         if (!r.ok()) return r.status();
         Json out = {{"nextSequenceToken", std::to_string(s.sequence.fetch_add(1))}};
         Json rejected = Json::object();
         if (r->too_new_start_index) rejected["tooNewLogEventStartIndex"] = *r->too_new_start_index;
         if (r->too_old_end_index) rejected["tooOldLogEventEndIndex"] = *r->too_old_end_index;
         if (r->expired_end_index) rejected["expiredLogEventEndIndex"] = *r->expired_end_index;
         if (!rejected.empty()) out["rejectedLogEventsInfo"] = std::move(rejected);
         return out;
       }},
      {"GetLogEvents",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         logs::GetQuery q;
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto stream, in.String("logStreamName"));
         ASSIGN_OR_RETURN(auto start, in.Integer("startTime"));
         ASSIGN_OR_RETURN(auto end, in.Integer("endTime"));
         ASSIGN_OR_RETURN(auto limit, Limit(in, 10000));
         ASSIGN_OR_RETURN(auto token, in.String("nextToken", false));
         q.group = group;
         q.stream = stream;
         q.start_ms = start;
         q.end_ms = end;
         q.limit = static_cast<int>(limit);
         q.start_from_head = in.Bool("startFromHead");
         if (!token.empty()) {
           q.after = DecodeCursor(token, 'f');
           q.before = DecodeCursor(token, 'b');
           if (!q.after && !q.before) {
             return InvalidArgumentError("The specified nextToken is invalid.");
           }
         }
         auto r = s.store->GetEvents(q);
         if (!r.ok()) return r.status();
         Json out = {{"events", Json::array()},
                     {"nextForwardToken", EncodeCursor('f', r->last)},
                     {"nextBackwardToken", EncodeCursor('b', r->first)}};
         for (const logs::Event& e : r->events) {
           out["events"].push_back({{"timestamp", e.timestamp_ms},
                                    {"message", e.message},
                                    {"ingestionTime", e.ingestion_ms}});
         }
         return out;
       }},
      {"FilterLogEvents",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         logs::FilterQuery q;
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto streams, in.StringList("logStreamNames"));
         ASSIGN_OR_RETURN(auto prefix, in.String("logStreamNamePrefix", false));
         ASSIGN_OR_RETURN(auto start, in.Integer("startTime"));
         ASSIGN_OR_RETURN(auto end, in.Integer("endTime"));
         ASSIGN_OR_RETURN(auto pattern, in.String("filterPattern", false));
         ASSIGN_OR_RETURN(auto limit, Limit(in, 10000));
         ASSIGN_OR_RETURN(auto token, in.String("nextToken", false));
         auto parsed = logs::FilterPattern::Parse(pattern);
         if (!parsed.ok()) return parsed.status();
         q.group = group;
         q.streams = streams;
         q.stream_prefix = prefix;
         q.start_ms = start;
         q.end_ms = end;
         q.pattern = std::move(*parsed);
         q.limit = static_cast<int>(limit);
         if (!token.empty()) {
           q.after = DecodeCursor(token, 0);
           if (!q.after) return InvalidArgumentError("The specified nextToken is invalid.");
         }
         auto r = s.store->FilterEvents(q);
         if (!r.ok()) return r.status();
         Json out = {{"events", Json::array()}, {"searchedLogStreams", Json::array()}};
         for (const logs::Event& e : r->events) {
           out["events"].push_back({{"logStreamName", e.stream},
                                    {"timestamp", e.timestamp_ms},
                                    {"message", e.message},
                                    {"ingestionTime", e.ingestion_ms},
                                    {"eventId", std::to_string(e.id)}});
         }
         for (const std::string& name : r->searched_streams) {
           out["searchedLogStreams"].push_back(
               {{"logStreamName", name}, {"searchedCompletely", true}});
         }
         if (r->next) out["nextToken"] = EncodeCursor(0, *r->next);
         return out;
       }},
      {"PutRetentionPolicy",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto days, in.Integer("retentionInDays"));
         if (!days)
           return InvalidArgumentError(
               "Value null at 'retentionInDays' failed to satisfy "
               "constraint: Member must not be null");
         RETURN_IF_ERROR(s.store->SetRetention(group, static_cast<int>(*days)));
         return Json::object();
       }},
      {"DeleteRetentionPolicy",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         RETURN_IF_ERROR(s.store->SetRetention(group, std::nullopt));
         return Json::object();
       }},
      {"TagLogGroup",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto tags, in.StringMap("tags"));
         RETURN_IF_ERROR(s.store->TagGroup(group, tags, {}));
         return Json::object();
       }},
      {"UntagLogGroup",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto keys, in.StringList("tags"));
         RETURN_IF_ERROR(s.store->TagGroup(group, {}, keys));
         return Json::object();
       }},
      {"ListTagsLogGroup",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         auto tags = s.store->GroupTags(group);
         if (!tags.ok()) return tags.status();
         return Json{{"tags", *tags}};
       }},
      {"PutMetricFilter",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         logs::MetricFilter f;
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto name, in.String("filterName"));
         ASSIGN_OR_RETURN(auto pattern, in.String("filterPattern", false));
         f.group = group;
         f.name = name;
         f.pattern = pattern;
         const auto it = in.json().find("metricTransformations");
         if (it == in.json().end() || !it->is_array()) {
           return InvalidArgumentError(
               "Value null at 'metricTransformations' failed to satisfy "
               "constraint: Member must not be null");
         }
         for (const Json& t : *it) {
           if (!t.is_object()) return InvalidArgumentError("a metric transformation is an object");
           Input ti(t);
           logs::MetricTransformation m;
           ASSIGN_OR_RETURN(auto metric, ti.String("metricName"));
           ASSIGN_OR_RETURN(auto ns, ti.String("metricNamespace"));
           ASSIGN_OR_RETURN(auto value, ti.String("metricValue"));
           ASSIGN_OR_RETURN(auto unit, ti.String("unit", false));
           ASSIGN_OR_RETURN(auto dims, ti.StringMap("dimensions"));
           m.metric_name = metric;
           m.metric_namespace = ns;
           m.metric_value = value;
           m.unit = unit;
           m.dimensions = dims;
           if (const auto d = t.find("defaultValue"); d != t.end() && d->is_number()) {
             m.default_value = d->get<double>();
           }
           f.transformations.push_back(std::move(m));
         }
         RETURN_IF_ERROR(s.store->PutMetricFilter(f));
         return Json::object();
       }},
      {"DeleteMetricFilter",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName"));
         ASSIGN_OR_RETURN(auto name, in.String("filterName"));
         RETURN_IF_ERROR(s.store->DeleteMetricFilter(group, name));
         return Json::object();
       }},
      {"DescribeMetricFilters",
       [](const Impl& s, const Input& in) -> StatusOr<Json> {
         ASSIGN_OR_RETURN(auto group, in.String("logGroupName", false));
         ASSIGN_OR_RETURN(auto prefix, in.String("filterNamePrefix", false));
         ASSIGN_OR_RETURN(auto metric, in.String("metricName", false));
         ASSIGN_OR_RETURN(auto ns, in.String("metricNamespace", false));
         ASSIGN_OR_RETURN(auto start, PageStart(in));
         ASSIGN_OR_RETURN(auto limit, Limit(in, 50));
         auto filters = s.store->DescribeMetricFilters(group, prefix);
         if (!filters.ok()) return filters.status();
         std::erase_if(*filters, [&](const logs::MetricFilter& f) {
           const logs::MetricTransformation& t = f.transformations.front();
           return (!metric.empty() && t.metric_name != metric) ||
                  (!ns.empty() && t.metric_namespace != ns);
         });
         Json out = {{"metricFilters", Json::array()}};
         for (size_t i = start; i < filters->size() && i < start + limit; ++i) {
           const logs::MetricFilter& f = (*filters)[i];
           Json ts = Json::array();
           for (const logs::MetricTransformation& t : f.transformations) {
             Json j = {{"metricName", t.metric_name},
                       {"metricNamespace", t.metric_namespace},
                       {"metricValue", t.metric_value}};
             if (t.default_value) j["defaultValue"] = *t.default_value;
             if (!t.dimensions.empty()) j["dimensions"] = t.dimensions;
             if (!t.unit.empty()) j["unit"] = t.unit;
             ts.push_back(std::move(j));
           }
           out["metricFilters"].push_back({{"filterName", f.name},
                                           {"filterPattern", f.pattern},
                                           {"metricTransformations", ts},
                                           {"creationTime", f.creation_ms},
                                           {"logGroupName", f.group}});
         }
         if (start + limit < filters->size()) out["nextToken"] = std::to_string(start + limit);
         return out;
       }},
  };
  return *ops;
}

http::Response LogsService::Impl::Handle(const http::Request& request) const {
  const std::string id = ids.Next();
  std::string op = "Other";
  auto fail = [&](const LogsError& e) {
    if (e.status >= 500) logger->Warning("api", "logs " + Printable(op, 64) + ": " + e.message);
    http::Response r;
    r.status = e.status;
    r.headers.emplace_back("x-amzn-RequestId", id);
    r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    r.body = Json{{"__type", e.type}, {"message", e.message}}.dump(-1, ' ', false,
                                                                   Json::error_handler_t::replace);
    return r;
  };
  const auto target = request.Header("X-Amz-Target");
  const auth::VerifyResult verified = Authenticate(
      *verifier, request, {"logs"}, trail, logger, "logs.amazonaws.com",
      target && target->starts_with(kTargetPrefix) ? target->substr(kTargetPrefix.size()) : "");
  if (!verified.ok()) {
    const JsonAuthError e = JsonAuthErrorOf(verified);
    http::Response refused = fail({e.type, verified.message, e.status});
    AddRetryAfter(verified, &refused);
    return refused;
  }
  if (!target || !target->starts_with(kTargetPrefix)) {
    return fail({"UnknownOperationException", "Missing or unknown X-Amz-Target."});
  }
  op = std::string(target->substr(kTargetPrefix.size()));
  const auto& ops = Ops();
  const auto it = ops.find(op);
  if (it == ops.end()) {
    return fail({"UnknownOperationException",
                 "Operation " + Printable(op, 64) + " is not supported by this server."});
  }
  if (request.body.size() > options.max_body_bytes) {
    return fail({"InvalidParameterException",
                 "Request size " + std::to_string(request.body.size()) + " exceeded " +
                     std::to_string(options.max_body_bytes) + " bytes",
                 413});
  }
  const Json body =
      request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
  if (!body.is_object()) {
    return fail({"SerializationException", "The request body is not a JSON object."});
  }
  if (std::optional<Refusal> refused =
          Authorize(*verifier, "logs:" + op, ResourceArns(body), trail, logger,
                    AuditedCall{"logs.amazonaws.com", op, &request, &verified, body, "", ""})) {
    return fail({"AccessDeniedException", refused->message, 400});
  }
  StatusOr<Json> out = it->second(*this, Input(body));
  static constexpr std::string_view kAudited[] = {
      "CreateLogGroup",     "DeleteLogGroup",        "CreateLogStream", "DeleteLogStream",
      "PutRetentionPolicy", "DeleteRetentionPolicy", "TagLogGroup",     "UntagLogGroup",
      "PutMetricFilter",    "DeleteMetricFilter"};
  if (std::find(std::begin(kAudited), std::end(kAudited), op) != std::end(kAudited)) {
    const std::optional<LogsError> e =
        out.ok() ? std::nullopt : std::optional<LogsError>(FromStatus(out.status()));
    RecordCall(trail, logger,
               {"logs.amazonaws.com", op, &request, &verified, body, e ? e->type : "",
                e ? e->message : ""});
  }
  if (!out.ok()) return fail(FromStatus(out.status()));
  http::Response r;
  r.status = 200;
  r.headers.emplace_back("x-amzn-RequestId", id);
  r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
  r.body = out->dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

LogsService::LogsService(logs::Store* store, const auth::AccessControl* verifier, Logger* logger,
                         LogsOptions options, audit::Trail* trail)
    : impl_(std::make_shared<Impl>()) {
  impl_->store = store;
  impl_->trail = trail;
  impl_->verifier = verifier;
  impl_->logger = logger;
  impl_->options = std::move(options);
}

http::Response LogsService::Handle(const http::Request& request) const {
  return impl_->Handle(request);
}

bool LogsService::Handles(const http::Request& request) {
  const auto target = request.Header("X-Amz-Target");
  return target && target->starts_with(kTargetPrefix);
}

}  // namespace vigil::api
