// CloudWatchService: the HTTP edge of the CloudWatch API. Per request: pick the protocol
// (X-Amz-Target or form), verify SigV4 on the raw body, undo Content-Encoding, decode, run the
// operation, render — every error through the one renderer of its protocol.
#include <zlib.h>

#include <array>
#include <map>
#include <mutex>

#include "api/access.h"
#include "api/alarm_ops.h"
#include "api/api.h"
#include "api/audit_hook.h"
#include "api/authenticate.h"
#include "api/cloudwatch_decode.h"
#include "api/cloudwatch_ops.h"
#include "api/cloudwatch_render.h"
#include "api/form.h"
#include "api/request_id.h"
#include "api/text.h"
#include "common/ascii.h"

namespace vigil::api {
namespace {

constexpr std::string_view kJsonTargetPrefix = "GraniteServiceVersion20100801.";
constexpr std::string_view kLogsTargetPrefix = "Logs_20140328.";

// The Action a query-protocol request names in its query string or (uncompressed) body, still
// escaped; "" when neither says. For the record of a failed authentication, before anything is
// decoded: botocore sends Action first, so the scan stops early.
std::string_view QueryAction(const http::Request& request) {
  for (std::string_view form : {std::string_view(request.query), std::string_view(request.body)}) {
    size_t at = 0;
    while (at < form.size()) {
      const size_t end = std::min(form.find('&', at), form.size());
      if (std::string_view pair = form.substr(at, end - at); pair.starts_with("Action=")) {
        return pair.substr(7);
      }
      at = end + 1;
    }
    if (request.Header("Content-Encoding")) break;  // the body is compressed: not readable
  }
  return "";
}

// True when the gzip/zlib stream inflates to more than max_bytes. Only run after Gunzip
// failed, to tell "too large" (413) from "corrupt" (400); output is discarded as it comes.
bool InflatesBeyond(std::string_view data, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return false;  // +32: gzip or zlib header
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::array<unsigned char, 64 * 1024> buf;
  size_t total = 0;
  int rc = Z_OK;
  while (rc == Z_OK && total <= max_bytes) {
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    total += buf.size() - zs.avail_out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
  }
  inflateEnd(&zs);
  return total > max_bytes;
}

// CloudWatch's 413: "Request size N exceeded 1048576 bytes". `size` is unknown when only
// decompression showed the body too large (the inflation was stopped at the limit).
ApiError TooLarge(std::optional<size_t> size, size_t max_bytes) {
  std::string message = "Request size ";
  message += size ? std::to_string(*size) + " " : std::string("after decompression ");
  message += "exceeded " + std::to_string(max_bytes) + " bytes";
  return {ErrorCode::kRequestEntityTooLarge, std::move(message)};
}

// The control-plane operations, recorded in the audit trail (data-plane ones — PutMetricData,
// reads — are not, as in CloudTrail).
bool Audited(std::string_view op) {
  return op == "PutMetricAlarm" || op == "PutCompositeAlarm" || op == "DeleteAlarms" ||
         op == "SetAlarmState" || op == "EnableAlarmActions" || op == "DisableAlarmActions";
}

}  // namespace

struct CloudWatchService::Impl {
  tsdb::Db* db;
  alarms::Engine* alarms;
  audit::Trail* trail;
  const auth::AccessControl* verifier;
  const Clock* clock;
  Logger* logger;
  Registry* metrics;
  CloudWatchOptions options;
  RequestIdGenerator ids;

  // Self-metrics: vigil_api_requests_total{protocol, operation, code}. Successes of the four
  // operations are registered up front (lock-free hot path); error series are registered on
  // first use and cached under errors_mu.
  std::array<Counter*, 2 * kOperationCount> ok_counters{};  // [protocol * count + operation]
  mutable std::mutex errors_mu;
  mutable std::map<std::string, Counter*, std::less<>> error_counters;  // guarded by errors_mu

