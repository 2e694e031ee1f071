#pragma once
// The shop's recommendation function: pure (no I/O, no clock), so it is tested on a fixed
// purchase history and the server merely loads the history and renders the answer.
//
// The unit of co-occurrence is a customer's basket: every product the customer ever bought,
// over all their orders (so products bought together in one order co-occur, and so do products
// bought by the same customer in different orders). Quantities and repeat purchases count once.
//
// For customer u with basket I (non-empty), the neighbours N are the *other* customers whose
// basket shares at least one product with I. Each product c not in I is scored
//
//     P(c | I) = |{ v in N : c in basket(v) }| / |N|
//
// — of the customers who bought any of what u bought, the fraction who also bought c. Products
// with no such customer are not returned (their estimate is 0).
//
// When u has bought nothing, or no other customer shares any of u's products (N is empty), the
// answer is popularity instead: each product c not in I is scored by its purchase share
//
//     P(c) = |{ customers v : c in basket(v) }| / |{ customers with a non-empty basket }|.
//
// Both are probabilities in [0, 1] that a customer (like u) bought c. Ranking: probability
// descending, then product id ascending, so equal scores come out in a stable order.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::shop {

// One order of the purchase history: who bought, and the product ids of its lines.
struct Order {
  std::string user;
  std::vector<int64_t> product_ids;
};

enum class Basis {
  kCoPurchase,  // P(c | I) over neighbours
  kPopularity,  // P(c) over all customers
};
std::string_view BasisName(Basis basis);  // "co-purchase", "popularity"

struct ScoredProduct {
  int64_t product_id = 0;
  double probability = 0;  // customers / Recommendations::population
  int64_t customers = 0;   // the numerator: customers counted for this product
};

struct Recommendations {
  Basis basis = Basis::kPopularity;
  int64_t population = 0;               // the denominator: |N|, or every customer for popularity
  std::vector<ScoredProduct> products;  // at most `limit`, best first
};

// Scores products for `user` from `history` as the header describes; at most `limit` results.
Recommendations Recommend(std::span<const Order> history, std::string_view user, size_t limit);

}  // namespace vigil::shop
