// IAM policy evaluation: statements matched against a request, their conditions, the decision.
#include <arpa/inet.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "auth/policy.h"
#include "auth/policy_internal.h"
#include "common/ascii.h"

namespace vigil::auth {
namespace {

enum class Family { kString, kNumeric, kDate, kBool, kIp, kArn, kNull };

struct OperatorInfo {
  std::string_view name;
  Family family;
  bool negated;
};

constexpr std::array<OperatorInfo, 26> kOperators = {{
    {"StringEquals", Family::kString, false},
    {"StringNotEquals", Family::kString, true},
    {"StringEqualsIgnoreCase", Family::kString, false},
    {"StringNotEqualsIgnoreCase", Family::kString, true},
    {"StringLike", Family::kString, false},
    {"StringNotLike", Family::kString, true},
    {"NumericEquals", Family::kNumeric, false},
    {"NumericNotEquals", Family::kNumeric, true},
    {"NumericLessThan", Family::kNumeric, false},
    {"NumericLessThanEquals", Family::kNumeric, false},
    {"NumericGreaterThan", Family::kNumeric, false},
    {"NumericGreaterThanEquals", Family::kNumeric, false},
    {"DateEquals", Family::kDate, false},
    {"DateNotEquals", Family::kDate, true},
    {"DateLessThan", Family::kDate, false},
    {"DateLessThanEquals", Family::kDate, false},
    {"DateGreaterThan", Family::kDate, false},
    {"DateGreaterThanEquals", Family::kDate, false},
    {"Bool", Family::kBool, false},
    {"IpAddress", Family::kIp, false},
    {"NotIpAddress", Family::kIp, true},
    {"ArnEquals", Family::kArn, false},
    {"ArnLike", Family::kArn, false},
    {"ArnNotEquals", Family::kArn, true},
    {"ArnNotLike", Family::kArn, true},
    {"Null", Family::kNull, false},
}};

const OperatorInfo* FindOperator(std::string_view op) {
  for (const OperatorInfo& info : kOperators) {
    if (info.name == op) return &info;
  }
  return nullptr;
}

std::optional<double> ParseNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

// ISO 8601 ("2026-11-26", "2026-11-26T10:00:00Z", with fractions or a +hh:mm offset) or epoch
// seconds, as milliseconds since the epoch.
std::optional<int64_t> ParseTime(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("0123456789.") == std::string::npos) {
    const std::optional<double> secs = ParseNumber(s);
    if (!secs) return std::nullopt;
    return static_cast<int64_t>(*secs * 1000);
  }
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &consumed) !=
          3 ||
      consumed != 10) {
    return std::nullopt;
  }
  std::string_view rest = std::string_view(s).substr(10);
  int64_t frac_ms = 0, offset_s = 0;
  if (!rest.empty()) {
    if (rest.front() != 'T' || rest.size() < 9) return std::nullopt;
    if (std::sscanf(std::string(rest.substr(1, 8)).c_str(), "%2d:%2d:%2d", &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec) != 3) {
      return std::nullopt;
    }
    rest.remove_prefix(9);
    if (!rest.empty() && rest.front() == '.') {
      rest.remove_prefix(1);
      int64_t scale = 100;
      while (!rest.empty() && (rest.front() >= '0' && rest.front() <= '9')) {
        frac_ms += (rest.front() - '0') * scale;
        scale /= 10;
        rest.remove_prefix(1);
      }
    }
    if (rest == "Z") {
      rest = {};
    } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
      const int hh = std::atoi(std::string(rest.substr(1, 2)).c_str());
      const int mm = std::atoi(std::string(rest.substr(4, 2)).c_str());
      offset_s = (rest[0] == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
      rest = {};
    }
    if (!rest.empty()) return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return std::nullopt;
  return (static_cast<int64_t>(t) - offset_s) * 1000 + frac_ms;
}

// An address or CIDR block: its bytes (4 or 16) and prefix length.
struct Network {
  std::array<unsigned char, 16> bytes{};
  int length = 0;  // 4 or 16
  int prefix = 0;
};

std::optional<Network> ParseNetwork(std::string_view text) {
  Network n;
  const size_t slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  if (inet_pton(AF_INET, addr.c_str(), n.bytes.data()) == 1) {
    n.length = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), n.bytes.data()) == 1) {
    n.length = 16;
  } else {
    return std::nullopt;
  }
  n.prefix = n.length * 8;
  if (slash != std::string_view::npos) {
    const std::string bits(text.substr(slash + 1));
    if (bits.empty() || bits.size() > 3 ||
        bits.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    n.prefix = std::atoi(bits.c_str());
    if (n.prefix > n.length * 8) return std::nullopt;
  }
  return n;
}

