// vigil-shop: the example shop service (README.md). Serves until SIGTERM or SIGINT, then stops
// accepting, finishes the requests in flight, publishes the last metrics and exits 0.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/logging.h"
#include "examples/shop/metrics.h"
#include "examples/shop/options.h"
#include "examples/shop/publisher.h"
#include "examples/shop/service.h"
#include "examples/shop/store.h"
#include "http/http.h"

namespace vigil::shop {
namespace {

int Run(const ShopOptions& options) {
  Logger logger(stdout);
  if (options.faults.crash_on_start) {
    logger.Error("shop", "crashing on start (--fault-crash-on-start)");
    return 1;
  }
  // Every thread started from here on inherits the mask, so the signals wait for sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StatusOr<std::unique_ptr<Store>> store = Store::Open(options.db_path);
  if (!store.ok()) {
    logger.Error("shop", store.status().ToString());
    return 1;
  }
  ShopMetrics metrics;
  Shop shop(store->get(), &metrics, &logger, options.version, options.faults);
  http::Router router;
  router.Handle("*", "/*", [&shop](const http::Request& r) { return shop.Serve(r); });

  http::ServerOptions server_options;
  server_options.host = options.listen_host;
  server_options.port = options.port;
  server_options.logger = &logger;
  server_options.delay = [&shop](const http::Request& r) { return shop.Delay(r); };
  http::Server server(server_options, &router);
  if (Status s = server.Start(); !s.ok()) {
    logger.Error("shop", s.ToString());
    return 1;
  }
  // Tests and scripts wait for this line to learn the port.
  logger.Info("shop", "vigil-shop " + options.version + " listening on " + options.listen_host +
                          ":" + std::to_string(server.port()) + " db " + options.db_path);

  std::optional<Publisher> publisher;
  if (options.publish_metrics()) {
    publisher.emplace(options, &metrics, &logger);
    if (Status s = publisher->Start(); !s.ok()) {
      logger.Error("shop", "not publishing metrics: " + s.ToString());
      publisher.reset();
    }
  }

  int signal = 0;
  sigwait(&signals, &signal);
  logger.Info("shop", std::string("got ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT") +
                          ": finishing requests in flight");
  server.Stop();
  if (publisher) publisher->Stop();
  logger.Info("shop", "stopped");
  return 0;
}

}  // namespace
}  // namespace vigil::shop

int main(int argc, char** argv) {
  vigil::StatusOr<vigil::shop::ShopOptions> options =
      vigil::shop::ParseOptions(std::vector<std::string>(argv + 1, argv + argc),
                                [](const char* name) { return std::getenv(name); });
  if (!options.ok()) {
    if (options.status().code() == vigil::StatusCode::kNotFound) {
      std::fputs(vigil::shop::Usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "vigil-shop: %s\n%s", options.status().message().c_str(),
                 vigil::shop::Usage().c_str());
    return 2;
  }
  return vigil::shop::Run(*options);
}
