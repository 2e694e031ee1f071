#pragma once
// The composition root: builds every engine and protocol adapter from a Config, wires them to
// the HTTP router, and runs until a stop signal. The only place that knows every module.
#include "common/status.h"
#include "server/config.h"

namespace vigil::server {

// Runs the server until SIGTERM or SIGINT, then drains: stops accepting, finishes requests in
// flight, flushes the store, and returns OK. Prints "vigil listening on http://HOST:PORT" to
// stdout once /healthz answers (with the bound port when the config asks for port 0).
// Errors: Unavailable when the data directory or the listen address cannot be used.
Status RunServer(const Config& config);

}  // namespace vigil::server
