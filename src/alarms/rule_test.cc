#include "alarms/rule.h"

#include <gtest/gtest.h>

#include <map>

namespace vigil::alarms {
namespace {

bool Eval(const std::string& text, const std::map<std::string, StateValue>& states) {
  StatusOr<Rule> rule = ParseRule(text);
  EXPECT_TRUE(rule.ok()) << text << ": " << rule.status().ToString();
  if (!rule.ok()) return false;
  return EvaluateRule(*rule, [&](const std::string& name) {
    auto it = states.find(name);
    return it == states.end() ? StateValue::kInsufficientData : it->second;
  });
}

TEST(RuleTest, FunctionsConstantsAndPrecedence) {
  const std::map<std::string, StateValue> s = {{"cpu", StateValue::kAlarm},
                                               {"disk", StateValue::kOk},
                                               {"my alarm (eu)", StateValue::kAlarm}};
  EXPECT_TRUE(Eval("ALARM(cpu)", s));
  EXPECT_TRUE(Eval("ALARM(\"cpu\")", s));
  EXPECT_TRUE(Eval("OK(disk)", s));
  EXPECT_TRUE(Eval("INSUFFICIENT_DATA(unknown)", s));
  EXPECT_TRUE(Eval("ALARM(\"my alarm (eu)\")", s));
  EXPECT_TRUE(Eval("TRUE", s));
  EXPECT_FALSE(Eval("FALSE", s));
  EXPECT_TRUE(Eval("ALARM(cpu) AND OK(disk)", s));
  EXPECT_FALSE(Eval("ALARM(cpu) AND ALARM(disk)", s));
  EXPECT_TRUE(Eval("ALARM(disk) OR ALARM(cpu)", s));
  EXPECT_TRUE(Eval("NOT ALARM(disk)", s));
  // NOT binds tighter than AND, AND tighter than OR.
  EXPECT_TRUE(Eval("ALARM(disk) AND FALSE OR TRUE", s));
  EXPECT_FALSE(Eval("ALARM(disk) AND (FALSE OR TRUE)", s));
  EXPECT_FALSE(Eval("NOT ALARM(cpu) AND TRUE", s));
  EXPECT_TRUE(Eval("NOT (ALARM(cpu) AND ALARM(disk))", s));
  EXPECT_TRUE(Eval("  ( ALARM( cpu )OR OK(x) )AND(NOT OK(cpu))  ", s));
  EXPECT_TRUE(Eval("ALARM(cpu) AND ALARM(cpu) AND NOT NOT TRUE", s));
}

TEST(RuleTest, NamesEachAlarmOnce) {
  StatusOr<Rule> rule = ParseRule("ALARM(a) OR (OK(b) AND NOT ALARM(a)) OR ALARM(\"c \\\"q\\\"\")");
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  EXPECT_EQ(RuleAlarms(*rule), (std::vector<std::string>{"a", "b", "c \"q\""}));
}

TEST(RuleTest, RefusesBrokenRulesWithThePosition) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "at character 1: expected ALARM(...)"},
      {"ALARM(cpu", "at character 10: expected ')' after the alarm name"},
      {"ALARM()", "at character 7: expected an alarm name"},
      {"ALARM(cpu) AND", "at character 15: expected ALARM(...)"},
      {"ALARM(cpu) XOR OK(a)", "at character 12: expected AND, OR or the end of the rule"},
      {"ALARMS(cpu)", "at character 1: expected ALARM(...)"},
      {"(ALARM(a)", "at character 10: expected ')'"},
      {"ALARM(\"a)", "unterminated quoted alarm name"},
      {"true", "at character 1: expected ALARM(...)"},
  };
  for (const auto& [text, want] : cases) {
    StatusOr<Rule> rule = ParseRule(text);
    ASSERT_FALSE(rule.ok()) << text;
    EXPECT_EQ(rule.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(rule.status().message().find(want), std::string::npos)
        << text << " gave: " << rule.status().message();
  }
  EXPECT_FALSE(ParseRule(std::string(kMaxRuleBytes + 1, ' ')).ok());
  EXPECT_FALSE(ParseRule(std::string(200, '(') + "TRUE" + std::string(200, ')')).ok());
}

}  // namespace
}  // namespace vigil::alarms
