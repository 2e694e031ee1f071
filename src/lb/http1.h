#pragma once
// Private to vigil::lb: HTTP/1.1 message heads (RFC 9112) as the proxy needs them — parsed in
// place, framing decided, and written out again with the proxy's changes — and a scanner for
// chunked bodies that finds where one ends.
//
// Nothing here allocates on the steady path: a Head's views point into the caller's buffer and
// its field list keeps its capacity from one message to the next. Beast's parser (a heap node
// per field, a composed operation per read) was a third of the proxy's user time.
//
// Strict where leniency lets one message be read two ways (request smuggling): a request with
// both Content-Length and Transfer-Encoding, differing Content-Lengths, a Transfer-Encoding not
// ending in chunked, folded lines, whitespace before a colon, bare LF line ends are refused.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::lb::http1 {

struct Field {
  std::string_view name, value;  // value without surrounding whitespace
};

// How a message's body is delimited (RFC 9112 6.3).
struct Framing {
  enum Kind : uint8_t {
    kNone,        // no body
    kLength,      // `length` bytes
    kChunked,     // chunked transfer coding, through its last chunk and trailers
    kUntilClose,  // responses only: everything until the connection closes
  };
  Kind kind = kNone;
  uint64_t length = 0;
};

// A request or response head. Views point into the buffer it was parsed from.
struct Head {
  std::string_view method, target;  // requests
  int status = 0;                   // responses
  std::string_view reason;          // responses; may be empty
  int version = 11;                 // 10 or 11
  std::vector<Field> fields;        // in order, as received
  size_t size = 0;                  // bytes from the start line through the blank line
  // From the fields:
  bool keep_alive = true;              // the version's default, overridden by Connection
  bool has_transfer_encoding = false;  // Transfer-Encoding present
  bool chunked = false;                // and ends in chunked
  bool has_length = false;             // Content-Length present
  uint64_t content_length = 0;         // when has_length
  bool expect_continue = false;        // Expect: 100-continue

  // The first value of the field `name` (case-insensitive), or empty.
  std::string_view Get(std::string_view name) const;
  // Requests: whether the method is idempotent (RFC 9110 9.2.2) and retrying it is safe.
  bool Idempotent() const;
  bool IsHead() const { return method == "HEAD"; }
};

enum class ParseResult {
  kDone,      // *head is filled; head->size bytes belong to it
  kNeedMore,  // the head's end is not in the data yet
  kBad,       // malformed; *error says how (a static string)
  kTooLarge,  // no end within max_bytes
};

// Parses the request head at the start of `data`. `scanned` is how much of `data` an earlier
// call already looked at (0 the first time, then the returned value of *scanned): the search
// for the blank line resumes there, so a head arriving a byte at a time costs linear time.
ParseResult ParseRequest(std::string_view data, size_t max_bytes, size_t* scanned, Head* head,
                         const char** error);
ParseResult ParseResponse(std::string_view data, size_t max_bytes, size_t* scanned, Head* head,
                          const char** error);

// The body framing of a parsed request, or of a response to a request made with `head_request`.
Framing RequestFraming(const Head& request);
Framing ResponseFraming(const Head& response, bool head_request);

// Whether `name` is a hop-by-hop field (RFC 9110 7.6.1) of a message with these `connection`
// values (the fixed set, and the names listed in Connection). Content-Length and
// Transfer-Encoding are framing, decided by the caller, never hop-by-hop here.
bool IsHopByHop(const Head& head, std::string_view name);

// Appends the request head as the target gets it: the start line with HTTP/1.1, the fields
// without hop-by-hop ones and Expect, X-Forwarded-For extended with `remote`, X-Forwarded-Proto
// (`proto`: "http" or "https") and -Port replaced. Keep-alive is HTTP/1.1's default, so no
// Connection field is written.
void WriteRequestHead(const Head& request, std::string_view remote, std::string_view proto,
                      std::string_view port, std::string* out);

// Appends the response head as the client gets it: `version` (the client's), no hop-by-hop
// fields, Connection as `keep_alive` requires for that version. With `dechunk` (a chunked body
// sent to an HTTP/1.0 client as a close-delimited one) Transfer-Encoding is left out; with a
// chunked body Content-Length is left out (RFC 9112 6.3: chunked wins).
void WriteResponseHead(const Head& response, int version, bool keep_alive, bool dechunk,
                       std::string* out);

// Finds the end of a chunked body fed to it piece by piece, and optionally its payload.
class ChunkedScanner {
 public:
  struct Result {
    size_t used = 0;    // bytes of the input that belong to the body
    bool done = false;  // the body ended within them (last chunk and trailers read)
    bool bad = false;   // malformed framing (then `error` says how)
    const char* error = nullptr;
  };
  // Scans `data`, the body's next bytes. When `payload` is not null the chunks' data within
  // `data` is appended to it as views (framing and trailers left out).
  Result Feed(std::string_view data, std::vector<std::string_view>* payload);

 private:
  enum class State : uint8_t {
    kSize,
    kExtension,
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerStart,
    kTrailer,
    kTrailerLf,
    kEndLf,
    kDone,
  };
  State state_ = State::kSize;
  uint64_t size_ = 0;      // of the chunk being read; then what is left of its data
  int digits_ = 0;         // of its size
  size_t line_bytes_ = 0;  // of the current extension or trailer line, bounded
};

}  // namespace vigil::lb::http1
