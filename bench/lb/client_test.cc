#include "bench/lb/client.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::benchlb {
namespace {

TEST(ParseAnswerTest, ContentLengthAndBackendHeaders) {
  const std::string answer =
      "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nX-Backend: 4242\r\nx-backend-pid: 77\r\n\r\n"
      "ok 4242\n";
  Answer a;
  EXPECT_EQ(ParseAnswer(answer.substr(0, 20), false, &a), 0);
  EXPECT_EQ(ParseAnswer(answer.substr(0, answer.size() - 1), false, &a), 0);
  EXPECT_EQ(ParseAnswer(answer + "HTTP/1.1 200", false, &a), static_cast<int64_t>(answer.size()));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.port, 4242);
  EXPECT_EQ(a.pid, 77);
  EXPECT_FALSE(a.close);
}

TEST(ParseAnswerTest, ProxyErrorWithClose) {
  const std::string answer =
      "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 3\r\nconnection: close\r\n\r\nno\n";
  Answer a;
  EXPECT_EQ(ParseAnswer(answer, false, &a), static_cast<int64_t>(answer.size()));
  EXPECT_EQ(a.status, 503);
  EXPECT_TRUE(a.close);
  EXPECT_EQ(a.pid, 0);
}

TEST(ParseAnswerTest, Chunked) {
  const std::string answer =
      "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbad \r\n3\r\ngw\n\r\n"
      "0\r\n\r\n";
  Answer a;
  EXPECT_EQ(ParseAnswer(answer.substr(0, answer.size() - 2), false, &a), 0);
  EXPECT_EQ(ParseAnswer(answer, false, &a), static_cast<int64_t>(answer.size()));
  EXPECT_EQ(a.status, 502);
}

TEST(ParseAnswerTest, BodyUntilClose) {
  const std::string answer = "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody";
  Answer a;
  EXPECT_EQ(ParseAnswer(answer, false, &a), -1);
  EXPECT_EQ(ParseAnswer(answer, true, &a), static_cast<int64_t>(answer.size()));
  EXPECT_TRUE(a.close);
}

TEST(ParseAnswerTest, NotHttp) {
  Answer a;
  EXPECT_EQ(ParseAnswer("SSH-2.0-OpenSSH\r\n\r\n", false, &a), -2);
}

TEST(ParseFlagsTest, StoresValuesAndRejectsUnknown) {
  int n = 0;
  double d = 0;
  std::string s;
  char a0[] = "--n", a1[] = "8", a2[] = "--d", a3[] = "0.5", a4[] = "--s", a5[] = "STOP";
  char* argv[] = {a0, a1, a2, a3, a4, a5};
  EXPECT_TRUE(ParseFlags(6, argv, {{"--n", &n}, {"--d", &d}, {"--s", &s}}));
  EXPECT_EQ(n, 8);
  EXPECT_EQ(d, 0.5);
  EXPECT_EQ(s, "STOP");
  EXPECT_FALSE(ParseFlags(6, argv, {{"--n", &n}, {"--d", &d}}));
  EXPECT_FALSE(ParseFlags(5, argv, {{"--n", &n}, {"--d", &d}, {"--s", &s}}));
  char bad[] = "8x";
  argv[1] = bad;
  EXPECT_FALSE(ParseFlags(2, argv, {{"--n", &n}}));
  EXPECT_EQ(SignalNumber("STOP"), 19);
}

}  // namespace
}  // namespace vigil::benchlb
