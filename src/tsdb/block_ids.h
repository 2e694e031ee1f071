#pragma once
// Names of block directories: "<seq:016x>-w<wal:08>", e.g. "000000000000002a-w00000017".
// `seq` orders blocks by creation; `wal` is the WAL segment number below which every sample is
// in blocks (the segment the WAL was rotated to when the head was cut; for a compaction output,
// the largest of its inputs). Renaming the block into place is thus also the atomic commit of
// "segments < wal are obsolete": Open skips them even if the process died before deleting them.
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace vigil::tsdb {

inline std::string FormatBlockId(uint64_t seq, uint64_t wal_marker) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64 "-w%08" PRIu64, seq, wal_marker);
  return buf;
}

// False when `id` is not a block id (e.g. a "<id>.tmp" directory of an unfinished write).
inline bool ParseBlockId(std::string_view id, uint64_t* seq, uint64_t* wal_marker) {
  if (id.size() < 19 || id[16] != '-' || id[17] != 'w') return false;
  uint64_t s = 0, w = 0;
  for (size_t i = 0; i < 16; ++i) {
    const char c = id[i];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    s = (s << 4) | static_cast<uint64_t>(d);
  }
  for (size_t i = 18; i < id.size(); ++i) {
    const char c = id[i];
    if (c < '0' || c > '9' || w > (UINT64_MAX - 9) / 10) return false;
    w = w * 10 + static_cast<uint64_t>(c - '0');
  }
  *seq = s;
  *wal_marker = w;
  return true;
}

}  // namespace vigil::tsdb
