#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/sigv4_internal.h"

namespace vigil::auth {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr char kKeyId[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kMismatch[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t NowMillis() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }

 private:
  std::atomic<int64_t> now_;
};

// A request held by value; Signed() views it as the verifier's input.
struct OwnedRequest {
  std::string method = "POST", path = "/", query;
  Headers headers;
  std::string body;

  SignedRequest Signed() const { return SignedRequest{method, path, query, &headers, body}; }
  void SetHeader(const std::string& name, std::string value) {
    for (auto& [k, v] : headers) {
      if (k == name) {
        v = std::move(value);
        return;
      }
    }
    headers.emplace_back(name, std::move(value));
  }
  void RemoveHeader(const std::string& name) {
    std::erase_if(headers, [&](const auto& h) { return h.first == name; });
  }
};

// NOTES.md §9's worked example: PutMetricData.1 as captured at 20261125T195434Z.
constexpr char kExampleBody[] =
    "Action=PutMetricData&Version=2010-08-01&Namespace=MyApp&MetricData.member.1.MetricName="
    "Latency&MetricData.member.1.Value=12.5";
constexpr char kExampleSignature[] =
    "c3062bd427911fee39162c14ce51cafce23a8679b54bf8346537389d655db333";
constexpr int64_t kExampleTimeMs = 1795636474000;  // 2026-11-25T19:54:34Z

std::string ExampleAuthorization(std::string_view sep = ", ",
                                 std::string_view signature = kExampleSignature,
                                 std::string_view key_id = kKeyId,
                                 std::string_view date = "20261125") {
  return "AWS4-HMAC-SHA256 Credential=" + std::string(key_id) + "/" + std::string(date) +
         "/us-east-1/monitoring/aws4_request" + std::string(sep) +
         "SignedHeaders=content-type;host;x-amz-date" + std::string(sep) +
         "Signature=" + std::string(signature);
}

OwnedRequest ExampleRequest() {
  OwnedRequest r;
  r.headers = {
      {"Host", "127.0.0.1:18931"},
      {"Accept-Encoding", "identity"},
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
      {"User-Agent", "aws-cli/2.9.19 Python/3.11.2 command/cloudwatch.put-metric-data"},
      {"X-Amz-Date", "20261125T195434Z"},
      {"Authorization", ExampleAuthorization()},
      {"Content-Length", "125"},
  };
  r.body = kExampleBody;
  return r;
}

class SigV4Test : public ::testing::Test {
 protected:
  SigV4Test() : clock_(kExampleTimeMs) { keys_.Put(AccessKey{kKeyId, kSecret, "root"}); }

  VerifyResult Verify(const OwnedRequest& r, int64_t max_skew_ms = 15 * 60 * 1000) {
    SigV4Verifier verifier(&keys_, &clock_, VerifierOptions{.max_skew_ms = max_skew_ms});
    return verifier.Verify(r.Signed());
  }

