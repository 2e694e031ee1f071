// Identities: users, groups, access keys and policies in the state store; authorization.
#include "auth/iam.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "auth/crypto.h"
#include "auth/iam_internal.h"
#include "common/ascii.h"
#include "state/state.h"

namespace vigil::auth {

using iam_internal::CheckName;
using iam_internal::Json;
using iam_internal::kGroups;
using iam_internal::kKeys;
using iam_internal::kLastUsedWriteMs;
using iam_internal::kMaxKeysPerUser;
using iam_internal::kPolicies;
using iam_internal::kUsers;
using iam_internal::RandomId;

const std::map<std::string, std::string>& BuiltinPolicies() {
  static const auto* policies = new std::map<std::string, std::string>{
      {"AdministratorAccess",
       R"({"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]})"},
      {"ReadOnlyAccess",
       R"({"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":[
          "cloudwatch:Get*","cloudwatch:List*","cloudwatch:Describe*","logs:Get*","logs:Describe*",
          "logs:Filter*","logs:List*","cloudtrail:LookupEvents","vigil:Get*","vigil:List*",
          "iam:Get*","iam:List*"],"Resource":"*"}]})"},
      {"DeployerAccess",
       R"({"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":[
          "cloudwatch:Get*","cloudwatch:List*","cloudwatch:Describe*","logs:Get*","logs:Describe*",
          "logs:Filter*","logs:List*","cloudtrail:LookupEvents","vigil:Get*","vigil:List*"],
          "Resource":"*"},{"Sid":"Deploy","Effect":"Allow","Action":[
          "vigil:CreateApplicationVersion","vigil:Deploy","vigil:Rollback","vigil:RunCanary",
          "vigil:AcknowledgeAlarm"],"Resource":"*"}]})"},
  };
  return *policies;
}

Status Iam::Impl::Load() {
  for (const auto& [name, doc] : BuiltinPolicies()) {
    managed[name] = ManagedPolicy{name, doc, "Vigil's built-in policy", true, 0};
  }
  try {
    ASSIGN_OR_RETURN(auto user_rows, store->Scan(kUsers, ""));
    for (const state::Record& r : user_rows) {
      const Json j = Json::parse(r.value);
      IamUser u{j.at("name"),   j.at("id"),     j.at("created_ms"),
                j.at("groups"), j.at("inline"), j.at("attached")};
      users[Lower(u.name)] = std::move(u);
    }
    ASSIGN_OR_RETURN(auto group_rows, store->Scan(kGroups, ""));
    for (const state::Record& r : group_rows) {
      const Json j = Json::parse(r.value);
      IamGroup g{j.at("name"), j.at("id"), j.at("created_ms"), j.at("inline"), j.at("attached")};
      groups[Lower(g.name)] = std::move(g);
    }
    ASSIGN_OR_RETURN(auto policy_rows, store->Scan(kPolicies, ""));
    for (const state::Record& r : policy_rows) {
      const Json j = Json::parse(r.value);
      managed[r.key] = ManagedPolicy{j.at("name"), j.at("document"), j.at("description"), false,
                                     j.at("created_ms")};
    }
    ASSIGN_OR_RETURN(auto key_rows, store->Scan(kKeys, ""));
    for (const state::Record& r : key_rows) {
      const Json j = Json::parse(r.value);
      Key k;
      k.meta = AccessKeyMetadata{j.at("id"), j.at("user"), j.at("active"), j.at("created_ms"),
                                 j.at("last_used_ms")};
      k.stored_last_used = k.meta.last_used_ms;
      k.sealed = HexDecode(j.at("secret").get<std::string>()).value_or("");
      StatusOr<std::string> secret = keyring->Unseal(k.sealed, SecretContext(k.meta.access_key_id));
      if (!secret.ok()) {
        return DataLossError("access key " + k.meta.access_key_id + ": " +
                             secret.status().message());
      }
      if (k.meta.active) keys->Put(AccessKey{k.meta.access_key_id, *secret, k.meta.user});
      access_keys[k.meta.access_key_id] = std::move(k);
    }
  } catch (const Json::exception& e) {
    return DataLossError(std::string("IAM records in the state store: ") + e.what());
  }
  return LoadSignIn();
}

StatusOr<std::pair<std::map<std::string, std::string>*, std::vector<std::string>*>>
Iam::Impl::PoliciesOf(const std::string& kind, const std::string& name) {
  if (kind == "user") {
    auto it = users.find(Lower(name));
    if (it == users.end()) return NotFoundError("no user named '" + name + "'");
    return std::make_pair(&it->second.inline_policies, &it->second.attached);
  }
  if (kind == "group") {
    auto it = groups.find(Lower(name));
    if (it == groups.end()) return NotFoundError("no group named '" + name + "'");
    return std::make_pair(&it->second.inline_policies, &it->second.attached);
  }
  return InvalidArgumentError("policies attach to a \"user\" or a \"group\", not '" + kind + "'");
}

Status Iam::Impl::Save(const std::string& kind, const std::string& name) {
  if (kind == "user") {
    const IamUser& u = users.at(Lower(name));
    return store->Put(kUsers, Lower(u.name), UserJson(u).dump());
  }
  const IamGroup& g = groups.at(Lower(name));
  return store->Put(kGroups, Lower(g.name), GroupJson(g).dump());
}

