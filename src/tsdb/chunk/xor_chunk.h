#pragma once
// The head's in-memory chunk: Gorilla encoding (Pelkonen et al., VLDB 2015).
// Timestamps as delta-of-delta with variable-width buckets, values XORed with their predecessor
// and written as leading-zeros/meaningful-bits windows. Pure codec: no I/O, no locking.
// A chunk is not thread-safe; the head guards each series' chunks with the series' stripe lock.
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::tsdb::chunk {

class XorAppender;

// Owns the encoded bytes of up to 65535 (timestamp, value) samples.
class XorChunk {
 public:
  XorChunk();
  // Appends a sample. Timestamps may go backwards (late samples): the delta is signed.
  void Append(int64_t timestamp_ms, double value);
  uint16_t num_samples() const;
  std::string_view bytes() const { return data_; }
  size_t MemoryBytes() const { return data_.capacity() + sizeof(*this); }
  // Shrinks capacity to fit (after the chunk is full).
  void Seal() { data_.shrink_to_fit(); }

  class Iterator {
   public:
    explicit Iterator(std::string_view data);
    // Advances to the next sample; false at the end or on malformed data.
    bool Next();
    int64_t timestamp_ms() const { return t_; }
    double value() const { return v_; }

   private:
    // implementation state (decoder)
    std::string_view data_;
    size_t bit_pos_ = 0;
    uint16_t remaining_ = 0;
    uint16_t read_ = 0;
    int64_t t_ = 0;
    int64_t delta_ = 0;
    double v_ = 0;
    uint8_t leading_ = 0;
    uint8_t trailing_ = 0;
    bool ok_ = true;
  };
  Iterator NewIterator() const { return Iterator(data_); }

 private:
  // data_[0..2) = sample count (big-endian), then the bit stream.
  std::string data_;
  // Encoder state.
  int64_t t_ = 0;
  int64_t delta_ = 0;
  uint64_t v_bits_ = 0;
  uint8_t leading_ = 0xff;
  uint8_t trailing_ = 0;
  uint8_t bit_offset_ = 0;  // bits used in the last byte of data_ (0 = full)
};

}  // namespace vigil::tsdb::chunk
