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
// Version 2 (encrypted) goes on with the file key header (FileCipher::kHeaderBytes) and a
// fixed32 masked CRC32C of everything before it.
inline constexpr char kMagic[4] = {'V', 'W', 'A', 'L'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kVersionEncrypted = 2;
inline constexpr size_t kSegmentHeaderSize = 12;
inline constexpr size_t kEncryptedHeaderSize = 36;
// An encrypted record's payload: fixed64 record number n (increasing within a segment), then
// the record sealed as number n (FileCipher; 16 bytes longer than the record).
inline constexpr size_t kSealedRecordOverhead = 8 + 16;

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

// The header every segment starts with: version 1 (12 bytes) when `key_header` is empty,
// otherwise version 2 carrying it (kEncryptedHeaderSize bytes).
std::string EncodeSegmentHeader(std::string_view key_header = {});

enum class HeaderCheck { kOk, kDamaged, kUnsupportedVersion };
// Checks the header at the start of `data` (a whole segment). REQUIRES: data.size() >= 12.
// kUnsupportedVersion: an intact header (CRC matches) of a version this code cannot read.
// On kOk sets *size to the header's size and, for version 2, *key_header to the file key
// header (empty for version 1); a version 2 header cut short or with a bad second CRC is
// kDamaged.
HeaderCheck CheckSegmentHeader(std::string_view data, uint32_t* version, size_t* size,
                               std::string_view* key_header);

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
