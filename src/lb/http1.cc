#include "lb/http1.h"

#include <array>
#include <charconv>
#include <cstring>

namespace vigil::lb::http1 {
namespace {

// RFC 9110 5.6.2: tchar.
constexpr std::array<bool, 256> MakeTokenTable() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = MakeTokenTable();

// A field value's bytes: VCHAR, obs-text, SP, HTAB — no other control character.
inline bool ValueByte(unsigned char c) { return c >= 0x20 ? c != 0x7f : c == '\t'; }

inline char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

inline std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(token) for each element of a comma-separated list, empty elements skipped.
template <class F>
void ForEachToken(std::string_view list, F f) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view token = TrimOws(list.substr(0, comma));
    if (!token.empty()) f(token);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

bool ParseVersion(std::string_view s, int* version) {
  if (s == "HTTP/1.1") {
    *version = 11;
  } else if (s == "HTTP/1.0") {
    *version = 10;
  } else {
    return false;
  }
  return true;
}

// Finds the blank line ending a head. Returns the head's size, or 0 when it is not there.
size_t FindEnd(std::string_view data, size_t* scanned) {
  const size_t from = *scanned > 3 ? *scanned - 3 : 0;
  if (data.size() >= from + 4) {
    const void* at = memmem(data.data() + from, data.size() - from, "\r\n\r\n", 4);
    if (at != nullptr) return static_cast<size_t>(static_cast<const char*>(at) - data.data()) + 4;
  }
  *scanned = data.size();
  return 0;
}

// Parses the fields of `lines` (each ending in CRLF, the blank line not included) into *head.
bool ParseFields(std::string_view lines, bool request, Head* head, const char** error) {
  bool close = false, keep_alive = false;
  while (!lines.empty()) {
    const size_t cr = lines.find('\r');  // FindEnd saw the blank line: a CR is there
    if (cr + 1 >= lines.size() || lines[cr + 1] != '\n') {
      *error = "a field line does not end in CRLF";
      return false;
    }
    const std::string_view line = lines.substr(0, cr);
    lines.remove_prefix(cr + 2);
    size_t colon = 0;
    while (colon < line.size() && kToken[static_cast<unsigned char>(line[colon])]) ++colon;
    if (colon == 0 || colon == line.size() || line[colon] != ':') {
      *error = line.empty() || line[0] == ' ' || line[0] == '\t'
                   ? "folded field lines are not accepted"
                   : "a field line is not a token, a colon and a value";
      return false;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimOws(line.substr(colon + 1));
    for (char c : value) {
      if (!ValueByte(static_cast<unsigned char>(c))) {
        *error = "a field value holds a control character";
        return false;
      }
    }
    head->fields.push_back(Field{name, value});

    switch (Lower(name[0])) {
      case 'c':
        if (IEquals(name, "content-length")) {
          uint64_t n = 0;
          const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
          if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
            *error = "Content-Length is not a number";
            return false;
          }
          if (head->has_length && n != head->content_length) {
            *error = "Content-Length is given twice with different values";
            return false;
          }
          head->has_length = true;
          head->content_length = n;
        } else if (IEquals(name, "connection")) {
          ForEachToken(value, [&](std::string_view t) {
            if (IEquals(t, "close")) close = true;
            if (IEquals(t, "keep-alive")) keep_alive = true;
          });
        }
        break;
      case 't':
        if (IEquals(name, "transfer-encoding")) {
          head->has_transfer_encoding = true;
          ForEachToken(value, [&](std::string_view t) { head->chunked = IEquals(t, "chunked"); });
        }
        break;
      case 'e':
        if (request && IEquals(name, "expect") && IEquals(value, "100-continue")) {
          head->expect_continue = true;
        }
        break;
      default:
        break;
    }
  }
  head->keep_alive = head->version >= 11 ? !close : keep_alive && !close;
  if (request && head->has_transfer_encoding) {
    if (!head->chunked) {
      *error = "a Transfer-Encoding other than chunked";
      return false;
    }
    if (head->has_length) {
      *error = "both Content-Length and Transfer-Encoding";
      return false;
    }
  }
  if (request && head->version < 11 && head->has_transfer_encoding) {
    *error = "Transfer-Encoding in an HTTP/1.0 request";
    return false;
  }
  return true;
}

void Reset(Head* head) {
  head->method = head->target = head->reason = {};
  head->status = 0;
  head->version = 11;
  head->fields.clear();
  head->size = 0;
  head->keep_alive = true;
  head->has_transfer_encoding = head->chunked = head->has_length = false;
  head->content_length = 0;
  head->expect_continue = false;
}

// Splits "first line CRLF rest" of a complete head (blank line excluded from `rest`).
bool SplitStartLine(std::string_view head, std::string_view* start, std::string_view* rest,
                    const char** error) {
  const size_t cr = head.find('\r');
  if (head[cr + 1] != '\n' || head.substr(0, cr).find('\n') != std::string_view::npos) {
    *error = "the start line does not end in CRLF";
    return false;
  }
  *start = head.substr(0, cr);
  *rest = head.substr(cr + 2, head.size() - cr - 2 - 2);
  return true;
}

}  // namespace

std::string_view Head::Get(std::string_view name) const {
  for (const Field& f : fields) {
    if (IEquals(f.name, name)) return f.value;
  }
  return {};
}

bool Head::Idempotent() const {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE" ||
         method == "PUT" || method == "DELETE";
}

ParseResult ParseRequest(std::string_view data, size_t max_bytes, size_t* scanned, Head* head,
                         const char** error) {
  // RFC 9112 2.2: empty lines before a request line are ignored (some clients send a CRLF
  // after a POST body).
  size_t skip = 0;
  while (data.size() >= skip + 2 && data[skip] == '\r' && data[skip + 1] == '\n') skip += 2;
  std::string_view rest_of_data = data.substr(skip);
  size_t sub_scanned = *scanned > skip ? *scanned - skip : 0;
  const size_t end = FindEnd(rest_of_data, &sub_scanned);
  *scanned = sub_scanned + skip;
  if (end == 0) return data.size() > max_bytes ? ParseResult::kTooLarge : ParseResult::kNeedMore;
  if (skip + end > max_bytes) return ParseResult::kTooLarge;
  Reset(head);
  head->size = skip + end;
  std::string_view line, fields;
  if (!SplitStartLine(rest_of_data.substr(0, end), &line, &fields, error)) {
    return ParseResult::kBad;
  }
  // method SP request-target SP HTTP-version
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    *error = "the request line is not a method, a target and a version";
    return ParseResult::kBad;
  }
  head->method = line.substr(0, sp1);
  head->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  for (char c : head->method) {
    if (!kToken[static_cast<unsigned char>(c)]) head->method = {};
  }
  if (head->method.empty()) {
    *error = "the method is not a token";
    return ParseResult::kBad;
  }
  if (head->target.empty()) {
    *error = "the request target is empty";
    return ParseResult::kBad;
  }
  for (char c : head->target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      *error = "the request target holds a control character";
      return ParseResult::kBad;
    }
  }
  if (!ParseVersion(line.substr(sp2 + 1), &head->version)) {
    *error = "the version is neither HTTP/1.1 nor HTTP/1.0";
    return ParseResult::kBad;
  }
  return ParseFields(fields, /*request=*/true, head, error) ? ParseResult::kDone
                                                            : ParseResult::kBad;
}

