#pragma once
// LSB-first bit streams for the block codecs. Private to tsdb/block.
//
// Why not storage::BitWriter/BitReader: those are MSB-first and bit-at-a-time, which suits the
// Gorilla chunk; the block decoders read a Huffman code and its extra bits per sample and must
// decode a day of one series in tens of microseconds, so the reader here keeps a 64-bit window
// refilled eight bytes at a time and peeks table-sized bit groups.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace vigil::tsdb::block {

// Appends bits to a byte string, least significant bit first. Call Flush() before using the
// string; the last byte is zero-padded.
class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}

  // Writes the low `n` bits of `v` (0 <= n <= 64; bits of `v` above `n` must be zero).
  void Write(uint64_t v, int n) {
    if (n > 56) {
      Write(v & 0xffffffffu, 32);
      v >>= 32;
      n -= 32;
    }
    acc_ |= v << fill_;
    fill_ += n;
    while (fill_ >= 8) {
      out_->push_back(static_cast<char>(acc_ & 0xff));
      acc_ >>= 8;
      fill_ -= 8;
    }
  }
  void Flush() {
    if (fill_ > 0) out_->push_back(static_cast<char>(acc_ & 0xff));
    acc_ = 0;
    fill_ = 0;
  }

 private:
  std::string* out_;
  uint64_t acc_ = 0;
  int fill_ = 0;  // pending bits in acc_, < 8 between calls
};

// Reads an LSB-first bit stream. Reading past the end yields zero bits and marks the reader
// overrun (checked once by the caller with ok() after a batch, not on every read).
class BitReader {
 public:
  BitReader(const char* data, size_t n)
      : begin_(reinterpret_cast<const uint8_t*>(data)), p_(begin_), end_(begin_ + n) {}

  // Ensures at least 56 bits are buffered.
  void Refill() {
    if (end_ - p_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_, 8);
      if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
      buf_ |= w << avail_;
      const int bytes = (63 - avail_) >> 3;
      p_ += bytes;
      avail_ += bytes * 8;
    } else {
      while (avail_ <= 56) {
        uint64_t b = 0;
        if (p_ < end_) {
          b = *p_++;
        } else {
          ++padding_bytes_;
        }
        buf_ |= b << avail_;
        avail_ += 8;
      }
    }
  }
  // The next `n` (< 64) bits without consuming them; requires n <= buffered bits.
  uint64_t Peek(int n) const { return buf_ & ((uint64_t{1} << n) - 1); }
  void Consume(int n) {
    buf_ >>= n;
    avail_ -= n;
  }
  // Reads `n` bits, 0 <= n <= 64. Not recursive, so hot loops can keep a local reader's state
  // in registers once everything is inlined.
  uint64_t Read(int n) {
    uint64_t hi = 0;
    int shift = 0;
    if (n > 56) {
      if (avail_ < 32) Refill();
      hi = Peek(32);
      Consume(32);
      n -= 32;
      shift = 32;
    }
    if (avail_ < n) Refill();
    const uint64_t v = Peek(n);
    Consume(n);
    return shift == 0 ? v : (hi | (v << shift));
  }
  // Buffered bits (for callers that refill once for several reads).
  int avail() const { return avail_; }
  // False when more bits were consumed than the input holds.
  bool ok() const {
    const uint64_t loaded = static_cast<uint64_t>(p_ - begin_) * 8 + padding_bytes_ * 8;
    const uint64_t consumed = loaded - static_cast<uint64_t>(avail_);
    return consumed <= static_cast<uint64_t>(end_ - begin_) * 8;
  }

 private:
  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t buf_ = 0;
  int avail_ = 0;
  uint64_t padding_bytes_ = 0;
};

}  // namespace vigil::tsdb::block
