#include "api/input_reader.h"

#include <charconv>
#include <cmath>

#include "api/text.h"

namespace vigil::api {
namespace {

std::string Join(std::string_view prefix, std::string_view name) {
  std::string path(prefix);
  path += name;
  return path;
}

}  // namespace

void InputReader::Fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

const InputReader::Json* InputReader::Find(const Json& object, std::string_view name) const {
  if (error_ || !object.is_object()) return nullptr;
  const auto it = object.find(std::string(name));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string InputReader::Describe(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void InputReader::TypeError(const Json& value, std::string_view path) {
  Fail(InvalidValue(Describe(value), path));
}

std::optional<std::string> InputReader::StringValue(const Json& value, std::string_view path) {
  if (error_) return std::nullopt;
  if (!value.is_string()) {
    TypeError(value, path);
    return std::nullopt;
  }
  return value.get<std::string>();
}

std::optional<double> InputReader::DoubleValue(const Json& value, std::string_view path) {
  if (error_) return std::nullopt;
  if (value.is_number()) return value.get<double>();
  if (protocol_ == Protocol::kQuery && value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    double v;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return v;
    if (r.ec == std::errc::result_out_of_range && r.ptr == text.data() + text.size()) {
      // Beyond double range: keep the magnitude so range validation names the value.
      return text[0] == '-' ? -HUGE_VAL : HUGE_VAL;
    }
  }
  TypeError(value, path);
  return std::nullopt;
}

std::optional<std::string> InputReader::String(const Json& object, std::string_view name,
                                               std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return std::nullopt;
  return StringValue(*v, Join(prefix, name));
}

std::optional<double> InputReader::Double(const Json& object, std::string_view name,
                                          std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return std::nullopt;
  return DoubleValue(*v, Join(prefix, name));
}

std::optional<int64_t> InputReader::Integer(const Json& object, std::string_view name,
                                            std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  }
  if (protocol_ == Protocol::kQuery && v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    int64_t n;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
    if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return n;
  }
  TypeError(*v, Join(prefix, name));
  return std::nullopt;
}

std::optional<bool> InputReader::Bool(const Json& object, std::string_view name,
                                      std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (protocol_ == Protocol::kQuery && v->is_string()) {
    const std::string& text = v->get_ref<const std::string&>();
    if (text == "true") return true;
    if (text == "false") return false;
  }
  TypeError(*v, Join(prefix, name));
  return std::nullopt;
}

std::optional<int64_t> InputReader::Timestamp(const Json& object, std::string_view name,
                                              std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) {
    const double seconds = v->get<double>();
    if (std::isfinite(seconds) && std::fabs(seconds) < 1e14) return std::llround(seconds * 1000);
  } else if (v->is_string()) {
    if (auto ms = ParseTimestamp(v->get_ref<const std::string&>())) return ms;
  }
  TypeError(*v, Join(prefix, name));
  return std::nullopt;
}

const InputReader::Json* InputReader::Struct(const Json& object, std::string_view name,
                                             std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return nullptr;
  if (v->is_object()) return v;
  TypeError(*v, Join(prefix, name));
  return nullptr;
}

const InputReader::Json* InputReader::List(const Json& object, std::string_view name,
                                           std::string_view prefix) {
  const Json* v = Find(object, name);
  if (v == nullptr) return nullptr;
  if (v->is_array()) return v;
  if (protocol_ == Protocol::kQuery && v->is_string() && v->get_ref<const std::string&>().empty()) {
    return &empty_array_;
  }
  TypeError(*v, Join(prefix, name));
  return nullptr;
}

}  // namespace vigil::api
