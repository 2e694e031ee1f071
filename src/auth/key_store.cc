// KeyStore and the AWS names of verification errors.
#include <string_view>
#include <utility>

#include "auth/auth.h"

namespace vigil::auth {

void KeyStore::Put(AccessKey key) {
  std::lock_guard lock(mu_);
  std::string id = key.access_key_id;
  keys_.insert_or_assign(std::move(id), std::move(key));
}

void KeyStore::Remove(std::string_view access_key_id) {
  std::lock_guard lock(mu_);
  if (auto it = keys_.find(access_key_id); it != keys_.end()) keys_.erase(it);
}

std::optional<AccessKey> KeyStore::Find(std::string_view access_key_id) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(access_key_id);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

std::string_view AuthErrorCode(AuthError e) {
  switch (e) {
    case AuthError::kMissingAuthenticationToken:
      return "MissingAuthenticationToken";
    case AuthError::kIncompleteSignature:
      return "IncompleteSignature";
    case AuthError::kInvalidClientTokenId:
      return "InvalidClientTokenId";
    case AuthError::kSignatureDoesNotMatch:
      return "SignatureDoesNotMatch";
    case AuthError::kRequestExpired:
      return "RequestExpired";
    case AuthError::kThrottled:
      return "Throttling";
  }
  return "SignatureDoesNotMatch";
}

}  // namespace vigil::auth
