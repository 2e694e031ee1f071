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
  // Makes the CA ("Vigil Test CA") and writes its certificate to <dir>/ca.pem; `dir` must
  // exist. Errors of IssueCertificate or of writing the file.
  static StatusOr<TestCa> Create(const std::string& dir);

  const std::string& ca_file() const { return ca_file_; }  // the bundle clients trust

  // Issues a server certificate for `hosts` with serial number `serial` (0: random), written to
  // <dir>/<name>.pem and <dir>/<name>.key, and returns those files.
  StatusOr<http::TlsFiles> Issue(const std::string& name, uint64_t serial = 0,
                                 const std::vector<std::string>& hosts = {"127.0.0.1",
                                                                          "localhost"}) const;

 private:
  std::string dir_, ca_file_;
  http::Certificate ca_;
};

}  // namespace vigil::testutil
