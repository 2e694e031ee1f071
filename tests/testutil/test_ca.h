#pragma once
// A certificate authority made in the test (http::IssueCertificate, ECDSA P-256), and server
// certificates it issues, as PEM files in a directory: for TLS tests that need a CA bundle to
// trust (curl --cacert, aws --ca-bundle, vigil --ca-bundle) and certificates to serve.
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "http/tls.h"

namespace vigil::testutil {

class TestCa {
 public:
  // Makes the CA ("Vigil Test CA") in a new temporary directory, which it owns (removed with the
  // last TestCa moved from this one), and writes its certificate to <dir>/ca.pem. Errors of
  // mkdtemp, IssueCertificate or writing the file.
  static StatusOr<TestCa> Create();
  TestCa(TestCa&& other) noexcept;
  TestCa& operator=(TestCa&&) = delete;
  ~TestCa();

  const std::string& dir() const { return dir_; }          // for other files of the test
  const std::string& ca_file() const { return ca_file_; }  // the bundle clients trust

  // Issues a server certificate for `hosts` with serial number `serial` (0: random), written to
  // <dir>/<name>.pem and <dir>/<name>.key, and returns those files.
  StatusOr<http::TlsFiles> Issue(const std::string& name, uint64_t serial = 0,
                                 const std::vector<std::string>& hosts = {"127.0.0.1",
                                                                          "localhost"}) const;

 private:
  TestCa() = default;
  std::string dir_, ca_file_;  // dir_ empty: moved from
  http::Certificate ca_;
};

}  // namespace vigil::testutil
