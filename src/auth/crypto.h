#pragma once
// Private to vigil::auth: small wrappers over OpenSSL for SigV4, key generation and the
// keyring's AES-256-GCM.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

struct evp_cipher_ctx_st;  // OpenSSL's EVP_CIPHER_CTX

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

// An AES-256-GCM key set up once (key schedule, GHASH table) for many messages, such as the
// records of one file: each message then costs the setting of its nonce, not a keying (~0.9 of
// ~1.7 us on a 2 KiB record, OpenSSL 3.0 with AES-NI). Thread-safe: a message borrows a context
// keyed for its direction from a pool that grows to the number of threads using the key at
// once. The answers are those of AesGcmSealTo / AesGcmOpenTo with the same key.
class AesGcmKey {
 public:
  explicit AesGcmKey(std::string key);  // every call is refused unless it is 32 bytes
  ~AesGcmKey();
  AesGcmKey(const AesGcmKey&) = delete;
  AesGcmKey& operator=(const AesGcmKey&) = delete;

  Status SealTo(std::string_view nonce, std::string_view plaintext, std::string_view aad,
                std::string* out) const;
  Status OpenTo(std::string_view nonce, std::string_view sealed, std::string_view aad,
                std::string* out) const;

 private:
  evp_cipher_ctx_st* Borrow(int encrypt) const;
  void Return(evp_cipher_ctx_st* c, int encrypt, bool ok) const;

  std::string key_;
  mutable std::mutex mu_;
  mutable std::vector<evp_cipher_ctx_st*> pools_[2];  // free contexts: [0] open, [1] seal
};

// AES-256-GCM with a random nonce: nonce | ciphertext | tag, authenticating `aad` too.
// InvalidArgument unless key is 32 bytes.
StatusOr<std::string> AesGcmSeal(std::string_view key, std::string_view plaintext,
                                 std::string_view aad);
// The plaintext of what AesGcmSeal made with the same key and aad; DataLoss when it was changed
// or the key or aad differ.
StatusOr<std::string> AesGcmOpen(std::string_view key, std::string_view sealed,
                                 std::string_view aad);

}  // namespace vigil::auth
