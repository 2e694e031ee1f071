#pragma once
// Time-based one-time passwords (part of vigil::auth's face): RFC 6238 over RFC 4226's HOTP with
// HMAC-SHA1, as authenticator apps compute them, and the base32 of their secrets. No state: what
// was used already is the caller's to remember (Iam keeps the last step each device used).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::auth {

inline constexpr int64_t kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;
inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommendation

// RFC 4648 base32 (A-Z2-7), without padding, as otpauth:// URIs carry secrets.
std::string Base32Encode(std::string_view raw);
// The bytes of `text` (case-insensitive; spaces and '=' padding ignored); nullopt when it has
// another character.
std::optional<std::string> Base32Decode(std::string_view text);

// The time step of `unix_seconds` (T = floor(t / 30)).
inline int64_t TotpStep(int64_t unix_seconds) { return unix_seconds / kTotpStepSeconds; }

// The code of `step` for `secret` (raw bytes), `digits` decimal digits with leading zeros.
std::string TotpCode(std::string_view secret, int64_t step, int digits = kTotpDigits);

// The step in [now_step - window, now_step + window] whose code is `code` (the earliest when
// several match), or nullopt. Codes are compared in constant time.
std::optional<int64_t> TotpMatch(std::string_view secret, std::string_view code, int64_t now_step,
                                 int window = 1);

// otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
// (Google Authenticator's key URI format; labels percent-encoded).
std::string OtpauthUri(std::string_view issuer, std::string_view account,
                       std::string_view secret_base32);

}  // namespace vigil::auth
