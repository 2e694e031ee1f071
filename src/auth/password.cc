// Argon2id password hashes through libargon2, and the password rules.
#include "auth/password.h"

#include <argon2.h>

#include <semaphore>

#include "auth/auth.h"
#include "auth/crypto.h"
#include "common/ascii.h"

namespace vigil::auth {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// Bounds the memory of the checks in flight (see password.h).
std::counting_semaphore<kMaxConcurrentHashes>& HashSlots() {
  static auto* slots = new std::counting_semaphore<kMaxConcurrentHashes>(kMaxConcurrentHashes);
  return *slots;
}

class SlotHold {
 public:
  SlotHold() { HashSlots().acquire(); }
  ~SlotHold() { HashSlots().release(); }
  SlotHold(const SlotHold&) = delete;
  SlotHold& operator=(const SlotHold&) = delete;
};

}  // namespace

StatusOr<std::string> HashPassword(std::string_view password, const PasswordHashParams& params) {
  if (password.size() > kMaxPasswordLength) {
    return InvalidArgumentError("the password is longer than " +
                                std::to_string(kMaxPasswordLength) + " characters");
  }
  ASSIGN_OR_RETURN(std::string salt, RandomBytes(kSaltBytes));
  std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                        kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  int rc;
  {
    SlotHold hold;
    rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                               password.data(), password.size(), salt.data(), salt.size(),
                               kHashBytes, encoded.data(), encoded.size());
  }
  if (rc != ARGON2_OK) {
    return InternalError(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminating NUL
  return encoded;
}

bool VerifyPassword(std::string_view phc, std::string_view password) {
  if (!phc.starts_with("$argon2id$") || password.size() > kMaxPasswordLength) return false;
  const std::string encoded(phc);  // NUL-terminated for libargon2
  SlotHold hold;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

const std::string& DummyPasswordHash() {
  static const std::string* dummy = [] {
    StatusOr<std::string> random = RandomBytes(24);
    StatusOr<std::string> phc = HashPassword(HexEncode(random.ok() ? *random : "vigil-dummy"));
    // Without a hash the unknown-user path would answer faster; a fixed string still parses.
    return new std::string(phc.ok() ? *phc
                                    : "$argon2id$v=19$m=65536,t=3,p=1$"
                                      "c29tZXNhbHRzb21lc2FsdA$"
                                      "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE");
  }();
  return *dummy;
}

Status CheckPasswordRules(std::string_view user, std::string_view password) {
  if (password.size() < kMinPasswordLength) {
    return InvalidArgumentError("the password must be at least " +
                                std::to_string(kMinPasswordLength) + " characters long");
  }
  if (password.size() > kMaxPasswordLength) {
    return InvalidArgumentError("the password must be at most " +
                                std::to_string(kMaxPasswordLength) + " characters long");
  }
  for (char c : password) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError("the password must not contain control characters");
    }
  }
  if (EqualsIgnoreCase(user, password)) {
    return InvalidArgumentError("the password must not be the user name");
  }
  return OkStatus();
}

}  // namespace vigil::auth
