#pragma once
// Encryption at rest as the storage engines see it: an interface the keyring (auth::Keyring)
// implements and the composition root hands to the engines, so that tsdb, logs and deploy
// encrypt without depending on auth. A null Cipher* everywhere means "plaintext".
//
// Two granularities:
//  * values (Seal/Open): a small self-describing sealed value, e.g. a manifest in the state
//    store; each is AES-256-GCM under the purpose's current data key with a random nonce.
//  * files (NewFile/OpenFile): a file (WAL segment, block, log segment) gets a key of its own,
//    derived from the purpose's current data key and a random salt that the file's header
//    carries (FileCipher::kHeaderBytes: data key id and salt). Its records are sealed with
//    that key and their record number as nonce, so a file can hold 2^64 records without the
//    random-nonce birthday bound of one key, each record costs 16 bytes (the GCM tag), and a
//    record moved to another place in the file, or to another file, does not open.
// `context` names the object (e.g. "tsdb-wal", "logs:group/0000000000000005.seg",
// "deploy:manifest:web/v2"); it is authenticated, not stored.
//
// Every failure to open — a changed byte, a truncated record, the wrong context or record
// number, a file from another place — is DataLoss; callers add the file and offset. Never
// returns wrong data. Implementations are thread-safe.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::storage {

// The key of one file. Thread-safe; cheap to use from many threads at once.
class FileCipher {
 public:
  // The data key id (4 bytes, big-endian) and the salt (16 bytes) at the head of the file.
  static constexpr size_t kHeaderBytes = 20;
  static constexpr size_t kTagBytes = 16;
  virtual ~FileCipher() = default;
  // Appends to *out the sealed form of record number `n` (plaintext.size() + kTagBytes bytes).
  // REQUIRES: each n is sealed at most once per file. Internal if the crypto library fails.
  virtual Status Seal(uint64_t n, std::string_view plaintext, std::string* out) const = 0;
  // Appends to *out the plaintext of record `n`. DataLoss when it does not authenticate.
  virtual Status Open(uint64_t n, std::string_view sealed, std::string* out) const = 0;
};

class Cipher {
 public:
  virtual ~Cipher() = default;

  // A sealed value of `plaintext`, bound to `context`. Unavailable when a new data key cannot
  // be stored.
  virtual StatusOr<std::string> Seal(std::string_view plaintext, std::string_view context) = 0;
  // What Seal made with the same context; DataLoss when changed or sealed elsewhere, NotFound
  // for an unknown data key.
  virtual StatusOr<std::string> Open(std::string_view sealed, std::string_view context) const = 0;
  // Whether `value` looks like a sealed value (its magic), to migrate plaintext records.
  virtual bool IsSealed(std::string_view value) const = 0;

  // A key for a new file bound to `context`; its header (kHeaderBytes) goes to *header.
  virtual StatusOr<std::unique_ptr<FileCipher>> NewFile(std::string_view context,
                                                        std::string* header) = 0;
  // The key of a file from its header. DataLoss for a short header, or a data key the keyring
  // does not have or that belongs to another purpose. (A wrong context or a changed salt is
  // found by the records' Open.)
  virtual StatusOr<std::unique_ptr<FileCipher>> OpenFile(std::string_view header,
                                                         std::string_view context) const = 0;
};

}  // namespace vigil::storage
