#include "common/units.h"

#include <charconv>
#include <cstdint>

namespace vigil {

StatusOr<int64_t> ParseInt(const std::string& text, int64_t min, int64_t max,
                           const std::string& what) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < min || v > max) {
    return InvalidArgumentError(what + ": expected an integer in [" + std::to_string(min) + ", " +
                                std::to_string(max) + "], got '" + text + "'");
  }
  return v;
}

StatusOr<int64_t> ParseDurationMillis(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return InvalidArgumentError("bad duration '" + text + "' (want e.g. 15m, 2h, 15d)");
  std::string unit = text.substr(i);
  int64_t mult = 0;
  if (unit == "ms") mult = 1;
  else if (unit == "s") mult = 1000;
  else if (unit == "m") mult = 60'000;
  else if (unit == "h") mult = 3'600'000;
  else if (unit == "d") mult = 86'400'000;
  else return InvalidArgumentError("bad duration '" + text + "' (units: ms, s, m, h, d)");
  ASSIGN_OR_RETURN(int64_t n, ParseInt(text.substr(0, i), 0, INT64_MAX / 86'400'000, "duration"));
  return n * mult;
}

StatusOr<int64_t> ParseBytes(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0) return InvalidArgumentError("bad size '" + text + "' (want e.g. 16MiB, 512KiB)");
  const std::string unit = text.substr(i);
  int64_t mult = 0;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB") mult = int64_t{1} << 10;
  else if (unit == "MiB") mult = int64_t{1} << 20;
  else if (unit == "GiB") mult = int64_t{1} << 30;
  else return InvalidArgumentError("bad size '" + text + "' (units: B, KiB, MiB, GiB)");
  ASSIGN_OR_RETURN(int64_t n, ParseInt(text.substr(0, i), 0, INT64_MAX >> 30, "size"));
  return n * mult;
}

}  // namespace vigil
