#pragma once
// The keyring: KMS's envelope model on one machine (part of vigil::auth's face, beside auth.h).
//
// A master key (32 bytes: from VIGIL_MASTER_KEY, 64 hex characters, or from <dir>/master.key,
// mode 0600, created on first use) wraps data keys; data keys encrypt data. Each purpose
// ("secrets", "logs", "tsdb", ...) has its current data key; <dir>/datakeys.json holds every data
// key ever made, each wrapped (AES-256-GCM) by the master key. Rotating the master key re-wraps
// the data keys and rewrites nothing else; rotating a purpose's data key makes a new one for new
// data while the old ones still open what they sealed.
//
// A sealed value is self-describing:
//   "VK1" | data key id (4 bytes, big-endian) | nonce (12) | ciphertext | GCM tag (16)
// and is bound to a `context` (authenticated, not stored: e.g. "iam:secret:AKID..."), so a
// sealed value copied to another place does not open there. Any change to the bytes, or the
// wrong context, fails authentication: DataLoss, never wrong data.
//
// The master key is never logged and never leaves the process. Thread-safe.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/cipher.h"

namespace vigil::auth {

struct KeyringOptions {
  std::string dir;         // <data-dir>/keys (made 0700)
  std::string master_key;  // 64 hex characters, e.g. from VIGIL_MASTER_KEY; "" reads or makes
                           // <dir>/master.key
  const Clock* clock = nullptr;
};

class Keyring {
 public:
  // Opens the keyring, creating the master key file and datakeys.json when missing.
  // FailedPrecondition when the master key is not the one the data keys were wrapped with (the
  // message says how to tell); InvalidArgument for a malformed master key; DataLoss naming
  // datakeys.json when it is damaged; Unavailable for I/O failures.
  static StatusOr<std::unique_ptr<Keyring>> Open(KeyringOptions options);

  // Encrypts `plaintext` under `purpose`'s current data key (made on first use), bound to
  // `context`. Unavailable when a new data key cannot be stored.
  StatusOr<std::string> Seal(std::string_view purpose, std::string_view plaintext,
                             std::string_view context);
  // Decrypts what Seal made with the same context. DataLoss when the value is not a sealed
  // value, was changed, or was sealed for another context; NotFound for an unknown data key.
  StatusOr<std::string> Unseal(std::string_view sealed, std::string_view context) const;
  // Unseal that also refuses (DataLoss) a value sealed under another purpose's data key.
  StatusOr<std::string> UnsealFor(std::string_view purpose, std::string_view sealed,
                                  std::string_view context) const;
  // Whether `value` has the shape of a sealed value ("VK1", key id, nonce, tag).
  static bool IsSealedValue(std::string_view value);

  // A storage::Cipher over `purpose`'s data keys ("logs", "tsdb", "deploy", ...): values and
  // files it seals use the purpose's current data key (made on first use); it opens what any of
  // the purpose's keys sealed, and refuses (DataLoss) what another purpose's key sealed. The
  // keyring must outlive it.
  std::unique_ptr<storage::Cipher> CipherFor(std::string_view purpose);

  // Re-wraps every data key under `new_master_hex` (64 hex characters; "" makes a random one)
  // and, when the master key lives in master.key, replaces it there; returns the new key's
  // fingerprint. Crash-safe: the new key is written beside the old first (master.key.next), so
  // Open finishes a rotation that a crash interrupted.
  StatusOr<std::string> RotateMasterKey(std::string_view new_master_hex);
  // Makes a new current data key for `purpose` (older ones still open their data).
  Status RotateDataKey(std::string_view purpose);

  // Whether the master key came from VIGIL_MASTER_KEY (KeyringOptions::master_key) rather than
  // master.key: RotateMasterKey then cannot keep the new key for the next start.
  bool master_from_environment() const { return !options_.master_key.empty(); }

  // SHA-256 of the master key, first 8 bytes in hex: tells which master key is in use without
  // revealing it.
  std::string MasterFingerprint() const;
  // Data keys (never their material), for `vigil keys list`. `version` counts the purpose's
  // keys from 1 in the order they were made; `current` is the one new data gets.
  struct DataKeyInfo {
    uint32_t id;
    std::string purpose;
    int version;
    int64_t created_ms;
    bool current;
  };
  std::vector<DataKeyInfo> DataKeys() const;

 private:
  struct DataKey {
    std::string purpose;
    std::string key;  // 32 bytes, plain, in memory only
    int64_t created_ms = 0;
  };
  explicit Keyring(KeyringOptions options) : options_(std::move(options)) {}
  Status Load();
  // datakeys.json from data_keys_, wrapped under `master` (mu_ held).
  Status Store(const std::string& master);
  Status RotateDataKeyLocked(std::string_view purpose);  // mu_ held
  // The purpose's current data key, made when it has none: (id, 32 bytes).
  StatusOr<std::pair<uint32_t, std::string>> CurrentKey(std::string_view purpose);
  // Data key `id`; NotFound when unknown, DataLoss when it belongs to another purpose than
  // `purpose` ("" accepts any).
  StatusOr<std::string> KeyById(uint32_t id, std::string_view purpose) const;
  friend class KeyringCipher;

  KeyringOptions options_;
  mutable std::mutex mu_;
  std::string master_;                       // guarded by mu_
  std::map<uint32_t, DataKey> data_keys_;    // guarded by mu_
  std::map<std::string, uint32_t> current_;  // purpose -> id; guarded by mu_
};

// A secret Vigil keeps for itself (e.g. the alarm webhooks' signing secret), sealed by `ring`
// (purpose "secrets", bound to `name`) in <dir>/<name>.sealed. Made (32 random bytes, hex) on
// first use. A plaintext <dir>/<name> left by an older Vigil is validated as
// LoadOrCreateSecret does, sealed, and then removed. Errors: as Keyring::Seal/Unseal (DataLoss
// naming the file when it does not open) and I/O errors naming the file.
StatusOr<std::string> LoadOrCreateSealedSecret(Keyring& ring, const std::string& dir,
                                               const std::string& name);

}  // namespace vigil::auth
