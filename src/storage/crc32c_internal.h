#pragma once
// Test hooks for crc32c.cc: the two implementations behind crc32c::Extend, callable directly so
// tests can check that they agree. Not part of the module's public face.
#include <cstddef>
#include <cstdint>

namespace vigil::storage::crc32c {

// Table-driven (slicing-by-8) implementation; runs on any CPU.
uint32_t ExtendPortableForTest(uint32_t init, const void* data, size_t n);
// True when the CPU has the SSE4.2 crc32 instruction (and this build can use it).
bool HardwareAvailableForTest();
// SSE4.2 implementation. REQUIRES: HardwareAvailableForTest().
uint32_t ExtendHardwareForTest(uint32_t init, const void* data, size_t n);

}  // namespace vigil::storage::crc32c
