#pragma once
// Private to the server: starting the synthetic checks (canary.h) against the apps' load
// balancers.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "canary/canary.h"
#include "common/clock.h"
#include "common/logging.h"
#include "common/metric_sink.h"
#include "common/status.h"

namespace vigil::server {

// "http://HOST:PORT" ("https://" for a TLS listener) for a listener bound at host:port; a
// wildcard host (0.0.0.0, ::, "") becomes the loopback address of its family, an IPv6 host goes
// in brackets.
std::string LocalBaseUrl(const std::string& host, uint16_t port, bool tls = false);

// Starts `specs`, resolving a canary's app through `lb_urls` (app -> LocalBaseUrl of its load
// balancer as bound, and its TLS certificate file). The clock, logger and sink must outlive the
// result. Canaries::Start's errors.
StatusOr<std::unique_ptr<canary::Canaries>> StartCanaries(
    const std::vector<canary::CanarySpec>& specs,
    std::map<std::string, canary::AppEndpoint> lb_urls, Clock* clock, Logger* logger,
    MetricSink* metrics);

}  // namespace vigil::server
