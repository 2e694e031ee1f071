// RemoteWriteService: POST /api/v1/write, Prometheus remote-write 1.0.
// Answers: 204 stored; 400 bad input (Prometheus drops the batch); 403 authentication;
// 413 too large; 415 another protocol version or encoding; 5xx storage failure (Prometheus
// retries these).

#include "api/access.h"
#include "api/api.h"
#include "api/authenticate.h"
#include "api/form.h"
#include "api/remote_write_decode.h"
#include "api/text.h"
#include "common/ascii.h"

namespace vigil::api {
namespace {}  // namespace

struct RemoteWriteService::Impl {
  tsdb::Db* db;
  const auth::AccessControl* verifier;
  Logger* logger;
  RemoteWriteOptions options;
  audit::Trail* trail = nullptr;

  // Self-metrics; all null when no registry was given.
  Counter* requests_ok = nullptr;
  Counter* requests_bad = nullptr;     // 4xx
  Counter* requests_failed = nullptr;  // 5xx
  Counter* samples = nullptr;
  Counter* series = nullptr;
  Counter* dropped_stale = nullptr;
  Counter* dropped_invalid = nullptr;

  http::Response Reply(int status, std::string message) const {
    if (status >= 500) {
      logger->Warning("remote_write", message);
      if (requests_failed) requests_failed->Add();
    } else {
      logger->Log(LogLevel::kDebug, "remote_write", message);
      if (requests_bad) requests_bad->Add();
    }
    return http::Response::Text(status, std::move(message) + "\n");
  }

  std::optional<std::string> Namespace(std::string_view query) const {
    auto pairs = ParseFormPairs(query);
    if (!pairs.ok()) return std::nullopt;
    for (auto& [key, value] : pairs.value()) {
      if (key == "namespace") return std::move(value);
    }
    return options.default_namespace;
  }

  http::Response Handle(const http::Request& request) const;
};

http::Response RemoteWriteService::Impl::Handle(const http::Request& request) const {
  const bool signed_request = request.Header("Authorization").has_value();
  if (signed_request || !options.allow_unsigned) {
    if (verifier == nullptr) return Reply(403, "remote write: request signing is not configured");
    // Prometheus' sigv4 block signs for "aps" (Amazon Managed Prometheus); Vigil's own
    // tools for "monitoring".
    const auth::VerifyResult verified =
        Authenticate(*verifier, request, {"aps", "monitoring"}, trail, logger,
                     "monitoring.amazonaws.com", "RemoteWrite");
    if (!verified.ok()) {
      const int status = verified.error == auth::AuthError::kThrottled             ? 429
                         : verified.error == auth::AuthError::kIncompleteSignature ? 400
                                                                                   : 403;
      http::Response refused = Reply(status, std::string(auth::AuthErrorCode(verified.error)) +
                                                 ": " + Printable(verified.message, 512));
      AddRetryAfter(verified, &refused);
      return refused;
    }
    if (std::optional<Refusal> refused =
            Authorize(*verifier, "cloudwatch:PutMetricData", {}, trail, logger,
                      AuditedCall{"monitoring.amazonaws.com", "RemoteWrite", &request, &verified,
                                  nlohmann::json::object(), "", ""})) {
      return Reply(403, "AccessDenied: " + refused->message);
    }
  }
  if (const auto encoding = request.Header("Content-Encoding");
      encoding && !StartsWithIgnoreCase(*encoding, "snappy")) {
    return Reply(415, "remote write: unsupported Content-Encoding " + Printable(*encoding, 64) +
                          " (want snappy)");
  }
  if (const auto type = request.Header("Content-Type")) {
    if (!StartsWithIgnoreCase(*type, "application/x-protobuf") ||
        type->find("io.prometheus.write.v2") != std::string_view::npos) {
      return Reply(415, "remote write: unsupported Content-Type " + Printable(*type, 128) +
                            " (want application/x-protobuf, remote-write 1.0)");
    }
  }
  if (const auto version = request.Header("X-Prometheus-Remote-Write-Version");
      version && !version->starts_with("0.") && !version->starts_with("1.")) {
    return Reply(415, "remote write: unsupported protocol version " + Printable(*version, 32));
  }
  const std::optional<std::string> ns = Namespace(request.query);
  if (!ns || ns->empty() || ns->size() > 255 || !IsValidText(*ns)) {
    return Reply(400, "remote write: invalid namespace parameter");
  }

  std::string payload;
  if (Status s = SnappyUncompress(request.body, options.max_body_bytes, &payload); !s.ok()) {
    return Reply(s.code() == StatusCode::kResourceExhausted ? 413 : 400, s.message());
  }
  DecodedWrite batch;
  WriteRequestStats stats;
  if (Status s = DecodeWriteRequest(payload, *ns, &batch, &stats); !s.ok()) {
    return Reply(400, s.message());
  }
  if (dropped_stale) dropped_stale->Add(stats.stale_markers);
  if (dropped_invalid) dropped_invalid->Add(stats.invalid_values);
  if (!batch.series.empty()) {
    if (Status s = db->AppendViews(batch.series); !s.ok()) {
      if (s.code() == StatusCode::kInvalidArgument) return Reply(400, s.message());
      const bool transient = s.code() == StatusCode::kUnavailable ||
                             s.code() == StatusCode::kFailedPrecondition ||
                             s.code() == StatusCode::kResourceExhausted;
      return Reply(transient ? 503 : 500, "remote write: storage failed: " + s.message());
    }
  }
  if (samples) samples->Add(stats.samples);
  if (series) series->Add(stats.series);
  if (requests_ok) requests_ok->Add();
  http::Response response;
  response.status = 204;
  return response;
}

RemoteWriteService::RemoteWriteService(tsdb::Db* db, const auth::AccessControl* verifier,
                                       Logger* logger, Registry* metrics,
                                       RemoteWriteOptions options, audit::Trail* trail)
    : impl_(std::make_shared<Impl>()) {
  impl_->db = db;
  impl_->trail = trail;
  impl_->verifier = verifier;
  impl_->logger = logger;
  impl_->options = std::move(options);
  if (metrics != nullptr) {
    const std::string requests = "vigil_remote_write_requests_total";
    const std::string help = "Prometheus remote-write requests by result";
    impl_->requests_ok = metrics->NewCounter(requests, help, {{"result", "ok"}});
    impl_->requests_bad = metrics->NewCounter(requests, help, {{"result", "rejected"}});
    impl_->requests_failed = metrics->NewCounter(requests, help, {{"result", "failed"}});
    impl_->samples =
        metrics->NewCounter("vigil_remote_write_samples_total", "Samples stored from remote write");
    impl_->series = metrics->NewCounter("vigil_remote_write_series_total",
                                        "Time series (with samples) received by remote write");
    const std::string dropped = "vigil_remote_write_dropped_samples_total";
    const std::string dropped_help = "Remote-write samples dropped instead of stored";
    impl_->dropped_stale = metrics->NewCounter(dropped, dropped_help, {{"reason", "stale"}});
    impl_->dropped_invalid = metrics->NewCounter(dropped, dropped_help, {{"reason", "nan_or_inf"}});
  }
}

http::Response RemoteWriteService::Handle(const http::Request& request) const {
  return impl_->Handle(request);
}

}  // namespace vigil::api
