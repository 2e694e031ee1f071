// CloudTrailService: CloudTrail's LookupEvents (JSON 1.1, X-Amz-Target
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents) over the audit trail.
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "api/access.h"
#include "api/api.h"
#include "api/authenticate.h"
#include "api/request_id.h"
#include "api/text.h"
#include "audit/audit.h"

namespace vigil::api {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kTargetPrefix =
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

struct TrailError {
  std::string type, message;
  int status = 400;
};

// A CloudTrail Date in the JSON protocol: epoch seconds (a number), or ISO 8601 text.
std::optional<int64_t> DateMillis(const Json& v) {
  if (v.is_number()) return static_cast<int64_t>(std::llround(v.get<double>() * 1000));
  if (v.is_string()) return ParseTimestamp(v.get<std::string>());
  return std::nullopt;
}

// The record as CloudTrail's event JSON (the CloudTrailEvent string of LookupEvents).
std::string CloudTrailEvent(const audit::Record& r, const std::string& region,
                            const std::string& account) {
  Json e = {{"eventVersion", "1.08"},
            {"userIdentity",
             {{"type", r.access_key_id.empty() && r.username.empty() ? "Unknown" : "IAMUser"},
              {"accessKeyId", r.access_key_id},
              {"userName", r.username},
              {"accountId", account}}},
            {"eventTime", FormatIsoTimestamp(r.time_ms)},
            {"eventSource", r.event_source},
            {"eventName", r.event_name},
            {"awsRegion", region},
            {"sourceIPAddress", r.source_address},
            {"requestParameters", r.parameters},
            {"eventID", r.event_id},
            {"readOnly", r.read_only},
            {"eventType", "AwsApiCall"},
            {"vigilSeq", r.seq},
            {"vigilHash", r.hash}};
  if (r.additional.is_object() && !r.additional.empty()) e["additionalEventData"] = r.additional;
  if (!r.error_code.empty()) {
    e["errorCode"] = r.error_code;
    e["errorMessage"] = r.error_message;
  }
  return e.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

struct CloudTrailService::Impl {
  audit::Trail* trail;
  const auth::AccessControl* verifier;
  std::string region, account;
  RequestIdGenerator ids;

  std::variant<Json, TrailError> LookupEvents(const Json& in) const {
    audit::Lookup q;
    if (const auto attrs = in.find("LookupAttributes"); attrs != in.end() && !attrs->is_null()) {
      if (!attrs->is_array() || attrs->size() > 1) {
        return TrailError{"InvalidLookupAttributesException",
                          "LookupAttributes holds at most one attribute."};
      }
      if (attrs->size() == 1) {
        const Json& a = (*attrs)[0];
        static constexpr std::string_view kKeys[] = {"EventId",     "EventName",    "ReadOnly",
                                                     "Username",    "ResourceType", "ResourceName",
                                                     "EventSource", "AccessKeyId"};
        // find() answers end() for anything but an object; value() would throw.
        const auto key = a.find("AttributeKey");
        const auto value = a.find("AttributeValue");
        if (key == a.end() || !key->is_string() || value == a.end() || !value->is_string() ||
            std::find(std::begin(kKeys), std::end(kKeys), key->get<std::string>()) ==
                std::end(kKeys)) {
          return TrailError{"InvalidLookupAttributesException",
                            "AttributeKey must be one of EventId, EventName, ReadOnly, Username, "
                            "ResourceType, ResourceName, EventSource, AccessKeyId, with an "
                            "AttributeValue."};
        }
        q.attribute = std::make_pair(key->get<std::string>(), value->get<std::string>());
      }
    }
    if (in.contains("StartTime")) {
      const auto t = DateMillis(in["StartTime"]);
      if (!t) return TrailError{"InvalidTimeRangeException", "StartTime is not a date."};
      q.start_ms = *t;
    }
    if (in.contains("EndTime")) {
      const auto t = DateMillis(in["EndTime"]);
      if (!t) return TrailError{"InvalidTimeRangeException", "EndTime is not a date."};
      q.end_ms = *t;
    }
    if (q.start_ms > q.end_ms) {
      return TrailError{"InvalidTimeRangeException", "StartTime is after EndTime."};
    }
    if (in.contains("MaxResults")) {
      const Json& m = in["MaxResults"];
      if (!m.is_number_integer() || m.get<int64_t>() < 1 || m.get<int64_t>() > 50) {
        return TrailError{"InvalidMaxResultsException", "MaxResults must be from 1 to 50."};
      }
      q.limit = static_cast<size_t>(m.get<int64_t>());
    }
    if (in.contains("NextToken")) {
      const std::string token =
          in["NextToken"].is_string() ? in["NextToken"].get<std::string>() : "";
      uint64_t seq = 0;
      const auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), seq);
      if (token.empty() || ec != std::errc() || p != token.data() + token.size()) {
        return TrailError{"InvalidNextTokenException", "The NextToken is not valid."};
      }
      q.before_seq = seq;
    }
    StatusOr<audit::LookupResult> found = trail->Find(q);
    if (!found.ok()) return TrailError{"InternalServerError", found.status().message(), 500};
    Json out = {{"Events", Json::array()}};
    for (const audit::Record& r : found->records) {
      Json resources = Json::array();
      for (const auto& [type, name] : r.resources) {
        resources.push_back({{"ResourceType", type}, {"ResourceName", name}});
      }
      out["Events"].push_back({{"EventId", r.event_id},
                               {"EventName", r.event_name},
                               {"ReadOnly", r.read_only ? "true" : "false"},
                               {"AccessKeyId", r.access_key_id},
                               {"EventTime", static_cast<double>(r.time_ms) / 1000.0},
                               {"EventSource", r.event_source},
                               {"Username", r.username},
                               {"Resources", resources},
                               {"CloudTrailEvent", CloudTrailEvent(r, region, account)}});
    }
    if (found->next_before_seq) out["NextToken"] = std::to_string(*found->next_before_seq);
    return out;
  }
};

