#include "bench/tsdb/http_load.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "bench/tsdb/http_client.h"

namespace vigil::bench {
namespace {

int64_t UnixSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

bool IsSuccess(int status) { return status >= 200 && status < 300; }

class HttpSink final : public ChunkSink {
 public:
  HttpSink(const Encoders* encoders, const HttpLoadOptions& options, Url url)
      : encoders_(encoders), options_(options), conn_(std::move(url)) {}

  Status Consume(const Chunk& chunk) override {
    HttpRequest req;
    const Url& url = conn_.url();
    switch (options_.protocol) {
      case Protocol::kRemoteWrite:
        req.target = url.path.empty() ? "/api/v1/write" : url.path;
        req.body = encoders_->RemoteWriteBody(chunk);
        req.headers = {{"Content-Encoding", "snappy"},
                       {"Content-Type", "application/x-protobuf"},
                       {"X-Prometheus-Remote-Write-Version", "0.1.0"}};
        if (options_.credentials) {
          SigV4Credentials creds = *options_.credentials;
          creds.service = "aps";
          SignRequest(creds, url.HostHeader(), UnixSeconds(), &req);
        }
        req.headers.emplace_back("User-Agent", "vigil-bench/remote-write");
        break;
      case Protocol::kPutMetricData: {
        req.target = url.path.empty() ? "/" : url.path;
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
        if (options_.credentials) {
          SigV4Credentials creds = *options_.credentials;
          creds.service = "monitoring";
          SignRequest(creds, url.HostHeader(), UnixSeconds(), &req);
        }
        req.headers.emplace_back("User-Agent", "vigil-bench/put-metric-data");
        break;
      }
      case Protocol::kVmImport:
        req.target = url.path.empty() ? "/api/v1/import/prometheus" : url.path;
        req.body = encoders_->VmImportText(chunk);
        req.headers = {{"Content-Type", "text/plain"}};
        break;
    }
    bytes_ += req.body.size();
    ASSIGN_OR_RETURN(HttpResponse res, conn_.RoundTrip(req));
    if (!IsSuccess(res.status)) {
      return UnavailableError("HTTP " + std::to_string(res.status) + " from " + url.HostHeader() +
                              req.target + ": " + res.body.substr(0, 500));
    }
    return OkStatus();
  }
  uint64_t bytes_sent() const override { return bytes_; }

 private:
  const Encoders* encoders_;
  HttpLoadOptions options_;
  HttpConnection conn_;
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

// Builds the q1 request and a function counting the datapoints of its answer.
HttpRequest Q1Request(const FleetSource& source, const QueryOptions& options, const Url& url) {
  const SeriesMeta& meta = source.meta(options.series_index);
  const int64_t start_s = source.start_ms() / 1000;
  const int64_t end_s = source.end_ms() / 1000;
  HttpRequest req;
  if (options.target == QueryTarget::kVigil) {
    nlohmann::json body = {{"Namespace", options.ns},
                           {"MetricName", meta.metric},
                           {"StartTime", start_s},
                           {"EndTime", end_s},
                           {"Period", 60},
                           {"Statistics", {"Average"}}};
    body["Dimensions"] = nlohmann::json::array();
    for (const auto& [name, value] : meta.labels) {
      body["Dimensions"].push_back({{"Name", name}, {"Value", value}});
    }
    req.target = "/";
    req.body = body.dump();
    req.headers = {{"X-Amz-Target", "GraniteServiceVersion20100801.GetMetricStatistics"},
                   {"Content-Type", "application/x-amz-json-1.0"},
                   {"x-amzn-query-mode", "true"}};
    return req;
  }
  std::string selector = meta.metric + "{";
  for (size_t i = 0; i < meta.labels.size(); ++i) {
    if (i > 0) selector += ',';
    selector += meta.labels[i].first + "=\"" + meta.labels[i].second + "\"";
  }
  selector += "}";
  // Evaluation at T averages (T-60s, T]: 1440 points for a day, like 1440 CloudWatch periods.
  req.method = "GET";
  req.target = (url.path.empty() ? "/api/v1/query_range" : url.path) +
               "?query=" + UrlEncode("avg_over_time(" + selector + "[60s])") +
               "&start=" + std::to_string(start_s + 60) + "&end=" + std::to_string(end_s) +
               "&step=60" + (options.promql_nocache ? "&nocache=1" : "");
  return req;
}

size_t CountPoints(QueryTarget target, const std::string& body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  if (target == QueryTarget::kVigil) {
    return doc.contains("Datapoints") ? doc["Datapoints"].size() : 0;
  }
  const auto& result = doc["data"]["result"];
  if (!result.is_array() || result.empty()) return 0;
  return result[0]["values"].size();
}

}  // namespace

SinkFactory MakeHttpSinkFactory(const Encoders* encoders, const HttpLoadOptions& options) {
  return [encoders, options](int) -> StatusOr<std::unique_ptr<ChunkSink>> {
    ASSIGN_OR_RETURN(Url url, ParseUrl(options.url));
    return std::unique_ptr<ChunkSink>(new HttpSink(encoders, options, std::move(url)));
  };
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

StatusOr<LatencySummary> MeasureQ1(const FleetSource& source, const QueryOptions& options) {
  if (options.series_index >= source.series()) {
    return InvalidArgumentError("series index out of range");
  }
  ASSIGN_OR_RETURN(Url url, ParseUrl(options.url));
  HttpConnection conn(url);
  const HttpRequest unsigned_req = Q1Request(source, options, url);
  std::vector<double> latencies;
  size_t points = 0;
  for (int i = 0; i < options.warmup + options.repetitions; ++i) {
    HttpRequest req = unsigned_req;
    if (options.target == QueryTarget::kVigil && options.credentials) {
      SignRequest(*options.credentials, url.HostHeader(), UnixSeconds(), &req);
    }
    const auto t0 = std::chrono::steady_clock::now();
    ASSIGN_OR_RETURN(HttpResponse res, conn.RoundTrip(req));
    const auto t1 = std::chrono::steady_clock::now();
    if (res.status != 200) {
      return UnavailableError("q1: HTTP " + std::to_string(res.status) + ": " +
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
