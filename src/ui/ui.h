#pragma once
// vigil::ui — the web dashboard's assets and the handler that serves them.
//
// The dashboard is a static single-page app built from web/ (web/assets.txt lists what is
// served: `<url-path> <file under web/>` per line). The build embeds those files in the binary
// (embed.cmake), so a running server needs nothing beside itself; for working on the dashboard,
// the server can read them from a web/ folder on every request instead. The page gets all its
// data from Vigil's own API (api::SessionService for sign-in, then the AWS and /v1 APIs).
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/http.h"

namespace vigil::ui {

struct Asset {
  std::string path;  // as requested: "/" or "/ui/app.js"
  std::string body;
};

// A file built into the binary (the generated ui_assets.cc).
struct EmbeddedFile {
  const char* path;
  const unsigned char* data;
  size_t size;
};
std::span<const EmbeddedFile> EmbeddedFiles();

// The assets named by `<web_dir>/assets.txt`, read from disk. InvalidArgument naming the line
// for a malformed manifest (a line is `<url-path> <relative file>`, `#` starts a comment; paths
// are "/" or start with "/ui/"; files stay inside web_dir); NotFound naming a missing file.
StatusOr<std::vector<Asset>> ReadAssets(const std::string& web_dir);

// The Content-Type for a path, from its extension (HTML for "/").
std::string_view ContentTypeFor(std::string_view path);

// Serves GET requests for the assets: ETag and If-None-Match (304), gzip when the client
// accepts it, Cache-Control: no-cache (the names carry no hash, so the browser revalidates),
// and headers that keep the page to its own origin (Content-Security-Policy: scripts, styles
// and connections from 'self' only; no framing; nosniff; no referrer). Unknown paths: 404.
// Thread-safe.
class Dashboard {
 public:
  // The embedded assets.
  static std::unique_ptr<Dashboard> Embedded();
  // The assets of `web_dir`, read again on every request (for development). The manifest is
  // checked now: its error, if any, is returned.
  static StatusOr<std::unique_ptr<Dashboard>> FromDirectory(std::string web_dir);

  http::Response Handle(const http::Request& request) const;

 private:
  struct Prepared {
    std::string path, content_type, etag, body, gzipped;
  };
  Dashboard() = default;
  static std::vector<Prepared> Prepare(std::vector<Asset> assets);
  static http::Response Serve(const Prepared* asset, const http::Request& request);

  std::vector<Prepared> assets_;  // embedded; empty in directory mode
  std::string web_dir_;           // directory mode
};

}  // namespace vigil::ui
