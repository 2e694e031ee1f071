#include "examples/shop/service.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>
#include <vector>

#include "examples/shop/recommend.h"

namespace vigil::shop {
namespace {

using Json = nlohmann::ordered_json;  // fields in the order written

constexpr int64_t kMaxQuantity = 1000;
constexpr int64_t kDefaultLimit = 5;
constexpr int64_t kMaxLimit = 50;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::Response JsonResponse(int status, const Json& body) {
  return http::Response::Text(status, body.dump() + "\n", "application/json");
}

http::Response JsonError(int status, const std::string& message) {
  return JsonResponse(status, Json{{"error", message}});
}

// The one place a Status becomes an HTTP answer.
http::Response ErrorResponse(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
      return JsonError(400, status.message());
    case StatusCode::kNotFound:
      return JsonError(404, status.message());
    default:
      return JsonError(500, "internal error: " + status.message());
  }
}

// A user name: 1 to 64 of [A-Za-z0-9_.-], so it needs no escaping anywhere.
bool ValidUser(std::string_view user) {
  if (user.empty() || user.size() > 64) return false;
  for (char c : user) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ParseInt(std::string_view text, int64_t* out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The value of `key` in a raw query string ("user=ann&limit=3"), not percent-decoded (every
// value the shop takes is plain ASCII and validated); nullopt when absent.
std::optional<std::string_view> QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

Json ProductJson(const Product& p) {
  return Json{{"id", p.id}, {"name", p.name}, {"price_cents", p.price_cents}};
}

Json LinesJson(const std::vector<Line>& lines) {
  Json items = Json::array();
  for (const Line& l : lines) {
    items.push_back({{"product_id", l.product_id},
                     {"name", l.name},
                     {"quantity", l.quantity},
                     {"price_cents", l.price_cents}});
  }
  return items;
}

Json CartJson(const Cart& cart) {
  return Json{
      {"user", cart.user}, {"items", LinesJson(cart.lines)}, {"total_cents", cart.total_cents}};
}

Json PurchaseJson(const Purchase& p) {
  return Json{{"order_id", p.order_id},
              {"user", p.user},
              {"created_ms", p.created_ms},
              {"items", LinesJson(p.lines)},
              {"total_cents", p.total_cents}};
}

// "/cart/{user}[/rest]" split into user and rest ("", "/items", "/checkout").
std::pair<std::string, std::string> SplitCartPath(std::string_view path) {
  path.remove_prefix(std::string_view("/cart/").size());
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return {std::string(path), ""};
  return {std::string(path.substr(0, slash)), std::string(path.substr(slash))};
}

}  // namespace

std::string RouteOf(std::string_view path) {
  static const char* const kExact[] = {"/products", "/recommendations", "/health", "/version",
                                       "/metrics"};
  for (const char* route : kExact) {
    if (path == route) return route;
  }
  if (path.starts_with("/products/") && path.find('/', 10) == std::string_view::npos) {
    return "/products/{id}";
  }
  if (path.starts_with("/cart/")) {
    const auto [user, rest] = SplitCartPath(path);
    if (rest.empty()) return "/cart/{user}";
    if (rest == "/items" || rest == "/checkout") return "/cart/{user}" + rest;
  }
  return "other";
}

Shop::Shop(Store* store, ShopMetrics* metrics, Logger* logger, std::string version, Faults faults)
    : store_(store),
      metrics_(metrics),
      logger_(logger),
      version_(std::move(version)),
      faults_(faults) {
  routes_.Handle("GET", "/products", [this](const http::Request& r) { return ListProducts(r); });
  routes_.Handle("GET", "/products/*", [this](const http::Request& r) { return ShowProduct(r); });
  routes_.Handle("GET", "/cart/*", [this](const http::Request& r) { return CartRequest(r); });
  routes_.Handle("POST", "/cart/*", [this](const http::Request& r) { return CartRequest(r); });
  routes_.Handle("GET", "/recommendations",
                 [this](const http::Request& r) { return RecommendFor(r); });
  routes_.Handle("GET", "/health", [this](const http::Request& r) { return Health(r); });
  routes_.Handle("GET", "/version", [this](const http::Request&) {
    return JsonResponse(200, Json{{"version", version_}});
  });
  routes_.Handle("GET", "/metrics", [this](const http::Request&) {
    return http::Response::Text(200, metrics_->RenderPrometheus(), "text/plain; version=0.0.4");
  });
}

std::chrono::milliseconds Shop::Delay(const http::Request& request) const {
  if (request.path == "/health" || faults_.latency_ms == 0) return std::chrono::milliseconds(0);
  logger_->Info("shop", "holding " + request.method + " " + request.target + " for " +
                            std::to_string(faults_.latency_ms) + " ms (--fault-latency-ms)");
  return std::chrono::milliseconds(faults_.latency_ms);
}

bool Shop::InjectError() {
  if (faults_.error_rate <= 0) return false;
  const int64_t n = calls_.fetch_add(1, std::memory_order_relaxed);
  return static_cast<int64_t>((n + 1) * faults_.error_rate) >
         static_cast<int64_t>(n * faults_.error_rate);
}

http::Response Shop::Serve(const http::Request& request) {
  const auto start = std::chrono::steady_clock::now();
  http::Response response;
  if (request.path != "/health" && InjectError()) {
    response = JsonError(500, "injected fault (--fault-error-rate)");
  } else {
    response = routes_.Dispatch(request);
  }
  // The router's own 404 and 405 are text; the shop answers JSON everywhere but /health.
  auto content_type = std::find_if(response.headers.begin(), response.headers.end(),
                                   [](const auto& h) { return h.first == "Content-Type"; });
  if ((response.status == 404 || response.status == 405) &&
      content_type != response.headers.end() && content_type->second.starts_with("text/plain")) {
    content_type->second = "application/json";
    response.body = Json{{"error", response.status == 404 ? "no such path: " + request.path
                                                          : "method not allowed"}}
                        .dump() +
                    "\n";
  }
  response.headers.emplace_back("X-Shop-Version", version_);
  metrics_->CountRequest(RouteOf(request.path), response.status);

  // The time a request was held by the latency fault is known exactly: it is the fault.
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() +
      static_cast<double>(request.path == "/health" ? 0 : faults_.latency_ms);
  char took[32];
  std::snprintf(took, sizeof(took), " %.1fms", ms);
  std::string line =
      request.method + " " + request.target + " " + std::to_string(response.status) + took;
  if (response.status >= 500) {
    logger_->Error("shop", line + " " + response.body.substr(0, response.body.size() - 1));
  } else {
    logger_->Info("shop", line);
  }
  return response;
}

http::Response Shop::ListProducts(const http::Request&) {
  StatusOr<std::vector<Product>> products = store_->Products();
  if (!products.ok()) return ErrorResponse(products.status());
  Json list = Json::array();
  for (const Product& p : *products) list.push_back(ProductJson(p));
  return JsonResponse(200, Json{{"products", std::move(list)}});
}

http::Response Shop::ShowProduct(const http::Request& request) {
  int64_t id = 0;
  const std::string_view text = std::string_view(request.path).substr(10);  // after "/products/"
  if (!ParseInt(text, &id)) return JsonError(400, "product id must be an integer");
  StatusOr<Product> product = store_->GetProduct(id);
  if (!product.ok()) return ErrorResponse(product.status());
  return JsonResponse(200, ProductJson(*product));
}

http::Response Shop::CartRequest(const http::Request& request) {
  const auto [user, rest] = SplitCartPath(request.path);
  const char* allowed = rest.empty()                              ? "GET"
                        : rest == "/items" || rest == "/checkout" ? "POST"
                                                                  : "";
  if (*allowed == '\0') return JsonError(404, "no such path: " + request.path);
  if (request.method != allowed) {
    http::Response r = JsonError(405, "method not allowed");
    r.headers.emplace_back("Allow", allowed);
    return r;
  }
  if (!ValidUser(user)) return JsonError(400, "user must be 1-64 of [A-Za-z0-9_.-]");
  if (rest == "/items") return AddToCart(user, request);
  if (rest == "/checkout") return Checkout(user);
  StatusOr<Cart> cart = store_->GetCart(user);
  if (!cart.ok()) return ErrorResponse(cart.status());
  return JsonResponse(200, CartJson(*cart));
}

http::Response Shop::AddToCart(const std::string& user, const http::Request& request) {
  const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return JsonError(400, "body must be a JSON object");
  const auto id = body.find("product_id");
  if (id == body.end() || !id->is_number_integer()) {
    return JsonError(400, "product_id must be an integer");
  }
  int64_t quantity = 1;
  if (const auto q = body.find("quantity"); q != body.end()) {
    if (!q->is_number_integer()) return JsonError(400, "quantity must be an integer");
    quantity = q->get<int64_t>();
  }
  if (quantity < 1 || quantity > kMaxQuantity) {
    return JsonError(400, "quantity must be in [1, " + std::to_string(kMaxQuantity) + "]");
  }
  StatusOr<Cart> cart = store_->AddToCart(user, id->get<int64_t>(), quantity);
  if (!cart.ok()) return ErrorResponse(cart.status());
  return JsonResponse(200, CartJson(*cart));
}

http::Response Shop::Checkout(const std::string& user) {
  const auto start = std::chrono::steady_clock::now();
  StatusOr<Purchase> purchase = store_->Checkout(user, NowMs());
  if (!purchase.ok()) return ErrorResponse(purchase.status());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  // The latency fault held this request before it got here; a customer waited for that too.
  metrics_->RecordCheckout(ms + static_cast<double>(faults_.latency_ms));
  logger_->Info("shop", "checkout: order " + std::to_string(purchase->order_id) + " for " + user +
                            ", " + std::to_string(purchase->lines.size()) + " lines, " +
                            std::to_string(purchase->total_cents) + " cents");
  return JsonResponse(200, PurchaseJson(*purchase));
}

http::Response Shop::RecommendFor(const http::Request& request) {
  const std::optional<std::string_view> user = QueryParam(request.query, "user");
  if (!user || !ValidUser(*user)) return JsonError(400, "user must be 1-64 of [A-Za-z0-9_.-]");
  int64_t limit = kDefaultLimit;
  if (const auto text = QueryParam(request.query, "limit"); text.has_value()) {
    if (!ParseInt(*text, &limit) || limit < 0 || limit > kMaxLimit) {
      return JsonError(400, "limit must be an integer in [0, " + std::to_string(kMaxLimit) + "]");
    }
  }
  StatusOr<std::vector<Order>> history = store_->History();
  if (!history.ok()) return ErrorResponse(history.status());
  StatusOr<std::vector<Product>> products = store_->Products();
  if (!products.ok()) return ErrorResponse(products.status());
  std::map<int64_t, std::string> names;
  for (const Product& p : *products) names[p.id] = p.name;

  const Recommendations r = Recommend(*history, *user, static_cast<size_t>(limit));
  Json list = Json::array();
  for (const ScoredProduct& s : r.products) {
    list.push_back({{"product_id", s.product_id},
                    {"name", names[s.product_id]},
                    {"probability", s.probability},
                    {"customers", s.customers}});
  }
  return JsonResponse(200, Json{{"user", *user},
                                {"basis", BasisName(r.basis)},
                                {"population", r.population},
                                {"recommendations", std::move(list)}});
}

http::Response Shop::Health(const http::Request&) {
  if (faults_.unhealthy) return http::Response::Text(503, "unhealthy (--fault-unhealthy)\n");
  if (Status s = store_->Ping(); !s.ok()) {
    return http::Response::Text(503, "database: " + s.message() + "\n");
  }
  return http::Response::Text(200, "ok\n");
}

}  // namespace vigil::shop
