#pragma once
// Passwords of people (part of vigil::auth's face, beside iam.h): Argon2id hashes in the PHC
// string format, and the rules a new password must meet.
//
// Why these parameters: Argon2id with m = 64 MiB, t = 3, p = 1 is RFC 9106's second recommended
// option (for memory-constrained uses) and OWASP's guidance lists weaker ones still; one check
// costs 64 MiB and a fraction of a second of one core (0.62 s measured on the 2-core build machine
// under load), which a sign-in pays once and a guesser pays per guess.
// Because each check holds 64 MiB, at most kMaxConcurrentHashes run at once (the others wait):
// a flood of sign-ins cannot make the server allocate without bound.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vigil::auth {

struct PasswordHashParams {
  uint32_t memory_kib = 64 * 1024;  // m
  uint32_t iterations = 3;          // t
  uint32_t parallelism = 1;         // p
};

inline constexpr int kMaxConcurrentHashes = 4;
inline constexpr size_t kMinPasswordLength = 12;
inline constexpr size_t kMaxPasswordLength = 1024;  // a bound on what one check may be fed

// The PHC string of `password` under a fresh random 16-byte salt, e.g.
// "$argon2id$v=19$m=65536,t=3,p=1$<salt>$<hash>" (32-byte hash, base64 without padding).
// Internal when libargon2 or the random generator fails.
StatusOr<std::string> HashPassword(std::string_view password,
                                   const PasswordHashParams& params = {});

// Whether `password` matches `phc` (with the parameters written in it); libargon2 compares the
// hashes in constant time. False, never an error, for a malformed PHC string.
bool VerifyPassword(std::string_view phc, std::string_view password);

// A PHC string of a random password, made once per process with the default parameters: a
// sign-in for an unknown user is checked against it, so that it takes as long as a wrong
// password for a real one.
const std::string& DummyPasswordHash();

// Whether `password` may be `user`'s: InvalidArgument naming the rule it breaks — at least
// kMinPasswordLength characters (IAM's password policy idea), at most kMaxPasswordLength, not
// the user name (compared case-insensitively), no control characters.
Status CheckPasswordRules(std::string_view user, std::string_view password);

}  // namespace vigil::auth
