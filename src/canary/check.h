#pragma once
// Private to vigil::canary: what a step's answer must be, as pure functions of the answer (no
// I/O), and the JSON paths the checks use.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "canary/canary.h"
#include "common/status.h"

namespace vigil::canary {

// A parsed JSON path: object keys and array indexes from the root.
using PathToken = std::variant<std::string, size_t>;
using JsonPath = std::vector<PathToken>;

// "/a/0/b~1c" (RFC 6901 JSON pointer; "" is the whole document) or "$.a[0]['b/c']" ($ alone
// is the whole document; after `.` a key runs to the next '.' or '['; bracketed keys are
// quoted with ' or " and may hold anything but their quote). A pointer token of digits
// selects an array element when the value there is an array, else an object key.
// InvalidArgument saying what is wrong and where.
StatusOr<JsonPath> ParseJsonPath(std::string_view text);

// The value at `path` in `doc`, or nullptr when it is not there (`*missing` then names the
// part that is missing: "no key 'b'", "index 3 out of 2 elements", "'a' is a number").
const nlohmann::json* FindJson(const nlohmann::json& doc, const JsonPath& path,
                               std::string* missing);

// What a step's answer is measured by.
struct Answer {
  int status = 0;
  std::string body;
  int64_t latency_ms = 0;
};

// The first check of `step` that `answer` fails, in the order status, latency, body_contains,
// json_equals, as a sentence for people ("status 503, expected 200"); "" when all pass.
// REQUIRES: ValidateStep(step) is OK.
std::string CheckAnswer(const Step& step, const Answer& answer);

// `text` cut to about `max` bytes with "..." when longer, for messages.
std::string Abbreviate(std::string_view text, size_t max = 80);

}  // namespace vigil::canary
