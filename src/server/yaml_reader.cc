#include "server/yaml_reader.h"

#include <charconv>
#include <set>

namespace vigil::server::yaml {

// ---- Scalar parsers.

Status Expected(const std::string& what, const std::string& text) {
  return InvalidArgumentError(what + ", got '" + text + "'");
}

StatusOr<std::string> AnyText(const std::string& t) { return t; }

StatusOr<std::string> NonEmptyText(const std::string& t) {
  if (t.empty()) return InvalidArgumentError("must not be empty");
  return t;
}

StatusOr<std::string> UrlPath(const std::string& t) {
  if (!t.empty() && t[0] == '/') return t;
  return Expected("expected a path starting with '/'", t);
}

StatusOr<bool> ParseBool(const std::string& t) {
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  return Expected("expected true or false", t);
}

std::string FormatMillis(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
  for (const auto& [n, unit] : kUnits) {
    if (ms != 0 && ms % n == 0) return std::to_string(ms / n) + unit;
  }
  return std::to_string(ms) + "ms";
}

std::optional<double> ParseNumber(std::string_view t) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

// ---- Reading nodes.

std::string KindName(const YAML::Node& node) {
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  if (node.IsSequence()) return "a list";
  return node.IsMap() ? "a mapping" : "nothing";
}

Status Reader::ErrorAt(const YAML::Mark& mark, const std::string& path,
                       const std::string& msg) const {
  std::string m = source_ + ":";
  if (!mark.is_null()) {
    m += std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ":";
  }
  return InvalidArgumentError(m + " " + (path.empty() ? "" : path + ": ") + msg);
}

StatusOr<std::string> Reader::Text(const YAML::Node& node, const std::string& path) const {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return Error(node, path, "missing value");
  return Error(node, path, "expected a single value, got " + KindName(node));
}

Status Reader::Entries(const YAML::Node& node, const std::string& path, const EntryFn& read) const {
  if (!node.IsMap()) return Error(node, path, "expected a mapping, got " + KindName(node));
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Error(kv.first, path, "expected a plain key");
    const std::string& key = kv.first.Scalar();
    const std::string sub = path.empty() ? key : path + "." + key;
    if (!seen.insert(key).second) return Error(kv.first, sub, "key given twice");
    // No key takes an empty value, and yaml-cpp marks one at the next token: point at the key.
    if (kv.second.IsNull()) return Error(kv.first, sub, "missing value");
    RETURN_IF_ERROR(read(key, kv.first, kv.second, sub));
  }
  return OkStatus();
}

Status Reader::Map(const YAML::Node& node, const std::string& path,
                   const std::vector<Field>& fields) const {
  return Entries(node, path,
                 [&](const std::string& key, const YAML::Node& key_node, const YAML::Node& value,
                     const std::string& sub) -> Status {
                   std::string known;
                   for (const Field& f : fields) {
                     if (f.key == key) return f.read(value, sub);
                     known += (known.empty() ? "" : ", ") + std::string(f.key);
                   }
                   return Error(key_node, sub, "unknown key (expected one of: " + known + ")");
                 });
}

}  // namespace vigil::server::yaml
