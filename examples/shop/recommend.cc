#include "examples/shop/recommend.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace vigil::shop {
namespace {

using Basket = std::set<int64_t>;

// Each customer's basket: the union of their orders' products.
std::map<std::string, Basket, std::less<>> Baskets(std::span<const Order> history) {
  std::map<std::string, Basket, std::less<>> baskets;
  for (const Order& order : history) {
    Basket& basket = baskets[order.user];
    basket.insert(order.product_ids.begin(), order.product_ids.end());
  }
  std::erase_if(baskets, [](const auto& entry) { return entry.second.empty(); });
  return baskets;
}

bool SharesAny(const Basket& a, const Basket& b) {
  return std::any_of(a.begin(), a.end(), [&b](int64_t p) { return b.contains(p); });
}

// Counts, for each product outside `owned`, the customers among `counted` who bought it, and
// ranks them as probabilities of `counted.size()`.
Recommendations Score(Basis basis, const std::vector<const Basket*>& counted, const Basket& owned,
                      size_t limit) {
  std::map<int64_t, int64_t> customers;
  for (const Basket* basket : counted) {
    for (int64_t product : *basket) {
      if (!owned.contains(product)) ++customers[product];
    }
  }
  Recommendations out;
  out.basis = basis;
  out.population = static_cast<int64_t>(counted.size());
  for (const auto& [product, count] : customers) {
    out.products.push_back({product, static_cast<double>(count) / out.population, count});
  }
  // std::map gave ascending ids; a stable sort by count keeps them ascending within a tie.
  std::stable_sort(
      out.products.begin(), out.products.end(),
      [](const ScoredProduct& a, const ScoredProduct& b) { return a.customers > b.customers; });
  if (out.products.size() > limit) out.products.resize(limit);
  return out;
}

}  // namespace

std::string_view BasisName(Basis basis) {
  return basis == Basis::kCoPurchase ? "co-purchase" : "popularity";
}

Recommendations Recommend(std::span<const Order> history, std::string_view user, size_t limit) {
  const auto baskets = Baskets(history);
  static const Basket kNothing;
  const auto mine = baskets.find(user);
  const Basket& owned = mine == baskets.end() ? kNothing : mine->second;

  std::vector<const Basket*> neighbours;
  std::vector<const Basket*> everyone;
  for (const auto& [name, basket] : baskets) {
    everyone.push_back(&basket);
    if (name != user && SharesAny(owned, basket)) neighbours.push_back(&basket);
  }
  if (!neighbours.empty()) return Score(Basis::kCoPurchase, neighbours, owned, limit);
  return Score(Basis::kPopularity, everyone, owned, limit);
}

}  // namespace vigil::shop
