#pragma once
// The head's in-memory chunk: Gorilla encoding (Pelkonen et al., VLDB 2015).
// Timestamps as delta-of-delta with variable-width buckets, values XORed with their predecessor
// and written as leading-zeros/meaningful-bits windows. Pure codec: no I/O, no locking.
// A chunk is not thread-safe; the head guards each series' chunks with the series' stripe lock.
//
// Encoding (bit stream, most significant bit first, after a 2-byte big-endian sample count):
//   sample 0:  timestamp as 64 raw bits, value as 64 raw bits
//   sample i:  dod = (t_i - t_{i-1}) - (t_{i-1} - t_{i-2}) with t_{-1} := t_0 (so the first
//              delta is coded as a dod against 0); all arithmetic wraps modulo 2^64, so any
//              int64 sequence, including backwards (late) timestamps, round-trips:
//                '0'                    dod == 0
//                '10'   + 14-bit signed dod in [-2^13, 2^13)
//                '110'  + 17-bit signed
//                '1110' + 20-bit signed
//                '1111' + 64 raw bits
//              then x = bits(v_i) XOR bits(v_{i-1}):
//                '0'                    x == 0
//                '10'  + meaningful bits inside the previous (leading, trailing) window
//                '11'  + 5-bit leading zeros (capped at 31) + 6-bit length (64 coded as 0)
//                      + that many meaningful bits
#include <cstdint>
#include <string_view>

#include "tsdb/chunk/chunk_arena.h"

namespace vigil::tsdb::chunk {

// The encoded bytes of up to kMaxSamples (timestamp, value) samples, in a buffer of its own
// (default) or in an arena.
class XorChunk {
 public:
  static constexpr uint16_t kMaxSamples = 65535;

  XorChunk() = default;
  // Buffers come from `arena`, which must outlive the chunk. `expected_bytes` sizes the first
  // buffer (e.g. from the series' previous chunk): arena memory is not reused when a buffer
  // grows, so a good guess saves both copies and memory. 0: start small and double.
  XorChunk(ChunkArena* arena, size_t expected_bytes)
      : arena_(arena), expected_bytes_(static_cast<uint32_t>(expected_bytes)) {}
  ~XorChunk();
  XorChunk(XorChunk&& other) noexcept;
  XorChunk& operator=(XorChunk&& other) noexcept;

  // Appends a sample. Timestamps may go backwards (late samples): the delta is signed.
  // REQUIRES: num_samples() < kMaxSamples.
  void Append(int64_t timestamp_ms, double value);
  uint16_t num_samples() const { return num_samples_; }
  // The encoded chunk: sample count then bit stream. Valid until the next Append/Seal.
  std::string_view bytes() const;
  // Heap bytes of the buffer, and heap and object bytes held by this chunk.
  size_t capacity() const { return capacity_; }
  size_t MemoryBytes() const { return capacity_ + sizeof(*this); }
  // Shrinks an own buffer to fit (after the chunk is full; appending afterwards still works).
  // A no-op in an arena, whose memory is not given back piecemeal.
  void Seal();

  // Decodes a chunk produced by bytes(). Cheap to construct; no allocation.
  class Iterator {
   public:
    explicit Iterator(std::string_view data);
    // Advances to the next sample; false at the end or on malformed data (see ok()).
    bool Next();
    // Decodes up to `max` further samples into ts[] and values[]; returns how many (0 at the
    // end or on malformed data). Afterwards timestamp_ms()/value() are those of the last one.
    // Why a batch call: decoding is the inner loop of every head query (a day of 10 s samples
    // is 8,640 iterations); a batch keeps the decoder state in registers.
    size_t NextBatch(int64_t* ts, double* values, size_t max);
    int64_t timestamp_ms() const { return t_; }
    double value() const;
    // False when the data ended before the declared sample count or a field was malformed.
    bool ok() const { return ok_; }
    uint16_t num_samples() const { return total_; }

   private:
    const uint8_t* data_ = nullptr;  // bit stream (after the count)
    size_t size_ = 0;                // bytes of the bit stream
    size_t next_byte_ = 0;           // first byte not yet loaded into window_
    uint64_t window_ = 0;            // next bits, most significant first; zero below avail_
    int avail_ = 0;                  // valid bits at the top of window_
    uint16_t total_ = 0;
    uint16_t read_ = 0;
    int64_t t_ = 0;
    uint64_t delta_ = 0;
    uint64_t v_bits_ = 0;
    uint8_t leading_ = 0xff;  // 0xff: no window yet
    uint8_t trailing_ = 0;
    bool ok_ = true;
  };
  Iterator NewIterator() const { return Iterator(bytes()); }

 private:
  void WriteBits(uint64_t v, int nbits);
  void EnsureRoom(size_t extra_bytes);

  // Why a raw buffer instead of std::string: fewer bytes per chunk, growth policies of our own
  // (+12.5% for an own buffer, wasting little; doubling in an arena, copying little), and
  // arena memory. Owned (delete[]) when arena_ is null.
  uint8_t* buf_ = nullptr;  // [0..2) sample count (big-endian), then the bit stream
  ChunkArena* arena_ = nullptr;
  uint32_t size_ = 0;  // bytes used in buf_
  uint32_t capacity_ = 0;
  uint32_t expected_bytes_ = 0;  // arena only: size of the first buffer
  // Encoder state.
  int64_t t_ = 0;
  uint64_t delta_ = 0;
  uint64_t v_bits_ = 0;
  uint16_t num_samples_ = 0;
  uint8_t leading_ = 0xff;  // 0xff: no window yet
  uint8_t trailing_ = 0;
  uint8_t bit_offset_ = 0;  // bits used in the last byte of buf_ (0 = full)
};

}  // namespace vigil::tsdb::chunk
