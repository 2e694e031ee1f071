#include <gtest/gtest.h>

#include <string>

#include "http/http.h"

namespace vigil::http {
namespace {

Request MakeRequest(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

TEST(RequestTest, HeaderIsCaseInsensitiveAndReturnsFirst) {
  Request r;
  r.headers = {{"X-Amz-Date", "a"}, {"x-amz-date", "b"}, {"Host", "h"}};
  ASSERT_TRUE(r.Header("x-amz-DATE").has_value());
  EXPECT_EQ(*r.Header("x-amz-DATE"), "a");
  EXPECT_EQ(*r.Header("host"), "h");
  EXPECT_FALSE(r.Header("Authorization").has_value());
  EXPECT_FALSE(r.Header("Hos").has_value());
}

TEST(ResponseTest, TextSetsContentType) {
  Response r = Response::Text(201, "hi");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "hi");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Content-Type");
  EXPECT_EQ(r.headers[0].second, "text/plain; charset=utf-8");
}

TEST(RouterTest, DispatchesByMethodAndPath) {
  Router router;
  router.Handle("GET", "/a", [](const Request&) { return Response::Text(200, "get a"); });
  router.Handle("POST", "/a", [](const Request&) { return Response::Text(200, "post a"); });
  router.Handle("GET", "/b", [](const Request&) { return Response::Text(200, "get b"); });
  EXPECT_EQ(router.Dispatch(MakeRequest("GET", "/a")).body, "get a");
  EXPECT_EQ(router.Dispatch(MakeRequest("POST", "/a")).body, "post a");
  EXPECT_EQ(router.Dispatch(MakeRequest("GET", "/b")).body, "get b");
}

TEST(RouterTest, UnknownPathIs404) {
  Router router;
  router.Handle("GET", "/a", [](const Request&) { return Response::Text(200, "a"); });
  EXPECT_EQ(router.Dispatch(MakeRequest("GET", "/nope")).status, 404);
  EXPECT_EQ(router.Dispatch(MakeRequest("GET", "/a/")).status, 404);
}

TEST(RouterTest, KnownPathOtherMethodIs405WithAllow) {
  Router router;
  router.Handle("GET", "/a", [](const Request&) { return Response::Text(200, "a"); });
  router.Handle("PUT", "/a", [](const Request&) { return Response::Text(200, "a"); });
  router.Handle("GET", "/a", [](const Request&) { return Response::Text(200, "dup"); });
  Response r = router.Dispatch(MakeRequest("DELETE", "/a"));
  EXPECT_EQ(r.status, 405);
  std::string allow;
  for (auto& [k, v] : r.headers) {
    if (k == "Allow") allow = v;
  }
  EXPECT_EQ(allow, "GET, PUT");
}

TEST(RouterTest, AnyMethodFallbackLosesToExactMethod) {
  Router router;
  router.Handle("*", "/x", [](const Request&) { return Response::Text(200, "any"); });
  router.Handle("GET", "/x", [](const Request&) { return Response::Text(200, "get"); });
  router.Handle("", "/y", [](const Request&) { return Response::Text(200, "any y"); });
  EXPECT_EQ(router.Dispatch(MakeRequest("GET", "/x")).body, "get");
  EXPECT_EQ(router.Dispatch(MakeRequest("PATCH", "/x")).body, "any");
  EXPECT_EQ(router.Dispatch(MakeRequest("POST", "/y")).body, "any y");
}

TEST(RouterTest, PrefixRoutesMatchEveryPathUnderThemInRegistrationOrder) {
  Router router;
  router.Handle("GET", "/v1/apps", [](const Request&) { return Response::Text(200, "list"); });
  router.Handle("GET", "/v1/apps/*", [](const Request& r) { return Response::Text(200, r.path); });
  Request req;
  req.method = "GET";
  req.path = "/v1/apps";
  EXPECT_EQ(router.Dispatch(req).body, "list");
  req.path = "/v1/apps/web/instances";
  EXPECT_EQ(router.Dispatch(req).body, "/v1/apps/web/instances");
  req.path = "/v1/appsx";
  EXPECT_EQ(router.Dispatch(req).status, 404);
  req.method = "POST";
  req.path = "/v1/apps/web";
  EXPECT_EQ(router.Dispatch(req).status, 405);
}

}  // namespace
}  // namespace vigil::http
