#pragma once
// Identities, IAM's model (part of vigil::auth's face, beside auth.h and policy.h): users with
// access keys, groups, and policies — inline (a user's or group's own) or managed (named, and
// attached to users and groups; AdministratorAccess, ReadOnlyAccess and DeployerAccess are built
// in). Every record is in the state store; secret access keys are sealed by the keyring, never
// stored in the clear. The active keys are published into the KeyStore that SigV4 verification
// reads, under the user's name as principal.
//
// The root key (<data-dir>/credentials) is not an IAM user: like AWS's root user it may do
// everything, and policies do not apply to it.
//
// Thread-safe: one mutex over the records in memory (writes go to the store first).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "auth/keyring.h"
#include "auth/policy.h"
#include "common/clock.h"
#include "common/status.h"

namespace vigil::auth {

struct IamUser {
  std::string name;
  std::string id;  // "AIDA" + 16 characters, as IAM's user ids
  int64_t created_ms = 0;
  std::vector<std::string> groups;
  std::map<std::string, std::string> inline_policies;  // name -> document
  std::vector<std::string> attached;                   // managed policy names
};

struct IamGroup {
  std::string name;
  std::string id;  // "AGPA" + 16 characters
  int64_t created_ms = 0;
  std::map<std::string, std::string> inline_policies;
  std::vector<std::string> attached;
};

struct ManagedPolicy {
  std::string name;
  std::string document;
  std::string description;
  bool builtin = false;
  int64_t created_ms = 0;
};

struct AccessKeyMetadata {
  std::string access_key_id;  // "AKIA" + 16 characters
  std::string user;
  bool active = true;
  int64_t created_ms = 0;
  int64_t last_used_ms = 0;  // 0: never
};

// A user's password (IAM's login profile): only its Argon2id hash is kept (password.h).
struct LoginProfile {
  std::string user;
  int64_t created_ms = 0;
  int64_t changed_ms = 0;  // the last Create/Update/ChangePassword
};

// A user's virtual MFA device (one at most, as IAM's console allows): a TOTP secret (totp.h)
// sealed by the keyring. It counts for sign-in once enabled with two consecutive codes.
struct MfaDevice {
  std::string user;
  std::string serial;  // "arn:vigil:iam:::mfa/<user>"
  bool enabled = false;
  int64_t created_ms = 0;
  int64_t enabled_ms = 0;
};

// What CreateVirtualMfaDevice returns: the secret, shown this once, for an authenticator app.
struct NewVirtualMfa {
  std::string serial;
  std::string secret_base32;
  std::string otpauth_uri;
};

// A password (and code) that checked out.
struct PasswordSignIn {
  std::string user;  // as created (the sign-in may spell it in another case)
  bool mfa_used = false;
};

// "arn:vigil:iam:::user/<name>", the resource of calls about a user.
std::string IamUserArn(std::string_view name);

class Iam {
 public:
  // Loads every record, unseals the active keys into `keys`. store, keyring, keys and clock must
  // outlive the Iam. DataLoss when a stored secret does not open (named by key id).
  static StatusOr<std::unique_ptr<Iam>> Open(state::Store* store, Keyring* keyring, KeyStore* keys,
                                             const Clock* clock);

  // Users. Names: 1-64 of [A-Za-z0-9+=,.@_-], case-insensitively unique, not "root".
  // AlreadyExists / NotFound / InvalidArgument as the names say; DeleteUser refuses
  // (FailedPrecondition) while the user has keys, groups or policies, as IAM does.
  StatusOr<IamUser> CreateUser(const std::string& name);
  Status DeleteUser(const std::string& name);
  StatusOr<IamUser> GetUser(const std::string& name) const;
  std::vector<IamUser> ListUsers() const;

  // Access keys: at most two per user (IAM's limit; FailedPrecondition beyond). The secret is
  // returned once, here, and is otherwise only sealed in the store.
  StatusOr<AccessKey> CreateAccessKey(const std::string& user);
  Status SetAccessKeyActive(const std::string& access_key_id, bool active);
  Status DeleteAccessKey(const std::string& access_key_id);
  std::vector<AccessKeyMetadata> ListAccessKeys(const std::string& user) const;
  // Notes a successful use of the key (kept in memory; stored at most once a minute per key).
  void KeyUsed(const std::string& access_key_id) const;

  // Groups and membership.
  StatusOr<IamGroup> CreateGroup(const std::string& name);
  Status DeleteGroup(const std::string& name);  // FailedPrecondition while it has members/policies
  std::vector<IamGroup> ListGroups() const;
  Status AddUserToGroup(const std::string& user, const std::string& group);
  Status RemoveUserFromGroup(const std::string& user, const std::string& group);

