// Per-second metrics of each app's traffic, and the access log.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "lb/proxy.h"

namespace vigil::lb {
namespace {

constexpr char kNamespace[] = "Vigil/LoadBalancer";
const double kLogBase = std::log(1.02);

// Appends a number without a temporary string.
template <class T>
void AppendNumber(std::string* out, T value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, end);
}

// "0.000123": microseconds as seconds, without printf's floating-point formatting.
void AppendSeconds(std::string* out, int64_t us) {
  if (us < 0) {
    out->append("-1");
    return;
  }
  AppendNumber(out, us / 1'000'000);
  char frac[8];
  std::to_chars(frac, frac + sizeof(frac), 1'000'000 + us % 1'000'000);
  out->push_back('.');
  out->append(frac + 1, 6);
}

// The user agent between quotes, with quotes and control bytes escaped.
void AppendQuoted(std::string* out, std::string_view text) {
  out->push_back('"');
  for (unsigned char c : text) {
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out->append(buf);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
  out->push_back('"');
}

}  // namespace

int LatencyBucket(int64_t micros) {
  if (micros <= 1) return 0;
  const int b = static_cast<int>(std::log(static_cast<double>(micros)) / kLogBase);
  return std::min(b, kLatencyBuckets - 1);
}

double BucketSeconds(int bucket) { return std::exp((bucket + 0.5) * kLogBase) / 1e6; }

void LogClock::Append(std::string* out, int64_t now_ms) {
  if (now_ms / 1000 != second_) {
    second_ = now_ms / 1000;
    prefix_ = FormatLogTimestamp(second_ * 1000);
    prefix_.resize(prefix_.size() - 4);  // "000Z"
  }
  out->append(prefix_);
  char ms[8];
  std::to_chars(ms, ms + sizeof(ms), 1000 + now_ms % 1000);
  out->append(ms + 1, 3).push_back('Z');
}

void AppendAccessLog(std::string* out, LogClock* clock, int64_t now_ms, const std::string& app,
                     const RequestRecord& r) {
  clock->Append(out, now_ms);
  out->append(" ").append(app).append(" ");
  out->append(r.remote).append(" ");
  if (r.target != nullptr) {
    out->append(r.target->instance_id).append(" ").append(r.target->host).push_back(':');
    AppendNumber(out, r.target->port);
    out->push_back(' ');
  } else {
    out->append("- - ");
  }
  AppendSeconds(out, r.total_us);
  out->push_back(' ');
  AppendSeconds(out, r.target_us);
  out->push_back(' ');
  AppendNumber(out, r.status);
  out->push_back(' ');
  if (r.target_status > 0) {
    AppendNumber(out, r.target_status);
  } else {
    out->push_back('-');
  }
  out->push_back(' ');
  AppendNumber(out, r.bytes_in);
  out->push_back(' ');
  AppendNumber(out, r.bytes_out);
  out->push_back(' ');
  AppendNumber(out, r.attempts);
  out->push_back(' ');
  AppendQuoted(out, r.request_line);
  out->push_back(' ');
  AppendQuoted(out, r.user_agent);
  out->push_back('\n');
}

void AppStats::Count(const RequestRecord& r, int64_t now_ms, const std::string* log_as_app) {
  std::lock_guard l(mu);
  ++requests;
  if (r.attempts > 1) retries += static_cast<uint64_t>(r.attempts - 1);
  processed_bytes += r.bytes_in + r.bytes_out;
  if (r.elb_error()) {
    ++elb_5xx;
    if (r.status == 502) ++elb_502;
    if (r.status == 503) ++elb_503;
    if (r.status == 504) ++elb_504;
  } else {
    ++target_class[std::clamp(r.target_status / 100, 0, 5)];
    ++latency[LatencyBucket(r.target_us)];
  }
  if (log_as_app != nullptr) AppendAccessLog(&access_log, &log_clock, now_ms, *log_as_app, r);
}

void LoadBalancerImpl::Flush() {
  const int64_t ts = options_.clock->NowMillis();
  std::vector<const std::string*> chunks;
  for (size_t a = 0; a < apps_.size(); ++a) {
    LbApp& app = *apps_[a];
    AppStats total;
    for (auto& worker : workers_) {
      AppStats& s = *worker->stats[a];
      std::lock_guard l(s.mu);
      total.requests += s.requests;
      for (int c = 0; c < 6; ++c) total.target_class[c] += s.target_class[c];
      total.elb_5xx += s.elb_5xx;
      total.elb_502 += s.elb_502;
      total.elb_503 += s.elb_503;
      total.elb_504 += s.elb_504;
      total.new_connections += s.new_connections;
      total.processed_bytes += s.processed_bytes;
      total.connection_errors += s.connection_errors;
      total.retries += s.retries;
      total.tls_negotiation_errors += s.tls_negotiation_errors;
      for (int b = 0; b < kLatencyBuckets; ++b) total.latency[b] += s.latency[b];
      s.requests = s.elb_5xx = s.elb_502 = s.elb_503 = s.elb_504 = 0;
      s.new_connections = s.processed_bytes = s.connection_errors = s.retries = 0;
      s.tls_negotiation_errors = 0;
      std::fill(std::begin(s.target_class), std::end(s.target_class), 0);
      std::fill(std::begin(s.latency), std::end(s.latency), 0);
      // The lines are taken by a swap, so that a worker never waits on a copy, and written
      // after the lock; the buffer swapped in is last second's, emptied, with its capacity.
      s.access_log_spare.clear();
      s.access_log.swap(s.access_log_spare);
    }
    if (app.access_log.is_open()) {
      chunks.clear();
      for (auto& worker : workers_) chunks.push_back(&worker->stats[a]->access_log_spare);
      if (Status st = app.access_log.Append(chunks); !st.ok()) {
        options_.logger->Warning("lb", st.message());
      }
    }
    if (options_.metrics == nullptr) continue;
    const std::vector<std::pair<std::string, std::string>> dims = {{"App", app.name}};
    std::vector<Datum> data;
    auto add = [&](const char* metric, const char* unit, double value) {
      Datum d;
      d.metric = metric;
      d.dimensions = dims;
      d.unit = unit;
      d.timestamp_ms = ts;
      d.value = value;
      data.push_back(std::move(d));
    };
    auto count = [&](const char* metric, uint64_t value) {
      add(metric, "Count", static_cast<double>(value));
    };
    count("RequestCount", total.requests);
    count("HTTPCode_Target_2XX_Count", total.target_class[2]);
    count("HTTPCode_Target_3XX_Count", total.target_class[3]);
    count("HTTPCode_Target_4XX_Count", total.target_class[4]);
    count("HTTPCode_Target_5XX_Count", total.target_class[5]);
    count("HTTPCode_ELB_5XX_Count", total.elb_5xx);
    count("HTTPCode_ELB_502_Count", total.elb_502);
    count("HTTPCode_ELB_503_Count", total.elb_503);
    count("HTTPCode_ELB_504_Count", total.elb_504);
    count("NewConnectionCount", total.new_connections);
    count("TargetConnectionErrorCount", total.connection_errors);
    count("RetryCount", total.retries);
    // As ELB publishes it for HTTPS listeners only.
    if (app.tls != nullptr) count("ClientTLSNegotiationErrorCount", total.tls_negotiation_errors);
    add("ProcessedBytes", "Bytes", static_cast<double>(total.processed_bytes));
    add("ActiveConnectionCount", "Count", app.active_connections.load());
    const auto [healthy, unhealthy] = app.listener.targets->HostCounts();
    add("HealthyHostCount", "Count", healthy);
    add("UnHealthyHostCount", "Count", unhealthy);
    for (int b = 0; b < kLatencyBuckets; ++b) {
      if (total.latency[b] == 0) continue;
      Datum d;
      d.metric = "TargetResponseTime";
      d.dimensions = dims;
      d.unit = "Seconds";
      d.timestamp_ms = ts;
      d.value = BucketSeconds(b);
      d.count = total.latency[b];
      data.push_back(std::move(d));
    }
    options_.metrics->Put(kNamespace, std::move(data));
  }
}

}  // namespace vigil::lb
