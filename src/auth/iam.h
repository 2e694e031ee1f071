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

  // Decides `request` for `principal` (the root principal is always allowed; an unknown
  // principal has no policies: implicitly denied). Its policies: the user's inline and attached
  // ones, and those of its groups.
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
