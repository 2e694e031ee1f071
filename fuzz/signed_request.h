#pragma once
// Shared by the fuzz targets that go through a service's handler (the Logs and CloudTrail
// services decode their JSON bodies inside each operation, next to the engine calls, so there
// is no separate decoding layer to fuzz): requests signed as the aws CLIs sign them
// (tests/testutil's signer, independent of src/auth, with the api tests' key and request
// conversion: api/testing/service_harness.h) and checked by the real SigV4 verifier,
// so every input gets past authentication to the decoding behind it; and a clock that stands
// still, so that an input does the same thing every time it runs.
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "api/testing/service_harness.h"
#include "auth/auth.h"
#include "common/clock.h"
#include "http/http.h"
#include "tests/testutil/sigv4_signer.h"

namespace vigil::fuzz {

// A directory for the run's stores, on tmpfs when there is one (they sync), removed at exit.
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    std::string templ =
        std::string(std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp") +
        "/vigil_fuzz_XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) abort();
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*dir, ignored);
    });
    return new std::string(templ);
  }();
  return *dir;
}

// 2025-01-15T01:00:00Z: the aws CLI captures the seeds come from put events of 00:00 that day,
// which PutLogEvents takes only within 14 days of now.
inline constexpr int64_t kFuzzNowMs = 1736902800000;

// The root key the requests are signed with and a verifier that knows it. Construct once (a
// function-local static): the verifier caches signing keys.
class SignedRequests {
 public:
  SignedRequests() : verifier_(&keys_, &clock_, auth::VerifierOptions{.max_skew_ms = 0}) {
    keys_.Put({api::testing::kAccessKeyId, api::testing::kSecretKey, "root"});
  }

  const auth::AccessControl* verifier() const { return &verifier_; }
  const Clock* clock() const { return &clock_; }

  // POST / of `body` with X-Amz-Target `target` (JSON 1.1), signed for `service` ("logs",
  // "cloudtrail") as of the fixed clock, as the server hands it to a handler.
  http::Request Json11(const std::string& service, const std::string& target,
                       std::string body) const {
    testutil::HttpRequest r{"POST",
                            "/",
                            {{"Host", "127.0.0.1:4510"},
                             {"Content-Type", "application/x-amz-json-1.1"},
                             {"X-Amz-Target", target}},
                            std::move(body)};
    testutil::SignV4({api::testing::kAccessKeyId, api::testing::kSecretKey, "us-east-1", service},
                     std::chrono::system_clock::time_point(std::chrono::milliseconds(kFuzzNowMs)),
                     &r);
    return api::testing::ToServerRequest(r);
  }

 private:
  const api::testing::ManualClock clock_{kFuzzNowMs};  // never set: it stands still
  auth::KeyStore keys_;
  auth::SigV4Verifier verifier_;
};

}  // namespace vigil::fuzz
