#include "fleet/exposition.h"

#include <charconv>
#include <cstdio>

namespace vigil::fleet {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names the same without ':'.
bool IsNameStart(char c, bool colon_ok) {
  return IsLetter(c) || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) { return IsNameStart(c, colon_ok) || IsDigit(c); }

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t min = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past Unicode are not UTF-8.
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// "'x'" for a printable character, "byte 0x07" for anything else; for error messages.
std::string Describe(char c) {
  if (c >= 0x20 && c < 0x7F) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "byte 0x%02X", static_cast<unsigned char>(c));
  return buf;
}

// A value as Go's strconv.ParseFloat reads decimal text: an optional sign, then digits with an
// optional fraction and exponent, or Inf/Infinity/NaN in any case.
bool ParseValue(std::string_view token, double* out) {
  bool negative = false;
  if (!token.empty() && (token[0] == '+' || token[0] == '-')) {
    negative = token[0] == '-';
    token.remove_prefix(1);
  }
  if (token.empty() || token[0] == '+' || token[0] == '-') return false;
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, *out, std::chars_format::general);
  if (ec != std::errc() || ptr != end) return false;
  if (negative) *out = -*out;
  return true;
}

bool ParseTimestamp(std::string_view token, int64_t* out) {
  if (token.size() > 1 && token[0] == '+' && token[1] != '-') token.remove_prefix(1);
  const char* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, *out);
  return !token.empty() && ec == std::errc() && ptr == end;
}

// Parses one line (no line end, not blank) into `out`. Errors are "line N: what".
class LineParser {
 public:
  LineParser(std::string_view line, size_t line_no, Exposition* out)
      : line_(line), line_no_(line_no), out_(out) {}

  Status Parse() {
    SkipBlanks();
    if (Peek() == '#') return ParseComment();
    return ParseSample();
  }

