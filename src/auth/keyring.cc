// The keyring: the master key, the wrapped data keys in datakeys.json, sealing and unsealing.
#include "auth/keyring.h"

#include <sys/stat.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "auth/secret_files.h"
#include "common/ascii.h"

namespace vigil::auth {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kMagic = "VK1";
constexpr char kMasterFile[] = "master.key";
constexpr char kNextMasterFile[] = "master.key.next";
constexpr char kDataKeysFile[] = "datakeys.json";

// A master key as written (64 hex characters, surrounding whitespace ignored): its 32 bytes.
StatusOr<std::string> ParseMaster(std::string_view text, const std::string& where) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  std::optional<std::string> raw = HexDecode(text);
  if (!raw || raw->size() != 32) {
    return InvalidArgumentError(where + ": a master key is 64 hex characters (32 bytes)");
  }
  return *raw;
}

std::string Fingerprint(std::string_view master) { return Sha256Hex(master).substr(0, 16); }

std::string WrapContext(uint32_t id, std::string_view purpose) {
  return "vigil-datakey:" + std::to_string(id) + ":" + std::string(purpose);
}

}  // namespace

StatusOr<std::unique_ptr<Keyring>> Keyring::Open(KeyringOptions options) {
  RETURN_IF_ERROR(CreateDirs(options.dir));
  if (::chmod(options.dir.c_str(), 0700) != 0) return IoError("chmod", options.dir, errno);
  std::unique_ptr<Keyring> ring(new Keyring(std::move(options)));
  RETURN_IF_ERROR(ring->Load());
  return ring;
}

Status Keyring::Load() {
  const std::string& dir = options_.dir;
  const std::string master_path = dir + "/" + kMasterFile;
  if (!options_.master_key.empty()) {
    ASSIGN_OR_RETURN(master_, ParseMaster(options_.master_key, "VIGIL_MASTER_KEY"));
  } else if (StatusOr<std::string> text = ReadFile(master_path); text.ok()) {
    ASSIGN_OR_RETURN(master_, ParseMaster(*text, master_path));
  } else if (text.status().code() == StatusCode::kNotFound) {
    ASSIGN_OR_RETURN(master_, RandomBytes(32));
    RETURN_IF_ERROR(WriteFileAtomic(dir, master_path, HexEncode(master_) + "\n"));
  } else {
    return text.status();
  }

  const std::string path = dir + "/" + kDataKeysFile;
  StatusOr<std::string> text = ReadFile(path);
  if (text.status().code() == StatusCode::kNotFound) return Store(master_);
  if (!text.ok()) return text.status();
  const Json doc = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("master_fingerprint") || !doc.contains("keys")) {
    return DataLossError(path + ": not a keyring file");
  }
  const std::string wrapped_by = doc["master_fingerprint"].get<std::string>();
  if (wrapped_by != Fingerprint(master_)) {
    // A rotation may have stopped between writing datakeys.json and renaming the new key in.
    const std::string next_path = dir + "/" + kNextMasterFile;
    StatusOr<std::string> next = ReadFile(next_path);
    StatusOr<std::string> next_key =
        next.ok() ? ParseMaster(*next, next_path) : StatusOr<std::string>(next.status());
    if (!options_.master_key.empty() || !next_key.ok() || Fingerprint(*next_key) != wrapped_by) {
      return FailedPreconditionError("the master key (fingerprint " + Fingerprint(master_) +
                                     ") is not the one that " + "wrapped the data keys in " + path +
                                     " (fingerprint " + wrapped_by +
                                     "): give the right one in VIGIL_MASTER_KEY or " + master_path);
    }
    if (std::rename(next_path.c_str(), master_path.c_str()) != 0) {
      return IoError("rename", next_path, errno);
    }
    master_ = *next_key;
  }
  try {
    for (const Json& k : doc["keys"]) {
      const uint32_t id = k.at("id").get<uint32_t>();
      DataKey key;
      key.purpose = k.at("purpose").get<std::string>();
      key.created_ms = k.at("created_ms").get<int64_t>();
      std::optional<std::string> wrapped = HexDecode(k.at("wrapped").get<std::string>());
      if (!wrapped) return DataLossError(path + ": data key " + std::to_string(id) + " is damaged");
      StatusOr<std::string> plain = AesGcmOpen(master_, *wrapped, WrapContext(id, key.purpose));
      if (!plain.ok()) {
        return DataLossError(path + ": data key " + std::to_string(id) + ": " +
                             plain.status().message());
      }
      key.key = std::move(*plain);
      if (k.value("current", false)) current_[key.purpose] = id;
      data_keys_.emplace(id, std::move(key));
    }
  } catch (const Json::exception& e) {
    return DataLossError(path + ": " + e.what());
  }
  return OkStatus();
}

