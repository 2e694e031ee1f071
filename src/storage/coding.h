#pragma once
// Integer coding: little-endian fixed-width, LEB128 varints, zigzag for signed values,
// and a bit-level writer/reader for the Gorilla chunk codec.
//
// Decoders take a std::string_view* cursor that they advance past what they consumed; they
// return false (leaving the cursor unspecified) on truncated or malformed input, never read
// past the view's end.
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::storage {

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);
bool GetFixed32(std::string_view* in, uint32_t* v);
bool GetFixed64(std::string_view* in, uint64_t* v);

void PutVarint64(std::string* dst, uint64_t v);
bool GetVarint64(std::string_view* in, uint64_t* v);
inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }
bool GetVarsint64(std::string_view* in, int64_t* v);

// Length-prefixed (varint) byte string.
void PutLengthPrefixed(std::string* dst, std::string_view s);
bool GetLengthPrefixed(std::string_view* in, std::string_view* s);

// Appends bits most-significant first into a byte string.
class BitWriter {
 public:
  explicit BitWriter(std::string* dst) : dst_(dst) {}
  // Writes the low `nbits` (0..64) bits of `v`.
  void WriteBits(uint64_t v, int nbits);
  void WriteBit(bool bit) { WriteBits(bit ? 1 : 0, 1); }
  // Bits written in the last byte of *dst (0 when it is full or there is none).
  int bit_offset() const { return bit_offset_; }
  // Continue writing into an existing buffer whose last byte holds `used_bits` bits.
  void Resume(int used_bits) { bit_offset_ = used_bits % 8; }

 private:
  std::string* dst_;
  int bit_offset_ = 0;
};

// Reads bits most-significant first. Reads past the end fail instead of returning garbage.
class BitReader {
 public:
  explicit BitReader(std::string_view src) : src_(src) {}
  // Reads `nbits` (0..64) bits into *v; false when fewer remain.
  bool ReadBits(int nbits, uint64_t* v);
  bool ReadBit(bool* bit);
  size_t bits_remaining() const { return src_.size() * 8 - pos_; }

 private:
  std::string_view src_;
  size_t pos_ = 0;  // in bits
};

}  // namespace vigil::storage
