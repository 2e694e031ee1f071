#include "canary/check.h"

#include <charconv>

namespace vigil::canary {
namespace {

using nlohmann::json;

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

StatusOr<size_t> Index(std::string_view digits) {
  size_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (!AllDigits(digits) || ec != std::errc() || end != digits.data() + digits.size()) {
    return InvalidArgumentError("bad array index '" + std::string(digits) + "'");
  }
  return v;
}

// RFC 6901: "/a/b~1c/0" -> {"a", "b/c", "0"}.
StatusOr<JsonPath> ParsePointer(std::string_view text) {
  JsonPath path;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find('/', at + 1), text.size());
    std::string token;
    for (size_t i = at + 1; i < end; ++i) {
      if (text[i] != '~') {
        token += text[i];
      } else if (i + 1 < end && (text[i + 1] == '0' || text[i + 1] == '1')) {
        token += text[++i] == '0' ? '~' : '/';
      } else {
        return InvalidArgumentError("'~' at offset " + std::to_string(i) +
                                    " must be followed by 0 or 1");
      }
    }
    path.emplace_back(std::move(token));
    at = end;
  }
  return path;
}

// "$.a[0]['b.c']" -> {"a", 0, "b.c"}.
StatusOr<JsonPath> ParseDollar(std::string_view text) {
  JsonPath path;
  size_t i = 1;
  const auto error = [&](const std::string& what) {
    return InvalidArgumentError(what + " at offset " + std::to_string(i));
  };
  while (i < text.size()) {
    if (text[i] == '.') {
      const size_t end = std::min(text.find_first_of(".[", i + 1), text.size());
      if (end == i + 1) return error("empty key");
      path.emplace_back(std::string(text.substr(i + 1, end - i - 1)));
      i = end;
    } else if (text[i] == '[') {
      ++i;
      if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
        const size_t close = text.find(text[i], i + 1);
        if (close == std::string_view::npos) return error("unterminated quoted key");
        path.emplace_back(std::string(text.substr(i + 1, close - i - 1)));
        i = close + 1;
      } else {
        const size_t close = text.find(']', i);
        if (close == std::string_view::npos) return error("missing ']'");
        StatusOr<size_t> index = Index(text.substr(i, close - i));
        if (!index.ok()) return error(index.status().message());
        path.emplace_back(*index);
        i = close;
      }
      if (i >= text.size() || text[i] != ']') return error("expected ']'");
      ++i;
    } else {
      return error("expected '.' or '['");
    }
  }
  return path;
}

std::string TokenText(const PathToken& t) {
  return std::holds_alternative<size_t>(t) ? std::to_string(std::get<size_t>(t))
                                           : "'" + std::get<std::string>(t) + "'";
}

std::string_view KindOf(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

}  // namespace

StatusOr<JsonPath> ParseJsonPath(std::string_view text) {
  if (text.empty() || text[0] == '/') return ParsePointer(text);
  if (text[0] == '$') return ParseDollar(text);
  return InvalidArgumentError(
      "expected a JSON pointer such as /items/0 or a path such as "
      "$.items[0]");
}

const json* FindJson(const json& doc, const JsonPath& path, std::string* missing) {
  const json* at = &doc;
  std::string where = "the body";
  for (const PathToken& token : path) {
    const std::string* key = std::get_if<std::string>(&token);
    if (at->is_array() && (key == nullptr || AllDigits(*key))) {
      StatusOr<size_t> i = key == nullptr ? std::get<size_t>(token) : Index(*key);
      if (!i.ok() || *i >= at->size()) {
        *missing = "index " + (key ? *key : std::to_string(*i)) + " out of " +
                   std::to_string(at->size()) + " elements";
        return nullptr;
      }
      at = &(*at)[*i];
    } else if (at->is_object() && key != nullptr) {
      auto it = at->find(*key);
      if (it == at->end()) {
        *missing = "no key '" + *key + "'";
        return nullptr;
      }
      at = &*it;
    } else {
      *missing =
          where + " is " + std::string(KindOf(*at)) + ", not " + (key ? "an object" : "an array");
      return nullptr;
    }
    where = TokenText(token);
  }
  return at;
}

std::string Abbreviate(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

std::string CheckAnswer(const Step& step, const Answer& answer) {
  const bool status_ok = step.expect_status == 0 ? answer.status >= 200 && answer.status < 300
                                                 : answer.status == step.expect_status;
  if (!status_ok) {
    return "status " + std::to_string(answer.status) + ", expected " +
           (step.expect_status == 0 ? "2xx" : std::to_string(step.expect_status));
  }
  if (step.max_latency_ms > 0 && answer.latency_ms > step.max_latency_ms) {
    return "took " + std::to_string(answer.latency_ms) + " ms, more than the limit of " +
           std::to_string(step.max_latency_ms) + " ms";
  }
  if (!step.body_contains.empty() && answer.body.find(step.body_contains) == std::string::npos) {
    return "body does not contain '" + Abbreviate(step.body_contains) + "' (body: '" +
           Abbreviate(answer.body) + "')";
  }
  if (step.json_equals.empty()) return "";
  json doc;
  try {
    doc = json::parse(answer.body);
  } catch (const json::parse_error& e) {
    return "body is not JSON (error at byte " + std::to_string(e.byte) + "; body: '" +
           Abbreviate(answer.body) + "')";
  }
  for (const auto& [path_text, expected_text] : step.json_equals) {
    StatusOr<JsonPath> path = ParseJsonPath(path_text);
    const json expected = json::parse(expected_text, nullptr, /*allow_exceptions=*/false);
    if (!path.ok() || expected.is_discarded()) return "bad check " + path_text;  // see REQUIRES
    std::string missing;
    const json* value = FindJson(doc, *path, &missing);
    if (value == nullptr) return path_text + ": not found (" + missing + ")";
    if (*value != expected) {
      return path_text + " is " + Abbreviate(value->dump()) + ", expected " + expected.dump();
    }
  }
  return "";
}

}  // namespace vigil::canary
