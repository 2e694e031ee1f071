#include "tests/testutil/test_ca.h"

#include <stdlib.h>

#include <cerrno>
#include <utility>

#include "storage/file_util.h"

namespace vigil::testutil {

StatusOr<TestCa> TestCa::Create() {
  char tmpl[] = "/tmp/vigil_test_ca_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return IoError("mkdtemp", tmpl, errno);
  TestCa ca;
  ca.dir_ = tmpl;
  ca.ca_file_ = ca.dir_ + "/ca.pem";
  http::CertificateSpec spec;
  spec.common_name = "Vigil Test CA";
  spec.is_ca = true;
  ASSIGN_OR_RETURN(ca.ca_, http::IssueCertificate(spec));
  RETURN_IF_ERROR(storage::WriteFileAtomic(ca.ca_file_, ca.ca_.cert_pem, 0644, false));
  return ca;
}

TestCa::TestCa(TestCa&& other) noexcept
    : dir_(std::exchange(other.dir_, "")), ca_file_(other.ca_file_), ca_(other.ca_) {}

TestCa::~TestCa() {
  if (!dir_.empty()) storage::RemoveAll(dir_).IgnoreError();
}

StatusOr<http::TlsFiles> TestCa::Issue(const std::string& name, uint64_t serial,
                                       const std::vector<std::string>& hosts) const {
  http::CertificateSpec spec;
  spec.common_name = hosts.empty() ? name : hosts.front();
  spec.hosts = hosts;
  spec.serial = serial;
  spec.issuer_cert_pem = ca_.cert_pem;
  spec.issuer_key_pem = ca_.key_pem;
  ASSIGN_OR_RETURN(http::Certificate cert, http::IssueCertificate(spec));
  http::TlsFiles files{dir_ + "/" + name + ".pem", dir_ + "/" + name + ".key"};
  RETURN_IF_ERROR(storage::WriteFileAtomic(files.cert_file, cert.cert_pem, 0644, false));
  RETURN_IF_ERROR(storage::WriteFileAtomic(files.key_file, cert.key_pem, 0600, false));
  return files;
}

}  // namespace vigil::testutil
