#include "tsdb/block/entropy.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vigil::tsdb::block {
namespace {

// Optimal code lengths for weights[0, n) (all > 0, 2 <= n <= kNumSymbols) into lengths[0, n),
// by the two-queue method over leaves sorted by weight; ties keep the leaves' order, so the
// result is deterministic. No allocation: this runs for every column of every block written.
void HuffmanLengths(const uint64_t* weights, int n, int* lengths) {
  std::array<int, kNumSymbols> order;
  std::iota(order.begin(), order.begin() + n, 0);
  std::sort(order.begin(), order.begin() + n, [&](int a, int b) {
    return weights[a] != weights[b] ? weights[a] < weights[b] : a < b;
  });
  std::array<uint64_t, 2 * kNumSymbols> w;
  std::array<int, 2 * kNumSymbols> parent;
  for (int k = 0; k < n; ++k) w[k] = weights[order[k]];
  int leaf = 0;
  int internal = n;
  int next = n;
  auto pick = [&]() {
    if (leaf < n && (internal >= next || w[leaf] <= w[internal])) return leaf++;
    return internal++;
  };
  for (; next < 2 * n - 1; ++next) {
    const int a = pick();
    const int b = pick();
    w[next] = w[a] + w[b];
    parent[a] = next;
    parent[b] = next;
  }
  std::array<int, 2 * kNumSymbols> depth;
  depth[2 * n - 2] = 0;
  for (int k = 2 * n - 3; k >= 0; --k) depth[k] = depth[parent[k]] + 1;
  for (int k = 0; k < n; ++k) lengths[order[k]] = depth[k];
}

// Canonical codes (bit-reversed for LSB-first streams) for the lengths of symbols [lo, hi], as
// DEFLATE assigns them: shorter codes first, symbols in order within a length. Returns false
// when the lengths do not form a complete prefix code.
bool AssignCodes(const std::array<uint8_t, 256>& len, int lo, int hi,
                 std::array<uint16_t, 256>* code) {
  std::array<uint32_t, kMaxCodeLength + 1> count{};
  uint32_t kraft = 0;
  for (int s = lo; s <= hi; ++s) {
    if (len[s] == 0) continue;
    ++count[len[s]];
    kraft += 1u << (kMaxCodeLength - len[s]);
  }
  if (kraft != (1u << kMaxCodeLength)) return false;
  std::array<uint32_t, kMaxCodeLength + 1> next{};
  uint32_t c = 0;
  for (int l = 1; l <= kMaxCodeLength; ++l) {
    c = (c + count[l - 1]) << 1;
    next[l] = c;
  }
  for (int s = lo; s <= hi; ++s) {
    const int l = len[s];
    if (l == 0) continue;
    const uint32_t v = next[l]++;
    uint32_t rev = 0;
    for (int b = 0; b < l; ++b) rev |= ((v >> b) & 1) << (l - 1 - b);
    (*code)[s] = static_cast<uint16_t>(rev);
  }
  return true;
}

// Writes the code lengths of symbols [lo, hi] (when w is set) and returns their bit count:
// the first as 4 bits, each next one as "0" (same), "10" (+1), "110" (-1) or "111" + 4 bits.
// The only symbol of a one-symbol code is listed with length 1 (it takes 0 bits).
size_t WriteLengths(const std::array<uint8_t, 256>& len, int lo, int hi, BitWriter* w) {
  auto put = [w](uint64_t v, int n) {
    if (w != nullptr) w->Write(v, n);
    return static_cast<size_t>(n);
  };
  if (lo == hi) return put(1, 4);
  size_t bits = put(len[lo], 4);
  for (int s = lo + 1; s <= hi; ++s) {
    const int d = len[s] - len[s - 1];
    if (d == 0) {
      bits += put(0, 1);
    } else if (d == 1) {
      bits += put(1, 2);  // bits "1", "0"
    } else if (d == -1) {
      bits += put(3, 3);  // bits "1", "1", "0"
    } else {
      bits += put(7, 3) + put(len[s], 4);
    }
  }
  return bits;
}

}  // namespace

uint64_t EstimateHuffmanBytes(const SymbolCounts& counts) {
  const double n = static_cast<double>(counts.n);
  double bits = static_cast<double>(counts.extra_bits);
  int lo = -1, hi = -1;
  for (int s = 0; s < kNumSymbols; ++s) {
    const uint32_t c = counts.count[s];
    if (c == 0) continue;
    if (lo < 0) lo = s;
    hi = s;
    // A code is at least one bit (none for a column of one symbol) and at most kMaxCodeLength.
    const double len = std::clamp(std::log2(n / c), 1.0, static_cast<double>(kMaxCodeLength));
    bits += static_cast<double>(c) * len;
  }
  if (lo == hi) bits = static_cast<double>(counts.extra_bits);
  // The table: lo, hi, then about two bits a symbol of the range.
  const uint64_t table = 2 + (4 + 2 * static_cast<uint64_t>(hi - lo) + 7) / 8;
  const uint64_t payload = static_cast<uint64_t>(bits + 7) / 8;
  return table + (payload < 128 ? 1 : 2) + payload;
}

