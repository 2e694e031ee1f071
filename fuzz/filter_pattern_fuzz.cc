// Fuzzes CloudWatch Logs filter patterns: "pattern\nmessage" — the pattern parsed (terms,
// quoted phrases, ?alternatives, -exclusions, [space-delimited fields], { $.json selectors
// with && || and comparisons }), then matched and extracted against the message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "logs/filter_pattern.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::Fields in(data, size);
  const std::string_view text = in.Next();
  vigil::StatusOr<vigil::logs::FilterPattern> pattern = vigil::logs::FilterPattern::Parse(text);
  if (!pattern.ok()) return 0;
  const std::string_view message = in.Rest();
  const bool matched = pattern->Matches(message);
  static const std::vector<std::string> selectors = {"$.latency", "$.a.b[0]", "$status", "1"};
  const vigil::logs::FilterPattern::Extraction e = pattern->Extract(message, selectors);
  if (e.matched != matched) __builtin_trap();  // one reading of a message, two answers
  (void)pattern->Value("$.latency", message);
  return 0;
}
