#pragma once
// Private to vigil::auth: small wrappers over OpenSSL used by SigV4 and key generation.
#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::auth {

// `n` bytes from OpenSSL's CSPRNG; Internal if the generator fails (unseeded).
StatusOr<std::string> RandomBytes(size_t n);

}  // namespace vigil::auth