 private:
  bool AtEnd() const { return pos_ >= line_.size(); }
  char Peek() const { return AtEnd() ? '\0' : line_[pos_]; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(line_[pos_])) ++pos_;
  }
  std::string_view ReadToken() {
    const size_t begin = pos_;
    while (!AtEnd() && !IsBlank(line_[pos_])) ++pos_;
    return line_.substr(begin, pos_ - begin);
  }
  std::string_view ReadName(bool colon_ok) {
    const size_t begin = pos_;
    if (AtEnd() || !IsNameStart(line_[pos_], colon_ok)) return {};
    while (!AtEnd() && IsNameChar(line_[pos_], colon_ok)) ++pos_;
    return line_.substr(begin, pos_ - begin);
  }
  Status Error(std::string_view what) const {
    return InvalidArgumentError("line " + std::to_string(line_no_) + ": " + std::string(what));
  }
  // "unexpected <char> <where>", or "unexpected end of line <where>".
  Status Unexpected(std::string_view where) const {
    return Error("unexpected " + (AtEnd() ? std::string("end of line") : Describe(Peek())) + " " +
                 std::string(where));
  }

  Status ParseComment() {
    ++pos_;  // '#'
    SkipBlanks();
    const std::string_view keyword = ReadToken();
    if (keyword != "HELP" && keyword != "TYPE") return OkStatus();  // a plain comment
    SkipBlanks();
    const std::string_view name = ReadName(/*colon_ok=*/true);
    if (name.empty()) return Error("expected metric name after # " + std::string(keyword));
    if (!AtEnd() && !IsBlank(Peek())) return Unexpected("in metric name");
    if (keyword == "HELP") return OkStatus();  // the docstring is not kept
    SkipBlanks();
    const std::string_view type = ReadToken();
    if (type.empty()) return Error("expected metric type after # TYPE " + std::string(name));
    if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
        type != "untyped") {
      return Error("unknown metric type '" + std::string(type) + "'");
    }
    SkipBlanks();
    if (!AtEnd()) return Unexpected("after the metric type");
    if (!out_->types.emplace(std::string(name), std::string(type)).second) {
      return Error("second # TYPE line for metric '" + std::string(name) + "'");
    }
    return OkStatus();
  }

  Status ParseSample() {
    ExpositionSample sample;
    const std::string_view name = ReadName(/*colon_ok=*/true);
    if (name.empty()) return Unexpected("where a metric name should start");
    sample.name = name;
    if (!AtEnd() && !IsBlank(Peek()) && Peek() != '{') return Unexpected("in metric name");
    SkipBlanks();
    if (Peek() == '{') {
      RETURN_IF_ERROR(ParseLabels(&sample));
      SkipBlanks();
    }
    const std::string_view value = ReadToken();
    if (value.empty()) return Error("expected a value after the metric");
    if (!ParseValue(value, &sample.value)) return Error("bad value '" + std::string(value) + "'");
    SkipBlanks();
    if (!AtEnd()) {
      const std::string_view timestamp = ReadToken();
      int64_t ms = 0;
      if (!ParseTimestamp(timestamp, &ms)) {
        return Error("bad timestamp '" + std::string(timestamp) + "'");
      }
      sample.timestamp_ms = ms;
      SkipBlanks();
      if (!AtEnd()) return Unexpected("after the timestamp");
    }
    out_->samples.push_back(std::move(sample));
    return OkStatus();
  }

  // From '{' to past the matching '}'.
  Status ParseLabels(ExpositionSample* sample) {
    ++pos_;  // '{'
    while (true) {
      SkipBlanks();
      if (Peek() == '}') break;  // an empty set, or a trailing comma
      const std::string_view name = ReadName(/*colon_ok=*/false);
      if (name.empty()) return Unexpected("where a label name or '}' should be");
      SkipBlanks();
      if (Peek() != '=') return Error("expected '=' after label name '" + std::string(name) + "'");
      ++pos_;
      SkipBlanks();
      if (Peek() != '"') {
        return Error("expected '\"' to open the value of label '" + std::string(name) + "'");
      }
      ++pos_;
      std::string value;
      RETURN_IF_ERROR(ParseLabelValue(name, &value));
      for (const auto& [existing, unused] : sample->labels) {
        if (existing == name) return Error("duplicate label '" + std::string(name) + "'");
      }
      if (sample->labels.size() == kMaxExpositionLabels) {
        return Error("more than " + std::to_string(kMaxExpositionLabels) + " labels");
      }
      sample->labels.emplace_back(std::string(name), std::move(value));
      SkipBlanks();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') break;
      return Unexpected("after a label value (expected ',' or '}')");
    }
    ++pos_;  // '}'
    return OkStatus();
  }

  // From past the opening quote to past the closing one.
  Status ParseLabelValue(std::string_view name, std::string* value) {
    while (true) {
      if (AtEnd()) return Error("unterminated value of label '" + std::string(name) + "'");
      const char c = line_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        value->push_back(c);
        continue;
      }
      if (AtEnd()) return Error("unterminated value of label '" + std::string(name) + "'");
      const char escaped = line_[pos_++];
      if (escaped == 'n') {
        value->push_back('\n');
      } else if (escaped == '\\' || escaped == '"') {
        value->push_back(escaped);
      } else {
        value->push_back('\\');
        value->push_back(escaped);
      }
    }
    if (!ValidUtf8(*value)) {
      return Error("value of label '" + std::string(name) + "' is not UTF-8");
    }
    return OkStatus();
  }

  std::string_view line_;
  size_t line_no_;
  Exposition* out_;
  size_t pos_ = 0;
};

}  // namespace

StatusOr<Exposition> ParseExposition(std::string_view text) {
  Exposition out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxExpositionLineBytes) {
      return InvalidArgumentError("line " + std::to_string(line_no) + ": longer than " +
                                  std::to_string(kMaxExpositionLineBytes) + " bytes");
    }
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    size_t first = 0;
    while (first < line.size() && IsBlank(line[first])) ++first;
    if (first == line.size()) continue;
    RETURN_IF_ERROR(LineParser(line, line_no, &out).Parse());
  }
  return out;
}

}  // namespace vigil::fleet
