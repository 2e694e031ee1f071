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

void XmlWriter::Timestamp(std::string_view name, int64_t epoch_ms) {
  Open(name);
  *out_ += FormatIsoTimestamp(epoch_ms);
  Close(name);
}

JsonWriter::JsonWriter(std::string* out) : out_(out) {
  *out_ += '{';
  stack_.push_back({false});
}

void JsonWriter::Finish() { *out_ += '}'; }

void JsonWriter::Key(std::string_view name) {
  Frame& top = stack_.back();
  const bool comma = !top.first;
  top.first = false;
  if (top.is_list) {
    if (comma) *out_ += ',';
    return;
  }
  // The keys are the API's own member names: one append of `,"Name":` rather than a character
  // at a time (this runs for every field of every datapoint of an answer).
  char buf[72];
  if (name.size() <= 64 &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
      })) {
    char* p = buf;
    if (comma) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, name.data(), name.size());
    p += name.size();
    *p++ = '"';
    *p++ = ':';
    out_->append(buf, static_cast<size_t>(p - buf));
    return;
  }
  if (comma) *out_ += ',';
  AppendJsonString(out_, name);
  *out_ += ':';
}

void JsonWriter::BeginStruct(std::string_view name) {
  Key(name);
  *out_ += '{';
  stack_.push_back({false});
}

void JsonWriter::EndStruct() {
  stack_.pop_back();
  *out_ += '}';
}

void JsonWriter::BeginList(std::string_view name) {
  Key(name);
  *out_ += '[';
  stack_.push_back({true});
}

void JsonWriter::EndList() {
  stack_.pop_back();
  *out_ += ']';
}

void JsonWriter::BeginMap(std::string_view name) { BeginStruct(name); }
void JsonWriter::EndMap() { EndStruct(); }

void JsonWriter::String(std::string_view name, std::string_view value) {
  Key(name);
  AppendJsonString(out_, value);
}

void JsonWriter::Double(std::string_view name, double value) {
  Key(name);
  AppendAwsDouble(out_, value);
}

void JsonWriter::Timestamp(std::string_view name, int64_t epoch_ms) {
  Key(name);
  char buf[32];
  std::to_chars_result r;
  if (epoch_ms % 1000 == 0) {
    r = std::to_chars(buf, buf + sizeof(buf), epoch_ms / 1000);
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<double>(epoch_ms) / 1000.0);
  }
  out_->append(buf, r.ptr - buf);
}

}  // namespace vigil::api
