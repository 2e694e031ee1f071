#include "examples/shop/recommend.h"

#include <gtest/gtest.h>

#include <vector>

namespace vigil::shop {
namespace {

// Baskets: alice {1,2,3} (two orders), bob {1,4}, carol {2,4,5} (two orders), dave {1} (bought
// twice), erin {6}.
const std::vector<Order> kHistory = {
    {"alice", {1, 2}}, {"bob", {1, 4}}, {"carol", {2, 4}}, {"alice", {3}},
    {"dave", {1}},     {"carol", {5}},  {"erin", {6}},     {"dave", {1, 1}},
};

struct Expected {
  int64_t product_id;
  double probability;
  int64_t customers;
};

void ExpectProducts(const Recommendations& got, const std::vector<Expected>& want) {
  ASSERT_EQ(got.products.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got.products[i].product_id, want[i].product_id);
    EXPECT_DOUBLE_EQ(got.products[i].probability, want[i].probability);
    EXPECT_EQ(got.products[i].customers, want[i].customers);
  }
}

TEST(RecommendTest, ScoresByCustomersWhoBoughtAnyOfTheUsersProducts) {
  // alice's neighbours: bob (1), carol (2), dave (1); erin shares nothing. Of those three, bob
  // and carol bought 4, carol bought 5; nobody among them bought 6.
  Recommendations r = Recommend(kHistory, "alice", 10);
  EXPECT_EQ(r.basis, Basis::kCoPurchase);
  EXPECT_EQ(r.population, 3);
  ExpectProducts(r, {{4, 2.0 / 3, 2}, {5, 1.0 / 3, 1}});
}

TEST(RecommendTest, EqualScoresRankByProductIdAndLimitCuts) {
  // bob's neighbours: alice (1), carol (4), dave (1). 2: alice and carol; 3: alice; 5: carol.
  ExpectProducts(Recommend(kHistory, "bob", 10),
                 {{2, 2.0 / 3, 2}, {3, 1.0 / 3, 1}, {5, 1.0 / 3, 1}});
  ExpectProducts(Recommend(kHistory, "bob", 2), {{2, 2.0 / 3, 2}, {3, 1.0 / 3, 1}});
  EXPECT_TRUE(Recommend(kHistory, "bob", 0).products.empty());
}

TEST(RecommendTest, RepeatPurchasesCountOnce) {
  // dave bought product 1 three times; his neighbours are alice and bob.
  Recommendations r = Recommend(kHistory, "dave", 10);
  EXPECT_EQ(r.population, 2);
  ExpectProducts(r, {{2, 0.5, 1}, {3, 0.5, 1}, {4, 0.5, 1}});
}

TEST(RecommendTest, NewCustomerGetsPurchaseShares) {
  // Five customers: 1 bought by alice, bob, dave; 2 and 4 by two; 3, 5, 6 by one each.
  Recommendations r = Recommend(kHistory, "zoe", 10);
  EXPECT_EQ(r.basis, Basis::kPopularity);
  EXPECT_EQ(r.population, 5);
  ExpectProducts(r, {{1, 0.6, 3}, {2, 0.4, 2}, {4, 0.4, 2}, {3, 0.2, 1}, {5, 0.2, 1}, {6, 0.2, 1}});
}

TEST(RecommendTest, CustomerWithoutNeighboursGetsPopularityWithoutOwnProducts) {
  Recommendations r = Recommend(kHistory, "erin", 3);
  EXPECT_EQ(r.basis, Basis::kPopularity);
  EXPECT_EQ(r.population, 5);
  ExpectProducts(r, {{1, 0.6, 3}, {2, 0.4, 2}, {4, 0.4, 2}});
}

TEST(RecommendTest, EmptyHistoryRecommendsNothing) {
  Recommendations r = Recommend({}, "alice", 5);
  EXPECT_EQ(r.basis, Basis::kPopularity);
  EXPECT_EQ(r.population, 0);
  EXPECT_TRUE(r.products.empty());
}

TEST(RecommendTest, EmptyOrdersAreNoCustomers) {
  const std::vector<Order> history = {{"alice", {}}, {"bob", {7}}};
  Recommendations r = Recommend(history, "alice", 5);
  EXPECT_EQ(r.population, 1);
  ExpectProducts(r, {{7, 1.0, 1}});
}

}  // namespace
}  // namespace vigil::shop
