#include "common/logging.h"

#include <chrono>
#include <ctime>

namespace vigil {

std::string FormatUtcMillis(int64_t epoch_ms, std::string_view zone) {
  const std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return std::string(stamp).append(zone);
}

void Logger::Log(LogLevel level, std::string_view component, std::string_view message) const {
  if (out_ == nullptr || level < min_level_) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const std::string stamp =
      FormatLogTimestamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count());
  std::string line;
  line.reserve(message.size() + component.size() + 48);
  line += stamp;
  line += ' ';
  line += kNames[static_cast<int>(level)];
  line += ' ';
  line += component;
  line += ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

Logger& NullLogger() {
  static Logger logger(nullptr);
  return logger;
}

}  // namespace vigil
