#include "tsdb/block/entropy.h"

#include <algorithm>
#include <numeric>
#include <vector>

namespace vigil::tsdb::block {
namespace {

// Optimal code lengths for `weights` (all > 0, at least two) by the two-queue method over
// leaves sorted by weight; ties prefer leaves so the result is deterministic.
std::vector<int> HuffmanLengths(const std::vector<uint64_t>& weights) {
  const int n = static_cast<int>(weights.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return weights[a] < weights[b]; });
  std::vector<uint64_t> w(2 * n - 1);
  std::vector<int> parent(2 * n - 1, -1);
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
  std::vector<int> depth(2 * n - 1, 0);
  for (int k = 2 * n - 3; k >= 0; --k) depth[k] = depth[parent[k]] + 1;
  std::vector<int> lengths(n);
  for (int k = 0; k < n; ++k) lengths[order[k]] = depth[k];
  return lengths;
}

// Canonical codes (bit-reversed for LSB-first streams) for the lengths of symbols [lo, hi].
// Returns false when the lengths do not form a complete prefix code.
bool AssignCodes(const std::array<uint8_t, 256>& len, int lo, int hi,
                 std::array<uint16_t, 256>* code) {
  std::vector<int> syms;
  uint32_t kraft = 0;
  for (int s = lo; s <= hi; ++s) {
    if (len[s] == 0) continue;
    syms.push_back(s);
    kraft += 1u << (kMaxCodeLength - len[s]);
  }
  if (kraft != (1u << kMaxCodeLength)) return false;
  std::stable_sort(syms.begin(), syms.end(), [&](int a, int b) { return len[a] < len[b]; });
  uint32_t next = 0;
  int prev_len = len[syms.front()];
  for (int s : syms) {
    next <<= (len[s] - prev_len);
    prev_len = len[s];
    uint32_t rev = 0;
    for (int b = 0; b < len[s]; ++b) rev |= ((next >> b) & 1) << (len[s] - 1 - b);
    (*code)[s] = static_cast<uint16_t>(rev);
    ++next;
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

HuffmanEncoder::HuffmanEncoder(const SymbolCounts& counts) {
  std::vector<int> syms;
  std::vector<uint64_t> weights;
  for (int s = 0; s < kNumSymbols; ++s) {
    if (counts.count[s] == 0) continue;
    syms.push_back(s);
    weights.push_back(counts.count[s]);
  }
  lo_ = syms.front();
  hi_ = syms.back();
  if (syms.size() == 1) {  // the only symbol takes zero bits
    table_bits_ = WriteLengths(len_, lo_, hi_, nullptr);
    return;
  }
  std::vector<int> lengths;
  for (;;) {
    lengths = HuffmanLengths(weights);
    if (*std::max_element(lengths.begin(), lengths.end()) <= kMaxCodeLength) break;
    // Flatten the distribution until the code fits; converges since equal weights give a
    // balanced tree of depth <= 8.
    for (uint64_t& w : weights) w = (w + 1) / 2;
  }
  for (size_t k = 0; k < syms.size(); ++k) len_[syms[k]] = static_cast<uint8_t>(lengths[k]);
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
    table_.fill(static_cast<uint32_t>(lo << 10 | kSymbolInfo[lo].extra_bits << 4));
    return true;
  }
  std::array<uint16_t, 256> code{};
  if (present == 0 || !AssignCodes(len, lo, hi, &code)) return false;
  for (int s = lo; s <= hi; ++s) {
    if (len[s] == 0) continue;
    const uint32_t entry = static_cast<uint32_t>(s << 10 | kSymbolInfo[s].extra_bits << 4 | len[s]);
    for (uint32_t fill = code[s]; fill < (1u << kMaxCodeLength); fill += 1u << len[s]) {
      table_[fill] = entry;
    }
  }
  return true;
}

}  // namespace vigil::tsdb::block
