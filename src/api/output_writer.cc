#include "api/output_writer.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "api/text.h"

namespace vigil::api {

void XmlWriter::Open(std::string_view name) {
  const Kind parent = stack_.empty() ? Kind::kStruct : stack_.back().kind;
  switch (parent) {
    case Kind::kStruct:
      *out_ += '<';
      *out_ += name;
      *out_ += '>';
      break;
    case Kind::kList:
      *out_ += "<member>";
      break;
    case Kind::kMap:
      *out_ += "<entry><key>";
      AppendXmlEscaped(out_, name);
      *out_ += "</key><value>";
      break;
  }
}

void XmlWriter::Close(std::string_view name) {
  const Kind parent = stack_.empty() ? Kind::kStruct : stack_.back().kind;
  switch (parent) {
    case Kind::kStruct:
      *out_ += "</";
      *out_ += name;
      *out_ += '>';
      break;
    case Kind::kList:
      *out_ += "</member>";
      break;
    case Kind::kMap:
      *out_ += "</value></entry>";
      break;
  }
}

void XmlWriter::Begin(Kind kind, std::string_view name) {
  Open(name);
  stack_.push_back({kind, std::string(name)});
}

void XmlWriter::End() {
  const std::string name = std::move(stack_.back().name);
  stack_.pop_back();
  Close(name);
}

void XmlWriter::BeginStruct(std::string_view name) { Begin(Kind::kStruct, name); }
void XmlWriter::EndStruct() { End(); }
void XmlWriter::BeginList(std::string_view name) { Begin(Kind::kList, name); }
void XmlWriter::EndList() { End(); }
void XmlWriter::BeginMap(std::string_view name) { Begin(Kind::kMap, name); }
void XmlWriter::EndMap() { End(); }

void XmlWriter::String(std::string_view name, std::string_view value) {
  Open(name);
  AppendXmlEscaped(out_, value);
  Close(name);
}

void XmlWriter::Double(std::string_view name, double value) {
  Open(name);
  AppendAwsDouble(out_, value);
  Close(name);
}

void XmlWriter::Integer(std::string_view name, int64_t value) {
  Open(name);
  *out_ += std::to_string(value);
  Close(name);
}

void XmlWriter::Bool(std::string_view name, bool value) {
  Open(name);
  *out_ += value ? "true" : "false";
  Close(name);
}

void XmlWriter::Timestamp(std::string_view name, int64_t epoch_ms) {
  Open(name);
  *out_ += FormatIsoTimestamp(epoch_ms);
  Close(name);
}

JsonWriter::JsonWriter(std::string* out) : out_(out), len_(out->size()) {
  char* p = Room(1);
  *p++ = '{';
  Commit(p);
  stack_.push_back({false});
}

void JsonWriter::Finish() {
  char* p = Room(1);
  *p++ = '}';
  Commit(p);
  out_->resize(len_);
}

char* JsonWriter::Room(size_t n) {
  if (out_->size() - len_ < n) out_->resize(std::max(2 * out_->size(), len_ + n));
  return out_->data() + len_;
}

char* JsonWriter::Key(char* p, std::string_view name) {
  Frame& top = stack_.back();
  if (!top.first) *p++ = ',';
  top.first = false;
  if (top.is_list) return p;
  // The keys are the API's own member names: copied whole when they need no escaping.
  if (std::all_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
      })) {
    *p++ = '"';
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = '"';
  } else {
    p = WriteJsonString(p, name);
  }
  *p++ = ':';
  return p;
}

void JsonWriter::Open(std::string_view name, char bracket, bool is_list) {
  char* p = Key(Room(KeyMaxBytes(name) + 1), name);
  *p++ = bracket;
  Commit(p);
  stack_.push_back({is_list});
}

void JsonWriter::Close(char bracket) {
  stack_.pop_back();
  char* p = Room(1);
  *p++ = bracket;
  Commit(p);
}

void JsonWriter::BeginStruct(std::string_view name) { Open(name, '{', false); }
void JsonWriter::EndStruct() { Close('}'); }
void JsonWriter::BeginList(std::string_view name) { Open(name, '[', true); }
void JsonWriter::EndList() { Close(']'); }
void JsonWriter::BeginMap(std::string_view name) { BeginStruct(name); }
void JsonWriter::EndMap() { EndStruct(); }

void JsonWriter::String(std::string_view name, std::string_view value) {
  char* p = Key(Room(KeyMaxBytes(name) + JsonStringMaxBytes(value)), name);
  Commit(WriteJsonString(p, value));
}

void JsonWriter::Double(std::string_view name, double value) {
  char* p = Key(Room(KeyMaxBytes(name) + kAwsDoubleMaxBytes), name);
  Commit(WriteAwsDouble(p, value));
}

void JsonWriter::Integer(std::string_view name, int64_t value) {
  constexpr size_t kMaxBytes = 24;
  char* p = Key(Room(KeyMaxBytes(name) + kMaxBytes), name);
  Commit(std::to_chars(p, p + kMaxBytes, value).ptr);
}

void JsonWriter::Bool(std::string_view name, bool value) {
  char* p = Key(Room(KeyMaxBytes(name) + 5), name);
  const std::string_view text = value ? "true" : "false";
  Commit(std::copy(text.begin(), text.end(), p));
}

void JsonWriter::Timestamp(std::string_view name, int64_t epoch_ms) {
  constexpr size_t kMaxBytes = 32;
  char* p = Key(Room(KeyMaxBytes(name) + kMaxBytes), name);
  if (epoch_ms % 1000 == 0) {
    p = std::to_chars(p, p + kMaxBytes, epoch_ms / 1000).ptr;
  } else {
    p = std::to_chars(p, p + kMaxBytes, static_cast<double>(epoch_ms) / 1000.0).ptr;
  }
  Commit(p);
}

}  // namespace vigil::api
