#include "alarms/rule.h"

#include <algorithm>
#include <cctype>

namespace vigil::alarms {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<Rule> Parse() {
    ASSIGN_OR_RETURN(Rule rule, Or());
    SkipSpace();
    if (pos_ < text_.size()) return Error("expected AND, OR or the end of the rule");
    return rule;
  }

 private:
  StatusOr<Rule> Or() {
    ASSIGN_OR_RETURN(Rule left, And());
    Rule out;
    while (Keyword("OR")) {
      if (out.operands.empty()) {
        out.kind = Rule::Kind::kOr;
        out.operands.push_back(std::move(left));
      }
      ASSIGN_OR_RETURN(Rule right, And());
      out.operands.push_back(std::move(right));
    }
    return out.operands.empty() ? std::move(left) : std::move(out);
  }

  StatusOr<Rule> And() {
    ASSIGN_OR_RETURN(Rule left, Not());
    Rule out;
    while (Keyword("AND")) {
      if (out.operands.empty()) {
        out.kind = Rule::Kind::kAnd;
        out.operands.push_back(std::move(left));
      }
      ASSIGN_OR_RETURN(Rule right, Not());
      out.operands.push_back(std::move(right));
    }
    return out.operands.empty() ? std::move(left) : std::move(out);
  }

  StatusOr<Rule> Not() {
    if (Keyword("NOT")) {
      ASSIGN_OR_RETURN(Rule operand, Not());
      Rule out;
      out.kind = Rule::Kind::kNot;
      out.operands.push_back(std::move(operand));
      return out;
    }
    return Primary();
  }

  StatusOr<Rule> Primary() {
    SkipSpace();
    if (Consume('(')) {
      if (++depth_ > 100) return Error("parentheses nested too deeply");
      ASSIGN_OR_RETURN(Rule inner, Or());
      --depth_;
      SkipSpace();
      if (!Consume(')')) return Error("expected ')'");
      return inner;
    }
    Rule out;
    out.kind = Rule::Kind::kConstant;
    if (Keyword("TRUE")) {
      out.constant = true;
      return out;
    }
    if (Keyword("FALSE")) return out;
    static constexpr std::pair<std::string_view, StateValue> kFunctions[] = {
        {"INSUFFICIENT_DATA", StateValue::kInsufficientData},
        {"ALARM", StateValue::kAlarm},
        {"OK", StateValue::kOk},
    };
    for (const auto& [name, state] : kFunctions) {
      if (!Keyword(name, /*before_paren=*/true)) continue;
      SkipSpace();
      if (!Consume('(')) return Error("expected '(' after " + std::string(name));
      SkipSpace();
      ASSIGN_OR_RETURN(out.alarm, AlarmName());
      SkipSpace();
      if (!Consume(')')) return Error("expected ')' after the alarm name");
      out.kind = Rule::Kind::kState;
      out.state = state;
      return out;
    }
    return Error("expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, NOT or '('");
  }

  StatusOr<std::string> AlarmName() {
    std::string name;
    if (Consume('"')) {
      while (pos_ < text_.size() && text_[pos_] != '"') {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
        name.push_back(text_[pos_++]);
      }
      if (!Consume('"')) return Error("unterminated quoted alarm name");
    } else {
      while (pos_ < text_.size() && text_[pos_] != ')' && text_[pos_] != '(' &&
             !std::isspace(static_cast<unsigned char>(text_[pos_]))) {
        name.push_back(text_[pos_++]);
      }
    }
    if (name.empty()) return Error("expected an alarm name");
    return name;
  }

  // Consumes `word` when it is next as a whole word (followed by a space, a parenthesis or the
  // end; with before_paren, only by '(' or spaces before one).
  bool Keyword(std::string_view word, bool before_paren = false) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    const size_t end = pos_ + word.size();
    if (end < text_.size()) {
      const char c = text_[end];
      const bool boundary = std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')';
      if (!boundary || (before_paren && c == ')')) return false;
    } else if (before_paren) {
      return false;
    }
    pos_ = end;
    return true;
  }

  bool Consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  Status Error(const std::string& what) const {
    return InvalidArgumentError("AlarmRule: at character " + std::to_string(pos_ + 1) + ": " +
                                what);
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

void CollectAlarms(const Rule& rule, std::vector<std::string>* out) {
  if (rule.kind == Rule::Kind::kState) {
    if (std::find(out->begin(), out->end(), rule.alarm) == out->end()) out->push_back(rule.alarm);
  }
  for (const Rule& r : rule.operands) CollectAlarms(r, out);
}

}  // namespace

StatusOr<Rule> ParseRule(std::string_view text) {
  if (text.size() > kMaxRuleBytes) {
    return InvalidArgumentError("AlarmRule: longer than " + std::to_string(kMaxRuleBytes) +
                                " characters");
  }
  return Parser(text).Parse();
}

std::vector<std::string> RuleAlarms(const Rule& rule) {
  std::vector<std::string> out;
  CollectAlarms(rule, &out);
  return out;
}

bool EvaluateRule(const Rule& rule, const std::function<StateValue(const std::string&)>& state_of) {
  switch (rule.kind) {
    case Rule::Kind::kState:
      return state_of(rule.alarm) == rule.state;
    case Rule::Kind::kConstant:
      return rule.constant;
    case Rule::Kind::kNot:
      return !EvaluateRule(rule.operands[0], state_of);
    case Rule::Kind::kAnd:
      return std::all_of(rule.operands.begin(), rule.operands.end(),
                         [&](const Rule& r) { return EvaluateRule(r, state_of); });
    case Rule::Kind::kOr:
      return std::any_of(rule.operands.begin(), rule.operands.end(),
                         [&](const Rule& r) { return EvaluateRule(r, state_of); });
  }
  return false;
}

}  // namespace vigil::alarms