ParseResult ParseResponse(std::string_view data, size_t max_bytes, size_t* scanned, Head* head,
                          const char** error) {
  const size_t end = FindEnd(data, scanned);
  if (end == 0) return data.size() > max_bytes ? ParseResult::kTooLarge : ParseResult::kNeedMore;
  if (end > max_bytes) return ParseResult::kTooLarge;
  Reset(head);
  head->size = end;
  std::string_view line, fields;
  if (!SplitStartLine(data.substr(0, end), &line, &fields, error)) return ParseResult::kBad;
  // HTTP-version SP 3DIGIT SP [ reason-phrase ]; the second SP is missing from some servers.
  if (line.size() < 12 || !ParseVersion(line.substr(0, 8), &head->version) || line[8] != ' ') {
    *error = "the status line does not start with HTTP/1.1 or HTTP/1.0";
    return ParseResult::kBad;
  }
  const std::string_view code = line.substr(9, 3);
  const auto [p, ec] = std::from_chars(code.data(), code.data() + 3, head->status);
  if (ec != std::errc() || p != code.data() + 3 || head->status < 100 ||
      (line.size() > 12 && line[12] != ' ')) {
    *error = "the status code is not three digits";
    return ParseResult::kBad;
  }
  head->reason = line.size() > 13 ? line.substr(13) : std::string_view();
  for (char c : head->reason) {
    if (!ValueByte(static_cast<unsigned char>(c))) {
      *error = "the reason phrase holds a control character";
      return ParseResult::kBad;
    }
  }
  return ParseFields(fields, /*request=*/false, head, error) ? ParseResult::kDone
                                                             : ParseResult::kBad;
}

