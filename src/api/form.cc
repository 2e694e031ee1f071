#include "api/form.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "api/text.h"

namespace vigil::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A key path as a tree; children keyed by their raw segment.
struct Node {
  std::string value;
  std::map<std::string, Node, std::less<>> children;
};

ApiError Malformed(std::string message) {
  return {ErrorCode::kMalformedQueryString, std::move(message)};
}

// Positive decimal list index, or 0 when `segment` is not one.
size_t ListIndex(std::string_view segment) {
  size_t n = 0;
  const auto r = std::from_chars(segment.data(), segment.data() + segment.size(), n);
  if (r.ec != std::errc() || r.ptr != segment.data() + segment.size()) return 0;
  return n;
}

ApiOr<nlohmann::json> Convert(const Node& node, const std::string& path);
ApiOr<nlohmann::json> ConvertStruct(const Node& node, const std::string& path);

ApiOr<nlohmann::json> ConvertList(const Node& members, const std::string& path) {
  std::vector<std::pair<size_t, const Node*>> items;
  items.reserve(members.children.size());
  for (const auto& [segment, child] : members.children) {
    const size_t index = ListIndex(segment);
    if (index == 0) return Malformed("Invalid list index " + Printable(segment) + " in " + path);
    items.emplace_back(index, &child);
  }
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  nlohmann::json array = nlohmann::json::array();
  for (const auto& [index, child] : items) {
    auto element = Convert(*child, path + ".member." + std::to_string(index));
    if (!element.ok()) return element.error();
    array.push_back(std::move(element).value());
  }
  return array;
}

ApiOr<nlohmann::json> ConvertMap(const Node& entries, const std::string& path) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [segment, entry] : entries.children) {
    const std::string entry_path = path + ".entry." + segment;
    if (ListIndex(segment) == 0) return Malformed("Invalid map index in " + entry_path);
    const auto key = entry.children.find("key");
    if (key == entry.children.end()) return Malformed("Missing " + entry_path + ".key");
    const auto value = entry.children.find("value");
    if (value == entry.children.end()) {
      object[key->second.value] = "";
      continue;
    }
    auto converted = Convert(value->second, entry_path + ".value");
    if (!converted.ok()) return converted.error();
    object[key->second.value] = std::move(converted).value();
  }
  return object;
}

ApiOr<nlohmann::json> ConvertStruct(const Node& node, const std::string& path) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [segment, child] : node.children) {
    auto converted = Convert(child, path.empty() ? segment : path + "." + segment);
    if (!converted.ok()) return converted.error();
    object[segment] = std::move(converted).value();
  }
  return object;
}

ApiOr<nlohmann::json> Convert(const Node& node, const std::string& path) {
  if (node.children.empty()) return nlohmann::json(node.value);
  if (node.children.size() == 1) {
    const auto& [segment, child] = *node.children.begin();
    if (segment == "member") return ConvertList(child, path);
    if (segment == "entry") return ConvertMap(child, path);
  }
  return ConvertStruct(node, path);
}

}  // namespace

bool FormUnescape(std::string_view in, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      *out += ' ';
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += c;
    }
  }
  return true;
}

ApiOr<FormPairs> ParseFormPairs(std::string_view body) {
  FormPairs pairs;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view component = body.substr(start, end - start);
    start = end + 1;
    if (component.empty()) continue;
    const size_t eq = component.find('=');
    std::string key, value;
    if (!FormUnescape(component.substr(0, eq), &key) ||
        (eq != std::string_view::npos && !FormUnescape(component.substr(eq + 1), &value))) {
      return Malformed("Malformed percent-encoding in " + Printable(component, 64));
    }
    pairs.emplace_back(std::move(key), std::move(value));
  }
  return pairs;
}

ApiOr<nlohmann::json> FormToDocument(const FormPairs& pairs) {
  Node root;
  for (const auto& [key, value] : pairs) {
    Node* node = &root;
    size_t start = 0;
    while (true) {
      const size_t dot = key.find('.', start);
      const std::string_view segment =
          std::string_view(key).substr(start, dot == std::string::npos ? dot : dot - start);
      auto it = node->children.find(segment);
      if (it == node->children.end()) it = node->children.emplace(segment, Node{}).first;
      node = &it->second;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    node->value = value;
  }
  return ConvertStruct(root, "");
}

}  // namespace vigil::api
