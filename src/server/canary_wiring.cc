#include "server/canary_wiring.h"

#include <utility>

namespace vigil::server {

std::string LocalBaseUrl(const std::string& host, uint16_t port, bool tls) {
  std::string h = host;
  if (h.empty() || h == "0.0.0.0") h = "127.0.0.1";
  if (h == "::") h = "::1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return (tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

StatusOr<std::unique_ptr<canary::Canaries>> StartCanaries(
    const std::vector<canary::CanarySpec>& specs,
    std::map<std::string, canary::AppEndpoint> lb_urls, Clock* clock, Logger* logger,
    MetricSink* metrics) {
  canary::CanaryOptions options;
  options.canaries = specs;
  options.clock = clock;
  options.logger = logger;
  options.metrics = metrics;
  options.resolve_app =
      [urls = std::move(lb_urls)](const std::string& app) -> StatusOr<canary::AppEndpoint> {
    auto it = urls.find(app);
    if (it == urls.end()) return NotFoundError("app '" + app + "' has no load balancer");
    return it->second;
  };
  return canary::Canaries::Start(std::move(options));
}

}  // namespace vigil::server