Framing RequestFraming(const Head& request) {
  if (request.chunked) return {Framing::kChunked, 0};
  if (request.has_length && request.content_length > 0) {
    return {Framing::kLength, request.content_length};
  }
  return {Framing::kNone, 0};
}

Framing ResponseFraming(const Head& response, bool head_request) {
  const int s = response.status;
  if (head_request || s / 100 == 1 || s == 204 || s == 304) return {Framing::kNone, 0};
  if (response.has_transfer_encoding) {
    return {response.chunked ? Framing::kChunked : Framing::kUntilClose, 0};
  }
  if (response.has_length) {
    return response.content_length > 0 ? Framing{Framing::kLength, response.content_length}
                                       : Framing{Framing::kNone, 0};
  }
  return {Framing::kUntilClose, 0};
}

bool IsHopByHop(const Head& head, std::string_view name) {
  switch (Lower(name.empty() ? '\0' : name[0])) {
    case 'c':
      if (IEquals(name, "connection")) return true;
      break;
    case 'k':
      if (IEquals(name, "keep-alive")) return true;
      break;
    case 'p':
      if (IEquals(name, "proxy-connection")) return true;
      break;
    case 't':
      if (IEquals(name, "te") || IEquals(name, "trailer")) return true;
      if (IEquals(name, "transfer-encoding")) return false;
      break;
    case 'u':
      if (IEquals(name, "upgrade")) return true;
      break;
    default:
      break;
  }
  if (IEquals(name, "content-length")) return false;
  bool named = false;
  for (const Field& f : head.fields) {
    if (named || !IEquals(f.name, "connection")) continue;
    ForEachToken(f.value, [&](std::string_view t) { named = named || IEquals(t, name); });
  }
  return named;
}

