// Identities, continued: virtual MFA devices — a TOTP secret per user, sealed by the keyring,
// enabled by two consecutive codes (IAM's EnableMFADevice).
#include "auth/iam.h"
#include "auth/iam_internal.h"
#include "auth/totp.h"

namespace vigil::auth {

using iam_internal::kMfaDevices;

StatusOr<NewVirtualMfa> Iam::CreateVirtualMfaDevice(const std::string& user) {
  Impl& m = *impl_;
  ASSIGN_OR_RETURN(std::string secret, RandomBytes(kTotpSecretBytes));
  std::lock_guard l(m.mu);
  auto u = m.users.find(Impl::Lower(user));
  if (u == m.users.end()) return NotFoundError("no user named '" + user + "'");
  auto existing = m.mfa.find(u->first);
  if (existing != m.mfa.end() && existing->second.meta.enabled) {
    return AlreadyExistsError("user '" + u->second.name +
                              "' has an MFA device enabled: deactivate it to make another");
  }
  Impl::Mfa device;
  device.meta =
      MfaDevice{u->second.name, "arn:vigil:iam:::mfa/" + u->second.name, false, m.Now(), 0};
  ASSIGN_OR_RETURN(device.sealed, m.keyring->Seal("secrets", secret, m.MfaContext(u->first)));
  RETURN_IF_ERROR(m.store->Put(kMfaDevices, u->first, m.MfaJson(device).dump()));
  NewVirtualMfa out{device.meta.serial, Base32Encode(secret), ""};
  out.otpauth_uri = OtpauthUri("Vigil", u->second.name, out.secret_base32);
  m.mfa[u->first] = std::move(device);
  return out;
}

Status Iam::EnableMfaDevice(const std::string& user, const std::string& code1,
                            const std::string& code2) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.mfa.find(Impl::Lower(user));
  if (it == m.mfa.end()) {
    return FailedPreconditionError("user '" + user +
                                   "' has no MFA device: create a virtual MFA device first");
  }
  if (it->second.meta.enabled) {
    return FailedPreconditionError("the MFA device of '" + user + "' is enabled already");
  }
  ASSIGN_OR_RETURN(std::string secret, m.keyring->Unseal(it->second.sealed, m.MfaContext(user)));
  // code2 is the step after code1's, and ends within one step of now (as a person types two
  // codes in a row from the app): code1 matches a step in [now - 2, now].
  const int64_t now_step = TotpStep(m.Now() / 1000);
  const std::optional<int64_t> first = TotpMatch(secret, code1, now_step - 1, 1);
  if (!first || TotpMatch(secret, code2, *first + 1, 0) != *first + 1) {
    return InvalidArgumentError(
        "the authentication codes are not two consecutive codes of this device");
  }
  Impl::Mfa enabled = it->second;
  enabled.meta.enabled = true;
  enabled.meta.enabled_ms = m.Now();
  enabled.last_step = *first + 1;  // neither code signs in later
  RETURN_IF_ERROR(m.store->Put(kMfaDevices, it->first, m.MfaJson(enabled).dump()));
  it->second = std::move(enabled);
  return OkStatus();
}

Status Iam::DeactivateMfaDevice(const std::string& user) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.mfa.find(Impl::Lower(user));
  if (it == m.mfa.end()) return NotFoundError("user '" + user + "' has no MFA device");
  RETURN_IF_ERROR(m.store->Delete(kMfaDevices, it->first));
  m.mfa.erase(it);
  return OkStatus();
}

std::optional<MfaDevice> Iam::GetMfaDevice(const std::string& user) const {
  std::lock_guard l(impl_->mu);
  auto it = impl_->mfa.find(Impl::Lower(user));
  if (it == impl_->mfa.end()) return std::nullopt;
  return it->second.meta;
}

}  // namespace vigil::auth