  KeyStore keys_;
  FakeClock clock_;
};

TEST(CryptoTest, KnownAnswers) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(KeyStoreTest, PutFindReplace) {
  KeyStore store;
  EXPECT_FALSE(store.Find("A").has_value());
  store.Put(AccessKey{"A", "s1", "alice"});
  store.Put(AccessKey{"B", "s2"});
  ASSERT_TRUE(store.Find("A").has_value());
  EXPECT_EQ(store.Find("A")->secret_access_key, "s1");
  EXPECT_EQ(store.Find("A")->principal, "alice");
  EXPECT_EQ(store.Find("B")->principal, "root");
  store.Put(AccessKey{"A", "s3", "alice"});
  EXPECT_EQ(store.Find("A")->secret_access_key, "s3");
}

TEST(AuthErrorCodeTest, Names) {
  EXPECT_EQ(AuthErrorCode(AuthError::kMissingAuthenticationToken), "MissingAuthenticationToken");
  EXPECT_EQ(AuthErrorCode(AuthError::kIncompleteSignature), "IncompleteSignature");
  EXPECT_EQ(AuthErrorCode(AuthError::kInvalidClientTokenId), "InvalidClientTokenId");
  EXPECT_EQ(AuthErrorCode(AuthError::kSignatureDoesNotMatch), "SignatureDoesNotMatch");
  EXPECT_EQ(AuthErrorCode(AuthError::kThrottled), "Throttling");
  EXPECT_EQ(AuthErrorCode(AuthError::kRequestExpired), "RequestExpired");
}

TEST_F(SigV4Test, WorkedExampleFromNotes) {
  OwnedRequest r = ExampleRequest();
  EXPECT_EQ(Sha256Hex(r.body), "d09a82d3e41bcf1630ded8d69e7e1e59bef798592c627f95f8789ce3f500fbcc");
  std::string canonical = sigv4::CanonicalRequest(
      r.method, r.path, r.query, r.headers, "content-type;host;x-amz-date", Sha256Hex(r.body));
  EXPECT_EQ(canonical,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:127.0.0.1:18931\nx-amz-date:20261125T195434Z\n\ncontent-type;host;x-amz-date\n"
            "d09a82d3e41bcf1630ded8d69e7e1e59bef798592c627f95f8789ce3f500fbcc");
  EXPECT_EQ(Sha256Hex(canonical),
            "ecb97fcf952c1373ce09194e127bf07a78e5765cac0a22424597dc420be73ab4");
  std::string k = HmacSha256(std::string("AWS4") + kSecret, "20261125");
  k = HmacSha256(HmacSha256(HmacSha256(k, "us-east-1"), "monitoring"), "aws4_request");
  EXPECT_EQ(HexEncode(k), "a521093e28a29df36c269b1d0152ec1b74a0fafb1dcc21c8ccfa37cfa37d2957");

  VerifyResult v = Verify(r);
  ASSERT_TRUE(v.ok()) << AuthErrorCode(v.error) << ": " << v.message;
  EXPECT_EQ(v.identity->access_key_id, kKeyId);
  EXPECT_EQ(v.identity->principal, "root");
  EXPECT_EQ(v.identity->region, "us-east-1");
  EXPECT_EQ(v.identity->service, "monitoring");
}

// The AWS SigV4 test suite's get-vanilla and get-vanilla-query-order-key-case.
TEST_F(SigV4Test, AwsTestSuiteVectors) {
  clock_.Set(1440938160000);  // 2015-08-30T12:36:00Z
  OwnedRequest r;
  r.method = "GET";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  auto auth = [](std::string_view sig) {
    return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
           "SignedHeaders=host;x-amz-date, Signature=" +
           std::string(sig);
  };
  r.SetHeader("Authorization",
              auth("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
  VerifyResult v = Verify(r);
  EXPECT_TRUE(v.ok()) << v.message;

  r.query = "Param2=value2&Param1=value1";
  r.SetHeader("Authorization",
              auth("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
  v = Verify(r);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.identity->service, "service");
}

TEST_F(SigV4Test, ToleratesSeparatorsCaseAndWhitespace) {
  OwnedRequest r = ExampleRequest();
  r.SetHeader("Authorization", ExampleAuthorization(","));
  EXPECT_TRUE(Verify(r).ok());
  std::string upper = kExampleSignature;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  r.SetHeader("Authorization", ExampleAuthorization(" ,  ", upper));
  EXPECT_TRUE(Verify(r).ok());
  // Header values are trimmed and inner runs collapsed before signing.
  r = ExampleRequest();
  r.SetHeader("Content-Type", "  application/x-www-form-urlencoded;   charset=utf-8 ");
  r.SetHeader("x-amz-content-sha256", Sha256Hex(kExampleBody));  // unsigned, but consistent
  EXPECT_TRUE(Verify(r).ok());
}

TEST_F(SigV4Test, ChangedBodyIsSignatureDoesNotMatch) {
  OwnedRequest r = ExampleRequest();
  r.body.back() = '6';  // Value=12.6
  VerifyResult v = Verify(r);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error, AuthError::kSignatureDoesNotMatch);
  EXPECT_EQ(v.message, kMismatch);
}

TEST_F(SigV4Test, ChangedSignedHeaderIsSignatureDoesNotMatch) {
  OwnedRequest r = ExampleRequest();
  r.SetHeader("Host", "127.0.0.1:18932");
  EXPECT_EQ(Verify(r).error, AuthError::kSignatureDoesNotMatch);
  r = ExampleRequest();
  r.headers.emplace_back("content-type", "text/plain");  // a second value joins the first
  EXPECT_EQ(Verify(r).error, AuthError::kSignatureDoesNotMatch);
  r = ExampleRequest();
  r.SetHeader("User-Agent", "something else");  // not signed
  EXPECT_TRUE(Verify(r).ok());
}

TEST_F(SigV4Test, PayloadHashHeaderMustMatchTheBody) {
  OwnedRequest r = ExampleRequest();
  r.SetHeader("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
  VerifyResult v = Verify(r);
  EXPECT_EQ(v.error, AuthError::kSignatureDoesNotMatch);
  EXPECT_FALSE(v.ok());
  r.SetHeader("X-Amz-Content-SHA256", Sha256Hex("other"));
  EXPECT_FALSE(Verify(r).ok());
}

TEST_F(SigV4Test, UnknownKeyIsInvalidClientTokenId) {
  OwnedRequest r = ExampleRequest();
  r.SetHeader("Authorization", ExampleAuthorization(", ", kExampleSignature, "AKIDUNKNOWN"));
  VerifyResult v = Verify(r);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error, AuthError::kInvalidClientTokenId);
  EXPECT_EQ(v.message, "The security token included in the request is invalid.");
}

TEST_F(SigV4Test, WrongSecretIsSignatureDoesNotMatch) {
  keys_.Put(AccessKey{kKeyId, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", "root"});
  VerifyResult v = Verify(ExampleRequest());
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error, AuthError::kSignatureDoesNotMatch);
  // The signing-key cache is keyed by the secret: restoring it verifies again.
  keys_.Put(AccessKey{kKeyId, kSecret, "root"});
  EXPECT_TRUE(Verify(ExampleRequest()).ok());
}

TEST_F(SigV4Test, ClockSkew) {
  OwnedRequest r = ExampleRequest();
  clock_.Set(kExampleTimeMs + 16 * 60 * 1000);
  VerifyResult v = Verify(r);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error, AuthError::kRequestExpired);
  EXPECT_EQ(v.message,
            "Signature expired: 20261125T195434Z is now earlier than 20261125T195534Z "
            "(20261125T201034Z - 15 min.)");
  EXPECT_TRUE(Verify(r, /*max_skew_ms=*/0).ok());  // disabled for replay

  clock_.Set(kExampleTimeMs + 14 * 60 * 1000);
  EXPECT_TRUE(Verify(r).ok());
  clock_.Set(kExampleTimeMs + 15 * 60 * 1000);
  EXPECT_TRUE(Verify(r).ok());

  clock_.Set(kExampleTimeMs - 16 * 60 * 1000);  // request from the future
  v = Verify(r);
  EXPECT_EQ(v.error, AuthError::kRequestExpired);
  EXPECT_EQ(v.message,
            "Signature not yet current: 20261125T195434Z is still later than 20261125T195334Z "
            "(20261125T193834Z + 15 min.)");
  clock_.Set(kExampleTimeMs - 14 * 60 * 1000);
  EXPECT_TRUE(Verify(r).ok());
}

TEST_F(SigV4Test, MissingAuthorizationIsMissingAuthenticationToken) {
  OwnedRequest r = ExampleRequest();
  r.RemoveHeader("Authorization");
  VerifyResult v = Verify(r);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error, AuthError::kMissingAuthenticationToken);
  EXPECT_EQ(v.message, "Missing Authentication Token");
}

TEST_F(SigV4Test, MalformedAuthorizationIsIncompleteSignature) {
  const std::string cases[] = {
      "garbage",
      "AWS4-HMAC-SHA256",
      "AWS4-HMAC-SHA1 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=00",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring, "
      "SignedHeaders=content-type;host;x-amz-date, Signature=00",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws5_request, "
      "SignedHeaders=content-type;host;x-amz-date, Signature=00",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-11-25/us-east-1/monitoring/aws4_request, "
      "SignedHeaders=content-type;host;x-amz-date, Signature=00",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws4_request/x, "
      "SignedHeaders=content-type;host;x-amz-date, Signature=00",
      // host or x-amz-date left unsigned
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws4_request, "
      "SignedHeaders=content-type;x-amz-date, Signature=" +
          std::string(kExampleSignature),
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws4_request, "
      "SignedHeaders=content-type;host, Signature=" +
          std::string(kExampleSignature),
  };
  for (const std::string& auth : cases) {
    OwnedRequest r = ExampleRequest();
    r.SetHeader("Authorization", auth);
    VerifyResult v = Verify(r);
    ASSERT_FALSE(v.ok()) << auth;
    EXPECT_EQ(v.error, AuthError::kIncompleteSignature) << auth;
    EXPECT_FALSE(v.message.empty());
  }
}

TEST_F(SigV4Test, MissingOrMalformedAmzDateIsIncompleteSignature) {
  OwnedRequest r = ExampleRequest();
  r.RemoveHeader("X-Amz-Date");
  EXPECT_EQ(Verify(r).error, AuthError::kIncompleteSignature);
  r.SetHeader("X-Amz-Date", "2026-11-25T19:54:34Z");
  EXPECT_EQ(Verify(r).error, AuthError::kIncompleteSignature);
}

TEST_F(SigV4Test, ScopeDateMustEqualAmzDate) {
  OwnedRequest r = ExampleRequest();
  r.SetHeader("Authorization", ExampleAuthorization(", ", kExampleSignature, kKeyId, "20261124"));
  VerifyResult v = Verify(r, 0);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error, AuthError::kSignatureDoesNotMatch);
  EXPECT_NE(v.message.find("'20261124' != '20261125'"), std::string::npos) << v.message;
}

TEST_F(SigV4Test, ConcurrentVerifiesShareTheKeyCache) {
  std::atomic<int> ok{0};
  SigV4Verifier verifier(&keys_, &clock_, VerifierOptions{});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      OwnedRequest r = ExampleRequest();
      for (int i = 0; i < 200; ++i) ok += verifier.Verify(r.Signed()).ok() ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 800);
}

