#pragma once
// Test support for the api module (test-only, never linked into vigil):
//   - the captured aws CLI requests of /work/shared/compat/awscli (NOTES.md §0),
//   - a small strict XML parser, to check rendered XML is well-formed and compare it with the
//     hand-written response fixtures structurally,
//   - gzip for building compressed bodies.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace vigil::api::testing {

// The compat folder (VIGIL_AWSCLI_COMPAT_DIR), or "" when it does not exist on this machine.
std::string CompatDir();

// One captured request: request line, headers, body (byte-exact).
struct HttpFixture {
  std::string file;  // path relative to the compat folder
  std::string method, target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;  // case-insensitive
};
StatusOr<HttpFixture> LoadHttpFixture(const std::string& path);
// Every *.http file directly in `dir` (sorted by name).
std::vector<std::string> ListHttpFixtures(const std::string& dir);
StatusOr<std::string> ReadFile(const std::string& path);

struct XmlNode {
  std::string name;  // without namespace prefix handling: as written
  std::vector<std::pair<std::string, std::string>> attributes;
  std::string text;  // character data directly inside, entities decoded, trimmed
  std::vector<XmlNode> children;

  // The first child named `name`, or nullptr.
  const XmlNode* Child(std::string_view name) const;
  std::vector<const XmlNode*> Children(std::string_view name) const;
};
// Parses one XML document (optional <?xml?> prolog and comments; no DTD, no CDATA). Fails with
// InvalidArgument on anything not well-formed: mismatched tags, a bare '&' or '<', unknown
// entities, control characters XML 1.0 forbids, trailing content.
StatusOr<XmlNode> ParseXml(std::string_view text);

std::string GunzipForTest(std::string_view data);  // "" on error

}  // namespace vigil::api::testing
