#include "examples/shop/options.h"

#include <charconv>
#include <string_view>

namespace vigil::shop {
namespace {

// Parses the whole of `text` as a number in [min, max].
template <typename T>
bool ParseNumber(std::string_view text, T min, T max, T* out) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return false;
  }
  *out = value;
  return true;
}

// One setting: its flag, its environment variable (may be empty), whether the flag takes a
// value (a switch does not; its variable is true when "1" or "true"), and how to apply text.
struct Setting {
  const char* flag;
  const char* env;
  bool takes_value;
  const char* help;
  std::function<bool(ShopOptions*, std::string_view)> apply;
};

bool SetString(std::string* field, std::string_view v) {
  *field = std::string(v);
  return true;
}

bool SetSwitch(bool* field, std::string_view v) {
  *field = v == "1" || v == "true";
  return v == "1" || v == "true" || v == "0" || v == "false" || v.empty();
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"--port", "PORT", true, "port to listen on (0: any free port)",
       [](ShopOptions* o, std::string_view v) {
         return ParseNumber<uint16_t>(v, 0, 65535, &o->port);
       }},
      {"--listen-host", "", true, "address to listen on (default 127.0.0.1)",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->listen_host, v); }},
      {"--db", "SHOP_DB", true, "SQLite database file (default ./shop.db)",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->db_path, v); }},
      {"--version-label", "SHOP_VERSION", true, "version named in X-Shop-Version (default dev)",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->version, v); }},
      {"--fault-error-rate", "SHOP_FAULT_ERROR_RATE", true,
       "fraction in [0,1] of requests (but /health) answered 500",
       [](ShopOptions* o, std::string_view v) {
         return ParseNumber<double>(v, 0.0, 1.0, &o->faults.error_rate);
       }},
      {"--fault-latency-ms", "SHOP_FAULT_LATENCY_MS", true,
       "delay every request (but /health) this long",
       [](ShopOptions* o, std::string_view v) {
         return ParseNumber<int64_t>(v, 0, 3'600'000, &o->faults.latency_ms);
       }},
      {"--fault-crash-on-start", "SHOP_FAULT_CRASH_ON_START", false, "exit 1 before listening",
       [](ShopOptions* o, std::string_view v) { return SetSwitch(&o->faults.crash_on_start, v); }},
      {"--fault-unhealthy", "SHOP_FAULT_UNHEALTHY", false, "/health answers 503",
       [](ShopOptions* o, std::string_view v) { return SetSwitch(&o->faults.unhealthy, v); }},
      {"--metrics-interval-ms", "SHOP_METRICS_INTERVAL_MS", true,
       "how often to publish to Vigil (default 10000)",
       [](ShopOptions* o, std::string_view v) {
         return ParseNumber<int64_t>(v, 10, 86'400'000, &o->metrics_interval_ms);
       }},
      {"--vigil-endpoint", "VIGIL_ENDPOINT", true, "Vigil's CloudWatch API, http://HOST:PORT",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->vigil_endpoint, v); }},
      {"", "VIGIL_ACCESS_KEY_ID", true, "access key to sign PutMetricData with",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->access_key_id, v); }},
      {"", "VIGIL_SECRET_ACCESS_KEY", true, "its secret",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->secret_access_key, v); }},
      {"", "AWS_REGION", true, "SigV4 region (default us-east-1)",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->region, v); }},
      {"", "VIGIL_APP", true, "the App dimension of published metrics (default shop)",
       [](ShopOptions* o, std::string_view v) { return SetString(&o->app, v); }},
  };
  return kSettings;
}

}  // namespace

StatusOr<ShopOptions> ParseOptions(const std::vector<std::string>& args,
                                   const std::function<const char*(const char*)>& getenv) {
  ShopOptions options;
  for (const Setting& s : Settings()) {
    if (*s.env == '\0') continue;
    const char* value = getenv(s.env);
    if (value == nullptr) continue;
    if (!s.apply(&options, value))
      return InvalidArgumentError(std::string("bad ") + s.env + "=" + value);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") return NotFoundError("help");
    const size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const Setting* setting = nullptr;
    for (const Setting& s : Settings()) {
      if (*s.flag != '\0' && name == s.flag) setting = &s;
    }
    if (setting == nullptr) return InvalidArgumentError("unknown flag " + std::string(arg));
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
    } else if (setting->takes_value) {
      if (i + 1 == args.size()) return InvalidArgumentError(std::string(name) + " needs a value");
      value = args[++i];
    } else {
      value = "1";
    }
    if (!setting->apply(&options, value)) {
      return InvalidArgumentError("bad value for " + std::string(name) + ": " + std::string(value));
    }
  }
  return options;
}

std::string Usage() {
  std::string out = "usage: vigil-shop [flags]   (a flag wins over its environment variable)\n";
  for (const Setting& s : Settings()) {
    std::string names = *s.flag != '\0' ? std::string(s.flag) + (s.takes_value ? " V" : "") : "";
    if (*s.env != '\0') names += (names.empty() ? "$" : ", $") + std::string(s.env);
    out += "  " + names + "\n      " + s.help + "\n";
  }
  return out;
}

}  // namespace vigil::shop