TEST(SigV4CanonicalTest, UriAndQuery) {
  EXPECT_EQ(sigv4::CanonicalUri(""), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/"), "/");
  EXPECT_EQ(sigv4::CanonicalUri("/a b/c~d"), "/a%20b/c~d");
  // Non-S3 SigV4 encodes the path as sent once more (botocore does the same).
  EXPECT_EQ(sigv4::CanonicalUri("/fn%3Ax"), "/fn%253Ax");
  EXPECT_EQ(sigv4::CanonicalQuery(""), "");
  EXPECT_EQ(sigv4::CanonicalQuery("b=2&a=1&a=0"), "a=0&a=1&b=2");
  EXPECT_EQ(sigv4::CanonicalQuery("x=a%2fb&y=%7e&z=a+b&flag"), "flag=&x=a%2Fb&y=~&z=a%2Bb");
  EXPECT_EQ(sigv4::CanonicalQuery("k=%E1%88%B4&&"), "k=%E1%88%B4");
  EXPECT_EQ(sigv4::PercentDecode("%41%4g%"), "A%4g%");
}

TEST(SigV4CanonicalTest, Headers) {
  Headers h = {{"My-Header", "  a   b  "}, {"Host", "h:1"}, {"my-header", "c"}, {"X", "\tx\ty"}};
  EXPECT_EQ(sigv4::CanonicalHeaders(h, "host;my-header;missing;x"),
            "host:h:1\nmy-header:a b,c\nmissing:\nx:x y\n");
}

TEST(SigV4CanonicalTest, AmzDate) {
  EXPECT_EQ(sigv4::ParseAmzDate("20261125T195434Z"), kExampleTimeMs);
  EXPECT_EQ(sigv4::ParseAmzDate("19700101T000000Z"), 0);
  EXPECT_EQ(sigv4::ParseAmzDate("20240229T000000Z"), 1709164800000);
  EXPECT_FALSE(sigv4::ParseAmzDate("20230229T000000Z"));
  EXPECT_FALSE(sigv4::ParseAmzDate("20261325T195434Z"));
  EXPECT_FALSE(sigv4::ParseAmzDate("20261125T245434Z"));
  EXPECT_FALSE(sigv4::ParseAmzDate("20261125 195434Z"));
  EXPECT_FALSE(sigv4::ParseAmzDate("20261125T195434"));
  EXPECT_EQ(sigv4::FormatAmzDate(kExampleTimeMs + 999), "20261125T195434Z");
  EXPECT_EQ(sigv4::FormatAmzDate(0), "19700101T000000Z");
}

// ---- Replay of every request the AWS CLI sent during the captures (NOTES.md).

struct Capture {
  OwnedRequest request;
  std::string name;
};

Capture ParseCapture(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string raw = ss.str();
  Capture c;
  c.name = file.string();
  size_t head_end = raw.find("\r\n\r\n");
  EXPECT_NE(head_end, std::string::npos) << file;
  std::string_view head(raw.data(), head_end);
  c.request.body = raw.substr(head_end + 4);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  c.request.method = std::string(line.substr(0, sp1));
  std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
  size_t q = target.find('?');
  c.request.path = target.substr(0, q);
  if (q != std::string::npos) c.request.query = target.substr(q + 1);
  head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
  while (!head.empty()) {
    eol = head.find("\r\n");
    std::string_view h = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    size_t colon = h.find(':');
    std::string_view value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    c.request.headers.emplace_back(std::string(h.substr(0, colon)), std::string(value));
  }
  return c;
}

std::vector<Capture> LoadCaptures() {
  std::vector<Capture> out;
  const std::filesystem::path dir = std::filesystem::path(VIGIL_AWSCLI_FIXTURES) / "requests";
  if (!std::filesystem::is_directory(dir)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".http") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) out.push_back(ParseCapture(f));
  return out;
}

