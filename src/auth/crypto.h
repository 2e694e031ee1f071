#pragma once
// Private to vigil::auth: small wrappers over OpenSSL used by SigV4 and key generation.
#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::auth {

// `n` bytes from OpenSSL's CSPRNG; Internal if the generator fails (unseeded).
StatusOr<std::string> RandomBytes(size_t n);

// HMAC-SHA1 of `data` under `key`: the raw 20 bytes (TOTP, RFC 6238).
std::string HmacSha1(std::string_view key, std::string_view data);

// Whether a == b, in a time that depends on their lengths only (secrets, tokens).
bool EqualConstantTime(std::string_view a, std::string_view b);

inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

// AES-256-GCM with the given 12-byte nonce (never reuse one under a key): appends ciphertext |
// tag to *out. InvalidArgument unless key is 32 bytes and nonce 12.
Status AesGcmSealTo(std::string_view key, std::string_view nonce, std::string_view plaintext,
                    std::string_view aad, std::string* out);
// Appends the plaintext of ciphertext | tag to *out; DataLoss (nothing appended) when it does
// not authenticate.
Status AesGcmOpenTo(std::string_view key, std::string_view nonce, std::string_view sealed,
                    std::string_view aad, std::string* out);

// AES-256-GCM with a random nonce: nonce | ciphertext | tag, authenticating `aad` too.
// InvalidArgument unless key is 32 bytes.
StatusOr<std::string> AesGcmSeal(std::string_view key, std::string_view plaintext,
                                 std::string_view aad);
// The plaintext of what AesGcmSeal made with the same key and aad; DataLoss when it was changed
// or the key or aad differ.
StatusOr<std::string> AesGcmOpen(std::string_view key, std::string_view sealed,
                                 std::string_view aad);

}  // namespace vigil::auth
