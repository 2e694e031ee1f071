#include "tsdb/chunk/xor_chunk.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <utility>

namespace vigil::tsdb::chunk {
namespace {

constexpr size_t kHeaderBytes = 2;

uint64_t DoubleBits(double v) { return std::bit_cast<uint64_t>(v); }

// True when `v` (a two's-complement int64 held in a uint64) fits in `nbits` signed bits.
bool FitsSigned(uint64_t v, int nbits) {
  const int64_t s = static_cast<int64_t>(v);
  const int64_t lim = int64_t{1} << (nbits - 1);
  return s >= -lim && s < lim;
}

uint64_t SignExtend(uint64_t v, int nbits) {
  const int shift = 64 - nbits;
  return static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift);
}

}  // namespace

std::string_view XorChunk::bytes() const {
  if (size_ == 0) {
    static constexpr char kEmpty[kHeaderBytes] = {0, 0};
    return std::string_view(kEmpty, kHeaderBytes);
  }
  return std::string_view(reinterpret_cast<const char*>(buf_), size_);
}

XorChunk::~XorChunk() {
  if (arena_ == nullptr) delete[] buf_;
}

XorChunk::XorChunk(XorChunk&& other) noexcept { *this = std::move(other); }

XorChunk& XorChunk::operator=(XorChunk&& other) noexcept {
  if (this == &other) return *this;
  if (arena_ == nullptr) delete[] buf_;
  buf_ = std::exchange(other.buf_, nullptr);
  arena_ = other.arena_;
  size_ = std::exchange(other.size_, 0);
  capacity_ = std::exchange(other.capacity_, 0);
  expected_bytes_ = other.expected_bytes_;
  t_ = other.t_;
  delta_ = other.delta_;
  v_bits_ = other.v_bits_;
  num_samples_ = std::exchange(other.num_samples_, 0);
  leading_ = other.leading_;
  trailing_ = other.trailing_;
  bit_offset_ = other.bit_offset_;
  return *this;
}

void XorChunk::EnsureRoom(size_t extra_bytes) {
  const size_t need = size_ + extra_bytes;
  if (need <= capacity_) return;
  size_t cap;
  uint8_t* buf;
  if (arena_ != nullptr) {
    cap = std::max<size_t>({need, size_t{capacity_} * 2, expected_bytes_, 32});
    buf = arena_->Allocate(cap);
  } else {
    // +1/8 (at least 16 bytes): the open chunk is the one per series that is not shrunk to
    // fit, so its slack is memory per series; the extra copying costs a few ns per sample.
    cap = std::max<size_t>({need, capacity_ + std::max<size_t>(capacity_ / 8, 16), 32});
    buf = new uint8_t[cap];
  }
  if (size_ > 0) std::memcpy(buf, buf_, size_);
  if (arena_ == nullptr) delete[] buf_;
  buf_ = buf;
  capacity_ = static_cast<uint32_t>(cap);
}

void XorChunk::Seal() {
  if (arena_ != nullptr || capacity_ == size_) return;
  uint8_t* buf = size_ > 0 ? new uint8_t[size_] : nullptr;
  if (size_ > 0) std::memcpy(buf, buf_, size_);
  delete[] buf_;
  buf_ = buf;
  capacity_ = size_;
}

void XorChunk::WriteBits(uint64_t v, int nbits) {
  if (nbits <= 0) return;
  EnsureRoom(static_cast<size_t>(nbits) / 8 + 2);
  if (nbits < 64) v &= (uint64_t{1} << nbits) - 1;
  if (bit_offset_ != 0) {  // fill the partial last byte first
    const int free = 8 - bit_offset_;
    if (nbits <= free) {
      buf_[size_ - 1] |= static_cast<uint8_t>(v << (free - nbits));
      bit_offset_ = static_cast<uint8_t>((bit_offset_ + nbits) & 7);
      return;
    }
    nbits -= free;
    buf_[size_ - 1] |= static_cast<uint8_t>(v >> nbits);
    bit_offset_ = 0;
  }
  while (nbits >= 8) {
    nbits -= 8;
    buf_[size_++] = static_cast<uint8_t>(v >> nbits);
  }
  if (nbits > 0) {
    buf_[size_++] = static_cast<uint8_t>(v << (8 - nbits));
    bit_offset_ = static_cast<uint8_t>(nbits);
  }
}

