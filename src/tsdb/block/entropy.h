#pragma once
// Entropy coding of unsigned 64-bit residuals for the block column codec. Private to tsdb/block.
//
// A residual u is split into a symbol (0..251) and extra bits, like DEFLATE's distance codes
// but with finer buckets: u < 8 is its own symbol; otherwise, with L = bit width of u, the
// symbol names L and the two bits after the leading one, and the remaining L-3 low bits follow
// verbatim. Buckets are a quarter octave wide, so within a bucket the distribution of real
// residuals (Gaussian-like deltas, log-normal latencies) is close to flat and the verbatim
// extra bits cost almost nothing over the entropy. Symbols are coded with a canonical Huffman
// code (lengths <= 11 bits) chosen per column; its table lists the code lengths of the symbol
// range, each as a small difference from the previous one (lengths vary smoothly, so a
// typical table takes 8-15 bytes). See docs/format/block.md.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "tsdb/block/bit_io.h"

namespace vigil::tsdb::block {

inline constexpr int kNumSymbols = 252;
inline constexpr int kMaxCodeLength = 11;

inline int SymbolOf(uint64_t u) {
  if (u < 8) return static_cast<int>(u);
  const int width = std::bit_width(u);  // 4..64
  return 8 + (width - 4) * 4 + static_cast<int>((u >> (width - 3)) & 3);
}

struct SymbolInfo {
  uint64_t base;       // value with all extra bits zero
  uint8_t extra_bits;  // number of verbatim low bits
};

// kSymbolInfo[s] describes symbol s; s < kNumSymbols.
inline constexpr std::array<SymbolInfo, 256> kSymbolInfo = [] {
  std::array<SymbolInfo, 256> t{};
  for (int s = 0; s < 256; ++s) {
    if (s < 8) {
      t[s] = {static_cast<uint64_t>(s), 0};
    } else if (s < kNumSymbols) {
      const int width = (s - 8) / 4 + 4;
      const uint64_t top = 4 | static_cast<uint64_t>((s - 8) & 3);
      t[s] = {top << (width - 3), static_cast<uint8_t>(width - 3)};
    }
  }
  return t;
}();

// Per-symbol occurrence counts of a residual sequence.
struct SymbolCounts {
  std::array<uint32_t, 256> count{};
  uint64_t extra_bits = 0;  // sum of the extra bits of every residual
  uint64_t n = 0;
  void Add(uint64_t u) {
    const int s = SymbolOf(u);
    ++count[s];
    extra_bits += kSymbolInfo[s].extra_bits;
    ++n;
  }
};

// Bytes a Huffman-coded column of `counts` takes (table and payload), estimated from the
// symbols' entropy without building the code: within a few percent of HuffmanEncoder's exact
// figure, and used to choose among a column's candidate codings, where building a code for
// each candidate was most of the block encoding time.
uint64_t EstimateHuffmanBytes(const SymbolCounts& counts);

// A canonical, length-limited Huffman code for one column.
class HuffmanEncoder {
 public:
  // Builds the code for `counts` (at least one symbol with a non-zero count).
  explicit HuffmanEncoder(const SymbolCounts& counts);

  // Bytes of the serialized table.
  size_t TableBytes() const { return 2 + (table_bits_ + 7) / 8; }
  // Bits the symbols of `counts` take with this code (extra bits included, table excluded).
  uint64_t PayloadBits(const SymbolCounts& counts) const;
  void WriteTable(std::string* out) const;
  void Encode(uint64_t u, BitWriter* w) const {
    const int s = SymbolOf(u);
    w->Write(code_[s], len_[s]);
    const int extra = kSymbolInfo[s].extra_bits;
    if (extra > 0) w->Write(u & ((uint64_t{1} << extra) - 1), extra);  // extra <= 61
  }

 private:
  std::array<uint8_t, 256> len_{};    // 0 for absent symbols, and for the only symbol
  std::array<uint16_t, 256> code_{};  // bit-reversed canonical codes (LSB-first streams)
  int lo_ = 0;                        // smallest present symbol
  int hi_ = 0;                        // largest present symbol
  size_t table_bits_ = 0;             // bits of the code-length list after lo and hi
};

// Decodes residuals coded by HuffmanEncoder.
class HuffmanDecoder {
 public:
  // Parses a table written by HuffmanEncoder::WriteTable from the front of *in and advances
  // it. False when the table is malformed (bad range, length > 11, incomplete code).
  bool ReadTable(std::string_view* in);

  // Decodes one residual. On corrupt input returns garbage, never reads out of bounds;
  // the caller checks r->ok() after the batch.
  uint64_t Decode(BitReader* r) const {
    if (r->avail() < kMaxCodeLength) r->Refill();
    const uint32_t e = table_[r->Peek(kMaxCodeLength) & mask_];
    r->Consume(static_cast<int>(e & 0xf));
    return kSymbolInfo[e >> 10].base | r->Read(static_cast<int>((e >> 4) & 0x3f));
  }

