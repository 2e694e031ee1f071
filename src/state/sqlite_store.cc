// The Store over one SQLite database: a single table of (tbl, key, value), keyed by both.
#include <sqlite3.h>

#include <mutex>

#include "state/state.h"

namespace vigil::state {
namespace {

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS records ("
    " tbl TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,"
    " PRIMARY KEY (tbl, key)) WITHOUT ROWID";

// The smallest key greater than every key starting with `prefix`; empty when there is none
// (the prefix is all 0xff bytes, or empty).
std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

// A prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, std::string_view blob) {
    sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  }
  void BindText(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  std::string Column(int i) {
    const void* p = sqlite3_column_blob(stmt_, i);
    const int n = sqlite3_column_bytes(stmt_, i);
    return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status Apply(const Batch& batch) override {
    std::lock_guard l(mu_);
    if (batch.empty()) return OkStatus();
    RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = ApplyLocked(batch);
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    return Exec("COMMIT");
  }

  StatusOr<std::optional<std::string>> Get(std::string_view table,
                                           std::string_view key) const override {
    std::lock_guard l(mu_);
    Statement s(db_, "SELECT value FROM records WHERE tbl = ?1 AND key = ?2");
    if (!s.ok()) return Error("preparing a read");
    s.BindText(1, table);
    s.Bind(2, key);
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Error("reading " + std::string(table));
    return std::optional<std::string>(s.Column(0));
  }

  StatusOr<std::vector<Record>> Scan(std::string_view table, std::string_view prefix,
                                     std::string_view after, size_t limit) const override {
    std::lock_guard l(mu_);
    const std::string end = PrefixEnd(prefix);
    const std::string from = after > prefix ? std::string(after) : std::string(prefix);
    const bool inclusive = after.empty() || after < prefix;
    std::string sql = "SELECT key, value FROM records WHERE tbl = ?1 AND key ";
    sql += inclusive ? ">=" : ">";
    sql += " ?2";
    if (!end.empty()) sql += " AND key < ?3";
    sql += " ORDER BY key";
    if (limit > 0) sql += " LIMIT " + std::to_string(limit);
    Statement s(db_, sql.c_str());
    if (!s.ok()) return Error("preparing a scan");
    s.BindText(1, table);
    s.Bind(2, from);
    if (!end.empty()) s.Bind(3, end);
    std::vector<Record> out;
    int rc;
    while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) out.push_back({s.Column(0), s.Column(1)});
    if (rc != SQLITE_DONE) return Error("scanning " + std::string(table));
    return out;
  }

  Status Init() {
    RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
    // A record rewritten sealed (a manifest migrated to its sealed form) leaves no plaintext
    // behind in free pages.
    RETURN_IF_ERROR(Exec("PRAGMA secure_delete=ON"));
    return Exec(kSchema);
  }

 private:
  Status ApplyLocked(const Batch& batch) {
    for (const Batch::Op& op : batch.ops()) {
      const char* sql = nullptr;
      switch (op.kind) {
        case Batch::Kind::kPut:
          sql = "INSERT OR REPLACE INTO records (tbl, key, value) VALUES (?1, ?2, ?3)";
          break;
        case Batch::Kind::kDelete:
          sql = "DELETE FROM records WHERE tbl = ?1 AND key = ?2";
          break;
        case Batch::Kind::kDeletePrefix:
          sql = PrefixEnd(op.key).empty()
                    ? "DELETE FROM records WHERE tbl = ?1 AND key >= ?2"
                    : "DELETE FROM records WHERE tbl = ?1 AND key >= ?2 AND key < ?3";
          break;
      }
      Statement s(db_, sql);
      if (!s.ok()) return Error("preparing a write");
      s.BindText(1, op.table);
      s.Bind(2, op.key);
      if (op.kind == Batch::Kind::kPut) s.Bind(3, op.value);
      if (op.kind == Batch::Kind::kDeletePrefix && !PrefixEnd(op.key).empty()) {
        s.Bind(3, PrefixEnd(op.key));
      }
      if (sqlite3_step(s.get()) != SQLITE_DONE) return Error("writing " + op.table);
    }
    return OkStatus();
  }

  Status Exec(const char* sql) const {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return OkStatus();
    const std::string what = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return UnavailableError("state store " + path_ + ": " + what);
  }

  Status Error(const std::string& doing) const {
    return UnavailableError("state store " + path_ + ": " + doing + ": " + sqlite3_errmsg(db_));
  }

  mutable std::mutex mu_;  // one connection; SQLite's own locking is for other processes
  sqlite3* const db_;
  const std::string path_;
};

}  // namespace

void Batch::Put(std::string_view table, std::string_view key, std::string_view value) {
  ops_.push_back({Kind::kPut, std::string(table), std::string(key), std::string(value)});
}
void Batch::Delete(std::string_view table, std::string_view key) {
  ops_.push_back({Kind::kDelete, std::string(table), std::string(key), {}});
}
void Batch::DeletePrefix(std::string_view table, std::string_view prefix) {
  ops_.push_back({Kind::kDeletePrefix, std::string(table), std::string(prefix), {}});
}

Status Store::Put(std::string_view table, std::string_view key, std::string_view value) {
  Batch b;
  b.Put(table, key, value);
  return Apply(b);
}

Status Store::Delete(std::string_view table, std::string_view key) {
  Batch b;
  b.Delete(table, key);
  return Apply(b);
}

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string what = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return UnavailableError("cannot open state store " + path + ": " + what);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteStore>(db, path);
  RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vigil::state
