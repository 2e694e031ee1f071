#pragma once
// Shared by the fuzz targets: splitting one fuzzer input into the several fields a target
// needs, so that every byte the fuzzer mutates lands in some field.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil::fuzz {

// Reads fields separated by '\n' from a fuzzer input; the last field takes the rest.
class Fields {
 public:
  Fields(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}
  std::string_view Next() {
    const size_t nl = rest_.find('\n');
    std::string_view field = rest_.substr(0, nl);
    rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
    return field;
  }
  std::string_view Rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace vigil::fuzz