TEST_F(SigV4Test, EveryCapturedAwsCliRequestVerifies) {
  std::vector<Capture> captures = LoadCaptures();
  if (captures.empty()) GTEST_SKIP() << "no captures under " << VIGIL_AWSCLI_FIXTURES;
  EXPECT_GE(captures.size(), 58u);
  int with_token = 0, gzipped = 0, logs = 0;
  for (const Capture& c : captures) {
    VerifyResult v = Verify(c.request, /*max_skew_ms=*/0);
    ASSERT_TRUE(v.ok()) << c.name << ": " << AuthErrorCode(v.error) << ": " << v.message;
    EXPECT_TRUE(v.identity->service == "monitoring" || v.identity->service == "logs") << c.name;
    for (const auto& [k, val] : c.request.headers) {
      if (k == "X-Amz-Security-Token") ++with_token;
      if (k == "Content-Encoding") ++gzipped;
    }
    if (v.identity->service == "logs") ++logs;

    // One changed byte anywhere in the body breaks the signature.
    OwnedRequest tampered = c.request;
    if (tampered.body.empty()) {
      tampered.body = " ";
    } else {
      tampered.body[tampered.body.size() / 2] ^= 0x01;
    }
    EXPECT_EQ(Verify(tampered, 0).error, AuthError::kSignatureDoesNotMatch) << c.name;
  }
  EXPECT_GE(with_token, 1);  // variants/ carries a session token
  EXPECT_GE(logs, 1);
}

}  // namespace
}  // namespace vigil::auth

