#pragma once
// IAM's policy language and its evaluation, for Vigil's identities (part of vigil::auth's face,
// beside auth.h). A policy is a JSON document in IAM's grammar:
//
//   {"Version": "2012-10-17",
//    "Statement": [{"Sid": "ReadMetrics", "Effect": "Allow",
//                   "Action": ["cloudwatch:Get*", "cloudwatch:List*"],
//                   "Resource": "*",
//                   "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
//
// Evaluation follows IAM's identity-policy logic: a request is allowed when some statement
// allows it and none denies it; an explicit Deny beats any Allow; with neither, it is denied
// implicitly. Actions match case-insensitively, resources case-sensitively, both with the
// wildcards * (any run) and ? (one character).
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace vigil::auth {

// One condition of a statement: `op` ("StringEquals", "IpAddress", ...; without the IfExists
// suffix and the ForAnyValue:/ForAllValues: qualifier) over one context key and its values. The
// condition holds when any value matches (for the negated operators: when none does).
struct Condition {
  std::string op;
  bool if_exists = false;  // ...IfExists: holds when the key is absent from the context
  enum class Qualifier { kNone, kForAnyValue, kForAllValues } qualifier = Qualifier::kNone;
  std::string key;  // as written ("aws:SourceIp"); compared case-insensitively
  std::vector<std::string> values;
};

struct Statement {
  std::string sid;  // "" when the statement has none
  bool allow = false;
  bool not_action = false;  // NotAction: applies to every action but these
  std::vector<std::string> actions;
  bool not_resource = false;
  std::vector<std::string> resources;
  std::vector<Condition> conditions;  // all must hold
};

struct Policy {
  std::string name;
  std::vector<Statement> statements;
};

// Parses and checks a policy document as IAM does for identity policies: Version "2012-10-17"
// or "2008-10-17" (optional), Statement an object or a non-empty array; each statement with
// Effect Allow or Deny, exactly one of Action and NotAction, exactly one of Resource and
// NotResource, no Principal, conditions with known operators and string, number or boolean
// values; no unknown members. InvalidArgument saying what is wrong and where ("Statement[1]:
// ...") otherwise.
StatusOr<Policy> ParsePolicy(std::string_view name, std::string_view document);

// What a request asks: an action ("cloudwatch:PutMetricAlarm"), on a resource (an ARN, or "*"
// for actions on no particular resource), with the context the conditions read. Context keys
// Vigil fills: aws:SourceIp, aws:CurrentTime (ISO 8601), aws:EpochTime, aws:SecureTransport
// ("true"/"false"), aws:username, aws:PrincipalType ("User", "Root"), and aws:TagKeys-style
// lists are not used. Keys are matched case-insensitively.
struct AccessRequest {
  std::string action;
  std::string resource;
  std::map<std::string, std::vector<std::string>> context;  // lower-cased key -> values
  // Sets a single-valued key (lower-casing it).
  void Set(std::string_view key, std::string value);
};

enum class Decision { kAllow, kExplicitDeny, kImplicitDeny };
std::string_view DecisionName(Decision d);  // "allowed", "explicitly denied", "implicitly denied"

struct Evaluation {
  Decision decision = Decision::kImplicitDeny;
  // The statement that decided (for an allow or an explicit deny): its policy's name and its
  // Sid, or "Statement[i]" when it has none. Empty for an implicit deny.
  std::string policy;
  std::string statement;
};

// What an authorization decided, and why (for AccessDenied messages and the simulator).
struct Authorization {
  Evaluation evaluation;
  bool allowed() const { return evaluation.decision == Decision::kAllow; }
};

// Evaluates `request` against every statement of `policies` (the caller's policies from its
// user, its groups and the managed policies attached to either).
Evaluation Evaluate(std::span<const Policy* const> policies, const AccessRequest& request);
Evaluation Evaluate(std::span<const Policy> policies, const AccessRequest& request);

// IAM's wildcard match: * any run of characters (none included), ? exactly one.
bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case);

}  // namespace vigil::auth
