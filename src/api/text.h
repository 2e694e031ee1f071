#pragma once
// Text helpers shared by the protocol codecs: UTF-8 checks, XML/JSON escaping, AWS number and
// timestamp formats, base64 for continuation tokens. Pure functions, thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::api {

// True when `text` is valid UTF-8 without control characters (U+0000..U+001F, U+007F): what
// the api accepts in names and dimension values, so that every stored string renders in XML.
bool IsValidText(std::string_view text);

// `text` with invalid UTF-8 bytes and control characters other than tab and newline replaced
// by '?', cut after about max_bytes (then "..." is appended): user input echoed in messages.
std::string Printable(std::string_view text, size_t max_bytes = 256);

// Appends `text` escaped for XML character data (& < > " ' and CR as references; other
// control characters, never valid in XML 1.0, become '?').
void AppendXmlEscaped(std::string* out, std::string_view text);
// Appends `text` as a JSON string literal, quotes included. UTF-8 passes through.
void AppendJsonString(std::string* out, std::string_view text);
// The same into p, which has room for JsonStringMaxBytes(text) bytes; returns the end.
inline size_t JsonStringMaxBytes(std::string_view text) { return 6 * text.size() + 2; }
char* WriteJsonString(char* p, std::string_view text);

// Appends the shortest text that reads back as `value`, with ".0" added to integral values the
// way AWS (and Python's repr) write doubles: 3.0, 12.5, 1e+21. Non-finite values are written
// as 0.0: they cannot be stored, so this never happens for stored data.
void AppendAwsDouble(std::string* out, double value);
// The same into p, which has room for kAwsDoubleMaxBytes bytes; returns the end.
inline constexpr size_t kAwsDoubleMaxBytes = 32;
char* WriteAwsDouble(char* p, double value);

// ISO 8601 UTC: "2025-01-15T00:05:00Z", or "2025-01-15T00:05:00.250Z" when ms is not 0.
std::string FormatIsoTimestamp(int64_t epoch_ms);
// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", "YYYY-MM-DD" (midnight UTC), or a
// plain number of epoch seconds (possibly fractional). Milliseconds since the epoch, or
// nullopt when the text is none of these.
std::optional<int64_t> ParseTimestamp(std::string_view text);

std::string Base64Encode(std::string_view data);
// Strict standard base64 (padding required); nullopt on any malformed input.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace vigil::api
