// Tests of the test helpers themselves: the SigV4 signer against requests captured from the
// real aws CLIs (tests/ keeps no copy of them, so the bytes are inlined), the process runner,
// and the raw HTTP client against a one-shot loopback server.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ctime>
#include <regex>
#include <thread>

#include "tests/testutil/process.h"
#include "tests/testutil/sigv4_signer.h"

namespace vigil::testutil {
namespace {

using namespace std::chrono_literals;

std::chrono::system_clock::time_point ParseAmzDate(const std::string& s) {
  std::tm tm{};
  strptime(s.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

const SigV4Key kExampleKey{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};

std::string SignatureOf(const HttpRequest& r) {
  for (const auto& [k, v] : r.headers) {
    if (k == "Authorization") return v.substr(v.find("Signature=") + 10);
  }
  return "";
}

// compat/awscli/requests/cloudwatch.PutMetricData.1.http (awscli 2.9.19, query protocol).
TEST(SigV4SignerTest, MatchesQueryProtocolCapture) {
  HttpRequest r;
  r.headers = {{"Host", "127.0.0.1:18931"},
               {"Accept-Encoding", "identity"},
               {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"User-Agent", "aws-cli/2.9.19"}};
  r.body =
      "Action=PutMetricData&Version=2010-08-01&Namespace=MyApp&MetricData.member.1.MetricName="
      "Latency&MetricData.member.1.Value=12.5";
  SignV4(kExampleKey, ParseAmzDate("20261125T195858Z"), &r);
  EXPECT_EQ(SignatureOf(r), "3d523239b0e558b50e90a246d0b086ce46273c84a87084e2b2f3b2cead67144b");
  EXPECT_NE(r.headers.back().second.find(
                "Credential=AKIDEXAMPLE/20261125/us-east-1/monitoring/aws4_request, "
                "SignedHeaders=content-type;host;x-amz-date, Signature="),
            std::string::npos);
}

// compat/awscli/requests/newer-botocore/cloudwatch.PutMetricData.1.http (botocore 1.43, JSON).
TEST(SigV4SignerTest, MatchesJsonProtocolCapture) {
  HttpRequest r;
  r.headers = {{"Host", "127.0.0.1:18931"},
               {"X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData"},
               {"Content-Type", "application/x-amz-json-1.0"},
               {"x-amzn-query-mode", "true"},
               {"amz-sdk-request", "attempt=1"}};
  r.body = R"({"Namespace": "MyApp", "MetricData": [{"MetricName": "Latency", "Timestamp": )"
           R"(1736899200, "Unit": "Milliseconds", "Value": 12.5, "Dimensions": [{"Name": "Host", )"
           R"("Value": "web-1"}]}]})";
  SignV4(kExampleKey, ParseAmzDate("20261125T195948Z"), &r);
  EXPECT_EQ(SignatureOf(r), "7df9edaae6efb0e9f3e025682a908449ca899202bdb76426b37dd11bfcb1ca4a");
}

TEST(ProcessTest, CapturesOutputAndExitCode) {
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "echo out; echo err >&2; echo $FOO; exit 3"},
                       .env = {{"FOO", "bar"}}},
                      10s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->status.exited);
  EXPECT_EQ(r->status.code, 3);
  EXPECT_EQ(r->out, "out\nbar\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(ProcessTest, TimesOutAndKillsTheGroup) {
  auto start = std::chrono::steady_clock::now();
  auto r = RunCommand({.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30"}}, 200ms);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);  // the grandchild did not hold us
}

TEST(ProcessTest, WaitsForALineAndSignals) {
  auto p = Process::Spawn({.argv = {"/bin/sh", "-c",
                                    "echo starting; echo 'listening on :4242'; "
                                    "exec sleep 30"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto m = (*p)->WaitForLine(std::regex("listening on :([0-9]+)"), 10s);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ((*m)[1], "4242");
  EXPECT_FALSE((*p)->WaitForLine(std::regex("never"), 50ms).has_value());
  EXPECT_TRUE((*p)->running());
  EXPECT_FALSE((*p)->Wait(20ms).has_value());
  ASSERT_TRUE((*p)->Signal(SIGTERM));
  auto st = (*p)->Wait(10s);
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(st->exited);
  EXPECT_EQ(st->signal, SIGTERM);
}

TEST(ProcessTest, SpawnOfAMissingProgramFails) {
  auto p = Process::Spawn({.argv = {"/nonexistent/program"}});
  EXPECT_FALSE(p.ok());
}

// A one-shot server: accepts one connection, reads one request, answers with `response`.
TEST(HttpClientTest, SendsAndParsesContentLengthAndChunked) {
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(lfd, 4), 0);
  socklen_t len = sizeof addr;
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);

  std::string seen;
  std::thread server([&] {
    int c = accept(lfd, nullptr, nullptr);
    std::string in;
    char buf[4096];
    auto read_request = [&] {
      while (in.find("hello") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, n);
      }
    };
    read_request();
    seen = in;
    std::string r1 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nworld";
    ASSERT_EQ(write(c, r1.data(), r1.size()), static_cast<ssize_t>(r1.size()));
    in.clear();
    read_request();
    std::string r2 =
        "HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    ASSERT_EQ(write(c, r2.data(), r2.size()), static_cast<ssize_t>(r2.size()));
    close(c);
  });
  HttpClient client(port);
  HttpRequest req;
  req.body = "hello";
  auto r = client.Send(req, 5s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "world");
  EXPECT_EQ(r->Header("x-a").value_or(""), "b");
  auto r2 = client.Send(req, 5s);  // same keep-alive connection
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(r2->status, 400);
  EXPECT_EQ(r2->body, "abcde");
  server.join();
  close(lfd);
  EXPECT_NE(seen.find("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nContent-Length: 5\r\n\r\nhello"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil::testutil
