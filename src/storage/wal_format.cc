#include "storage/wal_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/file_util.h"

namespace vigil::storage::wal {

std::string EncodeSegmentHeader(std::string_view key_header) {
  std::string h(kMagic, sizeof(kMagic));
  PutFixed32(&h, key_header.empty() ? kVersion : kVersionEncrypted);
  PutFixed32(&h, MaskCrc(crc32c::Value(h)));
  if (key_header.empty()) return h;
  h.append(key_header);
  PutFixed32(&h, MaskCrc(crc32c::Value(h)));
  return h;
}

HeaderCheck CheckSegmentHeader(std::string_view data, uint32_t* version, size_t* size,
                               std::string_view* key_header) {
  uint32_t stored = UnmaskCrc(DecodeFixed32(data.data() + 8));
  if (std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0 ||
      stored != crc32c::Value(data.substr(0, 8))) {
    return HeaderCheck::kDamaged;
  }
  *version = DecodeFixed32(data.data() + 4);
  *key_header = {};
  if (*version == kVersion) {
    *size = kSegmentHeaderSize;
    return HeaderCheck::kOk;
  }
  if (*version != kVersionEncrypted) return HeaderCheck::kUnsupportedVersion;
  if (data.size() < kEncryptedHeaderSize ||
      UnmaskCrc(DecodeFixed32(data.data() + kEncryptedHeaderSize - 4)) !=
          crc32c::Value(data.substr(0, kEncryptedHeaderSize - 4))) {
    return HeaderCheck::kDamaged;
  }
  *size = kEncryptedHeaderSize;
  *key_header = data.substr(kSegmentHeaderSize, kEncryptedHeaderSize - 4 - kSegmentHeaderSize);
  return HeaderCheck::kOk;
}

void EncodeRecordHeader(char* dst, std::string_view payload) {
  const auto len = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) dst[4 + i] = static_cast<char>(len >> (8 * i));
  dst[8] = static_cast<char>(RecordType::kFull);
  uint32_t crc = crc32c::Extend(crc32c::Extend(0, dst + 4, 5), payload.data(), payload.size());
  uint32_t masked = MaskCrc(crc);
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(masked >> (8 * i));
}

std::string SegmentName(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%08llu", static_cast<unsigned long long>(seq));
  return buf;
}

std::string SegmentPath(const std::string& dir, uint64_t seq) {
  return dir + "/" + SegmentName(seq);
}

bool ParseSegmentName(std::string_view name, uint64_t* seq) {
  if (name.size() < 8 || name.size() > 20) return false;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (SegmentName(v) != name) return false;  // "000000001" is not the name of segment 1
  *seq = v;
  return true;
}

StatusOr<std::vector<uint64_t>> ListSegments(const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ListDir(dir));
  std::vector<uint64_t> seqs;
  for (const std::string& name : names) {
    uint64_t seq;
    if (ParseSegmentName(name, &seq)) seqs.push_back(seq);
  }
  // Names sort as numbers only while they have 8 digits; sort numerically.
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

}  // namespace vigil::storage::wal
