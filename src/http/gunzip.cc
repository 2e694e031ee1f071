// Gunzip: undoes Content-Encoding gzip/deflate with zlib.
#include <zlib.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "http/http.h"

namespace vigil::http {
namespace {

// windowBits 15 + 32: the largest window, with automatic detection of a gzip or zlib header.
// (HTTP's "deflate" is zlib-wrapped, so one setting covers both encodings.)
constexpr int kAutoDetectWindowBits = 15 + 32;

// Owns a z_stream so every exit path calls inflateEnd.
class Inflater {
 public:
  Inflater() = default;
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() {
    if (initialized_) inflateEnd(&zs_);
  }
  bool Init() {
    initialized_ = inflateInit2(&zs_, kAutoDetectWindowBits) == Z_OK;
    return initialized_;
  }
  z_stream* stream() { return &zs_; }

 private:
  z_stream zs_{};
  bool initialized_ = false;
};

}  // namespace

StatusOr<std::string> Gunzip(std::string_view data, size_t max_bytes) {
  Inflater inflater;
  if (!inflater.Init()) return InternalError("gunzip: inflateInit2 failed");
  z_stream* zs = inflater.stream();
  zs->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs->avail_in = static_cast<uInt>(std::min<size_t>(data.size(), UINT32_MAX));
  size_t in_left = data.size() - zs->avail_in;  // beyond uInt's range (bodies are far smaller)

  // Inflate straight into the result string, growing it geometrically: no chunk copies.
  // Metric payloads compress ~4-10x, so start at 4x the input (capped) to avoid most regrowth.
  std::string out;
  size_t cap_plus_one = max_bytes == SIZE_MAX ? max_bytes : max_bytes + 1;
  out.resize(std::min(cap_plus_one, std::max<size_t>(data.size() * 4, 4096)));
  size_t produced = 0;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= cap_plus_one) break;
      out.resize(std::min(cap_plus_one, out.size() * 2));
    }
    if (zs->avail_in == 0 && in_left > 0) {
      zs->avail_in = static_cast<uInt>(std::min<size_t>(in_left, UINT32_MAX));
      in_left -= zs->avail_in;
    }
    size_t room = std::min<size_t>(out.size() - produced, UINT32_MAX);
    zs->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs->avail_out = static_cast<uInt>(room);
    int rc = inflate(zs, Z_NO_FLUSH);
    produced += room - zs->avail_out;
    if (rc == Z_STREAM_END) {
      // gzip allows several members back to back (`cat a.gz b.gz`); anything else is garbage.
      if (zs->avail_in == 0 && in_left == 0) break;
      if (zs->avail_in >= 2 && zs->next_in[0] == 0x1f && zs->next_in[1] == 0x8b &&
          inflateReset(zs) == Z_OK) {
        continue;
      }
      return InvalidArgumentError("gunzip: trailing data after the compressed stream");
    }
    if (rc == Z_BUF_ERROR && zs->avail_out != 0) {
      return InvalidArgumentError("gunzip: truncated compressed data");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return InvalidArgumentError(std::string("gunzip: corrupt compressed data: ") +
                                  (zs->msg != nullptr ? zs->msg : "inflate error"));
    }
  }
  if (produced > max_bytes) {
    return InvalidArgumentError("gunzip: decompressed body exceeds " + std::to_string(max_bytes) +
                                " bytes");
  }
  out.resize(produced);
  return out;
}

std::string Gzip(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace vigil::http
