// Identities, continued: groups and membership, managed and inline policies, authorization.
#include "auth/iam.h"
#include "auth/iam_internal.h"

namespace vigil::auth {

using iam_internal::CheckName;
using iam_internal::Json;
using iam_internal::kGroups;
using iam_internal::kPolicies;
using iam_internal::RandomId;

StatusOr<IamGroup> Iam::CreateGroup(const std::string& name) {
  RETURN_IF_ERROR(CheckName("a group", name));
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  if (m.groups.contains(Impl::Lower(name))) {
    return AlreadyExistsError("a group named '" + name + "' exists");
  }
  IamGroup g;
  g.name = name;
  ASSIGN_OR_RETURN(g.id, RandomId("AGPA", 16));
  g.created_ms = m.Now();
  RETURN_IF_ERROR(m.store->Put(kGroups, Impl::Lower(name), m.GroupJson(g).dump()));
  m.groups[Impl::Lower(name)] = g;
  return g;
}

Status Iam::DeleteGroup(const std::string& name) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.groups.find(Impl::Lower(name));
  if (it == m.groups.end()) return NotFoundError("no group named '" + name + "'");
  const bool has_members = std::any_of(m.users.begin(), m.users.end(), [&](const auto& u) {
    const auto& g = u.second.groups;
    return std::find(g.begin(), g.end(), it->second.name) != g.end();
  });
  if (has_members || !it->second.inline_policies.empty() || !it->second.attached.empty()) {
    return FailedPreconditionError("group '" + it->second.name +
                                   "' still has members or policies: remove them first");
  }
  RETURN_IF_ERROR(m.store->Delete(kGroups, it->first));
  m.groups.erase(it);
  return OkStatus();
}

std::vector<IamGroup> Iam::ListGroups() const {
  std::lock_guard l(impl_->mu);
  std::vector<IamGroup> out;
  for (const auto& [_, g] : impl_->groups) out.push_back(g);
  return out;
}

Status Iam::AddUserToGroup(const std::string& user, const std::string& group) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto u = m.users.find(Impl::Lower(user));
  if (u == m.users.end()) return NotFoundError("no user named '" + user + "'");
  auto g = m.groups.find(Impl::Lower(group));
  if (g == m.groups.end()) return NotFoundError("no group named '" + group + "'");
  std::vector<std::string>& groups = u->second.groups;
  if (std::find(groups.begin(), groups.end(), g->second.name) != groups.end()) return OkStatus();
  groups.push_back(g->second.name);
  if (Status saved = m.Save("user", user); !saved.ok()) {
    groups.pop_back();
    return saved;
  }
  return OkStatus();
}

Status Iam::RemoveUserFromGroup(const std::string& user, const std::string& group) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto u = m.users.find(Impl::Lower(user));
  if (u == m.users.end()) return NotFoundError("no user named '" + user + "'");
  std::vector<std::string> before = u->second.groups;
  std::erase_if(u->second.groups, [&](const std::string& g) { return EqualsIgnoreCase(g, group); });
  if (u->second.groups.size() == before.size()) {
    return NotFoundError("user '" + user + "' is not in group '" + group + "'");
  }
  if (Status saved = m.Save("user", user); !saved.ok()) {
    u->second.groups = std::move(before);
    return saved;
  }
  return OkStatus();
}

StatusOr<ManagedPolicy> Iam::CreatePolicy(const std::string& name, const std::string& document,
                                          const std::string& description) {
  RETURN_IF_ERROR(CheckName("a policy", name));
  RETURN_IF_ERROR(ParsePolicy(name, document).status());
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  if (m.managed.contains(name)) return AlreadyExistsError("a policy named '" + name + "' exists");
  ManagedPolicy p{name, document, description, false, m.Now()};
  const Json j = {{"name", name},
                  {"document", document},
                  {"description", description},
                  {"created_ms", p.created_ms}};
  RETURN_IF_ERROR(m.store->Put(kPolicies, name, j.dump()));
  m.managed[name] = p;
  return p;
}

Status Iam::DeletePolicy(const std::string& name) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto it = m.managed.find(name);
  if (it == m.managed.end()) return NotFoundError("no policy named '" + name + "'");
  if (it->second.builtin) return FailedPreconditionError("'" + name + "' is built in");
  auto attached = [&](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), name) != list.end();
  };
  for (const auto& [_, u] : m.users) {
    if (attached(u.attached))
      return FailedPreconditionError("'" + name + "' is attached to user '" + u.name + "'");
  }
  for (const auto& [_, g] : m.groups) {
    if (attached(g.attached))
      return FailedPreconditionError("'" + name + "' is attached to group '" + g.name + "'");
  }
  RETURN_IF_ERROR(m.store->Delete(kPolicies, name));
  m.managed.erase(it);
  return OkStatus();
}

std::vector<ManagedPolicy> Iam::ListPolicies() const {
  std::lock_guard l(impl_->mu);
  std::vector<ManagedPolicy> out;
  for (const auto& [_, p] : impl_->managed) out.push_back(p);
  return out;
}

