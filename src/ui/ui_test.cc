#include "ui/ui.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "http/http.h"

namespace vigil::ui {
namespace {

http::Request Get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.target = r.path;
  r.headers = std::move(headers);
  return r;
}

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "";
}

class UiTest : public ::testing::Test {
 protected:
  UiTest() {
    dir_ = std::filesystem::temp_directory_path() / ("vigil-ui-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_ / "src");
  }
  ~UiTest() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  std::string web() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(UiTest, ManifestNamesPathsAndFiles) {
  Write("src/index.html", "<!doctype html><title>x</title>");
  Write("src/app.js", "export {};");
  Write("assets.txt", "# the dashboard\n/  src/index.html\n\n/ui/app.js\tsrc/app.js  # code\n");
  auto assets = ReadAssets(web());
  ASSERT_TRUE(assets.ok()) << assets.status().ToString();
  ASSERT_EQ(assets->size(), 2u);
  EXPECT_EQ((*assets)[0].path, "/");
  EXPECT_EQ((*assets)[0].body, "<!doctype html><title>x</title>");
  EXPECT_EQ((*assets)[1].path, "/ui/app.js");
}

TEST_F(UiTest, BadManifestLinesAreNamed) {
  for (const char* bad : {"/etc/passwd src/app.js", "/ui/x ../secret", "/ui/x /etc/passwd",
                          "/ui/x src/../../secret", "/ui/x", "/ui/ src/app.js"}) {
    Write("assets.txt", std::string("# header\n") + bad + "\n");
    auto assets = ReadAssets(web());
    EXPECT_EQ(assets.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(assets.status().message().find("assets.txt:2:"), std::string::npos)
        << assets.status().ToString();
  }
  Write("assets.txt", "/ui/gone.js src/gone.js\n");
  auto missing = ReadAssets(web());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("src/gone.js"), std::string::npos);
}

TEST_F(UiTest, ServesWithCachingCompressionAndAStrictPolicy) {
  const std::string big(5000, 'a');
  Write("src/index.html", "<!doctype html>" + big);
  Write("src/style.css", "body{}");
  Write("assets.txt", "/ src/index.html\n/ui/style.css src/style.css\n");
  auto d = Dashboard::FromDirectory(web());
  ASSERT_TRUE(d.ok()) << d.status().ToString();

  http::Response page = (*d)->Handle(Get("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(HeaderOf(page, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(HeaderOf(page, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_NE(HeaderOf(page, "Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(HeaderOf(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page.body, "<!doctype html>" + big);
  const std::string etag = HeaderOf(page, "ETag");
  ASSERT_FALSE(etag.empty());

  http::Response gz = (*d)->Handle(Get("/", {{"Accept-Encoding", "gzip, deflate, br"}}));
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), 200u);
  auto plain = http::Gunzip(gz.body, 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, page.body);

  EXPECT_EQ((*d)->Handle(Get("/", {{"If-None-Match", etag}})).status, 304);
  EXPECT_EQ((*d)->Handle(Get("/ui/style.css")).body, "body{}");
  EXPECT_EQ(HeaderOf((*d)->Handle(Get("/ui/style.css")), "Content-Encoding"), "");
  EXPECT_EQ((*d)->Handle(Get("/ui/nothing.js")).status, 404);

  // Directory mode reads the files again: an edit shows at the next request.
  Write("src/style.css", "body{color:red}");
  http::Response edited = (*d)->Handle(Get("/ui/style.css", {{"If-None-Match", etag}}));
  EXPECT_EQ(edited.status, 200);
  EXPECT_EQ(edited.body, "body{color:red}");
}

TEST(UiEmbeddedTest, TheBuiltInDashboardHasItsPage) {
  std::unique_ptr<Dashboard> d = Dashboard::Embedded();
  http::Response page = d->Handle(Get("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<html"), std::string::npos);
  EXPECT_EQ(ContentTypeFor("/ui/vendor/uPlot.esm.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/ui/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("/ui/logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("/"), "text/html; charset=utf-8");
}

}  // namespace
}  // namespace vigil::ui
