#pragma once
// Private to vigil::auth: what iam.cc (users, keys) and iam_policies.cc (groups, policies,
// authorization) share — the records in memory and their JSON in the state store.
#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/crypto.h"
#include "auth/iam.h"
#include "common/ascii.h"
#include "state/state.h"

namespace vigil::auth {
namespace iam_internal {

using Json = nlohmann::json;

inline constexpr char kUsers[] = "iam_users";
inline constexpr char kGroups[] = "iam_groups";
inline constexpr char kPolicies[] = "iam_policies";
inline constexpr char kKeys[] = "iam_keys";
inline constexpr char kLoginProfiles[] = "iam_login_profiles";
inline constexpr char kMfaDevices[] = "iam_mfa_devices";
inline constexpr int kMaxKeysPerUser = 2;
inline constexpr int64_t kLastUsedWriteMs = 60'000;

// Upper-case letters and digits, as IAM's ids and access key ids.
inline StatusOr<std::string> RandomId(std::string_view prefix, size_t n) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  ASSIGN_OR_RETURN(std::string raw, RandomBytes(n));
  std::string id(prefix);
  for (char c : raw) id.push_back(kAlphabet[static_cast<unsigned char>(c) % 32]);
  return id;
}

inline Status CheckName(std::string_view what, const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("+=,.@_-").find(c) != std::string_view::npos;
      });
  if (!ok) {
    return InvalidArgumentError(std::string(what) + " name '" + name +
                                "' must be 1-64 of letters, digits and +=,.@_-");
  }
  return OkStatus();
}

inline Json PoliciesJson(const std::map<std::string, std::string>& inline_policies,
                         const std::vector<std::string>& attached) {
  return {{"inline", inline_policies}, {"attached", attached}};
}

}  // namespace iam_internal

struct Iam::Impl {
  state::Store* store;
  Keyring* keyring;
  KeyStore* keys;
  const Clock* clock;

  mutable std::mutex mu;
  std::map<std::string, IamUser> users;          // by lower-cased name; guarded by mu
  std::map<std::string, IamGroup> groups;        // by lower-cased name; guarded by mu
  std::map<std::string, ManagedPolicy> managed;  // by name (built-in ones too); guarded by mu
  struct Key {
    AccessKeyMetadata meta;
    std::string sealed;            // the secret, sealed
    int64_t stored_last_used = 0;  // what the store holds
  };
  std::map<std::string, Key> access_keys;  // by id; guarded by mu
  struct Profile {
    LoginProfile meta;
    std::string phc;  // Argon2id PHC string
  };
  std::map<std::string, Profile> profiles;  // by lower-cased user name; guarded by mu
  struct Mfa {
    MfaDevice meta;
    std::string sealed;      // the TOTP secret, sealed (context MfaContext(user))
    int64_t last_step = -1;  // the last TOTP step accepted; a code is good once
  };
  std::map<std::string, Mfa> mfa;  // by lower-cased user name; guarded by mu
  RevokeHook revoke;               // set before serving; called with mu held
  // Policies parsed, by name + "\n" + document (so a replaced document is parsed anew); cleared
  // by Authorize, before it takes pointers, when it outgrows kMaxParsed. Guarded by mu.
  std::map<std::string, Policy> parsed;
  static constexpr size_t kMaxParsed = 4096;

  static std::string Lower(std::string s) {
    for (char& c : s) c = AsciiLower(c);
    return s;
  }
  int64_t Now() const { return clock->NowMillis(); }
  std::string SecretContext(const std::string& id) const { return "iam:secret:" + id; }
  std::string MfaContext(const std::string& user) const { return "iam:mfa:" + Lower(user); }
  void Revoke(const std::string& user, const std::string& key_id) const {
    if (revoke) revoke(user, key_id);
  }

  iam_internal::Json UserJson(const IamUser& u) const {
    iam_internal::Json j = iam_internal::PoliciesJson(u.inline_policies, u.attached);
    j.update({{"name", u.name}, {"id", u.id}, {"created_ms", u.created_ms}, {"groups", u.groups}});
    return j;
  }
  iam_internal::Json GroupJson(const IamGroup& g) const {
    iam_internal::Json j = iam_internal::PoliciesJson(g.inline_policies, g.attached);
    j.update({{"name", g.name}, {"id", g.id}, {"created_ms", g.created_ms}});
    return j;
  }
  iam_internal::Json KeyJson(const Key& k) const {
    return {{"id", k.meta.access_key_id},
            {"user", k.meta.user},
            {"active", k.meta.active},
            {"created_ms", k.meta.created_ms},
            {"last_used_ms", k.meta.last_used_ms},
            {"secret", HexEncode(k.sealed)}};
  }

  // A document's parsed form (documents were checked when stored, so this parses).
  // The pointer stays valid while mu is held.
  const Policy* ParsedLocked(const std::string& name, const std::string& document) {
    std::string key = name + "\n" + document;
    auto it = parsed.find(key);
    if (it == parsed.end()) {
      StatusOr<Policy> p = ParsePolicy(name, document);
      if (!p.ok()) return nullptr;
      it = parsed.emplace(std::move(key), std::move(*p)).first;
    }
    return &it->second;
  }

  Status Load();
  Status LoadSignIn();  // login profiles and MFA devices (iam_signin.cc)
  // Stores `phc` as `user`'s password: `create` wants none yet, else one must exist (then the
  // user's sessions are revoked). Takes mu.
  Status StoreProfile(const std::string& user, const std::string& phc, bool create);
  iam_internal::Json MfaJson(const Mfa& m) const {
    return {{"user", m.meta.user},
            {"serial", m.meta.serial},
            {"enabled", m.meta.enabled},
            {"created_ms", m.meta.created_ms},
            {"enabled_ms", m.meta.enabled_ms},
            {"secret", HexEncode(m.sealed)},
            {"last_step", m.last_step}};
  }
  // The user or group record that `kind`/`name` names, for policy changes (mu held).
  StatusOr<std::pair<std::map<std::string, std::string>*, std::vector<std::string>*>> PoliciesOf(
      const std::string& kind, const std::string& name);
  Status Save(const std::string& kind, const std::string& name);  // mu held
};

}  // namespace vigil::auth
