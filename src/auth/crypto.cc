// SHA-256, HMAC, hex, randomness and AES-256-GCM through OpenSSL 3's non-deprecated APIs.
#include "auth/crypto.h"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

#include "auth/auth.h"
#include "common/ascii.h"

namespace vigil::auth {

std::string HexEncode(std::string_view raw) { return vigil::HexEncode(raw); }

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fails only on allocation failure inside OpenSSL, which is not recoverable here.
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) std::abort();
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

namespace {

std::string Hmac(const EVP_MD* md_type, std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // Fails only on allocation failure inside OpenSSL, which is not recoverable here.
  if (key.size() > INT_MAX ||
      HMAC(md_type, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len) == nullptr) {
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

std::string HmacSha256(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha256(), key, data);
}

std::string HmacSha1(std::string_view key, std::string_view data) {
  return Hmac(EVP_sha1(), key, data);
}

bool EqualConstantTime(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > INT_MAX ||
      RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return InternalError("RAND_bytes failed: the random generator is not seeded");
  }
  return out;
}

namespace {

const EVP_CIPHER* Aes256Gcm() {
  // Fetched once: EVP_aes_256_gcm() makes every init look the implementation up again.
  static const EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (c == nullptr) std::abort();
    return c;
  }();
  return cipher;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// A context keyed with `key` for one direction (1 seal, 0 open); null when OpenSSL fails.
EVP_CIPHER_CTX* NewKeyed(std::string_view key, int encrypt) {
  EVP_CIPHER_CTX* c = EVP_CIPHER_CTX_new();
  if (c == nullptr) std::abort();
  if (EVP_CipherInit_ex(c, Aes256Gcm(), nullptr, Bytes(key), nullptr, encrypt) != 1) {
    EVP_CIPHER_CTX_free(c);
    return nullptr;
  }
  return c;
}

// Frees a context on every exit path.
struct CtxOwner {
  ~CtxOwner() { EVP_CIPHER_CTX_free(ctx); }
  EVP_CIPHER_CTX* ctx;
};

// Seals with a keyed context: only the nonce is set per message.
Status SealWith(EVP_CIPHER_CTX* c, std::string_view nonce, std::string_view plaintext,
                std::string_view aad, std::string* out) {
  const size_t at = out->size();
  out->resize(at + plaintext.size() + kGcmTagBytes);
  auto* ct = reinterpret_cast<unsigned char*>(out->data()) + at;
  int len = 0;
  if (c == nullptr || EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, Bytes(nonce), 1) != 1 ||
      EVP_EncryptUpdate(c, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c, ct, &len, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(c, ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kGcmTagBytes, ct + plaintext.size()) != 1) {
    out->resize(at);
    return InternalError("AES-256-GCM encryption failed");
  }
  return OkStatus();
}

// Opens with a keyed context; nothing appended when it does not authenticate.
Status OpenWith(EVP_CIPHER_CTX* c, std::string_view nonce, std::string_view sealed,
                std::string_view aad, std::string* out) {
  const std::string_view ct = sealed.substr(0, sealed.size() - kGcmTagBytes);
  unsigned char tag[kGcmTagBytes];
  std::memcpy(tag, sealed.data() + ct.size(), kGcmTagBytes);
  const size_t at = out->size();
  out->resize(at + ct.size());
  auto* pt = reinterpret_cast<unsigned char*>(out->data()) + at;
  int len = 0;
  if (c == nullptr || EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, Bytes(nonce), 0) != 1 ||
      EVP_DecryptUpdate(c, nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(c, pt, &len, Bytes(ct), static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag) != 1 ||
      EVP_DecryptFinal_ex(c, pt + len, &len) != 1) {
    out->resize(at);
    return DataLossError(
        "authentication failed: the value was changed, or sealed for another "
        "place or key");
  }
  return OkStatus();
}

Status CheckSealArgs(std::string_view key, std::string_view nonce, std::string_view plaintext,
                     std::string_view aad) {
  if (key.size() != 32 || nonce.size() != kGcmNonceBytes || plaintext.size() > INT_MAX ||
      aad.size() > INT_MAX) {
    return InvalidArgumentError("AES-256-GCM takes a 32-byte key and inputs under 2 GiB");
  }
  return OkStatus();
}

Status CheckOpenArgs(std::string_view key, std::string_view nonce, std::string_view sealed,
                     std::string_view aad) {
  if (key.size() != 32 || nonce.size() != kGcmNonceBytes || sealed.size() < kGcmTagBytes ||
      sealed.size() > INT_MAX || aad.size() > INT_MAX) {
    return DataLossError("not an AES-256-GCM sealed value (too short)");
  }
  return OkStatus();
}

}  // namespace

Status AesGcmSealTo(std::string_view key, std::string_view nonce, std::string_view plaintext,
                    std::string_view aad, std::string* out) {
  RETURN_IF_ERROR(CheckSealArgs(key, nonce, plaintext, aad));
  CtxOwner c{NewKeyed(key, 1)};
  return SealWith(c.ctx, nonce, plaintext, aad, out);
}

Status AesGcmOpenTo(std::string_view key, std::string_view nonce, std::string_view sealed,
                    std::string_view aad, std::string* out) {
  RETURN_IF_ERROR(CheckOpenArgs(key, nonce, sealed, aad));
  CtxOwner c{NewKeyed(key, 0)};
  return OpenWith(c.ctx, nonce, sealed, aad, out);
}

AesGcmKey::AesGcmKey(std::string key) : key_(std::move(key)) {}

AesGcmKey::~AesGcmKey() {
  for (std::vector<EVP_CIPHER_CTX*>& pool : pools_) {
    for (EVP_CIPHER_CTX* c : pool) EVP_CIPHER_CTX_free(c);
  }
  OPENSSL_cleanse(key_.data(), key_.size());
}

EVP_CIPHER_CTX* AesGcmKey::Borrow(int encrypt) const {
  {
    std::lock_guard l(mu_);
    std::vector<EVP_CIPHER_CTX*>& pool = pools_[encrypt];
    if (!pool.empty()) {
      EVP_CIPHER_CTX* c = pool.back();
      pool.pop_back();
      return c;
    }
  }
  return NewKeyed(key_, encrypt);
}

void AesGcmKey::Return(EVP_CIPHER_CTX* c, int encrypt, bool ok) const {
  if (c == nullptr) return;
  if (!ok) {  // a context that failed is not trusted again
    EVP_CIPHER_CTX_free(c);
    return;
  }
  std::lock_guard l(mu_);
  pools_[encrypt].push_back(c);
}

Status AesGcmKey::SealTo(std::string_view nonce, std::string_view plaintext,
                         std::string_view aad, std::string* out) const {
  RETURN_IF_ERROR(CheckSealArgs(key_, nonce, plaintext, aad));
  EVP_CIPHER_CTX* c = Borrow(1);
  Status sealed = SealWith(c, nonce, plaintext, aad, out);
  Return(c, 1, sealed.ok());
  return sealed;
}

Status AesGcmKey::OpenTo(std::string_view nonce, std::string_view sealed, std::string_view aad,
                         std::string* out) const {
  RETURN_IF_ERROR(CheckOpenArgs(key_, nonce, sealed, aad));
  EVP_CIPHER_CTX* c = Borrow(0);
  Status opened = OpenWith(c, nonce, sealed, aad, out);
  Return(c, 0, opened.ok());
  return opened;
}

StatusOr<std::string> AesGcmSeal(std::string_view key, std::string_view plaintext,
                                 std::string_view aad) {
  ASSIGN_OR_RETURN(std::string out, RandomBytes(kGcmNonceBytes));
  const std::string nonce = out;
  RETURN_IF_ERROR(AesGcmSealTo(key, nonce, plaintext, aad, &out));
  return out;
}

StatusOr<std::string> AesGcmOpen(std::string_view key, std::string_view sealed,
                                 std::string_view aad) {
  if (sealed.size() < kGcmNonceBytes + kGcmTagBytes) {
    return DataLossError("not an AES-256-GCM sealed value (too short)");
  }
  std::string out;
  RETURN_IF_ERROR(AesGcmOpenTo(key, sealed.substr(0, kGcmNonceBytes),
                               sealed.substr(kGcmNonceBytes), aad, &out));
  return out;
}

}  // namespace vigil::auth
