// Request/Response helpers and the Router: plain value code, no I/O.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ascii.h"
#include "http/http.h"

namespace vigil::http {
namespace {

bool IsAnyMethod(std::string_view method) { return method.empty() || method == "*"; }

// An exact path, or a prefix when the route's path ends with '*' ("/v1/apps/*").
bool PathMatches(std::string_view route, std::string_view path) {
  if (!route.empty() && route.back() == '*')
    return path.starts_with(route.substr(0, route.size() - 1));
  return route == path;
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::string_view Request::PeerAddress() const {
  std::string_view host = remote_address;
  if (const size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

void Router::Handle(std::string method, std::string path, Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(path), std::move(handler)});
}

// A linear scan: a server registers a dozen routes, and comparing short strings is cheaper than
// hashing the path. An exact method match wins over a fallback registered for any method.
Response Router::Dispatch(const Request& request) const {
  const Route* fallback = nullptr;
  std::vector<std::string_view> allowed;
  for (const Route& route : routes_) {
    if (!PathMatches(route.path, request.path)) continue;
    if (route.method == request.method) return route.handler(request);
    if (IsAnyMethod(route.method)) {
      if (fallback == nullptr) fallback = &route;
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
      allowed.push_back(route.method);
    }
  }
  if (fallback != nullptr) return fallback->handler(request);
  if (allowed.empty()) return Response::Text(404, "404 page not found\n");
  std::string allow;
  for (std::string_view m : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  Response r = Response::Text(405, "405 method not allowed\n");
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

}  // namespace vigil::http
