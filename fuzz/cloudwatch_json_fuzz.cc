// Fuzzes the CloudWatch JSON 1.0 protocol (awscli v2): "Operation\n{json body}" decoded to the
// operation's typed input, then planned.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/cloudwatch_decode.h"
#include "fuzz/cloudwatch_plan.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::Fields in(data, size);
  const std::string_view operation = in.Next();
  vigil::api::ApiOr<vigil::api::DecodedRequest> decoded =
      vigil::api::DecodeJsonRequest(operation, in.Rest());
  if (decoded.ok()) vigil::fuzz::PlanDecoded(decoded.value());
  return 0;
}