void XorChunk::Append(int64_t timestamp_ms, double value) {
  assert(num_samples_ < kMaxSamples);
  const uint64_t vb = DoubleBits(value);
  if (num_samples_ == 0) {
    EnsureRoom(kHeaderBytes + 16);
    buf_[0] = buf_[1] = 0;
    size_ = kHeaderBytes;
    bit_offset_ = 0;
    WriteBits(static_cast<uint64_t>(timestamp_ms), 64);
    WriteBits(vb, 64);
    delta_ = 0;
  } else {
    const uint64_t delta = static_cast<uint64_t>(timestamp_ms) - static_cast<uint64_t>(t_);
    const uint64_t dod = delta - delta_;
    if (dod == 0) {
      WriteBits(0, 1);
    } else if (FitsSigned(dod, 14)) {
      WriteBits(0b10, 2);
      WriteBits(dod & ((uint64_t{1} << 14) - 1), 14);
    } else if (FitsSigned(dod, 17)) {
      WriteBits(0b110, 3);
      WriteBits(dod & ((uint64_t{1} << 17) - 1), 17);
    } else if (FitsSigned(dod, 20)) {
      WriteBits(0b1110, 4);
      WriteBits(dod & ((uint64_t{1} << 20) - 1), 20);
    } else {
      WriteBits(0b1111, 4);
      WriteBits(dod, 64);
    }
    delta_ = delta;

    const uint64_t x = vb ^ v_bits_;
    if (x == 0) {
      WriteBits(0, 1);
    } else {
      int leading = std::countl_zero(x);
      const int trailing = std::countr_zero(x);
      if (leading > 31) leading = 31;  // 5-bit field
      if (leading_ != 0xff && leading >= leading_ && trailing >= trailing_) {
        WriteBits(0b10, 2);
        const int sig = 64 - leading_ - trailing_;
        WriteBits(x >> trailing_, sig);
      } else {
        leading_ = static_cast<uint8_t>(leading);
        trailing_ = static_cast<uint8_t>(trailing);
        const int sig = 64 - leading - trailing;
        WriteBits(0b11, 2);
        WriteBits(static_cast<uint64_t>(leading), 5);
        WriteBits(static_cast<uint64_t>(sig & 63), 6);  // 64 is coded as 0
        WriteBits(x >> trailing, sig);
      }
    }
  }
  t_ = timestamp_ms;
  v_bits_ = vb;
  ++num_samples_;
  buf_[0] = static_cast<uint8_t>(num_samples_ >> 8);
  buf_[1] = static_cast<uint8_t>(num_samples_ & 0xff);
}

XorChunk::Iterator::Iterator(std::string_view data) {
  if (data.size() < kHeaderBytes) {
    ok_ = false;
    return;
  }
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  total_ = static_cast<uint16_t>((p[0] << 8) | p[1]);
  data_ = p + kHeaderBytes;
  size_ = data.size() - kHeaderBytes;
}

double XorChunk::Iterator::value() const { return std::bit_cast<double>(v_bits_); }

namespace {

// The decoder's bit source: a 64-bit window over the stream, refilled a word at a time.
// Used as a local copy inside NextBatch so that its fields live in registers.
struct BitCursor {
  const uint8_t* data;
  size_t size;
  size_t next;      // first byte not yet loaded into window
  uint64_t window;  // next bits, most significant first; zero below avail
  int avail;        // valid bits at the top of window

