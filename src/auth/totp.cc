// RFC 6238 TOTP (HMAC-SHA1) and RFC 4648 base32.
#include "auth/totp.h"

#include "auth/crypto.h"
#include "auth/sigv4_internal.h"

namespace vigil::auth {
namespace {

constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

}  // namespace

std::string Base32Encode(std::string_view raw) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : raw) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out += kBase32[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kBase32[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> Base32Decode(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == ' ' || c == '=') continue;
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return std::nullopt;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string TotpCode(std::string_view secret, int64_t step, int digits) {
  char counter[8];
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<char>(step & 0xff);
    step >>= 8;
  }
  const std::string mac = HmacSha1(secret, std::string_view(counter, 8));
  // RFC 4226 5.3: dynamic truncation.
  const int offset = static_cast<unsigned char>(mac[19]) & 0xf;
  const uint32_t bin =
      (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset]) & 0x7f) << 24) |
      (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 1])) << 16) |
      (static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 2])) << 8) |
      static_cast<uint32_t>(static_cast<unsigned char>(mac[offset + 3]));
  uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(bin % modulus);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::optional<int64_t> TotpMatch(std::string_view secret, std::string_view code, int64_t now_step,
                                 int window) {
  if (code.size() != kTotpDigits) return std::nullopt;  // the length is no secret
  std::optional<int64_t> found;
  // Every step in the window is computed, so the time says nothing about which one matched.
  for (int64_t step = now_step - window; step <= now_step + window; ++step) {
    if (EqualConstantTime(TotpCode(secret, step), code) && !found) {
      found = step;
    }
  }
  return found;
}

std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secret_base32) {
  return "otpauth://totp/" + sigv4::UriEncode(issuer, false) + ":" +
         sigv4::UriEncode(account, false) + "?secret=" + std::string(secret_base32) +
         "&issuer=" + sigv4::UriEncode(issuer, false) +
         "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpStepSeconds);
}

}  // namespace vigil::auth
