#include "tsdb/block/meta_json.h"

#include <nlohmann/json.hpp>

#include "tsdb/block/index_format.h"

namespace vigil::tsdb::block {
namespace {

using nlohmann::json;

constexpr std::string_view kFormatName = "vigil-block";

// Reads an integer member without exceptions; false when missing or of another type.
template <typename T>
bool GetInt(const json& j, const char* name, T* out) {
  const auto it = j.find(name);
  if (it == j.end() || !it->is_number_integer()) return false;
  *out = it->get<T>();
  return true;
}

}  // namespace

std::string EncodeMeta(const BlockMeta& meta, const MetaFiles& files) {
  json j = json::object();
  j["format"] = kFormatName;
  j["version"] = kFormatVersion;
  j["id"] = meta.id;
  j["min_time_ms"] = meta.min_time_ms;
  j["max_time_ms"] = meta.max_time_ms;
  j["num_series"] = meta.num_series;
  j["num_samples"] = meta.num_samples;
  j["num_raw_samples"] = files.raw_samples;
  j["num_stat_samples"] = files.stat_samples;
  j["level"] = meta.level;
  j["resolution_ms"] = meta.resolution_ms;
  if (meta.sketch_accuracy > 0) j["sketch_accuracy"] = meta.sketch_accuracy;
  j["parents"] = meta.parents;
  if (!meta.siblings.empty()) j["siblings"] = meta.siblings;
  j["files"] = {{"index", {{"bytes", files.index_bytes}}},
                {"chunks", {{"bytes", files.chunks_bytes}}}};
  return j.dump(2) + "\n";
}

Status DecodeMeta(const std::string& path, std::string_view text, BlockMeta* meta,
                  MetaFiles* files) {
  auto bad = [&](std::string_view what) {
    return DataLossError("block meta " + path + ": " + std::string(what));
  };
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {  // nlohmann reports syntax errors only by throwing
    return bad("syntax error at byte " + std::to_string(e.byte));
  }
  if (!j.is_object()) return bad("not a JSON object");
  const auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kFormatName) {
    return bad("format is not \"vigil-block\"");
  }
  int version = 0;
  if (!GetInt(j, "version", &version) || version != kFormatVersion) {
    return bad("unsupported version");
  }
  const auto id = j.find("id");
  const auto parents = j.find("parents");
  const auto file_sizes = j.find("files");
  if (id == j.end() || !id->is_string() || parents == j.end() || !parents->is_array() ||
      file_sizes == j.end() || !file_sizes->is_object()) {
    return bad("missing id, parents or files");
  }
  meta->id = id->get<std::string>();
  meta->parents.clear();
  for (const json& p : *parents) {
    if (!p.is_string()) return bad("parents must be strings");
    meta->parents.push_back(p.get<std::string>());
  }
  const auto index = file_sizes->find("index");
  const auto chunks = file_sizes->find("chunks");
  if (!GetInt(j, "min_time_ms", &meta->min_time_ms) ||
      !GetInt(j, "max_time_ms", &meta->max_time_ms) ||
      !GetInt(j, "num_series", &meta->num_series) ||
      !GetInt(j, "num_samples", &meta->num_samples) ||
      !GetInt(j, "num_raw_samples", &files->raw_samples) ||
      !GetInt(j, "num_stat_samples", &files->stat_samples) || !GetInt(j, "level", &meta->level) ||
      !GetInt(j, "resolution_ms", &meta->resolution_ms) || index == file_sizes->end() ||
      !GetInt(*index, "bytes", &files->index_bytes) || chunks == file_sizes->end() ||
      !GetInt(*chunks, "bytes", &files->chunks_bytes)) {
    return bad("missing or mistyped field");
  }
  meta->siblings.clear();
  if (const auto sib = j.find("siblings"); sib != j.end()) {
    if (!sib->is_array()) return bad("siblings must be an array");
    for (const json& p : *sib) {
      if (!p.is_string()) return bad("siblings must be strings");
      meta->siblings.push_back(p.get<std::string>());
    }
  }
  meta->sketch_accuracy = 0;
  if (const auto acc = j.find("sketch_accuracy"); acc != j.end()) {
    if (!acc->is_number() || !(acc->get<double>() > 0) || !(acc->get<double>() < 1)) {
      return bad("sketch_accuracy must be a number in (0, 1)");
    }
    meta->sketch_accuracy = acc->get<double>();
  }
  return OkStatus();
}

}  // namespace vigil::tsdb::block
