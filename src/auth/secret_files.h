#pragma once
// Private to vigil::auth: the files that hold secrets (credentials, keys/): read whole, written
// whole and durably, never readable by others.
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::auth {

// mkdir -p (mode 0755 for each directory made).
Status CreateDirs(const std::string& path);
// The file's contents; NotFound when it does not exist.
StatusOr<std::string> ReadFile(const std::string& path);
// tmp + fsync + rename + fsync(dir): a crash leaves either the old file or the new one, and the
// secret is never readable by others, not even briefly (mode 0600 from creation). `dir` is the
// directory holding `path`.
Status WriteFileAtomic(const std::string& dir, const std::string& path, std::string_view data);

}  // namespace vigil::auth
