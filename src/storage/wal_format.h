#pragma once
// Private to the WAL: the on-disk framing shared by wal_writer.cc and wal_replay.cc.
// The format is specified in docs/format/wal.md; change both together.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::storage::wal {

// Segment header: magic "VWAL", fixed32 version, fixed32 masked CRC32C of the first 8 bytes.
inline constexpr char kMagic[4] = {'V', 'W', 'A', 'L'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kSegmentHeaderSize = 12;

// Record header: fixed32 masked CRC32C of bytes [4, 9 + length), fixed32 length, type byte.
inline constexpr size_t kRecordHeaderSize = 9;
inline constexpr uint32_t kMaxRecordSize = 0xffffffffu;
enum class RecordType : uint8_t {
  kZero = 0,  // never written: a zero-filled region reads as this and is treated as damage
  kFull = 1,  // the whole record in one frame
};

// A CRC stored next to the data it covers is masked so that CRCs of byte strings which
// themselves contain CRCs (a WAL record holding a block footer, say) stay well distributed.
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t UnmaskCrc(uint32_t masked) {
  uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

// The 12 header bytes every segment starts with.
std::string EncodeSegmentHeader();

enum class HeaderCheck { kOk, kDamaged, kUnsupportedVersion };
// Checks the first kSegmentHeaderSize bytes of a segment. REQUIRES: header.size() >= 12.
// kUnsupportedVersion: an intact header (CRC matches) of a version this code cannot read.
HeaderCheck CheckSegmentHeader(std::string_view header, uint32_t* version);

// Writes the kRecordHeaderSize bytes framing `payload` (a kFull record) into dst.
// REQUIRES: payload.size() <= kMaxRecordSize.
void EncodeRecordHeader(char* dst, std::string_view payload);

// "00000042": at least 8 digits, zero-padded.
std::string SegmentName(uint64_t seq);
std::string SegmentPath(const std::string& dir, uint64_t seq);
// True when `name` is a segment name (8 or more decimal digits); sets *seq.
bool ParseSegmentName(std::string_view name, uint64_t* seq);
// Sequence numbers of the segments in `dir`, ascending. Other entries are ignored.
StatusOr<std::vector<uint64_t>> ListSegments(const std::string& dir);

}  // namespace vigil::storage::wal
