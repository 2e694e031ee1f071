// IAM policy documents: parsing and checking (ParsePolicy). Evaluation is in policy_eval.cc.
#include "auth/policy.h"

#include <nlohmann/json.hpp>

#include "auth/policy_internal.h"

namespace vigil::auth {
namespace {

using Json = nlohmann::json;

Status Malformed(const std::string& where, const std::string& what) {
  return InvalidArgumentError("MalformedPolicyDocument: " + (where.empty() ? "" : where + ": ") +
                              what);
}

// A string or a non-empty array of strings (Action, Resource).
Status ReadStrings(const Json& v, const std::string& where, std::vector<std::string>* out) {
  if (v.is_string()) {
    out->push_back(v.get<std::string>());
    return OkStatus();
  }
  if (!v.is_array() || v.empty()) return Malformed(where, "expected a string or a list of them");
  for (const Json& s : v) {
    if (!s.is_string()) return Malformed(where, "expected strings only");
    out->push_back(s.get<std::string>());
  }
  return OkStatus();
}

// A condition value as IAM reads it: strings, numbers and booleans are all text.
Status ReadConditionValue(const Json& v, const std::string& where, std::vector<std::string>* out) {
  if (v.is_string()) {
    out->push_back(v.get<std::string>());
  } else if (v.is_boolean()) {
    out->push_back(v.get<bool>() ? "true" : "false");
  } else if (v.is_number_integer()) {
    out->push_back(std::to_string(v.get<int64_t>()));
  } else if (v.is_number()) {
    out->push_back(v.dump());
  } else {
    return Malformed(where, "a condition value must be a string, number or boolean");
  }
  return OkStatus();
}

Status ReadConditions(const Json& block, const std::string& where, std::vector<Condition>* out) {
  if (!block.is_object()) return Malformed(where, "Condition must be an object");
  for (const auto& [written, keys] : block.items()) {
    Condition base;
    std::string_view op = written;
    if (op.starts_with("ForAnyValue:")) {
      base.qualifier = Condition::Qualifier::kForAnyValue;
      op.remove_prefix(12);
    } else if (op.starts_with("ForAllValues:")) {
      base.qualifier = Condition::Qualifier::kForAllValues;
      op.remove_prefix(13);
    }
    if (op.ends_with("IfExists") && op != "IfExists") {
      base.if_exists = true;
      op.remove_suffix(8);
    }
    if (!policy_internal::KnownOperator(op) || (base.if_exists && op == "Null")) {
      return Malformed(where + ".Condition", "unknown condition operator '" + written + "'");
    }
    base.op = std::string(op);
    if (!keys.is_object() || keys.empty()) {
      return Malformed(where + ".Condition." + written, "expected {\"key\": value(s)}");
    }
    for (const auto& [key, values] : keys.items()) {
      Condition c = base;
      c.key = key;
      const std::string at = where + ".Condition." + written + "." + key;
      if (values.is_array()) {
        if (values.empty()) return Malformed(at, "expected at least one value");
        for (const Json& v : values) RETURN_IF_ERROR(ReadConditionValue(v, at, &c.values));
      } else {
        RETURN_IF_ERROR(ReadConditionValue(values, at, &c.values));
      }
      if (Status checked = policy_internal::CheckValues(c); !checked.ok()) {
        return Malformed(at, checked.message());
      }
      out->push_back(std::move(c));
    }
  }
  return OkStatus();
}

StatusOr<Statement> ReadStatement(const Json& s, const std::string& where) {
  if (!s.is_object()) return Malformed(where, "a statement must be an object");
  Statement st;
  for (const auto& [member, value] : s.items()) {
    if (member == "Sid") {
      if (!value.is_string()) return Malformed(where, "Sid must be a string");
      st.sid = value.get<std::string>();
    } else if (member == "Effect") {
      if (value != "Allow" && value != "Deny") {
        return Malformed(where, "Effect must be \"Allow\" or \"Deny\"");
      }
      st.allow = value == "Allow";
    } else if (member == "Action" || member == "NotAction") {
      if (!st.actions.empty()) return Malformed(where, "give Action or NotAction, not both");
      st.not_action = member == "NotAction";
      RETURN_IF_ERROR(ReadStrings(value, where + "." + member, &st.actions));
    } else if (member == "Resource" || member == "NotResource") {
      if (!st.resources.empty()) return Malformed(where, "give Resource or NotResource, not both");
      st.not_resource = member == "NotResource";
      RETURN_IF_ERROR(ReadStrings(value, where + "." + member, &st.resources));
    } else if (member == "Condition") {
      RETURN_IF_ERROR(ReadConditions(value, where, &st.conditions));
    } else if (member == "Principal" || member == "NotPrincipal") {
      return Malformed(where, member + " has no place in an identity policy");
    } else {
      return Malformed(where, "unknown member '" + member + "'");
    }
  }
  if (!s.contains("Effect")) return Malformed(where, "Effect is missing");
  if (st.actions.empty()) return Malformed(where, "Action (or NotAction) is missing");
  if (st.resources.empty()) return Malformed(where, "Resource (or NotResource) is missing");
  for (const std::string& a : st.actions) {
    if (a != "*" && a.find(':') == std::string::npos) {
      return Malformed(where, "action '" + a + "' must be service:action (or *)");
    }
  }
  return st;
}

}  // namespace

StatusOr<Policy> ParsePolicy(std::string_view name, std::string_view document) {
  const Json doc = Json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Malformed("", "not valid JSON");
  if (!doc.is_object()) return Malformed("", "the document must be a JSON object");
  Policy policy;
  policy.name = std::string(name);
  for (const auto& [member, value] : doc.items()) {
    if (member == "Version") {
      if (value != "2012-10-17" && value != "2008-10-17") {
        return Malformed("Version", "must be \"2012-10-17\" (or \"2008-10-17\")");
      }
    } else if (member != "Statement" && member != "Id") {
      return Malformed("", "unknown member '" + member + "'");
    }
  }
  if (!doc.contains("Statement")) return Malformed("", "Statement is missing");
  const Json& statements = doc["Statement"];
  if (statements.is_object()) {
    ASSIGN_OR_RETURN(Statement st, ReadStatement(statements, "Statement"));
    policy.statements.push_back(std::move(st));
  } else if (statements.is_array() && !statements.empty()) {
    for (size_t i = 0; i < statements.size(); ++i) {
      ASSIGN_OR_RETURN(Statement st,
                       ReadStatement(statements[i], "Statement[" + std::to_string(i) + "]"));
      policy.statements.push_back(std::move(st));
    }
  } else {
    return Malformed("Statement", "expected a statement or a non-empty list of them");
  }
  return policy;
}

}  // namespace vigil::auth
