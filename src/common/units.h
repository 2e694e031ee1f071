#pragma once
// Numbers with units, as configuration files and command lines write them.
#include <cstdint>
#include <string>

#include "common/status.h"

namespace vigil {

// An integer in [min, max]; InvalidArgument naming `what` otherwise.
StatusOr<int64_t> ParseInt(const std::string& text, int64_t min, int64_t max,
                           const std::string& what);

// A duration: an integer followed by ms, s, m, h or d ("15m", "15d"). InvalidArgument
// otherwise.
StatusOr<int64_t> ParseDurationMillis(const std::string& text);

// A size: an integer, optionally followed by B, KiB, MiB or GiB ("16MiB").
// InvalidArgument otherwise.
StatusOr<int64_t> ParseBytes(const std::string& text);

}  // namespace vigil
