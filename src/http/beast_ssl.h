#pragma once
// beast.h plus Asio's and Beast's TLS streams, for the code that speaks TLS (the server's and the
// load balancer's listeners): kept apart so that the rest does not compile OpenSSL's headers.
// clang-format off
#include "http/beast.h"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
// clang-format on
