#pragma once
// Interned unit names ("Seconds", "Count", ...): each series stores a 2-byte id instead of a
// string. Ids live as long as the table (the Db), across heads.
//
// Thread-safe: Intern() takes a mutex; Name() is lock-free (each slot is written once, before
// its id is handed out, and published with release/acquire).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vigil::tsdb {

class UnitTable {
 public:
  // CloudWatch knows 27 units; the bound only stops a misbehaving client from growing the table.
  static constexpr size_t kMaxUnits = 4096;
  static constexpr uint16_t kNone = 0;  // "None", always present

  UnitTable() : names_(new std::atomic<const std::string*>[kMaxUnits]) {
    for (size_t i = 0; i < kMaxUnits; ++i) names_[i].store(nullptr, std::memory_order_relaxed);
    Intern("None");
  }
  UnitTable(const UnitTable&) = delete;
  UnitTable& operator=(const UnitTable&) = delete;
  ~UnitTable() {
    for (size_t i = 0; i < kMaxUnits; ++i) delete names_[i].load(std::memory_order_relaxed);
  }

  // The id of `unit`, interning it when new; nullopt when the table is full.
  std::optional<uint16_t> Intern(std::string_view unit) {
    std::lock_guard lock(mu_);
    auto it = ids_.find(unit);
    if (it != ids_.end()) return it->second;
    if (ids_.size() >= kMaxUnits) return std::nullopt;
    const auto id = static_cast<uint16_t>(ids_.size());
    names_[id].store(new std::string(unit), std::memory_order_release);
    ids_.emplace(std::string(unit), id);
    return id;
  }

  // REQUIRES: `id` was returned by Intern().
  const std::string& Name(uint16_t id) const { return *names_[id].load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, uint16_t, Hash, std::equal_to<>> ids_;  // guarded by mu_
  std::unique_ptr<std::atomic<const std::string*>[]> names_;              // owned strings, set once
};

}  // namespace vigil::tsdb
