#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace vigil::server {
namespace {

Status ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return InvalidArgumentError("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return OkStatus();
}

StatusOr<bool> ParseBool(const std::string& text, const std::string& what) {
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  return InvalidArgumentError(what + ": expected true or false, got '" + text + "'");
}

// tsdb.rollups: a list of {period, retention[, eager]} mappings.
Status ParseRollups(const YAML::Node& node, std::vector<tsdb::RollupTier>* out) {
  if (!node.IsSequence()) {
    return InvalidArgumentError(
        "config: tsdb.rollups must be a list of {period, retention[, eager]} mappings");
  }
  out->clear();
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node& item = node[i];
    const std::string where = "config: tsdb.rollups[" + std::to_string(i) + "]";
    if (!item.IsMap()) return InvalidArgumentError(where + " must be a mapping");
    tsdb::RollupTier tier;
    for (const auto& kv : item) {
      const std::string k = kv.first.as<std::string>();
      if (!kv.second.IsScalar()) return InvalidArgumentError(where + "." + k + " must be a scalar");
      const std::string t = kv.second.as<std::string>();
      Status st = [&]() -> Status {
        if (k == "period") {
          ASSIGN_OR_RETURN(tier.period_ms, ParseDurationMillis(t));
        } else if (k == "retention") {
          ASSIGN_OR_RETURN(tier.retention_ms, ParseDurationMillis(t));
        } else if (k == "eager") {
          ASSIGN_OR_RETURN(tier.eager, ParseBool(t, k));
        } else {
          return InvalidArgumentError("unknown key");
        }
        return OkStatus();
      }();
      RETURN_IF_ERROR(st.WithContext(where + "." + k));
    }
    if (tier.period_ms <= 0 || tier.retention_ms <= 0) {
      return InvalidArgumentError(where + " needs a period and a retention");
    }
    out->push_back(tier);
  }
  tsdb::Options check;
  check.rollups = *out;
  return tsdb::ValidateRollupTiers(check).WithContext("config: tsdb.rollups");
}

}  // namespace

Status ParseListen(const std::string& text, std::string* host, uint16_t* port) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgumentError("listen address must be HOST:PORT, got '" + text + "'");
  }
  std::string h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  ASSIGN_OR_RETURN(int64_t p, ParseInt(text.substr(colon + 1), 0, 65535, "listen port"));
  *host = h;
  *port = static_cast<uint16_t>(p);
  return OkStatus();
}


