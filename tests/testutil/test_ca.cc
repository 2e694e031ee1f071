#include "tests/testutil/test_ca.h"

#include "storage/file_util.h"

namespace vigil::testutil {

StatusOr<TestCa> TestCa::Create(const std::string& dir) {
  TestCa ca;
  ca.dir_ = dir;
  ca.ca_file_ = dir + "/ca.pem";
  http::CertificateSpec spec;
  spec.common_name = "Vigil Test CA";
  spec.is_ca = true;
  ASSIGN_OR_RETURN(ca.ca_, http::IssueCertificate(spec));
  RETURN_IF_ERROR(storage::WriteFileAtomic(ca.ca_file_, ca.ca_.cert_pem, 0644, false));
  return ca;
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
