#pragma once
// The shop's HTTP API over a Store (README.md lists the endpoints and their JSON).
//
// Every request goes through Serve(): the error-rate fault first (all but /health), then the
// routes, then the X-Shop-Version header, the request count and a log line. Errors are JSON,
// {"error": "..."}: 400 bad input, 404 unknown product or path, 405 wrong method, 500 injected
// or internal failure (the cause is logged), 503 /health when the database does not answer or
// the unhealthy fault is on.
//
// Thread-safety: Serve() and Delay() may run concurrently (the http server's workers and I/O
// threads); the store and metrics are thread-safe.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/logging.h"
#include "examples/shop/metrics.h"
#include "examples/shop/options.h"
#include "examples/shop/store.h"
#include "http/http.h"

namespace vigil::shop {

class Shop {
 public:
  // store, metrics and logger must outlive the Shop.
  Shop(Store* store, ShopMetrics* metrics, Logger* logger, std::string version, Faults faults);

  // Answers one request (the only route of the router given to http::Server).
  http::Response Serve(const http::Request& request);
  // For http::ServerOptions::delay: the latency fault, for every request but /health; logs
  // each request it holds (tests wait for that line to know a request is in flight).
  std::chrono::milliseconds Delay(const http::Request& request) const;

 private:
  http::Response ListProducts(const http::Request& request);
  http::Response ShowProduct(const http::Request& request);
  http::Response CartRequest(const http::Request& request);
  http::Response AddToCart(const std::string& user, const http::Request& request);
  http::Response Checkout(const std::string& user);
  http::Response RecommendFor(const http::Request& request);
  http::Response Health(const http::Request& request);
  // The error-rate fault: true for `error_rate` of the calls, evenly spread (the n-th call
  // fails when floor(n * rate) grows), so a test sees exactly the fraction asked for.
  bool InjectError();

  Store* const store_;
  ShopMetrics* const metrics_;
  Logger* const logger_;
  const std::string version_;
  const Faults faults_;
  http::Router routes_;
  std::atomic<int64_t> calls_{0};  // requests seen by InjectError
};

// The route template of a path, the label of its request count: "/products/{id}",
// "/cart/{user}/items", ...; "other" for a path that matches no route.
std::string RouteOf(std::string_view path);

}  // namespace vigil::shop