Status ApplyYaml(const std::string& yaml, Config* c) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string("config: ") + e.what());
  }
  if (root.IsNull()) return OkStatus();
  if (!root.IsMap()) return InvalidArgumentError("config: the top level must be a mapping");

  // Walks a mapping, calling fn(key, scalar text) for scalars and failing on unknown keys.
  for (const auto& top : root) {
    std::string key = top.first.as<std::string>();
    const YAML::Node& node = top.second;
    auto scalar = [&](const std::string& name, const YAML::Node& n) -> StatusOr<std::string> {
      if (!n.IsScalar()) return InvalidArgumentError("config: " + name + " must be a scalar");
      return n.as<std::string>();
    };
    auto section = [&](const std::string& name, const YAML::Node& map,
                       auto&& fn) -> Status {  // fn(subkey, text) -> Status
      if (!map.IsMap()) return InvalidArgumentError("config: " + name + " must be a mapping");
      for (const auto& kv : map) {
        std::string sub = kv.first.as<std::string>();
        ASSIGN_OR_RETURN(std::string text, scalar(name + "." + sub, kv.second));
        RETURN_IF_ERROR(fn(sub, text).WithContext("config: " + name + "." + sub));
      }
      return OkStatus();
    };

    if (key == "listen") {
      ASSIGN_OR_RETURN(std::string t, scalar(key, node));
      RETURN_IF_ERROR(ParseListen(t, &c->listen_host, &c->listen_port).WithContext("config"));
    } else if (key == "data_dir") {
      ASSIGN_OR_RETURN(c->data_dir, scalar(key, node));
    } else if (key == "region") {
      ASSIGN_OR_RETURN(c->region, scalar(key, node));
    } else if (key == "auth") {
      RETURN_IF_ERROR(section(key, node, [&](const std::string& k, const std::string& t) -> Status {
        if (k != "max_clock_skew") return InvalidArgumentError("unknown key");
        ASSIGN_OR_RETURN(c->max_clock_skew_ms, ParseDurationMillis(t));
        return OkStatus();
      }));
    } else if (key == "tsdb") {
      YAML::Node scalars = node;
      if (node.IsMap() && node["rollups"]) {
        RETURN_IF_ERROR(ParseRollups(node["rollups"], &c->rollups));
        scalars = YAML::Clone(node);
        scalars.remove("rollups");
      }
      RETURN_IF_ERROR(section(key, scalars, [&](const std::string& k, const std::string& t) -> Status {
        if (k == "retention") {
          ASSIGN_OR_RETURN(c->retention_ms, ParseDurationMillis(t));
        } else if (k == "max_sample_age") {
          ASSIGN_OR_RETURN(c->max_sample_age_ms, ParseDurationMillis(t));
        } else if (k == "rollup_sketch_accuracy") {
          char* end = nullptr;
          c->rollup_sketch_accuracy = std::strtod(t.c_str(), &end);
          if (end == t.c_str() || *end != '\0' || !(c->rollup_sketch_accuracy > 0) ||
              !(c->rollup_sketch_accuracy < 0.5)) {
            return InvalidArgumentError("expected a fraction within (0, 0.5), got '" + t + "'");
          }
        } else if (k == "block_range") {
          ASSIGN_OR_RETURN(c->block_range_ms, ParseDurationMillis(t));
        } else if (k == "head_chunk_memory") {
          ASSIGN_OR_RETURN(c->head_chunk_bytes, ParseBytes(t));
          if (c->head_chunk_bytes < (1 << 20)) return InvalidArgumentError("must be at least 1MiB");
        } else {
          return InvalidArgumentError("unknown key");
        }
        return OkStatus();
      }));
    } else if (key == "remote_write") {
      RETURN_IF_ERROR(section(key, node, [&](const std::string& k, const std::string& t) -> Status {
        if (k == "namespace") {
          c->remote_write_namespace = t;
        } else if (k == "allow_unsigned") {
          ASSIGN_OR_RETURN(c->remote_write_allow_unsigned, ParseBool(t, k));
        } else {
          return InvalidArgumentError("unknown key");
        }
        return OkStatus();
      }));
    } else if (key == "http") {
      RETURN_IF_ERROR(section(key, node, [&](const std::string& k, const std::string& t) -> Status {
        if (k == "io_threads") {
          ASSIGN_OR_RETURN(int64_t n, ParseInt(t, 1, 256, k));
          c->io_threads = static_cast<int>(n);
        } else if (k == "worker_threads") {
          ASSIGN_OR_RETURN(int64_t n, ParseInt(t, 1, 1024, k));
          c->worker_threads = static_cast<int>(n);
        } else {
          return InvalidArgumentError("unknown key");
        }
        return OkStatus();
      }));
    } else {
      return InvalidArgumentError("config: unknown key '" + key + "'");
    }
  }
  return OkStatus();
}

Status ParseServerFlags(const std::vector<std::string>& args, Config* config) {
  static constexpr const char* kUsage =
      "usage: vigil server [--config FILE] [--data-dir DIR] [--listen HOST:PORT]";
  // --config first, so that flags given alongside it override the file.
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" || args[i] == "-c") {
      if (i + 1 >= args.size()) return InvalidArgumentError(kUsage);
      std::string text;
      RETURN_IF_ERROR(ReadText(args[i + 1], &text));
      RETURN_IF_ERROR(ApplyYaml(text, config));
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_value = i + 1 < args.size();
    if (a == "--config" || a == "-c") {
      ++i;
    } else if (a == "--data-dir" && has_value) {
      config->data_dir = args[++i];
    } else if (a == "--listen" && has_value) {
      RETURN_IF_ERROR(ParseListen(args[++i], &config->listen_host, &config->listen_port));
    } else {
      return InvalidArgumentError(std::string("unexpected argument '") + a + "'\n" + kUsage);
    }
  }
  return OkStatus();
}

}  // namespace vigil::server
