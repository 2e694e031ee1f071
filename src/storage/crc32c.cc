#include "storage/crc32c.h"

#include <array>
#include <cstring>

#include "storage/crc32c_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <nmmintrin.h>
#define VIGIL_CRC32C_HAVE_SSE42 1
#else
#define VIGIL_CRC32C_HAVE_SSE42 0
#endif

namespace vigil::storage::crc32c {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // Castagnoli polynomial, bit-reflected

using Tables = std::array<std::array<uint32_t, 256>, 8>;

// Slicing-by-8 tables: kTables[k][b] is the CRC register after byte b followed by k zero bytes.
constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int j = 0; j < 8; ++j) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][i] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}
constexpr Tables kTables = MakeTables();

inline uint32_t LoadLE32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

uint32_t ExtendPortable(uint32_t init, const uint8_t* p, size_t n) {
  uint32_t crc = ~init;
  while (n >= 8) {
    uint32_t lo = LoadLE32(p) ^ crc;
    uint32_t hi = LoadLE32(p + 4);
    crc = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xff] ^ kTables[2][(hi >> 8) & 0xff] ^
          kTables[1][(hi >> 16) & 0xff] ^ kTables[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

#if VIGIL_CRC32C_HAVE_SSE42

// The crc32 instruction has a latency of 3 cycles but a throughput of 1 per cycle, so one
// dependency chain runs at a third of the possible speed. Long inputs are therefore cut into
// three adjacent blocks whose CRCs are computed in interleaved chains and then combined:
// CRC(A||B) = Shift(CRC(A), |B|) ^ CRC0(B), where Shift advances a register over |B| zero bytes.
// Shift is linear over GF(2), so it is four table look-ups per 32-bit register.
constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;

struct ShiftTable {
  uint32_t t[4][256];
  uint32_t Apply(uint32_t x) const {
    return t[0][x & 0xff] ^ t[1][(x >> 8) & 0xff] ^ t[2][(x >> 16) & 0xff] ^ t[3][x >> 24];
  }
};

__attribute__((target("sse4.2"))) inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

__attribute__((target("sse4.2"))) ShiftTable MakeShiftTable(size_t zero_bytes) {
  uint32_t bit_image[32];
  for (int j = 0; j < 32; ++j) {
    uint64_t c = uint64_t{1} << j;
    for (size_t i = 0; i < zero_bytes / 8; ++i) c = _mm_crc32_u64(c, 0);
    bit_image[j] = static_cast<uint32_t>(c);
  }
  ShiftTable table{};
  for (int k = 0; k < 4; ++k) {
    for (int b = 0; b < 256; ++b) {
      uint32_t v = 0;
      for (int i = 0; i < 8; ++i) {
        if (b & (1 << i)) v ^= bit_image[8 * k + i];
      }
      table.t[k][b] = v;
    }
  }
  return table;
}

struct ShiftTables {
  ShiftTable long_block = MakeShiftTable(kLongBlock);
  ShiftTable short_block = MakeShiftTable(kShortBlock);
};

// Runs three interleaved chains over blocks of `block` bytes while at least 3 blocks remain.
__attribute__((target("sse4.2"))) inline uint64_t ThreeWay(uint64_t crc, const uint8_t** pp,
                                                           size_t* np, size_t block,
                                                           const ShiftTable& shift) {
  const uint8_t* p = *pp;
  size_t n = *np;
  while (n >= 3 * block) {
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    for (size_t i = 0; i < block; i += 8) {
      c0 = _mm_crc32_u64(c0, Load64(p + i));
      c1 = _mm_crc32_u64(c1, Load64(p + block + i));
      c2 = _mm_crc32_u64(c2, Load64(p + 2 * block + i));
    }
    uint32_t c = shift.Apply(static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
    crc = shift.Apply(c) ^ static_cast<uint32_t>(c2);
    p += 3 * block;
    n -= 3 * block;
  }
  *pp = p;
  *np = n;
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t init, const uint8_t* p, size_t n) {
  uint64_t crc = ~init;
  // Align the main loop's loads to 8 bytes.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = _mm_crc32_u8(static_cast<uint32_t>(crc), *p++);
    --n;
  }
  if (n >= 3 * kShortBlock) {
    static const ShiftTables tables;  // ~8 KiB, built once on first long input
    crc = ThreeWay(crc, &p, &n, kLongBlock, tables.long_block);
    crc = ThreeWay(crc, &p, &n, kShortBlock, tables.short_block);
  }
  while (n >= 8) {
    crc = _mm_crc32_u64(crc, Load64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = _mm_crc32_u8(static_cast<uint32_t>(crc), *p++);
    --n;
  }
  return ~static_cast<uint32_t>(crc);
}

bool DetectHardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

#else  // !VIGIL_CRC32C_HAVE_SSE42

uint32_t ExtendSse42(uint32_t init, const uint8_t* p, size_t n) {
  return ExtendPortable(init, p, n);
}
bool DetectHardware() { return false; }

#endif

}  // namespace

uint32_t Extend(uint32_t init, const void* data, size_t n) {
  static const bool kHardware = DetectHardware();
  const auto* p = static_cast<const uint8_t*>(data);
  return kHardware ? ExtendSse42(init, p, n) : ExtendPortable(init, p, n);
}

uint32_t ExtendPortableForTest(uint32_t init, const void* data, size_t n) {
  return ExtendPortable(init, static_cast<const uint8_t*>(data), n);
}
bool HardwareAvailableForTest() { return DetectHardware(); }
uint32_t ExtendHardwareForTest(uint32_t init, const void* data, size_t n) {
  return ExtendSse42(init, static_cast<const uint8_t*>(data), n);
}

}  // namespace vigil::storage::crc32c