namespace vigil::auth {
namespace {

TEST(SignRequestTest, SignedRequestsVerifyAndTamperingFails) {
  KeyStore keys;
  keys.Put(AccessKey{kKeyId, kSecret, "root"});
  const int64_t now = 1'795'000'000'000;  // 2026-11-18
  FakeClock clock(now);
  SigV4Verifier verifier(&keys, &clock, VerifierOptions{});

  Headers headers = {{"Host", "127.0.0.1:4510"},
                     {"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics"},
                     {"User-Agent", "not signed"},
                     {"X-Amz-Date", "stale, replaced"}};
  const std::string body = R"({"Namespace": "App"})";
  SignRequest(AccessKey{kKeyId, kSecret, "root"}, "us-east-1", "monitoring", now, "POST", "/",
              &headers, body);
  ASSERT_EQ(std::count_if(headers.begin(), headers.end(),
                          [](const auto& h) { return h.first == "X-Amz-Date"; }),
            1);
  const std::string& authorization = headers.back().second;
  EXPECT_NE(authorization.find("SignedHeaders=content-type;host;x-amz-date;x-amz-target,"),
            std::string::npos)
      << authorization;

  VerifyResult ok = verifier.Verify(SignedRequest{"POST", "/", "", &headers, body});
  ASSERT_TRUE(ok.ok()) << ok.message;
  EXPECT_EQ(ok.identity->service, "monitoring");

  VerifyResult tampered = verifier.Verify(SignedRequest{"POST", "/", "", &headers, body + " "});
  EXPECT_EQ(tampered.error, AuthError::kSignatureDoesNotMatch);
}

TEST(SignRequestTest, AServersRegionRefusesSignaturesScopedElsewhere) {
  KeyStore keys;
  keys.Put(AccessKey{kKeyId, kSecret, "root"});
  const int64_t now = 1'795'000'000'000;
  FakeClock clock(now);
  SigV4Verifier verifier(&keys, &clock, VerifierOptions{.region = "eu-west-1"});
  const std::string body = "{}";
  for (const char* region : {"eu-west-1", "us-east-1"}) {
    Headers headers = {{"Host", "127.0.0.1:4510"}};
    SignRequest(AccessKey{kKeyId, kSecret, "root"}, region, "monitoring", now, "POST", "/",
                &headers, body);
    VerifyResult r = verifier.Verify(SignedRequest{"POST", "/", "", &headers, body});
    if (std::string_view(region) == "eu-west-1") {
      EXPECT_TRUE(r.ok()) << r.message;
    } else {
      EXPECT_EQ(r.error, AuthError::kSignatureDoesNotMatch);
      EXPECT_NE(r.message.find("valid region, not 'us-east-1'"), std::string::npos) << r.message;
    }
  }
}

}  // namespace
}  // namespace vigil::auth
