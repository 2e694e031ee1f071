#pragma once
// Private to the server's config: reading a yaml-cpp document into typed values with errors that
// name file:line:column and the key path.
//
// Two layers. Scalar parsers turn a value's text into a typed value or an InvalidArgument
// saying what was expected; a Reader walks the nodes (mappings of known keys, lists, scalars),
// runs the parsers and puts "SOURCE:LINE:COLUMN: PATH: " in front of every error.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/units.h"

namespace vigil::server::yaml {

// ---- Scalar parsers: text -> value, or InvalidArgument saying what was expected. They do not
// know where the text came from; Reader::Value puts the position and key path in front.

// InvalidArgument "WHAT, got 'TEXT'".
Status Expected(const std::string& what, const std::string& text);

// The text as it is; never fails.
StatusOr<std::string> AnyText(const std::string& t);

// The text; InvalidArgument if it is empty.
StatusOr<std::string> NonEmptyText(const std::string& t);

// The text if it starts with '/'.
StatusOr<std::string> UrlPath(const std::string& t);

// true, yes, on / false, no, off.
StatusOr<bool> ParseBool(const std::string& t);

// 90000 -> "90s": in the largest unit that divides `ms` exactly.
std::string FormatMillis(int64_t ms);

// A parser of durations (ParseDurationMillis) within [min_ms, max_ms].
inline auto DurationIn(int64_t min_ms, int64_t max_ms = INT64_MAX) {
  return [=](const std::string& t) -> StatusOr<int64_t> {
    StatusOr<int64_t> ms = ParseDurationMillis(t);
    if (!ms.ok()) return Expected("expected a duration such as 500ms or 2s", t);
    if (*ms < min_ms) return Expected("must be at least " + FormatMillis(min_ms), t);
    if (*ms > max_ms) return Expected("must be at most " + FormatMillis(max_ms), t);
    return ms;
  };
}

// A parser of integers within [min, max].
inline auto IntIn(int64_t min, int64_t max) {
  return [=](const std::string& t) -> StatusOr<int64_t> {
    StatusOr<int64_t> v = ParseInt(t, min, max, "");
    if (v.ok()) return v;
    return Expected(
        "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]", t);
  };
}

// A decimal number ("0.05", "5e-2"), locale-independent; nullopt for anything else.
std::optional<double> ParseNumber(std::string_view t);

// ---- Reading nodes.

// A node's kind as messages name it: "'TEXT'" for a scalar, "a list", "a mapping" or "nothing".
std::string KindName(const YAML::Node& node);

// A known key of a mapping and what reads its value (at `path`, "section.key").
struct Field {
  std::string_view key;
  std::function<Status(const YAML::Node& value, const std::string& path)> read;
};

// Reads the nodes of one document into typed values. Every error it returns is InvalidArgument
// made by ErrorAt. It makes only yaml-cpp calls that do not throw.
class Reader {
 public:
  // A reader of a node of kind T at a path, into *out.
  template <typename T>
  using ReadFn = Status (*)(const Reader&, const YAML::Node&, const std::string& path, T* out);

  // `source` names the document in messages and must outlive the Reader.
  explicit Reader(const std::string& source) : source_(source) {}

  // The one place a config error is written: "SOURCE:LINE:COLUMN: PATH: MESSAGE", 1-based
  // (yaml-cpp's marks are 0-based). A null mark (a value not from this document) leaves out
  // "LINE:COLUMN:", an empty path leaves out "PATH: ".
  Status ErrorAt(const YAML::Mark& mark, const std::string& path, const std::string& msg) const;
  Status Error(const YAML::Node& node, const std::string& path, const std::string& msg) const {
    return ErrorAt(node.Mark(), path, msg);
  }

  // A scalar's text; an error for any other kind of node, an empty value included.
  StatusOr<std::string> Text(const YAML::Node& node, const std::string& path) const;

  // parse(text of node), with parse's error placed at the node.
  template <typename Parse>
  auto Value(const YAML::Node& node, const std::string& path, const Parse& parse) const
      -> decltype(parse(std::string())) {
    ASSIGN_OR_RETURN(std::string text, Text(node, path));
    auto value = parse(text);
    if (!value.ok()) return Error(node, path, value.status().message());
    return value;
  }

  // Fields, for Map. Whatever they write to must outlive them.
  // `key: scalar`, stored as parse(scalar) in *out.
  template <typename T, typename Parse>
  Field Set(std::string_view key, T* out, Parse parse) const {
    return {key, [this, out, parse](const YAML::Node& v, const std::string& p) -> Status {
              ASSIGN_OR_RETURN(*out, Value(v, p, parse));
              return OkStatus();
            }};
  }
  // `key: anything`, read by read(*this, value, path, out).
  template <typename T>
  Field Call(std::string_view key, ReadFn<T> read, T* out) const {
    return {key, [this, read, out](const YAML::Node& v, const std::string& p) {
              return read(*this, v, p, out);
            }};
  }
  // `key: {fields}`.
  Field Section(std::string_view key, std::vector<Field> fields) const {
    return {key, [this, fields = std::move(fields)](const YAML::Node& v, const std::string& p) {
              return Map(v, p, fields);
            }};
  }

  using EntryFn = std::function<Status(const std::string& key, const YAML::Node& key_node,
                                       const YAML::Node& value, const std::string& path)>;
  // Calls read for each entry of a mapping in file order, with path "path.key"; stops at its
  // first error. Errors for another kind of node, a key that is not a scalar, a repeated key
  // and a key without a value.
  Status Entries(const YAML::Node& node, const std::string& path, const EntryFn& read) const;

  // A mapping whose keys must all be among `fields`; absent keys are left alone.
  Status Map(const YAML::Node& node, const std::string& path,
             const std::vector<Field>& fields) const;

  // A list read item by item into *out (replacing its contents), with paths "path[i]";
  // `items` names what the list holds, for an error.
  template <typename T>
  Status List(const YAML::Node& node, const std::string& path, const std::string& items,
              ReadFn<T> read, std::vector<T>* out) const {
    if (!node.IsSequence()) {
      return Error(node, path, "expected a list of " + items + ", got " + KindName(node));
    }
    out->clear();
    for (const YAML::Node& item : node) {
      T value{};
      RETURN_IF_ERROR(read(*this, item, path + "[" + std::to_string(out->size()) + "]", &value));
      out->push_back(std::move(value));
    }
    return OkStatus();
  }

 private:
  const std::string& source_;
};

}  // namespace vigil::server::yaml