  // Managed policies (the document checked by ParsePolicy: InvalidArgument
  // "MalformedPolicyDocument: ..."). Built-in ones cannot be changed or deleted.
  StatusOr<ManagedPolicy> CreatePolicy(const std::string& name, const std::string& document,
                                       const std::string& description);
  Status DeletePolicy(const std::string& name);  // FailedPrecondition while attached
  std::vector<ManagedPolicy> ListPolicies() const;
  // Attach/detach a managed policy to/from a user or a group (kind "user" or "group").
  Status AttachPolicy(const std::string& kind, const std::string& name, const std::string& policy);
  Status DetachPolicy(const std::string& kind, const std::string& name, const std::string& policy);
  // Inline policies: put (create or replace) and delete.
  Status PutInlinePolicy(const std::string& kind, const std::string& name,
                         const std::string& policy_name, const std::string& document);
  Status DeleteInlinePolicy(const std::string& kind, const std::string& name,
                            const std::string& policy_name);

  // Login profiles. Create: AlreadyExists when the user has one; Update: NotFound when it has
  // none; both InvalidArgument when the password breaks CheckPasswordRules. Delete: NotFound
  // when none. Update, Delete and ChangePassword revoke the user's sessions (the hook below).
  // The password is hashed outside the lock (a hash takes a fraction of a second).
  Status CreateLoginProfile(const std::string& user, const std::string& password);
  Status UpdateLoginProfile(const std::string& user, const std::string& password);
  Status DeleteLoginProfile(const std::string& user);
  StatusOr<LoginProfile> GetLoginProfile(const std::string& user) const;
  // A user changing their own password: Unauthenticated when `old_password` is wrong (or the
  // user has no login profile), InvalidArgument when the new one breaks the rules.
  Status ChangePassword(const std::string& user, const std::string& old_password,
                        const std::string& new_password);
  // Checks a sign-in. Unauthenticated "The user name or password is not valid." for an
  // unknown user, a user without a login profile and a wrong password alike (an unknown user is
  // checked against DummyPasswordHash, so the time is the same). With the password right and an
  // enabled MFA device: FailedPrecondition "MFA code required" when `mfa_code` is empty;
  // Unauthenticated "The MFA code is not valid." when it matches no step within one of now, or a
  // step at or before the last one the device accepted (a code is good once). Unavailable when
  // the accepted step cannot be stored.
  StatusOr<PasswordSignIn> CheckSignIn(const std::string& user, const std::string& password,
                                       const std::string& mfa_code);

  // Virtual MFA. Create makes a new secret for `user` (replacing one not yet enabled):
  // AlreadyExists when an enabled device exists, NotFound for an unknown user. Enable needs two
  // consecutive codes (IAM's AuthenticationCode1/2, the second for the step after the first,
  // ending within one step of now): InvalidArgument when they are not, FailedPrecondition when
  // there is no device or it is enabled already. Deactivate removes the device: NotFound when
  // there is none.
  StatusOr<NewVirtualMfa> CreateVirtualMfaDevice(const std::string& user);
  Status EnableMfaDevice(const std::string& user, const std::string& code1,
                         const std::string& code2);
  Status DeactivateMfaDevice(const std::string& user);
  std::optional<MfaDevice> GetMfaDevice(const std::string& user) const;

  // Called when credentials a session may stand on go away: (user, "") when the user's password
  // is changed or deleted or the user is deleted, ("", access key id) when a key is deactivated
  // or deleted. Runs with the Iam's lock held: it must not call the Iam. Set it before serving.
  using RevokeHook = std::function<void(const std::string& user, const std::string& key_id)>;
  void SetRevokeHook(RevokeHook hook);

  // Decides `request` for `principal` (the root principal is always allowed; an unknown
  // principal has no policies: implicitly denied). Its policies: the user's inline and attached
  // ones, and those of its groups. Self-service: what the policies leave implicitly denied of
  // SelfServiceActions() on the user's own ARN is allowed (an explicit deny still refuses), as
  // IAM's "allow users to change their own password" setting does.
  static const std::vector<std::string>& SelfServiceActions();
  Authorization Authorize(const std::string& principal, const AccessRequest& request) const;

 private:
  struct Impl;
  explicit Iam(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;

 public:
  ~Iam();
};

// The built-in managed policies' documents, by name.
const std::map<std::string, std::string>& BuiltinPolicies();

}  // namespace vigil::auth
