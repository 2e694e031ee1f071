#pragma once
// vigil::state — the control plane's records: alarms and their history now, deployments
// later. Small documents under (table, key), read back by key or by key prefix in key order
// (keys compare as bytes). One SQLite file in the data directory today (WAL journal,
// synchronous=FULL: a change is on disk when Apply returns); the interface is narrow enough to
// put over etcd when Vigil runs on several machines (DESIGN.md), so nothing here speaks SQL.
//
// Thread-safety: a Store is safe for concurrent use; each Apply is atomic.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::state {

struct Record {
  std::string key;
  std::string value;
};

// Changes applied together or not at all, in the order given.
class Batch {
 public:
  void Put(std::string_view table, std::string_view key, std::string_view value);
  void Delete(std::string_view table, std::string_view key);
  // Deletes every record of `table` whose key starts with `prefix` ("" : the whole table).
  void DeletePrefix(std::string_view table, std::string_view prefix);
  bool empty() const { return ops_.empty(); }

  enum class Kind { kPut, kDelete, kDeletePrefix };
  struct Op {
    Kind kind;
    std::string table, key, value;
  };
  const std::vector<Op>& ops() const { return ops_; }

 private:
  std::vector<Op> ops_;
};

class Store {
 public:
  virtual ~Store() = default;

  // Unavailable when the change cannot be made durable (nothing of the batch is kept then).
  virtual Status Apply(const Batch& batch) = 0;
  // nullopt when there is no such record.
  virtual StatusOr<std::optional<std::string>> Get(std::string_view table,
                                                   std::string_view key) const = 0;
  // The records of `table` whose keys start with `prefix` and sort after `after` (empty: from
  // the first), in key order; at most `limit` of them (0: all).
  virtual StatusOr<std::vector<Record>> Scan(std::string_view table, std::string_view prefix,
                                             std::string_view after = {},
                                             size_t limit = 0) const = 0;

  Status Put(std::string_view table, std::string_view key, std::string_view value);
  Status Delete(std::string_view table, std::string_view key);
};

// Opens (creating when missing) the SQLite store at `path`. Unavailable naming the file when
// it cannot be opened or is not a Vigil state file.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace vigil::state