HuffmanEncoder::HuffmanEncoder(const SymbolCounts& counts) {
  std::array<int, kNumSymbols> syms;
  std::array<uint64_t, kNumSymbols> weights;
  int n = 0;
  for (int s = 0; s < kNumSymbols; ++s) {
    if (counts.count[s] == 0) continue;
    syms[n] = s;
    weights[n] = counts.count[s];
    ++n;
  }
  lo_ = syms[0];
  hi_ = syms[n - 1];
  if (n == 1) {  // the only symbol takes zero bits
    table_bits_ = WriteLengths(len_, lo_, hi_, nullptr);
    return;
  }
  std::array<int, kNumSymbols> lengths;
  for (;;) {
    HuffmanLengths(weights.data(), n, lengths.data());
    if (*std::max_element(lengths.begin(), lengths.begin() + n) <= kMaxCodeLength) break;
    // Flatten the distribution until the code fits; converges since equal weights give a
    // balanced tree of depth <= 8.
    for (int k = 0; k < n; ++k) weights[k] = (weights[k] + 1) / 2;
  }
  for (int k = 0; k < n; ++k) len_[syms[k]] = static_cast<uint8_t>(lengths[k]);
  const bool complete = AssignCodes(len_, lo_, hi_, &code_);
  (void)complete;  // Huffman lengths always satisfy Kraft with equality
  table_bits_ = WriteLengths(len_, lo_, hi_, nullptr);
}

uint64_t HuffmanEncoder::PayloadBits(const SymbolCounts& counts) const {
  uint64_t bits = counts.extra_bits;
  for (int s = lo_; s <= hi_; ++s) bits += static_cast<uint64_t>(counts.count[s]) * len_[s];
  return bits;
}

void HuffmanEncoder::WriteTable(std::string* out) const {
  out->push_back(static_cast<char>(lo_));
  out->push_back(static_cast<char>(hi_));
  BitWriter w(out);
  WriteLengths(len_, lo_, hi_, &w);
  w.Flush();
}

bool HuffmanDecoder::ReadTable(std::string_view* in) {
  if (in->size() < 2) return false;
  const int lo = static_cast<uint8_t>((*in)[0]);
  const int hi = static_cast<uint8_t>((*in)[1]);
  if (lo > hi || hi >= kNumSymbols) return false;
  std::array<uint8_t, 256> len{};
  BitReader r(in->data() + 2, in->size() - 2);
  size_t bits = 0;
  int prev = 0;
  int present = 0;
  for (int s = lo; s <= hi; ++s) {
    int l;
    if (s == lo) {
      l = static_cast<int>(r.Read(4));
      bits += 4;
    } else if (r.Read(1) == 0) {
      l = prev;
      bits += 1;
    } else if (r.Read(1) == 0) {
      l = prev + 1;
      bits += 2;
    } else if (r.Read(1) == 0) {
      l = prev - 1;
      bits += 3;
    } else {
      l = static_cast<int>(r.Read(4));
      bits += 7;
    }
    if (l < 0 || l > kMaxCodeLength) return false;
    len[s] = static_cast<uint8_t>(l);
    prev = l;
    if (l != 0) ++present;
  }
  if (!r.ok()) return false;
  in->remove_prefix(2 + (bits + 7) / 8);
  max_extra_bits_ = kSymbolInfo[hi].extra_bits;
  if (present == 1) {
    if (len[lo] == 0 || lo != hi) return false;
    mask_ = 0;
    table_[0] = static_cast<uint32_t>(lo << 10 | kSymbolInfo[lo].extra_bits << 4);
    return true;
  }
  std::array<uint16_t, 256> code{};
  if (present == 0 || !AssignCodes(len, lo, hi, &code)) return false;
  // The table covers the longest code only: a short series' column (a few hundred residuals)
  // would otherwise spend as long filling 2^11 entries as decoding.
  int longest = 0;
  for (int s = lo; s <= hi; ++s) longest = std::max<int>(longest, len[s]);
  const uint32_t size = 1u << longest;
  mask_ = size - 1;
  for (int s = lo; s <= hi; ++s) {
    if (len[s] == 0) continue;
    const uint32_t entry = static_cast<uint32_t>(s << 10 | kSymbolInfo[s].extra_bits << 4 | len[s]);
    for (uint32_t fill = code[s]; fill < size; fill += 1u << len[s]) table_[fill] = entry;
  }
  return true;
}

}  // namespace vigil::tsdb::block