CloudTrailService::CloudTrailService(audit::Trail* trail, const auth::AccessControl* verifier,
                                     std::string region, std::string account_id)
    : impl_(std::make_shared<Impl>()) {
  impl_->trail = trail;
  impl_->verifier = verifier;
  impl_->region = std::move(region);
  impl_->account = std::move(account_id);
}

bool CloudTrailService::Handles(const http::Request& request) {
  const auto target = request.Header("X-Amz-Target");
  return target && target->starts_with(kTargetPrefix);
}

http::Response CloudTrailService::Handle(const http::Request& request) const {
  const std::string id = impl_->ids.Next();
  auto answer = [&](int status, const Json& body) {
    http::Response r;
    r.status = status;
    r.headers.emplace_back("x-amzn-RequestId", id);
    r.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
    r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
    return r;
  };
  auto fail = [&](const TrailError& e) {
    return answer(e.status, Json{{"__type", e.type}, {"message", e.message}});
  };
  const std::string_view op = request.Header("X-Amz-Target")->substr(kTargetPrefix.size());
  const auth::VerifyResult verified =
      Authenticate(*impl_->verifier, request, {"cloudtrail"}, impl_->trail, nullptr,
                   "cloudtrail.amazonaws.com", op);
  if (!verified.ok()) {
    const JsonAuthError e = JsonAuthErrorOf(verified);
    http::Response refused = fail({e.type, verified.message, e.status});
    AddRetryAfter(verified, &refused);
    return refused;
  }
  if (op != "LookupEvents") {
    return fail({"UnknownOperationException",
                 "Operation " + Printable(op, 64) + " is not supported by this server."});
  }
  const Json in = request.body.empty() ? Json::object() : Json::parse(request.body, nullptr, false);
  if (!in.is_object()) return fail({"SerializationException", "The body is not a JSON object."});
  if (std::optional<Refusal> refused =
          Authorize(*impl_->verifier, "cloudtrail:LookupEvents", {}, impl_->trail, nullptr,
                    AuditedCall{"cloudtrail.amazonaws.com", std::string(op), &request, &verified,
                                in, "", ""})) {
    return fail({"AccessDeniedException", refused->message, 400});
  }
  auto out = impl_->LookupEvents(in);
  if (auto* e = std::get_if<TrailError>(&out)) return fail(*e);
  return answer(200, std::get<Json>(out));
}

}  // namespace vigil::api