  // Decodes `count` residuals from `payload`, calling emit(i, u) for each in order. False when
  // the payload is too short for them.
  //
  // This is the hot loop of a read (a day of one series is 8640 residuals). One table entry
  // gives both the code length and the extra-bit count, so the bit-buffer dependency chain
  // per residual is one load and one shift; refills are branchless (Giesen's "variant 4":
  // load 8 bytes, keep 56..63 bits). The last 8 bytes are decoded from a zero-padded copy so
  // no load passes the end of the payload.
  template <typename Emit>
  bool DecodeAll(std::string_view payload, size_t count, Emit&& emit) const {
    if (max_extra_bits_ > 56 - kMaxCodeLength) return DecodeSlow(payload, count, emit);
    Stream s(payload);
    size_t i = 0;
    return Finish(&s, &i, count, emit);
  }

  // Two streams coded with this table, decoded in one loop: `count_a` residuals from `a`
  // (emit_a(i, u)) and `count_b` from `b` (emit_b(i, u)). Each residual's decode waits on the
  // previous one of its stream (the bit position depends on its length), so interleaving two
  // streams lets the core work on both chains at once.
  template <typename EmitA, typename EmitB>
  bool DecodeTwo(std::string_view a, size_t count_a, EmitA&& emit_a, std::string_view b,
                 size_t count_b, EmitB&& emit_b) const {
    if (max_extra_bits_ > 56 - kMaxCodeLength) {
      return DecodeSlow(a, count_a, emit_a) && DecodeSlow(b, count_b, emit_b);
    }
    Stream sa(a), sb(b);
    size_t i = 0, j = 0;
    const size_t both = std::min(count_a, count_b);
    while (i < both && sa.end - sa.p >= 8 && sb.end - sb.p >= 8) {
      sa.p += Step(&sa, sa.p, [&](uint64_t u) { emit_a(i, u); });
      sb.p += Step(&sb, sb.p, [&](uint64_t u) { emit_b(i, u); });
      ++i;
    }
    j = i;
    return Finish(&sa, &i, count_a, emit_a) && Finish(&sb, &j, count_b, emit_b);
  }

 private:
  // Decoding state of one stream: bytes not yet loaded start at p; buf holds `avail` valid
  // bits (bits above are the right next bits or zero).
  struct Stream {
    explicit Stream(std::string_view payload)
        : begin(reinterpret_cast<const uint8_t*>(payload.data())),
          p(begin),
          end(begin + payload.size()) {}
    const uint8_t* begin;
    const uint8_t* p;
    const uint8_t* end;
    uint64_t buf = 0;
    unsigned avail = 0;
  };

  // Decodes one residual, refilling from the 8 bytes at q; returns how many bytes of them are
  // now consumed into the buffer.
  template <typename Out>
  unsigned Step(Stream* s, const uint8_t* q, Out&& out) const {
    uint64_t w;
    std::memcpy(&w, q, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    s->buf |= w << s->avail;
    const unsigned bytes = (63 - s->avail) >> 3;
    s->avail |= 56;
    const uint32_t e = table_[s->buf & mask_];
    const unsigned len = e & 0xf;
    const unsigned extra = (e >> 4) & 0x3f;
    const uint64_t bits = (s->buf >> len) & ((uint64_t{1} << extra) - 1);
    s->buf >>= len + extra;
    s->avail -= len + extra;
    out(kSymbolInfo[e >> 10].base | bits);
    return bytes;
  }

  // Decodes residuals *i..count of stream s, the last 8 bytes from a zero-padded copy.
  template <typename Emit>
  bool Finish(Stream* s, size_t* i, size_t count, Emit&& emit) const {
    size_t k = *i;
    for (; k < count && s->end - s->p >= 8; ++k) {
      s->p += Step(s, s->p, [&](uint64_t u) { emit(k, u); });
    }
    *i = k;
    if (k == count) return true;
    // Tail: fewer than 8 bytes left. Refills count padding bytes before their bits are used,
    // so q may pass the real end; once it is 16 bytes in, more than 8 padding bytes were
    // counted while at most 63 bits are buffered, which means the stream was overrun.
    uint8_t tail[24] = {};
    const size_t left = static_cast<size_t>(s->end - s->p);
    std::memcpy(tail, s->p, left);
    const uint64_t consumed_before_tail = static_cast<uint64_t>(s->p - s->begin) * 8;
    const uint8_t* q = tail;
    for (; k < count; ++k) {
      if (q > tail + 16) return false;
      q += Step(s, q, [&](uint64_t u) { emit(k, u); });
    }
    *i = k;
    const uint64_t consumed = consumed_before_tail + static_cast<uint64_t>(q - tail) * 8 - s->avail;
    return consumed <= static_cast<uint64_t>(s->end - s->begin) * 8;
  }

  // Residuals with more than 45 extra bits: one at a time through BitReader.
  template <typename Emit>
  bool DecodeSlow(std::string_view payload, size_t count, Emit&& emit) const {
    BitReader r(payload.data(), payload.size());
    for (size_t i = 0; i < count; ++i) emit(i, Decode(&r));
    return r.ok();
  }

  // Indexed by the next L stream bits (L the longest code length, mask_ = 2^L - 1): symbol << 10
  // | extra bits << 4 | code length. ReadTable fills entries [0, 2^L).
  std::array<uint32_t, 1 << kMaxCodeLength> table_;
  uint32_t mask_ = 0;
  int max_extra_bits_ = 0;  // of the symbols present
};

}  // namespace vigil::tsdb::block