Status Keyring::Store(const std::string& master) {
  Json keys = Json::array();
  for (const auto& [id, key] : data_keys_) {
    ASSIGN_OR_RETURN(std::string wrapped,
                     AesGcmSeal(master, key.key, WrapContext(id, key.purpose)));
    auto cur = current_.find(key.purpose);
    keys.push_back({{"id", id},
                    {"purpose", key.purpose},
                    {"created_ms", key.created_ms},
                    {"current", cur != current_.end() && cur->second == id},
                    {"wrapped", HexEncode(wrapped)}});
  }
  const Json doc = {{"master_fingerprint", Fingerprint(master)}, {"keys", std::move(keys)}};
  return WriteFileAtomic(options_.dir, options_.dir + "/" + kDataKeysFile, doc.dump(1) + "\n");
}

Status Keyring::RotateDataKey(std::string_view purpose) {
  std::lock_guard l(mu_);
  return RotateDataKeyLocked(purpose);
}

Status Keyring::RotateDataKeyLocked(std::string_view purpose) {
  DataKey key;
  key.purpose = std::string(purpose);
  ASSIGN_OR_RETURN(key.key, RandomBytes(32));
  key.created_ms = options_.clock != nullptr ? options_.clock->NowMillis() : 0;
  const uint32_t id = data_keys_.empty() ? 1 : data_keys_.rbegin()->first + 1;
  const std::map<std::string, uint32_t> before = current_;
  data_keys_.emplace(id, std::move(key));
  current_[std::string(purpose)] = id;
  if (Status stored = Store(master_); !stored.ok()) {  // undo: nothing sealed with it yet
    data_keys_.erase(id);
    current_ = before;
    return stored;
  }
  return OkStatus();
}

StatusOr<std::pair<uint32_t, std::string>> Keyring::CurrentKey(std::string_view purpose) {
  std::lock_guard l(mu_);
  if (!current_.contains(std::string(purpose))) RETURN_IF_ERROR(RotateDataKeyLocked(purpose));
  const uint32_t id = current_.at(std::string(purpose));
  return std::make_pair(id, data_keys_.at(id).key);
}

StatusOr<std::string> Keyring::KeyById(uint32_t id, std::string_view purpose) const {
  std::lock_guard l(mu_);
  auto it = data_keys_.find(id);
  if (it == data_keys_.end()) return NotFoundError("no data key " + std::to_string(id));
  if (!purpose.empty() && it->second.purpose != purpose) {
    return DataLossError("sealed with data key " + std::to_string(id) + " of purpose '" +
                         it->second.purpose + "', not '" + std::string(purpose) + "'");
  }
  return it->second.key;
}

StatusOr<std::string> Keyring::Seal(std::string_view purpose, std::string_view plaintext,
                                    std::string_view context) {
  ASSIGN_OR_RETURN(auto key, CurrentKey(purpose));
  ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(key.second, plaintext, context));
  std::string out(kMagic);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(key.first >> shift));
  return out + sealed;
}

StatusOr<std::string> Keyring::Unseal(std::string_view sealed, std::string_view context) const {
  return UnsealFor("", sealed, context);
}

