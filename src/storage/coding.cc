#include "storage/coding.h"

#include <cstring>

namespace vigil::storage {
namespace {

inline uint64_t LoadBigEndian64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

}  // namespace

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  dst->append(buf, sizeof(buf));
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  dst->append(buf, sizeof(buf));
}

uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | (static_cast<uint32_t>(u[1]) << 8) |
         (static_cast<uint32_t>(u[2]) << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

uint64_t DecodeFixed64(const char* p) {
  return static_cast<uint64_t>(DecodeFixed32(p)) |
         (static_cast<uint64_t>(DecodeFixed32(p + 4)) << 32);
}

bool GetFixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  size_t i = 0;
  for (int shift = 0; shift <= 63; shift += 7, ++i) {
    if (i >= in->size()) return false;
    uint64_t byte = static_cast<unsigned char>((*in)[i]);
    // The tenth byte may only carry bit 63; anything more would overflow 64 bits.
    if (shift == 63 && byte > 1) return false;
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      in->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

bool GetVarsint64(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

bool GetLengthPrefixed(std::string_view* in, std::string_view* s) {
  uint64_t len;
  if (!GetVarint64(in, &len) || len > in->size()) return false;
  *s = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

void BitWriter::WriteBits(uint64_t v, int nbits) {
  if (nbits <= 0) return;
  if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
  while (nbits > 0) {
    if (bit_offset_ == 0) dst_->push_back('\0');
    int free_bits = 8 - bit_offset_;
    int take = nbits < free_bits ? nbits : free_bits;
    auto chunk = static_cast<unsigned>((v >> (nbits - take)) & ((1u << take) - 1));
    dst_->back() =
        static_cast<char>(static_cast<unsigned char>(dst_->back()) | (chunk << (free_bits - take)));
    nbits -= take;
    bit_offset_ = (bit_offset_ + take) & 7;
  }
}

bool BitReader::ReadBits(int nbits, uint64_t* v) {
  if (nbits < 0 || nbits > 64 || static_cast<size_t>(nbits) > bits_remaining()) return false;
  // Fast path (the Gorilla decoder's common case): the bits lie within one 8-byte load.
  const size_t byte_pos = pos_ >> 3;
  const int used_in_byte = static_cast<int>(pos_ & 7);
  if (nbits > 0 && nbits <= 64 - used_in_byte && byte_pos + 8 <= src_.size()) {
    *v = (LoadBigEndian64(src_.data() + byte_pos) << used_in_byte) >> (64 - nbits);
    pos_ += nbits;
    return true;
  }
  uint64_t result = 0;
  while (nbits > 0) {
    auto byte = static_cast<unsigned char>(src_[pos_ >> 3]);
    int used = static_cast<int>(pos_ & 7);
    int avail = 8 - used;
    int take = nbits < avail ? nbits : avail;
    uint64_t chunk = (byte >> (avail - take)) & ((1u << take) - 1);
    // take < 64 always, so the shift is defined even when nbits == 64.
    result = (result << take) | chunk;
    pos_ += take;
    nbits -= take;
  }
  *v = result;
  return true;
}

bool BitReader::ReadBit(bool* bit) {
  if (pos_ >= src_.size() * 8) return false;
  *bit = (static_cast<unsigned char>(src_[pos_ >> 3]) >> (7 - (pos_ & 7))) & 1;
  ++pos_;
  return true;
}

}  // namespace vigil::storage
