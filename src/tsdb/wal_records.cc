#include "tsdb/wal_records.h"

#include <bit>
#include <cmath>

#include "storage/coding.h"

namespace vigil::tsdb {
namespace {

using storage::GetFixed64;
using storage::GetLengthPrefixed;
using storage::GetVarint64;
using storage::GetVarsint64;
using storage::PutFixed64;
using storage::PutLengthPrefixed;
using storage::PutVarint64;
using storage::PutVarsint64;

void PutDouble(std::string* out, double v) { PutFixed64(out, std::bit_cast<uint64_t>(v)); }

bool GetDouble(std::string_view* in, double* v) {
  uint64_t bits;
  if (!GetFixed64(in, &bits)) return false;
  *v = std::bit_cast<double>(bits);
  return true;
}

// Timestamps are written as zigzag deltas: the first of a group against the record's append
// time (usually a few seconds away), each later one against its predecessor.
int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

Status Corrupt(std::string_view what) {
  return DataLossError("tsdb WAL record: " + std::string(what));
}

}  // namespace

void EncodeWalBatch(int64_t append_ms, std::span<const WalSeriesDef> defs,
                    std::span<const WalSeriesSamples> samples, std::string* out) {
  size_t estimate = 16;
  for (const auto& d : defs) estimate += d.key.size() + d.unit.size() + 16;
  for (const auto& s : samples) estimate += 16 + s.raw.size() * 12 + s.stats.size() * 36;
  out->reserve(out->size() + estimate);

  out->push_back(static_cast<char>(kWalRecordBatch));
  PutVarsint64(out, append_ms);
  PutVarint64(out, defs.size());
  for (const WalSeriesDef& d : defs) {
    PutVarint64(out, d.id);
    PutLengthPrefixed(out, d.key);
    PutLengthPrefixed(out, d.unit);
  }
  PutVarint64(out, samples.size());
  for (const WalSeriesSamples& s : samples) {
    size_t counted = 0;
    for (const RawSample& r : s.raw) counted += r.count != 1;
    PutVarint64(out, s.id);
    PutVarint64(out, s.raw.size());
    PutVarint64(out, counted);
    PutVarint64(out, s.stats.size());
    int64_t prev = append_ms;
    for (const RawSample& r : s.raw) {
      PutVarsint64(out, WrapSub(r.timestamp_ms, prev));
      prev = r.timestamp_ms;
      PutDouble(out, r.value);
    }
    if (counted > 0) {
      for (size_t i = 0; i < s.raw.size(); ++i) {
        if (s.raw[i].count == 1) continue;
        PutVarint64(out, i);
        PutDouble(out, s.raw[i].count);
      }
    }
    prev = append_ms;
    for (const StatSample& st : s.stats) {
      PutVarsint64(out, WrapSub(st.timestamp_ms, prev));
      prev = st.timestamp_ms;
      PutDouble(out, st.sample_count);
      PutDouble(out, st.sum);
      PutDouble(out, st.minimum);
      PutDouble(out, st.maximum);
    }
  }
}

Status DecodeWalBatch(std::string_view record, WalBatch* out) {
  out->defs.clear();
  out->groups.clear();
  out->raw.clear();
  out->stats.clear();
  std::string_view in = record;
  if (in.empty()) return Corrupt("empty");
  if (static_cast<uint8_t>(in[0]) != kWalRecordBatch) {
    return Corrupt("unknown type " + std::to_string(static_cast<uint8_t>(in[0])));
  }
  in.remove_prefix(1);
  uint64_t ndefs, ngroups;
  if (!GetVarsint64(&in, &out->append_ms) || !GetVarint64(&in, &ndefs)) {
    return Corrupt("truncated header");
  }
  // Every def and group takes at least 3 bytes: bounds the reservations below.
  if (ndefs > in.size()) return Corrupt("bad definition count");
  out->defs.reserve(ndefs);
  for (uint64_t i = 0; i < ndefs; ++i) {
    WalSeriesDef d;
    if (!GetVarint64(&in, &d.id) || !GetLengthPrefixed(&in, &d.key) ||
        !GetLengthPrefixed(&in, &d.unit)) {
      return Corrupt("truncated series definition");
    }
    out->defs.push_back(d);
  }
  if (!GetVarint64(&in, &ngroups) || ngroups > in.size()) return Corrupt("bad group count");
  out->groups.reserve(ngroups);
  for (uint64_t g = 0; g < ngroups; ++g) {
    WalBatch::Group group;
    uint64_t nraw, ncounted, nstats;
    if (!GetVarint64(&in, &group.id) || !GetVarint64(&in, &nraw) || !GetVarint64(&in, &ncounted) ||
        !GetVarint64(&in, &nstats)) {
      return Corrupt("truncated sample group");
    }
    // A raw sample takes >= 9 bytes, a stat sample >= 33: reject counts the record cannot hold.
    if (nraw > in.size() / 9 || ncounted > nraw || nstats > in.size() / 33) {
      return Corrupt("sample count larger than the record");
    }
    group.raw_begin = out->raw.size();
    int64_t prev = out->append_ms;
    for (uint64_t i = 0; i < nraw; ++i) {
      int64_t dt;
      RawSample r;
      if (!GetVarsint64(&in, &dt) || !GetDouble(&in, &r.value)) return Corrupt("truncated sample");
      if (!std::isfinite(r.value)) return Corrupt("non-finite value");
      r.timestamp_ms = prev = WrapAdd(prev, dt);
      r.count = 1;
      out->raw.push_back(r);
    }
    group.raw_end = out->raw.size();
    for (uint64_t i = 0; i < ncounted; ++i) {
      uint64_t idx;
      double count;
      if (!GetVarint64(&in, &idx) || !GetDouble(&in, &count)) return Corrupt("truncated count");
      if (idx >= nraw) return Corrupt("count index out of range");
      if (!(count > 0) || !std::isfinite(count)) return Corrupt("count not > 0");
      out->raw[group.raw_begin + idx].count = count;
    }
    group.stats_begin = out->stats.size();
    prev = out->append_ms;
    for (uint64_t i = 0; i < nstats; ++i) {
      int64_t dt;
      StatSample st;
      if (!GetVarsint64(&in, &dt) || !GetDouble(&in, &st.sample_count) ||
          !GetDouble(&in, &st.sum) || !GetDouble(&in, &st.minimum) ||
          !GetDouble(&in, &st.maximum)) {
        return Corrupt("truncated statistic set");
      }
      if (!(st.sample_count > 0) || !std::isfinite(st.sample_count) || !std::isfinite(st.sum) ||
          !std::isfinite(st.minimum) || !std::isfinite(st.maximum) || st.minimum > st.maximum) {
        return Corrupt("invalid statistic set");
      }
      st.timestamp_ms = prev = WrapAdd(prev, dt);
      out->stats.push_back(st);
    }
    group.stats_end = out->stats.size();
    out->groups.push_back(group);
  }
  if (!in.empty()) return Corrupt("trailing bytes");
  return OkStatus();
}

}  // namespace vigil::tsdb
