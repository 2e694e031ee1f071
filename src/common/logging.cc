#include "common/logging.h"

#include <chrono>
#include <ctime>

namespace vigil {

void Logger::Log(LogLevel level, std::string_view component, std::string_view message) const {
  if (out_ == nullptr || level < min_level_) return;
  static constexpr const char* kNames[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[96];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
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
