// Identities, continued: people's sign-in — login profiles (Argon2id password hashes) and
// virtual MFA devices (TOTP secrets sealed by the keyring).
#include "auth/iam.h"
#include "auth/iam_internal.h"
#include "auth/password.h"
#include "auth/totp.h"

namespace vigil::auth {

using iam_internal::Json;
using iam_internal::kLoginProfiles;
using iam_internal::kMfaDevices;

namespace {

constexpr char kBadPassword[] = "The user name or password is not valid.";

Json ProfileJson(const LoginProfile& p, const std::string& phc) {
  return {
      {"user", p.user}, {"phc", phc}, {"created_ms", p.created_ms}, {"changed_ms", p.changed_ms}};
}

}  // namespace

std::string IamUserArn(std::string_view name) {
  return "arn:vigil:iam:::user/" + std::string(name);
}

Status Iam::Impl::LoadSignIn() {
  try {
    ASSIGN_OR_RETURN(auto profile_rows, store->Scan(kLoginProfiles, ""));
    for (const state::Record& r : profile_rows) {
      const Json j = Json::parse(r.value);
      profiles[r.key] =
          Profile{LoginProfile{j.at("user"), j.at("created_ms"), j.at("changed_ms")}, j.at("phc")};
    }
    ASSIGN_OR_RETURN(auto mfa_rows, store->Scan(kMfaDevices, ""));
    for (const state::Record& r : mfa_rows) {
      const Json j = Json::parse(r.value);
      Mfa m{MfaDevice{j.at("user"), j.at("serial"), j.at("enabled"), j.at("created_ms"),
                      j.at("enabled_ms")},
            HexDecode(j.at("secret").get<std::string>()).value_or(""), j.at("last_step")};
      // Opened once here so that a damaged record shows at start, not at someone's sign-in.
      if (StatusOr<std::string> secret = keyring->Unseal(m.sealed, MfaContext(m.meta.user));
          !secret.ok()) {
        return DataLossError("MFA device of " + m.meta.user + ": " + secret.status().message());
      }
      mfa[r.key] = std::move(m);
    }
  } catch (const Json::exception& e) {
    return DataLossError(std::string("IAM sign-in records in the state store: ") + e.what());
  }
  return OkStatus();
}

void Iam::SetRevokeHook(RevokeHook hook) {
  std::lock_guard l(impl_->mu);
  impl_->revoke = std::move(hook);
}

Status Iam::Impl::StoreProfile(const std::string& user, const std::string& phc, bool create) {
  Impl& m = *this;
  std::lock_guard l(m.mu);
  auto u = m.users.find(Impl::Lower(user));
  if (u == m.users.end()) return NotFoundError("no user named '" + user + "'");
  const std::string key = Impl::Lower(user);
  auto existing = m.profiles.find(key);
  if (create && existing != m.profiles.end()) {
    return AlreadyExistsError("user '" + u->second.name + "' has a login profile already");
  }
  if (!create && existing == m.profiles.end()) {
    return NotFoundError("user '" + u->second.name + "' has no login profile");
  }
  const int64_t now = m.Now();
  LoginProfile meta{u->second.name, create ? now : existing->second.meta.created_ms, now};
  RETURN_IF_ERROR(m.store->Put(kLoginProfiles, key, ProfileJson(meta, phc).dump()));
  m.profiles[key] = Profile{meta, phc};
  if (!create) m.Revoke(u->second.name, "");
  return OkStatus();
}

Status Iam::CreateLoginProfile(const std::string& user, const std::string& password) {
  RETURN_IF_ERROR(GetUser(user).status());
  RETURN_IF_ERROR(CheckPasswordRules(user, password));
  ASSIGN_OR_RETURN(std::string phc, HashPassword(password));
  return impl_->StoreProfile(user, phc, /*create=*/true);
}

Status Iam::UpdateLoginProfile(const std::string& user, const std::string& password) {
  RETURN_IF_ERROR(GetLoginProfile(user).status());
  RETURN_IF_ERROR(CheckPasswordRules(user, password));
  ASSIGN_OR_RETURN(std::string phc, HashPassword(password));
  return impl_->StoreProfile(user, phc, /*create=*/false);
}

Status Iam::DeleteLoginProfile(const std::string& user) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.profiles.find(Impl::Lower(user));
  if (it == m.profiles.end()) return NotFoundError("user '" + user + "' has no login profile");
  RETURN_IF_ERROR(m.store->Delete(kLoginProfiles, it->first));
  const std::string name = it->second.meta.user;
  m.profiles.erase(it);
  m.Revoke(name, "");
  return OkStatus();
}

StatusOr<LoginProfile> Iam::GetLoginProfile(const std::string& user) const {
  std::lock_guard l(impl_->mu);
  if (!impl_->users.contains(Impl::Lower(user))) {
    return NotFoundError("no user named '" + user + "'");
  }
  auto it = impl_->profiles.find(Impl::Lower(user));
  if (it == impl_->profiles.end()) return NotFoundError("user '" + user + "' has no login profile");
  return it->second.meta;
}

Status Iam::ChangePassword(const std::string& user, const std::string& old_password,
                           const std::string& new_password) {
  std::string phc;
  {
    std::lock_guard l(impl_->mu);
    auto it = impl_->profiles.find(Impl::Lower(user));
    if (it != impl_->profiles.end()) phc = it->second.phc;
  }
  if (!VerifyPassword(phc.empty() ? DummyPasswordHash() : phc, old_password) || phc.empty()) {
    return UnauthenticatedError("the current password is not valid");
  }
  RETURN_IF_ERROR(CheckPasswordRules(user, new_password));
  if (old_password == new_password) {
    return InvalidArgumentError("the new password must differ from the current one");
  }
  ASSIGN_OR_RETURN(std::string new_phc, HashPassword(new_password));
  return impl_->StoreProfile(user, new_phc, /*create=*/false);
}

StatusOr<PasswordSignIn> Iam::CheckSignIn(const std::string& user, const std::string& password,
                                          const std::string& mfa_code) {
  Impl& m = *impl_;
  std::string phc;
  PasswordSignIn out;
  {
    std::lock_guard l(m.mu);
    auto it = m.profiles.find(Impl::Lower(user));
    if (it != m.profiles.end() && m.users.contains(it->first)) {
      phc = it->second.phc;
      out.user = it->second.meta.user;
    }
  }
  // Outside the lock: a check takes ~0.2 s and every request's authorization wants the lock.
  const bool password_ok = VerifyPassword(phc.empty() ? DummyPasswordHash() : phc, password);
  if (!password_ok || phc.empty()) return UnauthenticatedError(kBadPassword);

  std::lock_guard l(m.mu);
  auto device = m.mfa.find(Impl::Lower(user));
  if (device == m.mfa.end() || !device->second.meta.enabled) return out;
  if (mfa_code.empty()) return FailedPreconditionError("MFA code required");
  ASSIGN_OR_RETURN(std::string secret,
                   m.keyring->Unseal(device->second.sealed, m.MfaContext(out.user)));
  const std::optional<int64_t> step = TotpMatch(secret, mfa_code, TotpStep(m.Now() / 1000));
  if (!step || *step <= device->second.last_step) {
    return UnauthenticatedError("The MFA code is not valid.");
  }
  Impl::Mfa updated = device->second;
  updated.last_step = *step;
  RETURN_IF_ERROR(m.store->Put(kMfaDevices, device->first, m.MfaJson(updated).dump()));
  device->second = std::move(updated);
  out.mfa_used = true;
  return out;
}

}  // namespace vigil::auth
