#include "lb/http1.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigil::lb::http1 {
namespace {

ParseResult Request(std::string_view data, Head* head, const char** error = nullptr,
                    size_t max = 1 << 16) {
  const char* e = nullptr;
  size_t scanned = 0;
  const ParseResult r = ParseRequest(data, max, &scanned, head, &e);
  if (error != nullptr) *error = e;
  return r;
}

ParseResult Response(std::string_view data, Head* head) {
  const char* e = nullptr;
  size_t scanned = 0;
  return ParseResponse(data, 1 << 16, &scanned, head, &e);
}

TEST(Http1Test, ParsesARequestHeadInPlace) {
  const std::string data =
      "\r\nPOST /a?b=1 HTTP/1.1\r\nHost: x\r\nContent-Length:  5 \r\nX-A: one two\r\n\r\nhello";
  Head h;
  ASSERT_EQ(Request(data, &h), ParseResult::kDone);
  EXPECT_EQ(h.method, "POST");
  EXPECT_EQ(h.target, "/a?b=1");
  EXPECT_EQ(h.version, 11);
  EXPECT_EQ(h.size, data.size() - 5);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_EQ(h.Get("content-length"), "5");
  EXPECT_EQ(h.Get("x-a"), "one two");
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.Idempotent());
  const Framing f = RequestFraming(h);
  EXPECT_EQ(f.kind, Framing::kLength);
  EXPECT_EQ(f.length, 5u);
}

TEST(Http1Test, ResumesTheSearchForTheEndAcrossCalls) {
  const std::string data = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  Head h;
  size_t scanned = 0;
  const char* e = nullptr;
  for (size_t n = 0; n < data.size(); ++n) {
    ASSERT_EQ(ParseRequest(std::string_view(data).substr(0, n), 1024, &scanned, &h, &e),
              ParseResult::kNeedMore)
        << n;
    EXPECT_EQ(scanned, n);
  }
  ASSERT_EQ(ParseRequest(data, 1024, &scanned, &h, &e), ParseResult::kDone);
  EXPECT_EQ(h.version, 10);
  EXPECT_TRUE(h.keep_alive);
}

TEST(Http1Test, KeepAliveFollowsVersionAndConnection) {
  struct Case {
    const char* head;
    bool keep;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
  };
  for (const Case& c : cases) {
    Head h;
    ASSERT_EQ(Request(c.head, &h), ParseResult::kDone) << c.head;
    EXPECT_EQ(h.keep_alive, c.keep) << c.head;
  }
}

// Each of these could be read two ways, or is not HTTP/1.x: refused with a reason.
TEST(Http1Test, RefusesAmbiguousAndMalformedRequests) {
  const char* bad[] = {
      "this is not http\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: a\nB: b\r\n\r\n",
      "GET / HTTP/1.1\r\nX-A: a\x01\r\n\r\n",
      "GET /\x7f HTTP/1.1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "G@T / HTTP/1.1\r\n\r\n",
  };
  for (const char* data : bad) {
    Head h;
    const char* error = nullptr;
    EXPECT_EQ(Request(data, &h, &error), ParseResult::kBad) << data;
    EXPECT_NE(error, nullptr) << data;
  }
  Head h;
  EXPECT_EQ(Request("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", &h),
            ParseResult::kDone);
  EXPECT_EQ(
      Request("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n", &h, nullptr, 1000),
      ParseResult::kTooLarge);
  EXPECT_EQ(Request("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a'), &h, nullptr, 1000),
            ParseResult::kTooLarge);
}

TEST(Http1Test, ResponseFramingFollowsRfc9112) {
  struct Case {
    const char* head;
    bool head_request;
    Framing::Kind kind;
    uint64_t length;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", false, Framing::kLength, 12},
      {"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", true, Framing::kNone, 0},
      {"HTTP/1.1 204 No Content\r\n\r\n", false, Framing::kNone, 0},
      {"HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", false, Framing::kNone, 0},
      {"HTTP/1.1 100 Continue\r\n\r\n", false, Framing::kNone, 0},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", false,
       Framing::kChunked, 0},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, Framing::kUntilClose, 0},
      {"HTTP/1.1 200 OK\r\n\r\n", false, Framing::kUntilClose, 0},
      {"HTTP/1.0 200\r\nContent-Length: 0\r\n\r\n", false, Framing::kNone, 0},
  };
  for (const Case& c : cases) {
    Head h;
    ASSERT_EQ(Response(c.head, &h), ParseResult::kDone) << c.head;
    const Framing f = ResponseFraming(h, c.head_request);
    EXPECT_EQ(f.kind, c.kind) << c.head;
    EXPECT_EQ(f.length, c.length) << c.head;
  }
  Head h;
  ASSERT_EQ(Response("HTTP/1.1 503 \r\n\r\n", &h), ParseResult::kDone);
  EXPECT_EQ(h.status, 503);
  EXPECT_EQ(h.reason, "");
  EXPECT_EQ(Response("HTTP/1.1 20 OK\r\n\r\n", &h), ParseResult::kBad);
  EXPECT_EQ(Response("HTTP/1.1 2000 OK\r\n\r\n", &h), ParseResult::kBad);
  EXPECT_EQ(Response("ICY 200 OK\r\n\r\n", &h), ParseResult::kBad);
}

