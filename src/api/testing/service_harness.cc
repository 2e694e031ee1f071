#include "api/testing/service_harness.h"

#include <algorithm>
#include <cctype>

#include "api/testing/fixtures.h"
#include "http/http.h"

namespace vigil::api::testing {
namespace {

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (SameName(n, name)) return v;
  }
  return "";
}

http::Request ToServerRequest(const testutil::HttpRequest& r) {
  http::Request req;
  req.method = r.method;
  req.target = r.target;
  const size_t q = r.target.find('?');
  req.path = r.target.substr(0, q);
  req.query = q == std::string::npos ? "" : r.target.substr(q + 1);
  req.headers = r.headers;
  req.body = r.body;
  req.remote_address = "127.0.0.1:50000";
  return req;
}

void ServiceHarness::SetUp() {
  std::string templ = "/tmp/vigil_api_XXXXXX";
  ASSERT_NE(::mkdtemp(templ.data()), nullptr);
  dir_ = templ;
  tsdb::Options options;
  options.dir = dir_;
  options.background = false;
  options.clock = &clock_;
  options.logger = &NullLogger();
  auto db = tsdb::Db::Open(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  db_ = std::move(db).value();
  keys_.Put({kAccessKeyId, kSecretKey, "root"});
  verifier_ = std::make_unique<auth::SigV4Verifier>(&keys_, &clock_, auth::VerifierOptions{});
  service_ = std::make_unique<CloudWatchService>(db_.get(), verifier_.get(), &clock_, &NullLogger(),
                                                 &registry_, CloudWatchOptions{});
}

void ServiceHarness::TearDown() {
  service_.reset();
  if (db_) {
    EXPECT_TRUE(db_->Close().ok());
  }
  db_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

http::Response ServiceHarness::Send(
    const std::function<http::Response(const http::Request&)>& handler, testutil::HttpRequest r,
    bool sign, const std::string& secret, const std::string& service) {
  const bool has_host = std::any_of(r.headers.begin(), r.headers.end(),
                                    [](const auto& h) { return SameName(h.first, "Host"); });
  if (!has_host) r.headers.insert(r.headers.begin(), {"Host", "127.0.0.1:4510"});
  if (sign) {
    testutil::SigV4Key key{kAccessKeyId, secret, "us-east-1", service};
    testutil::SignV4(
        key, std::chrono::system_clock::time_point(std::chrono::milliseconds(clock_.NowMillis())),
        &r);
  }
  return handler(ToServerRequest(r));
}

http::Response ServiceHarness::SendQuery(const std::string& form_body) {
  testutil::HttpRequest r;
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = form_body;
  return Send([this](const http::Request& q) { return service_->Handle(q); }, std::move(r));
}

http::Response ServiceHarness::SendJson(const std::string& op, const std::string& body, bool gzip) {
  testutil::HttpRequest r;
  r.headers = {{"X-Amz-Target", "GraniteServiceVersion20100801." + op},
               {"Content-Type", "application/x-amz-json-1.0"},
               {"x-amzn-query-mode", "true"}};
  if (gzip) r.headers.emplace_back("Content-Encoding", "gzip");
  r.body = gzip ? http::Gzip(body) : body;
  return Send([this](const http::Request& q) { return service_->Handle(q); }, std::move(r));
}

}  // namespace vigil::api::testing
