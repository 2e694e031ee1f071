#pragma once
// Column codecs of the block format (docs/format/block.md, "Columns"): pure functions, no I/O.
// Private to tsdb/block.
//
// Integer columns (timestamps, decimal mantissas) pick, per column, the transform (plain,
// delta, delta-of-delta), the residual base (offset from the minimum, or zigzag around the
// median) and the residual coding (constant, Huffman-coded log buckets, or varints) that gives
// the fewest bytes. Float columns are stored as decimal mantissas m with one scale k per column
// (value = m / 10^k) when that reproduces every value bit for bit, else with Gorilla XOR.
//
// Round trips are exact for any input: integer arithmetic wraps modulo 2^64, and a float
// column only uses the decimal form after checking that decoding gives back the same bits
// (-0.0, NaN payloads, subnormals and huge values fall back to XOR).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vigil::tsdb::block {

// Appends the encoding of `values` to *out; nothing for an empty span. Absolute values are
// stored relative to `origin` (the block's time base for timestamps, 0 otherwise) so a
// column of timestamps near it starts with a short varint.
void EncodeIntColumn(std::span<const int64_t> values, int64_t origin, std::string* out);

// Decodes a column of `n` values from the front of *in and advances *in past the whole
// column. Stores the first `limit` (<= n) values in out[0..limit); later ones are skipped
// without decoding where the coding allows. False when the input is malformed.
bool DecodeIntColumn(std::string_view* in, size_t n, int64_t origin, size_t limit, int64_t* out);

// Appends the encoding of `values` to *out; nothing for an empty span.
void EncodeFloatColumn(std::span<const double> values, std::string* out);

// As DecodeIntColumn, for a float column.
bool DecodeFloatColumn(std::string_view* in, size_t n, size_t limit, double* out);

}  // namespace vigil::tsdb::block