TEST(Http1Test, RequestHeadForTheTargetDropsHopByHopAndAddsForwarding) {
  const std::string data =
      "GET /p HTTP/1.0\r\nHost: app\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
      "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nExpect: 100-continue\r\n"
      "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nX-Forwarded-Proto: https\r\n"
      "X-Custom: kept\r\n\r\n";
  Head h;
  ASSERT_EQ(Request(data, &h), ParseResult::kDone);
  std::string out;
  WriteRequestHead(h, "127.0.0.1", "http", "8080", &out);
  EXPECT_EQ(out,
            "GET /p HTTP/1.1\r\nHost: app\r\nX-Custom: kept\r\n"
            "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 127.0.0.1\r\nX-Forwarded-Proto: http\r\n"
            "X-Forwarded-Port: 8080\r\n\r\n");
}

TEST(Http1Test, ResponseHeadForTheClientSaysHowTheConnectionGoesOn) {
  const std::string data =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\nConnection: X-Hop\r\n"
      "X-Hop: 1\r\nX-Kept: yes\r\n\r\n";
  Head h;
  ASSERT_EQ(Response(data, &h), ParseResult::kDone);
  std::string out;
  WriteResponseHead(h, 11, /*keep_alive=*/true, /*dechunk=*/false, &out);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kept: yes\r\n\r\n");
  out.clear();
  WriteResponseHead(h, 10, /*keep_alive=*/false, /*dechunk=*/true, &out);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\nX-Kept: yes\r\n\r\n");
  ASSERT_EQ(Response("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", &h),
            ParseResult::kDone);
  out.clear();
  WriteResponseHead(h, 11, false, false, &out);
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  out.clear();
  WriteResponseHead(h, 10, true, false, &out);
  EXPECT_EQ(out, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

// The scanner must find the same end and payload however the body is cut into reads.
TEST(Http1Test, ChunkedScannerFindsTheEndAcrossAnySplit) {
  const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  const std::string next = "GET /next HTTP/1.1\r\n\r\n";
  const std::string data = body + next;
  for (size_t cut = 1; cut < data.size(); ++cut) {
    ChunkedScanner s;
    std::vector<std::string_view> payload;
    std::string seen;
    size_t used = 0;
    bool done = false;
    for (size_t at = 0; at < data.size() && !done; at += cut) {
      const std::string_view piece = std::string_view(data).substr(at, cut);
      const ChunkedScanner::Result r = s.Feed(piece, &payload);
      ASSERT_FALSE(r.bad) << cut << ": " << r.error;
      used += r.used;
      done = r.done;
      if (!done) {
        ASSERT_EQ(r.used, piece.size());
      }
    }
    ASSERT_TRUE(done) << cut;
    EXPECT_EQ(used, body.size()) << cut;
    for (std::string_view p : payload) seen.append(p);
    EXPECT_EQ(seen, "hello world") << cut;
  }
}

TEST(Http1Test, ChunkedScannerRefusesBrokenFraming) {
  for (const char* bad : {"x\r\n", "5\r\nhello!\r\n", "5\nhello\r\n", "5\r\nhello\n",
                          "1234567890abcdef0\r\n", "0\r\n\n"}) {
    ChunkedScanner s;
    const ChunkedScanner::Result r = s.Feed(bad, nullptr);
    EXPECT_TRUE(r.bad) << bad;
    EXPECT_NE(r.error, nullptr) << bad;
  }
}

}  // namespace
}  // namespace vigil::lb::http1
