#include "examples/shop/store.h"

#include <utility>

namespace vigil::shop {
namespace {

// Another process may hold the write lock for a checkout; waiting this long is far more than any
// transaction of ours takes, so running into it means something is wrong.
constexpr int kBusyTimeoutMs = 5000;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS products (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cart_items (
  user TEXT NOT NULL, product_id INTEGER NOT NULL REFERENCES products(id),
  quantity INTEGER NOT NULL, PRIMARY KEY (user, product_id));
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, created_ms INTEGER NOT NULL,
  total_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS order_items (
  order_id INTEGER NOT NULL REFERENCES orders(id), product_id INTEGER NOT NULL,
  quantity INTEGER NOT NULL, price_cents INTEGER NOT NULL, PRIMARY KEY (order_id, product_id));
INSERT OR IGNORE INTO products (id, name, price_cents) VALUES
  (1, 'Espresso beans 1 kg', 2490), (2, 'Pour-over kettle', 5900), (3, 'Ceramic dripper', 2200),
  (4, 'Paper filters (100)', 650), (5, 'Burr grinder', 14900), (6, 'Digital scale', 3400),
  (7, 'Milk frother', 4500), (8, 'Double-wall mug', 1800), (9, 'Cold brew jar', 2900),
  (10, 'Travel tumbler', 2600), (11, 'Descaler', 990), (12, 'Barista towel', 700);
)sql";

// A prepared statement, finalized when it goes out of scope. Bind() fills parameters in order.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : rc_(sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr)) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Statement& Bind(int64_t v) {
    sqlite3_bind_int64(stmt_, ++bound_, v);
    return *this;
  }
  Statement& Bind(const std::string& v) {
    sqlite3_bind_text(stmt_, ++bound_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int column) { return sqlite3_column_int64(stmt_, column); }
  std::string Text(int column) {
    const unsigned char* p = sqlite3_column_text(stmt_, column);
    return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
  int bound_ = 0;
};

// Reads the four columns (product_id, name, quantity, price_cents) of each row into lines and
// returns the total; false on a step error.
bool ReadLines(Statement& s, std::vector<Line>* lines, int64_t* total_cents) {
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    lines->push_back({s.Int(0), s.Text(1), s.Int(2), s.Int(3)});
    *total_cents += s.Int(2) * s.Int(3);
  }
  return rc == SQLITE_DONE;
}

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return UnavailableError(path + ": cannot open: " + message);
  }
  std::unique_ptr<Store> store(new Store(db, path));
  RETURN_IF_ERROR(store->Init());
  return store;
}

Store::~Store() { sqlite3_close_v2(db_); }

Status Store::Init() {
  std::lock_guard lock(mu_);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
  // FULL: a purchase is on disk when Checkout returns, not just in the OS's cache.
  RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
  // IMMEDIATE: processes starting together create the schema one after the other.
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status st = Exec(kSchema);
  if (!st.ok()) {
    (void)Exec("ROLLBACK");
    return st;
  }
  return Exec("COMMIT");
}

Status Store::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return OkStatus();
  std::string text = message != nullptr ? message : "unknown error";
  sqlite3_free(message);
  return UnavailableError(path_ + ": " + text);
}

Status Store::Error(const std::string& what) const {
  return UnavailableError(path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

StatusOr<std::vector<Product>> Store::Products() {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT id, name, price_cents FROM products ORDER BY id");
  if (!s.ok()) return Error("listing products");
  std::vector<Product> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({s.Int(0), s.Text(1), s.Int(2)});
  if (rc != SQLITE_DONE) return Error("listing products");
  return out;
}

StatusOr<Product> Store::GetProduct(int64_t id) {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT id, name, price_cents FROM products WHERE id = ?");
  if (!s.ok()) return Error("reading a product");
  const int rc = s.Bind(id).Step();
  if (rc == SQLITE_DONE) return NotFoundError("no product " + std::to_string(id));
  if (rc != SQLITE_ROW) return Error("reading a product");
  return Product{s.Int(0), s.Text(1), s.Int(2)};
}

StatusOr<Cart> Store::AddToCart(const std::string& user, int64_t product_id, int64_t quantity) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "INSERT INTO cart_items (user, product_id, quantity)"
              " SELECT ?1, id, ?3 FROM products WHERE id = ?2"
              " ON CONFLICT (user, product_id) DO UPDATE SET quantity = quantity + ?3");
  if (!s.ok()) return Error("adding to a cart");
  if (s.Bind(user).Bind(product_id).Bind(quantity).Step() != SQLITE_DONE) {
    return Error("adding to a cart");
  }
  if (sqlite3_changes(db_) == 0) return NotFoundError("no product " + std::to_string(product_id));
  return CartLocked(user);
}

