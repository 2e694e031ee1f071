// Fuzzes the CloudWatch query protocol (awscli v1): a form body — percent escapes, member
// lists, nested structures — decoded to an operation's typed input, then planned.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/cloudwatch_decode.h"
#include "fuzz/cloudwatch_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::string action;
  vigil::api::ApiOr<vigil::api::DecodedRequest> decoded =
      vigil::api::DecodeQueryRequest(body, &action);
  if (decoded.ok()) vigil::fuzz::PlanDecoded(decoded.value());
  return 0;
}
