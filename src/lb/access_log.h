#pragma once
// An app's access-log file: appended to once a second by the flusher, rotated by size so that
// a busy listener cannot fill the disk (the current file and one rotated file are kept).
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace vigil::lb {

class AccessLogFile {
 public:
  AccessLogFile() = default;
  ~AccessLogFile();
  AccessLogFile(const AccessLogFile&) = delete;
  AccessLogFile& operator=(const AccessLogFile&) = delete;

  // Opens (creates, appends to) `path`; past `max_bytes` it is renamed to `path`.1 (replacing
  // the one before) and a new file begun.
  Status Open(std::string path, int64_t max_bytes);
  bool is_open() const { return fd_ >= 0; }

  // Appends the chunks, whole lines each, in one write where it can. Best effort: a full disk
  // or a failed rotation must not stop traffic; the first failure of a run is returned once so
  // that it can be logged, later ones are silent until a write succeeds again.
  Status Append(const std::vector<const std::string*>& chunks);

 private:
  void Rotate();

  std::string path_;
  int64_t max_bytes_ = 0;
  int fd_ = -1;
  int64_t size_ = 0;
  bool failing_ = false;
};

}  // namespace vigil::lb
