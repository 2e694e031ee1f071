#pragma once
// CRC-32C (Castagnoli), as used by the WAL and block formats. Uses the SSE4.2 instruction
// when the CPU has it, a table otherwise; both give identical results.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vigil::storage::crc32c {

// CRC of data[0..n), continuing from `init` (the CRC of the bytes before).
uint32_t Extend(uint32_t init, const void* data, size_t n);
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

}  // namespace vigil::storage::crc32c
