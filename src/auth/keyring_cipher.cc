// The keyring as a storage::Cipher (keyring.h's CipherFor): values sealed as Keyring::Seal
// seals them, files keyed by a key derived from a data key and the file's salt.
#include <array>
#include <cstring>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/keyring.h"

namespace vigil::auth {
namespace {

constexpr size_t kSaltBytes = storage::FileCipher::kHeaderBytes - 4;
static_assert(kSaltBytes == 16);

// A file's key: HMAC-SHA256(data key, "vigil-file-key|" salt "|" context). The nonce of record n
// is 4 zero bytes and n (8 bytes, big-endian): unique per record of the file, so never reused
// under its key (the salt makes each file's key distinct).
// The key is set up once per file (AesGcmKey): a block read series by series, or a WAL
// appended record by record, pays only for each record's nonce.
class DerivedFileCipher final : public storage::FileCipher {
 public:
  explicit DerivedFileCipher(std::string key) : key_(std::move(key)) {}
  Status Seal(uint64_t n, std::string_view plaintext, std::string* out) const override {
    return key_.SealTo(Nonce(n), plaintext, {}, out);
  }
  Status Open(uint64_t n, std::string_view sealed, std::string* out) const override {
    return key_.OpenTo(Nonce(n), sealed, {}, out);
  }

 private:
  static std::string_view Nonce(uint64_t n) {
    thread_local std::array<char, kGcmNonceBytes> nonce{};
    for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<char>(n >> (56 - 8 * i));
    return {nonce.data(), nonce.size()};
  }
  const AesGcmKey key_;
};

std::string FileKey(std::string_view data_key, std::string_view salt, std::string_view context) {
  std::string info = "vigil-file-key|";
  info.append(salt).append("|").append(context);
  return HmacSha256(data_key, info);
}

}  // namespace

class KeyringCipher final : public storage::Cipher {
 public:
  KeyringCipher(Keyring* ring, std::string purpose) : ring_(ring), purpose_(std::move(purpose)) {}

  StatusOr<std::string> Seal(std::string_view plaintext, std::string_view context) override {
    return ring_->Seal(purpose_, plaintext, context);
  }
  StatusOr<std::string> Open(std::string_view sealed, std::string_view context) const override {
    return ring_->UnsealFor(purpose_, sealed, context);
  }
  bool IsSealed(std::string_view value) const override { return Keyring::IsSealedValue(value); }

  StatusOr<std::unique_ptr<storage::FileCipher>> NewFile(std::string_view context,
                                                         std::string* header) override {
    ASSIGN_OR_RETURN(auto key, ring_->CurrentKey(purpose_));
    ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
    header->clear();
    for (int shift = 24; shift >= 0; shift -= 8) {
      header->push_back(static_cast<char>(key.first >> shift));
    }
    header->append(salt);
    return std::unique_ptr<storage::FileCipher>(
        new DerivedFileCipher(FileKey(key.second, salt, context)));
  }
  StatusOr<std::unique_ptr<storage::FileCipher>> OpenFile(std::string_view header,
                                                          std::string_view context) const override {
    if (header.size() < storage::FileCipher::kHeaderBytes) {
      return DataLossError("an encrypted file's key header is short");
    }
    uint32_t id = 0;
    for (size_t i = 0; i < 4; ++i) id = id << 8 | static_cast<unsigned char>(header[i]);
    StatusOr<std::string> data_key = ring_->KeyById(id, purpose_);
    if (!data_key.ok()) {
      // An id the keyring lacks is a damaged header, or files from another keyring.
      return DataLossError("the file's data key " + std::to_string(id) +
                           " does not open it: " + data_key.status().message());
    }
    return std::unique_ptr<storage::FileCipher>(
        new DerivedFileCipher(FileKey(*data_key, header.substr(4, kSaltBytes), context)));
  }

 private:
  Keyring* ring_;
  const std::string purpose_;
};

std::unique_ptr<storage::Cipher> Keyring::CipherFor(std::string_view purpose) {
  return std::make_unique<KeyringCipher>(this, std::string(purpose));
}

}  // namespace vigil::auth
