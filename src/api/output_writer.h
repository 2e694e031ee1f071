#pragma once
// Streaming writers for operation outputs: an output is written once, as calls on an
// OutputWriter, and comes out as query-protocol XML (NOTES §4) or JSON 1.0 (§8). Streaming
// keeps a 100,800-datapoint GetMetricData answer to one growing string, no document tree.
//
// Calls nest like the output's shape. Inside a structure every call names its member; inside
// a list the name is ignored (pass ""); inside a map the name is the entry's key.
//   XML:  struct member <Name>..</Name>, list <Name><member>..</member></Name> (an empty list
//         is <Name/>), map <Name><entry><key>k</key><value>v</value></entry></Name>,
//         timestamps ISO 8601, doubles 12.5 / 3.0, integers 60, booleans true / false.
//   JSON: {"Name": ..}, [..], {"k": v}, timestamps as epoch seconds (a number), integers and
//         booleans as JSON's.
// Not thread-safe; one writer per response.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/text.h"

namespace vigil::api {

class OutputWriter {
 public:
  virtual ~OutputWriter() = default;
  virtual void BeginStruct(std::string_view name) = 0;
  virtual void EndStruct() = 0;
  virtual void BeginList(std::string_view name) = 0;
  virtual void EndList() = 0;
  virtual void BeginMap(std::string_view name) = 0;
  virtual void EndMap() = 0;
  virtual void String(std::string_view name, std::string_view value) = 0;
  virtual void Double(std::string_view name, double value) = 0;
  virtual void Integer(std::string_view name, int64_t value) = 0;
  virtual void Bool(std::string_view name, bool value) = 0;
  virtual void Timestamp(std::string_view name, int64_t epoch_ms) = 0;
};

// Writes the members of <{Op}Result> (the caller adds the envelope; see cloudwatch_render.h).
class XmlWriter final : public OutputWriter {
 public:
  explicit XmlWriter(std::string* out) : out_(out) {}
  void BeginStruct(std::string_view name) override;
  void EndStruct() override;
  void BeginList(std::string_view name) override;
  void EndList() override;
  void BeginMap(std::string_view name) override;
  void EndMap() override;
  void String(std::string_view name, std::string_view value) override;
  void Double(std::string_view name, double value) override;
  void Integer(std::string_view name, int64_t value) override;
  void Bool(std::string_view name, bool value) override;
  void Timestamp(std::string_view name, int64_t epoch_ms) override;

 private:
  enum class Kind { kStruct, kList, kMap };
  struct Frame {
    Kind kind;
    std::string name;
  };
  // Open/close the element of a value named `name` in the innermost open frame.
  void Open(std::string_view name);
  void Close(std::string_view name);
  void Begin(Kind kind, std::string_view name);
  void End();

  std::string* out_;
  std::vector<Frame> stack_;
};

// Writes one JSON object: the root structure is implicit (the writer starts inside it).
class JsonWriter final : public OutputWriter {
 public:
  // Appends to *out. Until Finish(), *out may hold scratch bytes past what was written.
  explicit JsonWriter(std::string* out);
  // Closes the root object and cuts *out to what was written; call once at the end.
  void Finish();
  void BeginStruct(std::string_view name) override;
  void EndStruct() override;
  void BeginList(std::string_view name) override;
  void EndList() override;
  void BeginMap(std::string_view name) override;
  void EndMap() override;
  void String(std::string_view name, std::string_view value) override;
  void Double(std::string_view name, double value) override;
  void Integer(std::string_view name, int64_t value) override;
  void Bool(std::string_view name, bool value) override;
  void Timestamp(std::string_view name, int64_t epoch_ms) override;

 private:
  // Every value is written straight into the string through a cursor (the string grows by
  // doubling, scratch bytes included): per-append bookkeeping of std::string was a third of
  // the time of rendering a day of datapoints.
  // A cursor with room for `n` more bytes; Commit() the position it reached.
  char* Room(size_t n);
  void Commit(char* end) { len_ = static_cast<size_t>(end - out_->data()); }
  // Writes the comma and "name": as the current frame needs, at p (room for KeyMaxBytes).
  char* Key(char* p, std::string_view name);
  static size_t KeyMaxBytes(std::string_view name) { return JsonStringMaxBytes(name) + 2; }
  void Open(std::string_view name, char bracket, bool is_list);
  void Close(char bracket);

  struct Frame {
    bool is_list;
    bool first = true;
  };
  std::string* out_;
  size_t len_;  // bytes of *out_ written so far
  std::vector<Frame> stack_;
};

}  // namespace vigil::api
