#pragma once
// vigil::storage — byte-level building blocks shared by the on-disk engines:
// CRC32C, varint/zigzag/fixed coding, bit streams, file helpers, and the segmented WAL.
#include "storage/coding.h"
#include "storage/crc32c.h"
#include "storage/file_util.h"
#include "storage/wal.h"
