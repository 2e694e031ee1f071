// Fuzzes Prometheus remote write: a snappy block (its declared length checked before any
// allocation), then the protobuf WriteRequest inside — the input is tried both as the
// compressed body and as the already uncompressed message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/remote_write_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  vigil::api::DecodedWrite write;
  vigil::api::WriteRequestStats stats;
  (void)vigil::api::DecodeWriteRequest(in, "Prometheus", &write, &stats);
  std::string message;
  if (vigil::api::SnappyUncompress(in, 1 << 20, &message).ok()) {
    (void)vigil::api::DecodeWriteRequest(message, "Prometheus", &write, &stats);
  }
  return 0;
}