  http::Response Handle(const http::Request& request) const;
  http::Response Fail(Protocol protocol, std::string_view op, const ApiError& error,
                      const std::string& id) const;
  void Count(Protocol protocol, std::string_view op, std::string_view code) const;
};

void CloudWatchService::Impl::Count(Protocol protocol, std::string_view op,
                                    std::string_view code) const {
  if (metrics == nullptr) return;
  const std::string_view protocol_name = protocol == Protocol::kQuery ? "query" : "json";
  // Unknown action names are client-controlled: fold them into one series.
  const std::string_view op_label = IsCloudWatchOperation(op) ? op : "Other";
  std::string key(protocol_name);
  key += '|';
  key += op_label;
  key += '|';
  key += code;
  std::lock_guard lock(errors_mu);
  auto it = error_counters.find(key);
  if (it == error_counters.end()) {
    Counter* c = metrics->NewCounter("vigil_api_requests_total",
                                     "CloudWatch API requests by protocol, operation and result",
                                     {{"protocol", std::string(protocol_name)},
                                      {"operation", std::string(op_label)},
                                      {"code", std::string(code)}});
    it = error_counters.emplace(std::move(key), c).first;
  }
  it->second->Add();
}

http::Response CloudWatchService::Impl::Fail(Protocol protocol, std::string_view op,
                                             const ApiError& error, const std::string& id) const {
  const ErrorInfo& info = GetErrorInfo(error.code);
  Count(protocol, op, info.query_code);
  if (info.http_status >= 500) {
    logger->Warning("api", Printable(op, 64) + " failed: " + error.message);
  } else {
    logger->Log(LogLevel::kDebug, "api",
                Printable(op, 64) + ": " + std::string(info.query_code) + ": " + error.message);
  }
  http::Response response;
  response.status = info.http_status;
  response.headers.emplace_back("x-amzn-RequestId", id);
  if (protocol == Protocol::kQuery) {
    response.headers.emplace_back("Content-Type", "text/xml");
    response.body = RenderXmlError(error, id);
  } else {
    response.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
    response.headers.emplace_back("x-amzn-query-error", QueryErrorHeader(error));
    response.body = RenderJsonError(error);
  }
  return response;
}

http::Response CloudWatchService::Impl::Handle(const http::Request& request) const {
  const std::string id = ids.Next();
  Protocol protocol = Protocol::kQuery;
  std::string op;
  std::optional<ApiError> routing_error;
  if (const auto target = request.Header("X-Amz-Target")) {
    protocol = Protocol::kJson;
    if (target->starts_with(kJsonTargetPrefix)) {
      op = std::string(target->substr(kJsonTargetPrefix.size()));
    } else {
      // CloudWatch Logs (Logs_20140328.*) and anything else: not served here (yet).
      op = "Other";
      routing_error = ApiError{ErrorCode::kUnknownOperation,
                               "Unknown operation " + Printable(*target, 128) + "."};
    }
  }

  // A Logs call that reaches this service (no Logs service mounted) is signed for "logs"; it
  // is answered UnknownOperation below, after its signature is checked.
  const bool logs_call =
      routing_error && request.Header("X-Amz-Target")->starts_with(kLogsTargetPrefix);
  const auth::VerifyResult verified =
      Authenticate(*verifier, request, {logs_call ? "logs" : "monitoring"}, trail, logger,
                   "monitoring.amazonaws.com",
                   protocol == Protocol::kQuery ? QueryAction(request) : std::string_view(op));
  if (!verified.ok()) {
    http::Response refused =
        Fail(protocol, op, ErrorFromAuth(verified.error, verified.message), id);
    AddRetryAfter(verified, &refused);
    return refused;
  }
  if (routing_error) {
    http::Response response = Fail(protocol, op, *routing_error, id);
    if (request.Header("X-Amz-Target")->starts_with(kLogsTargetPrefix)) {
      for (auto& [name, value] : response.headers) {
        if (name == "Content-Type") value = "application/x-amz-json-1.1";  // Logs is JSON 1.1
      }
    }
    return response;
  }

  std::string inflated;
  std::string_view body = request.body;
  if (const auto encoding = request.Header("Content-Encoding");
      encoding && !encoding->empty() && !EqualsIgnoreCase(*encoding, "identity")) {
    if (!EqualsIgnoreCase(*encoding, "gzip") && !EqualsIgnoreCase(*encoding, "x-gzip") &&
        !EqualsIgnoreCase(*encoding, "deflate")) {
      return Fail(protocol, op,
                  {ErrorCode::kInvalidParameterValue,
                   "Unsupported Content-Encoding " + Printable(*encoding, 64) + "."},
                  id);
    }
    auto gunzipped = http::Gunzip(request.body, options.max_body_bytes);
    if (!gunzipped.ok()) {
      if (InflatesBeyond(request.body, options.max_body_bytes)) {
        return Fail(protocol, op, TooLarge(std::nullopt, options.max_body_bytes), id);
      }
      return Fail(protocol, op,
                  {ErrorCode::kInvalidParameterValue,
                   "The request body could not be decompressed: " + gunzipped.status().message()},
                  id);
    }
    inflated = std::move(gunzipped).value();
    body = inflated;
  }
  if (body.size() > options.max_body_bytes) {
    return Fail(protocol, op, TooLarge(body.size(), options.max_body_bytes), id);
  }

  ApiOr<DecodedRequest> decoded =
      protocol == Protocol::kJson ? DecodeJsonRequest(op, body) : DecodeQueryRequest(body, &op);
  // The call's parameters as given, for the audit trail and the resources it names.
  nlohmann::json params = nlohmann::json::object();
  if (protocol == Protocol::kJson) {
    params = nlohmann::json::parse(body, nullptr, false);
    if (params.is_discarded()) params = nlohmann::json::object();
  } else if (ApiOr<FormPairs> pairs = ParseFormPairs(body); pairs.ok()) {
    for (const auto& [k, v] : *pairs) {
      if (k != "Action" && k != "Version") params[k] = v;
    }
  }
  auto audit = [&](const ApiError* error) {
    if (trail == nullptr || !Audited(op)) return;
    RecordCall(trail, logger,
               {"monitoring.amazonaws.com", op, &request, &verified, params,
                error ? std::string(GetErrorInfo(error->code).query_code) : "",
                error ? error->message : ""});
  };
  if (!decoded.ok()) {
    audit(&decoded.error());
    return Fail(protocol, op, decoded.error(), id);
  }
  if (std::optional<Refusal> refused = Authorize(
          *verifier, "cloudwatch:" + op, ResourceArns(params), trail, logger,
          AuditedCall{"monitoring.amazonaws.com", op, &request, &verified, params, "", ""})) {
    return Fail(protocol, op, ApiError{ErrorCode::kAccessDenied, refused->message}, id);
  }
  ApiOr<CloudWatchOutput> output =
      !IsAlarmOperation(decoded->op) ? Execute(decoded.value(), *db, clock->NowMillis())
      : alarms != nullptr
          ? ExecuteAlarmOperation(decoded.value(), *alarms)
          : ApiOr<CloudWatchOutput>(
                ApiError{ErrorCode::kServiceUnavailable, "Alarms are not enabled on this server."});
  audit(output.ok() ? nullptr : &output.error());
  if (!output.ok()) return Fail(protocol, op, output.error(), id);

  if (metrics != nullptr) {
    ok_counters[(protocol == Protocol::kQuery ? 0 : kOperationCount) +
                static_cast<int>(decoded->op)]
        ->Add();
  }
  http::Response response;
  response.status = 200;
  response.headers.emplace_back("x-amzn-RequestId", id);
  if (protocol == Protocol::kQuery) {
    response.headers.emplace_back("Content-Type", "text/xml");
    response.body = RenderXmlResponse(decoded->op, output.value(), id);
  } else {
    response.headers.emplace_back("Content-Type", "application/x-amz-json-1.0");
    response.body = RenderJsonResponse(output.value());
  }
  return response;
}

CloudWatchService::CloudWatchService(tsdb::Db* db, const auth::AccessControl* verifier,
                                     const Clock* clock, Logger* logger, Registry* metrics,
                                     CloudWatchOptions options, alarms::Engine* alarms,
                                     audit::Trail* trail)
    : impl_(std::make_shared<Impl>()) {
  impl_->db = db;
  impl_->alarms = alarms;
  impl_->trail = trail;
  impl_->verifier = verifier;
  impl_->clock = clock;
  impl_->logger = logger;
  impl_->metrics = metrics;
  impl_->options = std::move(options);
  if (metrics != nullptr) {
    for (int p = 0; p < 2; ++p) {
      for (int o = 0; o < kOperationCount; ++o) {
        impl_->ok_counters[p * kOperationCount + o] = metrics->NewCounter(
            "vigil_api_requests_total", "CloudWatch API requests by protocol, operation and result",
            {{"protocol", p == 0 ? "query" : "json"},
             {"operation", std::string(OperationName(static_cast<Operation>(o)))},
             {"code", "OK"}});
      }
    }
  }
}

std::string CloudWatchAlarmArn(std::string_view region, std::string_view account,
                               std::string_view name) {
  std::string arn = "arn:aws:cloudwatch:";
  arn.append(region).append(":").append(account).append(":alarm:").append(name);
  return arn;
}

http::Response CloudWatchService::Handle(const http::Request& request) const {
  return impl_->Handle(request);
}

}  // namespace vigil::api