Status Iam::AttachPolicy(const std::string& kind, const std::string& name,
                         const std::string& policy) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  ASSIGN_OR_RETURN(auto lists, m.PoliciesOf(kind, name));
  if (!m.managed.contains(policy)) return NotFoundError("no policy named '" + policy + "'");
  std::vector<std::string>& attached = *lists.second;
  if (std::find(attached.begin(), attached.end(), policy) != attached.end()) return OkStatus();
  attached.push_back(policy);
  if (Status saved = m.Save(kind, name); !saved.ok()) {
    attached.pop_back();
    return saved;
  }
  return OkStatus();
}

Status Iam::DetachPolicy(const std::string& kind, const std::string& name,
                         const std::string& policy) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  ASSIGN_OR_RETURN(auto lists, m.PoliciesOf(kind, name));
  std::vector<std::string>& attached = *lists.second;
  auto it = std::find(attached.begin(), attached.end(), policy);
  if (it == attached.end()) {
    return NotFoundError("policy '" + policy + "' is not attached to " + kind + " '" + name + "'");
  }
  attached.erase(it);
  if (Status saved = m.Save(kind, name); !saved.ok()) {
    attached.push_back(policy);
    return saved;
  }
  return OkStatus();
}

Status Iam::PutInlinePolicy(const std::string& kind, const std::string& name,
                            const std::string& policy_name, const std::string& document) {
  RETURN_IF_ERROR(CheckName("a policy", policy_name));
  RETURN_IF_ERROR(ParsePolicy(policy_name, document).status());
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  ASSIGN_OR_RETURN(auto lists, m.PoliciesOf(kind, name));
  std::map<std::string, std::string>& policies = *lists.first;
  const std::map<std::string, std::string> before = policies;
  policies[policy_name] = document;
  if (Status saved = m.Save(kind, name); !saved.ok()) {
    policies = before;
    return saved;
  }
  return OkStatus();
}

Status Iam::DeleteInlinePolicy(const std::string& kind, const std::string& name,
                               const std::string& policy_name) {
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  ASSIGN_OR_RETURN(auto lists, m.PoliciesOf(kind, name));
  std::map<std::string, std::string>& policies = *lists.first;
  auto it = policies.find(policy_name);
  if (it == policies.end()) {
    return NotFoundError(kind + " '" + name + "' has no policy named '" + policy_name + "'");
  }
  const std::map<std::string, std::string> before = policies;
  policies.erase(it);
  if (Status saved = m.Save(kind, name); !saved.ok()) {
    policies = before;
    return saved;
  }
  return OkStatus();
}

Authorization Iam::Authorize(const std::string& principal, const AccessRequest& request) const {
  if (principal == kRootPrincipal) {
    return Authorization{Evaluation{Decision::kAllow, "root", "the root key"}};
  }
  Impl& m = *impl_;
  std::lock_guard l(m.mu);
  auto u = m.users.find(Impl::Lower(principal));
  if (u == m.users.end()) return Authorization{};
  if (m.parsed.size() >= Impl::kMaxParsed) m.parsed.clear();  // stale documents pile up
  // Pointers into the parsed cache: valid while mu is held, i.e. through the evaluation.
  std::vector<const Policy*> policies;
  auto add_all = [&](const std::string& owner, const std::map<std::string, std::string>& inline_p,
                     const std::vector<std::string>& attached) {
    for (const auto& [name, doc] : inline_p) {
      if (const Policy* p = m.ParsedLocked(owner + "/" + name, doc)) policies.push_back(p);
    }
    for (const std::string& name : attached) {
      auto managed = m.managed.find(name);
      if (managed == m.managed.end()) continue;
      if (const Policy* p = m.ParsedLocked(name, managed->second.document)) policies.push_back(p);
    }
  };
  add_all("user/" + u->second.name, u->second.inline_policies, u->second.attached);
  for (const std::string& group : u->second.groups) {
    auto g = m.groups.find(Impl::Lower(group));
    if (g != m.groups.end()) {
      add_all("group/" + g->second.name, g->second.inline_policies, g->second.attached);
    }
  }
  AccessRequest with_user = request;
  with_user.Set("aws:username", u->second.name);
  with_user.Set("aws:userid", u->second.id);
  Authorization decided{Evaluate(policies, with_user)};
  const std::vector<std::string>& self = SelfServiceActions();
  if (decided.evaluation.decision == Decision::kImplicitDeny &&
      request.resource == IamUserArn(u->second.name) &&
      std::find(self.begin(), self.end(), request.action) != self.end()) {
    decided.evaluation = Evaluation{Decision::kAllow, "self-service", "a user's own credentials"};
  }
  return decided;
}

const std::vector<std::string>& Iam::SelfServiceActions() {
  // Not iam:DeactivateMFADevice: a stolen session must not take the second factor away.
  static const auto* actions = new std::vector<std::string>{
      "iam:ChangePassword",  "iam:GetLoginProfile", "iam:CreateVirtualMFADevice",
      "iam:EnableMFADevice", "iam:ListMFADevices",  "iam:ListSessions",
      "iam:RevokeSession"};
  return *actions;
}

}  // namespace vigil::auth
