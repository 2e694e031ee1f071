// Fuzzes SigV4 verification with whole HTTP requests as a client sends them — "METHOD
// TARGET HTTP/1.1", header lines, a blank line, the body — so the seeds are the aws CLIs'
// captured requests, which verify: the fuzzer starts from the success path and mutates the
// Authorization header (its parser), X-Amz-Date, the signed header list, the path and query
// (the canonical request) and the body. The clock check is off (max_skew_ms = 0), as when the
// captures are replayed in tests.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/auth.h"
#include "auth/sigv4_internal.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const vigil::SystemClock clock;
  static vigil::auth::KeyStore* keys = [] {
    auto* k = new vigil::auth::KeyStore();
    k->Put({"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "root"});
    return k;
  }();
  static const vigil::auth::SigV4Verifier verifier(
      keys, &clock, vigil::auth::VerifierOptions{.max_skew_ms = 0, .region = "us-east-1"});

  vigil::fuzz::Fields in(data, size);
  auto trim_cr = [](std::string_view line) {
    return line.ends_with('\r') ? line.substr(0, line.size() - 1) : line;
  };
  const std::string_view request_line = trim_cr(in.Next());
  const size_t sp1 = request_line.find(' ');
  const std::string method(request_line.substr(0, sp1));
  std::string_view target =
      sp1 == std::string_view::npos ? std::string_view() : request_line.substr(sp1 + 1);
  target = target.substr(0, target.find(' '));
  const size_t q = target.find('?');
  const std::string path(target.substr(0, q));
  const std::string query(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
  std::vector<std::pair<std::string, std::string>> headers;
  for (std::string_view line = trim_cr(in.Next()); !line.empty(); line = trim_cr(in.Next())) {
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    if (headers.back().first == "Authorization") {
      (void)vigil::auth::sigv4::ParseAuthorization(headers.back().second);
    }
  }
  const std::string body(in.Rest());
  const vigil::auth::VerifyResult result =
      verifier.Verify(vigil::auth::SignedRequest{method, path, query, &headers, body, "192.0.2.1"});
  if (result.ok() && result.identity->access_key_id != "AKIDEXAMPLE") __builtin_trap();
  return 0;
}
