// Fuzzes IAM policy documents: the parser, and, for a document it accepts, the evaluation
// against requests that exercise actions, resources and every condition family.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view document(reinterpret_cast<const char*>(data), size);
  vigil::StatusOr<vigil::auth::Policy> policy = vigil::auth::ParsePolicy("fuzz", document);
  if (!policy.ok()) return 0;
  static const vigil::auth::AccessRequest* requests = [] {
    auto* r = new vigil::auth::AccessRequest[2];
    r[0].action = "cloudwatch:PutMetricData";
    r[0].resource = "*";
    r[0].Set("aws:SourceIp", "203.0.113.7");
    r[0].Set("aws:SecureTransport", "true");
    r[0].Set("aws:CurrentTime", "2026-11-26T12:00:00Z");
    r[0].Set("aws:EpochTime", "1795694400");
    r[0].Set("aws:username", "alice");
    r[1].action = "vigil:Deploy";
    r[1].resource = "arn:vigil:vigil:::app/shop";
    r[1].Set("aws:SourceIp", "2001:db8::1");
    r[1].context["aws:tagkeys"] = {"team", "env"};
    return r;
  }();
  for (int i = 0; i < 2; ++i) {
    const vigil::auth::Policy* one[] = {&*policy};
    (void)vigil::auth::Evaluate(one, requests[i]);
  }
  return 0;
}