StatusOr<std::string> Keyring::UnsealFor(std::string_view purpose, std::string_view sealed,
                                         std::string_view context) const {
  if (!sealed.starts_with(kMagic) || sealed.size() < kMagic.size() + 4) {
    return DataLossError("not a sealed value");
  }
  uint32_t id = 0;
  for (size_t i = 0; i < 4; ++i) {
    id = id << 8 | static_cast<unsigned char>(sealed[kMagic.size() + i]);
  }
  ASSIGN_OR_RETURN(std::string key, KeyById(id, purpose));
  return AesGcmOpen(key, sealed.substr(kMagic.size() + 4), context);
}

bool Keyring::IsSealedValue(std::string_view value) {
  return value.starts_with(kMagic) && value.size() >= kMagic.size() + 4 + kGcmNonceBytes +
                                                          kGcmTagBytes;
}

StatusOr<std::string> Keyring::RotateMasterKey(std::string_view new_master_hex) {
  std::string next;
  if (new_master_hex.empty()) {
    ASSIGN_OR_RETURN(next, RandomBytes(32));
  } else {
    ASSIGN_OR_RETURN(next, ParseMaster(new_master_hex, "the new master key"));
  }
  std::lock_guard l(mu_);
  const bool in_file = options_.master_key.empty();
  const std::string master_path = options_.dir + "/" + kMasterFile;
  const std::string next_path = options_.dir + "/" + kNextMasterFile;
  if (in_file) RETURN_IF_ERROR(WriteFileAtomic(options_.dir, next_path, HexEncode(next) + "\n"));
  RETURN_IF_ERROR(Store(next));  // from here on, the data keys open only with `next`
  if (in_file && std::rename(next_path.c_str(), master_path.c_str()) != 0) {
    return IoError("rename", next_path, errno);  // Open finishes it
  }
  master_ = std::move(next);
  return Fingerprint(master_);
}

std::string Keyring::MasterFingerprint() const {
  std::lock_guard l(mu_);
  return Fingerprint(master_);
}

std::vector<Keyring::DataKeyInfo> Keyring::DataKeys() const {
  std::lock_guard l(mu_);
  std::vector<DataKeyInfo> out;
  std::map<std::string, int> versions;
  for (const auto& [id, key] : data_keys_) {
    auto cur = current_.find(key.purpose);
    out.push_back({id, key.purpose, ++versions[key.purpose], key.created_ms,
                   cur != current_.end() && cur->second == id});
  }
  return out;
}

StatusOr<std::string> LoadOrCreateSealedSecret(Keyring& ring, const std::string& dir,
                                               const std::string& name) {
  const std::string plain_path = dir + "/" + name;
  const std::string sealed_path = plain_path + ".sealed";
  const std::string context = "vigil-secret-file:" + name;
  StatusOr<std::string> stored = ReadFile(sealed_path);
  std::string secret;
  if (stored.ok()) {
    const std::string_view line = std::string_view(*stored).substr(0, stored->find('\n'));
    std::optional<std::string> sealed = HexDecode(TrimBlanks(line));
    if (!sealed) return DataLossError(sealed_path + ": not a sealed secret");
    StatusOr<std::string> opened = ring.UnsealFor("secrets", *sealed, context);
    if (!opened.ok()) return DataLossError(sealed_path + ": " + opened.status().message());
    secret = *std::move(opened);
  } else if (stored.status().code() != StatusCode::kNotFound) {
    return stored.status();
  } else {
    StatusOr<std::string> plain = ReadFile(plain_path);
    if (plain.ok()) {
      ASSIGN_OR_RETURN(secret, LoadOrCreateSecret(dir, name));  // validates it
    } else if (plain.status().code() == StatusCode::kNotFound) {
      ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
      secret = HexEncode(raw);
    } else {
      return plain.status();
    }
    ASSIGN_OR_RETURN(std::string sealed, ring.Seal("secrets", secret, context));
    RETURN_IF_ERROR(WriteFileAtomic(dir, sealed_path, HexEncode(sealed) + "\n"));
  }
  // The plaintext goes once its sealed copy is durable (also after a crash in between).
  if (std::remove(plain_path.c_str()) != 0 && errno != ENOENT) {
    return IoError("remove", plain_path, errno);
  }
  return secret;
}

}  // namespace vigil::auth
