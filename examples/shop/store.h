#pragma once
// The shop's data: the catalogue, carts and purchases in one SQLite file that every shop
// process of a deployment shares (WAL journal, so readers never wait for the writer; a busy
// timeout, so concurrent writers from other processes wait instead of failing).
//
// Schema (created when missing; the catalogue seeded once, by whichever process comes first):
//   products(id, name, price_cents)
//   cart_items(user, product_id, quantity)            one row per (user, product)
//   orders(id, user, created_ms, total_cents)
//   order_items(order_id, product_id, quantity, price_cents)   price at purchase time
//
// Thread-safety: thread-safe; one connection, its calls serialized by a mutex.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "examples/shop/recommend.h"

namespace vigil::shop {

struct Product {
  int64_t id = 0;
  std::string name;
  int64_t price_cents = 0;
};

// A line of a cart or an order.
struct Line {
  int64_t product_id = 0;
  std::string name;
  int64_t quantity = 0;
  int64_t price_cents = 0;  // per unit
};

struct Cart {
  std::string user;
  std::vector<Line> lines;  // by product id
  int64_t total_cents = 0;
};

struct Purchase {
  int64_t order_id = 0;
  std::string user;
  int64_t created_ms = 0;
  std::vector<Line> lines;
  int64_t total_cents = 0;
};

class Store {
 public:
  // Opens (creating when missing) the database at `path`, sets WAL mode and the busy timeout,
  // creates the schema and seeds the catalogue. Unavailable naming the path and SQLite's
  // message on failure.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Every Unavailable below carries SQLite's message (e.g. the database stayed locked past the
  // busy timeout).

  // The catalogue, by id.
  StatusOr<std::vector<Product>> Products();
  // NotFound when no product has this id.
  StatusOr<Product> GetProduct(int64_t id);
  // Adds `quantity` (> 0) of a product to the user's cart (to its line when there is one) and
  // returns the cart. NotFound for an unknown product.
  StatusOr<Cart> AddToCart(const std::string& user, int64_t product_id, int64_t quantity);
  StatusOr<Cart> GetCart(const std::string& user);
  // Turns the cart into an order at today's prices in one transaction (durable when it
  // returns) and empties it. FailedPrecondition when the cart is empty.
  StatusOr<Purchase> Checkout(const std::string& user, int64_t now_ms);
  // Every order's user and product ids, oldest first: the recommendation function's input.
  // Kept in memory and extended by the orders committed since the previous call (by any
  // process: ids grow in commit order, as SQLite has one writer at a time), so a call reads only
  // what is new rather than the whole history under the lock checkouts wait for.
  StatusOr<std::vector<Order>> History();
  // OK when the database answers a query.
  Status Ping();

 private:
  Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Init();
  Status Exec(const char* sql);
  Status Error(const std::string& what) const;  // Unavailable: "<path>: <what>: <sqlite msg>"
  StatusOr<Cart> CartLocked(const std::string& user);

  std::mutex mu_;
  sqlite3* const db_;  // guarded by mu_
  const std::string path_;
  std::vector<Order> history_;   // guarded by mu_; the orders with id <= history_last_id_
  int64_t history_last_id_ = 0;  // guarded by mu_
};

}  // namespace vigil::shop
