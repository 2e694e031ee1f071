#pragma once
// vigil::lb — an HTTP/1.1 reverse proxy per app: what an Elastic Load Balancer does in front of
// an app's instances, with the app's TargetGroup (fleet.h) saying which instances take traffic.
//
// Each of `threads` threads runs its own event loop with its own acceptor per app listener
// (SO_REUSEPORT: the kernel spreads connections) and its own pools of upstream keep-alive
// connections, so a request is served start to end on one thread without locks; the targets'
// load counters are shared atomics. Per request: the least-outstanding target in rotation (a
// target joining rotation gets a growing share over the app's slow_start), X-Forwarded-For/
// -Proto/-Port, bodies streamed both ways (request bodies up to retry_buffer_bytes are read
// first so that the request can be retried). A request that cannot connect, or whose
// connection dies before any response byte, goes to another target: always when nothing was
// sent, and for idempotent methods also after. A request waiting longer than stall_timeout for
// its first response byte reports a stall (the fleet probes the target at once); if the target
// leaves rotation meanwhile, an idempotent request is retried elsewhere.
//
// Per second, per app, into the MetricSink (namespace Vigil/LoadBalancer, dimension App): ELB's
// RequestCount, TargetResponseTime (a histogram: percentiles work),
// HTTPCode_Target_{2,3,4,5}XX_Count, HTTPCode_ELB_{5XX,502,503,504}_Count, HealthyHostCount,
// UnHealthyHostCount, ActiveConnectionCount, NewConnectionCount, ProcessedBytes,
// TargetConnectionErrorCount, ClientTLSNegotiationErrorCount (TLS listeners only: handshakes
// that failed or timed out), and Vigil's RetryCount. One access-log line per request (format in
// docs/ARCHITECTURE.md).
//
// Thread-safety: Start/Stop from one thread.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/logging.h"
#include "common/metric_sink.h"
#include "common/status.h"
#include "fleet/fleet.h"
#include "http/tls.h"

namespace vigil::lb {

struct Listener {
  fleet::TargetGroup* targets = nullptr;  // the app; outlives the LoadBalancer
  std::string host;
  uint16_t port = 0;                        // 0: a free port (see LoadBalancer::port)
  std::string access_log_path;              // empty: no access log
  int64_t access_log_max_bytes = 64 << 20;  // then rotated to <path>.1
  // TLS termination (http/tls.h's defaults); the targets get plain HTTP with
  // X-Forwarded-Proto: https. Not enabled: plain HTTP.
  http::TlsFiles tls;
};

struct Options {
  std::vector<Listener> listeners;
  // Event loops; 0: half the cores, at least one. The instances behind it run on the same host
  // and need the other half: on two cores one loop serves more requests, with a shorter tail,
  // than two competing with the instances and the clients (bench/README.md).
  int threads = 0;
  int64_t connect_timeout_ms = 1000;
  int64_t stall_timeout_ms = 150;        // no response byte yet: report a stall
  int64_t response_timeout_ms = 60'000;  // no complete response header: 504
  int64_t idle_timeout_ms = 60'000;      // a client connection with no request is closed
  int max_attempts = 3;                  // tries per request, on distinct targets when possible
  size_t retry_buffer_bytes = 1 << 20;   // request bodies up to this are buffered for retries
  size_t max_header_bytes = 64 << 10;
  int64_t shutdown_grace_ms = 10'000;
  Clock* clock = nullptr;         // required
  Logger* logger = nullptr;       // required
  MetricSink* metrics = nullptr;  // optional
};

class LoadBalancer {
 public:
  // Binds every listener and starts serving. Unavailable naming the address when one cannot be
  // bound (nothing is left listening then); InvalidArgument on bad options, or naming the file
  // of a TLS certificate or key that cannot be used.
  static StatusOr<std::unique_ptr<LoadBalancer>> Start(Options options);
  virtual ~LoadBalancer() = default;

  // The bound port of listener i (useful with port 0).
  virtual uint16_t port(size_t listener) const = 0;
  // Stops accepting, lets requests in flight finish (up to shutdown_grace_ms), closes every
  // connection and joins the threads. Idempotent.
  virtual void Stop() = 0;
  // Re-reads every TLS listener's certificate and key for the connections accepted from now on
  // (open ones keep theirs). A listener whose files are bad keeps its certificate; the first
  // error, naming the app and the file, is returned. OK when no listener has TLS.
  virtual Status ReloadTls() = 0;

  // The client connections each event loop serves.
  virtual std::vector<int> ConnectionsPerLoopForTest() const = 0;
};

}  // namespace vigil::lb
