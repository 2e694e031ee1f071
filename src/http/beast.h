#pragma once
// The Boost.Asio/Beast headers with the one fix they need, for the modules built on Asio (http,
// and fleet and lb, which DESIGN.md places above it).
//
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, so <utility>
// must come first; include Boost only through this header so include sorting cannot break that.
// clang-format off
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on

namespace vigil::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

}  // namespace vigil::http