bool InNetwork(const Network& block, const Network& address) {
  if (block.length != address.length) return false;
  int bits = block.prefix;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((block.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
  }
  return true;
}

// Whether the context value `v` matches the policy value `p` under the operator's positive
// sense (StringNotEquals compares as StringEquals; the caller negates).
bool Matches(std::string_view op, Family family, const std::string& v, const std::string& p) {
  switch (family) {
    case Family::kString:
      if (op.find("IgnoreCase") != std::string_view::npos) return EqualsIgnoreCase(v, p);
      if (op.ends_with("Like")) return WildcardMatch(p, v, /*ignore_case=*/false);
      return v == p;
    case Family::kArn:
      return op.ends_with("Like") ? WildcardMatch(p, v, false) : v == p;
    case Family::kBool:
      return EqualsIgnoreCase(v, p);
    case Family::kIp: {
      const std::optional<Network> block = ParseNetwork(p), address = ParseNetwork(v);
      return block && address && InNetwork(*block, *address);
    }
    case Family::kNumeric:
    case Family::kDate: {
      std::optional<double> a, b;
      if (family == Family::kNumeric) {
        a = ParseNumber(v);
        b = ParseNumber(p);
      } else {
        const auto ta = ParseTime(v), tb = ParseTime(p);
        if (ta) a = static_cast<double>(*ta);
        if (tb) b = static_cast<double>(*tb);
      }
      if (!a || !b) return false;
      if (op.ends_with("LessThanEquals")) return *a <= *b;
      if (op.ends_with("LessThan")) return *a < *b;
      if (op.ends_with("GreaterThanEquals")) return *a >= *b;
      if (op.ends_with("GreaterThan")) return *a > *b;
      return *a == *b;  // Equals, NotEquals
    }
    case Family::kNull:
      return false;  // decided by the key's presence
  }
  return false;
}

bool ConditionHolds(const Condition& c, const AccessRequest& request) {
  const OperatorInfo* info = FindOperator(c.op);
  if (info == nullptr) return false;
  std::string key = c.key;
  for (char& ch : key) ch = AsciiLower(ch);
  const auto found = request.context.find(key);
  const bool present = found != request.context.end() && !found->second.empty();
  if (info->family == Family::kNull) {
    // {"Null": {"key": "true"}}: the key is absent; "false": present.
    return EqualsIgnoreCase(c.values.front(), "true") ? !present : present;
  }
  if (!present) {
    if (c.if_exists) return true;
    if (c.qualifier == Condition::Qualifier::kForAllValues) return true;  // vacuously
    return info->negated;
  }
  // One context value against the policy's values: OR for a positive operator, NOR for a
  // negated one.
  auto value_holds = [&](const std::string& v) {
    bool any = false;
    for (const std::string& p : c.values) any = any || Matches(c.op, info->family, v, p);
    return info->negated ? !any : any;
  };
  const std::vector<std::string>& values = found->second;
  if (c.qualifier == Condition::Qualifier::kForAllValues) {
    for (const std::string& v : values) {
      if (!value_holds(v)) return false;
    }
    return true;
  }
  for (const std::string& v : values) {  // single-valued keys, and ForAnyValue
    if (value_holds(v)) return true;
  }
  return false;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view text, bool ignore_case) {
  for (const std::string& p : patterns) {
    if (WildcardMatch(p, text, ignore_case)) return true;
  }
  return false;
}

bool Applies(const Statement& s, const AccessRequest& request) {
  if (AnyMatches(s.actions, request.action, /*ignore_case=*/true) == s.not_action) return false;
  if (AnyMatches(s.resources, request.resource, /*ignore_case=*/false) == s.not_resource) {
    return false;
  }
  for (const Condition& c : s.conditions) {
    if (!ConditionHolds(c, request)) return false;
  }
  return true;
}

}  // namespace

namespace policy_internal {

bool KnownOperator(std::string_view op) { return FindOperator(op) != nullptr; }

Status CheckValues(const Condition& c) {
  const OperatorInfo* info = FindOperator(c.op);
  for (const std::string& v : c.values) {
    bool ok = true;
    switch (info->family) {
      case Family::kNumeric:
        ok = ParseNumber(v).has_value();
        break;
      case Family::kDate:
        ok = ParseTime(v).has_value();
        break;
      case Family::kBool:
      case Family::kNull:
        ok = EqualsIgnoreCase(v, "true") || EqualsIgnoreCase(v, "false");
        break;
      case Family::kIp:
        ok = ParseNetwork(v).has_value();
        break;
      default:
        break;
    }
    if (!ok) return InvalidArgumentError("'" + v + "' is not a value " + c.op + " compares");
  }
  if (info->family == Family::kNull && c.values.size() != 1) {
    return InvalidArgumentError("Null takes one value, true or false");
  }
  return OkStatus();
}

}  // namespace policy_internal

void AccessRequest::Set(std::string_view key, std::string value) {
  std::string k(key);
  for (char& ch : k) ch = AsciiLower(ch);
  context[std::move(k)] = {std::move(value)};
}

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allowed";
    case Decision::kExplicitDeny:
      return "explicitly denied";
    case Decision::kImplicitDeny:
      return "implicitly denied";
  }
  return "implicitly denied";
}

bool WildcardMatch(std::string_view pattern, std::string_view text, bool ignore_case) {
  // Greedy matching with one backtrack point (the last *): linear in practice, no recursion.
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  auto same = [&](char a, char b) { return ignore_case ? AsciiLower(a) == AsciiLower(b) : a == b; };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

Evaluation Evaluate(std::span<const Policy> policies, const AccessRequest& request) {
  std::vector<const Policy*> pointers;
  pointers.reserve(policies.size());
  for (const Policy& p : policies) pointers.push_back(&p);
  return Evaluate(std::span<const Policy* const>(pointers), request);
}

Evaluation Evaluate(std::span<const Policy* const> policies, const AccessRequest& request) {
  Evaluation result;
  for (const Policy* p : policies) {
    const Policy& policy = *p;
    for (size_t i = 0; i < policy.statements.size(); ++i) {
      const Statement& s = policy.statements[i];
      if (!Applies(s, request)) continue;
      const std::string name = s.sid.empty() ? "Statement[" + std::to_string(i) + "]" : s.sid;
      if (!s.allow) return Evaluation{Decision::kExplicitDeny, policy.name, name};
      if (result.decision != Decision::kAllow) {
        result = Evaluation{Decision::kAllow, policy.name, name};
      }
    }
  }
  return result;
}

}  // namespace vigil::auth
