#include "bench/tsdb/http_load.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "http/client.h"

namespace vigil::bench {
namespace {

int64_t UnixSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

bool IsSuccess(int status) { return status >= 200 && status < 300; }

// Builds the request for a chunk (unsigned), and signs and sends requests.
class RequestMaker {
 public:
  RequestMaker(const Encoders* encoders, const HttpLoadOptions& options, http::Url url)
      : encoders_(encoders), options_(options), url_(std::move(url)) {}

  http::ClientRequest Build(const Chunk& chunk) const {
    http::ClientRequest req;
    switch (options_.protocol) {
      case Protocol::kRemoteWrite:
        req.target = url_.path.empty() ? "/api/v1/write" : url_.path;
        req.body = encoders_->RemoteWriteBody(chunk);
        req.headers = {{"Content-Encoding", "snappy"},
                       {"Content-Type", "application/x-protobuf"},
                       {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
        break;
      case Protocol::kPutMetricData: {
        req.target = url_.path.empty() ? "/" : url_.path;
        std::string json = encoders_->PutMetricDataJson(chunk);
        req.headers = {{"X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"},
                       {"Content-Type", "application/x-amz-json-1.0"},
                       {"x-amzn-query-mode", "true"}};
        if (json.size() >= 10240) {
          req.body = Gzip(json, options_.gzip_level);
          req.headers.emplace_back("Content-Encoding", "gzip");
        } else {
          req.body = std::move(json);
        }
        break;
      }
      case Protocol::kVmImport:
        req.target = url_.path.empty() ? "/api/v1/import/prometheus" : url_.path;
        req.body = encoders_->VmImportText(chunk);
        req.headers = {{"Content-Type", "text/plain"}};
        break;
    }
    return req;
  }

  // Signs `req` as the protocol's client would (at send time: the signature carries the time).
  void Sign(http::ClientRequest* req) const {
    if (options_.credentials && options_.protocol != Protocol::kVmImport) {
      SigV4Credentials creds = *options_.credentials;
      creds.service = options_.protocol == Protocol::kRemoteWrite ? "aps" : "monitoring";
      SignRequest(creds, url_.HostHeader(), UnixSeconds(), req);
    }
    req->headers.emplace_back("User-Agent", "vigil-bench/load");
  }

  const http::Url& url() const { return url_; }

 private:
  const Encoders* encoders_;
  HttpLoadOptions options_;
  http::Url url_;
};

// Sends one request and checks its answer.
Status Send(http::Client& conn, const http::ClientRequest& req) {
  ASSIGN_OR_RETURN(http::ClientResponse res, conn.RoundTrip(req));
  if (!IsSuccess(res.status)) {
    return UnavailableError("HTTP " + std::to_string(res.status) + " from " +
                            conn.url().HostHeader() + req.target + ": " + res.body.substr(0, 500));
  }
  return OkStatus();
}

// Builds, signs and sends each chunk's request as it comes.
class HttpSink final : public ChunkSink {
 public:
  HttpSink(const Encoders* encoders, const HttpLoadOptions& options, http::Url url)
      : maker_(encoders, options, url), conn_(std::move(url)) {}

  Status Consume(const Chunk& chunk) override {
    http::ClientRequest req = maker_.Build(chunk);
    maker_.Sign(&req);
    bytes_ += req.body.size();
    return Send(conn_, req);
  }
  uint64_t bytes_sent() const override { return bytes_; }

 private:
  RequestMaker maker_;
  http::Client conn_;
  uint64_t bytes_ = 0;
};

// Pre-built requests of each thread, in the order Drive hands that thread its chunks (Drive's
// chunking is deterministic, so a second Drive over the same source replays them in order).
using Prebuilt = std::vector<std::vector<http::ClientRequest>>;

class RecordingSink final : public ChunkSink {
 public:
  RecordingSink(const RequestMaker* maker, std::vector<http::ClientRequest>* out)
      : maker_(maker), out_(out) {}
  Status Consume(const Chunk& chunk) override {
    out_->push_back(maker_->Build(chunk));
    return OkStatus();
  }

 private:
  const RequestMaker* maker_;
  std::vector<http::ClientRequest>* out_;
};

class ReplaySink final : public ChunkSink {
 public:
  ReplaySink(const RequestMaker* maker, std::vector<http::ClientRequest>* requests, http::Url url)
      : maker_(maker), requests_(requests), conn_(std::move(url)) {}
  Status Consume(const Chunk&) override {
    if (next_ >= requests_->size()) return InternalError("replay: more chunks than recorded");
    http::ClientRequest req = std::move((*requests_)[next_++]);
    maker_->Sign(&req);
    bytes_ += req.body.size();
    Status s = Send(conn_, req);
    req.body = std::string();  // sent: give the memory back as the load goes
    return s;
  }
  uint64_t bytes_sent() const override { return bytes_; }

 private:
  const RequestMaker* maker_;
  std::vector<http::ClientRequest>* requests_;
  http::Client conn_;
  size_t next_ = 0;
  uint64_t bytes_ = 0;
};

std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// A signed-later CloudWatch JSON 1.0 call of `operation` with `body`.
http::ClientRequest CloudWatchJsonRequest(const std::string& operation, const nlohmann::json& body) {
  http::ClientRequest req;
  req.target = "/";
  req.body = body.dump();
  req.headers = {{"X-Amz-Target", "GraniteServiceVersion20100801." + operation},
                 {"Content-Type", "application/x-amz-json-1.0"},
                 {"x-amzn-query-mode", "true"}};
  return req;
}

// Builds the q1 request (q3: at a 1-hour period).
http::ClientRequest Q1Request(const FleetSource& source, const QueryOptions& options, const http::Url& url) {
  const SeriesMeta& meta = source.meta(options.series_index);
  const int64_t period_s = options.kind == QueryKind::kQ3 ? 3600 : 60;
  const int64_t start_s = source.start_ms() / 1000;
  const int64_t end_s = source.end_ms() / 1000;
  http::ClientRequest req;
  if (options.target == QueryTarget::kVigil && options.kind == QueryKind::kQ3) {
    // 2,160 hourly points: past GetMetricStatistics' 1,440, so through GetMetricData.
    nlohmann::json dims = nlohmann::json::array();
    for (const auto& [name, value] : meta.labels) dims.push_back({{"Name", name}, {"Value", value}});
    nlohmann::json body = {
        {"MetricDataQueries",
         {{{"Id", "q3"},
           {"MetricStat",
            {{"Metric", {{"Namespace", options.ns}, {"MetricName", meta.metric}, {"Dimensions", dims}}},
             {"Period", period_s},
             {"Stat", "Average"}}}}}},
        {"StartTime", start_s},
        {"EndTime", end_s},
        {"ScanBy", "TimestampAscending"}};
    return CloudWatchJsonRequest("GetMetricData", body);
  }
  if (options.target == QueryTarget::kVigil) {
    nlohmann::json body = {{"Namespace", options.ns},
                           {"MetricName", meta.metric},
                           {"StartTime", start_s},
                           {"EndTime", end_s},
                           {"Period", period_s},
                           {"Statistics", {"Average"}}};
    body["Dimensions"] = nlohmann::json::array();
    for (const auto& [name, value] : meta.labels) {
      body["Dimensions"].push_back({{"Name", name}, {"Value", value}});
    }
    return CloudWatchJsonRequest("GetMetricStatistics", body);
  }
  std::string selector = meta.metric + "{";
  for (size_t i = 0; i < meta.labels.size(); ++i) {
    if (i > 0) selector += ',';
    selector += meta.labels[i].first + "=\"" + meta.labels[i].second + "\"";
  }
  selector += "}";
  // Evaluation at T averages (T-60s, T]: 1440 points for a day, like 1440 CloudWatch periods.
  const std::string p = std::to_string(period_s);
  req.method = "GET";
  req.target = (url.path.empty() ? "/api/v1/query_range" : url.path) +
               "?query=" + UrlEncode("avg_over_time(" + selector + "[" + p + "s])") +
               "&start=" + std::to_string(start_s + period_s) + "&end=" + std::to_string(end_s) +
               "&step=" + p + (options.promql_nocache ? "&nocache=1" : "");
  return req;
}

http::ClientRequest Q2Request(const FleetSource& source, const QueryOptions& options,
                              const http::Url& url) {
  const int64_t start_s = source.start_ms() / 1000;
  const int64_t end_s = source.end_ms() / 1000;
  http::ClientRequest req;
  if (options.target == QueryTarget::kVigil) {
    const std::string select =
        "SELECT SUM(http_requests_total) FROM \"" + options.ns + "\" GROUP BY job";
    nlohmann::json body = {
        {"MetricDataQueries",
         {{{"Id", "s"}, {"Expression", select}, {"Period", 300}, {"ReturnData", false}},
          {{"Id", "r"}, {"Expression", "RATE(s)"}, {"Period", 300}}}},
        {"StartTime", start_s},
        {"EndTime", end_s},
        {"ScanBy", "TimestampAscending"}};
    return CloudWatchJsonRequest("GetMetricData", body);
  }
  req.method = "GET";
  req.target = (url.path.empty() ? "/api/v1/query_range" : url.path) +
               "?query=" + UrlEncode("sum by (job)(rate(http_requests_total[5m]))") +
               "&start=" + std::to_string(start_s + 300) + "&end=" + std::to_string(end_s) +
               "&step=300" + (options.promql_nocache ? "&nocache=1" : "");
  return req;
}

size_t CountPoints(QueryTarget target, const std::string& body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  if (target == QueryTarget::kVigil) {
    if (doc.contains("Datapoints")) return doc["Datapoints"].size();
    const auto& results = doc["MetricDataResults"];
    return results.is_array() && !results.empty() ? results[0]["Values"].size() : 0;
  }
  const auto& result = doc["data"]["result"];
  if (!result.is_array() || result.empty()) return 0;
  return result[0]["values"].size();
}

}  // namespace

SinkFactory MakeHttpSinkFactory(const Encoders* encoders, const HttpLoadOptions& options) {
  return [encoders, options](int) -> StatusOr<std::unique_ptr<ChunkSink>> {
    ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(options.url));
    return std::unique_ptr<ChunkSink>(new HttpSink(encoders, options, std::move(url)));
  };
}

StatusOr<DriveResult> RunHttpLoad(const FleetSource& source, const DriveOptions& drive,
                                  const Encoders* encoders, const HttpLoadOptions& options) {
  if (!options.prebuild) return Drive(source, drive, MakeHttpSinkFactory(encoders, options));
  ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(options.url));
  const RequestMaker maker(encoders, options, url);
  Prebuilt prebuilt(static_cast<size_t>(drive.threads));
  ASSIGN_OR_RETURN(DriveResult recorded,
                   Drive(source, drive, [&](int t) -> StatusOr<std::unique_ptr<ChunkSink>> {
                     return std::unique_ptr<ChunkSink>(
                         new RecordingSink(&maker, &prebuilt[static_cast<size_t>(t)]));
                   }));
  (void)recorded;
  return Drive(source, drive, [&](int t) -> StatusOr<std::unique_ptr<ChunkSink>> {
    return std::unique_ptr<ChunkSink>(
        new ReplaySink(&maker, &prebuilt[static_cast<size_t>(t)], url));
  });
}

LatencySummary Summarize(std::vector<double>* latencies_ms) {
  LatencySummary out;
  auto& v = *latencies_ms;
  if (v.empty()) return out;
  std::sort(v.begin(), v.end());
  out.median_ms = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  size_t p99 = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size()))) - 1;
  out.p99_ms = v[std::min(p99, v.size() - 1)];
  double sum = 0;
  for (double x : v) sum += x;
  out.mean_ms = sum / static_cast<double>(v.size());
  return out;
}

