// Integer columns: transform + residual base + residual coding chosen per column by size.
#include <algorithm>
#include <bit>
#include <span>
#include <vector>

#include "storage/coding.h"
#include "tsdb/block/column_codec.h"
#include "tsdb/block/entropy.h"

namespace vigil::tsdb::block {
namespace {

enum Transform : uint8_t { kPlain = 0, kDelta = 1, kDeltaOfDelta = 2 };
enum Coding : uint8_t { kConstant = 0, kHuffman = 1, kVarint = 2, kHuffmanTwoStreams = 3 };
// Huffman columns of at least this many residuals are written as two streams (the reader
// decodes both halves in one loop); below it the second stream's padding and length are not
// worth it.
constexpr size_t kTwoStreamMinResiduals = 256;
constexpr uint8_t kZigzagFlag = 0x10;

// Wrapping arithmetic: columns round-trip any int64 sequence, overflow included.
int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
uint64_t VarintBytes(uint64_t v) { return v < 128 ? 1 : (std::bit_width(v) + 6) / 7; }
uint64_t SignedVarintBytes(int64_t v) { return VarintBytes(storage::ZigZagEncode(v)); }

uint64_t ToResidual(int64_t r, int64_t base, bool zigzag) {
  return zigzag ? storage::ZigZagEncode(Sub(r, base))
                : static_cast<uint64_t>(r) - static_cast<uint64_t>(base);
}
int64_t FromResidual(uint64_t u, int64_t base, bool zigzag) {
  return zigzag ? Add(base, storage::ZigZagDecode(u)) : Add(base, static_cast<int64_t>(u));
}

void ComputeResiduals(std::span<const int64_t> x, Transform t, std::vector<int64_t>* r) {
  r->resize(x.size() - t);
  int64_t* out = r->data();
  for (size_t i = t; i < x.size(); ++i) {
    int64_t v = x[i];
    if (t >= kDelta) v = Sub(v, x[i - 1]);
    if (t == kDeltaOfDelta) v = Sub(v, Sub(x[i - 1], x[i - 2]));
    out[i - t] = v;
  }
}

struct Plan {
  Transform transform = kPlain;
  Coding coding = kConstant;
  bool zigzag = false;
  int64_t base = 0;
  uint64_t cost_bytes = UINT64_MAX;
};

// Scratch kept per thread: every column of every block written (head flushes and merges, tens
// of thousands a block) needs these, and fresh vectors were a fifth of the encoding time.
struct Scratch {
  std::vector<int64_t> residuals[3];
  std::vector<int64_t> sorted;
  std::string payload;
};
Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Chooses the cheapest coding of the residuals `r` of transform `t` and updates *best.
void Consider(std::span<const int64_t> x, Transform t, const std::vector<int64_t>& r,
              int64_t origin, Plan* best) {
  uint64_t prefix = 1;
  if (t >= kDelta) prefix += SignedVarintBytes(Sub(x[0], origin));
  if (t == kDeltaOfDelta) prefix += SignedVarintBytes(Sub(x[1], x[0]));
  const int64_t base_origin = t == kPlain ? origin : 0;
  auto offer = [&](Coding coding, bool zigzag, int64_t base, uint64_t body) {
    const uint64_t cost = prefix + SignedVarintBytes(Sub(base, base_origin)) + body;
    if (cost < best->cost_bytes) *best = Plan{t, coding, zigzag, base, cost};
  };
  const auto [lo, hi] = std::minmax_element(r.begin(), r.end());
  if (*lo == *hi) {
    offer(kConstant, false, *lo, 0);
    return;
  }
  std::vector<int64_t>& sorted = ThreadScratch().sorted;
  sorted.assign(r.begin(), r.end());
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  const int64_t median = sorted[sorted.size() / 2];
  for (const bool zigzag : {false, true}) {
    const int64_t base = zigzag ? median : *lo;
    SymbolCounts counts;
    uint64_t varint_bytes = 0;
    for (const int64_t v : r) {
      const uint64_t u = ToResidual(v, base, zigzag);
      counts.Add(u);
      varint_bytes += VarintBytes(u);
    }
    offer(kHuffman, zigzag, base, EstimateHuffmanBytes(counts));
    offer(kVarint, zigzag, base, VarintBytes(varint_bytes) + varint_bytes);
  }
}

// Turns residuals into values in place: out[t, limit) holds the residuals of the samples
// [t, limit); afterwards out[0, limit) holds the values.
void Integrate(Transform t, int64_t x0, int64_t d1, size_t limit, int64_t* out) {
  if (t == kPlain || limit == 0) return;
  out[0] = x0;
  if (t == kDelta) {
    for (size_t i = 1; i < limit; ++i) out[i] = Add(out[i - 1], out[i]);
    return;
  }
  if (limit == 1) return;
  out[1] = Add(x0, d1);
  int64_t d = d1;
  for (size_t i = 2; i < limit; ++i) {
    d = Add(d, out[i]);
    out[i] = Add(out[i - 1], d);
  }
}

}  // namespace

void EncodeIntColumn(std::span<const int64_t> x, int64_t origin, std::string* out) {
  if (x.empty()) return;
  // The residuals of each transform, and a cheap estimate of their size from their spread.
  // The exact costing (median, histograms, Huffman codes) runs only for transforms within 3
  // bits a value of the best estimate: it is most of the encoding time, and a transform whose
  // range is 8 times wider never wins on real data (one outlier widens every transform's
  // range alike).
  constexpr int kNotTried = 1000;
  std::vector<int64_t>* residuals = ThreadScratch().residuals;
  int spread_bits[3] = {kNotTried, kNotTried, kNotTried};
  int best_spread = kNotTried;
  Plan best;
  bool constant = false;
  for (const Transform t : {kPlain, kDelta, kDeltaOfDelta}) {
    if (x.size() <= t) break;
    ComputeResiduals(x, t, &residuals[t]);
    const auto [lo, hi] = std::minmax_element(residuals[t].begin(), residuals[t].end());
    if (*lo == *hi) {
      // Constant: later transforms are constant too and store one more value.
      Consider(x, t, residuals[t], origin, &best);
      constant = true;
      break;
    }
    spread_bits[t] = std::bit_width(static_cast<uint64_t>(*hi) - static_cast<uint64_t>(*lo));
    best_spread = std::min(best_spread, spread_bits[t]);
  }
  for (const Transform t : {kPlain, kDelta, kDeltaOfDelta}) {
    if (constant || spread_bits[t] > best_spread + 3) continue;
    Consider(x, t, residuals[t], origin, &best);
  }
  const std::vector<int64_t>& r = residuals[best.transform];
  if (best.coding == kHuffman && r.size() >= kTwoStreamMinResiduals) {
    best.coding = kHuffmanTwoStreams;
  }
  out->push_back(
      static_cast<char>(best.transform | (best.coding << 2) | (best.zigzag ? kZigzagFlag : 0)));
  if (best.transform >= kDelta) storage::PutVarsint64(out, Sub(x[0], origin));
  if (best.transform == kDeltaOfDelta) storage::PutVarsint64(out, Sub(x[1], x[0]));
  storage::PutVarsint64(out, Sub(best.base, best.transform == kPlain ? origin : 0));
  if (best.coding == kConstant) return;
  std::string& payload = ThreadScratch().payload;
  payload.clear();
  if (best.coding == kHuffman || best.coding == kHuffmanTwoStreams) {
    SymbolCounts counts;
    for (const int64_t v : r) counts.Add(ToResidual(v, best.base, best.zigzag));
    const HuffmanEncoder huffman(counts);
    huffman.WriteTable(out);
    auto encode = [&](std::span<const int64_t> part, std::string* dst) {
      BitWriter w(dst);
      for (const int64_t v : part) huffman.Encode(ToResidual(v, best.base, best.zigzag), &w);
      w.Flush();
    };
    if (best.coding == kHuffman) {
      encode(r, &payload);
    } else {
      const size_t half = (r.size() + 1) / 2;
      std::string a;
      encode(std::span(r).first(half), &a);
      storage::PutVarint64(&payload, a.size());
      payload += a;
      encode(std::span(r).subspan(half), &payload);
    }
  } else {
    for (const int64_t v : r) storage::PutVarint64(&payload, ToResidual(v, best.base, best.zigzag));
  }
  storage::PutLengthPrefixed(out, payload);
}

bool DecodeIntColumn(std::string_view* in, size_t n, int64_t origin, size_t limit, int64_t* out) {
  if (n == 0) return true;
  if (in->empty() || limit > n) return false;
  const uint8_t header = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  const Transform t = static_cast<Transform>(header & 3);
  const Coding coding = static_cast<Coding>((header >> 2) & 3);
  const bool zigzag = (header & kZigzagFlag) != 0;
  if (t > kDeltaOfDelta || (header & 0xe0) != 0 || n <= t) return false;
  int64_t x0 = 0;
  int64_t d1 = 0;
  int64_t base = 0;
  if (t >= kDelta && !storage::GetVarsint64(in, &x0)) return false;
  if (t == kDeltaOfDelta && !storage::GetVarsint64(in, &d1)) return false;
  if (!storage::GetVarsint64(in, &base)) return false;
  x0 = Add(x0, origin);
  if (t == kPlain) base = Add(base, origin);
  // Residuals of samples [t, limit) go to out[t, limit), then Integrate.
  const size_t count = limit > t ? limit - t : 0;
  int64_t* residuals = out + t;
  if (coding == kConstant) {
    std::fill(residuals, residuals + count, base);
    Integrate(t, x0, d1, limit, out);
    return true;
  }
  if (coding == kHuffman) {
    HuffmanDecoder huffman;
    std::string_view payload;
    if (!huffman.ReadTable(in) || !storage::GetLengthPrefixed(in, &payload)) return false;
    const bool ok = zigzag ? huffman.DecodeAll(payload, count,
                                               [=](size_t i, uint64_t u) {
                                                 residuals[i] = Add(base, storage::ZigZagDecode(u));
                                               })
                           : huffman.DecodeAll(payload, count, [=](size_t i, uint64_t u) {
                               residuals[i] = Add(base, static_cast<int64_t>(u));
                             });
    if (!ok) return false;
    Integrate(t, x0, d1, limit, out);
    return true;
  }
  if (coding == kHuffmanTwoStreams) {
    HuffmanDecoder huffman;
    std::string_view payload;
    uint64_t len_a = 0;
    if (!huffman.ReadTable(in) || !storage::GetLengthPrefixed(in, &payload) ||
        !storage::GetVarint64(&payload, &len_a) || len_a > payload.size()) {
      return false;
    }
    const size_t half = (n - t + 1) / 2;  // residuals in stream A
    const size_t count_a = std::min(count, half);
    const size_t count_b = count - count_a;
    int64_t* second = residuals + half;
    const std::string_view a = payload.substr(0, len_a), b = payload.substr(len_a);
    const bool ok =
        zigzag ? huffman.DecodeTwo(
                     a, count_a,
                     [=](size_t i, uint64_t u) { residuals[i] = Add(base, storage::ZigZagDecode(u)); },
                     b, count_b,
                     [=](size_t i, uint64_t u) { second[i] = Add(base, storage::ZigZagDecode(u)); })
               : huffman.DecodeTwo(
                     a, count_a,
                     [=](size_t i, uint64_t u) { residuals[i] = Add(base, static_cast<int64_t>(u)); },
                     b, count_b,
                     [=](size_t i, uint64_t u) { second[i] = Add(base, static_cast<int64_t>(u)); });
    if (!ok) return false;
    Integrate(t, x0, d1, limit, out);
    return true;
  }
  std::string_view payload;
  if (!storage::GetLengthPrefixed(in, &payload)) return false;
  for (size_t i = 0; i < count; ++i) {
    uint64_t u = 0;
    if (!storage::GetVarint64(&payload, &u)) return false;
    residuals[i] = FromResidual(u, base, zigzag);
  }
  Integrate(t, x0, d1, limit, out);
  return true;
}

}  // namespace vigil::tsdb::block