StatusOr<Cart> Store::GetCart(const std::string& user) {
  std::lock_guard lock(mu_);
  return CartLocked(user);
}

StatusOr<Cart> Store::CartLocked(const std::string& user) {
  Statement s(db_,
              "SELECT c.product_id, p.name, c.quantity, p.price_cents FROM cart_items c"
              " JOIN products p ON p.id = c.product_id WHERE c.user = ? ORDER BY c.product_id");
  if (!s.ok()) return Error("reading a cart");
  Cart cart;
  cart.user = user;
  s.Bind(user);
  if (!ReadLines(s, &cart.lines, &cart.total_cents)) return Error("reading a cart");
  return cart;
}

StatusOr<Purchase> Store::Checkout(const std::string& user, int64_t now_ms) {
  std::lock_guard lock(mu_);
  // IMMEDIATE takes the write lock first: reading the cart and emptying it are one step, even
  // against another process checking out the same user.
  RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto rollback = [this](Status st) {
    (void)Exec("ROLLBACK");
    return st;
  };
  StatusOr<Cart> cart = CartLocked(user);
  if (!cart.ok()) return rollback(cart.status());
  if (cart->lines.empty()) return rollback(FailedPreconditionError("the cart is empty"));

  Purchase purchase{0, user, now_ms, std::move(cart->lines), cart->total_cents};
  Statement order(db_, "INSERT INTO orders (user, created_ms, total_cents) VALUES (?, ?, ?)");
  if (!order.ok() ||
      order.Bind(user).Bind(now_ms).Bind(purchase.total_cents).Step() != SQLITE_DONE) {
    return rollback(Error("recording an order"));
  }
  purchase.order_id = sqlite3_last_insert_rowid(db_);
  for (const Line& line : purchase.lines) {
    Statement item(db_,
                   "INSERT INTO order_items (order_id, product_id, quantity, price_cents)"
                   " VALUES (?, ?, ?, ?)");
    if (!item.ok() || item.Bind(purchase.order_id)
                              .Bind(line.product_id)
                              .Bind(line.quantity)
                              .Bind(line.price_cents)
                              .Step() != SQLITE_DONE) {
      return rollback(Error("recording an order line"));
    }
  }
  Statement empty(db_, "DELETE FROM cart_items WHERE user = ?");
  if (!empty.ok() || empty.Bind(user).Step() != SQLITE_DONE) {
    return rollback(Error("emptying a cart"));
  }
  Status committed = Exec("COMMIT");
  if (!committed.ok()) return rollback(committed);
  return purchase;
}

StatusOr<std::vector<Order>> Store::History() {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "SELECT o.id, o.user, i.product_id FROM orders o JOIN order_items i"
              " ON i.order_id = o.id WHERE o.id > ? ORDER BY o.id, i.product_id");
  if (!s.ok()) return Error("reading the purchase history");
  s.Bind(history_last_id_);
  // Kept aside until the read is complete: a failed one leaves the cache as it was.
  std::vector<Order> fresh;
  int64_t last_id = history_last_id_;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    if (s.Int(0) != last_id) {
      last_id = s.Int(0);
      fresh.push_back({s.Text(1), {}});
    }
    fresh.back().product_ids.push_back(s.Int(2));
  }
  if (rc != SQLITE_DONE) return Error("reading the purchase history");
  history_.insert(history_.end(), std::make_move_iterator(fresh.begin()),
                  std::make_move_iterator(fresh.end()));
  history_last_id_ = last_id;
  return history_;
}

Status Store::Ping() {
  std::lock_guard lock(mu_);
  Statement s(db_, "SELECT count(*) FROM products");
  if (!s.ok() || s.Step() != SQLITE_ROW) return Error("ping");
  return OkStatus();
}

}  // namespace vigil::shop