namespace {

inline void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

void WriteRequestHead(const Head& request, std::string_view remote, std::string_view proto,
                      std::string_view port, std::string* out) {
  out->reserve(out->size() + request.size + 96 + remote.size());
  out->append(request.method).push_back(' ');
  out->append(request.target).append(" HTTP/1.1\r\n");
  size_t forwarded_for = 0;  // X-Forwarded-For fields seen
  for (const Field& f : request.fields) {
    if (f.name.size() > 11 && Lower(f.name[0]) == 'x' && f.name[1] == '-') {
      if (IEquals(f.name, "x-forwarded-for")) {
        ++forwarded_for;
        continue;
      }
      if (IEquals(f.name, "x-forwarded-proto") || IEquals(f.name, "x-forwarded-port")) continue;
    }
    if (IEquals(f.name, "expect") || IsHopByHop(request, f.name)) continue;
    AppendField(out, f.name, f.value);
  }
  out->append("X-Forwarded-For: ");
  if (forwarded_for > 0) {
    for (const Field& f : request.fields) {
      if (!f.value.empty() && IEquals(f.name, "x-forwarded-for")) {
        out->append(f.value).append(", ");
      }
    }
  }
  out->append(remote).append("\r\nX-Forwarded-Proto: ").append(proto);
  out->append("\r\nX-Forwarded-Port: ");
  out->append(port).append("\r\n\r\n");
}

void WriteResponseHead(const Head& response, int version, bool keep_alive, bool dechunk,
                       std::string* out) {
  out->reserve(out->size() + response.size + 32);
  out->append(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  char code[4];
  std::to_chars(code, code + 3, response.status);
  out->append(code, 3).push_back(' ');
  out->append(response.reason).append("\r\n");
  for (const Field& f : response.fields) {
    if (IsHopByHop(response, f.name)) continue;
    if (response.has_transfer_encoding) {
      if (IEquals(f.name, "content-length")) continue;
      if (dechunk && IEquals(f.name, "transfer-encoding")) continue;
    }
    AppendField(out, f.name, f.value);
  }
  if (version >= 11 && !keep_alive) out->append("Connection: close\r\n");
  if (version < 11 && keep_alive) out->append("Connection: keep-alive\r\n");
  out->append("\r\n");
}

ChunkedScanner::Result ChunkedScanner::Feed(std::string_view data,
                                            std::vector<std::string_view>* payload) {
  constexpr size_t kMaxLine = 8 << 10;       // a chunk extension or trailer line
  constexpr size_t kMaxTrailers = 64 << 10;  // all trailer lines
  Result r;
  auto fail = [&](const char* why) {
    r.bad = true;
    r.error = why;
    return r;
  };
  size_t i = 0;
  while (i < data.size() && state_ != State::kDone) {
    const char c = data[i];
    switch (state_) {
      case State::kSize: {
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (digit >= 0) {
          if (++digits_ > 15) return fail("a chunk size is too large");
          size_ = size_ * 16 + static_cast<uint64_t>(digit);
        } else if (digits_ == 0) {
          return fail("a chunk does not start with its size");
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == ';' || c == ' ' || c == '\t') {
          state_ = State::kExtension;
          line_bytes_ = 0;
        } else {
          return fail("a chunk size is not hexadecimal");
        }
        ++i;
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (c == '\n' || ++line_bytes_ > kMaxLine) {
          return fail("a chunk extension is malformed or too long");
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return fail("a chunk size line does not end in CRLF");
        ++i;
        state_ = size_ == 0 ? State::kTrailerStart : State::kData;
        line_bytes_ = 0;
        break;
      case State::kData: {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(size_, data.size() - i));
        if (payload != nullptr) payload->push_back(data.substr(i, n));
        i += n;
        size_ -= n;
        if (size_ == 0) state_ = State::kDataCr;
        break;
      }
      case State::kDataCr:
        if (c != '\r') return fail("a chunk's data is longer than its size");
        ++i;
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return fail("a chunk's data does not end in CRLF");
        ++i;
        state_ = State::kSize;
        digits_ = 0;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kEndLf;
        } else {
          state_ = State::kTrailer;
          continue;  // the byte belongs to the trailer line
        }
        ++i;
        break;
      case State::kTrailer:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (c == '\n' || ++line_bytes_ > kMaxTrailers) {
          return fail("the trailer section is malformed or too long");
        }
        ++i;
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail("a trailer line does not end in CRLF");
        ++i;
        state_ = State::kTrailerStart;
        break;
      case State::kEndLf:
        if (c != '\n') return fail("the chunked body does not end in CRLF");
        ++i;
        state_ = State::kDone;
        break;
      case State::kDone:
        break;
    }
  }
  r.used = i;
  r.done = state_ == State::kDone;
  return r;
}

}  // namespace vigil::lb::http1
