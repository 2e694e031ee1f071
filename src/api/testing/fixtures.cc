#include "api/testing/fixtures.h"

#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigil::api::testing {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

class XmlParser {
 public:
  explicit XmlParser(std::string_view text) : s_(text) {}

  StatusOr<XmlNode> Document() {
    SkipMisc();
    if (s_.substr(pos_, 5) == "<?xml") {
      const size_t end = s_.find("?>", pos_);
      if (end == std::string_view::npos) return Error("unterminated prolog");
      pos_ = end + 2;
    }
    SkipMisc();
    XmlNode root;
    if (Status s = Element(&root); !s.ok()) return s;
    SkipMisc();
    if (pos_ != s_.size()) return Error("content after the root element");
    return root;
  }

 private:
  Status Error(const std::string& what) const {
    return InvalidArgumentError("XML: " + what + " at offset " + std::to_string(pos_));
  }

  void SkipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void SkipMisc() {
    while (true) {
      SkipSpace();
      if (s_.substr(pos_, 4) != "<!--") return;
      const size_t end = s_.find("-->", pos_);
      pos_ = end == std::string_view::npos ? s_.size() : end + 3;
    }
  }

  static bool IsNameChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ':' || (static_cast<unsigned char>(c) >= 0x80);
  }

  std::string Name() {
    const size_t start = pos_;
    while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }

  Status Decode(std::string_view raw, std::string* out) {
    for (size_t i = 0; i < raw.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(raw[i]);
      if (c == '<') return Error("bare '<'");
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return Error("control character");
      if (c != '&') {
        *out += raw[i];
        continue;
      }
      const size_t semi = raw.find(';', i);
      if (semi == std::string_view::npos) return Error("bare '&'");
      const std::string_view entity = raw.substr(i + 1, semi - i - 1);
      if (entity == "amp") {
        *out += '&';
      } else if (entity == "lt") {
        *out += '<';
      } else if (entity == "gt") {
        *out += '>';
      } else if (entity == "quot") {
        *out += '"';
      } else if (entity == "apos") {
        *out += '\'';
      } else if (entity.size() > 1 && entity[0] == '#') {
        const bool hex = entity[1] == 'x';
        const std::string digits(entity.substr(hex ? 2 : 1));
        char* end = nullptr;
        const unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
        if (digits.empty() || *end != '\0') return Error("bad char ref");
        if (cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD) return Error("invalid char ref");
        if (cp >= 0x80) return Error("non-ASCII char refs are not needed by these tests");
        *out += static_cast<char>(cp);
      } else {
        return Error("unknown entity");
      }
      i = semi;
    }
    return OkStatus();
  }

  Status Element(XmlNode* node) {
    if (pos_ >= s_.size() || s_[pos_] != '<') return Error("expected '<'");
    ++pos_;
    node->name = Name();
    if (node->name.empty()) return Error("empty element name");
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) return Error("unterminated start tag");
      if (s_.substr(pos_, 2) == "/>") {
        pos_ += 2;
        return OkStatus();
      }
      if (s_[pos_] == '>') {
        ++pos_;
        break;
      }
      std::string attr = Name();
      if (attr.empty() || pos_ + 1 >= s_.size() || s_[pos_] != '=') return Error("bad attribute");
      ++pos_;
      const char quote = s_[pos_];
      if (quote != '"' && quote != '\'') return Error("unquoted attribute");
      const size_t end = s_.find(quote, pos_ + 1);
      if (end == std::string_view::npos) return Error("unterminated attribute");
      std::string value;
      if (Status s = Decode(s_.substr(pos_ + 1, end - pos_ - 1), &value); !s.ok()) return s;
      node->attributes.emplace_back(std::move(attr), std::move(value));
      pos_ = end + 1;
    }
    std::string text;
    while (true) {
      const size_t lt = s_.find('<', pos_);
      if (lt == std::string_view::npos) return Error("unterminated element " + node->name);
      if (Status s = Decode(s_.substr(pos_, lt - pos_), &text); !s.ok()) return s;
      pos_ = lt;
      if (s_.substr(pos_, 4) == "<!--") {
        SkipMisc();
        continue;
      }
      if (s_.substr(pos_, 2) == "</") {
        pos_ += 2;
        if (Name() != node->name) return Error("mismatched end tag for " + node->name);
        SkipSpace();
        if (pos_ >= s_.size() || s_[pos_] != '>') return Error("bad end tag");
        ++pos_;
        node->text = node->children.empty() ? text : Trim(text);
        return OkStatus();
      }
      XmlNode child;
      if (Status s = Element(&child); !s.ok()) return s;
      node->children.push_back(std::move(child));
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string CompatDir() {
#ifdef VIGIL_AWSCLI_COMPAT_DIR
  struct stat st;
  if (::stat(VIGIL_AWSCLI_COMPAT_DIR, &st) == 0 && S_ISDIR(st.st_mode)) {
    return VIGIL_AWSCLI_COMPAT_DIR;
  }
#endif
  return "";
}

std::optional<std::string> HttpFixture::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

StatusOr<HttpFixture> LoadHttpFixture(const std::string& path) {
  auto raw = ReadFile(path);
  if (!raw.ok()) return raw.status();
  const std::string& text = raw.value();
  const size_t head_end = text.find("\r\n\r\n");
  if (head_end == std::string::npos) return InvalidArgumentError(path + ": no header end");
  HttpFixture f;
  f.file = path;
  f.body = text.substr(head_end + 4);
  std::istringstream head(text.substr(0, head_end));
  std::string line;
  bool first = true;
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (first) {
      std::istringstream rl(line);
      rl >> f.method >> f.target;
      first = false;
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string::npos) return InvalidArgumentError(path + ": bad header " + line);
    f.headers.emplace_back(line.substr(0, colon), Trim(line.substr(colon + 1)));
  }
  return f;
}

std::vector<std::string> ListHttpFixtures(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 5 && name.ends_with(".http")) out.push_back(dir + "/" + name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

const XmlNode* XmlNode::Child(std::string_view n) const {
  for (const XmlNode& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::vector<const XmlNode*> XmlNode::Children(std::string_view n) const {
  std::vector<const XmlNode*> out;
  for (const XmlNode& c : children) {
    if (c.name == n) out.push_back(&c);
  }
  return out;
}

StatusOr<XmlNode> ParseXml(std::string_view text) { return XmlParser(text).Document(); }

std::string GunzipForTest(std::string_view data) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return "";
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

}  // namespace vigil::api::testing
