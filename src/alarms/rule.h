#pragma once
// Composite alarm rules (PutCompositeAlarm's AlarmRule): ALARM(name), OK(name),
// INSUFFICIENT_DATA(name), TRUE, FALSE, combined with NOT, AND, OR (that precedence) and
// parentheses. A name is written bare or between double quotes (needed for spaces and
// parentheses; \" and \\ escape).
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm_types.h"
#include "common/status.h"

namespace vigil::alarms {

struct Rule {
  enum class Kind { kState, kConstant, kNot, kAnd, kOr };
  Kind kind = Kind::kConstant;
  StateValue state = StateValue::kAlarm;  // kState: the state tested
  std::string alarm;                      // kState: the alarm's name
  bool constant = false;                  // kConstant
  std::vector<Rule> operands;             // kNot: one; kAnd, kOr: two or more
};

inline constexpr size_t kMaxRuleBytes = 10240;

// InvalidArgument naming the position and what was expected.
StatusOr<Rule> ParseRule(std::string_view text);

// The alarms the rule names, each once, in order of first mention.
std::vector<std::string> RuleAlarms(const Rule& rule);

// The rule's truth, given each named alarm's state.
bool EvaluateRule(const Rule& rule, const std::function<StateValue(const std::string&)>& state_of);

}  // namespace vigil::alarms
