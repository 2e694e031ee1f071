#pragma once
// A small leveled logger writing one line per message to a FILE* (stderr by default).
// Thread-safe: each line is written with a single fwrite.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace vigil {

enum class LogLevel { kDebug = 0, kInfo, kWarning, kError };

class Logger {
 public:
  explicit Logger(std::FILE* out = stderr, LogLevel min_level = LogLevel::kInfo)
      : out_(out), min_level_(min_level) {}

  void Log(LogLevel level, std::string_view component, std::string_view message) const;
  void Info(std::string_view component, std::string_view message) const {
    Log(LogLevel::kInfo, component, message);
  }
  void Warning(std::string_view component, std::string_view message) const {
    Log(LogLevel::kWarning, component, message);
  }
  void Error(std::string_view component, std::string_view message) const {
    Log(LogLevel::kError, component, message);
  }
  void set_min_level(LogLevel level) { min_level_ = level; }

 private:
  std::FILE* out_;
  LogLevel min_level_;
};

// "2026-11-26T07:52:09.514" + `zone`: UTC with milliseconds, fixed width. Log lines start with
// the "Z" form; CloudWatch's alarm reasons and messages write "+0000".
std::string FormatUtcMillis(int64_t epoch_ms, std::string_view zone);
inline std::string FormatLogTimestamp(int64_t epoch_ms) { return FormatUtcMillis(epoch_ms, "Z"); }

// A Logger that drops everything; for tests that do not look at logs.
Logger& NullLogger();

}  // namespace vigil
