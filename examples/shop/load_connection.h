#pragma once
// One keep-alive HTTP/1.1 connection of the load generator. Unlike http::Client it never
// retries: a request that fails is reported as failed, and the next one reconnects, so every
// failure the server causes is counted exactly once.
//
// Thread-safety: one Connection per thread.
#include <chrono>
#include <string>

#include "common/status.h"
#include "http/beast.h"
#include "http/client.h"

namespace vigil::shop {

struct Reply {
  int status = 0;
  std::string version;  // X-Shop-Version, "" when absent
};

class LoadConnection {
 public:
  LoadConnection(http::Url url, std::chrono::milliseconds timeout);

  // Sends one request (connecting first when the connection is closed) and reads the answer
  // within the timeout. Unavailable naming the step (resolve, connect, write, read) on any
  // failure, after which the connection is closed. Closes it too when the server says so.
  StatusOr<Reply> RoundTrip(const std::string& method, const std::string& target,
                            const std::string& body);

 private:
  // Runs the io_context until the operation started last completes.
  void Run();
  void Close();

  const http::Url url_;
  const std::chrono::milliseconds timeout_;
  http::asio::io_context ioc_;
  http::beast::tcp_stream stream_{ioc_};
  http::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace vigil::shop
