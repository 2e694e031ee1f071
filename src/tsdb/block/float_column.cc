// Float columns: decimal mantissas with one scale per column when exact, Gorilla XOR otherwise.
#include <bit>
#include <cmath>
#include <memory>
#include <vector>

#include "storage/coding.h"
#include "tsdb/block/bit_io.h"
#include "tsdb/block/column_codec.h"

namespace vigil::tsdb::block {
namespace {

enum FloatKind : uint8_t { kDecimal = 0, kXor = 1 };

// 10^k is exact in a double up to k = 22, so m / 10^k is one correctly rounded IEEE division
// (Clinger's fast path): the decoder reproduces exactly the double the encoder verified.
constexpr int kMaxScale = 22;
constexpr double kPow10[kMaxScale + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                          1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                          1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double FromDecimal(int64_t m, int k) {
  return k == 0 ? static_cast<double>(m) : static_cast<double>(m) / kPow10[k];
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// Finds m with FromDecimal(m, k) bit-identical to v.
bool ToDecimal(double v, int k, int64_t* m) {
  const double x = v * kPow10[k];
  if (!(std::fabs(x) < 9.2e18)) return false;  // also rejects NaN and infinities
  *m = std::llround(x);
  return SameBits(FromDecimal(*m, k), v);
}

// The smallest scale at which every value is an exact decimal, or -1.
int ColumnScale(std::span<const double> values) {
  int k = 0;
  int64_t m;
  for (const double v : values) {
    while (!ToDecimal(v, k, &m)) {
      if (++k > kMaxScale) return -1;
    }
  }
  return k;
}

bool EncodeDecimal(std::span<const double> values, std::string* out) {
  const int k = ColumnScale(values);
  if (k < 0) return false;
  std::vector<int64_t> mantissas(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!ToDecimal(values[i], k, &mantissas[i])) return false;
  }
  out->push_back(static_cast<char>(kDecimal));
  out->push_back(static_cast<char>(k));
  EncodeIntColumn(mantissas, 0, out);
  return true;
}

// Gorilla (Pelkonen et al., VLDB 2015) XOR coding of the value bits, LSB-first.
void EncodeXor(std::span<const double> values, std::string* out) {
  std::string payload;
  BitWriter w(&payload);
  uint64_t prev = std::bit_cast<uint64_t>(values[0]);
  w.Write(prev, 64);
  int lead = -1;  // current window; -1 before the first one
  int trail = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    const uint64_t bits = std::bit_cast<uint64_t>(values[i]);
    const uint64_t x = bits ^ prev;
    prev = bits;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    const int l = std::countl_zero(x);
    const int t = std::countr_zero(x);
    if (lead >= 0 && l >= lead && t >= trail) {
      w.Write(1, 2);  // bits "1", "0": same window
      w.Write(x >> trail, 64 - lead - trail);
      continue;
    }
    lead = l;
    trail = t;
    const int sig = 64 - l - t;
    w.Write(3, 2);  // bits "1", "1": new window
    w.Write(static_cast<uint64_t>(l), 6);
    w.Write(static_cast<uint64_t>(sig - 1), 6);
    w.Write(x >> t, sig);
  }
  w.Flush();
  out->push_back(static_cast<char>(kXor));
  storage::PutLengthPrefixed(out, payload);
}

bool DecodeXor(std::string_view payload, size_t limit, double* out) {
  if (limit == 0) return true;
  BitReader r(payload.data(), payload.size());
  uint64_t prev = r.Read(64);
  out[0] = std::bit_cast<double>(prev);
  int lead = -1;
  int trail = 0;
  for (size_t i = 1; i < limit; ++i) {
    if (r.Read(1) != 0) {
      if (r.Read(1) != 0) {
        lead = static_cast<int>(r.Read(6));
        const int sig = static_cast<int>(r.Read(6)) + 1;
        if (lead + sig > 64) return false;
        trail = 64 - lead - sig;
      } else if (lead < 0) {
        return false;
      }
      prev ^= r.Read(64 - lead - trail) << trail;
    }
    out[i] = std::bit_cast<double>(prev);
  }
  return r.ok();
}

}  // namespace

void EncodeFloatColumn(std::span<const double> values, std::string* out) {
  if (values.empty()) return;
  std::string decimal;
  const bool is_decimal = EncodeDecimal(values, &decimal);
  // XOR needs at least a couple of bits per changing value; a decimal column under two bytes
  // a value is never worse, so skip the second encoding (it costs compaction time).
  if (is_decimal && decimal.size() <= 2 * values.size()) {
    out->append(decimal);
    return;
  }
  std::string xored;
  EncodeXor(values, &xored);
  out->append(is_decimal && decimal.size() <= xored.size() ? decimal : xored);
}

bool DecodeFloatColumn(std::string_view* in, size_t n, size_t limit, double* out) {
  if (n == 0) return true;
  if (in->empty() || limit > n) return false;
  const uint8_t kind = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  if (kind == kXor) {
    std::string_view payload;
    return storage::GetLengthPrefixed(in, &payload) && DecodeXor(payload, limit, out);
  }
  if (kind != kDecimal || in->empty()) return false;
  const int k = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  if (k > kMaxScale) return false;
  const auto mantissas = std::make_unique_for_overwrite<int64_t[]>(limit);
  if (!DecodeIntColumn(in, n, 0, limit, mantissas.get())) return false;
  if (k == 0) {
    for (size_t i = 0; i < limit; ++i) out[i] = static_cast<double>(mantissas[i]);
  } else {
    const double scale = kPow10[k];
    for (size_t i = 0; i < limit; ++i) out[i] = static_cast<double>(mantissas[i]) / scale;
  }
  return true;
}

}  // namespace vigil::tsdb::block