StatusOr<LatencySummary> MeasureQuery(const FleetSource& source, const QueryOptions& options) {
  if (options.series_index >= source.series()) {
    return InvalidArgumentError("series index out of range");
  }
  ASSIGN_OR_RETURN(http::Url url, http::ParseUrl(options.url));
  http::Client conn(url);
  const http::ClientRequest unsigned_req = options.kind == QueryKind::kQ2
                                               ? Q2Request(source, options, url)
                                               : Q1Request(source, options, url);
  std::vector<double> latencies;
  size_t points = 0;
  for (int i = 0; i < options.warmup + options.repetitions; ++i) {
    http::ClientRequest req = unsigned_req;
    if (options.target == QueryTarget::kVigil && options.credentials) {
      SignRequest(*options.credentials, url.HostHeader(), UnixSeconds(), &req);
    }
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(http::ClientResponse res, conn.RoundTrip(req));
    const auto t1 = std::chrono::steady_clock::now();
    if (res.status != 200) {
      return UnavailableError("query: HTTP " + std::to_string(res.status) + ": " +
                              res.body.substr(0, 500));
    }
    if (i == 0) points = CountPoints(options.target, res.body);
    if (i >= options.warmup) {
      latencies.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
  }
  LatencySummary out = Summarize(&latencies);
  out.points = points;
  return out;
}

}  // namespace vigil::bench
