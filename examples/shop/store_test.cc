#include "examples/shop/store.h"

#include <gtest/gtest.h>

#include "storage/test_util.h"

namespace vigil::shop {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore() {
    StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.Sub("shop.db"));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  storage::TempDir dir_;
};

TEST_F(StoreTest, SeedsTheCatalogueOnce) {
  auto first = OpenStore();
  ASSERT_NE(first, nullptr);
  auto second = OpenStore();  // another process on the same file
  ASSERT_NE(second, nullptr);
  StatusOr<std::vector<Product>> products = second->Products();
  ASSERT_TRUE(products.ok()) << products.status().ToString();
  ASSERT_EQ(products->size(), 12u);
  EXPECT_EQ((*products)[0].id, 1);
  EXPECT_EQ((*products)[0].name, "Espresso beans 1 kg");
  EXPECT_EQ((*products)[0].price_cents, 2490);
  EXPECT_TRUE(first->Ping().ok());

  StatusOr<Product> kettle = first->GetProduct(2);
  ASSERT_TRUE(kettle.ok());
  EXPECT_EQ(kettle->name, "Pour-over kettle");
  EXPECT_EQ(first->GetProduct(99).status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, CartAddsUpLinesAndCheckoutEmptiesIt) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->AddToCart("ann", 4, 2).ok());
  ASSERT_TRUE(store->AddToCart("ann", 1, 1).ok());
  StatusOr<Cart> cart = store->AddToCart("ann", 4, 1);
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  ASSERT_EQ(cart->lines.size(), 2u);
  EXPECT_EQ(cart->lines[0].product_id, 1);
  EXPECT_EQ(cart->lines[1].product_id, 4);
  EXPECT_EQ(cart->lines[1].quantity, 3);
  EXPECT_EQ(cart->total_cents, 2490 + 3 * 650);
  EXPECT_EQ(store->AddToCart("ann", 42, 1).status().code(), StatusCode::kNotFound);

  StatusOr<Purchase> purchase = store->Checkout("ann", 1'700'000'000'000);
  ASSERT_TRUE(purchase.ok()) << purchase.status().ToString();
  EXPECT_GT(purchase->order_id, 0);
  EXPECT_EQ(purchase->user, "ann");
  EXPECT_EQ(purchase->created_ms, 1'700'000'000'000);
  EXPECT_EQ(purchase->lines.size(), 2u);
  EXPECT_EQ(purchase->total_cents, 2490 + 3 * 650);

  EXPECT_TRUE(store->GetCart("ann")->lines.empty());
  EXPECT_EQ(store->Checkout("ann", 0).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(StoreTest, HistoryHoldsEveryOrderAcrossConnections) {
  auto a = OpenStore();
  auto b = OpenStore();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->AddToCart("ann", 3, 1).ok());
  ASSERT_TRUE(a->AddToCart("ann", 1, 1).ok());
  ASSERT_TRUE(a->Checkout("ann", 1).ok());
  ASSERT_TRUE(b->AddToCart("bob", 5, 2).ok());
  ASSERT_TRUE(b->Checkout("bob", 2).ok());

  StatusOr<std::vector<Order>> history = a->History();
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].user, "ann");
  EXPECT_EQ((*history)[0].product_ids, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ((*history)[1].user, "bob");
  EXPECT_EQ((*history)[1].product_ids, (std::vector<int64_t>{5}));

  // The next call adds what was bought since, through either connection.
  ASSERT_TRUE(b->AddToCart("ann", 2, 1).ok());
  ASSERT_TRUE(b->Checkout("ann", 3).ok());
  history = a->History();
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[2].user, "ann");
  EXPECT_EQ((*history)[2].product_ids, (std::vector<int64_t>{2}));
  EXPECT_EQ(a->History()->size(), 3u);
}

}  // namespace
}  // namespace vigil::shop
