#pragma once
// Private to vigil::deploy: a version's files, unpacked from the .tar.gz the CLI sends.
#include <string>

#include "common/status.h"

namespace vigil::deploy {

// Unpacks the gzip-compressed tar `archive` into `dir`, which must not exist, with the system's
// tar reading it from its stdin (the archive is never written to disk) (GNU tar: member names are kept inside `dir`, owners are not restored). On failure `dir`
// is removed and the status carries tar's message: InvalidArgument for an archive tar refuses.
Status Unpack(const std::string& archive, const std::string& dir);

// The whole file, or an error naming it.
StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace vigil::deploy
