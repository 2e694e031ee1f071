// The dashboard's assets: the manifest, the embedded files, and serving them.
#include "ui/ui.h"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/ascii.h"

namespace vigil::ui {
namespace {

// What the page may do: everything from its own origin, nothing inline but styles (uPlot sizes
// its elements through style attributes), no framing by other sites.
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'";

std::string Etag(std::string_view body) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds and runs
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[24];
  std::snprintf(buf, sizeof(buf), "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

bool AcceptsGzip(const http::Request& request) {
  const auto accept = request.Header("Accept-Encoding");
  return accept && accept->find("gzip") != std::string_view::npos;
}

// A manifest's file: relative, and never out of the web folder.
bool SafeRelative(std::string_view file) {
  if (file.empty() || file.front() == '/') return false;
  size_t start = 0;
  while (start <= file.size()) {
    const size_t slash = file.find('/', start);
    const std::string_view part = file.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view path) {
  const size_t dot = path.rfind('.');
  const std::string_view ext =
      path == "/" || dot == std::string_view::npos ? ".html" : path.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

StatusOr<std::vector<Asset>> ReadAssets(const std::string& web_dir) {
  const std::string manifest = web_dir + "/assets.txt";
  std::ifstream in(manifest);
  if (!in) return NotFoundError(manifest + ": cannot be read");
  std::vector<Asset> assets;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string_view l = line;
    if (const size_t hash = l.find('#'); hash != std::string_view::npos) l = l.substr(0, hash);
    l = TrimBlanks(l);
    if (l.empty()) continue;
    const size_t space = l.find_first_of(" \t");
    const std::string_view path = l.substr(0, space);
    const std::string_view file =
        space == std::string_view::npos ? std::string_view() : TrimBlanks(l.substr(space));
    const std::string where = manifest + ":" + std::to_string(n) + ": ";
    if (path != "/" && (!path.starts_with("/ui/") || path.size() == 4)) {
      return InvalidArgumentError(where + "the path must be / or start with /ui/");
    }
    if (!SafeRelative(file) || file.find_first_of(" \t") != std::string_view::npos) {
      return InvalidArgumentError(where + "expected `<path> <file under web/>`");
    }
    std::ifstream f(web_dir + "/" + std::string(file), std::ios::binary);
    if (!f) {
      return NotFoundError(where + web_dir + "/" + std::string(file) +
                           " is missing (npm ci --prefix web installs the packages)");
    }
    std::ostringstream body;
    body << f.rdbuf();
    assets.push_back(Asset{std::string(path), std::move(body).str()});
  }
  return assets;
}

std::unique_ptr<Dashboard> Dashboard::Embedded() {
  std::vector<Asset> assets;
  for (const EmbeddedFile& f : EmbeddedFiles()) {
    assets.push_back(Asset{f.path, std::string(reinterpret_cast<const char*>(f.data), f.size)});
  }
  std::unique_ptr<Dashboard> d(new Dashboard());
  d->assets_ = Prepare(std::move(assets));
  return d;
}

StatusOr<std::unique_ptr<Dashboard>> Dashboard::FromDirectory(std::string web_dir) {
  RETURN_IF_ERROR(ReadAssets(web_dir).status());
  std::unique_ptr<Dashboard> d(new Dashboard());
  d->web_dir_ = std::move(web_dir);
  return d;
}

std::vector<Dashboard::Prepared> Dashboard::Prepare(std::vector<Asset> assets) {
  std::vector<Prepared> out;
  for (Asset& a : assets) {
    Prepared p;
    p.content_type = std::string(ContentTypeFor(a.path));
    p.etag = Etag(a.body);
    // Small or already compressed files gain nothing from gzip.
    if (a.body.size() > 1024 && !p.content_type.starts_with("image/png") &&
        !p.content_type.starts_with("font/")) {
      p.gzipped = http::Gzip(a.body, 9);
    }
    p.path = std::move(a.path);
    p.body = std::move(a.body);
    out.push_back(std::move(p));
  }
  return out;
}

http::Response Dashboard::Serve(const Prepared* asset, const http::Request& request) {
  http::Response r;
  r.headers = {{"Content-Security-Policy", kContentSecurityPolicy},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Referrer-Policy", "no-referrer"}};
  if (asset == nullptr) {
    r.status = 404;
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = "no such page: " + request.path + "\n";
    return r;
  }
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", asset->etag);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (const auto match = request.Header("If-None-Match"); match && *match == asset->etag) {
    r.status = 304;
    return r;
  }
  r.headers.emplace_back("Content-Type", asset->content_type);
  if (!asset->gzipped.empty() && AcceptsGzip(request)) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = asset->gzipped;
  } else {
    r.body = asset->body;
  }
  return r;
}

http::Response Dashboard::Handle(const http::Request& request) const {
  if (web_dir_.empty()) {
    for (const Prepared& a : assets_) {
      if (a.path == request.path) return Serve(&a, request);
    }
    return Serve(nullptr, request);
  }
  StatusOr<std::vector<Asset>> assets = ReadAssets(web_dir_);
  if (!assets.ok()) return http::Response::Text(500, assets.status().ToString() + "\n");
  for (Asset& a : *assets) {
    if (a.path != request.path) continue;
    std::vector<Asset> one;
    one.push_back(std::move(a));
    const std::vector<Prepared> prepared = Prepare(std::move(one));
    return Serve(&prepared.front(), request);
  }
  return Serve(nullptr, request);
}

}  // namespace vigil::ui