Iam::Iam(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Iam::~Iam() = default;

StatusOr<std::unique_ptr<Iam>> Iam::Open(state::Store* store, Keyring* keyring, KeyStore* keys,
                                         const Clock* clock) {
  auto impl = std::make_unique<Impl>();
  impl->store = store;
  impl->keyring = keyring;
  impl->keys = keys;
  impl->clock = clock;
  RETURN_IF_ERROR(impl->Load());
  return std::unique_ptr<Iam>(new Iam(std::move(impl)));
}

StatusOr<IamUser> Iam::CreateUser(const std::string& name) {
  RETURN_IF_ERROR(CheckName("a user", name));
  if (EqualsIgnoreCase(name, kRootPrincipal)) {
    return InvalidArgumentError("'root' names the root key's principal; choose another name");
  }
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  if (m.users.contains(Impl::Lower(name))) {
    return AlreadyExistsError("a user named '" + name + "' exists");
  }
  IamUser u;
  u.name = name;
  ASSIGN_OR_RETURN(u.id, RandomId("AIDA", 16));
  u.created_ms = m.Now();
  RETURN_IF_ERROR(m.store->Put(kUsers, Impl::Lower(name), m.UserJson(u).dump()));
  m.users[Impl::Lower(name)] = u;
  return u;
}

Status Iam::DeleteUser(const std::string& name) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.users.find(Impl::Lower(name));
  if (it == m.users.end()) return NotFoundError("no user named '" + name + "'");
  const IamUser& u = it->second;
  const bool has_keys = std::any_of(m.access_keys.begin(), m.access_keys.end(),
                                    [&](const auto& k) { return k.second.meta.user == u.name; });
  if (has_keys || !u.groups.empty() || !u.inline_policies.empty() || !u.attached.empty() ||
      m.profiles.contains(it->first) || m.mfa.contains(it->first)) {
    return FailedPreconditionError("user '" + u.name +
                                   "' still has access keys, groups, policies, a login profile or "
                                   "an MFA device: remove them first");
  }
  RETURN_IF_ERROR(m.store->Delete(kUsers, it->first));
  const std::string deleted = u.name;
  m.users.erase(it);
  m.Revoke(deleted, "");
  return OkStatus();
}

StatusOr<IamUser> Iam::GetUser(const std::string& name) const {
  std::lock_guard l(impl_->mu);
  auto it = impl_->users.find(Impl::Lower(name));
  if (it == impl_->users.end()) return NotFoundError("no user named '" + name + "'");
  return it->second;
}

std::vector<IamUser> Iam::ListUsers() const {
  std::lock_guard l(impl_->mu);
  std::vector<IamUser> out;
  for (const auto& [_, u] : impl_->users) out.push_back(u);
  return out;
}

StatusOr<AccessKey> Iam::CreateAccessKey(const std::string& user) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto u = m.users.find(Impl::Lower(user));
  if (u == m.users.end()) return NotFoundError("no user named '" + user + "'");
  const auto owned = std::count_if(m.access_keys.begin(), m.access_keys.end(), [&](const auto& k) {
    return k.second.meta.user == u->second.name;
  });
  if (owned >= kMaxKeysPerUser) {
    return FailedPreconditionError("user '" + u->second.name + "' has " +
                                   std::to_string(kMaxKeysPerUser) +
                                   " access keys already: delete one to make another");
  }
  AccessKey key;
  ASSIGN_OR_RETURN(key.access_key_id, RandomId("AKIA", 16));
  ASSIGN_OR_RETURN(std::string raw, RandomBytes(30));
  key.secret_access_key = HexEncode(raw).substr(0, 40);
  key.principal = u->second.name;
  Impl::Key k;
  k.meta = AccessKeyMetadata{key.access_key_id, key.principal, true, m.Now(), 0};
  ASSIGN_OR_RETURN(k.sealed, m.keyring->Seal("secrets", key.secret_access_key,
                                             m.SecretContext(key.access_key_id)));
  RETURN_IF_ERROR(m.store->Put(kKeys, key.access_key_id, m.KeyJson(k).dump()));
  m.access_keys[key.access_key_id] = std::move(k);
  m.keys->Put(key);
  return key;
}

Status Iam::SetAccessKeyActive(const std::string& id, bool active) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.access_keys.find(id);
  if (it == m.access_keys.end()) return NotFoundError("no access key " + id);
  Impl::Key updated = it->second;
  updated.meta.active = active;
  RETURN_IF_ERROR(m.store->Put(kKeys, id, m.KeyJson(updated).dump()));
  if (active) {
    ASSIGN_OR_RETURN(std::string secret, m.keyring->Unseal(updated.sealed, m.SecretContext(id)));
    m.keys->Put(AccessKey{id, secret, updated.meta.user});
  } else {
    m.keys->Remove(id);
    m.Revoke("", id);
  }
  it->second = std::move(updated);
  return OkStatus();
}

Status Iam::DeleteAccessKey(const std::string& id) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  if (!m.access_keys.contains(id)) return NotFoundError("no access key " + id);
  RETURN_IF_ERROR(m.store->Delete(kKeys, id));
  m.access_keys.erase(id);
  m.keys->Remove(id);
  m.Revoke("", id);
  return OkStatus();
}

std::vector<AccessKeyMetadata> Iam::ListAccessKeys(const std::string& user) const {
  std::lock_guard l(impl_->mu);
  std::vector<AccessKeyMetadata> out;
  for (const auto& [_, k] : impl_->access_keys) {
    if (user.empty() || EqualsIgnoreCase(k.meta.user, user)) out.push_back(k.meta);
  }
  return out;
}

void Iam::KeyUsed(const std::string& id) const {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.access_keys.find(id);
  if (it == m.access_keys.end()) return;  // the root key, or one just deleted
  it->second.meta.last_used_ms = m.Now();
  if (it->second.meta.last_used_ms - it->second.stored_last_used < kLastUsedWriteMs) return;
  // Best effort: a lost last-used time is not worth failing the request for.
  if (m.store->Put(kKeys, id, m.KeyJson(it->second).dump()).ok()) {
    it->second.stored_last_used = it->second.meta.last_used_ms;
  }
}

}  // namespace vigil::auth
