// RenderPrometheusText: the Prometheus text exposition format, version 0.0.4.
#include <charconv>
#include <cmath>

#include "api/api.h"

namespace vigil::api {
namespace {

// HELP text escapes backslash and newline; label values also escape the double quote.
void AppendEscaped(std::string* out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '\n') {
      *out += "\\n";
    } else if (quote && c == '"') {
      *out += "\\\"";
    } else {
      *out += c;
    }
  }
}

void AppendValue(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Counters are integers: print them as such rather than as 1e+06.
  if (std::trunc(v) == v && std::fabs(v) < 1e15) {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), v);
  }
  out->append(buf, r.ptr - buf);
}

}  // namespace

std::string RenderPrometheusText(const Registry& registry) {
  std::string out;
  const std::vector<MetricSample> samples = registry.Collect();
  out.reserve(samples.size() * 96);
  const std::string* previous = nullptr;
  for (const MetricSample& s : samples) {
    if (previous == nullptr || *previous != s.name) {
      out += "# HELP ";
      out += s.name;
      out += ' ';
      AppendEscaped(&out, s.help, /*quote=*/false);
      out += "\n# TYPE ";
      out += s.name;
      out += s.type == MetricType::kCounter ? " counter\n" : " gauge\n";
      previous = &s.name;
    }
    out += s.name;
    if (!s.labels.empty()) {
      out += '{';
      for (size_t i = 0; i < s.labels.size(); ++i) {
        if (i > 0) out += ',';
        out += s.labels[i].first;
        out += "=\"";
        AppendEscaped(&out, s.labels[i].second, /*quote=*/true);
        out += '"';
      }
      out += '}';
    }
    out += ' ';
    AppendValue(&out, s.value);
    out += '\n';
  }
  return out;
}

}  // namespace vigil::api