  [[gnu::always_inline]] inline void Refill() {
    if (next + 8 <= size) {
      const int bytes = (64 - avail) >> 3;
      if (bytes == 0) return;
      uint64_t w;
      std::memcpy(&w, data + next, 8);
      window |= __builtin_bswap64(w) >> avail;
      next += static_cast<size_t>(bytes);
      avail += bytes * 8;
      if (avail < 64) window &= ~(~uint64_t{0} >> avail);  // drop the unaccounted tail
      return;
    }
    while (avail <= 56 && next < size) {
      window |= static_cast<uint64_t>(data[next++]) << (56 - avail);
      avail += 8;
    }
  }
  // Reads n (1..56) bits.
  [[gnu::always_inline]] inline bool Take(int n, uint64_t* v) {
    if (avail < n) {
      Refill();
      if (avail < n) return false;
    }
    *v = window >> (64 - n);
    window <<= n;
    avail -= n;
    return true;
  }
  // Reads n (1..64) bits.
  [[gnu::always_inline]] inline bool TakeWide(int n, uint64_t* v) {
    if (n <= 56) return Take(n, v);
    uint64_t hi, lo;
    if (!Take(n - 32, &hi) || !Take(32, &lo)) return false;
    *v = (hi << 32) | lo;
    return true;
  }
  // The next 4 bits without consuming them (zeros past the end).
  [[gnu::always_inline]] inline uint64_t Peek4() {
    if (avail < 4) Refill();
    return window >> 60;
  }
};

}  // namespace

size_t XorChunk::Iterator::NextBatch(int64_t* ts, double* values, size_t max) {
  if (!ok_) return 0;
  BitCursor in{data_, size_, next_byte_, window_, avail_};
  uint64_t t = static_cast<uint64_t>(t_), delta = delta_, vb = v_bits_;
  int leading = leading_, trailing = trailing_;
  uint16_t read = read_;
  size_t k = 0;
  bool ok = true;
  // Leading ones of a 4-bit timestamp prefix: 0, 10, 110, 1110, 1111.
  static constexpr uint8_t kLeadingOnes[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 4};
  static constexpr int kWidth[] = {0, 14, 17, 20, 64};
  while (k < max && read < total_) {
    uint64_t bits;
    if (read == 0) {
      if (!in.TakeWide(64, &t) || !in.TakeWide(64, &vb)) {
        ok = false;
        break;
      }
    } else {
      const int ones = kLeadingOnes[in.Peek4()];
      if (!in.Take(ones < 4 ? ones + 1 : 4, &bits)) {
        ok = false;
        break;
      }
      if (ones > 0) {
        const int width = kWidth[ones];
        if (!in.TakeWide(width, &bits)) {
          ok = false;
          break;
        }
        delta += width == 64 ? bits : SignExtend(bits, width);
      }
      t += delta;
      // Value: '0' same, '10' previous window, '11' new window.
      const uint64_t ctl = in.Peek4() >> 2;
      if (ctl < 2) {
        if (!in.Take(1, &bits)) {
          ok = false;
          break;
        }
      } else {
        if (!in.Take(2, &bits)) {
          ok = false;
          break;
        }
        if (ctl == 3) {
          uint64_t header;
          if (!in.Take(11, &header)) {
            ok = false;
            break;
          }
          const int lead = static_cast<int>(header >> 6);
          int sig = static_cast<int>(header & 63);
          if (sig == 0) sig = 64;
          if (lead + sig > 64) {
            ok = false;
            break;
          }
          leading = lead;
          trailing = 64 - lead - sig;
        } else if (leading == 0xff) {
          ok = false;  // window reuse before any window was set
          break;
        }
        if (!in.TakeWide(64 - leading - trailing, &bits)) {
          ok = false;
          break;
        }
        vb ^= bits << trailing;
      }
    }
    ts[k] = static_cast<int64_t>(t);
    values[k] = std::bit_cast<double>(vb);
    ++k;
    ++read;
  }
  next_byte_ = in.next;
  window_ = in.window;
  avail_ = in.avail;
  t_ = static_cast<int64_t>(t);
  delta_ = delta;
  v_bits_ = vb;
  leading_ = static_cast<uint8_t>(leading);
  trailing_ = static_cast<uint8_t>(trailing);
  read_ = read;
  ok_ = ok;
  return k;
}

bool XorChunk::Iterator::Next() {
  int64_t t;
  double v;
  return NextBatch(&t, &v, 1) == 1;
}

}  // namespace vigil::tsdb::chunk
