#pragma once
// meta.json of a block: the human-readable description of its contents and files
// (docs/format/block.md, "meta.json"). Private to tsdb/block.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tsdb/block/block.h"

namespace vigil::tsdb::block {

// What meta.json records beyond BlockMeta: the sizes the block's files must have, so a
// truncated file is found at Open, and the split of num_samples.
struct MetaFiles {
  uint64_t index_bytes = 0;
  uint64_t chunks_bytes = 0;
  uint64_t raw_samples = 0;
  uint64_t stat_samples = 0;
};

std::string EncodeMeta(const BlockMeta& meta, const MetaFiles& files);

// DataLoss naming `path` (and the byte offset of a syntax error) when the text is not a
// meta.json of a supported version.
Status DecodeMeta(const std::string& path, std::string_view text, BlockMeta* meta,
                  MetaFiles* files);

}  // namespace vigil::tsdb::block
