#pragma once
// Private to vigil::auth: what policy.cc (parsing) and policy_eval.cc (evaluation) share.
#include <string_view>

#include "auth/policy.h"

namespace vigil::auth::policy_internal {

// Whether `op` (without IfExists and qualifiers) is one of IAM's condition operators.
bool KnownOperator(std::string_view op);
// The condition's values are what its operator compares with (numbers, dates, CIDR blocks,
// booleans); InvalidArgument naming the first bad one.
Status CheckValues(const Condition& c);

}  // namespace vigil::auth::policy_internal
