#pragma once
// End-to-end harness for the api services: a real tsdb::Db in a temp directory, a real SigV4
// verifier with one key, a manual clock, and helpers that sign requests the way the aws CLIs
// do (tests/testutil's signer, written independently of src/auth).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "api/api.h"
#include "tests/testutil/sigv4_signer.h"

namespace vigil::api::testing {

inline constexpr char kAccessKeyId[] = "AKIDEXAMPLE";
inline constexpr char kSecretKey[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr int64_t kJan15 = 1736899200000;  // 2025-01-15T00:00:00Z

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_ms) : now_(now_ms) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Set(int64_t ms) { now_.store(ms); }

 private:
  std::atomic<int64_t> now_;
};

// The value of the first header named `name` (case-insensitive), or "".
std::string HeaderOf(const http::Response& r, std::string_view name);
// Converts a test-side request into what the HTTP server hands a handler.
http::Request ToServerRequest(const testutil::HttpRequest& r);

class ServiceHarness : public ::testing::Test {
 protected:
  // The clock reads 2025-01-15T01:00:00Z; captured fixtures carry data for 00:00.
  static constexpr int64_t kNow = kJan15 + 3'600'000;

  void SetUp() override;
  void TearDown() override;

  // Signs (unless `sign` is false) as of the clock's now with `secret`, and hands the request
  // to `handler`. Adds Host when absent.
  http::Response Send(const std::function<http::Response(const http::Request&)>& handler,
                      testutil::HttpRequest r, bool sign = true,
                      const std::string& secret = kSecretKey,
                      const std::string& service = "monitoring");
  http::Response SendQuery(const std::string& form_body);
  http::Response SendJson(const std::string& op, const std::string& body, bool gzip = false);

  std::string dir_;
  ManualClock clock_{kNow};
  Registry registry_;
  std::unique_ptr<tsdb::Db> db_;
  auth::KeyStore keys_;
  std::unique_ptr<auth::SigV4Verifier> verifier_;
  std::unique_ptr<CloudWatchService> service_;
};

}  // namespace vigil::api::testing
